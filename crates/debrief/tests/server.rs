//! `debrief serve` as a user meets it: the real binary on a loopback port, spoken to over TCP
//! in plain HTTP/1.1, on SQLite and on PostgreSQL.

#[macro_use]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use common::{BIN, Env};

/// A running server; stopped with SIGTERM when dropped.
struct Server {
    child: Child,
    addr: String,
    /// What the server writes to stderr after its first lines, read as it comes.
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    fn start(env: &Env) -> Server {
        Server::start_with(env, &[], 0).0
    }

    /// Starts with more arguments; returns `lines` more lines of stderr after the first.
    fn start_with(env: &Env, args: &[&str], lines: usize) -> (Server, Vec<String>) {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("DEBRIEF_DATABASE", &env.database)
            // No desktop browser to open.
            .env("PATH", "/nonexistent")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start debrief serve");
        // The first line names the address: "debrief serving … on http://127.0.0.1:PORT".
        let mut first = String::new();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        stderr.read_line(&mut first).unwrap();
        let more = (0..lines)
            .map(|_| {
                let mut l = String::new();
                stderr.read_line(&mut l).unwrap();
                l
            })
            .collect();
        let addr = first
            .trim()
            .rsplit_once("http://")
            .map(|(_, a)| a.to_string())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        // Keep reading, so the server never blocks on a full pipe.
        let stderr = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            rest
        });
        (
            Server {
                child,
                addr,
                stderr: Some(stderr),
            },
            more,
        )
    }

    /// Sends one request; returns the status, the headers (lower-cased names) and the body.
    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Vec<(String, String)>, String) {
        self.send(method, path, token, body.map(str::as_bytes), &[])
    }

    /// As [`Server::request`], with a body of any bytes and extra headers.
    fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
        extra: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(t) = token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        for (k, v) in extra {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body {
            if !extra
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                req.push_str("Content-Type: application/json\r\n");
            }
            req.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        if let Some(b) = body {
            bytes.extend_from_slice(b);
        }
        // A server may answer (413) and close before reading all of a large body.
        let _ = stream.write_all(&bytes);
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8(raw).expect("a UTF-8 answer");
        let (head, body) = text.split_once("\r\n\r\n").expect("headers and a body");
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        (status, headers, body.to_string())
    }

    fn json(&self, path: &str, token: &str) -> (u16, serde_json::Value) {
        let (status, _, body) = self.request("GET", path, Some(token), None);
        (
            status,
            serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let _ = self.child.wait();
        }
    }
}

/// A token of `role`, made with the command line.
fn token(env: &Env, role: &str) -> String {
    env.ok(&["token", "create", "--role", role, "--name", role])
        .trim()
        .to_string()
}

fn error_code(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["error"]["code"].as_str().unwrap_or_default().to_string()
}

both!(health_and_metrics_need_no_token, |env: &Env| {
    let server = Server::start(env);
    let (status, _, body) = server.request("GET", "/healthz", None, None);
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"status":"ok"}"#);
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Disk full",
        "--severity",
        "SEV3",
    ]);
    let (status, headers, body) = server.request("GET", "/metrics", None, None);
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/plain; version=0.0.4"))
    );
    assert!(
        body.contains(
            "debrief_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"
        ),
        "{body}"
    );
    assert!(
        body.contains("debrief_incidents{status=\"open\"} 1"),
        "{body}"
    );
    assert!(body.contains("# TYPE debrief_http_request_duration_seconds histogram"));
    assert!(body.contains("debrief_ingested_lines_total 0"));
});

both!(the_api_wants_a_valid_token, |env: &Env| {
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Disk full",
        "--severity",
        "SEV3",
    ]);
    let server = Server::start(env);
    let (status, headers, body) = server.request("GET", "/api/v1/incidents", None, None);
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "unauthorized");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "www-authenticate" && v.starts_with("Bearer"))
    );
    let (status, _, body) =
        server.request("GET", "/api/v1/incidents", Some("dbt_not-a-token"), None);
    assert_eq!(status, 401, "{body}");
    // A revoked token stops working at once.
    let reader = token(env, "reader");
    assert_eq!(server.json("/api/v1/incidents", &reader).0, 200);
    let list = env.ok(&["token", "list", "--json"]);
    let id = serde_json::from_str::<serde_json::Value>(&list).unwrap()[0]["id"].to_string();
    env.ok(&["token", "revoke", &id]);
    let (status, _, body) = server.request("GET", "/api/v1/incidents", Some(&reader), None);
    assert_eq!((status, error_code(&body).as_str()), (401, "unauthorized"));
    // The store keeps only a hash: the secret is nowhere in the token list.
    assert!(!env.ok(&["token", "list", "--json"]).contains(&reader));
});

both!(readers_read_incidents, |env: &Env| {
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Disk full",
        "--severity",
        "SEV3",
        "--service",
        "db",
    ]);
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Login down",
        "--severity",
        "SEV1",
    ]);
    let server = Server::start(env);
    let reader = token(env, "reader");
    let (status, list) = server.json("/api/v1/incidents", &reader);
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (_, sev1) = server.json("/api/v1/incidents?severity=SEV1", &reader);
    assert_eq!(sev1[0]["title"], "Login down");
    assert_eq!(sev1.as_array().unwrap().len(), 1);
    let (_, db) = server.json("/api/v1/incidents?service=db", &reader);
    assert_eq!(db[0]["id"], "INC-1");
    let (status, one) = server.json("/api/v1/incidents/INC-1", &reader);
    assert_eq!(status, 200);
    assert_eq!(one["title"], "Disk full");
    assert_eq!(one["services"][0], "db");
    // The same incident by number alone.
    assert_eq!(server.json("/api/v1/incidents/1", &reader).1, one);
    // Errors: JSON with a stable code.
    let (status, _, body) = server.request("GET", "/api/v1/incidents/INC-99", Some(&reader), None);
    assert_eq!((status, error_code(&body).as_str()), (404, "not_found"));
    let (status, _, body) = server.request("GET", "/api/v1/incidents/banana", Some(&reader), None);
    assert_eq!((status, error_code(&body).as_str()), (400, "invalid"));
    let (status, _, body) = server.request(
        "GET",
        "/api/v1/incidents?severity=SEV9",
        Some(&reader),
        None,
    );
    assert_eq!(
        (status, error_code(&body).as_str()),
        (400, "invalid"),
        "{body}"
    );
    let (status, _, body) =
        server.request("GET", "/api/v1/incidents?colour=red", Some(&reader), None);
    assert_eq!(
        (status, error_code(&body).as_str()),
        (400, "invalid"),
        "{body}"
    );
    let (status, _, body) = server.request("GET", "/api/v1/nothing-here", Some(&reader), None);
    assert_eq!((status, error_code(&body).as_str()), (404, "not_found"));
});

both!(only_admins_manage_tokens, |env: &Env| {
    let server = Server::start(env);
    let reader = token(env, "reader");
    let writer = token(env, "writer");
    let admin = token(env, "admin");
    for t in [&reader, &writer] {
        let (status, _, body) = server.request("GET", "/api/v1/tokens", Some(t), None);
        assert_eq!(
            (status, error_code(&body).as_str()),
            (403, "forbidden"),
            "{body}"
        );
        let (status, _, _) = server.request(
            "POST",
            "/api/v1/tokens",
            Some(t),
            Some(r#"{"name":"x","role":"admin"}"#),
        );
        assert_eq!(status, 403);
    }
    let (status, list) = server.json("/api/v1/tokens", &admin);
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 3);
    let (status, _, body) = server.request(
        "POST",
        "/api/v1/tokens",
        Some(&admin),
        Some(r#"{"name":"grafana","role":"reader"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let made: serde_json::Value = serde_json::from_str(&body).unwrap();
    let secret = made["secret"].as_str().unwrap().to_string();
    assert_eq!(server.json("/api/v1/incidents", &secret).0, 200);
    let (status, _, body) = server.request(
        "POST",
        "/api/v1/tokens",
        Some(&admin),
        Some(r#"{"name":"x","role":"emperor"}"#),
    );
    assert_eq!(
        (status, error_code(&body).as_str()),
        (400, "invalid"),
        "{body}"
    );
    let (status, _, body) = server.request("POST", "/api/v1/tokens", Some(&admin), Some("{oops"));
    assert_eq!(
        (status, error_code(&body).as_str()),
        (400, "invalid"),
        "{body}"
    );
    let path = format!("/api/v1/tokens/{}", made["id"]);
    let (status, _, body) = server.request("DELETE", &path, Some(&admin), None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        server
            .request("GET", "/api/v1/incidents", Some(&secret), None)
            .0,
        401
    );
});

#[test]
fn a_body_over_the_limit_is_refused() {
    let env = Env::sqlite();
    let server = Server::start(&env);
    let admin = token(&env, "admin");
    let big = format!(r#"{{"name":"{}","role":"reader"}}"#, "x".repeat(2 << 20));
    let (status, _, _) = server.request("POST", "/api/v1/tokens", Some(&admin), Some(&big));
    assert_eq!(status, 413);
    // Nothing was stored.
    assert_eq!(
        server
            .json("/api/v1/tokens", &admin)
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let env = Env::sqlite();
    let mut server = Server::start(&env);
    assert_eq!(server.request("GET", "/healthz", None, None).0, 200);
    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let rest = server.stderr.take().unwrap().join().unwrap();
    assert!(rest.contains("debrief stopped"), "{rest}");
}

#[test]
fn the_listen_address_must_be_free() {
    let env = Env::sqlite();
    let server = Server::start(&env);
    let out = env.run(&["serve", "--listen", &server.addr]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on"), "{err}");
}

both!(the_openapi_document_describes_every_route, |env: &Env| {
    let server = Server::start(env);
    let (status, _, body) = server.request("GET", "/api/v1/openapi.json", None, None);
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let admin = token(env, "admin");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 7);
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            // Each documented operation is served: whatever it answers, it is not the
            // answer for a route that does not exist.
            let concrete = path.replace("{id}", "999").replace("{step}", "submit");
            let body = match (method.as_str(), path.as_str()) {
                ("post", "/api/v1/tokens") => Some(r#"{"name":"probe","role":"reader"}"#),
                ("post", "/api/v1/incidents") => Some(r#"{"title":"Probe","severity":"SEV4"}"#),
                ("post", _) => Some("Bob forgot."),
                _ => None,
            };
            let (status, _, answer) =
                server.request(&method.to_uppercase(), &concrete, Some(&admin), body);
            assert!(
                !answer.contains("no such route"),
                "{method} {path}: {status} {answer}"
            );
            assert!(status < 500, "{method} {path}: {status} {answer}");
        }
    }
    // And a route that is not documented is not served.
    let (status, _, body) = server.request("GET", "/api/v1/secret-admin-panel", Some(&admin), None);
    assert_eq!(status, 404);
    assert!(body.contains("no such route"));
});

both!(writers_open_incidents_and_readers_cannot, |env: &Env| {
    let server = Server::start(env);
    let reader = token(env, "reader");
    let writer = token(env, "writer");
    let new = r#"{"title":"Checkout fails","severity":"SEV2","services":["checkout"],"started":"2026-03-01 14:00","detection":"alert","summary":"Payments failed for 40 minutes."}"#;
    let (status, _, body) = server.request("POST", "/api/v1/incidents", Some(&reader), Some(new));
    assert_eq!((status, error_code(&body).as_str()), (403, "forbidden"));
    let (status, headers, body) =
        server.request("POST", "/api/v1/incidents", Some(&writer), Some(new));
    assert_eq!(status, 201, "{body}");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "location" && v == "/api/v1/incidents/INC-1")
    );
    let made: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(made["id"], "INC-1");
    assert_eq!(made["started"], "2026-03-01T14:00:00Z");
    // The command line sees it.
    assert!(env.ok(&["incident", "list"]).contains("Checkout fails"));
    // Bad input: a clear error, nothing stored.
    for bad in [
        r#"{"title":"X","severity":"SEV9"}"#,
        r#"{"title":"","severity":"SEV2"}"#,
        r#"{"title":"X"}"#,
        r#"{"title":"X","severity":"SEV2","colour":"red"}"#,
        r#"{"title":"X","severity":"SEV2","started":"yesterday-ish"}"#,
        "not json",
    ] {
        let (status, _, body) =
            server.request("POST", "/api/v1/incidents", Some(&writer), Some(bad));
        assert_eq!(
            (status, error_code(&body).as_str()),
            (400, "invalid"),
            "{bad}: {body}"
        );
    }
    assert_eq!(
        server
            .json("/api/v1/incidents", &reader)
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
});

both!(actions_and_lint_for_readers, |env: &Env| {
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Disk full",
        "--severity",
        "SEV3",
    ]);
    env.ok(&[
        "action",
        "add",
        "INC-1",
        "Alert on disk",
        "--kind",
        "detect",
        "--owner",
        "storage",
        "--due",
        "2020-01-01",
    ]);
    env.ok(&[
        "action",
        "add",
        "INC-1",
        "Runbook",
        "--kind",
        "documentation",
        "--owner",
        "storage",
    ]);
    let server = Server::start(env);
    let reader = token(env, "reader");
    let (status, all) = server.json("/api/v1/actions", &reader);
    assert_eq!(status, 200);
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, overdue) = server.json("/api/v1/actions?overdue=true", &reader);
    assert_eq!(overdue.as_array().unwrap().len(), 1, "{overdue}");
    let (status, _, body) = server.request(
        "POST",
        "/api/v1/lint",
        Some(&reader),
        Some("## What happened\n\nBob forgot to renew the certificate, as usual.\n"),
    );
    assert_eq!(status, 200, "{body}");
    let findings: serde_json::Value = serde_json::from_str(&body).unwrap();
    let rules: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.is_empty(), "{body}");
    assert_eq!(findings[0]["line"], 3);
    let (status, _, body) = server.request(
        "POST",
        "/api/v1/lint",
        Some(&reader),
        Some("The deploy failed to complete.\n"),
    );
    assert_eq!((status, body.as_str()), (200, "[]"));
});

both!(posted_logs_reach_the_signals_report, |env: &Env| {
    let server = Server::start(env);
    let reader = token(env, "reader");
    let writer = token(env, "writer");
    let now = jiff::Timestamp::now();
    let mut lines = String::new();
    for i in 0..40 {
        let at = now - jiff::SignedDuration::from_secs(60 * (40 - i));
        let (level, msg) = if i % 4 == 0 {
            (
                "warn",
                format!(
                    "Retrying charge request to ledger (attempt {} of 5) after timeout",
                    i % 5 + 1
                ),
            )
        } else {
            (
                "info",
                format!("Posted entry {} to account acct-{}", 1000 + i, i % 7),
            )
        };
        lines.push_str(&format!(
            "{{\"time\": \"{at}\", \"level\": \"{level}\", \"service\": \"payments\", \"msg\": \"{msg}\"}}\n"
        ));
    }
    let (status, _, body) = server.request("POST", "/api/v1/logs", Some(&reader), Some(&lines));
    assert_eq!((status, error_code(&body).as_str()), (403, "forbidden"));
    let (status, _, body) = server.request("POST", "/api/v1/logs", Some(&writer), Some(&lines));
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["lines"], 40);
    assert_eq!(answer["parsed"], 40);
    // Gzip, as collectors send it.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(lines.as_bytes()).unwrap();
    let zipped = gz.finish().unwrap();
    let (status, _, body) = server.send(
        "POST",
        "/api/v1/logs",
        Some(&writer),
        Some(&zipped),
        &[("Content-Encoding", "gzip")],
    );
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = server.send(
        "POST",
        "/api/v1/logs",
        Some(&writer),
        Some(b"not gzip at all"),
        &[("Content-Encoding", "gzip")],
    );
    assert_eq!(
        (status, error_code(&body).as_str()),
        (400, "invalid"),
        "{body}"
    );
    // The command line's report sees the retries.
    let report = env.ok(&[
        "signals",
        "report",
        "--since",
        "2h",
        "--baseline",
        "1d",
        "--json",
    ]);
    assert!(
        report.contains("Retrying charge request to ledger"),
        "{report}"
    );
    let (_, _, metrics) = server.request("GET", "/metrics", None, None);
    assert!(
        metrics.contains("debrief_ingested_lines_total 80"),
        "{metrics}"
    );
    // So do the API and the signals page, with the same ranking.
    let cli: serde_json::Value = serde_json::from_str(&report).unwrap();
    let (status, api) = server.json("/api/v1/signals?since=2h&baseline=1d", &reader);
    assert_eq!(status, 200, "{api}");
    assert_eq!(api["signals"][0]["template"], cli["signals"][0]["template"]);
    assert_eq!(api["signals"][0]["kind"], "retry", "{api}");
    assert_eq!(api["signals"][0]["count"], 20, "{api}");
    assert_eq!(api["signals"][0]["rate"].as_array().map(Vec::len), Some(24));
    let (_, only_none) = server.json("/api/v1/signals?since=2h&baseline=1d&kind=none", &reader);
    assert!(
        only_none["signals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["kind"] == "none"),
        "{only_none}"
    );
    for bad in ["since=forever", "kind=sneaky", "limit=many", "colour=red"] {
        let (status, _, body) = server.request(
            "GET",
            &format!("/api/v1/signals?{bad}"),
            Some(&reader),
            None,
        );
        assert_eq!(
            (status, error_code(&body).as_str()),
            (400, "invalid"),
            "{bad}: {body}"
        );
    }
    let cookie = sign_in(&server, &reader);
    let (status, _, page) = server.send(
        "GET",
        "/signals?since=2h&baseline=1d",
        None,
        None,
        &[("Cookie", &cookie)],
    );
    assert_eq!(status, 200);
    assert!(page.contains("Retrying charge request to ledger"), "{page}");
    assert!(page.contains("<svg class=\"spark\""), "{page}");
    assert!(page.contains(">retry</span>"), "{page}");
    assert!(!page.contains("Open incident"), "readers cannot promote");
    // Promote the retries into an incident: through the API, then from the page.
    let fp = api["signals"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/signals/{}/promote", &fp[..6]);
    let body = r#"{"since":"2h","severity":"SEV3"}"#;
    let (status, _, _) = server.request("POST", &path, Some(&reader), Some(body));
    assert_eq!(status, 403);
    let (status, headers, answer) = server.request("POST", &path, Some(&writer), Some(body));
    assert_eq!(status, 201, "{answer}");
    assert_eq!(location(&headers), "/api/v1/incidents/INC-1");
    let done: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        (done["created"].as_bool(), done["fingerprint"].as_str()),
        (Some(true), Some(fp.as_str()))
    );
    let (_, inc) = server.json("/api/v1/incidents/INC-1", &reader);
    assert_eq!(inc["detection"], "signal");
    assert_eq!(inc["severity"], "SEV3");
    assert_eq!(inc["services"][0], "payments");
    assert!(
        inc["timeline"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Retrying charge request to ledger"),
        "{inc}"
    );
    let (status, _, answer) = server.request(
        "POST",
        &path,
        Some(&writer),
        Some(r#"{"since":"2h","incident":"INC-1"}"#),
    );
    assert_eq!(status, 201, "{answer}");
    assert!(answer.contains("\"created\":false"), "{answer}");
    for (p, code) in [
        ("/api/v1/signals/zz/promote", 400),
        ("/api/v1/signals/0000000000/promote", 404),
    ] {
        let (status, _, answer) = server.request("POST", p, Some(&writer), None);
        assert_eq!(status, code, "{p}: {answer}");
    }
    let (status, _, _) = server.request("POST", &path, Some(&writer), Some("{not json"));
    assert_eq!(status, 400);
    let cookie = sign_in(&server, &writer);
    let (_, _, page) = server.send(
        "GET",
        "/signals?since=2h&baseline=1d",
        None,
        None,
        &[("Cookie", &cookie)],
    );
    let csrf = attr_after(&page, "name=\"csrf\"", "value");
    let (status, headers, _) = post_form(
        &server,
        "/signals/promote",
        &cookie,
        &[("csrf", &csrf), ("fingerprint", &fp), ("since", "2h")],
        None,
    );
    assert_eq!(status, 303);
    assert_eq!(location(&headers), "/incidents/INC-2");
    let (status, _, _) = post_form(
        &server,
        "/signals/promote",
        &cookie,
        &[("csrf", "forged"), ("fingerprint", &fp), ("since", "2h")],
        None,
    );
    assert_eq!(status, 403);
});

#[test]
fn a_log_batch_over_the_limit_is_refused() {
    let env = Env::sqlite();
    let server = Server::start(&env);
    let writer = token(&env, "writer");
    let big = "x".repeat((16 << 20) + 10);
    let (status, _, _) = server.request("POST", "/api/v1/logs", Some(&writer), Some(&big));
    assert_eq!(status, 413);
    // A small gzip body that unzips past the limit is refused too.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b'a'; (16 << 20) + 10]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 100_000);
    let (status, _, body) = server.send(
        "POST",
        "/api/v1/logs",
        Some(&writer),
        Some(&bomb),
        &[("Content-Encoding", "gzip")],
    );
    assert_eq!(
        (status, error_code(&body).as_str()),
        (413, "too_large"),
        "{body}"
    );
}

/// An Alertmanager notification (webhook version 4) of group `HighErrorRate` on checkout.
fn notification(status: &str, alerts: &[(&str, &str)]) -> String {
    let alerts: Vec<serde_json::Value> = alerts
        .iter()
        .map(|(instance, alert_status)| {
            serde_json::json!({
                "status": alert_status,
                "labels": { "alertname": "HighErrorRate", "service": "checkout",
                            "severity": "critical", "instance": instance },
                "annotations": { "summary": format!("5xx above 5% on {instance}") },
                "startsAt": "2026-03-01T14:00:00.123Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": format!("fp-{instance}")
            })
        })
        .collect();
    serde_json::json!({
        "version": "4",
        "groupKey": "{}/{service=\"checkout\"}:{alertname=\"HighErrorRate\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "debrief",
        "groupLabels": { "alertname": "HighErrorRate" },
        "commonLabels": { "alertname": "HighErrorRate", "service": "checkout", "severity": "critical" },
        "commonAnnotations": { "summary": "Checkout 5xx above 5%", "description": "Error rate over the SLO threshold." },
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts
    })
    .to_string()
}

both!(
    alertmanager_opens_follows_and_mitigates_an_incident,
    |env: &Env| {
        let server = Server::start(env);
        let reader = token(env, "reader");
        let writer = token(env, "writer");
        let post = |body: &str, t: &str| {
            let (status, _, answer) =
                server.request("POST", "/api/v1/alertmanager", Some(t), Some(body));
            (
                status,
                serde_json::from_str::<serde_json::Value>(&answer).unwrap_or_default(),
                answer,
            )
        };
        let firing = notification("firing", &[("web-1", "firing")]);
        assert_eq!(post(&firing, &reader).0, 403);
        let (status, outcome, body) = post(&firing, &writer);
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            outcome,
            serde_json::json!({ "outcome": "opened", "incident": "INC-1" })
        );
        let (_, incident) = server.json("/api/v1/incidents/INC-1", &reader);
        assert_eq!(incident["title"], "Checkout 5xx above 5%");
        assert_eq!(incident["severity"], "SEV2");
        assert_eq!(incident["services"][0], "checkout");
        assert_eq!(incident["detection"], "alert");
        assert_eq!(incident["status"], "open");
        assert_eq!(incident["started"], "2026-03-01T14:00:00Z");
        assert_eq!(incident["timeline"].as_array().unwrap().len(), 1);
        // Alertmanager repeats a notification while nothing changes: one timeline entry.
        assert_eq!(post(&firing, &writer).1["outcome"], "updated");
        let (_, incident) = server.json("/api/v1/incidents/INC-1", &reader);
        assert_eq!(incident["timeline"].as_array().unwrap().len(), 1);
        // A second instance starts firing: it is added.
        let two = notification("firing", &[("web-1", "firing"), ("web-2", "firing")]);
        assert_eq!(post(&two, &writer).1["outcome"], "updated");
        let (_, incident) = server.json("/api/v1/incidents/INC-1", &reader);
        let timeline = incident["timeline"].as_array().unwrap();
        assert_eq!(timeline.len(), 2);
        assert!(
            timeline[1]["text"]
                .as_str()
                .unwrap()
                .contains("2 alerts of HighErrorRate firing")
        );
        // Resolved: mitigated, once.
        let resolved = notification("resolved", &[("web-1", "resolved"), ("web-2", "resolved")]);
        assert_eq!(
            post(&resolved, &writer).1,
            serde_json::json!({ "outcome": "resolved", "incident": "INC-1" })
        );
        let (_, incident) = server.json("/api/v1/incidents/INC-1", &reader);
        assert_eq!(incident["status"], "mitigated");
        assert!(incident["mitigated"].is_string());
        assert_eq!(post(&resolved, &writer).1["outcome"], "ignored");
        // The same group firing again later is a new incident.
        assert_eq!(
            post(&firing, &writer).1,
            serde_json::json!({ "outcome": "opened", "incident": "INC-2" })
        );
        // Bad notifications are refused with a reason; nothing is stored.
        for bad in [
            notification("exploding", &[]),
            r#"{"status":"firing"}"#.to_string(),
            r#"{"groupKey":"","status":"firing"}"#.to_string(),
        ] {
            let (status, answer, raw) = post(&bad, &writer);
            assert_eq!(
                (status, answer["error"]["code"].as_str()),
                (400, Some("invalid")),
                "{raw}"
            );
        }
        assert_eq!(
            server
                .json("/api/v1/incidents", &reader)
                .1
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
);

/// OTLP requests written by the OpenTelemetry project's own Python classes
/// (`opentelemetry-proto`): 12 records of service `payments` from 2026-03-01T14:00Z, every
/// third a retry, and one record of a resource with no service name.
const OTLP_PROTOBUF: &[u8] = include_bytes!("data/otlp-logs.pb");
const OTLP_JSON: &str = include_str!("data/otlp-logs.json");

both!(otlp_logs_reach_the_signals_report, |env: &Env| {
    let server = Server::start(env);
    let writer = token(env, "writer");
    let reader = token(env, "reader");
    let protobuf = [("Content-Type", "application/x-protobuf")];
    let (status, _, _) = server.send(
        "POST",
        "/v1/logs",
        Some(&reader),
        Some(OTLP_PROTOBUF),
        &protobuf,
    );
    assert_eq!(status, 403);
    let (status, headers, body) = server.send(
        "POST",
        "/v1/logs",
        Some(&writer),
        Some(OTLP_PROTOBUF),
        &protobuf,
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/x-protobuf")
    );
    assert!(body.is_empty(), "an empty ExportLogsServiceResponse");
    let report = env.ok(&["signals", "report", "--since", "2h", "--json"]);
    assert!(
        report.contains("Retrying charge request to ledger"),
        "{report}"
    );
    assert!(report.contains("\"payments\""), "{report}");
    let (_, _, metrics) = server.request("GET", "/metrics", None, None);
    assert!(
        metrics.contains("debrief_ingested_lines_total 13"),
        "{metrics}"
    );
    // The same request as OTLP/JSON, gzipped.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(OTLP_JSON.as_bytes()).unwrap();
    let zipped = gz.finish().unwrap();
    let (status, _, body) = server.send(
        "POST",
        "/v1/logs",
        Some(&writer),
        Some(&zipped),
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
        ],
    );
    assert_eq!((status, body.as_str()), (200, "{}"));
    let (_, _, metrics) = server.request("GET", "/metrics", None, None);
    assert!(
        metrics.contains("debrief_ingested_lines_total 26"),
        "{metrics}"
    );
    // Wrong encodings get a clear refusal.
    let (status, _, body) = server.send(
        "POST",
        "/v1/logs",
        Some(&writer),
        Some(b"hello"),
        &[("Content-Type", "text/plain")],
    );
    assert_eq!(
        (status, error_code(&body).as_str()),
        (415, "unsupported_media_type")
    );
    let (status, _, body) = server.send(
        "POST",
        "/v1/logs",
        Some(&writer),
        Some(b"\x0a\xff\xff"),
        &protobuf,
    );
    assert_eq!(
        (status, error_code(&body).as_str()),
        (400, "invalid"),
        "{body}"
    );
});

#[test]
fn the_example_collector_config_sends_to_the_otlp_endpoint_with_a_token() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/otel-collector.yaml"
    );
    let config: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let exporter = &config["exporters"]["otlphttp/debrief"];
    let endpoint = exporter["logs_endpoint"].as_str().unwrap();
    assert!(endpoint.ends_with("/v1/logs"), "{endpoint}");
    assert_eq!(exporter["encoding"].as_str(), Some("proto"));
    assert!(
        exporter["headers"]["Authorization"]
            .as_str()
            .unwrap()
            .starts_with("Bearer ")
    );
    let pipeline = &config["service"]["pipelines"]["logs"]["exporters"];
    assert_eq!(pipeline[0].as_str(), Some("otlphttp/debrief"));
    // The endpoint is one the server serves.
    assert!(debrief_server_routes().iter().any(|r| r == "/v1/logs"));
}

/// The server's route paths, from its OpenAPI document as served.
fn debrief_server_routes() -> Vec<String> {
    let env = Env::sqlite();
    let server = Server::start(&env);
    let (_, _, body) = server.request("GET", "/api/v1/openapi.json", None, None);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    doc["paths"].as_object().unwrap().keys().cloned().collect()
}

both!(writers_build_a_review_through_the_api, |env: &Env| {
    let server = Server::start(env);
    let reader = token(env, "reader");
    let writer = token(env, "writer");
    let (status, _, body) = server.request(
        "POST",
        "/api/v1/incidents",
        Some(&writer),
        Some(r#"{"title":"Checkout fails after config push","severity":"SEV2","started":"2026-03-01 14:00"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let steps = [
        (
            "/api/v1/incidents/INC-1/timeline",
            r#"{"at":"2026-03-01 14:02","text":"Error-rate alert fires","known":"only checkout looked affected"}"#,
        ),
        (
            "/api/v1/incidents/INC-1/factors",
            r#"{"title":"Config loader accepts unknown keys","level":"technical","category":"tooling","whys":["The schema is not checked in CI"]}"#,
        ),
        (
            "/api/v1/incidents/INC-1/factors",
            r#"{"title":"Config changes skip review on Fridays","level":"process","category":"process"}"#,
        ),
        (
            "/api/v1/incidents/INC-1/actions",
            r#"{"title":"Validate config against its schema in CI","kind":"prevent","owner":"platform","due":"2026-04-01"}"#,
        ),
    ];
    for (path, body) in steps {
        let (status, _, _) = server.request("POST", path, Some(&reader), Some(body));
        assert_eq!(status, 403, "{path}");
        let (status, _, answer) = server.request("POST", path, Some(&writer), Some(body));
        assert_eq!(status, 201, "{path}: {answer}");
    }
    let (_, incident) = server.json("/api/v1/incidents/INC-1", &reader);
    assert_eq!(
        incident["timeline"][0]["known"],
        "only checkout looked affected"
    );
    assert_eq!(
        incident["factors"][0]["whys"][0],
        "The schema is not checked in CI"
    );
    assert_eq!(incident["actions"][0]["id"], "A-1");
    assert_eq!(incident["actions"][0]["owner"], "platform");
    // Bad input is refused, with nothing written.
    for (path, body) in [
        (
            "/api/v1/incidents/INC-1/factors",
            r#"{"title":"X","level":"cosmic","category":"tooling"}"#,
        ),
        (
            "/api/v1/incidents/INC-1/actions",
            r#"{"title":"X","kind":"prevent","due":"someday"}"#,
        ),
        ("/api/v1/incidents/INC-1/timeline", r#"{"text":"no time"}"#),
    ] {
        let (status, _, answer) = server.request("POST", path, Some(&writer), Some(body));
        assert_eq!(
            (status, error_code(&answer).as_str()),
            (400, "invalid"),
            "{path}: {answer}"
        );
    }
    let (status, _, answer) = server.request(
        "POST",
        "/api/v1/incidents/INC-7/actions",
        Some(&writer),
        Some(r#"{"title":"X","kind":"prevent"}"#),
    );
    assert_eq!((status, error_code(&answer).as_str()), (404, "not_found"));
    // The review as a document, the same as the command line's.
    let (status, headers, doc) =
        server.request("GET", "/api/v1/incidents/INC-1/review", Some(&reader), None);
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/markdown"))
    );
    assert_eq!(doc, env.ok(&["review", "export", "INC-1"]));
    // Put back with blame and a claim to be published: kept, but in review, with what to fix.
    let edited = doc.replace("review: draft", "review: published").replace(
        "## Summary\n",
        "## Summary\n\nIt was human error: Dana was careless.\n",
    );
    let (status, _, answer) = server.send(
        "PUT",
        "/api/v1/incidents/INC-1/review",
        Some(&writer),
        Some(edited.as_bytes()),
        &[("Content-Type", "text/markdown")],
    );
    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["outcome"], "updated");
    let held = answer["held_in_review"].to_string();
    assert!(
        held.contains("human-error") && held.contains("debrief review ack INC-1"),
        "{held}"
    );
    let (_, incident) = server.json("/api/v1/incidents/INC-1", &reader);
    assert_eq!(incident["review"], "in-review");
    assert!(
        incident["summary"]
            .as_str()
            .unwrap()
            .contains("Dana was careless")
    );
    // A document of another incident, or one that does not parse, is refused.
    let other = doc.replace("id: INC-1", "id: INC-2");
    let (status, _, answer) = server.send(
        "PUT",
        "/api/v1/incidents/INC-1/review",
        Some(&writer),
        Some(other.as_bytes()),
        &[("Content-Type", "text/markdown")],
    );
    assert_eq!(
        (status, error_code(&answer).as_str()),
        (400, "invalid"),
        "{answer}"
    );
    let (status, _, answer) = server.send(
        "PUT",
        "/api/v1/incidents/INC-1/review",
        Some(&writer),
        Some(b"no front matter"),
        &[("Content-Type", "text/markdown")],
    );
    assert_eq!(
        (status, error_code(&answer).as_str()),
        (400, "invalid"),
        "{answer}"
    );
    let (status, _, _) = server.send(
        "PUT",
        "/api/v1/incidents/INC-1/review",
        Some(&writer),
        Some(b"\xff\xfe bad"),
        &[("Content-Type", "text/markdown")],
    );
    assert_eq!(status, 400);
});

both!(the_publish_flow_over_the_api, |env: &Env| {
    let server = Server::start(env);
    let writer = token(env, "writer");
    let reader = token(env, "reader");
    let post = |path: &str, body: Option<&str>| {
        let (status, _, answer) = server.request("POST", path, Some(&writer), body);
        (
            status,
            serde_json::from_str::<serde_json::Value>(&answer).unwrap_or_default(),
        )
    };
    post(
        "/api/v1/incidents",
        Some(
            r#"{"title":"Checkout fails","severity":"SEV2","impact":"Checkout was down. The on-call engineer failed to check the dashboard."}"#,
        ),
    );
    post(
        "/api/v1/incidents/INC-1/factors",
        Some(
            r#"{"title":"Config loader accepts unknown keys","level":"technical","category":"tooling"}"#,
        ),
    );
    post(
        "/api/v1/incidents/INC-1/factors",
        Some(r#"{"title":"Config changes skip review","level":"process","category":"process"}"#),
    );
    post(
        "/api/v1/incidents/INC-1/actions",
        Some(r#"{"title":"Validate config in CI","kind":"prevent","owner":"platform"}"#),
    );
    let (status, lesson) = post(
        "/api/v1/incidents/INC-1/lessons",
        Some(r#"{"kind":"lucky","text":"It happened at a quiet hour."}"#),
    );
    assert_eq!(status, 201, "{lesson}");
    assert_eq!(lesson["lessons"][0]["kind"], "lucky");
    assert_eq!(
        server
            .request(
                "POST",
                "/api/v1/incidents/INC-1/review/submit",
                Some(&reader),
                None
            )
            .0,
        403
    );
    let (status, draft) = post("/api/v1/incidents/INC-1/review/publish", None);
    assert_eq!(
        (status, draft["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{draft}"
    );
    let (status, submitted) = post("/api/v1/incidents/INC-1/review/submit", None);
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["review"], "in-review");
    assert_eq!(
        submitted["blockers"].as_array().unwrap().len(),
        1,
        "{submitted}"
    );
    // Blocked by the finding, with how to fix it.
    let (status, refused) = post("/api/v1/incidents/INC-1/review/publish", None);
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("blocked")),
        "{refused}"
    );
    let what = refused["blockers"][0]["what"].as_str().unwrap();
    let finding = what
        .split('[')
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap()
        .to_string();
    assert!(finding.starts_with("failed-to-"), "{what}");
    assert!(
        refused["blockers"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("review ack")
    );
    // Acknowledged (a finding that exists, with a reason), it publishes.
    let (status, _) = post(
        "/api/v1/incidents/INC-1/acks",
        Some(r#"{"finding":"failed-to-00000000","reason":"x y z"}"#),
    );
    assert_eq!(status, 404);
    let (status, _) = post(
        "/api/v1/incidents/INC-1/acks",
        Some(&format!(r#"{{"finding":"{finding}","reason":"  "}}"#)),
    );
    assert_eq!(status, 400);
    let (status, ack) = post(
        "/api/v1/incidents/INC-1/acks",
        Some(&format!(
            r#"{{"finding":"{finding}","reason":"quoted from the customer's report"}}"#
        )),
    );
    assert_eq!(status, 201, "{ack}");
    let (status, published) = post("/api/v1/incidents/INC-1/review/publish", None);
    assert_eq!(
        (status, published["review"].as_str()),
        (200, Some("published")),
        "{published}"
    );
    assert_eq!(
        env.ok(&["incident", "list", "--json"])
            .matches("\"published\"")
            .count(),
        1
    );
    let (status, reopened) = post("/api/v1/incidents/INC-1/review/reopen", None);
    assert_eq!((status, reopened["review"].as_str()), (200, Some("draft")));
    let (status, bad) = post("/api/v1/incidents/INC-1/review/explode", None);
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
});

/// Signs in through the web form; returns the session cookie (`debrief_session=…`).
fn sign_in(server: &Server, token: &str) -> String {
    let form = format!("token={token}");
    let (status, headers, body) = server.send(
        "POST",
        "/signin",
        None,
        Some(form.as_bytes()),
        &[("Content-Type", "application/x-www-form-urlencoded")],
    );
    assert_eq!(status, 303, "{body}");
    let set = headers
        .iter()
        .find(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.clone())
        .expect("a session cookie");
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(flag), "{set}");
    }
    set.split(';').next().unwrap().to_string()
}

both!(
    the_web_ui_signs_in_with_a_token_and_shows_incidents,
    |env: &Env| {
        env.ok(&[
            "incident",
            "new",
            "--title",
            "Checkout <b>fails</b>",
            "--severity",
            "SEV2",
        ]);
        env.ok(&[
        "incident", "edit", "INC-1", "--summary",
        "Payments failed. <script>alert('x')</script> <img src=x onerror=alert(1)> [click](javascript:alert(2))",
    ]);
        env.ok(&[
            "factor",
            "add",
            "INC-1",
            "Config loader accepts unknown keys",
            "--level",
            "technical",
            "--category",
            "tooling",
        ]);
        let server = Server::start(env);
        // Not signed in: to the sign-in page.
        let (status, headers, _) = server.request("GET", "/", None, None);
        assert_eq!(status, 303);
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "location" && v == "/signin")
        );
        let (status, _, form) = server.request("GET", "/signin", None, None);
        assert_eq!(status, 200);
        assert!(form.contains("name=\"token\""));
        // A wrong token is refused; a right one signs in.
        let (status, _, _) = server.send(
            "POST",
            "/signin",
            None,
            Some(b"token=dbt_nope"),
            &[("Content-Type", "application/x-www-form-urlencoded")],
        );
        assert_eq!(status, 401);
        let reader = token(env, "reader");
        let cookie = sign_in(&server, &reader);
        let (status, headers, list) = server.send("GET", "/", None, None, &[("Cookie", &cookie)]);
        assert_eq!(status, 200);
        assert!(list.contains("Checkout &lt;b&gt;fails&lt;/b&gt;"), "{list}");
        assert!(list.contains("href=\"/incidents/INC-1\""));
        let csp = headers
            .iter()
            .find(|(k, _)| k == "content-security-policy")
            .map(|(_, v)| v.as_str())
            .unwrap();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script-src"),
            "{csp}"
        );
        // The incident page: hostile HTML in the review shows as text, and nothing can run.
        let (status, _, page) = server.send(
            "GET",
            "/incidents/INC-1",
            None,
            None,
            &[("Cookie", &cookie)],
        );
        assert_eq!(status, 200);
        assert!(page.contains("&lt;script&gt;alert"), "{page}");
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("javascript:"));
        assert!(page.contains("Config loader accepts unknown keys"));
        // The factors as a fishbone, drawn on the server.
        assert!(page.contains("<svg class=\"fishbone\""), "{page}");
        assert!(page.contains(">tooling</text>") && page.contains(">monitoring</text>"));
        let (status, _, _) = server.send(
            "GET",
            "/incidents/INC-9",
            None,
            None,
            &[("Cookie", &cookie)],
        );
        assert_eq!(status, 404);
        // Filters.
        let (_, _, none) =
            server.send("GET", "/?severity=SEV4", None, None, &[("Cookie", &cookie)]);
        assert!(none.contains("No incidents match"));
        // A sign-in posted from another site is refused.
        let (status, _, _) = server.send(
            "POST",
            "/signin",
            None,
            Some(format!("token={reader}").as_bytes()),
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", "http://evil.example"),
            ],
        );
        assert_eq!(status, 403);
        // Signing out needs the form's CSRF token.
        let csrf = list
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let (status, _, _) = server.send(
            "POST",
            "/signout",
            None,
            Some(b"csrf=wrong"),
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
            ],
        );
        assert_eq!(status, 403);
        let (status, _, _) = server.send(
            "POST",
            "/signout",
            None,
            Some(format!("csrf={csrf}").as_bytes()),
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
            ],
        );
        assert_eq!(status, 303);
        let (status, _, _) = server.send("GET", "/", None, None, &[("Cookie", &cookie)]);
        assert_eq!(status, 303, "the session is over");
    }
);

both!(the_action_board_puts_overdue_items_first, |env: &Env| {
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Disk full",
        "--severity",
        "SEV3",
    ]);
    env.ok(&[
        "action",
        "add",
        "INC-1",
        "Write the runbook",
        "--kind",
        "documentation",
        "--owner",
        "storage",
        "--due",
        "2099-01-01",
    ]);
    env.ok(&[
        "action",
        "add",
        "INC-1",
        "Alert on disk <80%>",
        "--kind",
        "detect",
        "--owner",
        "storage",
        "--due",
        "2020-01-01",
    ]);
    let server = Server::start(env);
    let cookie = sign_in(&server, &token(env, "reader"));
    let (status, _, page) = server.send("GET", "/actions", None, None, &[("Cookie", &cookie)]);
    assert_eq!(status, 200);
    let late = page
        .find("Alert on disk &lt;80%&gt;")
        .expect("escaped title");
    let later = page.find("Write the runbook").unwrap();
    assert!(late < later, "overdue first");
    assert!(page.contains("<strong>overdue</strong>"));
    assert!(page.contains("2 items, 2 open, 1 overdue."), "{page}");
});

/// A near miss sent through the form and the API, by a client that gives away its agent and
/// address; returns the server, still running.
fn report_near_misses(env: &Env) -> Server {
    let server = Server::start(env);
    let (status, _, form) = server.request("GET", "/near-miss", None, None);
    assert_eq!(status, 200);
    assert!(form.contains("confidential"));
    let who = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("User-Agent", "SecretAgent/1.0 (jane.doe@example.com)"),
        ("X-Forwarded-For", "203.0.113.9"),
    ];
    let (status, headers, page) = server.send(
        "POST",
        "/near-miss",
        None,
        Some(b"what=Nearly+dropped+the+orders+table+in+prod&made_possible=Same+prompt+colour+in+both+shells&stopped_it=A+colleague+asked+which+host"),
        &who,
    );
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Thank you"));
    assert!(
        !headers.iter().any(|(k, _)| k == "set-cookie"),
        "no cookie, no session"
    );
    let (status, _, body) = server.send(
        "POST",
        "/api/v1/near-misses",
        None,
        Some(br#"{"what":"A deploy almost went to the wrong region","stopped_it":"The canary failed first"}"#),
        &[("User-Agent", "SecretAgent/1.0 (jane.doe@example.com)"), ("X-Forwarded-For", "203.0.113.9")],
    );
    assert_eq!(status, 201, "{body}");
    let (status, _, body) = server.send("POST", "/near-miss", None, Some(b"what=++"), &who[..1]);
    assert_eq!(status, 400, "{body}");
    server
}

both!(
    near_misses_need_no_token_and_keep_nothing_of_the_sender,
    |env: &Env| {
        let server = report_near_misses(env);
        let reader = token(env, "reader");
        let (status, reports) = server.json("/api/v1/near-misses", &reader);
        assert_eq!(status, 200);
        let reports = reports.as_array().unwrap();
        assert_eq!(reports.len(), 2);
        for r in reports {
            let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort();
            assert_eq!(
                keys,
                ["id", "made_possible", "reported_on", "stopped_it", "what"]
            );
            assert_eq!(
                r["reported_on"].as_str().unwrap().len(),
                10,
                "a day, not a time"
            );
        }
        assert_eq!(
            reports[1]["what"],
            "Nearly dropped the orders table in prod"
        );
        assert_eq!(
            server.request("GET", "/api/v1/near-misses", None, None).0,
            401
        );
        // A reviewer turns one into an incident, or puts it on the bows agenda.
        let writer = token(env, "writer");
        let (status, _, body) =
            server.request("POST", "/api/v1/near-misses/1/promote", Some(&reader), None);
        assert_eq!(status, 403, "{body}");
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/near-misses/1/promote",
            Some(&writer),
            Some(r#"{"severity": "SEV3"}"#),
        );
        assert_eq!(status, 201, "{body}");
        assert!(body.contains(r#""incident":"INC-1""#), "{body}");
        let (status, _, body) =
            server.request("POST", "/api/v1/near-misses/1/promote", Some(&writer), None);
        assert_eq!(status, 409, "{body}");
        let (_, incident) = server.json("/api/v1/incidents/INC-1", &reader);
        assert_eq!(
            (
                incident["near_miss"].as_bool(),
                incident["severity"].as_str()
            ),
            (Some(true), Some("SEV3"))
        );
        let (status, _, body) =
            server.request("POST", "/api/v1/near-misses/9/bow", Some(&writer), None);
        assert_eq!(status, 404, "{body}");
        let (status, _, body) =
            server.request("POST", "/api/v1/near-misses/x/bow", Some(&writer), None);
        assert_eq!(status, 400, "{body}");
        // The page lists the reports to signed-in people; a writer gets the two buttons.
        let cookie = sign_in(&server, &writer);
        let (_, _, page) = server.send("GET", "/near-miss", None, None, &[("Cookie", &cookie)]);
        assert!(
            page.contains("Became <a href=\"/incidents/INC-1\">INC-1</a>"),
            "{page}"
        );
        assert!(page.contains("action=\"/near-miss/2/bow\""), "{page}");
        assert!(!page.contains("action=\"/near-miss/1/bow\""), "{page}");
        let csrf = attr_after(&page, "action=\"/near-miss/2/bow\"", "value");
        let (status, headers, _) = post_form(
            &server,
            "/near-miss/2/bow",
            &cookie,
            &[("csrf", &csrf)],
            None,
        );
        assert_eq!(status, 303);
        assert_eq!(location(&headers), "/digest");
        let (status, _, page) = post_form(
            &server,
            "/near-miss/x/bow",
            &cookie,
            &[("csrf", &csrf)],
            None,
        );
        assert_eq!(status, 404);
        assert!(page.contains("no such near-miss report"), "{page}");
        let (status, _, _) = post_form(
            &server,
            "/near-miss/2/promote",
            &cookie,
            &[("csrf", "forged")],
            None,
        );
        assert_eq!(status, 403);
        let (_, bows) = server.json("/api/v1/bows", &reader);
        assert!(bows.to_string().contains("Near miss (report 2)"), "{bows}");
        let (_, _, anonymous) = server.request("GET", "/near-miss", None, None);
        assert!(
            !anonymous.contains("Report 1"),
            "reports are for signed-in readers"
        );
    }
);

#[test]
fn the_near_miss_table_holds_no_identifying_data() {
    let env = Env::sqlite();
    drop(report_near_misses(&env));
    // The database itself: the table's columns, and no trace of the sender anywhere.
    let mut db = std::fs::read(&env.database).unwrap();
    // And its write-ahead log, if any of it is still there.
    db.extend(std::fs::read(format!("{}-wal", env.database)).unwrap_or_default());
    let text = String::from_utf8_lossy(&db);
    assert!(text.contains("Nearly dropped the orders table in prod"));
    for secret in ["SecretAgent", "jane.doe", "203.0.113.9"] {
        assert!(!text.contains(secret), "{secret} is in the database");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!(
            "sqlite://{}",
            env.database
        ))
        .await
        .unwrap();
        let rows = sqlx::query("SELECT name FROM pragma_table_info('near_misses') ORDER BY cid")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let columns: Vec<String> = rows
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, "name"))
            .collect();
        assert_eq!(
            columns,
            ["id", "reported_on", "what", "made_possible", "stopped_it"]
        );
    });
}

/// The web UI in a real browser: Debian's Chromium, driven by Playwright from
/// `tests/browser/ui.mjs`, against the real server. It signs in, creates an incident, writes a
/// review the linter flags, sees the finding, fixes it, publishes, sees the fishbone, files a
/// near miss, and proves a hostile review runs nothing. `.ci/run` installs Chromium and the
/// script's one package; without them this test fails and says how to get them (or set
/// DEBRIEF_SKIP_BROWSER_TESTS=1 to leave it out on purpose).
#[test]
fn the_web_ui_works_in_headless_chromium() {
    if std::env::var_os("DEBRIEF_SKIP_BROWSER_TESTS").is_some() {
        eprintln!("DEBRIEF_SKIP_BROWSER_TESTS is set: not running the browser test");
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists()
            && dir.join("node_modules/playwright-core").exists(),
        "the browser test needs Chromium at {chromium} (Debian: apt-get install chromium) and \
         `npm ci` run in {}; .ci/run does both. Set DEBRIEF_SKIP_BROWSER_TESTS=1 to skip it.",
        dir.display()
    );
    let env = Env::sqlite();
    let admin = token(&env, "admin");
    let server = Server::start(&env);
    let out = Command::new("node")
        .arg("ui.mjs")
        .current_dir(&dir)
        .env("DEBRIEF_URL", format!("http://{}", server.addr))
        .env("DEBRIEF_TOKEN", &admin)
        .env("CHROMIUM", &chromium)
        .env_remove("DEBRIEF_SCREENSHOTS")
        .output()
        .expect("run node (Node.js must be installed)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for step in [
        "sign in with a token",
        "a blaming sentence is flagged beside the text",
        "publishing is refused with the finding as the reason",
        "fixed and published",
        "the incident page shows the timeline and the fishbone",
        "file a near miss without signing in",
        "a hostile review is shown as text and nothing in it runs",
        "a retro (RETRO-1) is held, voted and closed into an owned action item",
    ] {
        assert!(stdout.contains(&format!("ok - {step}")), "{stdout}");
    }
    let (_, retro) = server.json("/api/v1/retros/RETRO-1", &admin);
    assert_eq!(retro["actions"][0]["owner"], "checkout", "{retro}");
    assert_eq!(retro["items"][1]["votes"], 2, "{retro}");
    // What the browser did is in the store: the review published, the near miss kept.
    let (_, inc) = server.json("/api/v1/incidents/INC-1", &admin);
    assert_eq!(inc["review"], "published", "{inc}");
    let (_, misses) = server.json("/api/v1/near-misses", &admin);
    assert_eq!(misses.as_array().map(Vec::len), Some(1), "{misses}");
}

/// A form post from a signed-in browser: the cookie, the page's own origin, and the fields
/// URL-encoded.
fn post_form(
    server: &Server,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    origin: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let own = format!("http://{}", server.addr);
    server.send(
        "POST",
        path,
        None,
        Some(body.as_bytes()),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", cookie),
            ("Origin", origin.unwrap_or(&own)),
        ],
    )
}

/// The value of the first `attr="…"` after `after` in `html`.
fn attr_after(html: &str, after: &str, attr: &str) -> String {
    let rest = &html[html
        .find(after)
        .unwrap_or_else(|| panic!("no {after} in {html}"))..];
    let key = format!("{attr}=\"");
    let start = rest.find(&key).unwrap() + key.len();
    rest[start..].split('"').next().unwrap().to_string()
}

fn location(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(k, _)| k == "location")
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

both!(
    the_web_editor_and_publish_forms_check_who_sends_them,
    |env: &Env| {
        let server = Server::start(env);
        let reader = sign_in(&server, &token(env, "reader"));
        let writer = sign_in(&server, &token(env, "writer"));
        let admin = token(env, "admin");
        let page = |cookie: &str, path: &str| {
            let (status, _, body) = server.send("GET", path, None, None, &[("Cookie", cookie)]);
            (status, body)
        };
        let (_, form) = page(&writer, "/incidents/new");
        let csrf_w = attr_after(&form, "name=\"csrf\"", "value");
        let (_, list) = page(&reader, "/");
        let csrf_r = attr_after(&list, "name=\"csrf\"", "value");
        assert!(!list.contains("New incident"), "readers are not offered it");

        // New incident: readers, other sites and wrong tokens are refused; a title is needed.
        let fields = |csrf: &str, title: &str| {
            vec![
                ("csrf", csrf.to_string()),
                ("title", title.to_string()),
                ("severity", "SEV2".to_string()),
                ("services", "checkout, cache".to_string()),
            ]
        };
        let send = |cookie: &str, path: &str, f: &[(&str, String)], origin: Option<&str>| {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(&server, path, cookie, &pairs, origin)
        };
        let (status, _, _) = send(&reader, "/incidents/new", &fields(&csrf_r, "Slow"), None);
        assert_eq!(status, 403);
        let (status, _, _) = send(&writer, "/incidents/new", &fields("forged", "Slow"), None);
        assert_eq!(status, 403);
        let (status, _, _) = send(
            &writer,
            "/incidents/new",
            &fields(&csrf_w, "Slow"),
            Some("http://evil.example"),
        );
        assert_eq!(status, 403);
        let (status, _, body) = send(&writer, "/incidents/new", &fields(&csrf_w, "  "), None);
        assert_eq!(status, 400);
        assert!(body.contains("give the incident a title"), "{body}");
        let (_, list) = server.json("/api/v1/incidents", &admin);
        assert_eq!(
            list.as_array().map(Vec::len),
            Some(0),
            "nothing was created"
        );
        let (status, headers, _) = send(
            &writer,
            "/incidents/new",
            &fields(&csrf_w, "Checkout slow after a flush"),
            None,
        );
        assert_eq!(status, 303);
        assert_eq!(location(&headers), "/incidents/INC-1/edit");

        // The editor: Check lints without saving; a broken document is kept on the page.
        let doc = "---\nseverity: SEV2\nservices:\n- checkout\n---\n\n# Checkout slow after a flush\n\n\
                   ## Summary\n\nDana was careless with the flush.\n\n## Contributing factors\n\n\
                   ### F1. The flush has no warm-up\n\n- level: technical\n- category: tooling\n\n\
                   ### F2. The runbook says nothing about peak hours\n\n- level: process\n- category: process\n";
        let edit = |cookie: &str, csrf: &str, text: &str, what: &str| {
            send(
                cookie,
                "/incidents/INC-1/edit",
                &[
                    ("csrf", csrf.to_string()),
                    ("text", text.to_string()),
                    ("do", what.to_string()),
                ],
                None,
            )
        };
        let (status, _, checked) = edit(&writer, &csrf_w, doc, "check");
        assert_eq!(status, 200);
        assert!(checked.contains("class=\"finding error\""), "{checked}");
        assert!(checked.contains("<mark>careless</mark>"), "{checked}");
        let (_, stored) = server.json("/api/v1/incidents/INC-1", &admin);
        assert_eq!(stored["summary"], "", "Check saves nothing");
        let broken = "---\nseverity: [unclosed\n---\n# Broken <b>\n";
        let (status, _, kept) = edit(&writer, &csrf_w, broken, "save");
        assert_eq!(status, 400);
        assert!(kept.contains("Not saved"), "{kept}");
        assert!(
            kept.contains("severity: [unclosed\n---\n# Broken &lt;b&gt;"),
            "{kept}"
        );
        let (status, _, _) = edit(&reader, &csrf_r, doc, "save");
        assert_eq!(status, 403, "readers cannot save");
        let (status, _, _) = edit(&writer, "forged", doc, "save");
        assert_eq!(status, 403);
        // Browsers send CR LF; it is stored as LF.
        let (status, headers, _) = edit(&writer, &csrf_w, &doc.replace('\n', "\r\n"), "save");
        assert_eq!(status, 303);
        assert_eq!(
            location(&headers),
            "/incidents/INC-1/edit?saved=updated&held=0"
        );
        let (_, stored) = server.json("/api/v1/incidents/INC-1", &admin);
        assert_eq!(stored["summary"], "Dana was careless with the flush.");
        let (status, editor) = page(&writer, "/incidents/INC-1/edit?saved=updated&held=0");
        assert_eq!(status, 200);
        assert!(editor.contains("Saved."), "{editor}");
        assert!(editor.contains("class=\"finding error\""), "{editor}");

        // Publishing: submit, refused with the reasons, acknowledge, publish.
        let step = |cookie: &str, csrf: &str, s: &str| {
            send(
                cookie,
                "/incidents/INC-1/publish",
                &[("csrf", csrf.to_string()), ("step", s.to_string())],
                None,
            )
        };
        let (status, _, _) = step(&reader, &csrf_r, "submit");
        assert_eq!(status, 403);
        let (status, headers, _) = step(&writer, &csrf_w, "submit");
        assert_eq!(status, 303);
        assert_eq!(
            location(&headers),
            "/incidents/INC-1/publish?moved=in-review"
        );
        let (status, _, refused) = step(&writer, &csrf_w, "publish");
        assert_eq!(status, 409);
        assert!(refused.contains("What blocks publishing (1)"), "{refused}");
        assert!(refused.contains("careless"), "{refused}");
        let finding = attr_after(&refused, "class=\"finding error\"", "data-id");
        let ack = |cookie: &str, csrf: &str, reason: &str| {
            send(
                cookie,
                "/incidents/INC-1/ack",
                &[
                    ("csrf", csrf.to_string()),
                    ("finding", finding.clone()),
                    ("reason", reason.to_string()),
                ],
                None,
            )
        };
        let (status, _, _) = ack(&writer, &csrf_w, "   ");
        assert_eq!(status, 400, "an acknowledgement needs a reason");
        let (status, _, _) = ack(&reader, &csrf_r, "quoted from the chat log");
        assert_eq!(status, 403);
        let (status, _, _) = ack(&writer, &csrf_w, "quoted from the chat log");
        assert_eq!(status, 303);
        let (_, ready) = page(&writer, "/incidents/INC-1/publish");
        assert!(ready.contains("Nothing blocks publishing"), "{ready}");
        assert!(ready.contains("quoted from the chat log"), "{ready}");
        let (status, headers, _) = step(&writer, &csrf_w, "publish");
        assert_eq!(status, 303);
        assert_eq!(
            location(&headers),
            "/incidents/INC-1/publish?moved=published"
        );
        let (_, stored) = server.json("/api/v1/incidents/INC-1", &admin);
        assert_eq!(stored["review"], "published");
        let (status, _, _) = step(&writer, &csrf_w, "dance");
        assert_eq!(status, 404);
        // Readers see the review's source and findings, but no form to change them.
        let (status, view) = page(&reader, "/incidents/INC-1/edit");
        assert_eq!(status, 200);
        assert!(view.contains(" readonly>"), "{view}");
        let (_, view) = page(&reader, "/incidents/INC-1/publish");
        assert!(!view.contains("name=\"step\""), "{view}");
        let (status, _) = page(&writer, "/incidents/INC-7/edit");
        assert_eq!(status, 404);
    }
);

#[test]
fn serve_open_prints_a_sign_in_link_that_works_once() {
    let env = Env::sqlite();
    let (server, lines) = Server::start_with(&env, &["--open"], 1);
    let link = lines[0]
        .trim()
        .strip_prefix("sign in: ")
        .unwrap_or_else(|| panic!("{lines:?}"));
    let path = link
        .strip_prefix(&format!("http://{}", server.addr))
        .unwrap_or_else(|| panic!("{link}"));
    assert!(path.starts_with("/signin?code="), "{path}");
    let (status, headers, _) = server.request("GET", path, None, None);
    assert_eq!(status, 303);
    let cookie = headers
        .iter()
        .find(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.split(';').next().unwrap().to_string())
        .expect("a session");
    // The session is an administrator's.
    let (status, _, list) = server.send("GET", "/", None, None, &[("Cookie", &cookie)]);
    assert_eq!(status, 200);
    assert!(list.contains("admin"), "{list}");
    // Used once: the same link, or a made-up one, signs nobody in.
    let (status, headers, body) = server.request("GET", path, None, None);
    assert_eq!(status, 401);
    assert!(!headers.iter().any(|(k, _)| k == "set-cookie"));
    assert!(body.contains("used already or has expired"), "{body}");
    let (status, _, _) = server.request("GET", "/signin?code=dbt_guess", None, None);
    assert_eq!(status, 401);
    // Without --open there is no link at all.
    let (plain, _) = Server::start_with(&env, &[], 0);
    let (status, _, _) = plain.request("GET", path, None, None);
    assert_eq!(status, 401);
}

both!(
    writers_change_incidents_whys_and_actions_through_the_api,
    |env: &Env| {
        let server = Server::start(env);
        let reader = token(env, "reader");
        let writer = token(env, "writer");
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/incidents",
            Some(&writer),
            Some(r#"{"title":"Checkout fails","severity":"SEV3","started":"2026-03-01 14:00"}"#),
        );
        assert_eq!(status, 201, "{body}");
        for (method, path, body) in [
            ("PATCH", "/api/v1/incidents/INC-1", r#"{"severity":"SEV1"}"#),
            (
                "POST",
                "/api/v1/incidents/INC-1/status",
                r#"{"status":"mitigated"}"#,
            ),
            (
                "POST",
                "/api/v1/incidents/INC-1/factors",
                r#"{"title":"Config loader accepts unknown keys","level":"technical","category":"tooling"}"#,
            ),
            (
                "POST",
                "/api/v1/incidents/INC-1/actions",
                r#"{"title":"Validate config","kind":"prevent"}"#,
            ),
        ] {
            let (status, _, _) = server.request(method, path, Some(&reader), Some(body));
            assert_eq!(status, 403, "{method} {path}");
            let (status, _, answer) = server.request(method, path, Some(&writer), Some(body));
            assert!(status == 200 || status == 201, "{method} {path}: {answer}");
        }
        // Fields: only those given change; metrics add up by name.
        let (status, _, answer) = server.request(
        "PATCH",
        "/api/v1/incidents/INC-1",
        Some(&writer),
        Some(r#"{"title":"Checkout fails after a config push","services":["checkout"],"detection":"alert","impact_metrics":{"users_affected":1200}}"#),
    );
        assert_eq!(status, 200, "{answer}");
        let (_, i) = server.json("/api/v1/incidents/INC-1", &reader);
        assert_eq!(i["title"], "Checkout fails after a config push");
        assert_eq!(i["severity"], "SEV1");
        assert_eq!(i["services"][0], "checkout");
        assert_eq!(i["impact_metrics"]["users_affected"], 1200.0);
        assert_eq!(i["status"], "mitigated");
        assert!(i["mitigated"].is_string(), "{i}");
        // Status moves forward only, unless reopening on purpose.
        let (status, _, answer) = server.request(
            "POST",
            "/api/v1/incidents/INC-1/status",
            Some(&writer),
            Some(r#"{"status":"open"}"#),
        );
        assert_eq!(
            (status, error_code(&answer).as_str()),
            (400, "invalid"),
            "{answer}"
        );
        let (status, _, _) = server.request(
            "POST",
            "/api/v1/incidents/INC-1/status",
            Some(&writer),
            Some(r#"{"status":"open","reopen":true}"#),
        );
        assert_eq!(status, 200);
        // Whys under a factor, by F-number.
        let (status, _, _) = server.request(
            "POST",
            "/api/v1/incidents/INC-1/factors/F1/whys",
            Some(&writer),
            Some(r#"{"text":"Why did the loader accept it? Unknown keys were never an error."}"#),
        );
        assert_eq!(status, 201);
        for (path, body, code) in [
            (
                "/api/v1/incidents/INC-1/factors/F2/whys",
                r#"{"text":"x"}"#,
                400,
            ),
            (
                "/api/v1/incidents/INC-1/factors/zero/whys",
                r#"{"text":"x"}"#,
                400,
            ),
            (
                "/api/v1/incidents/INC-1/factors/1/whys",
                r#"{"text":"  "}"#,
                400,
            ),
            (
                "/api/v1/incidents/INC-9/factors/1/whys",
                r#"{"text":"x"}"#,
                404,
            ),
        ] {
            let (status, _, answer) = server.request("POST", path, Some(&writer), Some(body));
            assert_eq!(status, code, "{path}: {answer}");
        }
        // Action items: change, close, reopen.
        let (status, _, answer) = server.request(
            "PATCH",
            "/api/v1/actions/A-1",
            Some(&writer),
            Some(r#"{"owner":"platform","due":"2026-04-01","status":"done"}"#),
        );
        assert_eq!(status, 200, "{answer}");
        let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(v["incident"], "INC-1");
        assert_eq!(v["action"]["owner"], "platform");
        assert_eq!(v["action"]["status"], "done");
        assert!(v["action"]["closed"].is_string(), "{v}");
        let (_, answer) = {
            let (s, _, b) = server.request(
                "PATCH",
                "/api/v1/actions/A-1",
                Some(&writer),
                Some(r#"{"status":"open"}"#),
            );
            (s, b)
        };
        let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert!(v["action"]["closed"].is_null(), "{v}");
        for (path, body, code) in [
            ("/api/v1/actions/A-1", r#"{"status":"maybe"}"#, 400),
            ("/api/v1/actions/A-1", r#"{"colour":"red"}"#, 400),
            ("/api/v1/actions/A-1", r#"{"title":""}"#, 400),
            ("/api/v1/actions/A-9", r#"{"owner":"x"}"#, 404),
            ("/api/v1/actions/B-1", r#"{"owner":"x"}"#, 400),
        ] {
            let (status, _, answer) = server.request("PATCH", path, Some(&writer), Some(body));
            assert_eq!(status, code, "{path} {body}: {answer}");
        }
        let (status, _, _) = server.request(
            "PATCH",
            "/api/v1/incidents/INC-1",
            Some(&writer),
            Some(r#"{"started":"whenever"}"#),
        );
        assert_eq!(status, 400);
        let (_, after) = server.json("/api/v1/incidents/INC-1", &reader);
        assert_eq!(
            after["started"], i["started"],
            "a refused change writes nothing"
        );
    }
);

both!(
    search_through_the_api_the_page_and_the_command_line,
    |env: &Env| {
        let examples =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/reviews");
        let files: Vec<String> = std::fs::read_dir(&examples)
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            .collect();
        let mut args = vec!["review", "import"];
        args.extend(files.iter().map(String::as_str));
        env.ok(&args);
        let server = Server::start(env);
        let reader = token(env, "reader");
        let (status, found) = server.json("/api/v1/search?q=x-forwarded%20headers", &reader);
        assert_eq!(status, 200, "{found}");
        assert_eq!(found["hits"][0]["id"], "INC-101", "{found}");
        let snippet = &found["hits"][0]["snippets"][0];
        let text = snippet["text"].as_str().unwrap();
        let (from, to) = (
            snippet["highlights"][0][0].as_u64().unwrap() as usize,
            snippet["highlights"][0][1].as_u64().unwrap() as usize,
        );
        assert!(
            ["x", "forward", "forwarded", "headers"]
                .contains(&text[from..to].to_lowercase().as_str()),
            "{snippet}"
        );
        // Stems: "timeouts" finds the reviews that say "timeout".
        let (_, stems) = server.json("/api/v1/search?q=timeouts&limit=1", &reader);
        assert_eq!(stems["hits"].as_array().map(Vec::len), Some(1));
        assert!(stems["total"].as_u64().unwrap() >= 2, "{stems}");
        // Filters, and bad input.
        let (_, none) = server.json("/api/v1/search?q=headers&severity=SEV1", &reader);
        assert_eq!(none["total"], 0);
        for bad in [
            "q=",
            "q=the",
            "q=ab*",
            "q=x&severity=SEV9",
            "q=x&since=someday",
            "q=x&colour=red",
        ] {
            let (status, _, body) =
                server.request("GET", &format!("/api/v1/search?{bad}"), Some(&reader), None);
            assert_eq!(
                (status, error_code(&body).as_str()),
                (400, "invalid"),
                "{bad}: {body}"
            );
        }
        let (status, _, _) = server.request("GET", "/api/v1/search?q=x", None, None);
        assert_eq!(status, 401);
        // The page marks the words, escaped.
        let cookie = sign_in(&server, &reader);
        let (status, _, page) = server.send(
            "GET",
            "/search?q=rollback",
            None,
            None,
            &[("Cookie", &cookie)],
        );
        assert_eq!(status, 200);
        assert!(page.contains("<mark>rollback</mark>"), "{page}");
        assert!(page.contains("href=\"/incidents/INC-101\""), "{page}");
        let (status, _, page) = server.send(
            "GET",
            "/search?q=%3Cscript%3E",
            None,
            None,
            &[("Cookie", &cookie)],
        );
        assert_eq!(status, 200);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("value=\"&lt;script&gt;\""), "{page}");
        let (status, _, page) =
            server.send("GET", "/search?q=the", None, None, &[("Cookie", &cookie)]);
        assert_eq!(status, 400);
        assert!(page.contains("no word to search for"), "{page}");
        // The command line gives the same order.
        let cli: serde_json::Value =
            serde_json::from_str(&env.ok(&["search", "x-forwarded", "headers", "--json"])).unwrap();
        assert_eq!(cli["hits"][0]["id"], found["hits"][0]["id"]);
        assert_eq!(cli["total"], found["total"]);
        let text = env.ok(&["search", "rollback"]);
        assert!(
            text.contains("INC-101") && text.contains("**rollback**"),
            "{text}"
        );
    }
);

both!(
    a_repeat_is_flagged_with_open_actions_in_the_cli_the_api_and_the_page,
    |env: &Env| {
        env.ok(&[
        "incident", "new", "--title", "Ledger connection pool exhausted at month end",
        "--severity", "SEV2", "--service", "ledger", "--started", "2026-01-31 22:00",
        "--summary", "The month-end batch opened connections faster than the ledger pool recycled them; payments timed out.",
    ]);
        env.ok(&[
            "action",
            "add",
            "INC-1",
            "Alert on pool saturation",
            "--kind",
            "detect",
            "--owner",
            "platform",
        ]);
        env.ok(&[
            "action",
            "add",
            "INC-1",
            "Cap batch concurrency",
            "--kind",
            "prevent",
            "--owner",
            "ledger-team",
        ]);
        env.ok(&["action", "done", "A-2"]);
        env.ok(&[
            "incident",
            "new",
            "--title",
            "DNS resolver returned stale records",
            "--severity",
            "SEV3",
            "--service",
            "dns",
            "--summary",
            "Stale answers for an hour.",
        ]);
        // The repeat: the command line says so when it is recorded.
        let out = env.run(&[
            "incident",
            "new",
            "--title",
            "Month-end batch exhausts the ledger connection pool again",
            "--severity",
            "SEV2",
            "--service",
            "ledger",
            "--summary",
            "Connections from the month-end batch filled the ledger pool; payments timed out.",
        ]);
        assert!(out.status.success());
        let note = String::from_utf8_lossy(&out.stderr);
        assert!(
            note.contains("INC-3 looks like INC-1")
                && note.contains("1 of its 2 action items are still open"),
            "{note}"
        );
        let text = env.ok(&["incident", "similar", "INC-3"]);
        assert!(text.starts_with("INC-1"), "{text}");
        assert!(text.contains("same service ledger"), "{text}");
        assert!(
            text.contains("A-1 Alert on pool saturation (open, platform)"),
            "{text}"
        );
        assert!(
            !text.contains("Cap batch concurrency"),
            "done items are not listed: {text}"
        );
        assert!(!text.contains("INC-2"), "{text}");
        // The API.
        let server = Server::start(env);
        let reader = token(env, "reader");
        let (status, similar) = server.json("/api/v1/incidents/INC-3/similar", &reader);
        assert_eq!(status, 200, "{similar}");
        assert_eq!(similar[0]["id"], "INC-1");
        assert_eq!(similar[0]["actions_total"], 2);
        assert_eq!(
            similar[0]["open_actions"][0]["title"],
            "Alert on pool saturation"
        );
        assert!(
            similar[0]["reasons"]["words"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w == "pool"),
            "{similar}"
        );
        let (status, _) = server.json("/api/v1/incidents/INC-9/similar", &reader);
        assert_eq!(status, 404);
        // The page.
        let cookie = sign_in(&server, &reader);
        let (_, _, page) = server.send(
            "GET",
            "/incidents/INC-3",
            None,
            None,
            &[("Cookie", &cookie)],
        );
        assert!(page.contains("This looks like"), "{page}");
        assert!(page.contains("href=\"/incidents/INC-1\""), "{page}");
        assert!(
            page.contains("1 of its 2 action items are still open"),
            "{page}"
        );
        assert!(page.contains("Alert on pool saturation"), "{page}");
        // The earlier incident points at its repeat.
        let (_, _, first) = server.send(
            "GET",
            "/incidents/INC-1",
            None,
            None,
            &[("Cookie", &cookie)],
        );
        assert!(first.contains("href=\"/incidents/INC-3\""), "{first}");
    }
);

both!(problems_in_the_cli_the_api_and_the_page, |env: &Env| {
    for (title, service, summary) in [
        (
            "Ledger pool exhausted at month end",
            "ledger",
            "The month-end batch filled the ledger connection pool; payments timed out.",
        ),
        (
            "Resolver served stale records",
            "dns",
            "The resolver cache served stale records after the zone transfer failed.",
        ),
        (
            "Ledger pool exhausted again",
            "ledger",
            "Again the month-end batch filled the ledger connection pool and payments timed out.",
        ),
        (
            "Stale resolver records after a zone transfer",
            "dns",
            "Stale records from the resolver cache after a failed zone transfer.",
        ),
    ] {
        env.ok(&[
            "incident",
            "new",
            "--title",
            title,
            "--severity",
            "SEV2",
            "--service",
            service,
            "--summary",
            summary,
        ]);
    }
    env.ok(&[
        "factor",
        "add",
        "INC-1",
        "No alert on pool saturation",
        "--level",
        "process",
        "--category",
        "monitoring",
    ]);
    env.ok(&[
        "factor",
        "add",
        "INC-3",
        "Pool saturation not watched",
        "--level",
        "process",
        "--category",
        "monitoring",
    ]);
    let listed = env.ok(&["problems"]);
    assert!(
        listed.contains("PRB-1") && listed.contains("PRB-2"),
        "{listed}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["problems", "list", "--json"])).unwrap();
    let ledger = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["incidents"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == "INC-1")
        })
        .expect("a problem with INC-1")
        .clone();
    let members: Vec<&str> = ledger["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(members, vec!["INC-1", "INC-3"], "{ledger}");
    assert_eq!(ledger["shared_factors"][0][0], "monitoring");
    let pid = ledger["id"].as_str().unwrap().to_string();
    // By hand: unlink INC-3 through the API; computing again keeps it out.
    let server = Server::start(env);
    let (reader, writer) = (token(env, "reader"), token(env, "writer"));
    let path = format!("/api/v1/problems/{pid}/incidents");
    let body = r#"{"incident":"INC-3","linked":false}"#;
    let (status, _, _) = server.request("POST", &path, Some(&reader), Some(body));
    assert_eq!(status, 403);
    let (status, _, answer) = server.request("POST", &path, Some(&writer), Some(body));
    assert_eq!(status, 200, "{answer}");
    let (status, _, answer) =
        server.request("POST", "/api/v1/problems/compute", Some(&writer), None);
    assert_eq!(status, 200, "{answer}");
    let (_, p) = server.json(&format!("/api/v1/problems/{pid}"), &reader);
    let after: Vec<&str> = p["incidents"]
        .as_array()
        .map(|a| a.iter().map(|i| i["id"].as_str().unwrap()).collect())
        .unwrap_or_default();
    assert!(!after.contains(&"INC-3"), "{p}");
    // Export and import keep the problem's number and the decision: computing again in the
    // new store gives the same problem, still without INC-3.
    let dump = env.dir.path().join("dump");
    let out = env.ok(&["export", dump.to_str().unwrap()]);
    assert!(
        out.contains("exported 4 reviews and 2 problems to"),
        "{out}"
    );
    let again = Env::sqlite();
    let out = again.ok(&["import", dump.to_str().unwrap()]);
    assert!(out.contains("problems: 2 created"), "{out}");
    again.ok(&["problems"]);
    let moved: serde_json::Value =
        serde_json::from_str(&again.ok(&["problems", "show", &pid, "--json"])).unwrap();
    let members: Vec<&str> = moved["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(members, after, "{moved}");
    let out = again.ok(&["import", dump.to_str().unwrap()]);
    assert!(out.contains("problems: 0 created"), "{out}");
    let (status, _) = server.json("/api/v1/problems/PRB-99", &reader);
    assert_eq!(status, 404);
    let (status, _, _) = server.request(
        "POST",
        "/api/v1/problems/PRB-1/incidents",
        Some(&writer),
        Some(r#"{"incident":"INC-99","linked":true}"#),
    );
    assert_eq!(status, 404);
    let (_, pareto) = server.json("/api/v1/pareto", &reader);
    assert_eq!(pareto["incidents"], 4);
    assert_eq!(pareto["factor_categories"][0]["value"], "monitoring");
    assert_eq!(pareto["factor_categories"][0]["incidents"], 2);
    // The page.
    let cookie = sign_in(&server, &reader);
    let (status, _, page) = server.send("GET", "/problems", None, None, &[("Cookie", &cookie)]);
    assert_eq!(status, 200);
    assert!(
        page.contains(&pid) && page.contains("What recurs") && page.contains(">monitoring<"),
        "{page}"
    );
    assert!(!page.contains("Compute again"), "readers cannot compute");
    let (status, _, _) = post_form(&server, "/problems", &cookie, &[("csrf", "x")], None);
    assert_eq!(status, 403);
});

both!(
    closed_items_whose_problem_came_back_are_flagged,
    |env: &Env| {
        let summary = "The month-end batch filled the ledger connection pool; payments timed out.";
        env.ok(&[
            "incident",
            "new",
            "--title",
            "Ledger pool exhausted",
            "--severity",
            "SEV2",
            "--service",
            "ledger",
            "--started",
            "2026-01-01 00:00",
            "--summary",
            summary,
        ]);
        env.ok(&[
            "action",
            "add",
            "INC-1",
            "Cap batch concurrency",
            "--kind",
            "prevent",
            "--owner",
            "ledger-team",
        ]);
        env.ok(&[
            "action",
            "add",
            "INC-1",
            "Alert on pool saturation",
            "--kind",
            "detect",
            "--owner",
            "platform",
            "--due",
            "2026-01-10",
        ]);
        env.ok(&["action", "done", "A-1"]);
        // Whether it worked: only a closed item can say, and people can say it.
        let err = env.fails(&["action", "edit", "A-2", "--worked", "yes"]);
        assert!(
            err.contains("A-2 is open but says whether it worked"),
            "{err}"
        );
        env.ok(&["action", "edit", "A-1", "--worked", "yes"]);
        let doc = env.ok(&["review", "export", "INC-1"]);
        assert!(doc.contains("  - worked: yes\n"), "{doc}");
        // It comes back after the item was closed (today).
        let later = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48)).to_string();
        env.ok(&[
            "incident",
            "new",
            "--title",
            "Ledger pool exhausted again",
            "--severity",
            "SEV2",
            "--service",
            "ledger",
            "--started",
            &later,
            "--summary",
            summary,
        ]);
        env.ok(&["problems"]);
        let text = env.ok(&["action", "stats"]);
        assert!(
            text.contains("2 action items: 1 open, 1 closed (50% closed)"),
            "{text}"
        );
        assert!(text.contains("overdue: 1"), "{text}");
        assert!(
            text.contains("closed, but the problem came back:"),
            "{text}"
        );
        assert!(text.contains("A-1 Cap batch concurrency (INC-1"), "{text}");
        assert!(text.contains("judged to have worked"), "{text}");
        assert!(
            text.contains("judged after closing: 1 worked, 0 did not"),
            "{text}"
        );
        let server = Server::start(env);
        let reader = token(env, "reader");
        let (status, stats) = server.json("/api/v1/actions/stats", &reader);
        assert_eq!(status, 200, "{stats}");
        assert_eq!(stats["recurred"][0]["action"], "A-1");
        assert_eq!(stats["recurred"][0]["came_back"], "INC-2");
        assert_eq!(stats["recurred"][0]["worked"], true);
        // The API changes the verdict; reopening forgets it.
        let writer = token(env, "writer");
        let (status, _, body) = server.request(
            "PATCH",
            "/api/v1/actions/A-1",
            Some(&writer),
            Some(r#"{"worked": false}"#),
        );
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(r#""worked":false"#), "{body}");
        let (_, stats) = server.json("/api/v1/actions/stats", &reader);
        assert_eq!(stats["did_not_work"], 1);
        let (status, _, body) = server.request(
            "PATCH",
            "/api/v1/actions/A-2",
            Some(&writer),
            Some(r#"{"worked": true}"#),
        );
        assert_eq!(
            (status, error_code(&body).as_str()),
            (400, "invalid"),
            "{body}"
        );
        let cookie = sign_in(&server, &reader);
        let (_, _, board) = server.send("GET", "/actions", None, None, &[("Cookie", &cookie)]);
        assert!(
            board.contains("Closed, but the problem came back"),
            "{board}"
        );
        assert!(board.contains("50% closed"), "{board}");
    }
);

both!(
    learning_metrics_in_the_cli_the_api_and_prometheus,
    |env: &Env| {
        // Detected after 10, 20 and 90 minutes; resolved after 60, 120 and 600.
        for (n, (sev, detect, resolve)) in [("SEV1", 10, 60), ("SEV2", 20, 120), ("SEV2", 90, 600)]
            .iter()
            .enumerate()
        {
            let start = jiff::Timestamp::from_second(1_767_225_600 + n as i64 * 86_400).unwrap();
            let at = |m: i64| (start + jiff::SignedDuration::from_mins(m)).to_string();
            env.ok(&[
                "incident",
                "new",
                "--title",
                &format!("Outage {n}"),
                "--severity",
                sev,
                "--service",
                "checkout",
                "--started",
                &start.to_string(),
                "--detected",
                &at(*detect),
            ]);
            let id = format!("INC-{}", n + 1);
            env.ok(&[
                "incident",
                "status",
                &id,
                "mitigated",
                "--at",
                &at(*detect + 5),
            ]);
            env.ok(&["incident", "status", &id, "resolved", "--at", &at(*resolve)]);
        }
        env.ok(&[
            "factor",
            "add",
            "INC-1",
            "No alert on checkout errors",
            "--level",
            "process",
            "--category",
            "monitoring",
        ]);
        let csv = env.ok(&["metrics", "--by", "severity", "--format", "csv"]);
        let lines: Vec<&str> = csv.lines().collect();
        assert!(
            lines[0].starts_with("group,incidents,detect_median,detect_p90"),
            "{csv}"
        );
        assert!(lines[1].starts_with("SEV1,1,10,10,"), "{csv}");
        // Nearest rank: the median of 20 and 90 is 20, the 90th percentile 90.
        assert!(lines[2].starts_with("SEV2,2,20,90,25,95,120,600,"), "{csv}");
        let table = env.ok(&["metrics"]);
        assert!(
            table.contains("all: 3 incidents") && table.contains("monitoring gaps 1"),
            "{table}"
        );
        assert!(table.contains("reviews beyond technical 33%"), "{table}");
        // Time to a published review: INC-1's review first published three days after it started.
        let doc = env.ok(&["review", "export", "INC-1"]);
        let doc = doc.replacen(
            "review: draft\n",
            "review: draft\npublished: 2026-01-04T00:00:00Z\n",
            1,
        );
        let file = env.dir.path().join("inc-1.md");
        std::fs::write(&file, doc).unwrap();
        env.ok(&["review", "import", file.to_str().unwrap()]);
        let csv = env.ok(&["metrics", "--by", "severity", "--format", "csv"]);
        let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let sev1: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
        let col = |name: &str| sev1[head.iter().position(|h| *h == name).unwrap()];
        assert_eq!(
            (col("review_median"), col("review_p90")),
            ("4320", "4320"),
            "{csv}"
        );
        // Days to close an action item: opened and closed by hand in the review document.
        env.ok(&[
            "action",
            "add",
            "INC-2",
            "Alert on checkout errors",
            "--kind",
            "detect",
            "--owner",
            "sre",
        ]);
        let doc = env.ok(&["review", "export", "INC-2"]);
        let today = debrief_core::time::utc_date(jiff::Timestamp::now()).to_string();
        let doc = doc
            .replacen("- [ ] A-1:", "- [x] A-1:", 1)
            .replacen("  - status: open\n", "  - status: done\n", 1)
            .replacen(
                &format!("  - opened: {today}\n"),
                "  - opened: 2026-01-01\n  - closed: 2026-01-11\n",
                1,
            );
        let file2 = env.dir.path().join("inc-2.md");
        std::fs::write(&file2, doc).unwrap();
        env.ok(&["review", "import", file2.to_str().unwrap()]);
        let csv = env.ok(&["metrics", "--format", "csv"]);
        let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let all: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
        let col = |name: &str| all[head.iter().position(|h| *h == name).unwrap()];
        assert_eq!(
            (
                col("action_close_days_median"),
                col("action_close_days_p90")
            ),
            ("10", "10"),
            "{csv}"
        );

        let server = Server::start(env);
        // A confidential report counts toward the near-miss ratio: 1 of 3 incidents and 1 report.
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/near-misses",
            None,
            Some(r#"{"what":"A deploy almost went to the wrong region"}"#),
        );
        assert_eq!(status, 201, "{body}");
        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["metrics", "--format", "json"])).unwrap();
        assert_eq!(json[0]["near_miss_reports"], 1, "{json}");
        assert_eq!(json[0]["near_miss_ratio"], 0.25, "{json}");
        let reader = token(env, "reader");
        let (status, rows) = server.json("/api/v1/metrics?by=month", &reader);
        assert_eq!(status, 200, "{rows}");
        assert_eq!(rows[0]["group"], "2026-01");
        assert_eq!(rows[0]["resolve_median"], 120);
        let (status, _, body) =
            server.request("GET", "/api/v1/metrics?by=colour", Some(&reader), None);
        assert_eq!((status, error_code(&body).as_str()), (400, "invalid"));
        let (_, _, prom) = server.request("GET", "/metrics", None, None);
        assert!(
            prom.contains("debrief_time_to_resolve_minutes{quantile=\"0.5\"} 120"),
            "{prom}"
        );
        assert!(
            prom.contains("debrief_time_to_detect_minutes{quantile=\"0.9\"} 90"),
            "{prom}"
        );
        assert!(prom.contains("debrief_monitoring_gaps 1"), "{prom}");
        assert!(
            prom.contains("debrief_time_to_review_minutes{quantile=\"0.5\"} 4320"),
            "{prom}"
        );
        assert!(prom.contains("debrief_near_miss_ratio 0.25"), "{prom}");
        // The page, with a chart a figure.
        let cookie = sign_in(&server, &reader);
        let (status, _, page) = server.send("GET", "/learning", None, None, &[("Cookie", &cookie)]);
        assert_eq!(status, 200);
        assert!(page.contains("median 2.0h, p90 10.0h"), "{page}");
        assert!(page.contains("median 3.0d, p90 3.0d"), "{page}");
        assert!(
            page.contains("<figcaption>Median time to resolve</figcaption>"),
            "{page}"
        );
        assert!(page.contains("<title>2026-01: 120 min</title>"), "{page}");
    }
);

/// A store with one of everything the digest reads, the window being the last 7 days.
fn digest_story(env: &Env) {
    let now = jiff::Timestamp::now();
    let ago = |days: i64| (now - jiff::SignedDuration::from_hours(24 * days)).to_string();
    let summary = "The month-end batch filled the ledger connection pool; payments timed out.";
    // INC-1, two months ago, with an overdue action item; INC-2 repeats it this week.
    for (title, started) in [
        ("Ledger pool exhausted", ago(60)),
        ("Ledger pool exhausted again", ago(1)),
    ] {
        env.ok(&[
            "incident",
            "new",
            "--title",
            title,
            "--severity",
            "SEV2",
            "--service",
            "ledger",
            "--started",
            &started,
            "--summary",
            summary,
        ]);
    }
    env.ok(&[
        "action",
        "add",
        "INC-1",
        "Cap batch concurrency",
        "--kind",
        "prevent",
        "--owner",
        "ledger-team",
        "--due",
        "2026-01-10",
    ]);
    // INC-3 started on this day two years ago.
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    let two_years = today.checked_sub(jiff::Span::new().years(2)).unwrap();
    env.ok(&[
        "incident",
        "new",
        "--title",
        "DNS outage <b>of old</b>",
        "--severity",
        "SEV1",
        "--started",
        &format!("{two_years}T12:00:00Z"),
    ]);
    // INC-4, a near miss this week.
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Disk nearly full on db-3",
        "--severity",
        "SEV4",
        "--near-miss",
        "--started",
        &ago(2),
    ]);
    // INC-100, the example review, published now.
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/reviews/INC-100-checkout-config-push.md");
    env.ok(&["review", "import", example.to_str().unwrap()]);
    env.ok(&["review", "publish", "INC-100"]);
    env.ok(&["problems"]);
    env.ok(&[
        "bow",
        "add",
        "I ran the migration on prod <script>alert(1)</script> thinking it was staging",
    ]);
    // Retries that started an hour ago: a new weak signal.
    let log = env.dir.path().join("app.log");
    let mut lines = String::new();
    for n in 0..40 {
        let t = now - jiff::SignedDuration::from_mins(60 - n);
        lines.push_str(&format!(
            "{} WARN checkout retrying request to payments-api attempt={} after timeout\n",
            debrief_core_time(t),
            n % 3 + 1
        ));
    }
    std::fs::write(&log, lines).unwrap();
    env.ok(&["signals", "scan", log.to_str().unwrap()]);
}

fn debrief_core_time(t: jiff::Timestamp) -> String {
    jiff::Timestamp::from_second(t.as_second())
        .unwrap()
        .to_string()
}

both!(
    the_digest_in_markdown_html_json_and_the_page,
    |env: &Env| {
        digest_story(env);
        let md = env.ok(&["digest"]);
        let section = |name: &str| -> String {
            let start = md
                .find(&format!("## {name}\n"))
                .unwrap_or_else(|| panic!("no section {name} in:\n{md}"));
            let rest = &md[start + 3..];
            rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
        };
        assert!(md.starts_with("# Learning digest, "), "{md}");
        assert!(
            md.contains("1 review published · 1 new incident · 3 overdue action items"),
            "{md}"
        );
        let published = section("Reviews published");
        assert!(
            published.contains("### INC-100: Checkout fails"),
            "{published}"
        );
        assert!(published.contains("- **What went well:**"), "{published}");
        assert!(
            published.contains("- **Where we got lucky:**"),
            "{published}"
        );
        assert!(published.contains("process"), "{published}");
        // The near miss is on the bows agenda, not among new incidents; INC-2 is new.
        let new = section("New incidents");
        assert!(new.contains("INC-2: Ledger pool exhausted again"), "{new}");
        assert!(!new.contains("INC-4"), "{new}");
        let overdue = section("Overdue action items");
        assert!(
            overdue.contains("A-")
                && overdue.contains(
                    "Cap batch concurrency (owner ledger-team, due 2026-01-10), from INC-1"
                ),
            "{overdue}"
        );
        let problems = section("Problems that came back");
        assert!(
            problems.contains("2 incidents in all, new: INC-2; 1 action item open"),
            "{problems}"
        );
        let anniversary = section("On this day");
        assert!(
            anniversary.contains("2 years ago: INC-3: DNS outage \\<b\\>of old\\</b\\> (SEV1,"),
            "{anniversary}"
        );
        let signals = section("Rising weak signals");
        assert!(
        signals.contains("new retry: `checkout retrying request to payments-api attempt=<*> after timeout`, 40 in these days (0 in the baseline before)"),
        "{signals}"
    );
        let bows = section("Failure bows");
        assert!(
            bows.contains("1. Volunteered: I ran the migration on prod \\<script\\>"),
            "{bows}"
        );
        assert!(
            bows.contains("2. Near miss INC-4: Disk nearly full on db-3"),
            "{bows}"
        );
        // A window before everything: nothing published, nothing new, nothing overdue yet.
        let old = env.ok(&["digest", "--since", "2020-01-01", "--until", "2020-01-08"]);
        assert!(
            old.contains("0 reviews published · 0 new incidents · 0 overdue action items"),
            "{old}"
        );
        assert!(old.contains("Nobody has volunteered yet"), "{old}");
        let err = env.fails(&[
            "digest",
            "--since",
            "2021-01-01",
            "--until",
            "2020-01-01T00:00:00Z",
        ]);
        assert!(err.contains("--since"), "{err}");
        let err = env.fails(&["digest", "--base-url", "javascript:alert(1)"]);
        assert!(err.contains("is not an address"), "{err}");

        // HTML for mail: one document, styles inline, hostile text escaped, links absolute.
        let html = env.ok(&[
            "digest",
            "--format",
            "html",
            "--base-url",
            "https://debrief.example.com/",
        ]);
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(
            !html.contains("<style"),
            "mail clients drop style sheets: {html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("DNS outage &lt;b&gt;of old&lt;/b&gt;"),
            "{html}"
        );
        assert!(
            html.contains("href=\"https://debrief.example.com/incidents/INC-100\""),
            "{html}"
        );
        assert!(html.contains("max-width:640px"), "{html}");

        // The API: JSON by default, and the same Markdown.
        let server = Server::start(env);
        let reader = token(env, "reader");
        let (status, d) = server.json("/api/v1/digest?since=7d", &reader);
        assert_eq!(status, 200, "{d}");
        assert_eq!(d["published"][0]["id"], "INC-100");
        assert_eq!(d["new_incidents"][0]["id"], "INC-2");
        assert_eq!(d["problems"][0]["new_incidents"][0], "INC-2");
        assert_eq!(d["on_this_day"][0]["years_ago"], 2);
        assert_eq!(d["bows"]["near_miss_incidents"][0][0], "INC-4");
        let (status, _, body) = server.request(
            "GET",
            "/api/v1/digest?format=md&base_url=https://x.example",
            Some(&reader),
            None,
        );
        assert_eq!(status, 200);
        assert!(
            body.contains("[INC-100](<https://x.example/incidents/INC-100>)"),
            "{body}"
        );
        let (status, _, body) =
            server.request("GET", "/api/v1/digest?format=pdf", Some(&reader), None);
        assert_eq!((status, error_code(&body).as_str()), (400, "invalid"));
        let (status, _, body) =
            server.request("GET", "/api/v1/digest?since=soon", Some(&reader), None);
        assert_eq!(
            (status, error_code(&body).as_str()),
            (400, "invalid"),
            "{body}"
        );
        // Bows through the API: a reader cannot offer one, a writer can, and it can be removed.
        let (status, _, _) = server.request(
            "POST",
            "/api/v1/bows",
            Some(&reader),
            Some(r#"{"text":"x"}"#),
        );
        assert_eq!(status, 403);
        let writer = token(env, "writer");
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/bows",
            Some(&writer),
            Some(r#"{"text":"  "}"#),
        );
        assert_eq!(
            (status, error_code(&body).as_str()),
            (400, "invalid"),
            "{body}"
        );
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/bows",
            Some(&writer),
            Some(r#"{"text":"I merged with red CI because the check was flaky"}"#),
        );
        assert_eq!(status, 201, "{body}");
        let (_, bows) = server.json("/api/v1/bows", &reader);
        assert_eq!(bows.as_array().unwrap().len(), 2, "{bows}");
        let (status, _, _) = server.request("DELETE", "/api/v1/bows/2", Some(&writer), None);
        assert_eq!(status, 200);
        let (status, _, body) = server.request("DELETE", "/api/v1/bows/2", Some(&writer), None);
        assert_eq!(
            (status, error_code(&body).as_str()),
            (404, "not_found"),
            "{body}"
        );

        // The page shows the same digest, and a writer offers a bow through its form.
        let cookie = sign_in(&server, &writer);
        let (status, _, page) = server.send("GET", "/digest", None, None, &[("Cookie", &cookie)]);
        assert_eq!(status, 200);
        assert!(
            page.contains("Learning digest") && page.contains("href=\"/incidents/INC-100\""),
            "{page}"
        );
        assert!(!page.contains("<script>alert"), "{page}");
        let csrf = attr_after(&page, "action=\"/digest/bows\"", "value");
        let (status, _, body) = post_form(
            &server,
            "/digest/bows",
            &cookie,
            &[
                ("csrf", &csrf),
                ("text", "I paged the wrong rotation for a week"),
            ],
            None,
        );
        assert_eq!(status, 303, "{body}");
        let (_, _, page) = server.send("GET", "/digest", None, None, &[("Cookie", &cookie)]);
        assert!(
            page.contains("I paged the wrong rotation for a week"),
            "{page}"
        );
        let (status, headers, mail) = server.send(
            "GET",
            "/digest/export?format=html&since=7d",
            None,
            None,
            &[("Cookie", &cookie)],
        );
        assert_eq!(status, 200);
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "content-disposition" && v.contains("digest.html"))
        );
        assert!(mail.starts_with("<!DOCTYPE html>"), "{mail}");
    }
);

/// Three example reviews: INC-100 published, INC-101 published with hostile HTML in its
/// notes, INC-102 left a draft.
fn site_story(env: &Env) {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/reviews");
    for name in [
        "INC-100-checkout-config-push.md",
        "INC-101-traefik-v2-forwarded-headers.md",
        "INC-102-feature-flags-db-timeout.md",
    ] {
        env.ok(&["review", "import", examples.join(name).to_str().unwrap()]);
    }
    env.ok(&["review", "publish", "INC-100"]);
    let doc = env.ok(&["review", "export", "INC-101"]);
    let hostile = "\n\n<script>window.__pwned=1</script>\n\n<img src=x onerror=\"window.__pwned=2\">\n\n\
        [a link](javascript:window.__pwned=3)\n\n<details open ontoggle=\"window.__pwned=4\">x</details>\n";
    let file = env.dir.path().join("INC-101.md");
    std::fs::write(&file, format!("{doc}{hostile}")).unwrap();
    env.ok(&["review", "import", file.to_str().unwrap()]);
    for a in ["A-110", "A-111"] {
        env.ok(&["action", "edit", a, "--owner", "platform"]);
    }
    env.ok(&["review", "submit", "INC-101"]);
    env.ok(&["review", "publish", "INC-101"]);
}

both!(
    the_static_site_holds_the_published_reviews_only,
    |env: &Env| {
        site_story(env);
        let dir = env.dir.path().join("site");
        let out = env.ok(&["site", "build", dir.to_str().unwrap()]);
        assert!(out.contains("2 published reviews"), "{out}");
        let read = |rel: &str| std::fs::read_to_string(dir.join(rel)).unwrap();
        assert!(dir.join("reviews/INC-100.html").exists());
        assert!(
            !dir.join("reviews/INC-102.html").exists(),
            "a draft stays in"
        );
        let index = read("index.html");
        assert!(
            index.contains("INC-101") && !index.contains("INC-102"),
            "{index}"
        );
        let search = read("search-index.js");
        assert!(!search.contains("INC-102"), "drafts are not searchable");
        assert!(search.contains("\"timeout\""), "stems are indexed");
        // Hostile HTML in a review is text; only the search page has scripts, and only ours.
        let page = read("reviews/INC-101.html");
        assert!(!page.contains("<script"), "{page}");
        assert!(
            page.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"),
            "{page}"
        );
        assert!(!page.contains("javascript:"), "{page}");
        assert!(
            page.contains("href=\"../style.css\""),
            "links are relative: {page}"
        );
        assert!(read("lessons.html").contains("What went well"));
        // Reopened, a review leaves the site at the next build.
        env.ok(&["review", "reopen", "INC-101"]);
        let out = env.ok(&["site", "build", dir.to_str().unwrap()]);
        assert!(out.contains("1 published review,"), "{out}");
        assert!(
            !dir.join("reviews/INC-101.html").exists(),
            "the reopened review is gone"
        );
        assert!(!read("search-index.js").contains("Traefik"));
        // A directory the command did not write is refused, and left as it was.
        let other = env.dir.path().join("mine");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("notes.txt"), "keep me").unwrap();
        let err = env.fails(&["site", "build", other.to_str().unwrap()]);
        assert!(
            err.contains("was not written by `debrief site build`"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(other.join("notes.txt")).unwrap(),
            "keep me"
        );
        assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);
    }
);

/// The static site and the digest's mail HTML, opened from disk in headless Chromium
/// (`tests/browser/site.mjs`): the list, search in the browser, a hostile review, and the
/// digest at a phone's width and a desktop's.
#[test]
fn the_static_site_and_the_digest_work_in_headless_chromium() {
    if std::env::var_os("DEBRIEF_SKIP_BROWSER_TESTS").is_some() {
        eprintln!("DEBRIEF_SKIP_BROWSER_TESTS is set: not running the browser test");
        return;
    }
    let browser = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).exists()
            && browser.join("node_modules/playwright-core").exists(),
        "the browser test needs Chromium at {chromium} and `npm ci` run in {}; .ci/run does \
         both. Set DEBRIEF_SKIP_BROWSER_TESTS=1 to skip it.",
        browser.display()
    );
    let env = Env::sqlite();
    site_story(&env);
    env.ok(&[
        "bow",
        "add",
        "I merged with red CI because the check was flaky",
    ]);
    let site = env.dir.path().join("site");
    env.ok(&["site", "build", site.to_str().unwrap()]);
    let digest = env.dir.path().join("digest.html");
    std::fs::write(
        &digest,
        env.ok(&[
            "digest",
            "--format",
            "html",
            "--base-url",
            "https://debrief.example.com",
        ]),
    )
    .unwrap();
    let out = Command::new("node")
        .arg("site.mjs")
        .current_dir(&browser)
        .env("DEBRIEF_SITE", &site)
        .env("DEBRIEF_DIGEST", &digest)
        .env("CHROMIUM", &chromium)
        .env_remove("DEBRIEF_SCREENSHOTS")
        .output()
        .expect("run node (Node.js must be installed)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for step in [
        "the list shows the published reviews only",
        "search finds other word forms, prefixes, exclusions and phrases",
        "the search box on every page",
        "a review with hostile HTML is shown as text and nothing runs",
        "the problems and lessons pages",
        "the digest reads in one column on a phone and a desktop",
    ] {
        assert!(stdout.contains(&format!("ok - {step}")), "{stdout}");
    }
}

/// A Chaos Toolkit experiment, as `chaos init` would write one (version 1.0.0).
const CHAOS_EXPERIMENT: &str = r#"{
  "version": "1.0.0",
  "title": "Orders keep answering when one replica is killed",
  "description": "Killing one orders-api pod should be absorbed by the remaining replicas.",
  "tags": ["kubernetes", "orders-api"],
  "steady-state-hypothesis": {
    "title": "The orders health endpoint answers 200",
    "probes": [{"type": "probe", "name": "orders-api-must-be-healthy", "tolerance": 200,
                "provider": {"type": "http", "url": "http://orders/health", "timeout": 3}}]
  },
  "method": [{"type": "action", "name": "kill-one-orders-pod",
              "provider": {"type": "python", "module": "chaosk8s.pod.actions", "func": "terminate_pods",
                           "arguments": {"label_selector": "app=orders-api", "qty": 1}},
              "pauses": {"after": 10}}],
  "rollbacks": [{"type": "action", "name": "restart-orders",
                 "provider": {"type": "process", "path": "kubectl", "arguments": "rollout restart deployment/orders-api"}}]
}"#;

both!(
    a_chaos_experiment_is_imported_refuted_and_found_in_search_the_digest_and_metrics,
    |env: &Env| {
        let file = env.dir.path().join("experiment.json");
        std::fs::write(&file, CHAOS_EXPERIMENT).unwrap();
        let out = env.ok(&["experiment", "import", file.to_str().unwrap()]);
        assert!(out.starts_with("EXP-1 planned"), "{out}");
        env.ok(&["experiment", "start", "EXP-1"]);
        let out = env.ok(&[
            "experiment",
            "conclude",
            "EXP-1",
            "--outcome",
            "refuted",
            "--learnings",
            "The readiness probe lags the kill by twenty seconds, so the service keeps routing to a dead pod.",
        ]);
        assert!(out.contains("refuted (learned something)"), "{out}");
        let shown = env.ok(&["experiment", "show", "EXP-1"]);
        assert!(
            shown.contains("orders-api-must-be-healthy (tolerance 200)"),
            "{shown}"
        );
        assert!(
            shown.contains(
                "action kill-one-orders-pod (python chaosk8s.pod.actions.terminate_pods)"
            ),
            "{shown}"
        );
        // Search: a word of the learnings, in another form.
        let found = env.ok(&["search", "readiness lagging"]);
        assert!(found.contains("experiments:\nEXP-1  chaos"), "{found}");
        assert!(found.contains("refuted (learned)"), "{found}");
        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["search", "replica", "--json"])).unwrap();
        assert_eq!(json["experiments"][0]["id"], "EXP-1", "{json}");
        // A severity filter is about incidents only.
        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["search", "replica", "--severity", "SEV1", "--json"]))
                .unwrap();
        assert!(json.get("experiments").is_none(), "{json}");
        // The digest shows it as learning.
        let digest = env.ok(&["digest"]);
        assert!(
            digest.contains("## Experiments\n\n- EXP-1: Orders keep answering when one replica is killed (chaos experiment; hypothesis refuted: learned something)"),
            "{digest}"
        );
        assert!(
            digest.contains("Learned: The readiness probe lags"),
            "{digest}"
        );
        // The metrics.
        let json: serde_json::Value =
            serde_json::from_str(&env.ok(&["metrics", "--format", "json"])).unwrap();
        assert_eq!(json[0]["experiments_run"], 1, "{json}");
        assert_eq!(json[0]["experiments_concluded"], 1, "{json}");
        assert_eq!(json[0]["experiments_refuted"], 1.0, "{json}");
        // Export gives a Chaos Toolkit experiment that still runs, with debrief's fields.
        let exported: serde_json::Value =
            serde_json::from_str(&env.ok(&["experiment", "export", "EXP-1"])).unwrap();
        assert_eq!(exported["method"][0]["name"], "kill-one-orders-pod");
        let ext = exported["extensions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == "debrief")
            .unwrap();
        assert_eq!(ext["outcome"], "refuted");
        // A journal of a run concludes the planned experiment of the same title.
        let mut journal: serde_json::Value = serde_json::json!({
            "chaoslib-version": "1.42.0",
            "experiment": serde_json::from_str::<serde_json::Value>(CHAOS_EXPERIMENT).unwrap(),
            "start": "2026-11-30T09:14:02.531842", "end": "2026-11-30T09:14:31.004417",
            "status": "completed", "deviated": false,
            "steady_states": {"before": {"steady_state_met": true, "probes": []},
                              "after": {"steady_state_met": true, "probes": []}, "during": []},
            "run": [], "rollbacks": []
        });
        journal["experiment"]["title"] = "Orders keep answering during a zone drain".into();
        env.ok(&[
            "experiment",
            "new",
            "Orders keep answering during a zone drain",
            "--kind",
            "chaos",
            "--hypothesis",
            "Draining a zone costs no orders",
        ]);
        let jfile = env.dir.path().join("journal.json");
        std::fs::write(&jfile, journal.to_string()).unwrap();
        let out = env.ok(&["experiment", "import", jfile.to_str().unwrap()]);
        assert!(
            out.starts_with("EXP-2 concluded from the run") && out.contains("confirmed"),
            "{out}"
        );
        let j: serde_json::Value =
            serde_json::from_str(&env.ok(&["experiment", "export", "EXP-2", "--journal"])).unwrap();
        assert_eq!(j["status"], "completed");
        // Bad files: a clear error, nothing stored.
        std::fs::write(&file, "{\"title\": \"x\"}").unwrap();
        let err = env.fails(&["experiment", "import", file.to_str().unwrap()]);
        assert!(err.contains("no description"), "{err}");
        std::fs::write(&file, b"\xff\xfe{").unwrap();
        let err = env.fails(&["experiment", "import", file.to_str().unwrap()]);
        assert!(err.contains("not UTF-8"), "{err}");
        let err = env.fails(&["experiment", "conclude", "EXP-1", "--outcome", "confirmed"]);
        assert!(err.contains("concluded already"), "{err}");
        let list = env.ok(&["experiment", "list"]);
        assert_eq!(list.lines().count(), 3, "{list}");
        // Export and import round trip, through a fresh store.
        let dump = env.dir.path().join("dump");
        let out = env.ok(&["export", dump.to_str().unwrap()]);
        assert!(
            out.contains("exported 0 reviews and 2 experiments to"),
            "{out}"
        );
        let again = Env::sqlite();
        let out = again.ok(&["import", dump.to_str().unwrap()]);
        assert!(out.contains("experiments: 2 created"), "{out}");
        assert_eq!(
            again.ok(&["experiment", "show", "EXP-1", "--json"]),
            env.ok(&["experiment", "show", "EXP-1", "--json"])
        );
        let out = again.ok(&["import", dump.to_str().unwrap()]);
        assert!(
            out.contains("experiments: 0 created, 0 updated, 2 unchanged"),
            "{out}"
        );
        // The API and the pages.
        let server = Server::start(env);
        let reader = token(env, "reader");
        let (status, list) = server.json("/api/v1/experiments", &reader);
        assert_eq!(status, 200);
        assert_eq!(list.as_array().unwrap().len(), 2);
        let (status, one) = server.json("/api/v1/experiments/EXP-1", &reader);
        assert_eq!((status, one["outcome"].as_str()), (200, Some("refuted")));
        let (status, _, body) =
            server.request("GET", "/api/v1/experiments/EXP-9", Some(&reader), None);
        assert_eq!(
            (status, error_code(&body).as_str()),
            (404, "not_found"),
            "{body}"
        );
        let cookie = sign_in(&server, &reader);
        let (status, _, page) = server.send(
            "GET",
            "/experiments/EXP-1",
            None,
            None,
            &[("Cookie", &cookie)],
        );
        assert_eq!(status, 200);
        assert!(
            page.contains("hypothesis refuted: learned something"),
            "{page}"
        );
        assert!(page.contains("What was learned"), "{page}");
        let (_, _, page) = server.send(
            "GET",
            "/search?q=readiness",
            None,
            None,
            &[("Cookie", &cookie)],
        );
        assert!(page.contains("href=\"/experiments/EXP-1\""), "{page}");
        let (_, _, page) = server.send("GET", "/learning", None, None, &[("Cookie", &cookie)]);
        assert!(page.contains("2 run, 2 concluded, 50% refuted"), "{page}");
        // Through the API: import, start, and stop with the reason; readers cannot.
        let (status, _, _) = server.request(
            "POST",
            "/api/v1/experiments/import",
            Some(&reader),
            Some(CHAOS_EXPERIMENT),
        );
        assert_eq!(status, 403);
        let writer = token(env, "writer");
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/experiments/import",
            Some(&writer),
            Some(CHAOS_EXPERIMENT),
        );
        assert_eq!(status, 201, "{body}");
        assert!(body.contains(r#""id":"EXP-3""#), "{body}");
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/experiments/import",
            Some(&writer),
            Some("{\"title\": 1}"),
        );
        assert_eq!(
            (status, error_code(&body).as_str()),
            (400, "invalid"),
            "{body}"
        );
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/experiments/EXP-3/start",
            Some(&writer),
            None,
        );
        assert_eq!(status, 200, "{body}");
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/experiments/EXP-3/abort",
            Some(&writer),
            Some("{}"),
        );
        assert_eq!(
            (status, error_code(&body).as_str()),
            (400, "invalid"),
            "{body}"
        );
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/experiments/EXP-3/abort",
            Some(&writer),
            Some(r#"{"reason": "Checkout 5xx passed 2% for a minute"}"#),
        );
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains(r#""outcome":"aborted""#) && body.contains("Checkout 5xx passed 2%"),
            "{body}"
        );
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/experiments/EXP-3/launch",
            Some(&writer),
            None,
        );
        assert_eq!(
            (status, error_code(&body).as_str()),
            (404, "not_found"),
            "{body}"
        );
        // From the page: a writer starts one and stops it, with the reason; a reader sees no form.
        env.ok(&[
            "experiment",
            "new",
            "Canary the new search index",
            "--kind",
            "canary",
            "--hypothesis",
            "p99 stays under 200 ms at 5% of traffic",
        ]);
        let (_, _, page) = server.send(
            "GET",
            "/experiments/EXP-4",
            None,
            None,
            &[("Cookie", &cookie)],
        );
        assert!(
            !page.contains("Start it now"),
            "a reader gets no form: {page}"
        );
        let wcookie = sign_in(&server, &writer);
        let (_, _, page) = server.send(
            "GET",
            "/experiments/EXP-4",
            None,
            None,
            &[("Cookie", &wcookie)],
        );
        let csrf = attr_after(&page, "action=\"/experiments/EXP-4/step\"", "value");
        let (status, _, _) = post_form(
            &server,
            "/experiments/EXP-4/step",
            &wcookie,
            &[("csrf", &csrf), ("step", "start")],
            None,
        );
        assert_eq!(status, 303);
        let (status, _, body) = post_form(
            &server,
            "/experiments/EXP-4/step",
            &wcookie,
            &[("csrf", &csrf), ("step", "abort"), ("reason", " ")],
            None,
        );
        assert_eq!(status, 400, "{body}");
        let (status, _, body) = post_form(
            &server,
            "/experiments/EXP-4/step",
            &wcookie,
            &[("csrf", &csrf), ("step", "start")],
            None,
        );
        assert!(
            status == 400 && body.contains("only a planned experiment starts"),
            "{status} {body}"
        );
        let (status, _, _) = post_form(
            &server,
            "/experiments/EXP-4/step",
            &wcookie,
            &[
                ("csrf", &csrf),
                ("step", "abort"),
                ("reason", "p99 passed 400 ms"),
            ],
            None,
        );
        assert_eq!(status, 303);
        let (_, _, page) = server.send(
            "GET",
            "/experiments/EXP-4",
            None,
            None,
            &[("Cookie", &wcookie)],
        );
        assert!(
            page.contains("stopped by its abort criteria") && page.contains("p99 passed 400 ms"),
            "{page}"
        );
        let (status, _, _) = post_form(
            &server,
            "/experiments/EXP-4/step",
            &wcookie,
            &[("csrf", "forged"), ("step", "start")],
            None,
        );
        assert_eq!(status, 403);
    }
);

both!(a_premortem_in_the_api_and_its_page, |env: &Env| {
    env.ok(&[
        "premortem",
        "new",
        "EU checkout launch <b>now</b>",
        "--launch",
        "2026-12-15",
    ]);
    env.ok(&[
        "premortem",
        "add-risk",
        "PM-1",
        "The payment provider rate-limits the new region",
        "--likelihood",
        "medium",
        "--impact",
        "high",
    ]);
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Payments throttled",
        "--severity",
        "SEV2",
    ]);
    env.ok(&[
        "incident",
        "new",
        "--title",
        "Postcodes rejected",
        "--severity",
        "SEV3",
    ]);
    env.ok(&["premortem", "link", "PM-1", "INC-1", "--risk", "1"]);
    env.ok(&["premortem", "link", "PM-1", "INC-2"]);
    let server = Server::start(env);
    let reader = token(env, "reader");
    let (status, p) = server.json("/api/v1/premortems/PM-1", &reader);
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["foresight"]["foreseen"], 1);
    assert_eq!(p["foresight"]["surprises"], 1);
    let (status, all) = server.json("/api/v1/premortems", &reader);
    assert_eq!((status, all.as_array().map(Vec::len)), (200, Some(1)));
    let cookie = sign_in(&server, &reader);
    let (status, _, page) = server.send(
        "GET",
        "/premortems/PM-1",
        None,
        None,
        &[("Cookie", &cookie)],
    );
    assert_eq!(status, 200);
    assert!(
        page.contains("1 foreseen")
            && page.contains("1 surprises")
            && page.contains("foresight 50%"),
        "{page}"
    );
    assert!(
        page.contains("Realised by <a href=\"/incidents/INC-1\">INC-1</a>"),
        "{page}"
    );
    assert!(
        page.contains("No risk foresaw: <a href=\"/incidents/INC-2\">INC-2</a>"),
        "{page}"
    );
    assert!(
        page.contains("EU checkout launch &lt;b&gt;now&lt;/b&gt;"),
        "{page}"
    );
    let (status, _, _) = server.send(
        "GET",
        "/premortems/PM-7",
        None,
        None,
        &[("Cookie", &cookie)],
    );
    assert_eq!(status, 404);
    // Search finds it by a risk, in another word form; the page links it.
    let found = env.ok(&["search", "rate limiting"]);
    assert!(
        found.contains("pre-mortems:\nPM-1  2026-12-15  1 risks, 1 foreseen, 1 surprises"),
        "{found}"
    );
    let (_, _, page) = server.send(
        "GET",
        "/search?q=provider",
        None,
        None,
        &[("Cookie", &cookie)],
    );
    assert!(page.contains("href=\"/premortems/PM-1\""), "{page}");
    // The digest of the launch's week shows it.
    let digest = env.ok(&["digest", "--since", "2026-12-10", "--until", "2026-12-17"]);
    assert!(
        digest.contains("## Launches and their pre-mortems\n\n- PM-1: EU checkout launch \\<b\\>now\\</b\\> (launch 2026-12-15): 1 risk (0 mitigated); 1 incident foreseen, 1 surprises"),
        "{digest}"
    );

    // Written through the API: a writer starts one, adds risks, marks one, links incidents.
    let writer = token(env, "writer");
    let post = |path: &str, token: &str, body: &str| {
        let (status, _, answer) = server.request("POST", path, Some(token), Some(body));
        (
            status,
            serde_json::from_str(&answer).unwrap_or(serde_json::Value::Null),
        )
    };
    let new = r#"{"title": "Search re-index", "launch": "2026-12-20"}"#;
    assert_eq!(post("/api/v1/premortems", &reader, new).0, 403);
    let (status, p) = post("/api/v1/premortems", &writer, new);
    assert_eq!(
        (status, p["premortem"]["id"].as_str()),
        (201, Some("PM-2")),
        "{p}"
    );
    let (status, p) = post(
        "/api/v1/premortems/PM-2/risks",
        &writer,
        r#"{"text": "The old index is dropped too soon", "likelihood": "high", "impact": "high"}"#,
    );
    assert_eq!(
        (status, p["foresight"]["risks"].as_u64()),
        (201, Some(1)),
        "{p}"
    );
    let (status, p) = post(
        "/api/v1/premortems/PM-2/risks",
        &writer,
        r#"{"text": "x", "likelihood": "often", "impact": "high"}"#,
    );
    assert_eq!(status, 400, "{p}");
    let (status, p) = post(
        "/api/v1/premortems/PM-2/risks/1",
        &writer,
        r#"{"mitigated": true}"#,
    );
    assert_eq!(status, 400, "no mitigation said: {p}");
    let (status, p) = post(
        "/api/v1/premortems/PM-2/risks/9",
        &writer,
        r#"{"mitigated": false}"#,
    );
    assert_eq!(status, 400, "{p}");
    assert!(p.to_string().contains("no risk 9"), "{p}");
    let (status, p) = post(
        "/api/v1/premortems/PM-2/incidents",
        &writer,
        r#"{"incident": "INC-2", "risk": 1}"#,
    );
    assert_eq!(
        (status, p["foresight"]["foreseen"].as_u64()),
        (200, Some(1)),
        "{p}"
    );
    let (status, _) = post(
        "/api/v1/premortems/PM-2/incidents",
        &writer,
        r#"{"incident": "INC-9"}"#,
    );
    assert_eq!(status, 404);

    // And from the web UI: a writer starts one, adds a risk, marks it, links an incident.
    let wcookie = sign_in(&server, &writer);
    let (_, _, list) = server.send("GET", "/premortems", None, None, &[("Cookie", &wcookie)]);
    let csrf = attr_after(&list, "id=\"new-premortem\"", "value");
    let (status, headers, _) = post_form(
        &server,
        "/premortems",
        &wcookie,
        &[
            ("csrf", &csrf),
            ("title", "Billing migration"),
            ("launch", "2026-12-22"),
        ],
        None,
    );
    assert_eq!(
        (status, location(&headers)),
        (303, "/premortems/PM-3".to_string())
    );
    let (status, _, _) = post_form(
        &server,
        "/premortems/PM-3/risk",
        &wcookie,
        &[
            ("csrf", &csrf),
            ("text", "Invoices sent twice"),
            ("likelihood", "medium"),
            ("impact", "high"),
            ("mitigation", "Idempotency keys"),
            ("owner", "billing"),
        ],
        None,
    );
    assert_eq!(status, 303);
    for fields in [
        &[
            ("csrf", csrf.as_str()),
            ("risk", "1"),
            ("mitigated", "true"),
        ][..],
        &[
            ("csrf", csrf.as_str()),
            ("incident", "INC-1"),
            ("risk", "1"),
        ][..],
        &[("csrf", csrf.as_str()), ("incident", "INC-2"), ("risk", "")][..],
    ] {
        let path = if fields.len() == 3 && fields[1].0 == "risk" {
            "/premortems/PM-3/mitigated"
        } else {
            "/premortems/PM-3/link"
        };
        let (status, _, page) = post_form(&server, path, &wcookie, fields, None);
        assert_eq!(status, 303, "{path}: {page}");
    }
    let (status, _, _) = post_form(
        &server,
        "/premortems/PM-3/link",
        &wcookie,
        &[("csrf", "forged"), ("incident", "INC-1")],
        None,
    );
    assert_eq!(status, 403);
    let (_, _, page) = server.send(
        "GET",
        "/premortems/PM-3",
        None,
        None,
        &[("Cookie", &wcookie)],
    );
    assert!(
        page.contains("1 risks, 1 mitigated · incidents: 1 foreseen, 1 surprises"),
        "{page}"
    );
    assert!(
        page.contains("Realised by <a href=\"/incidents/INC-1\">INC-1</a>"),
        "{page}"
    );
    assert!(
        page.contains("action=\"/premortems/PM-3/risk\""),
        "a writer's form"
    );
    let (_, _, page) = server.send(
        "GET",
        "/premortems/PM-3",
        None,
        None,
        &[("Cookie", &cookie)],
    );
    assert!(
        !page.contains("action=\"/premortems/PM-3/risk\""),
        "no form for a reader"
    );
});

both!(a_retro_through_the_api_and_its_page, |env: &Env| {
    let server = Server::start(env);
    let writer = token(env, "writer");
    let reader = token(env, "reader");
    let new = r#"{"title": "Sprint <b>42</b>", "team": "payments", "held": "2026-11-20"}"#;
    let (status, _, body) = server.request("POST", "/api/v1/retros", Some(&reader), Some(new));
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = server.request("POST", "/api/v1/retros", Some(&writer), Some(new));
    assert_eq!(status, 201, "{body}");
    let r: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (r["id"].as_str(), r["closed"].is_null()),
        (Some("RETRO-1"), true)
    );
    for item in [
        r#"{"kind": "stop", "text": "Friday deploys <script>alert(1)</script>"}"#,
        r#"{"kind": "start", "text": "Pair on runbook changes"}"#,
    ] {
        let (status, _, body) = server.request(
            "POST",
            "/api/v1/retros/RETRO-1/items",
            Some(&writer),
            Some(item),
        );
        assert_eq!(status, 201, "{body}");
    }
    let (status, _, body) = server.request(
        "POST",
        "/api/v1/retros/RETRO-1/items",
        Some(&writer),
        Some(r#"{"kind": "maybe", "text": "x"}"#),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("start, stop, continue"), "{body}");
    let (status, _, body) = server.request(
        "POST",
        "/api/v1/retros/RETRO-1/votes",
        Some(&writer),
        Some(r#"{"item": 2, "votes": 2}"#),
    );
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = server.request(
        "POST",
        "/api/v1/retros/RETRO-1/votes",
        Some(&writer),
        Some(r#"{"item": 9}"#),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("no item 9"), "{body}");

    // The page: escaped text, items by votes, and a writer's forms.
    let cookie = sign_in(&server, &writer);
    let (status, _, page) =
        server.send("GET", "/retros/RETRO-1", None, None, &[("Cookie", &cookie)]);
    assert_eq!(status, 200);
    assert!(page.contains("Sprint &lt;b&gt;42&lt;/b&gt;"), "{page}");
    assert!(page.contains("Friday deploys &lt;script&gt;"), "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    let first = page.find("Pair on runbook changes").unwrap();
    assert!(
        first < page.find("Friday deploys").unwrap(),
        "most votes first"
    );
    let csrf = attr_after(&page, "name=\"csrf\"", "value");
    let (status, headers, _) = post_form(
        &server,
        "/retros/RETRO-1/vote",
        &cookie,
        &[("csrf", &csrf), ("item", "1")],
        None,
    );
    assert_eq!(status, 303);
    assert_eq!(location(&headers), "/retros/RETRO-1");
    let (status, _, _) = post_form(
        &server,
        "/retros/RETRO-1/vote",
        &cookie,
        &[("csrf", "forged"), ("item", "1")],
        None,
    );
    assert_eq!(status, 403);
    let (_, r) = server.json("/api/v1/retros/RETRO-1", &reader);
    assert_eq!(
        (
            r["items"][0]["votes"].as_u64(),
            r["items"][1]["votes"].as_u64()
        ),
        (Some(1), Some(2))
    );
    // Closing from the page: only the item given a team becomes an action item.
    let (status, _, _) = post_form(
        &server,
        "/retros/RETRO-1/close",
        &cookie,
        &[
            ("csrf", &csrf),
            ("owner_2", "sre"),
            ("owner_1", " "),
            ("due", "2099-01-01"),
        ],
        None,
    );
    assert_eq!(status, 303);
    let (_, r) = server.json("/api/v1/retros/RETRO-1", &reader);
    assert_eq!(r["actions"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(r["actions"][0]["owner"], "sre");
    assert_eq!(r["actions"][0]["title"], "Start: Pair on runbook changes");
    assert_eq!(r["items"][1]["action"], r["actions"][0]["id"]);
    let (status, _, body) = server.request(
        "POST",
        "/api/v1/retros/RETRO-1/close",
        Some(&writer),
        Some(r#"{"actions": []}"#),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("closed already"), "{body}");
    // A reader sees no forms on a closed retro; the board links the item to it.
    let reader_cookie = sign_in(&server, &reader);
    let (_, _, page) = server.send(
        "GET",
        "/retros/RETRO-1",
        None,
        None,
        &[("Cookie", &reader_cookie)],
    );
    assert!(
        !page.contains("<form method=\"post\" action=\"/retros"),
        "{page}"
    );
    assert!(
        page.contains("A-1 <span class=\"muted\">open, owner sre, due 2099-01-01"),
        "{page}"
    );
    let (_, actions) = server.json("/api/v1/actions", &reader);
    assert_eq!(actions[0]["retro"], "RETRO-1", "{actions}");
    assert_eq!(actions[0]["source_title"], "Sprint <b>42</b>");
    let (_, _, board) = server.send("GET", "/actions", None, None, &[("Cookie", &reader_cookie)]);
    assert!(
        board.contains("<a href=\"/retros/RETRO-1\">RETRO-1</a> Sprint &lt;b&gt;42"),
        "{board}"
    );
    let (status, _, body) = server.request(
        "PATCH",
        "/api/v1/actions/A-1",
        Some(&writer),
        Some(r#"{"status": "done"}"#),
    );
    assert_eq!(status, 200, "{body}");
    let done: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (done["retro"].as_str(), done["source_open"].as_u64()),
        (Some("RETRO-1"), Some(0))
    );
    assert_eq!(done["action"]["status"], "done");
    let (status, _, list) =
        server.send("GET", "/retros", None, None, &[("Cookie", &reader_cookie)]);
    assert_eq!(status, 200);
    assert!(
        list.contains("<a href=\"/retros/RETRO-1\">RETRO-1</a>"),
        "{list}"
    );
    assert!(list.contains("1 (0 open)"), "{list}");
    let (_, _, found) = server.send(
        "GET",
        "/search?q=runbooks",
        None,
        None,
        &[("Cookie", &reader_cookie)],
    );
    assert!(
        found.contains("<h2>Retrospectives</h2>") && found.contains("href=\"/retros/RETRO-1\""),
        "{found}"
    );
    assert!(
        found.contains("<mark>"),
        "the words found are marked: {found}"
    );
    let (status, _, _) = server.send(
        "GET",
        "/retros/RETRO-9",
        None,
        None,
        &[("Cookie", &reader_cookie)],
    );
    assert_eq!(status, 404);
});

both!(
    an_experiment_is_planned_from_the_api_and_the_web_ui,
    |env: &Env| {
        let server = Server::start(env);
        let (reader, writer) = (token(env, "reader"), token(env, "writer"));
        let body = r#"{"title": "Kill one orders pod", "kind": "chaos",
        "hypothesis": "Orders keep answering when a replica dies",
        "blast_radius": "one pod in staging", "guardrails": ["orders 5xx < 1%"]}"#;
        let (status, _, _) =
            server.request("POST", "/api/v1/experiments", Some(&reader), Some(body));
        assert_eq!(status, 403);
        let (status, _, answer) =
            server.request("POST", "/api/v1/experiments", Some(&writer), Some(body));
        assert_eq!(status, 201, "{answer}");
        let e: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(
            (e["id"].as_str(), e["status"].as_str()),
            (Some("EXP-1"), Some("planned"))
        );
        assert_eq!(e["guardrails"][0], "orders 5xx < 1%");
        for (bad, why) in [
            (
                r#"{"title": "x", "kind": "yolo", "hypothesis": "h"}"#,
                "experiment kind",
            ),
            (
                r#"{"title": "x", "kind": "canary", "hypothesis": " "}"#,
                "hypothesis",
            ),
            (r#"{"title": "x", "kind": "canary"}"#, "hypothesis"),
        ] {
            let (status, _, answer) =
                server.request("POST", "/api/v1/experiments", Some(&writer), Some(bad));
            assert_eq!(status, 400, "{bad}: {answer}");
            assert!(answer.contains(why), "{bad}: {answer}");
        }
        // The web UI: a writer plans one from the list page, then may start it from its page.
        let cookie = sign_in(&server, &writer);
        let (_, _, list) = server.send("GET", "/experiments", None, None, &[("Cookie", &cookie)]);
        let csrf = attr_after(&list, "id=\"new-experiment\"", "value");
        let (status, headers, _) = post_form(
            &server,
            "/experiments",
            &cookie,
            &[
                ("csrf", &csrf),
                ("title", "Checkout <b>canary</b>"),
                ("kind", "canary"),
                ("hypothesis", "Error rate stays flat at 5%"),
                ("guardrails", "checkout 5xx < 0.5%\r\n\r\np99 < 800 ms\r\n"),
            ],
            None,
        );
        assert_eq!(
            (status, location(&headers)),
            (303, "/experiments/EXP-2".to_string())
        );
        let (_, e) = server.json("/api/v1/experiments/EXP-2", &reader);
        assert_eq!(
            e["guardrails"],
            serde_json::json!(["checkout 5xx < 0.5%", "p99 < 800 ms"])
        );
        let (_, _, page) = server.send(
            "GET",
            "/experiments/EXP-2",
            None,
            None,
            &[("Cookie", &cookie)],
        );
        assert!(
            page.contains("Checkout &lt;b&gt;canary&lt;/b&gt;"),
            "{page}"
        );
        assert!(page.contains("Start it now"), "{page}");
        let (status, _, _) = post_form(
            &server,
            "/experiments",
            &cookie,
            &[
                ("csrf", "forged"),
                ("title", "x"),
                ("kind", "canary"),
                ("hypothesis", "h"),
            ],
            None,
        );
        assert_eq!(status, 403);
        let reader_cookie = sign_in(&server, &reader);
        let (_, _, list) = server.send(
            "GET",
            "/experiments",
            None,
            None,
            &[("Cookie", &reader_cookie)],
        );
        assert!(!list.contains("new-experiment"), "no form for a reader");
    }
);
