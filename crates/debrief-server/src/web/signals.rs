//! The weak-signals page: templates whose failure-hiding lines (retries, restarts,
//! failovers, timeouts, …) are new or rising, each with its kind and its rate as a sparkline.

use std::fmt::Write;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use debrief_core::Role;
use serde::Deserialize;

use super::{error_page, esc, page, to_signin};
use crate::api::{PromoteBody, Shared, SignalQuery, signal_report};

pub async fn signals_page(
    State(state): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<SignalQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(session) = state.sessions.get(&headers) else {
        return to_signin();
    };
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e.body_text(), Some(&session)),
    };
    let report = match signal_report(&state, &q).await {
        Ok(r) => r,
        Err(e) => return error_page(e.status, &e.message, Some(&session)),
    };
    let mut kinds = String::from("<option value=\"\">any</option>");
    for k in debrief_signals::kinds::Kind::ALL {
        let chosen = if q.kind.as_deref() == Some(k.as_str()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(kinds, "<option{chosen}>{}</option>", k.as_str());
    }
    let mut b = format!(
        "<h1>Weak signals</h1><p class=\"muted\">Failures that retries, restarts and failovers \
         hide, by log template: new or rising from {} to {}, against the baseline from {}.</p>\
         <form class=\"filters\" method=\"get\">\
         <label>Window <input name=\"since\" size=\"5\" value=\"{}\"></label>\
         <label>Baseline <input name=\"baseline\" size=\"5\" value=\"{}\"></label>\
         <label>Kind <select name=\"kind\">{kinds}</select></label>\
         <label>Service <input name=\"service\" size=\"12\" value=\"{}\"></label>\
         <button>Show</button></form>",
        debrief_core::time::format_time(report.from),
        debrief_core::time::format_time(report.until),
        debrief_core::time::format_time(report.baseline_from),
        esc(q.since.as_deref().unwrap_or("24h")),
        esc(q.baseline.as_deref().unwrap_or("7d")),
        esc(q.service.as_deref().unwrap_or("")),
    );
    if report.signals.is_empty() {
        b.push_str(
            "<p class=\"muted\">No signals in this window. Send logs to <code>/v1/logs</code> \
             (OTLP) or <code>/api/v1/logs</code>, or run <code>debrief signals scan</code>.</p>",
        );
    } else {
        let writer = session.role >= Role::Writer;
        let _ = write!(
            b,
            "<table class=\"signals\"><thead><tr><th>Kind</th><th>Template</th><th>Rate</th>\
             <th>Trend</th><th>Lines</th><th>Services</th>{}</tr></thead><tbody>",
            if writer { "<th></th>" } else { "" }
        );
        for s in &report.signals {
            let promote = if writer {
                format!(
                    "<td><form method=\"post\" action=\"/signals/promote\" class=\"inline\">\
                     <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
                     <input type=\"hidden\" name=\"fingerprint\" value=\"{}\">\
                     <input type=\"hidden\" name=\"since\" value=\"{}\">\
                     <button title=\"Open an incident with this signal as its evidence\">Open incident</button></form></td>",
                    esc(&session.csrf),
                    esc(&s.fingerprint),
                    esc(q.since.as_deref().unwrap_or("24h")),
                )
            } else {
                String::new()
            };
            let _ = write!(
                b,
                "<tr><td><span class=\"kind {kind}\">{kind}</span></td><td><code>{}</code></td>\
                 <td>{}</td><td>{}</td><td>{} <span class=\"muted\">(usual {:.0})</span></td><td>{}</td>{promote}</tr>",
                esc(&s.template),
                crate::svg::sparkline(&s.rate),
                s.trend.as_str(),
                s.count,
                s.expected,
                esc(&s.services.join(", ")),
                kind = s.kind.as_str(),
            );
        }
        b.push_str("</tbody></table>");
    }
    if !report.cascades.is_empty() {
        b.push_str("<h2>Cascades</h2><p class=\"muted\">Signals in different services that rose together.</p>");
        for c in &report.cascades {
            let _ = write!(
                b,
                "<div class=\"card\"><strong>{}</strong><ul>",
                debrief_core::time::format_time(c.start)
            );
            for m in &c.members {
                let _ = write!(
                    b,
                    "<li>{} <span class=\"kind\">{}</span> {} <code>{}</code></li>",
                    debrief_core::time::format_time(m.onset),
                    m.kind.as_str(),
                    esc(&m.service),
                    esc(&m.template)
                );
            }
            b.push_str("</ul></div>");
        }
    }
    page("Weak signals", Some(&session), &b)
}

#[derive(Deserialize)]
pub struct PromoteForm {
    csrf: Option<String>,
    #[serde(default)]
    fingerprint: String,
    since: Option<String>,
}

/// The signals page's "Open incident": a new incident with the signal as its evidence.
pub async fn promote(
    State(state): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<PromoteForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return error_page(StatusCode::BAD_REQUEST, "the form was not filled in", None);
    };
    let session = match super::review::writer(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let body = PromoteBody {
        since: form.since,
        ..PromoteBody::default()
    };
    match crate::api::promote(&state, &form.fingerprint, body).await {
        Ok(done) => Redirect::to(&format!("/incidents/{}", done.incident)).into_response(),
        Err(e) => error_page(e.status, &e.message, Some(&session)),
    }
}
