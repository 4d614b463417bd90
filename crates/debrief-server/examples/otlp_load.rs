//! Load for `POST /v1/logs`: OTLP protobuf batches from several connections (HTTP/1.1 keep-
//! alive), for a number of seconds; prints log lines accepted per second.
//!
//! `cargo run --release -p debrief-server --example otlp_load -- ADDR TOKEN [SECONDS] [BATCH] [CONNECTIONS]`
//!
//! `bash bench/serve.sh` runs it against a server it starts, and watches the server's memory.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use debrief_server::otlp::{
    AnyValue, ExportLogsServiceRequest, KeyValue, LogRecord, Resource, ResourceLogs, ScopeLogs,
    any_value,
};
use prost::Message;

/// Messages of a payments service: mostly normal, some retries and timeouts, with numbers
/// that differ line to line as real logs' do.
fn message(i: u64) -> String {
    match i % 10 {
        0 => format!(
            "Retrying charge request to ledger (attempt {} of 5) after timeout",
            i % 5 + 1
        ),
        1 => format!(
            "upstream database query timed out after {}ms",
            4000 + i % 2000
        ),
        2 => format!("GET /api/orders/{} 200 {}ms", 10_000 + i % 5000, i % 300),
        3 => format!("Cache miss for key cart:{}", i % 100_000),
        _ => format!(
            "Charged order {} for {}.{:02} EUR",
            100_000 + i,
            i % 500,
            i % 100
        ),
    }
}

fn batch(start: u64, size: u64, now_nanos: u64) -> Vec<u8> {
    let text = |s: &str| AnyValue {
        value: Some(any_value::Value::String(s.to_string())),
    };
    let records = (start..start + size)
        .map(|i| LogRecord {
            time_unix_nano: now_nanos,
            severity_text: if i % 10 < 2 { "WARN" } else { "INFO" }.into(),
            body: Some(text(&message(i))),
            ..LogRecord::default()
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(text("payments")),
                }],
            }),
            scope_logs: vec![ScopeLogs {
                log_records: records,
            }],
        }],
    }
    .encode_to_vec()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, token, rest @ ..] = args.as_slice() else {
        eprintln!("usage: otlp_load ADDR TOKEN [SECONDS] [BATCH] [CONNECTIONS]");
        std::process::exit(2);
    };
    let num = |i: usize, d: u64| rest.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (seconds, size, connections) = (num(0, 10), num(1, 5000), num(2, 2));
    let accepted = AtomicU64::new(0);
    let busy = AtomicU64::new(0);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    std::thread::scope(|scope| {
        for c in 0..connections {
            let (accepted, busy) = (&accepted, &busy);
            scope.spawn(move || {
                let mut stream = TcpStream::connect(addr).expect("connect");
                stream.set_nodelay(true).ok();
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut n = c * 1_000_000_000;
                while Instant::now() < deadline {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .expect("after 1970")
                        .as_nanos() as u64;
                    let body = batch(n, size, now);
                    n += size;
                    let head = format!(
                        "POST /v1/logs HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
                         Content-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    stream.write_all(head.as_bytes()).expect("send");
                    stream.write_all(&body).expect("send");
                    // The answer: status line, headers, a body of Content-Length bytes.
                    let mut status = String::new();
                    reader.read_line(&mut status).expect("answer");
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        reader.read_line(&mut line).expect("header");
                        if line == "\r\n" || line.is_empty() {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut rest = vec![0; length];
                    reader.read_exact(&mut rest).expect("body");
                    match status.split_whitespace().nth(1) {
                        Some("200") => {
                            accepted.fetch_add(size, Ordering::Relaxed);
                        }
                        Some("429") => {
                            busy.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        other => panic!("unexpected answer {other:?}: {}", String::from_utf8_lossy(&rest)),
                    }
                }
            });
        }
    });
    let took = started.elapsed().as_secs_f64();
    let lines = accepted.load(Ordering::Relaxed);
    println!(
        "{lines} lines in {took:.1} s: {:.0} lines/s accepted ({} answers of 429, batches of {size}, {connections} connections)",
        lines as f64 / took,
        busy.load(Ordering::Relaxed)
    );
}
