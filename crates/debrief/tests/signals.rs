//! `debrief signals` as a user runs it: real log files (plain, gzip, JSON lines, journald,
//! Kubernetes events), a real store, and the report a person reads the morning after.

mod common;

use std::io::Write;
use std::path::PathBuf;

use common::Env;
use serde_json::Value;

/// Days of log: a baseline day, then a day with a retry storm in `payments` and a timeout
/// cascade in `ledger` from 14:00.
struct Logs {
    day1: PathBuf,
    day2: PathBuf,
}

fn syslog(out: &mut String, day: u32, secs: u32, program: &str, pid: u32, msg: &str) {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    out.push_str(&format!(
        "Nov {day:2} {h:02}:{m:02}:{s:02} web-{pid} {program}[{pid}]: {msg}\n"
    ));
}

fn json_line(out: &mut String, day: u32, secs: u32, level: &str, service: &str, msg: &str) {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let v = serde_json::json!({
        "time": format!("2026-11-{day:02}T{h:02}:{m:02}:{s:02}.{:03}Z", secs % 1000),
        "level": level,
        "service": service,
        "msg": msg,
    });
    out.push_str(&v.to_string());
    out.push('\n');
}

/// One day of ordinary traffic, the same every day: requests, a steady trickle of
/// harmless errors, and a rare database timeout.
fn ordinary_day(plain: &mut String, json: &mut String, day: u32) {
    for i in 0..2880u32 {
        let t = i * 30;
        syslog(
            plain,
            day,
            t,
            "checkout",
            4100 + i % 7,
            &format!(
                "Handled request GET /api/cart/{} in {}ms",
                1000 + i,
                20 + i % 50
            ),
        );
        if i % 4 == 0 {
            syslog(
                plain,
                day,
                t + 1,
                "payments",
                5100,
                &format!("Charged order {} for {} cents", 90000 + i, 100 + i),
            );
            json_line(
                json,
                day,
                t + 2,
                "info",
                "ledger",
                &format!("Posted entry {} to account acct-{}", 700000 + i, i % 90),
            );
        }
        if i % 96 == 0 {
            syslog(
                plain,
                day,
                t + 3,
                "checkout",
                4100,
                &format!(
                    "ERROR Failed to parse header X-Client-Version from 10.0.{}.{}",
                    i % 9,
                    i % 200
                ),
            );
        }
        if i % 720 == 0 {
            json_line(
                json,
                day,
                t + 4,
                "error",
                "ledger",
                &format!("upstream database query timed out after {}ms", 5000 + i),
            );
        }
    }
}

fn make_logs(dir: &std::path::Path) -> Logs {
    let (mut plain1, mut json1) = (String::new(), String::new());
    ordinary_day(&mut plain1, &mut json1, 20);
    let (mut plain2, mut json2) = (String::new(), String::new());
    ordinary_day(&mut plain2, &mut json2, 21);
    // Day two, from 14:00: payments retries every charge, ledger's queries time out.
    for i in 0..400u32 {
        let t = 14 * 3600 + i * 4;
        syslog(
            &mut plain2,
            21,
            t,
            "payments",
            5100,
            &format!(
                "WARN Retrying charge request to ledger (attempt {} of 5) after {}ms",
                2 + i % 4,
                200 * (1 + i % 4)
            ),
        );
        if i % 2 == 0 {
            json_line(
                &mut json2,
                21,
                t + 180 + 1,
                "error",
                "ledger",
                &format!("upstream database query timed out after {}ms", 5000 + i),
            );
        }
    }
    let day1 = dir.join("day1.log");
    let day2 = dir.join("day2.log");
    std::fs::write(&day1, plain1 + &json1).unwrap();
    std::fs::write(&day2, plain2 + &json2).unwrap();
    Logs { day1, day2 }
}

fn report_json(env: &Env, extra: &[&str]) -> Value {
    let mut args = vec![
        "signals",
        "report",
        "--since",
        "24h",
        "--baseline",
        "1d",
        "--json",
    ];
    args.extend_from_slice(extra);
    serde_json::from_str(&env.ok(&args)).unwrap()
}

both!(
    a_retry_storm_and_a_timeout_cascade_rank_first,
    |env: &Env| {
        let logs = make_logs(env.dir.path());
        env.ok(&["signals", "scan", logs.day1.to_str().unwrap()]);
        env.ok(&["signals", "scan", logs.day2.to_str().unwrap()]);
        let report = report_json(env, &[]);
        let signals = report["signals"].as_array().unwrap();
        assert!(signals.len() >= 3, "{report:#}");

        let first = &signals[0];
        assert_eq!(first["kind"], "retry", "{first:#}");
        assert_eq!(first["trend"], "new", "{first:#}");
        assert_eq!(first["count"], 400);
        assert_eq!(first["services"], serde_json::json!(["payments"]));
        assert!(
            first["template"]
                .as_str()
                .unwrap()
                .contains("Retrying charge request to ledger")
        );
        let example = &first["examples"][0];
        assert!(
            example["line"]
                .as_str()
                .unwrap()
                .contains("Retrying charge request"),
            "{example:#}"
        );
        assert!(
            !example["variables"].as_array().unwrap().is_empty(),
            "{example:#}"
        );

        let second = &signals[1];
        assert_eq!(second["kind"], "timeout", "{second:#}");
        assert_eq!(second["trend"], "rising", "{second:#}");
        assert_eq!(second["count"], 200 + 4);
        assert_eq!(second["baseline_count"], 4);
        assert_eq!(second["services"], serde_json::json!(["ledger"]));

        // The steady trickle of parse errors is there, but below them and steady.
        let steady = signals
            .iter()
            .find(|s| s["template"].as_str().unwrap().contains("X-Client-Version"))
            .expect("the steady error is reported");
        assert_eq!(steady["trend"], "steady");
        assert_eq!(steady["kind"], "error");

        // Ordinary traffic is not a weak signal.
        assert!(signals.iter().all(|s| s["kind"] != "none"));

        // The two rose together, in two services, payments first.
        let cascades = report["cascades"].as_array().unwrap();
        assert_eq!(cascades.len(), 1, "{report:#}");
        let members = cascades[0]["members"].as_array().unwrap();
        let services: Vec<&str> = members
            .iter()
            .map(|m| m["service"].as_str().unwrap())
            .collect();
        assert_eq!(services, ["payments", "ledger"]);
        assert_eq!(members[0]["kind"], "retry");
        assert_eq!(members[1]["kind"], "timeout");

        // --kind and --service filter.
        let only = report_json(env, &["--kind", "timeout"]);
        let kinds: Vec<&str> = only["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["timeout"]);
        let only = report_json(env, &["--service", "checkout"]);
        assert!(only["signals"].as_array().unwrap().iter().all(|s| {
            s["services"]
                .as_array()
                .unwrap()
                .contains(&Value::from("checkout"))
        }));

        // The table and Markdown forms show the same ranking.
        let table = env.ok(&["signals", "report", "--since", "24h", "--baseline", "1d"]);
        let fp = first["fingerprint"].as_str().unwrap();
        let first_row = table.lines().find(|l| l.contains(" retry ")).unwrap();
        assert!(first_row.starts_with(fp), "{table}");
        assert!(table.contains("Cascade 1 from"), "{table}");
        let md = env.ok(&[
            "signals",
            "report",
            "--since",
            "24h",
            "--baseline",
            "1d",
            "--markdown",
        ]);
        assert!(
            md.contains(&format!("| `{fp}` | retry | new | 400 |")),
            "{md}"
        );

        // Promote opens an incident with the evidence on its timeline.
        let out = env.ok(&["signals", "promote", &fp[..8]]);
        assert!(out.contains("Opened INC-1"), "{out}");
        let inc: Value =
            serde_json::from_str(&env.ok(&["incident", "show", "INC-1", "--json"])).unwrap();
        assert_eq!(inc["detection"], "signal");
        assert_eq!(inc["services"], serde_json::json!(["payments"]));
        let timeline = inc["timeline"].as_array().unwrap();
        assert!(
            timeline[0]["text"].as_str().unwrap().contains("400 lines"),
            "{inc:#}"
        );
        assert!(timeline.iter().any(|e| {
            e["text"]
                .as_str()
                .unwrap()
                .contains("Retrying charge request to ledger (attempt")
        }));
        // … or adds to an existing one.
        let timeout_fp = second["fingerprint"].as_str().unwrap();
        env.ok(&["signals", "promote", timeout_fp, "--incident", "INC-1"]);
        let inc: Value =
            serde_json::from_str(&env.ok(&["incident", "show", "INC-1", "--json"])).unwrap();
        assert_eq!(inc["services"], serde_json::json!(["payments", "ledger"]));
        assert!(
            inc["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["text"].as_str().unwrap().contains("timed out"))
        );
        let err = env.fails(&["signals", "promote", "ffffffffffffffff"]);
        assert!(err.contains("no signal ffffffffffffffff"), "{err}");
    }
);

both!(
    scanning_a_then_b_equals_scanning_both_at_once,
    |env: &Env| {
        let logs = make_logs(env.dir.path());
        env.ok(&["signals", "scan", logs.day1.to_str().unwrap()]);
        env.ok(&["signals", "scan", logs.day2.to_str().unwrap()]);
        let apart = report_json(
            env,
            &[
                "--kind", "none", "--kind", "retry", "--kind", "timeout", "--kind", "error",
            ],
        );

        let together = Env::sqlite();
        let both = env.dir.path().join("both.log");
        let mut text = std::fs::read(&logs.day1).unwrap();
        text.extend(std::fs::read(&logs.day2).unwrap());
        std::fs::write(&both, text).unwrap();
        together.ok(&["signals", "scan", both.to_str().unwrap()]);
        let at_once = report_json(
            &together,
            &[
                "--kind", "none", "--kind", "retry", "--kind", "timeout", "--kind", "error",
            ],
        );

        let key = |r: &Value| -> Vec<(String, u64, u64, String)> {
            let mut v: Vec<_> = r["signals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    (
                        s["fingerprint"].as_str().unwrap().to_string(),
                        s["count"].as_u64().unwrap(),
                        s["baseline_count"].as_u64().unwrap(),
                        s["trend"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(key(&apart), key(&at_once));
        assert!(key(&apart).len() >= 6);
    }
);

fn write(env: &Env, name: &str, bytes: &[u8]) -> String {
    let p = env.dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn parse_jsonl(env: &Env, file: &str) -> Vec<Value> {
    env.ok(&["signals", "parse", "--output", "jsonl", file])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn plain_lines_with_common_headers_are_split() {
    let env = Env::sqlite();
    let f = write(&env, "mixed.log", b"\
2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001
081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating
Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4
[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6
2024-03-01T14:02:00.123Z WARN  checkout - Retrying connect to db-1:5432 (attempt 2 of 5)
");
    let rows = parse_jsonl(&env, &f);
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[0]["message"],
        "Created MRAppMaster for application appattempt_1445144423722_0020_000001"
    );
    assert_eq!(rows[0]["level"], "info");
    assert_eq!(rows[0]["time"], "2015-10-18T18:01:47.978Z");
    assert_eq!(
        rows[1]["message"],
        "PacketResponder 1 for block blk_38865049064139660 terminating"
    );
    assert_eq!(rows[1]["service"], "dfs.DataNode$PacketResponder");
    assert!(
        rows[2]["message"]
            .as_str()
            .unwrap()
            .starts_with("authentication failure;")
    );
    assert_eq!(rows[3]["level"], "error");
    assert_eq!(rows[3]["kind"], "error");
    assert_eq!(rows[4]["kind"], "retry");
    assert_eq!(
        rows[4]["template"],
        "Retrying connect to <*> (attempt <*> of <*>)"
    );
}

#[test]
fn gzip_and_stdin_read_like_plain_files() {
    let env = Env::sqlite();
    let text = "Jun 14 15:16:01 combo sshd[1]: session opened for user root\nJun 14 15:16:02 combo sshd[2]: session opened for user root\n";
    let plain = env.ok(&["signals", "parse", &write(&env, "a.log", text.as_bytes())]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    // The name does not matter: gzip is known by its magic bytes.
    let gzipped = env.ok(&[
        "signals",
        "parse",
        &write(&env, "a.log.1", &gz.finish().unwrap()),
    ]);
    assert_eq!(plain, gzipped);
    let out = env.run_stdin(&["signals", "parse", "-"], text.as_bytes());
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), plain);
    assert!(
        plain.starts_with("line,template_id,kind,template\n1,"),
        "{plain}"
    );
    // A named pipe can be read only once; parse reads its input twice.
    let fifo = env.dir.path().join("pipe.log");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let (fifo, text) = (fifo.clone(), text.to_string());
        std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
    };
    let piped = env.ok(&["signals", "parse", fifo.to_str().unwrap()]);
    writer.join().unwrap();
    assert_eq!(piped, plain);
}

#[test]
fn json_lines_and_journald_are_read_by_field() {
    let env = Env::sqlite();
    let f = write(&env, "app.jsonl", br#"{"level":50,"time":1700000000123,"pid":1,"hostname":"api-1","name":"billing","msg":"charge failed: connection refused"}
{"time":"2024-03-01T14:02:00Z","level":"warning","msg":"429 Too Many Requests from upstream: throttled","service":"gateway"}
{"__REALTIME_TIMESTAMP":"1700000000000000","PRIORITY":"3","_SYSTEMD_UNIT":"nginx.service","SYSLOG_IDENTIFIER":"nginx","MESSAGE":"upstream timed out (110: Connection timed out) while reading response header"}
{"__REALTIME_TIMESTAMP":"1700000001000000","PRIORITY":"6","_SYSTEMD_UNIT":"kubelet.service","MESSAGE":[66,97,99,107,45,111,102,102,32,114,101,115,116,97,114,116,105,110,103,32,102,97,105,108,101,100,32,99,111,110,116,97,105,110,101,114,32,255]}
"#);
    let rows = parse_jsonl(&env, &f);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["message"], "charge failed: connection refused");
    assert_eq!(rows[0]["service"], "billing");
    assert_eq!(rows[0]["level"], "error");
    assert_eq!(rows[0]["time"], "2023-11-14T22:13:20.123Z");
    assert_eq!(rows[1]["service"], "gateway");
    assert_eq!(rows[1]["kind"], "throttle");
    assert_eq!(rows[2]["service"], "nginx.service");
    assert_eq!(rows[2]["kind"], "timeout");
    assert_eq!(rows[2]["time"], "2023-11-14T22:13:20Z");
    // journald's MESSAGE as bytes, with an invalid one, decodes lossily.
    assert!(
        rows[3]["message"]
            .as_str()
            .unwrap()
            .starts_with("Back-off restarting failed container")
    );
    assert_eq!(rows[3]["kind"], "restart");
}

const EVENTS: &str = r#"{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": "BackOff",
     "message": "Back-off restarting failed container api in pod api-7d9f8b5c4-x2kqz_prod(1a2b)",
     "involvedObject": {"kind": "Pod", "namespace": "prod", "name": "api-7d9f8b5c4-x2kqz"},
     "count": 57, "firstTimestamp": "2026-11-21T13:00:00Z", "lastTimestamp": "2026-11-21T14:10:00Z",
     "metadata": {"name": "api.1", "namespace": "prod"}},
    {"apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": "Unhealthy",
     "message": "Readiness probe failed: Get \"http://10.1.2.3:8080/ready\": context deadline exceeded",
     "involvedObject": {"kind": "Pod", "namespace": "prod", "name": "api-7d9f8b5c4-9qwzt"},
     "count": 12, "lastTimestamp": "2026-11-21T14:09:00Z",
     "metadata": {"name": "api.2", "namespace": "prod"}},
    {"apiVersion": "v1", "kind": "Event", "type": "Normal", "reason": "Pulled",
     "message": "Container image \"api:1.4.2\" already present on machine",
     "involvedObject": {"kind": "Pod", "namespace": "prod", "name": "api-7d9f8b5c4-x2kqz"},
     "count": 3, "lastTimestamp": "2026-11-21T14:00:00Z",
     "metadata": {"name": "api.3", "namespace": "prod"}}
  ]
}
"#;

both!(
    kubernetes_events_are_counted_with_their_counts,
    |env: &Env| {
        let out = env.run_stdin(&["signals", "scan", "-"], EVENTS.as_bytes());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = report_json(env, &[]);
        let signals = report["signals"].as_array().unwrap();
        let backoff = signals
            .iter()
            .find(|s| s["kind"] == "restart")
            .expect("BackOff is a restart");
        assert_eq!(backoff["count"], 57);
        assert_eq!(backoff["services"], serde_json::json!(["prod/api"]));
        let probe = signals
            .iter()
            .find(|s| s["kind"] == "timeout")
            .expect("the probe timed out");
        assert_eq!(probe["count"], 12);
        assert!(
            signals
                .iter()
                .all(|s| !s["template"].as_str().unwrap().contains("already present"))
        );
    }
);

#[test]
fn bad_input_is_counted_and_the_run_finishes() {
    let env = Env::sqlite();
    let mut data = Vec::new();
    data.extend_from_slice(b"2024-03-01T14:02:00Z ERROR request 17 failed: connection refused\n");
    data.extend_from_slice(b"\n   \n");
    data.extend_from_slice(
        b"2024-03-01T14:02:01Z ERROR request \xff\xfe failed: connection refused\n",
    );
    data.extend_from_slice(b"\x00\x01\x02\x03 binary junk \x00\n");
    data.extend_from_slice(b"2024-03-01T14:02:02Z INFO ");
    data.extend(std::iter::repeat_n(b'x', 1 << 20));
    data.extend_from_slice(b"\n2024-03-01T14:02:03Z ERROR request 18 failed: connection refused");
    let f = write(&env, "bad.log", &data);

    let out = env.run(&["signals", "parse", &f]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    // One row per input line, in order, even for the bad ones.
    assert_eq!(stdout.lines().count(), 1 + 7, "{stdout}");
    assert!(
        stdout.lines().nth(2).unwrap().starts_with("2,,,"),
        "{stdout}"
    );
    assert!(
        stderr.contains("2 empty, 1 binary (skipped), 1 invalid UTF-8 (decoded with U+FFFD), 1 longer than 64 KiB (cut)"),
        "{stderr}"
    );
    assert!(stderr.contains("7 lines"), "{stderr}");
    // The three "connection refused" lines, the bad-bytes one included, share a template.
    let ids: Vec<&str> = stdout
        .lines()
        .skip(1)
        .filter(|l| l.contains("connection refused"))
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{stdout}");
    assert!(ids.iter().all(|i| *i == ids[0]));

    let out = env.run(&["signals", "scan", &f]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("7 lines"), "{stderr}");
    let report = report_json(&env, &["--kind", "error"]);
    assert_eq!(report["signals"][0]["count"], 3);

    // Not a file, or missing: a clear error, and nothing stored, not even the good file
    // named before it.
    let err = env.fails(&["signals", "scan", &f, "/nonexistent/x.log"]);
    assert!(err.contains("cannot read /nonexistent/x.log"), "{err}");
    let report = report_json(&env, &["--kind", "error"]);
    assert_eq!(report["signals"][0]["count"], 3);
    let err = env.fails(&["signals", "scan", env.dir.path().to_str().unwrap()]);
    assert!(err.contains("is a directory"), "{err}");
    let err = env.fails(&[
        "signals",
        "scan",
        &write(&env, "broken.json", b"{\"items\": ["),
    ]);
    assert!(err.contains("JSON") || err.contains("json"), "{err}");
}

#[test]
fn output_is_the_same_whatever_the_number_of_threads() {
    let env = Env::sqlite();
    let mut text = String::new();
    for i in 0..40_000u32 {
        let msg = match i % 5 {
            0 => format!(
                "Accepted connection from 10.0.{}.{} port {}",
                i % 250,
                i % 200,
                1024 + i
            ),
            1 => format!("user u{} logged in after {} ms", i % 97, i % 500),
            2 => format!(
                "Retrying send to broker-{} (attempt {} of 3)",
                i % 4,
                i % 3 + 1
            ),
            3 => format!(
                "job {} finished in {}s with state {}",
                i,
                i % 60,
                ["ok", "ok", "failed"][(i % 3) as usize]
            ),
            _ => format!("cache miss for key /objects/{}/meta", i % 1000),
        };
        text.push_str(&format!(
            "2024-03-01T14:{:02}:{:02}Z INFO {msg}\n",
            i / 60 % 60,
            i % 60
        ));
    }
    let f = write(&env, "many.log", text.as_bytes());
    assert!(text.len() > 2 << 20, "more than one chunk");
    let one = env.ok(&["signals", "parse", "--threads", "1", &f]);
    let two = env.ok(&["signals", "parse", "--threads", "2", &f]);
    let four = env.ok(&["signals", "parse", "--threads", "4", &f]);
    assert_eq!(one, two);
    assert_eq!(one, four);
    assert_eq!(one.lines().count(), 40_001);
}

#[test]
fn a_config_file_adds_rules_and_masks() {
    let env = Env::sqlite();
    let f = write(
        &env,
        "app.log",
        b"payment parked in limbo queue q-abc\npayment parked in limbo queue q-def\n",
    );
    let before = env.ok(&["signals", "parse", &f]);
    assert!(before.contains(",none,"), "{before}");
    let cfg = write(
        &env,
        "signals.yaml",
        b"kinds:\n  - kind: dropped\n    match: 'parked in limbo'\nmasks:\n  - 'q-[a-z]+'\n",
    );
    let after = env.ok(&["signals", "parse", "--config", &cfg, &f]);
    assert!(
        after.contains(",dropped,payment parked in limbo queue <*>"),
        "{after}"
    );
    let bad = write(
        &env,
        "bad.yaml",
        b"kinds:\n  - kind: dropped\n    match: '(unclosed'\n",
    );
    let err = env.fails(&["signals", "parse", "--config", &bad, &f]);
    assert!(
        err.contains("bad.yaml") && err.contains("rule 1 (dropped"),
        "{err}"
    );
}

#[test]
fn follow_reads_what_is_appended() {
    let env = Env::sqlite();
    let f = write(
        &env,
        "live.log",
        b"2024-03-01T14:00:00Z ERROR disk write failed: no space left on device\n",
    );
    let mut child = std::process::Command::new(common::BIN)
        .args(["signals", "scan", "--follow", "--interval", "1", &f])
        .env("DEBRIEF_DATABASE", &env.database)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let mut file = std::fs::OpenOptions::new().append(true).open(&f).unwrap();
    file.write_all(b"2024-03-01T14:00:05Z ERROR disk write failed: no space left on device\n2024-03-01T14:00:06Z ERROR disk wr").unwrap();
    // Wait (20 s at most) for the appended whole line to be stored.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let report = loop {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let report = report_json(&env, &["--kind", "exhaustion"]);
        if report["signals"][0]["count"] == 2 || std::time::Instant::now() > deadline {
            // One more interval: the half line must still not be stored.
            std::thread::sleep(std::time::Duration::from_millis(1500));
            break report_json(&env, &["--kind", "exhaustion"]);
        }
    };
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("following"), "{stderr}");
    // Two whole lines stored; the half line waits for its end.
    assert_eq!(report["signals"][0]["count"], 2, "{report:#}\n{stderr}");
}
