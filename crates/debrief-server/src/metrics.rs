//! Counters for `/metrics`, in the Prometheus text format: requests by route, method and
//! status, their latency as a histogram by route, and (read from the store at each scrape)
//! incidents by status.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Histogram {
    /// Observations at or below each bound of [`BUCKETS`] (not cumulative here).
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    pub ingested_lines: std::sync::atomic::AtomicU64,
}

impl Metrics {
    /// Counts one request to `route` (its pattern, such as `/api/v1/incidents/{id}`).
    pub fn observe(&self, route: &str, method: &str, status: u16, took: Duration) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner
            .requests
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        let h = inner.latency.entry(route.to_string()).or_default();
        if h.counts.is_empty() {
            h.counts = vec![0; BUCKETS.len()];
        }
        let secs = took.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| secs <= b) {
            h.counts[i] += 1;
        }
        h.sum += secs;
        h.count += 1;
    }

    /// The counters as Prometheus text, with `incidents` (status → count) as a gauge.
    pub fn render(&self, incidents: &BTreeMap<&'static str, u64>) -> String {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str("# HELP debrief_http_requests_total HTTP requests answered, by route, method and status.\n");
        out.push_str("# TYPE debrief_http_requests_total counter\n");
        for ((route, method, status), n) in &inner.requests {
            let _ = writeln!(
                out,
                "debrief_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                escape(route),
                escape(method)
            );
        }
        out.push_str(
            "# HELP debrief_http_request_duration_seconds Time to answer a request, by route.\n",
        );
        out.push_str("# TYPE debrief_http_request_duration_seconds histogram\n");
        for (route, h) in &inner.latency {
            let route = escape(route);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(&h.counts) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "debrief_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "debrief_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "debrief_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "debrief_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP debrief_ingested_lines_total Log lines taken in by the ingest endpoints.\n",
        );
        out.push_str("# TYPE debrief_ingested_lines_total counter\n");
        let _ = writeln!(
            out,
            "debrief_ingested_lines_total {}",
            self.ingested_lines
                .load(std::sync::atomic::Ordering::Relaxed)
        );
        out.push_str("# HELP debrief_incidents Incidents in the store, by status.\n");
        out.push_str("# TYPE debrief_incidents gauge\n");
        for (status, n) in incidents {
            let _ = writeln!(out, "debrief_incidents{{status=\"{status}\"}} {n}");
        }
        out
    }
}

/// A label value as the text format wants it: `\`, `"` and line ends escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_a_cumulative_histogram() {
        let m = Metrics::default();
        m.observe("/healthz", "GET", 200, Duration::from_micros(300));
        m.observe("/healthz", "GET", 200, Duration::from_millis(3));
        m.observe(
            "/api/v1/incidents/{id}",
            "GET",
            404,
            Duration::from_millis(20),
        );
        let text = m.render(&BTreeMap::from([("open", 2)]));
        assert!(text.contains(
            "debrief_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "debrief_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains(
            "debrief_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.005\"} 2"
        ));
        assert!(text.contains(
            "debrief_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains("debrief_incidents{status=\"open\"} 2"));
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
