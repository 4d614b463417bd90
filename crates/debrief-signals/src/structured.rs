//! Structured inputs: JSON log lines and Kubernetes event lists.
//!
//! JSON lines come from many loggers (pino, Bunyan, logrus, zap, ECS, OTel-like exports,
//! Docker's json-file driver, `journalctl -o json`); their fields are picked by the names
//! those loggers use. Kubernetes events come as one `kubectl get events -o json` document.

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::header::{parse_timestamp, split_header};
use crate::record::{Level, Record};

/// Message fields, most specific first.
const MESSAGE_KEYS: &[&str] = &[
    "message",
    "msg",
    "MESSAGE",
    "log",
    "text",
    "body",
    "Body",
    "event",
    "Message",
    "@message",
    "short_message",
    "textPayload",
];

/// Time fields, most specific first.
const TIME_KEYS: &[&str] = &[
    "@timestamp",
    "timestamp",
    "time",
    "ts",
    "_SOURCE_REALTIME_TIMESTAMP",
    "__REALTIME_TIMESTAMP",
    "timeUnixNano",
    "observedTimeUnixNano",
    "Timestamp",
    "datetime",
    "date",
    "t",
    "eventTime",
];

/// Level fields, most specific first.
const LEVEL_KEYS: &[&str] = &[
    "level",
    "severity",
    "lvl",
    "loglevel",
    "log_level",
    "log.level",
    "levelname",
    "severityText",
    "severity_text",
    "SeverityText",
    "Level",
    "PRIORITY",
    "priority",
    "severityNumber",
];

/// Service fields, most specific first.
const SERVICE_KEYS: &[&str] = &[
    "service.name",
    "service",
    "resource.service.name",
    "app",
    "application",
    "kubernetes.container_name",
    "container_name",
    "_SYSTEMD_UNIT",
    "SYSLOG_IDENTIFIER",
    "logger",
    "logger_name",
    "log.logger",
    "component",
    "name",
];

/// Error fields whose text is added to the message (`request failed: connection refused`).
const ERROR_KEYS: &[&str] = &["error.message", "err.message", "error", "err", "exception"];

/// A value at `path`: the flat key first (`"service.name": …`), then the nested objects
/// (`"service": {"name": …}`). `null` counts as absent.
fn get_path<'v>(obj: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    if let Some(v) = obj.get(path) {
        return (!v.is_null()).then_some(v);
    }
    let (head, rest) = path.split_once('.')?;
    match obj.get(head)? {
        Value::Object(inner) => get_path(inner, rest),
        _ => None,
    }
}

fn str_at<'v>(obj: &'v Map<String, Value>, path: &str) -> Option<&'v str> {
    get_path(obj, path)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The text of a message field: a string, journald's array of bytes (decoded lossily), or an
/// OTel body object.
fn message_text(key: &str, v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) if !items.is_empty() => {
            let bytes: Option<Vec<u8>> = items
                .iter()
                .map(|x| x.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            bytes.map(|b| String::from_utf8_lossy(&b).into_owned())
        }
        Value::Object(o) if key.eq_ignore_ascii_case("body") => Some(
            o.get("stringValue")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string()),
        ),
        _ => None,
    }
}

/// An epoch number of unknown unit, told apart by its size (seconds, ms, µs, ns).
fn epoch_guess(n: f64) -> Option<Timestamp> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    if n < 1e11 {
        let secs = n.trunc();
        let nanos = ((n - secs) * 1e9).round().min(999_999_999.0);
        Timestamp::new(secs as i64, nanos as i32).ok()
    } else if n < 1e14 {
        Timestamp::from_millisecond(n as i64).ok()
    } else if n < 1e17 {
        Timestamp::from_microsecond(n as i64).ok()
    } else {
        Timestamp::from_nanosecond(n as i128).ok()
    }
}

fn epoch_integer(n: i64) -> Option<Timestamp> {
    if n < 0 {
        return None;
    }
    if n < 100_000_000_000 {
        Timestamp::from_second(n).ok()
    } else if n < 100_000_000_000_000 {
        Timestamp::from_millisecond(n).ok()
    } else if n < 100_000_000_000_000_000 {
        Timestamp::from_microsecond(n).ok()
    } else {
        Timestamp::from_nanosecond(i128::from(n)).ok()
    }
}

fn time_value(key: &str, v: &Value, default_year: i16) -> Option<Timestamp> {
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    match key {
        // journald: microseconds since the epoch, as a string
        "__REALTIME_TIMESTAMP" | "_SOURCE_REALTIME_TIMESTAMP" => {
            Timestamp::from_microsecond(text.parse().ok()?).ok()
        }
        "timeUnixNano" | "observedTimeUnixNano" => {
            Timestamp::from_nanosecond(text.parse().ok()?).ok()
        }
        _ => {
            if let Ok(n) = text.parse::<i64>() {
                return epoch_integer(n);
            }
            if let Ok(f) = text.parse::<f64>() {
                return epoch_guess(f);
            }
            parse_timestamp(&text, default_year)
        }
    }
}

/// A numeric level: syslog priorities 0–7 (journald, GELF), OTel severity numbers 1–24,
/// else pino / Bunyan's 10 … 60.
fn numeric_level(key: &str, n: i64) -> Option<Level> {
    if key == "severityNumber" {
        return Some(match n {
            i64::MIN..=4 => Level::Trace,
            5..=8 => Level::Debug,
            9..=12 => Level::Info,
            13..=16 => Level::Warn,
            17..=20 => Level::Error,
            _ => Level::Fatal,
        });
    }
    if key.eq_ignore_ascii_case("priority") || (0..=7).contains(&n) {
        return u8::try_from(n).ok().and_then(Level::from_syslog_priority);
    }
    Some(match n {
        i64::MIN..=10 => Level::Trace,
        11..=20 => Level::Debug,
        21..=30 => Level::Info,
        31..=40 => Level::Warn,
        41..=50 => Level::Error,
        _ => Level::Fatal,
    })
}

fn level_value(key: &str, v: &Value) -> Option<Level> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            match t.parse::<i64>() {
                Ok(n) => numeric_level(key, n),
                Err(_) => Level::from_word(t),
            }
        }
        Value::Number(n) => n.as_i64().and_then(|n| numeric_level(key, n)),
        _ => None,
    }
}

/// The first key of `keys` whose value `read` accepts, with the value read.
fn pick<'k, T>(
    obj: &Map<String, Value>,
    keys: &[&'k str],
    mut read: impl FnMut(&str, &Value) -> Option<T>,
) -> Option<(&'k str, T)> {
    keys.iter().find_map(|&k| {
        let v = get_path(obj, k)?;
        read(k, v).map(|t| (k, t))
    })
}

/// Reads one JSON object log line: JSON lines from applications (pino, Bunyan, logrus, zap,
/// ECS, OTel-like), Docker's json-file lines and `journalctl -o json` lines. `None` when the
/// line is not a JSON object. An object without a message field gets the compact JSON of
/// its other fields (time, level and service fields left out) as message.
pub fn parse_json_line(line: &str, default_year: i16) -> Option<Record<'static>> {
    let t = line.trim().trim_start_matches('\u{feff}');
    if !t.starts_with('{') {
        return None;
    }
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(t) else {
        return None;
    };
    Some(record_of(&obj, default_year))
}

fn record_of(obj: &Map<String, Value>, default_year: i16) -> Record<'static> {
    let time = pick(obj, TIME_KEYS, |k, v| time_value(k, v, default_year)).map(|(_, t)| t);
    let level = pick(obj, LEVEL_KEYS, level_value).map(|(_, l)| l);
    let service = pick(obj, SERVICE_KEYS, |_, v| {
        v.as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    })
    .map(|(_, s)| s);
    let mut record = Record {
        time,
        level,
        service: service.map(Into::into),
        message: "".into(),
        count: 1,
    };

    match pick(obj, MESSAGE_KEYS, message_text) {
        Some((key, text)) => {
            let text = text.trim_end_matches(['\n', '\r']);
            if key == "log" || key == "MESSAGE" {
                // Docker's `log` and journald's `MESSAGE` hold what the program wrote, which
                // often carries its own header or is itself a JSON line.
                let inner = if text.trim_start().starts_with('{') {
                    parse_json_line(text, default_year)
                } else {
                    None
                };
                let inner = inner.unwrap_or_else(|| split_header(text, default_year).into_owned());
                record.time = record.time.or(inner.time);
                record.level = record.level.or(inner.level);
                record.service = record.service.or(inner.service);
                record.message = inner.message;
            } else {
                record.message = text.trim().to_string().into();
            }
            // the error a structured logger put beside the message
            let error = ERROR_KEYS
                .iter()
                .find_map(|&k| str_at(obj, k))
                .and_then(|e| e.lines().next())
                .map(str::trim)
                .filter(|e| !e.is_empty() && !record.message.contains(*e));
            if let Some(e) = error {
                if record.message.is_empty() {
                    record.message = e.to_string().into();
                } else {
                    record.message = format!("{}: {e}", record.message).into();
                }
            }
        }
        None => {
            let mut rest = obj.clone();
            for key in TIME_KEYS.iter().chain(LEVEL_KEYS).chain(SERVICE_KEYS) {
                if rest.remove(*key).is_none() {
                    // a nested field (`service: {name: …}`) takes its whole top-level object
                    if let Some((head, _)) = key.split_once('.') {
                        if get_path(obj, key).is_some() {
                            rest.remove(head);
                        }
                    }
                }
            }
            record.message = Value::Object(rest).to_string().into();
        }
    }
    record
}

// ---------------------------------------------------------------------------------------
// Kubernetes events
// ---------------------------------------------------------------------------------------

const NOT_EVENTS: &str = "not a Kubernetes event document: expected the output of \
    `kubectl get events -o json` (a List or EventList with `items`), or a single Event";

fn is_event(o: &Map<String, Value>) -> bool {
    match o.get("kind").and_then(Value::as_str) {
        Some(kind) => kind == "Event",
        None => {
            o.contains_key("involvedObject")
                || o.contains_key("regarding")
                || (o.contains_key("reason")
                    && (o.contains_key("message") || o.contains_key("note")))
        }
    }
}

/// Reads a whole `kubectl get events -o json` document (`{"kind":"List","items":[…]}`, an
/// `EventList`, a JSON array of events, or a single Event; core/v1 and events.k8s.io/v1
/// shapes). One record per event, in document order: message `"{reason}: {message}"`,
/// level Warn for `type: Warning` else Info, the latest time the event carries, its count,
/// and service `namespace/name` of the object it is about (a Pod's generated suffix removed,
/// so one workload's pods share a service).
/// Whether input starting with `head` is one JSON document (a `kubectl get events -o json`
/// list) rather than lines: it opens with `[{`, or with `{"` and its first line is not a
/// whole JSON value. `[Sun Dec 04 …]` and JSON lines are lines.
pub fn is_json_document(head: &[u8]) -> bool {
    let Some(start) = head.iter().position(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    let next = head[start + 1..]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied();
    match (head[start], next) {
        (b'[', Some(b'{' | b']')) => true,
        (b'{', Some(b'"' | b'}')) => {
            let line_end = memchr::memchr(b'\n', &head[start..]).map_or(head.len(), |i| start + i);
            serde_json::from_slice::<serde::de::IgnoredAny>(&head[start..line_end]).is_err()
        }
        _ => false,
    }
}

pub fn parse_k8s_events(doc: &str) -> Result<Vec<Record<'static>>, String> {
    let v: Value = serde_json::from_str(doc.trim().trim_start_matches('\u{feff}'))
        .map_err(|e| format!("not a JSON document: {e}"))?;
    let items: Vec<&Value> = match &v {
        Value::Array(items) => items.iter().collect(),
        Value::Object(o) => match o.get("items") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(Value::Null) | None if is_event(o) => vec![&v],
            _ => return Err(NOT_EVENTS.to_string()),
        },
        _ => return Err(NOT_EVENTS.to_string()),
    };
    let mut records = Vec::with_capacity(items.len());
    let mut skipped = 0usize;
    for item in items {
        match item.as_object() {
            Some(o) if is_event(o) => records.push(event_record(o)),
            _ => skipped += 1,
        }
    }
    if records.is_empty() && skipped > 0 {
        return Err(format!(
            "{}; none of the {skipped} items is an Event",
            NOT_EVENTS
        ));
    }
    Ok(records)
}

fn event_record(o: &Map<String, Value>) -> Record<'static> {
    let reason = str_at(o, "reason");
    let note = str_at(o, "message").or_else(|| str_at(o, "note"));
    let message = match (reason, note) {
        (Some(r), Some(m)) => format!("{r}: {m}"),
        (Some(r), None) => r.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => String::new(),
    };
    let level = if str_at(o, "type") == Some("Warning") {
        Level::Warn
    } else {
        Level::Info
    };
    let time = [
        "lastTimestamp",
        "deprecatedLastTimestamp",
        "series.lastObservedTime",
        "eventTime",
        "firstTimestamp",
        "deprecatedFirstTimestamp",
        "metadata.creationTimestamp",
    ]
    .iter()
    .find_map(|k| str_at(o, k).and_then(|t| parse_timestamp(t, 1970)));
    let count = ["count", "series.count", "deprecatedCount"]
        .iter()
        .find_map(|k| get_path(o, k).and_then(Value::as_u64))
        .filter(|&c| c > 0)
        .unwrap_or(1);
    let object = get_path(o, "involvedObject")
        .or_else(|| get_path(o, "regarding"))
        .and_then(Value::as_object);
    let service = object.and_then(|obj| {
        let name = str_at(obj, "name")?;
        let kind = str_at(obj, "kind").unwrap_or("");
        let base = workload_name(kind, name);
        Some(match str_at(obj, "namespace") {
            Some(ns) => format!("{ns}/{base}"),
            None => base.to_string(),
        })
    });
    Record {
        time,
        level: Some(level),
        service: service.map(Into::into),
        message: message.into(),
        count,
    }
}

/// Characters of the random suffixes Kubernetes generates (no vowels, no 0, 1, 3).
fn is_generated_char(c: char) -> bool {
    "bcdfghjklmnpqrstvwxz2456789".contains(c)
}

/// `name-<suffix>` → `name` when `generated(suffix)`.
fn strip_generated(name: &str, generated: impl Fn(&str) -> bool) -> Option<&str> {
    let (head, tail) = name.rsplit_once('-')?;
    (!head.is_empty() && generated(tail)).then_some(head)
}

fn is_replicaset_hash(t: &str) -> bool {
    (6..=10).contains(&t.len()) && t.chars().all(is_generated_char)
}

fn is_cronjob_stamp(t: &str) -> bool {
    t.len() >= 8 && t.chars().all(|c| c.is_ascii_digit())
}

/// The workload an object belongs to: `web-7d9f8b5c4-x2kqz` (Pod) → `web`,
/// `fluentd-x7k2p` (Pod) → `fluentd`, `web-7d9f8b5c4` (ReplicaSet) → `web`,
/// `backup-28123456` (Job) → `backup`; `db-0` and other names stay.
fn workload_name<'n>(kind: &str, name: &'n str) -> &'n str {
    match kind {
        "Pod" => {
            match strip_generated(name, |t| t.len() == 5 && t.chars().all(is_generated_char)) {
                Some(head) => {
                    strip_generated(head, |t| is_replicaset_hash(t) || is_cronjob_stamp(t))
                        .unwrap_or(head)
                }
                None => name,
            }
        }
        "ReplicaSet" => strip_generated(name, is_replicaset_hash).unwrap_or(name),
        "Job" => strip_generated(name, is_cronjob_stamp).unwrap_or(name),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn pino_line() {
        let line = r#"{"level":50,"time":1696161600123,"pid":1234,"hostname":"web-1","name":"api","msg":"request failed","err":{"type":"Error","message":"connect ECONNREFUSED 10.0.0.5:5432"}}"#;
        let r = parse_json_line(line, 2023).unwrap();
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.time, Some(ts("2023-10-01T12:00:00.123Z")));
        assert_eq!(r.service.as_deref(), Some("api"));
        assert_eq!(
            r.message,
            "request failed: connect ECONNREFUSED 10.0.0.5:5432"
        );
        assert_eq!(r.count, 1);

        let r = parse_json_line(
            r#"{"level":30,"time":1696161600000,"msg":"listening"}"#,
            2023,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.message, "listening");
    }

    #[test]
    fn logrus_line() {
        let line = r#"{"component":"storage","level":"warning","msg":"disk almost full","time":"2023-10-01T14:00:00+02:00"}"#;
        let r = parse_json_line(line, 2023).unwrap();
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.time, Some(ts("2023-10-01T12:00:00Z")));
        assert_eq!(r.service.as_deref(), Some("storage"));
        assert_eq!(r.message, "disk almost full");
    }

    #[test]
    fn zap_ecs_and_bunyan_lines() {
        let zap = r#"{"level":"error","ts":1696161600.5,"logger":"db","caller":"db/pool.go:42","msg":"query failed","error":"context deadline exceeded"}"#;
        let r = parse_json_line(zap, 2023).unwrap();
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.time, Some(ts("2023-10-01T12:00:00.5Z")));
        assert_eq!(r.service.as_deref(), Some("db"));
        assert_eq!(r.message, "query failed: context deadline exceeded");

        let ecs = r#"{"@timestamp":"2023-10-01T12:00:00.000Z","log.level":"info","message":"Order placed","service.name":"checkout","ecs.version":"1.6.0"}"#;
        let r = parse_json_line(ecs, 2023).unwrap();
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.service.as_deref(), Some("checkout"));
        assert_eq!(r.message, "Order placed");

        let nested = r#"{"@timestamp":"2023-10-01T12:00:00Z","log":{"level":"warn"},"service":{"name":"cart"},"message":"slow"}"#;
        let r = parse_json_line(nested, 2023).unwrap();
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.service.as_deref(), Some("cart"));
        assert_eq!(r.message, "slow");

        let bunyan = r#"{"name":"myapp","hostname":"h","pid":1,"level":40,"msg":"cache miss","time":"2023-10-01T12:00:00.000Z","v":0}"#;
        let r = parse_json_line(bunyan, 2023).unwrap();
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.service.as_deref(), Some("myapp"));
        assert_eq!(r.time, Some(ts("2023-10-01T12:00:00Z")));
    }

    #[test]
    fn journald_line_with_message_bytes() {
        // "disk \xff full" — not UTF-8, so journalctl writes the bytes
        let line = r#"{"__CURSOR":"s=abc;i=1","__REALTIME_TIMESTAMP":"1696161600123456","PRIORITY":"3","_SYSTEMD_UNIT":"nginx.service","SYSLOG_IDENTIFIER":"nginx","_PID":"812","MESSAGE":[100,105,115,107,32,255,32,102,117,108,108]}"#;
        let r = parse_json_line(line, 2023).unwrap();
        assert_eq!(r.time, Some(ts("2023-10-01T12:00:00.123456Z")));
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.service.as_deref(), Some("nginx.service"));
        assert_eq!(r.message, "disk \u{fffd} full");

        let text = r#"{"__REALTIME_TIMESTAMP":"1696161600000000","PRIORITY":"6","SYSLOG_IDENTIFIER":"kernel","MESSAGE":"usb 1-1: new high-speed USB device"}"#;
        let r = parse_json_line(text, 2023).unwrap();
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.service.as_deref(), Some("kernel"));
        assert_eq!(r.message, "usb 1-1: new high-speed USB device");
    }

    #[test]
    fn docker_json_file_line() {
        let line = r#"{"log":"2023-10-01 12:00:00,001 ERROR [main] com.acme.Worker: job 42 failed\n","stream":"stderr","time":"2023-10-01T12:00:00.002Z"}"#;
        let r = parse_json_line(line, 2023).unwrap();
        assert_eq!(r.time, Some(ts("2023-10-01T12:00:00.002Z")));
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.service.as_deref(), Some("com.acme.Worker"));
        assert_eq!(r.message, "job 42 failed");

        let wrapped = r#"{"log":"{\"level\":\"warn\",\"msg\":\"retrying\"}\n","stream":"stdout","time":"2023-10-01T12:00:00Z"}"#;
        let r = parse_json_line(wrapped, 2023).unwrap();
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.message, "retrying");
    }

    #[test]
    fn object_without_message_and_non_objects() {
        let r = parse_json_line(
            r#"{"time":"2023-10-01T12:00:00Z","level":"info","user":"bob","action":"login"}"#,
            2023,
        )
        .unwrap();
        assert_eq!(r.level, Some(Level::Info));
        let rest: Value = serde_json::from_str(&r.message).unwrap();
        assert_eq!(rest, serde_json::json!({"action": "login", "user": "bob"}));

        assert!(parse_json_line("not json", 2023).is_none());
        assert!(parse_json_line("[1,2,3]", 2023).is_none());
        assert!(parse_json_line("{broken", 2023).is_none());
        assert!(parse_json_line("2023-10-01 INFO {\"a\":1}", 2023).is_none());
    }

    const KUBECTL_LIST: &str = r#"{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {
      "apiVersion": "v1",
      "kind": "Event",
      "count": 37,
      "firstTimestamp": "2023-10-01T11:00:00Z",
      "lastTimestamp": "2023-10-01T12:00:00Z",
      "involvedObject": {"kind": "Pod", "name": "web-7d9f8b5c4-x2kqz", "namespace": "shop"},
      "metadata": {"name": "web-7d9f8b5c4-x2kqz.178a", "namespace": "shop", "creationTimestamp": "2023-10-01T11:00:00Z"},
      "reason": "BackOff",
      "message": "Back-off restarting failed container web in pod web-7d9f8b5c4-x2kqz_shop(1234)",
      "source": {"component": "kubelet", "host": "node-1"},
      "type": "Warning"
    },
    {
      "apiVersion": "v1",
      "kind": "Event",
      "count": 12,
      "firstTimestamp": "2023-10-01T11:30:00Z",
      "lastTimestamp": "2023-10-01T11:59:00Z",
      "involvedObject": {"kind": "Pod", "name": "web-7d9f8b5c4-p9wzr", "namespace": "shop"},
      "metadata": {"name": "web-7d9f8b5c4-p9wzr.178b", "namespace": "shop"},
      "reason": "Unhealthy",
      "message": "Readiness probe failed: HTTP probe failed with statuscode: 503",
      "type": "Warning"
    },
    {
      "apiVersion": "v1",
      "kind": "Event",
      "count": 1,
      "lastTimestamp": null,
      "eventTime": "2023-10-01T12:01:00.123456Z",
      "involvedObject": {"kind": "Pod", "name": "db-0", "namespace": "shop"},
      "metadata": {"name": "db-0.178c", "namespace": "shop"},
      "reason": "Killing",
      "message": "Stopping container postgres",
      "type": "Normal"
    }
  ],
  "metadata": {"resourceVersion": ""}
}"#;

    #[test]
    fn kubectl_event_list() {
        let records = parse_k8s_events(KUBECTL_LIST).unwrap();
        assert_eq!(records.len(), 3);

        assert_eq!(
            records[0].message,
            "BackOff: Back-off restarting failed container web in pod web-7d9f8b5c4-x2kqz_shop(1234)"
        );
        assert_eq!(records[0].level, Some(Level::Warn));
        assert_eq!(records[0].count, 37);
        assert_eq!(records[0].time, Some(ts("2023-10-01T12:00:00Z")));
        assert_eq!(records[0].service.as_deref(), Some("shop/web"));

        assert!(
            records[1]
                .message
                .starts_with("Unhealthy: Readiness probe failed")
        );
        assert_eq!(records[1].count, 12);
        assert_eq!(records[1].service.as_deref(), Some("shop/web"));

        assert_eq!(records[2].message, "Killing: Stopping container postgres");
        assert_eq!(records[2].level, Some(Level::Info));
        assert_eq!(records[2].count, 1);
        assert_eq!(records[2].time, Some(ts("2023-10-01T12:01:00.123456Z")));
        assert_eq!(records[2].service.as_deref(), Some("shop/db-0"));
    }

    #[test]
    fn events_k8s_io_v1_and_single_event() {
        let doc = r#"{"kind":"EventList","apiVersion":"events.k8s.io/v1","items":[
          {"kind":"Event","apiVersion":"events.k8s.io/v1",
           "metadata":{"name":"x.1","namespace":"ops","creationTimestamp":"2023-10-01T10:00:00Z"},
           "eventTime":"2023-10-01T10:00:00.000000Z",
           "series":{"count":5,"lastObservedTime":"2023-10-01T10:05:00.000000Z"},
           "reason":"FailedScheduling","note":"0/3 nodes are available: 3 Insufficient memory.",
           "type":"Warning","regarding":{"kind":"Pod","name":"batch-x7k2p","namespace":"ops"}}]}"#;
        let records = parse_k8s_events(doc).unwrap();
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!(
            r.message,
            "FailedScheduling: 0/3 nodes are available: 3 Insufficient memory."
        );
        assert_eq!(r.count, 5);
        assert_eq!(r.time, Some(ts("2023-10-01T10:05:00Z")));
        assert_eq!(r.service.as_deref(), Some("ops/batch"));
        assert_eq!(r.level, Some(Level::Warn));

        let single = r#"{"kind":"Event","reason":"ScalingReplicaSet","message":"Scaled up replica set web-7d9f8b5c4 to 3","type":"Normal","involvedObject":{"kind":"Deployment","name":"web","namespace":"shop"},"metadata":{"creationTimestamp":"2023-10-01T09:00:00Z"}}"#;
        let records = parse_k8s_events(single).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].count, 1);
        assert_eq!(records[0].time, Some(ts("2023-10-01T09:00:00Z")));
        assert_eq!(records[0].service.as_deref(), Some("shop/web"));

        assert_eq!(
            parse_k8s_events(r#"{"kind":"List","items":[]}"#)
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn not_event_documents() {
        assert!(
            parse_k8s_events("not json")
                .unwrap_err()
                .contains("not a JSON document")
        );
        assert!(parse_k8s_events(r#"{"kind":"Pod","metadata":{"name":"x"}}"#).is_err());
        let pods = r#"{"kind":"PodList","items":[{"kind":"Pod","metadata":{"name":"x"}}]}"#;
        assert!(
            parse_k8s_events(pods)
                .unwrap_err()
                .contains("none of the 1 items")
        );
        assert!(parse_k8s_events("42").is_err());
    }

    #[test]
    fn workload_names() {
        assert_eq!(workload_name("Pod", "web-7d9f8b5c4-x2kqz"), "web");
        assert_eq!(workload_name("Pod", "fluentd-x7k2p"), "fluentd");
        assert_eq!(workload_name("Pod", "db-0"), "db-0");
        assert_eq!(workload_name("Pod", "backup-28123456-zq8vp"), "backup");
        assert_eq!(workload_name("Pod", "web-server"), "web-server");
        assert_eq!(workload_name("ReplicaSet", "web-7d9f8b5c4"), "web");
        assert_eq!(
            workload_name("Deployment", "web-7d9f8b5c4"),
            "web-7d9f8b5c4"
        );
    }
}
