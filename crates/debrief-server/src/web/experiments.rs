//! The experiments pages: the list, and one experiment with its hypothesis, plan, outcome and
//! what was learned. A refuted hypothesis is shown as learning, never as failure.

use std::fmt::Write;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use debrief_core::{ExperimentId, ExperimentOutcome, ExperimentStatus, Role};
use serde::Deserialize;

use super::{error_page, esc, field, markdown, page, to_signin};
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

use super::store_failed as failed;

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
    if session.role >= Role::Writer {
        let kinds: String = debrief_core::ExperimentKind::ALL
            .iter()
            .map(|k| format!("<option>{}</option>", k.as_str()))
            .collect();
        let _ = write!(
            b,
            "<details class=\"card\"><summary>Plan an experiment</summary>\
             <form method=\"post\" action=\"/experiments\" id=\"new-experiment\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <p><label>Title <input name=\"title\" size=\"40\" required></label> \
             <label>Kind <select name=\"kind\">{kinds}</select></label></p>\
             <p><label>What you expect to hold<br><input name=\"hypothesis\" size=\"70\" required></label></p>\
             <p><label>Blast radius <input name=\"blast_radius\" size=\"50\"></label></p>\
             <p><label>Guardrail metrics, one a line<br><textarea name=\"guardrails\" rows=\"2\" cols=\"60\"></textarea></label></p>\
             <p><label>Abort criteria <input name=\"abort_criteria\" size=\"50\"></label></p>\
             <p><label>Rollback plan <input name=\"rollback_plan\" size=\"50\"></label></p>\
             <p><button>Plan it</button></p></form></details>",
            esc(&session.csrf)
        );
    }
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
    let (session, id, e) =
        match super::record_page(&state_, &headers, &id, "experiment", |id: ExperimentId| {
            state_.store.get_experiment(id)
        })
        .await
        {
            Ok(r) => r,
            Err(page) => return *page,
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
    if session.role >= Role::Writer {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/premortems\" class=\"card\" id=\"new-premortem\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <p><label>Launch or project <input name=\"title\" size=\"40\" required \
             placeholder=\"EU checkout launch\"></label> \
             <label>Launch day <input name=\"launch\" size=\"12\" placeholder=\"YYYY-MM-DD\"></label> \
             <button>Start a pre-mortem</button></p></form>",
            esc(&session.csrf)
        );
    }
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
    let (session, id, p) = match super::record_page(
        &state_,
        &headers,
        &id,
        "pre-mortem",
        |id: debrief_core::PremortemId| state_.store.get_premortem(id),
    )
    .await
    {
        Ok(r) => r,
        Err(page) => return *page,
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
    b.push_str("</ol>");
    let writer = session.role >= Role::Writer;
    let csrf = esc(&session.csrf);
    if writer && !p.risks.is_empty() {
        b.push_str("<p id=\"mitigations\">");
        for (n, r) in p.risks.iter().enumerate() {
            let _ = write!(
                b,
                "<form method=\"post\" action=\"/premortems/{id}/mitigated\" style=\"display:inline\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <input type=\"hidden\" name=\"risk\" value=\"{k}\">\
                 <input type=\"hidden\" name=\"mitigated\" value=\"{v}\">\
                 <button>{label} risk {k}</button></form> ",
                k = n + 1,
                v = !r.mitigated,
                label = if r.mitigated {
                    "Not mitigated:"
                } else {
                    "Mitigated:"
                }
            );
        }
        b.push_str("</p>");
    }
    b.push_str("<h2>Surprises</h2>");
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
    if writer {
        let options: String =
            std::iter::once("<option value=\"\">none: a surprise</option>".to_string())
                .chain(
                    (1..=p.risks.len()).map(|k| format!("<option value=\"{k}\">risk {k}</option>")),
                )
                .collect();
        let _ = write!(
            b,
            "<h2>Add a risk</h2><form method=\"post\" action=\"/premortems/{id}/risk\" id=\"add-risk\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <p><label>How it fails <input name=\"text\" size=\"60\" required></label></p>\
             <p><label>Likelihood <select name=\"likelihood\"><option>low</option><option selected>medium</option><option>high</option></select></label> \
             <label>Impact <select name=\"impact\"><option>low</option><option selected>medium</option><option>high</option></select></label> \
             <label>Owner <input name=\"owner\" size=\"16\"></label></p>\
             <p><label>Mitigation <input name=\"mitigation\" size=\"60\"></label> <button>Add the risk</button></p></form>\
             <h2>Link an incident of the launch</h2><form method=\"post\" action=\"/premortems/{id}/link\" id=\"link\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <p><label>Incident <input name=\"incident\" size=\"10\" required placeholder=\"INC-14\"></label> \
             <label>It realised <select name=\"risk\">{options}</select></label> <button>Link</button></p></form>"
        );
    }
    page(&p.title, Some(&session), &b)
}

/// Plans an experiment from the list page's form.
pub async fn create_experiment(
    State(state_): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<super::Fields>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (session, fields) = match super::writer_form(&state_, &headers, form) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let get = |name: &str| field(&fields, name).unwrap_or_default().to_string();
    let Ok(kind) = get("kind").parse::<debrief_core::ExperimentKind>() else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "choose the kind of experiment",
            Some(&session),
        );
    };
    let mut e = debrief_core::Experiment::new(get("title"), kind, get("hypothesis"));
    e.blast_radius = get("blast_radius");
    e.guardrails = get("guardrails")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    e.abort_criteria = get("abort_criteria");
    e.rollback_plan = get("rollback_plan");
    match state_.store.create_experiment(&e).await {
        Ok(id) => Redirect::to(&format!("/experiments/{id}")).into_response(),
        Err(err) => failed(err, &session),
    }
}

/// Starts a pre-mortem from the list page's form.
pub async fn create_premortem(
    State(state_): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<super::Fields>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (session, fields) = match super::writer_form(&state_, &headers, form) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let launch = match super::date_field(&fields, "launch", "launch day") {
        Ok(d) => d,
        Err(m) => return error_page(StatusCode::BAD_REQUEST, &m, Some(&session)),
    };
    let p = debrief_core::Premortem::new(field(&fields, "title").unwrap_or_default(), launch);
    match state_.store.create_premortem(&p).await {
        Ok(id) => Redirect::to(&format!("/premortems/{id}")).into_response(),
        Err(err) => failed(err, &session),
    }
}

/// Adds a risk, marks one mitigated (or not), or links an incident, from a pre-mortem's page.
pub async fn premortem_change(
    State(state_): State<Shared>,
    headers: HeaderMap,
    Path((id, step)): Path<(String, String)>,
    form: Result<Form<super::Fields>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (session, fields) = match super::writer_form(&state_, &headers, form) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let Ok(id) = id.parse::<debrief_core::PremortemId>() else {
        return error_page(StatusCode::NOT_FOUND, "no such pre-mortem", Some(&session));
    };
    let bad = |m: &str| error_page(StatusCode::BAD_REQUEST, m, Some(&session));
    let get = |name: &str| field(&fields, name).map(str::trim).unwrap_or_default();
    let number = |name: &str| -> Option<usize> {
        let v = get(name);
        if v.is_empty() { None } else { v.parse().ok() }
    };
    let result = match step.as_str() {
        "risk" => {
            let (Ok(likelihood), Ok(impact)) = (
                get("likelihood").parse::<debrief_core::RiskLevel>(),
                get("impact").parse::<debrief_core::RiskLevel>(),
            ) else {
                return bad("choose a likelihood and an impact: low, medium or high");
            };
            let risk = debrief_core::Risk {
                text: get("text").to_string(),
                likelihood,
                impact,
                mitigation: get("mitigation").to_string(),
                owner: Some(get("owner").to_string()).filter(|o| !o.is_empty()),
                mitigated: false,
            };
            state_
                .store
                .update_premortem(id, |p| {
                    p.risks.push(risk);
                    Ok(())
                })
                .await
        }
        "mitigated" => {
            let Some(risk) = number("risk") else {
                return bad("say which risk");
            };
            let mitigated = get("mitigated") == "true";
            state_
                .store
                .update_premortem(id, |p| p.set_mitigated(risk, mitigated))
                .await
        }
        "link" => {
            let Ok(incident) = get("incident").parse::<debrief_core::IncidentId>() else {
                return bad("give the incident's number, as INC-14");
            };
            let risk = number("risk");
            state_
                .store
                .update_premortem(id, |p| {
                    p.link(incident, risk);
                    Ok(())
                })
                .await
        }
        _ => return error_page(StatusCode::NOT_FOUND, "no such page", Some(&session)),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/premortems/{id}")).into_response(),
        Err(err) => failed(err, &session),
    }
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
