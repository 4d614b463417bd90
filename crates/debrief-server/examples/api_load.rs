//! Latency of `GET /api/v1/incidents/{id}` (or, with `page`, of the web UI's incident page
//! `/incidents/{id}`, signed in with the token) at a fixed request rate, with a given number
//! of incidents in the store (made first through `POST /api/v1/incidents` when fewer exist).
//! Requests go round all incidents, or to incident ID alone when given.
//!
//! `cargo run --release -p debrief-server --example api_load -- ADDR TOKEN [INCIDENTS] [RATE] [SECONDS] [api|page] [ID]`
//!
//! Requests are sent on a fixed schedule (open loop: a slow answer does not slow the
//! schedule, and its delay counts from when the request was due), over keep-alive
//! connections; prints the latency percentiles.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

struct Conn {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).ok();
        let reader = BufReader::new(stream.try_clone().expect("clone"));
        Conn { stream, reader }
    }

    /// One request; returns the status and the body.
    fn call(
        &mut self,
        addr: &str,
        token: &str,
        method: &str,
        path: &str,
        body: &str,
    ) -> (u16, String) {
        self.send(
            addr,
            &format!("Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"),
            method,
            path,
            body,
        )
        .0
    }

    /// One request with the given header lines; returns the status and body, and the
    /// session cookie if the answer set one.
    fn send(
        &mut self,
        addr: &str,
        headers: &str,
        method: &str,
        path: &str,
        body: &str,
    ) -> ((u16, String), Option<String>) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(head.as_bytes()).expect("send");
        let mut status = String::new();
        self.reader.read_line(&mut status).expect("answer");
        let mut length = 0usize;
        let mut cookie = None;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("header");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if line.to_ascii_lowercase().starts_with("set-cookie:") {
                cookie = line[11..].split(';').next().map(|c| c.trim().to_string());
            }
        }
        let mut rest = vec![0; length];
        self.reader.read_exact(&mut rest).expect("body");
        let code = status
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        ((code, String::from_utf8_lossy(&rest).into_owned()), cookie)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, token, rest @ ..] = args.as_slice() else {
        eprintln!("usage: api_load ADDR TOKEN [INCIDENTS] [RATE] [SECONDS] [api|page] [ID]");
        std::process::exit(2);
    };
    let num = |i: usize, d: u64| rest.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (incidents, rate, seconds) = (num(0, 10_000), num(1, 500), num(2, 20));
    let page = rest.get(3).is_some_and(|m| m == "page");
    let only: Option<u64> = rest.get(4).and_then(|s| s.parse().ok());
    let mut setup = Conn::open(addr);
    // The highest number stored (the list is ordered by when incidents started, not by number).
    let (_, list) = setup.call(addr, token, "GET", "/api/v1/incidents", "");
    let have: u64 = list
        .split("\"id\":\"INC-")
        .skip(1)
        .filter_map(|s| s.split('"').next().and_then(|n| n.parse().ok()))
        .max()
        .unwrap_or(0);
    let started = Instant::now();
    for i in have..incidents {
        let body = format!(
            r#"{{"title":"Synthetic incident {i}: checkout errors after deploy","severity":"SEV{}","services":["svc-{}"],"summary":"Payments failed for {} minutes after a config push; the deploy tool accepted an unknown key."}}"#,
            i % 4 + 1,
            i % 40,
            i % 90 + 5
        );
        let (status, answer) = setup.call(addr, token, "POST", "/api/v1/incidents", &body);
        assert_eq!(status, 201, "{answer}");
    }
    if have < incidents {
        eprintln!(
            "made {} incidents in {:.1} s",
            incidents - have,
            started.elapsed().as_secs_f64()
        );
    }
    // The page is read as a signed-in browser reads it: with the session cookie.
    let headers = if page {
        let (_, cookie) = setup.send(
            addr,
            "Content-Type: application/x-www-form-urlencoded\r\n",
            "POST",
            "/signin",
            &format!("token={token}"),
        );
        format!("Cookie: {}\r\n", cookie.expect("signed in"))
    } else {
        format!("Authorization: Bearer {token}\r\n")
    };
    let headers = headers.as_str();
    let what = if page {
        "GET /incidents/{id} (page)"
    } else {
        "GET /api/v1/incidents/{id}"
    };
    // Two connections a core of the client, each with its share of the schedule.
    let connections = 4u64;
    let interval = Duration::from_secs_f64(connections as f64 / rate as f64);
    let total = rate * seconds;
    let begin = Instant::now() + Duration::from_millis(100);
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections)
            .map(|c| {
                scope.spawn(move || {
                    let mut conn = Conn::open(addr);
                    let mut out = Vec::new();
                    let offset = interval.mul_f64(c as f64 / connections as f64);
                    for k in 0..total / connections {
                        let due = begin + offset + interval * k as u32;
                        let now = Instant::now();
                        if due > now {
                            std::thread::sleep(due - now);
                        }
                        let id = only.unwrap_or((k * connections + c) % incidents + 1);
                        let path = if page {
                            format!("/incidents/INC-{id}")
                        } else {
                            format!("/api/v1/incidents/INC-{id}")
                        };
                        let ((status, body), _) = conn.send(addr, headers, "GET", &path, "");
                        assert_eq!(status, 200, "{body}");
                        out.push(due.elapsed());
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    let took = begin.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1e3
    };
    println!(
        "{what}{}, {incidents} incidents, {} requests at {rate}/s ({:.0}/s achieved): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        only.map_or(String::new(), |id| format!(" for INC-{id} only")),
        latencies.len(),
        latencies.len() as f64 / took,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
}
