//! The problems page: incidents that recur as one, and a Pareto view of what all incidents
//! have in common.

use std::fmt::Write;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use debrief_core::Role;
use serde::Deserialize;

use super::{error_page, esc, page, to_signin};
use crate::api::Shared;

fn bars(name: &str, bars: &[debrief_store::ParetoBar], out: &mut String) {
    let _ = write!(out, "<h3>{name}</h3>");
    if bars.is_empty() {
        out.push_str("<p class=\"muted\">None recorded yet.</p>");
        return;
    }
    let max = bars.iter().map(|b| b.incidents).max().unwrap_or(1).max(1);
    out.push_str("<table class=\"pareto\"><tbody>");
    for b in bars.iter().take(10) {
        let width = 160.0 * b.incidents as f64 / max as f64;
        let _ = write!(
            out,
            "<tr><td>{}</td><td><svg width=\"160\" height=\"12\" role=\"img\"><title>{} incidents</title>\
             <rect width=\"{width:.1}\" height=\"12\" fill=\"#0b57d0\"/></svg></td><td>{}</td>\
             <td class=\"muted\">{:.0}%</td></tr>",
            esc(&b.value),
            b.incidents,
            b.incidents,
            b.cumulative * 100.0
        );
    }
    out.push_str("</tbody></table>");
}

pub async fn problems_page(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let Some(session) = state.sessions.get(&headers) else {
        return to_signin();
    };
    let (problems, pareto) = match (state.store.problems().await, state.store.pareto().await) {
        (Ok(p), Ok(q)) => (p, q),
        (Err(e), _) | (_, Err(e)) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.to_string(),
                Some(&session),
            );
        }
    };
    let mut b = String::from(
        "<h1>Problems</h1><p class=\"muted\">Incidents that recur as one: \
        each is the other's closest resemblance. Links made by hand are kept when the problems are \
        computed again.</p>",
    );
    if session.role >= Role::Writer {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/problems\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button>Compute again</button></form>",
            esc(&session.csrf)
        );
    }
    if problems.is_empty() {
        b.push_str("<p class=\"muted\">No problems found (yet).</p>");
    }
    for p in &problems {
        let _ = write!(
            b,
            "<div class=\"card problem\" id=\"{id}\"><strong>{id}</strong> {} <span class=\"muted\">{} incidents</span><ul>",
            esc(&p.title),
            p.incidents.len(),
            id = p.id
        );
        for i in &p.incidents {
            let _ = write!(
                b,
                "<li><a href=\"/incidents/{id}\">{id}</a> {} <span class=\"muted\">{}{}</span></li>",
                esc(&i.title),
                i.started
                    .map(|t| debrief_core::time::utc_date(t).to_string())
                    .unwrap_or_default(),
                if i.how == "linked" {
                    " · linked by hand"
                } else {
                    ""
                },
                id = i.id
            );
        }
        b.push_str("</ul>");
        if !p.shared_factors.is_empty() {
            let _ = write!(
                b,
                "<p>Shared factors: {}</p>",
                esc(&p
                    .shared_factors
                    .iter()
                    .map(|(c, n)| format!("{c} ({n})"))
                    .collect::<Vec<_>>()
                    .join(", "))
            );
        }
        if !p.open_actions.is_empty() {
            let _ = write!(
                b,
                "<p class=\"recurrence\">{} action items still open:</p><ul>",
                p.open_actions.len()
            );
            for (inc, a) in &p.open_actions {
                let _ = write!(
                    b,
                    "<li>{} {} <span class=\"muted\">({inc})</span></li>",
                    a.id.map(|x| x.to_string()).unwrap_or_default(),
                    esc(&a.title)
                );
            }
            b.push_str("</ul>");
        }
        b.push_str("</div>");
    }
    let _ = write!(
        b,
        "<h2>What recurs</h2><p class=\"muted\">Across all {} incidents, most first, with the running share.</p>",
        pareto.incidents
    );
    bars(
        "Contributing-factor categories",
        &pareto.factor_categories,
        &mut b,
    );
    bars("Contributing-factor levels", &pareto.factor_levels, &mut b);
    bars("Services", &pareto.services, &mut b);
    bars("Detected by", &pareto.detection, &mut b);
    page("Problems", Some(&session), &b)
}

#[derive(Deserialize)]
pub struct ComputeForm {
    csrf: Option<String>,
}

pub async fn compute(
    State(state): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<ComputeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let csrf = form.ok().and_then(|Form(f)| f.csrf);
    let session = match super::review::writer(&state, &headers, csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    match state.store.compute_problems(jiff::Timestamp::now()).await {
        Ok(_) => Redirect::to("/problems").into_response(),
        Err(e) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            &e.to_string(),
            Some(&session),
        ),
    }
}
