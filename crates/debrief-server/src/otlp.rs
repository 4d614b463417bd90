//! OTLP logs over HTTP (`POST /v1/logs`), as an OpenTelemetry Collector, Vector or Fluent
//! Bit sends them: an `ExportLogsServiceRequest` in protobuf or in OTLP/JSON. Each log record
//! becomes one JSON line (time, level, service, message) for the same scan as
//! `/api/v1/logs`.
//!
//! The messages below declare only the fields debrief reads, with the field numbers of the
//! OTLP protocol (opentelemetry-proto, `logs/v1/logs.proto` and `common/v1/common.proto`);
//! protobuf skips the others.

use prost::Message;
use serde_json::Value;

#[derive(Clone, PartialEq, Message)]
pub struct ExportLogsServiceRequest {
    #[prost(message, repeated, tag = "1")]
    pub resource_logs: Vec<ResourceLogs>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ResourceLogs {
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    pub scope_logs: Vec<ScopeLogs>,
}

#[derive(Clone, PartialEq, Message)]
pub struct Resource {
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct ScopeLogs {
    #[prost(message, repeated, tag = "2")]
    pub log_records: Vec<LogRecord>,
}

#[derive(Clone, PartialEq, Message)]
pub struct LogRecord {
    #[prost(fixed64, tag = "1")]
    pub time_unix_nano: u64,
    #[prost(int32, tag = "2")]
    pub severity_number: i32,
    #[prost(string, tag = "3")]
    pub severity_text: String,
    #[prost(message, optional, tag = "5")]
    pub body: Option<AnyValue>,
    #[prost(message, repeated, tag = "6")]
    pub attributes: Vec<KeyValue>,
    #[prost(fixed64, tag = "11")]
    pub observed_time_unix_nano: u64,
}

#[derive(Clone, PartialEq, Message)]
pub struct KeyValue {
    #[prost(string, tag = "1")]
    pub key: String,
    #[prost(message, optional, tag = "2")]
    pub value: Option<AnyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct AnyValue {
    #[prost(oneof = "any_value::Value", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub value: Option<any_value::Value>,
}

pub mod any_value {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        #[prost(string, tag = "1")]
        String(String),
        #[prost(bool, tag = "2")]
        Bool(bool),
        #[prost(int64, tag = "3")]
        Int(i64),
        #[prost(double, tag = "4")]
        Double(f64),
        #[prost(message, tag = "5")]
        Array(super::ArrayValue),
        #[prost(message, tag = "6")]
        KvList(super::KeyValueList),
        #[prost(bytes, tag = "7")]
        Bytes(Vec<u8>),
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct ArrayValue {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<AnyValue>,
}

#[derive(Clone, PartialEq, Message)]
pub struct KeyValueList {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<KeyValue>,
}

/// A value as text: strings as they are, others in JSON.
fn text(v: &AnyValue) -> String {
    use any_value::Value as V;
    match &v.value {
        None => String::new(),
        Some(V::String(s)) => s.clone(),
        Some(V::Bool(b)) => b.to_string(),
        Some(V::Int(i)) => i.to_string(),
        Some(V::Double(d)) => d.to_string(),
        Some(V::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(V::Array(a)) => serde_json::to_string(&a.values.iter().map(text).collect::<Vec<_>>())
            .unwrap_or_default(),
        Some(V::KvList(l)) => serde_json::to_string(
            &l.values
                .iter()
                .map(|kv| {
                    (
                        kv.key.clone(),
                        kv.value.as_ref().map(text).unwrap_or_default(),
                    )
                })
                .collect::<std::collections::BTreeMap<_, _>>(),
        )
        .unwrap_or_default(),
    }
}

/// The level of a record: its severity text, or the name of its severity number's range
/// (OTLP: 1–4 trace, 5–8 debug, 9–12 info, 13–16 warn, 17–20 error, 21–24 fatal).
fn level(text: &str, number: i32) -> &str {
    if !text.is_empty() {
        return text;
    }
    match number {
        1..=4 => "trace",
        5..=8 => "debug",
        9..=12 => "info",
        13..=16 => "warn",
        17..=20 => "error",
        21..=24 => "fatal",
        _ => "",
    }
}

/// One record as the JSON line the log reader takes.
fn line(time_nanos: u64, level: &str, service: &str, message: &str, out: &mut String) {
    let mut record = serde_json::Map::new();
    if time_nanos > 0 {
        if let Ok(t) = jiff::Timestamp::from_nanosecond(i128::from(time_nanos)) {
            record.insert("time".into(), Value::String(t.to_string()));
        }
    }
    if !level.is_empty() {
        record.insert("level".into(), Value::String(level.to_string()));
    }
    if !service.is_empty() {
        record.insert("service".into(), Value::String(service.to_string()));
    }
    record.insert("msg".into(), Value::String(message.to_string()));
    out.push_str(&Value::Object(record).to_string());
    out.push('\n');
}

/// Decodes a protobuf request into JSON lines, one per log record.
pub fn lines_from_protobuf(bytes: &[u8]) -> Result<String, String> {
    let request = ExportLogsServiceRequest::decode(bytes)
        .map_err(|e| format!("not an OTLP ExportLogsServiceRequest: {e}"))?;
    let mut out = String::new();
    for rl in &request.resource_logs {
        let service = rl
            .resource
            .as_ref()
            .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
            .and_then(|kv| kv.value.as_ref())
            .map(text)
            .unwrap_or_default();
        for sl in &rl.scope_logs {
            for r in &sl.log_records {
                let time = if r.time_unix_nano > 0 {
                    r.time_unix_nano
                } else {
                    r.observed_time_unix_nano
                };
                let message = r.body.as_ref().map(text).unwrap_or_default();
                line(
                    time,
                    level(&r.severity_text, r.severity_number),
                    &service,
                    &message,
                    &mut out,
                );
            }
        }
    }
    Ok(out)
}

/// Decodes an OTLP/JSON request into JSON lines, one per log record.
pub fn lines_from_json(bytes: &[u8]) -> Result<String, String> {
    let request: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("not an OTLP/JSON ExportLogsServiceRequest: {e}"))?;
    let any_text = |v: &Value| -> String {
        let Some(obj) = v.as_object() else {
            return String::new();
        };
        match obj.iter().next() {
            Some((_, Value::String(s))) => s.clone(),
            Some((_, other)) => other.to_string(),
            None => String::new(),
        }
    };
    let nanos = |v: &Value| -> u64 {
        match v {
            Value::String(s) => s.parse().unwrap_or(0),
            Value::Number(n) => n.as_u64().unwrap_or(0),
            _ => 0,
        }
    };
    let list = |v: &Value, key: &str| -> Vec<Value> {
        v.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    if !request.is_object() {
        return Err("not an OTLP/JSON ExportLogsServiceRequest: not an object".into());
    }
    let mut out = String::new();
    for rl in list(&request, "resourceLogs") {
        let service = rl
            .get("resource")
            .map(|r| list(r, "attributes"))
            .unwrap_or_default()
            .iter()
            .find(|kv| kv.get("key").and_then(Value::as_str) == Some("service.name"))
            .and_then(|kv| kv.get("value"))
            .map(any_text)
            .unwrap_or_default();
        for sl in list(&rl, "scopeLogs") {
            for r in list(&sl, "logRecords") {
                let time = r.get("timeUnixNano").map_or(0, nanos);
                let time = if time > 0 {
                    time
                } else {
                    r.get("observedTimeUnixNano").map_or(0, nanos)
                };
                // The severity number as a number, or as its enum name (SEVERITY_NUMBER_WARN).
                let number = match r.get("severityNumber") {
                    Some(Value::Number(n)) => n.as_i64().unwrap_or(0) as i32,
                    Some(Value::String(s)) => match s.trim_start_matches("SEVERITY_NUMBER_") {
                        "TRACE" => 1,
                        "DEBUG" => 5,
                        "INFO" => 9,
                        "WARN" => 13,
                        "ERROR" => 17,
                        "FATAL" => 21,
                        _ => 0,
                    },
                    _ => 0,
                };
                let severity = r.get("severityText").and_then(Value::as_str).unwrap_or("");
                let message = r.get("body").map(any_text).unwrap_or_default();
                line(time, level(severity, number), &service, &message, &mut out);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_through_protobuf() {
        let request = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(Resource {
                    attributes: vec![KeyValue {
                        key: "service.name".into(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::String("payments".into())),
                        }),
                    }],
                }),
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord {
                        time_unix_nano: 1_772_373_600_000_000_000,
                        severity_number: 17,
                        body: Some(AnyValue {
                            value: Some(any_value::Value::String("Charge failed".into())),
                        }),
                        ..LogRecord::default()
                    }],
                }],
            }],
        };
        let lines = lines_from_protobuf(&request.encode_to_vec()).unwrap();
        let v: Value = serde_json::from_str(lines.trim()).unwrap();
        assert_eq!(v["time"], "2026-03-01T14:00:00Z");
        assert_eq!(v["level"], "error");
        assert_eq!(v["service"], "payments");
        assert_eq!(v["msg"], "Charge failed");
        assert!(lines_from_protobuf(b"\xff\xff\xff").is_err());
        assert!(lines_from_json(b"[1,2]").is_err());
        assert!(lines_from_json(b"{oops").is_err());
    }
}
