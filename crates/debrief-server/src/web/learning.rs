//! The learning page: `debrief metrics` as a page, with a chart per figure by month.

use std::fmt::Write;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use debrief_store::{MetricsBy, MetricsRow};

use super::{error_page, esc, page, to_signin};
use crate::api::Shared;

/// Bars by month for one figure; months without a value are left empty.
fn chart(
    title: &str,
    unit: &str,
    rows: &[MetricsRow],
    value: impl Fn(&MetricsRow) -> Option<f64>,
) -> String {
    let values: Vec<(String, Option<f64>)> =
        rows.iter().map(|r| (r.group.clone(), value(r))).collect();
    let max = values
        .iter()
        .filter_map(|v| v.1)
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let (bar, gap, height) = (28.0, 8.0, 120.0);
    let width = values.len() as f64 * (bar + gap) + 10.0;
    let mut s = format!(
        "<figure class=\"drawing chart\"><figcaption>{}</figcaption>\
         <svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {}\" width=\"{width}\" height=\"{}\" role=\"img\">\
         <title>{} by month</title>",
        esc(title),
        height + 40.0,
        height + 40.0,
        esc(title)
    );
    for (n, (month, v)) in values.iter().enumerate() {
        let x = 5.0 + n as f64 * (bar + gap);
        if let Some(v) = v {
            let h = (v / max * height).max(1.0);
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar}\" height=\"{h:.1}\" fill=\"#0b57d0\"><title>{}: {v:.0}{unit}</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\">{v:.0}</text>",
                height - h + 12.0,
                esc(month),
                x + bar / 2.0,
                height - h + 9.0,
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\" text-anchor=\"middle\">{}</text>",
            x + bar / 2.0,
            height + 26.0,
            esc(month.get(2..).unwrap_or(month))
        );
    }
    s.push_str("</svg></figure>");
    s
}

pub async fn learning_page(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let Some(session) = state.sessions.get(&headers) else {
        return to_signin();
    };
    let (all, months) = match (
        state.store.metrics(None, MetricsBy::All).await,
        state.store.metrics(None, MetricsBy::Month).await,
    ) {
        (Ok(a), Ok(m)) => (a, m),
        (Err(e), _) | (_, Err(e)) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.to_string(),
                Some(&session),
            );
        }
    };
    let mut b = String::from(
        "<h1>Learning</h1><p class=\"muted\">Times are from an incident's start, as \
         medians and 90th percentiles: durations are skewed, so a mean alone misleads. \
         <code>debrief metrics</code> gives the same, as a table, JSON or CSV.</p>",
    );
    let Some(m) = all.first() else {
        b.push_str("<p class=\"muted\">No incidents yet.</p>");
        return page("Learning", Some(&session), &b);
    };
    let mins = |v: Option<i64>| v.map_or("–".to_string(), debrief_core::time::minutes_text);
    let _ = write!(
        b,
        "<table class=\"figures\"><tbody>\
         <tr><th>Incidents</th><td>{}</td></tr>\
         <tr><th>Time to detect</th><td>median {}, p90 {}</td></tr>\
         <tr><th>Time to mitigate</th><td>median {}, p90 {}</td></tr>\
         <tr><th>Time to resolve</th><td>median {}, p90 {}</td></tr>\
         <tr><th>Time to a published review</th><td>median {}, p90 {}</td></tr>\
         <tr><th>Reviews beyond the technical</th><td>{:.0}%</td></tr>\
         <tr><th>Monitoring gaps</th><td>{}</td></tr>\
         <tr><th>Near misses</th><td>{} ({:.0}% of incidents and reports)</td></tr>\
         <tr><th>Found by a weak signal</th><td>{}</td></tr>\
         <tr><th>Action items closed</th><td>{:.0}% (days to close: median {}, p90 {})</td></tr>\
         <tr><th>Recurrence</th><td>{:.0}%</td></tr>\
         <tr><th>Experiments</th><td>{} run, {} concluded, {:.0}% refuted (learned from)</td></tr>\
         <tr><th>Retrospectives</th><td>{} held; {} action items decided, {:.0}% closed</td></tr></tbody></table>",
        m.incidents,
        mins(m.detect_median),
        mins(m.detect_p90),
        mins(m.mitigate_median),
        mins(m.mitigate_p90),
        mins(m.resolve_median),
        mins(m.resolve_p90),
        mins(m.review_median),
        mins(m.review_p90),
        m.beyond_technical * 100.0,
        m.monitoring_gaps,
        m.near_misses + m.near_miss_reports,
        m.near_miss_ratio * 100.0,
        m.signals_promoted,
        m.action_closure * 100.0,
        m.action_close_days_median
            .map_or("–".to_string(), |d| d.to_string()),
        m.action_close_days_p90
            .map_or("–".to_string(), |d| d.to_string()),
        m.recurrence * 100.0,
        m.experiments_run,
        m.experiments_concluded,
        m.experiments_refuted * 100.0,
        m.retros_held,
        m.retro_actions,
        m.retro_action_closure * 100.0
    );
    b.push_str("<h2>By month</h2>");
    b.push_str(&chart("Incidents", "", &months, |r| {
        Some(r.incidents as f64)
    }));
    b.push_str(&chart("Median time to resolve", " min", &months, |r| {
        r.resolve_median.map(|v| v as f64)
    }));
    b.push_str(&chart("Median time to detect", " min", &months, |r| {
        r.detect_median.map(|v| v as f64)
    }));
    b.push_str(&chart("Reviews beyond the technical", "%", &months, |r| {
        Some(r.beyond_technical * 100.0)
    }));
    page("Learning", Some(&session), &b)
}
