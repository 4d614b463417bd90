//! The experiments pages: the list, and one experiment with its hypothesis, plan, outcome and
//! what was learned. A refuted hypothesis is shown as learning, never as failure.

use std::fmt::Write;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use debrief_core::{ExperimentId, ExperimentOutcome, ExperimentStatus, Role};
use serde::Deserialize;

use super::{error_page, esc, markdown, page, to_signin};
use crate::api::Shared;

/// How an experiment stands, in words that treat a refuted hypothesis as learning.
pub fn state(status: ExperimentStatus, outcome: Option<ExperimentOutcome>) -> &'static str {
    match (status, outcome) {
        (_, Some(ExperimentOutcome::Refuted)) => "hypothesis refuted: learned something",
        (_, Some(ExperimentOutcome::Confirmed)) => "hypothesis confirmed",
        (_, Some(ExperimentOutcome::Inconclusive)) => "inconclusive",
        (_, Some(ExperimentOutcome::Aborted)) => "stopped by its abort criteria",
        (ExperimentStatus::Running, None) => "running",
        _ => "planned",
    }
}

/// A store error as a page: not found is 404, the rest as the API says.
fn failed(err: debrief_store::StoreError, session: &super::Session) -> Response {
    let e = crate::ApiError::from(err);
    error_page(e.status, &e.message, Some(session))
}

fn day(t: Option<jiff::Timestamp>) -> String {
    t.map(|t| debrief_core::time::utc_date(t).to_string())
        .unwrap_or_default()
}

pub async fn experiments_page(State(state_): State<Shared>, headers: HeaderMap) -> Response {
    let Some(session) = state_.sessions.get(&headers) else {
        return to_signin();
    };
    let all = match state_.store.experiments().await {
        Ok(a) => a,
        Err(err) => return failed(err, &session),
    };
    let mut b = String::from(
        "<h1>Experiments</h1><p class=\"muted\">Failing small and on purpose. A refuted \
         hypothesis is learning. Plan one with <code>debrief experiment new</code>, or bring a \
         Chaos Toolkit experiment or journal with <code>debrief experiment import</code>.</p>",
    );
    if all.is_empty() {
        b.push_str("<p class=\"muted\">No experiments yet.</p>");
    } else {
        b.push_str(
            "<table class=\"list\"><thead><tr><th>Id</th><th>Title</th><th>Kind</th><th>Where it stands</th><th>Started</th></tr></thead><tbody>",
        );
        for e in &all {
            let id = e.id.map(|i| i.to_string()).unwrap_or_default();
            let _ = write!(
                b,
                "<tr><td><a href=\"/experiments/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&e.title),
                e.kind.label(),
                state(e.status, e.outcome),
                day(e.started)
            );
        }
        b.push_str("</tbody></table>");
    }
    page("Experiments", Some(&session), &b)
}

pub async fn experiment_page(
    State(state_): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(session) = state_.sessions.get(&headers) else {
        return to_signin();
    };
    let Ok(id) = id.parse::<ExperimentId>() else {
        return error_page(StatusCode::NOT_FOUND, "no such experiment", Some(&session));
    };
    let e = match state_.store.get_experiment(id).await {
        Ok(e) => e,
        Err(err) => return failed(err, &session),
    };
    let mut b = format!(
        "<h1>{id} {}</h1><p class=\"muted\">{} · <strong>{}</strong>{}</p>",
        esc(&e.title),
        e.kind.label(),
        state(e.status, e.outcome),
        match (e.started, e.ended) {
            (Some(s), Some(x)) => format!(" · {} to {}", day(Some(s)), day(Some(x))),
            (Some(s), None) => format!(" · since {}", day(Some(s))),
            _ => String::new(),
        }
    );
    for (name, text) in [
        ("Hypothesis", &e.hypothesis),
        ("What was learned", &e.learnings),
        ("Why it was stopped", &e.abort_reason),
        ("Blast radius", &e.blast_radius),
        ("Abort criteria", &e.abort_criteria),
        ("Rollback plan", &e.rollback_plan),
    ] {
        if !text.is_empty() {
            let _ = write!(b, "<h2>{name}</h2>{}", markdown(text));
        }
    }
    if !e.guardrails.is_empty() {
        b.push_str("<h2>Guardrails</h2><ul>");
        for g in &e.guardrails {
            let _ = write!(b, "<li>{}</li>", esc(g));
        }
        b.push_str("</ul>");
    }
    let links = |ids: &[debrief_core::IncidentId]| {
        ids.iter()
            .map(|i| format!("<a href=\"/incidents/{i}\">{i}</a>"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !e.caused.is_empty() {
        let _ = write!(b, "<p>Incidents it caused: {}</p>", links(&e.caused));
    }
    if !e.prevented.is_empty() {
        let _ = write!(b, "<p>Incidents it prevented: {}</p>", links(&e.prevented));
    }
    if !e.actions.is_empty() {
        let _ = write!(
            b,
            "<p>Action items: {}</p>",
            esc(&e
                .actions
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", "))
        );
    }
    if session.role >= Role::Writer && e.status != ExperimentStatus::Concluded {
        // Checks and balances, not permission: any writer may start one, or stop it with
        // the reason.
        let csrf = esc(&session.csrf);
        b.push_str("<h2>Run it</h2>");
        if e.status == ExperimentStatus::Planned {
            let _ = write!(
                b,
                "<form method=\"post\" action=\"/experiments/{id}/step\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <button name=\"step\" value=\"start\">Start it now</button></form>"
            );
        }
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/experiments/{id}/step\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <p><label>Why stop it <input name=\"reason\" size=\"50\" required></label> \
             <button name=\"step\" value=\"abort\">Abort</button></p></form>\
             <form method=\"post\" action=\"/experiments/{id}/step\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <p><label>Outcome <select name=\"outcome\"><option>confirmed</option><option>refuted</option>\
             <option>inconclusive</option></select></label></p>\
             <p><label>What was learned<br><textarea name=\"learnings\" rows=\"4\" cols=\"70\"></textarea></label></p>\
             <button name=\"step\" value=\"conclude\">Conclude</button></form>"
        );
    }
    if e.journal.is_some() {
        b.push_str("<p class=\"muted\">A Chaos Toolkit journal of its run is kept: <code>debrief experiment export ID --journal</code>.</p>");
    }
    page(&e.title, Some(&session), &b)
}

pub async fn premortems_page(State(state_): State<Shared>, headers: HeaderMap) -> Response {
    let Some(session) = state_.sessions.get(&headers) else {
        return to_signin();
    };
    let all = match state_.store.premortems().await {
        Ok(a) => a,
        Err(err) => return failed(err, &session),
    };
    let mut b = String::from(
        "<h1>Pre-mortems</h1><p class=\"muted\">Before a launch, imagine it failed and say how; \
         after it, what was foreseen, what was mitigated, and the surprises. \
         <code>debrief premortem new</code> starts one.</p>",
    );
    if all.is_empty() {
        b.push_str("<p class=\"muted\">No pre-mortems yet.</p>");
    } else {
        b.push_str(
            "<table class=\"list\"><thead><tr><th>Id</th><th>Launch or project</th><th>Launch</th><th>Risks</th><th>Foreseen</th><th>Surprises</th></tr></thead><tbody>",
        );
        for p in &all {
            let f = p.foresight();
            let id = p.id.map(|i| i.to_string()).unwrap_or_default();
            let _ = write!(
                b,
                "<tr><td><a href=\"/premortems/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{} ({} mitigated)</td><td>{}</td><td>{}</td></tr>",
                esc(&p.title),
                p.launch.map(|d| d.to_string()).unwrap_or_default(),
                f.risks,
                f.mitigated,
                f.foreseen,
                f.surprises
            );
        }
        b.push_str("</tbody></table>");
    }
    page("Pre-mortems", Some(&session), &b)
}

pub async fn premortem_page(
    State(state_): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(session) = state_.sessions.get(&headers) else {
        return to_signin();
    };
    let Ok(id) = id.parse::<debrief_core::PremortemId>() else {
        return error_page(StatusCode::NOT_FOUND, "no such pre-mortem", Some(&session));
    };
    let p = match state_.store.get_premortem(id).await {
        Ok(p) => p,
        Err(err) => return failed(err, &session),
    };
    let f = p.foresight();
    let mut b = format!(
        "<h1>{id} {}</h1><p class=\"muted\">{}{} risks, {} mitigated · incidents: {} foreseen, \
         {} surprises · foresight {}</p><h2>What was foreseen</h2><ol>",
        esc(&p.title),
        p.launch
            .map(|d| format!("launch {d} · "))
            .unwrap_or_default(),
        f.risks,
        f.mitigated,
        f.foreseen,
        f.surprises,
        f.rate
            .map_or("–".to_string(), |r| format!("{:.0}%", r * 100.0))
    );
    for (n, r) in p.risks.iter().enumerate() {
        let realised: Vec<String> = p
            .incidents
            .iter()
            .filter(|(_, k)| *k == Some(n + 1))
            .map(|(i, _)| format!("<a href=\"/incidents/{i}\">{i}</a>"))
            .collect();
        let _ = write!(
            b,
            "<li>{} <span class=\"muted\">likelihood {}, impact {}{}</span>{}{}</li>",
            esc(&r.text),
            r.likelihood,
            r.impact,
            if r.mitigated { " · mitigated" } else { "" },
            if r.mitigation.is_empty() {
                String::new()
            } else {
                format!(
                    "<br><span class=\"muted\">Mitigation{}:</span> {}",
                    r.owner
                        .as_deref()
                        .map(|o| format!(" ({})", esc(o)))
                        .unwrap_or_default(),
                    esc(&r.mitigation)
                )
            },
            if realised.is_empty() {
                String::new()
            } else {
                format!(
                    "<br><strong class=\"recurrence\">Realised by {}</strong>",
                    realised.join(", ")
                )
            }
        );
    }
    b.push_str("</ol><h2>Surprises</h2>");
    let surprises: Vec<String> = p
        .incidents
        .iter()
        .filter(|(_, k)| k.is_none())
        .map(|(i, _)| format!("<a href=\"/incidents/{i}\">{i}</a>"))
        .collect();
    if surprises.is_empty() {
        b.push_str("<p class=\"muted\">None linked.</p>");
    } else {
        let _ = write!(b, "<p>No risk foresaw: {}</p>", surprises.join(", "));
    }
    page(&p.title, Some(&session), &b)
}

#[derive(Deserialize)]
pub struct StepForm {
    csrf: Option<String>,
    step: Option<String>,
    reason: Option<String>,
    outcome: Option<String>,
    learnings: Option<String>,
}

/// Start, abort (with the reason) or conclude an experiment from its page.
pub async fn step(
    State(state_): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<StepForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.ok().map(|Form(f)| f);
    let csrf = form.as_ref().and_then(|f| f.csrf.as_deref());
    let session = match super::review::writer(&state_, &headers, csrf) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let Some(f) = form else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "the form is incomplete",
            Some(&session),
        );
    };
    let Ok(id) = id.parse::<ExperimentId>() else {
        return error_page(StatusCode::NOT_FOUND, "no such experiment", Some(&session));
    };
    let now = debrief_core::time::to_seconds(jiff::Timestamp::now());
    let learnings = f.learnings.filter(|l| !l.trim().is_empty());
    let result = match f.step.as_deref() {
        Some("start") => state_.store.update_experiment(id, |e| e.start(now)).await,
        Some("abort") => {
            let Some(reason) = f.reason.filter(|r| !r.trim().is_empty()) else {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    "say why it was stopped",
                    Some(&session),
                );
            };
            state_
                .store
                .update_experiment(id, |e| {
                    e.conclude(ExperimentOutcome::Aborted, learnings, Some(reason), now)
                })
                .await
        }
        Some("conclude") => {
            let Some(Ok(outcome)) = f.outcome.as_deref().map(str::parse::<ExperimentOutcome>)
            else {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    "choose an outcome: confirmed, refuted or inconclusive",
                    Some(&session),
                );
            };
            state_
                .store
                .update_experiment(id, |e| e.conclude(outcome, learnings, None, now))
                .await
        }
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "no such step: start, abort or conclude",
                Some(&session),
            );
        }
    };
    match result {
        Ok(_) => Redirect::to(&format!("/experiments/{id}")).into_response(),
        Err(err) => failed(err, &session),
    }
}
