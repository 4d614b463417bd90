//! The routes: `/healthz`, `/metrics`, and the JSON API under `/api/v1`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use debrief_core::{
    ActionStatus, Detection, Incident, IncidentId, IncidentType, Role, Severity, Status,
};
use debrief_store::{ActionFilter, IncidentFilter};
use serde::Deserialize;

use crate::{ApiError, AppState, auth};

/// The largest request body the API takes (a review document is far smaller).
pub const MAX_BODY: usize = 1 << 20;

/// The largest batch of logs one request may post (after gzip is undone, too).
pub const MAX_LOG_BODY: usize = 16 << 20;

pub(crate) type Shared = Arc<AppState>;

/// Declares the routes once: the router, and [`ROUTES`] (path and methods of each), which the
/// OpenAPI document must match (a test checks).
macro_rules! routes {
    ($($path:literal => $handler:expr, [$($method:literal),+];)+) => {
        /// Every route: its path pattern and methods.
        pub const ROUTES: &[(&str, &[&str])] = &[$(($path, &[$($method),+])),+];

        fn routes(router: Router<Shared>) -> Router<Shared> {
            router$(.route($path, $handler))+
        }
    };
}

routes! {
    "/healthz" => get(healthz), ["get"];
    "/metrics" => get(metrics), ["get"];
    "/api/v1/openapi.json" => get(openapi), ["get"];
    "/api/v1/incidents" => get(list_incidents).post(create_incident), ["get", "post"];
    "/api/v1/incidents/{id}" => get(get_incident).patch(edit_incident), ["get", "patch"];
    "/api/v1/incidents/{id}/status" => post(set_status), ["post"];
    "/api/v1/incidents/{id}/similar" => get(similar), ["get"];
    "/api/v1/incidents/{id}/factors/{n}/whys" => post(add_why), ["post"];
    "/api/v1/incidents/{id}/review" => get(get_review).put(put_review), ["get", "put"];
    "/api/v1/incidents/{id}/timeline" => post(add_timeline), ["post"];
    "/api/v1/incidents/{id}/factors" => post(add_factor), ["post"];
    "/api/v1/incidents/{id}/actions" => post(add_action), ["post"];
    "/api/v1/incidents/{id}/lessons" => post(add_lesson), ["post"];
    "/api/v1/incidents/{id}/review/{step}" => post(review_step), ["post"];
    "/api/v1/incidents/{id}/acks" => post(acknowledge), ["post"];
    "/api/v1/actions" => get(list_actions), ["get"];
    "/api/v1/actions/{id}" => patch(edit_action), ["patch"];
    "/api/v1/actions/stats" => get(action_stats), ["get"];
    "/api/v1/near-misses" => get(list_near_misses).post(report_near_miss), ["get", "post"];
    "/api/v1/near-misses/{id}/{step}" => post(near_miss_step), ["post"];
    "/api/v1/lint" => post(lint), ["post"];
    "/api/v1/search" => get(search), ["get"];
    "/api/v1/problems" => get(list_problems), ["get"];
    "/api/v1/problems/compute" => post(compute_problems), ["post"];
    "/api/v1/problems/{id}" => get(get_problem), ["get"];
    "/api/v1/problems/{id}/incidents" => post(link_problem), ["post"];
    "/api/v1/pareto" => get(pareto), ["get"];
    "/api/v1/metrics" => get(learning_metrics), ["get"];
    "/api/v1/digest" => get(digest), ["get"];
    "/api/v1/bows" => get(list_bows).post(add_bow), ["get", "post"];
    "/api/v1/experiments" => get(list_experiments).post(create_experiment), ["get", "post"];
    "/api/v1/experiments/{id}" => get(get_experiment), ["get"];
    "/api/v1/experiments/import" => post(import_experiment), ["post"];
    "/api/v1/experiments/{id}/{step}" => post(step_experiment), ["post"];
    "/api/v1/premortems" => get(list_premortems).post(create_premortem), ["get", "post"];
    "/api/v1/premortems/{id}" => get(get_premortem), ["get"];
    "/api/v1/premortems/{id}/risks" => post(add_risk), ["post"];
    "/api/v1/premortems/{id}/risks/{n}" => post(mitigate_risk), ["post"];
    "/api/v1/premortems/{id}/incidents" => post(link_premortem), ["post"];
    "/api/v1/retros" => get(list_retros).post(create_retro), ["get", "post"];
    "/api/v1/retros/{id}" => get(get_retro), ["get"];
    "/api/v1/retros/{id}/items" => post(add_retro_item), ["post"];
    "/api/v1/retros/{id}/votes" => post(vote_retro), ["post"];
    "/api/v1/retros/{id}/close" => post(close_retro), ["post"];
    "/api/v1/bows/{id}" => delete(remove_bow), ["delete"];
    "/api/v1/signals" => get(signals), ["get"];
    "/api/v1/signals/{fingerprint}/promote" => post(promote_signal), ["post"];
    "/api/v1/alertmanager" => post(alertmanager), ["post"];
    "/v1/logs" => post(otlp_logs).layer(DefaultBodyLimit::max(MAX_LOG_BODY)), ["post"];
    "/api/v1/logs" => post(ingest_logs).layer(DefaultBodyLimit::max(MAX_LOG_BODY)), ["post"];
    "/api/v1/tokens" => get(list_tokens).post(create_token), ["get", "post"];
    "/api/v1/tokens/{id}" => delete(revoke_token), ["delete"];
}

pub fn router(state: Shared) -> Router {
    // The web UI's pages (not part of the API, so not in its document).
    let pages = Router::new()
        .route("/", get(crate::web::incident_list))
        .route(
            "/signin",
            get(crate::web::signin_form).post(crate::web::signin),
        )
        .route("/signout", post(crate::web::signout))
        .route(
            "/incidents/new",
            get(crate::web::review::new_incident_form).post(crate::web::review::create_incident),
        )
        .route("/incidents/{id}", get(crate::web::incident_page))
        .route(
            "/incidents/{id}/edit",
            get(crate::web::review::editor).post(crate::web::review::save),
        )
        .route(
            "/incidents/{id}/publish",
            get(crate::web::review::publish_page).post(crate::web::review::step),
        )
        .route("/incidents/{id}/ack", post(crate::web::review::acknowledge))
        .route("/search", get(crate::web::search_page))
        .route("/learning", get(crate::web::learning::learning_page))
        .route("/digest", get(crate::web::digest::digest_page))
        .route(
            "/experiments",
            get(crate::web::experiments::experiments_page)
                .post(crate::web::experiments::create_experiment),
        )
        .route(
            "/experiments/{id}",
            get(crate::web::experiments::experiment_page),
        )
        .route(
            "/experiments/{id}/step",
            post(crate::web::experiments::step),
        )
        .route(
            "/premortems",
            get(crate::web::experiments::premortems_page)
                .post(crate::web::experiments::create_premortem),
        )
        .route(
            "/premortems/{id}",
            get(crate::web::experiments::premortem_page),
        )
        .route(
            "/premortems/{id}/{step}",
            post(crate::web::experiments::premortem_change),
        )
        .route(
            "/retros",
            get(crate::web::retros::retros_page).post(crate::web::retros::create),
        )
        .route("/retros/{id}", get(crate::web::retros::retro_page))
        .route("/retros/{id}/{step}", post(crate::web::retros::change))
        .route("/digest/export", get(crate::web::digest::digest_export))
        .route("/digest/bows", post(crate::web::digest::offer_bow))
        .route(
            "/problems",
            get(crate::web::problems::problems_page).post(crate::web::problems::compute),
        )
        .route("/signals", get(crate::web::signals::signals_page))
        .route("/signals/promote", post(crate::web::signals::promote))
        .route("/actions", get(crate::web::action_board))
        .route(
            "/near-miss",
            get(crate::web::near_miss_form).post(crate::web::near_miss),
        )
        .route("/near-miss/{id}/{step}", post(crate::web::near_miss_step));
    routes(Router::new())
        .merge(pages)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

/// Counts every request by its route pattern, method and status, and times it.
async fn observe(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().as_str().to_string();
    let response = next.run(request).await;
    state.metrics.observe(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn metrics(State(state): State<Shared>) -> Result<Response, ApiError> {
    let by_status: BTreeMap<&'static str, u64> = state
        .store
        .incidents_by_status()
        .await?
        .into_iter()
        .map(|(s, n)| (s.as_str(), n.max(0) as u64))
        .collect();
    let mut text = state.metrics.render(&by_status);
    // The learning figures over all incidents (`debrief metrics`), as gauges.
    if let Some(all) = state
        .store
        .metrics(None, debrief_store::MetricsBy::All)
        .await?
        .into_iter()
        .next()
    {
        text.push_str(&learning_gauges(&all));
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// `debrief metrics` over all incidents in the Prometheus text format.
fn learning_gauges(m: &debrief_store::MetricsRow) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (name, help, median, p90) in [
        (
            "detect",
            "start to detection",
            m.detect_median,
            m.detect_p90,
        ),
        (
            "mitigate",
            "start to mitigation",
            m.mitigate_median,
            m.mitigate_p90,
        ),
        (
            "resolve",
            "start to resolution",
            m.resolve_median,
            m.resolve_p90,
        ),
        (
            "review",
            "start to its review's first publication",
            m.review_median,
            m.review_p90,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP debrief_time_to_{name}_minutes Minutes from an incident's {help}, over all incidents.\n\
             # TYPE debrief_time_to_{name}_minutes gauge"
        );
        for (q, v) in [("0.5", median), ("0.9", p90)] {
            if let Some(v) = v {
                let _ = writeln!(
                    out,
                    "debrief_time_to_{name}_minutes{{quantile=\"{q}\"}} {v}"
                );
            }
        }
    }
    for (name, help, v) in [
        (
            "reviews_beyond_technical_ratio",
            "Share of incidents whose review names a process or organization factor.",
            m.beyond_technical,
        ),
        (
            "action_closure_ratio",
            "Share of action items closed.",
            m.action_closure,
        ),
        (
            "recurrence_ratio",
            "Share of incidents that repeat an earlier one of their problem.",
            m.recurrence,
        ),
        (
            "monitoring_gaps",
            "Incidents with a contributing factor in the monitoring category.",
            m.monitoring_gaps as f64,
        ),
        (
            "signals_promoted",
            "Incidents detected by a weak signal.",
            m.signals_promoted as f64,
        ),
        (
            "near_miss_incidents",
            "Incidents marked as near misses.",
            m.near_misses as f64,
        ),
        (
            "experiments_run",
            "Experiments started.",
            m.experiments_run as f64,
        ),
        (
            "experiments_concluded",
            "Experiments concluded.",
            m.experiments_concluded as f64,
        ),
        (
            "experiments_refuted_ratio",
            "Share of concluded experiments whose hypothesis was refuted (learned from).",
            m.experiments_refuted,
        ),
        ("retros_held", "Retrospectives held.", m.retros_held as f64),
        (
            "retro_actions",
            "Action items decided by closed retrospectives.",
            m.retro_actions as f64,
        ),
        (
            "retro_action_closure_ratio",
            "Share of the action items decided by retrospectives that are closed.",
            m.retro_action_closure,
        ),
        (
            "near_miss_ratio",
            "Near misses (marked incidents and confidential reports) of all incidents and reports.",
            m.near_miss_ratio,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP debrief_{name} {help}\n# TYPE debrief_{name} gauge\ndebrief_{name} {v}"
        );
    }
    out
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct MetricsQuery {
    since: Option<String>,
    /// all, service, severity or month.
    by: Option<String>,
}

/// `debrief metrics` as JSON.
async fn learning_metrics(
    caller: Caller,
    State(state): State<Shared>,
    query: Result<Query<MetricsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let by = match q.by.as_deref().unwrap_or("all") {
        "all" => debrief_store::MetricsBy::All,
        "service" => debrief_store::MetricsBy::Service,
        "severity" => debrief_store::MetricsBy::Severity,
        "month" => debrief_store::MetricsBy::Month,
        other => {
            return Err(ApiError::invalid(format!(
                "by {other:?}: expected all, service, severity or month"
            )));
        }
    };
    let since = q
        .since
        .as_deref()
        .map(|s| debrief_core::time::parse_since(s, jiff::Timestamp::now()))
        .transpose()
        .map_err(|e| ApiError::invalid(e.message))?;
    Ok(Json(state.store.metrics(since, by).await?).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct DigestQuery {
    /// The window's start: a span back from `until` (7d) or a date or time [default 7d].
    pub since: Option<String>,
    /// The window's end [default now].
    pub until: Option<String>,
    /// json (default), md or html.
    pub format: Option<String>,
    /// Where links in md and html point [default: this server as the request named it].
    pub base_url: Option<String>,
}

/// The digest of the window the query names.
pub(crate) async fn build_digest(
    state: &Shared,
    q: &DigestQuery,
) -> Result<debrief_store::Digest, ApiError> {
    let now = debrief_core::time::to_seconds(jiff::Timestamp::now());
    let until = match q.until.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => debrief_core::time::parse_time(t, now)
            .or_else(|_| debrief_core::time::parse_since(t, now))
            .map_err(|e| ApiError::invalid(format!("until: {}", e.message)))?,
        None => now,
    };
    let since = q
        .since
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("7d");
    let from =
        debrief_core::time::parse_since(since, until).map_err(|e| ApiError::invalid(e.message))?;
    if from >= until {
        return Err(ApiError::invalid("since must be before until"));
    }
    Ok(state.store.digest(&state.ingest.kinds, from, until).await?)
}

/// `debrief digest`: JSON, or the Markdown or mail HTML.
async fn digest(
    caller: Caller,
    State(state): State<Shared>,
    headers: axum::http::HeaderMap,
    query: Result<Query<DigestQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let d = build_digest(&state, &q).await?;
    let base = match q.base_url.as_deref() {
        Some(b) if b.starts_with("https://") || b.starts_with("http://") => Some(b.to_string()),
        Some(b) => {
            return Err(ApiError::invalid(format!(
                "base_url {b:?} is not an http:// or https:// address"
            )));
        }
        None => headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            })
            .map(|h| format!("http://{h}")),
    };
    let links = crate::digest::Links(base.as_deref());
    Ok(match q.format.as_deref().unwrap_or("json") {
        "json" => Json(d).into_response(),
        "md" => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/markdown; charset=utf-8",
            )],
            crate::digest::markdown(&d, links),
        )
            .into_response(),
        "html" => (
            [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
            crate::digest::html(&d, links),
        )
            .into_response(),
        other => {
            return Err(ApiError::invalid(format!(
                "format {other:?}: expected json, md or html"
            )));
        }
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BowBody {
    pub text: String,
}

/// Offers a failure for the digest's "failure bows" slot (writer). No name is kept.
async fn add_bow(
    caller: Caller,
    State(state): State<Shared>,
    body: Result<Json<BowBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let Json(b) = body.map_err(body_error)?;
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    let id = state.store.add_bow(today, &b.text).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": id, "added_on": today.to_string() })),
    )
        .into_response())
}

async fn list_bows(caller: Caller, State(state): State<Shared>) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    Ok(Json(state.store.bows(None).await?).into_response())
}

async fn remove_bow(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid(format!("{id:?} is not a failure bow's number")))?;
    state.store.remove_bow(id).await?;
    Ok(Json(serde_json::json!({ "removed": id })).into_response())
}

async fn list_experiments(
    caller: Caller,
    State(state): State<Shared>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    Ok(Json(state.store.experiments().await?).into_response())
}

async fn get_experiment(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let id: debrief_core::ExperimentId = parsed(&id)?;
    Ok(Json(state.store.get_experiment(id).await?).into_response())
}

/// A Chaos Toolkit experiment or journal as the body: as `debrief experiment import`.
async fn import_experiment(
    caller: Caller,
    State(state): State<Shared>,
    body: String,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let doc = debrief_review::chaos_toolkit::read(&body).map_err(ApiError::invalid)?;
    let id = match doc {
        debrief_review::chaos_toolkit::ChaosDocument::Experiment(e) => {
            state.store.create_experiment(&e).await?
        }
        debrief_review::chaos_toolkit::ChaosDocument::Journal(run) => {
            state.store.record_run(&run).await?
        }
    };
    let stored = state.store.get_experiment(id).await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewExperiment {
    title: String,
    kind: String,
    hypothesis: String,
    #[serde(default)]
    blast_radius: String,
    #[serde(default)]
    guardrails: Vec<String>,
    #[serde(default)]
    abort_criteria: String,
    #[serde(default)]
    rollback_plan: String,
    #[serde(default)]
    services: Vec<String>,
}

/// Plans an experiment: anyone with write access may, without asking.
async fn create_experiment(
    caller: Caller,
    State(state): State<Shared>,
    body: Result<Json<NewExperiment>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let Json(b) = body.map_err(body_error)?;
    let mut e = debrief_core::Experiment::new(b.title, parsed(&b.kind)?, b.hypothesis);
    e.blast_radius = b.blast_radius;
    e.guardrails = b.guardrails;
    e.abort_criteria = b.abort_criteria;
    e.rollback_plan = b.rollback_plan;
    e.services = b.services;
    let id = state.store.create_experiment(&e).await?;
    let stored = state.store.get_experiment(id).await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ExperimentStep {
    outcome: Option<String>,
    learnings: Option<String>,
    reason: Option<String>,
}

/// `start`, `conclude` (outcome, learnings) or `abort` (reason): anyone with write access may
/// start an experiment or stop one, and the reason is recorded.
async fn step_experiment(
    caller: Caller,
    State(state): State<Shared>,
    Path((id, step)): Path<(String, String)>,
    body: Option<Json<ExperimentStep>>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id: debrief_core::ExperimentId = parsed(&id)?;
    let b = body.map(|Json(b)| b).unwrap_or_default();
    let now = debrief_core::time::to_seconds(jiff::Timestamp::now());
    let e = match step.as_str() {
        "start" => state.store.update_experiment(id, |e| e.start(now)).await?,
        "conclude" => {
            let outcome: debrief_core::ExperimentOutcome =
                parsed(b.outcome.as_deref().ok_or_else(|| {
                    ApiError::invalid(
                        "outcome is required: confirmed, refuted, inconclusive or aborted",
                    )
                })?)?;
            state
                .store
                .update_experiment(id, |e| e.conclude(outcome, b.learnings, b.reason, now))
                .await?
        }
        "abort" => {
            let reason = b
                .reason
                .filter(|r| !r.trim().is_empty())
                .ok_or_else(|| ApiError::invalid("reason is required: why it was stopped"))?;
            state
                .store
                .update_experiment(id, |e| {
                    e.conclude(
                        debrief_core::ExperimentOutcome::Aborted,
                        b.learnings,
                        Some(reason),
                        now,
                    )
                })
                .await?
        }
        other => {
            return Err(ApiError::not_found(format!(
                "no experiment step {other:?}: start, conclude or abort"
            )));
        }
    };
    Ok(Json(e).into_response())
}

async fn list_premortems(
    caller: Caller,
    State(state): State<Shared>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let all: Vec<serde_json::Value> = state
        .store
        .premortems()
        .await?
        .into_iter()
        .map(|p| premortem_json(&p))
        .collect();
    Ok(Json(all).into_response())
}

async fn get_premortem(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let id: debrief_core::PremortemId = parsed(&id)?;
    let p = state.store.get_premortem(id).await?;
    Ok(Json(premortem_json(&p)).into_response())
}

/// A pre-mortem as the API answers it: the record and what it foresaw.
fn premortem_json(p: &debrief_core::Premortem) -> serde_json::Value {
    serde_json::json!({ "premortem": p, "foresight": p.foresight() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPremortem {
    title: String,
    /// YYYY-MM-DD or +14d.
    launch: Option<String>,
}

/// Starts a pre-mortem of a launch or project.
async fn create_premortem(
    caller: Caller,
    State(state): State<Shared>,
    body: Result<Json<NewPremortem>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let Json(b) = body.map_err(body_error)?;
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    let launch = b
        .launch
        .as_deref()
        .map(|d| debrief_core::time::parse_date(d, today))
        .transpose()
        .map_err(|e| ApiError::invalid(format!("launch: {}", e.message)))?;
    let id = state
        .store
        .create_premortem(&debrief_core::Premortem::new(b.title, launch))
        .await?;
    let p = state.store.get_premortem(id).await?;
    Ok((StatusCode::CREATED, Json(premortem_json(&p))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRisk {
    text: String,
    likelihood: String,
    impact: String,
    #[serde(default)]
    mitigation: String,
    owner: Option<String>,
    #[serde(default)]
    mitigated: bool,
}

/// Adds an imagined failure to a pre-mortem.
async fn add_risk(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<NewRisk>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id: debrief_core::PremortemId = parsed(&id)?;
    let Json(b) = body.map_err(body_error)?;
    let risk = debrief_core::Risk {
        text: b.text,
        likelihood: parsed(&b.likelihood)?,
        impact: parsed(&b.impact)?,
        mitigation: b.mitigation,
        owner: b.owner,
        mitigated: b.mitigated,
    };
    let p = state
        .store
        .update_premortem(id, |p| {
            p.risks.push(risk);
            Ok(())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(premortem_json(&p))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskMitigated {
    mitigated: bool,
}

/// Marks a risk's mitigation as in place, or not.
async fn mitigate_risk(
    caller: Caller,
    State(state): State<Shared>,
    Path((id, n)): Path<(String, String)>,
    body: Result<Json<RiskMitigated>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id: debrief_core::PremortemId = parsed(&id)?;
    let n: usize = n
        .parse()
        .map_err(|_| ApiError::invalid(format!("{n:?} is not a risk number")))?;
    let Json(b) = body.map_err(body_error)?;
    let p = state
        .store
        .update_premortem(id, |p| p.set_mitigated(n, b.mitigated))
        .await?;
    Ok(Json(premortem_json(&p)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PremortemLink {
    incident: debrief_core::IncidentId,
    /// The risk it realised (from 1); absent: a surprise.
    risk: Option<usize>,
}

/// Links an incident of the launch to the risk it realised, or as a surprise.
async fn link_premortem(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<PremortemLink>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id: debrief_core::PremortemId = parsed(&id)?;
    let Json(b) = body.map_err(body_error)?;
    let p = state
        .store
        .update_premortem(id, |p| {
            p.link(b.incident, b.risk);
            Ok(())
        })
        .await?;
    Ok(Json(premortem_json(&p)).into_response())
}

async fn list_retros(caller: Caller, State(state): State<Shared>) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    Ok(Json(state.store.retros().await?).into_response())
}

async fn get_retro(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let id: debrief_core::RetroId = parsed(&id)?;
    Ok(Json(state.store.get_retro(id).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRetro {
    title: String,
    team: Option<String>,
    /// YYYY-MM-DD; today when absent.
    held: Option<String>,
    #[serde(default)]
    incidents: Vec<debrief_core::IncidentId>,
}

/// Opens a retrospective.
async fn create_retro(
    caller: Caller,
    State(state): State<Shared>,
    body: Result<Json<NewRetro>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let Json(b) = body.map_err(body_error)?;
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    let held = match b.held.as_deref() {
        Some(d) => debrief_core::time::parse_date(d, today)
            .map_err(|e| ApiError::invalid(format!("held: {}", e.message)))?,
        None => today,
    };
    let mut r = debrief_core::Retro::new(b.title, b.team, held);
    r.incidents = b.incidents;
    let id = state.store.create_retro(&r).await?;
    let stored = state.store.get_retro(id).await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRetroItem {
    kind: String,
    text: String,
}

/// Adds a start / stop / continue item to an open retro.
async fn add_retro_item(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<NewRetroItem>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id: debrief_core::RetroId = parsed(&id)?;
    let Json(b) = body.map_err(body_error)?;
    let kind: debrief_core::RetroItemKind = parsed(&b.kind)?;
    let r = state
        .store
        .update_retro(id, |r| r.add(kind, &b.text).map(|_| ()))
        .await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetroVote {
    /// The item's number, from 1.
    item: usize,
    /// Votes to give (negative takes them back); 1 when absent.
    votes: Option<i64>,
}

async fn vote_retro(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<RetroVote>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id: debrief_core::RetroId = parsed(&id)?;
    let Json(b) = body.map_err(body_error)?;
    let r = state
        .store
        .update_retro(id, |r| r.vote(b.item, b.votes.unwrap_or(1)).map(|_| ()))
        .await?;
    Ok(Json(r).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetroChoice {
    item: usize,
    owner: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetroClose {
    #[serde(default)]
    actions: Vec<RetroChoice>,
    /// YYYY-MM-DD or +30d.
    due: Option<String>,
}

/// Closes a retro: each chosen item becomes an open action item owned by its team.
async fn close_retro(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<RetroClose>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id: debrief_core::RetroId = parsed(&id)?;
    let Json(b) = body.map_err(body_error)?;
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    let due = b
        .due
        .as_deref()
        .map(|d| debrief_core::time::parse_date(d, today))
        .transpose()
        .map_err(|e| ApiError::invalid(format!("due: {}", e.message)))?;
    let choices: Vec<debrief_core::retro::Choice> = b
        .actions
        .into_iter()
        .map(|c| debrief_core::retro::Choice {
            item: c.item,
            owner: c.owner,
        })
        .collect();
    let r = state.store.close_retro(id, &choices, due, today).await?;
    Ok(Json(r).into_response())
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route; the API is under /api/v1")
}

/// Who is calling: the token's role, from `Authorization: Bearer …`.
pub struct Caller {
    pub role: Role,
}

impl Caller {
    /// Refuses unless the caller's role is `at_least`.
    fn require(&self, at_least: Role) -> Result<(), ApiError> {
        if self.role >= at_least {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this needs the {at_least} role; your token has the {} role",
                self.role
            )))
        }
    }
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "send a token as `Authorization: Bearer …` (make one with `debrief token create`)",
            ));
        };
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header is not `Bearer <token>`")
            })?;
        match state.store.token_by_hash(&auth::hash(secret)).await? {
            Some(t) => Ok(Caller { role: t.role }),
            None => Err(ApiError::unauthorized("the token is unknown or revoked")),
        }
    }
}

fn list_of<T: std::str::FromStr<Err = debrief_core::InvalidValue>>(
    text: Option<&str>,
) -> Result<Vec<T>, ApiError> {
    text.into_iter()
        .flat_map(|t| t.split(','))
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.parse::<T>().map_err(|e| ApiError::invalid(e.message)))
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    severity: Option<String>,
    service: Option<String>,
    since: Option<String>,
    limit: Option<i64>,
}

async fn list_incidents(
    caller: Caller,
    State(state): State<Shared>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let now = jiff::Timestamp::now();
    let filter = IncidentFilter {
        statuses: list_of::<Status>(q.status.as_deref())?,
        severities: list_of::<Severity>(q.severity.as_deref())?,
        service: q.service,
        since: q
            .since
            .as_deref()
            .map(|s| debrief_core::time::parse_since(s, now))
            .transpose()
            .map_err(|e| ApiError::invalid(e.message))?,
        limit: match q.limit {
            Some(n) if n < 1 => return Err(ApiError::invalid("limit must be at least 1")),
            other => other,
        },
    };
    Ok(Json(state.store.list_incidents(&filter).await?).into_response())
}

pub(crate) fn incident_id(text: &str) -> Result<IncidentId, ApiError> {
    text.parse()
        .map_err(|e: debrief_core::InvalidValue| ApiError::invalid(e.message))
}

async fn get_incident(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let id = incident_id(&id)?;
    Ok(Json(state.store.get_incident(id).await?).into_response())
}

async fn list_tokens(caller: Caller, State(state): State<Shared>) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    Ok(Json(state.store.list_tokens().await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTokenBody {
    name: String,
    role: String,
}

async fn create_token(
    caller: Caller,
    State(state): State<Shared>,
    body: Result<Json<NewTokenBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let Json(body) = body.map_err(body_error)?;
    let role: Role = body
        .role
        .parse()
        .map_err(|e: debrief_core::InvalidValue| ApiError::invalid(e.message))?;
    let new = auth::new_token().map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no_randomness",
            e.to_string(),
        )
    })?;
    let token = state
        .store
        .create_token(
            &body.name,
            role,
            &new.hash,
            &new.prefix,
            debrief_core::time::to_seconds(jiff::Timestamp::now()),
        )
        .await?;
    let mut json = serde_json::to_value(&token).expect("a token serializes");
    json["secret"] = serde_json::Value::String(new.secret);
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

/// A request body the API could not take: too large (413), or not the JSON it expects (400).
fn body_error(e: axum::extract::rejection::JsonRejection) -> ApiError {
    rejected_body(e.status(), e.body_text())
}

/// A body refused by its extractor: over the limit (413), else malformed (400).
fn rejected_body(status: StatusCode, text: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is over the limit of {MAX_BODY} bytes"),
        )
    } else {
        ApiError::invalid(text)
    }
}

/// The server's lint rules, or why they do not load.
pub(crate) fn lint_rules(state: &AppState) -> Result<&debrief_lint::Rules, ApiError> {
    state.rules.as_ref().map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "lint_rules",
            format!("the lint rules do not load: {e}"),
        )
    })
}

/// Runs CPU-bound work (linting, scanning) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "failed", e.to_string()))?
}

async fn revoke_token(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid(format!("{id:?} is not a token number")))?;
    let now = debrief_core::time::to_seconds(jiff::Timestamp::now());
    let revoked = state.store.revoke_token(id, now).await?;
    Ok(Json(serde_json::json!({ "id": id, "revoked": revoked })).into_response())
}

/// A new incident, as the API takes it: a title and a severity, the rest optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewIncident {
    title: String,
    severity: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    near_miss: bool,
    #[serde(default)]
    services: Vec<String>,
    started: Option<String>,
    detected: Option<String>,
    detection: Option<String>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    impact: String,
}

fn parsed<T: std::str::FromStr<Err = debrief_core::InvalidValue>>(
    text: &str,
) -> Result<T, ApiError> {
    text.parse()
        .map_err(|e: debrief_core::InvalidValue| ApiError::invalid(e.message))
}

async fn create_incident(
    caller: Caller,
    State(state): State<Shared>,
    body: Result<Json<NewIncident>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let Json(new) = body.map_err(body_error)?;
    let now = jiff::Timestamp::now();
    let time = |t: Option<String>| -> Result<Option<jiff::Timestamp>, ApiError> {
        t.map(|t| {
            debrief_core::time::parse_time(&t, now)
                .map(debrief_core::time::to_seconds)
                .map_err(|e| ApiError::invalid(e.message))
        })
        .transpose()
    };
    let mut incident = Incident::new(new.title, parsed::<Severity>(&new.severity)?);
    if let Some(k) = new.kind {
        incident.kind = parsed::<IncidentType>(&k)?;
    }
    incident.near_miss = new.near_miss;
    incident.services = new.services;
    incident.started = time(new.started)?;
    incident.detected = time(new.detected)?;
    incident.detection = new
        .detection
        .as_deref()
        .map(parsed::<Detection>)
        .transpose()?;
    incident.summary = new.summary;
    incident.impact = new.impact;
    let id = state.store.create_incident(&incident).await?;
    let stored = state.store.get_incident(id).await?;
    let mut response = (StatusCode::CREATED, Json(stored)).into_response();
    if let Ok(location) = format!("/api/v1/incidents/{id}").parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionQuery {
    status: Option<String>,
    owner: Option<String>,
    incident: Option<String>,
    /// Only items past their due date, not closed.
    #[serde(default)]
    overdue: bool,
}

async fn list_actions(
    caller: Caller,
    State(state): State<Shared>,
    query: Result<Query<ActionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    let filter = ActionFilter {
        statuses: list_of::<ActionStatus>(q.status.as_deref())?,
        owner: q.owner,
        incident: q.incident.as_deref().map(incident_id).transpose()?,
        overdue_on: q
            .overdue
            .then(|| debrief_core::time::utc_date(jiff::Timestamp::now())),
    };
    Ok(Json(state.store.list_actions(&filter).await?).into_response())
}

/// Lints the Markdown in the body with the server's rules; answers the findings.
async fn lint(
    caller: Caller,
    State(state): State<Shared>,
    body: Result<String, axum::extract::rejection::StringRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let text = body.map_err(|e| {
        rejected_body(
            e.status(),
            format!("the body must be UTF-8 Markdown: {}", e.body_text()),
        )
    })?;
    let shared = Arc::clone(&state);
    let findings = blocking(move || {
        Ok(debrief_lint::lint_markdown(
            &text,
            lint_rules(&shared)?,
            "body",
        ))
    })
    .await?;
    Ok(Json(findings).into_response())
}

/// A search (`debrief search`'s options).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    /// Words, "phrases", prefix*, -excluded.
    #[serde(default)]
    pub q: String,
    /// Comma-separated services.
    pub service: Option<String>,
    /// Comma-separated severities.
    pub severity: Option<String>,
    /// A factor category or level.
    pub factor: Option<String>,
    /// A span (90d) or a date.
    pub since: Option<String>,
    pub limit: Option<usize>,
}

/// Runs a search for the API or the search page.
pub(crate) async fn run_search(
    state: &Shared,
    p: &SearchParams,
) -> Result<debrief_store::SearchResults, ApiError> {
    let list = |t: &Option<String>| -> Vec<String> {
        t.iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };
    let query = debrief_store::SearchQuery {
        text: p.q.clone(),
        services: list(&p.service),
        severities: list_of::<Severity>(p.severity.as_deref())?,
        factor: p
            .factor
            .as_deref()
            .map(|f| f.trim().to_ascii_lowercase())
            .filter(|f| !f.is_empty()),
        since: p
            .since
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| debrief_core::time::parse_since(s, jiff::Timestamp::now()))
            .transpose()
            .map_err(|e| ApiError::invalid(e.message))?,
        limit: p.limit.unwrap_or(20).clamp(1, 200),
    };
    Ok(state.store.search(&query).await?)
}

/// Ranked incidents for a query, with highlighted snippets.
async fn search(
    caller: Caller,
    State(state): State<Shared>,
    query: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let Query(p) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    Ok(Json(run_search(&state, &p).await?).into_response())
}

/// The problems as last computed, the largest first.
async fn list_problems(caller: Caller, State(state): State<Shared>) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    Ok(Json(state.store.problems().await?).into_response())
}

/// Computes the problems again (numbers and links by hand kept); answers what changed and
/// the problems.
async fn compute_problems(
    caller: Caller,
    State(state): State<Shared>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let done = state.store.compute_problems(jiff::Timestamp::now()).await?;
    let problems = state.store.problems().await?;
    Ok(Json(serde_json::json!({ "computed": done, "problems": problems })).into_response())
}

fn problem_id(text: &str) -> Result<debrief_core::ProblemId, ApiError> {
    text.parse()
        .map_err(|e: debrief_core::InvalidValue| ApiError::invalid(e.message))
}

async fn get_problem(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    Ok(Json(state.store.problem(problem_id(&id)?).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProblemLink {
    incident: String,
    /// `true` puts the incident in, `false` keeps it out; either way computing again keeps it.
    linked: bool,
}

async fn link_problem(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<ProblemLink>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id = problem_id(&id)?;
    let Json(link) = body.map_err(body_error)?;
    state
        .store
        .link_problem(id, incident_id(&link.incident)?, link.linked)
        .await?;
    Ok(Json(state.store.problem(id).await?).into_response())
}

/// What recurs across all incidents.
async fn pareto(caller: Caller, State(state): State<Shared>) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    Ok(Json(state.store.pareto().await?).into_response())
}

/// Follow-through of the action items (`debrief action stats`).
async fn action_stats(caller: Caller, State(state): State<Shared>) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    Ok(Json(state.store.follow_through(today).await?).into_response())
}

/// What a weak-signals report covers (`debrief signals report`'s options).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignalQuery {
    /// The report window, ending at the newest stored bucket (default 24h).
    pub since: Option<String>,
    /// The window before it that says what is usual (default 7d).
    pub baseline: Option<String>,
    /// Kinds, comma-separated (retry, restart, failover, timeout, …).
    pub kind: Option<String>,
    pub service: Option<String>,
    /// Onsets this close are one cascade (default 15m).
    pub cascade_window: Option<String>,
    pub limit: Option<usize>,
}

/// The weak-signals report the query asks for.
pub(crate) async fn signal_report(
    state: &Shared,
    q: &SignalQuery,
) -> Result<debrief_signals::report::Report, ApiError> {
    let opts = signal_options(state, q).await?;
    Ok(state
        .store
        .signal_report(&state.ingest.kinds, &opts)
        .await?)
}

/// The report's options from the query: the window ends at the newest stored bucket.
async fn signal_options(
    state: &Shared,
    q: &SignalQuery,
) -> Result<debrief_signals::report::ReportOptions, ApiError> {
    let span = |text: Option<&str>, default: &str, what: &str| -> Result<i64, ApiError> {
        let text = text.filter(|t| !t.trim().is_empty()).unwrap_or(default);
        match debrief_core::time::parse_span(text) {
            Some(d) if d.as_secs() > 0 => Ok(d.as_secs()),
            _ => Err(ApiError::invalid(format!(
                "{what} {text:?} is not a span like 90m, 24h, 7d or 2w"
            ))),
        }
    };
    let window = span(q.since.as_deref(), "24h", "since")?;
    let baseline = span(q.baseline.as_deref(), "7d", "baseline")?;
    let cascade_window = span(q.cascade_window.as_deref(), "15m", "cascade_window")?;
    let kinds = q
        .kind
        .iter()
        .flat_map(|k| k.split(','))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            k.parse::<debrief_signals::kinds::Kind>()
                .map_err(|e| ApiError::invalid(format!("kind: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let until = match state.store.newest_signal_end().await? {
        Some(end) => end,
        None => jiff::Timestamp::now().as_second(),
    };
    Ok(debrief_signals::report::ReportOptions {
        until,
        window,
        baseline,
        kinds,
        service: q.service.clone().filter(|s| !s.trim().is_empty()),
        cascade_window,
        limit: q.limit.unwrap_or(50).clamp(1, 1000),
        bars: 24,
    })
}

/// Where to promote a signal (`debrief signals promote`).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct PromoteBody {
    /// Add to this incident's timeline instead of opening a new one.
    pub incident: Option<String>,
    /// Of a new incident (default SEV4).
    pub severity: Option<String>,
    /// Of a new incident (default: from the template).
    pub title: Option<String>,
    /// The window the evidence comes from (default 24h).
    pub since: Option<String>,
}

/// Promotes signal `fingerprint` (a unique prefix will do) into an incident.
pub(crate) async fn promote(
    state: &Shared,
    fingerprint: &str,
    body: PromoteBody,
) -> Result<debrief_store::Promoted, ApiError> {
    let query = SignalQuery {
        since: body.since,
        ..SignalQuery::default()
    };
    let mut opts = signal_options(state, &query).await?;
    // Any kind, none included: whatever the report showed may be promoted.
    opts.kinds = debrief_signals::kinds::Kind::ALL.to_vec();
    opts.limit = usize::MAX;
    let to = match body.incident {
        Some(id) => debrief_store::PromoteTo::Existing(incident_id(&id)?),
        None => debrief_store::PromoteTo::New {
            severity: parsed(body.severity.as_deref().unwrap_or("SEV4"))?,
            title: body.title,
            detected: debrief_core::time::to_seconds(jiff::Timestamp::now()),
        },
    };
    Ok(state
        .store
        .promote_signal(&state.ingest.kinds, &opts, fingerprint, to)
        .await?)
}

/// `POST /api/v1/signals/{fingerprint}/promote`: 201 with the incident it opened or added to.
async fn promote_signal(
    caller: Caller,
    State(state): State<Shared>,
    Path(fingerprint): Path<String>,
    body: Result<Option<Json<PromoteBody>>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let body = body
        .map_err(body_error)?
        .map(|Json(b)| b)
        .unwrap_or_default();
    let done = promote(&state, &fingerprint, body).await?;
    let mut response = (StatusCode::CREATED, Json(&done)).into_response();
    if let Ok(location) = format!("/api/v1/incidents/{}", done.incident).parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The weak-signals report: templates whose failure-hiding lines rose, ranked.
async fn signals(
    caller: Caller,
    State(state): State<Shared>,
    query: Result<Query<SignalQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let Query(q) = query.map_err(|e| ApiError::invalid(e.body_text()))?;
    Ok(Json(signal_report(&state, &q).await?).into_response())
}

/// The answer while [`SCANNING`](crate) batches are being scanned: 429, try again in a second.
fn busy() -> Response {
    let mut busy = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "busy",
        "other log batches are being scanned; send this one again shortly",
    )
    .into_response();
    busy.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("1"),
    );
    busy
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("a batch of logs is limited to {MAX_LOG_BODY} bytes (unzipped); send smaller ones"),
    )
}

/// A posted batch's bytes, unzipped when it says `Content-Encoding: gzip`, within the limit.
fn log_bytes(
    headers: &axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Vec<u8>, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::invalid(e.body_text())
        }
    })?;
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    if !gzip {
        return Ok(body.to_vec());
    }
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .take(MAX_LOG_BODY as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| ApiError::invalid(format!("the gzip body does not decode: {e}")))?;
    if out.len() > MAX_LOG_BODY {
        return Err(too_large());
    }
    Ok(out)
}

/// Scans log lines as `debrief signals scan` does and adds them to the store's signals.
async fn scan_and_store(
    state: &Shared,
    lines: Vec<u8>,
    source: &str,
) -> Result<serde_json::Value, ApiError> {
    let shared = state.clone();
    let now = debrief_core::time::to_seconds(jiff::Timestamp::now());
    let result = blocking(move || {
        let ingest = &shared.ingest;
        debrief_signals::scan::scan(
            std::io::Cursor::new(lines),
            &ingest.parser,
            ingest.miner,
            ingest.threads,
            now,
        )
        .map_err(|e| ApiError::invalid(format!("cannot read the logs: {e}")))
    })
    .await?;
    let batch = debrief_store::SignalBatch::from_scan(result, source, now, None);
    let lines = batch.stats.lines;
    let scan = state.store.add_signals(&batch).await?;
    state
        .metrics
        .ingested_lines
        .fetch_add(lines.max(0) as u64, std::sync::atomic::Ordering::Relaxed);
    Ok(serde_json::json!({
        "lines": lines,
        "parsed": batch.stats.parsed,
        "messages": batch.examples.len(),
        "scan": scan,
    }))
}

/// Takes log lines (JSON lines or plain text, as `debrief signals scan` reads them; gzip with
/// `Content-Encoding: gzip`) into the signals of the store.
async fn ingest_logs(
    caller: Caller,
    State(state): State<Shared>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let Ok(_permit) = state.scanning.try_acquire() else {
        return Ok(busy());
    };
    let bytes = log_bytes(&headers, body)?;
    Ok(Json(scan_and_store(&state, bytes, "http:/api/v1/logs").await?).into_response())
}

/// OTLP logs over HTTP: an `ExportLogsServiceRequest` as protobuf
/// (`application/x-protobuf`) or OTLP/JSON (`application/json`), gzip accepted. Answers an
/// empty `ExportLogsServiceResponse` in the same encoding.
async fn otlp_logs(
    caller: Caller,
    State(state): State<Shared>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let Ok(_permit) = state.scanning.try_acquire() else {
        return Ok(busy());
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let protobuf = match content_type.as_str() {
        "application/x-protobuf" | "application/protobuf" => true,
        "application/json" => false,
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "OTLP logs come as application/x-protobuf or application/json, not {other:?}"
                ),
            ));
        }
    };
    let bytes = log_bytes(&headers, body)?;
    let lines = if protobuf {
        crate::otlp::lines_from_protobuf(&bytes)
    } else {
        crate::otlp::lines_from_json(&bytes)
    }
    .map_err(ApiError::invalid)?;
    scan_and_store(&state, lines.into_bytes(), "otlp:/v1/logs").await?;
    Ok(if protobuf {
        (
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            Vec::<u8>::new(),
        )
            .into_response()
    } else {
        Json(serde_json::json!({})).into_response()
    })
}

/// An Alertmanager webhook notification (version 4); fields it may add later are ignored.
#[derive(Deserialize)]
struct AlertNotification {
    #[serde(rename = "groupKey")]
    group_key: String,
    status: String,
    #[serde(default, rename = "groupLabels")]
    group_labels: BTreeMap<String, String>,
    #[serde(default, rename = "commonLabels")]
    common_labels: BTreeMap<String, String>,
    #[serde(default, rename = "commonAnnotations")]
    common_annotations: BTreeMap<String, String>,
    #[serde(default, rename = "externalURL")]
    external_url: String,
    #[serde(default)]
    alerts: Vec<Alert>,
}

#[derive(Deserialize)]
struct Alert {
    #[serde(default)]
    status: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default, rename = "startsAt")]
    starts_at: String,
}

/// Opens an incident for a firing alert group, adds to it while it fires, and marks it
/// mitigated when the group resolves; the group key finds the incident again.
async fn alertmanager(
    caller: Caller,
    State(state): State<Shared>,
    body: Result<Json<AlertNotification>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let Json(n) = body.map_err(body_error)?;
    let firing = match n.status.as_str() {
        "firing" => true,
        "resolved" => false,
        other => {
            return Err(ApiError::invalid(format!(
                "status {other:?} is neither \"firing\" nor \"resolved\""
            )));
        }
    };
    if n.group_key.trim().is_empty() {
        return Err(ApiError::invalid("groupKey is empty"));
    }
    let now = debrief_core::time::to_seconds(jiff::Timestamp::now());
    let label = |k: &str| {
        n.common_labels
            .get(k)
            .or_else(|| n.group_labels.get(k))
            .filter(|v| !v.trim().is_empty())
    };
    let name = label("alertname")
        .map_or("alert", String::as_str)
        .to_string();
    let firing_alerts: Vec<&Alert> = n.alerts.iter().filter(|a| a.status != "resolved").collect();
    let text = if firing {
        let what: Vec<String> = firing_alerts
            .iter()
            .take(5)
            .map(|a| {
                a.annotations.get("summary").cloned().unwrap_or_else(|| {
                    a.labels
                        .iter()
                        .filter(|(k, _)| k.as_str() != "alertname")
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
            })
            .collect();
        format!(
            "Alertmanager: {} alert{} of {name} firing{}{}",
            firing_alerts.len(),
            if firing_alerts.len() == 1 { "" } else { "s" },
            if what.is_empty() { "" } else { ": " },
            what.join("; ")
        )
    } else {
        format!("Alertmanager: {name} resolved")
    };
    let entry = debrief_core::TimelineEntry {
        at: now,
        text: debrief_core::text::one_line(&text, 500),
        known: String::new(),
    };
    let severity = match label("severity").map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("critical" | "page" | "p1") => Severity::Sev2,
        Some("info" | "none" | "low" | "p4") => Severity::Sev4,
        _ => Severity::Sev3,
    };
    let service = ["service", "app", "job"]
        .iter()
        .find_map(|k| label(k))
        .map(|s| {
            s.chars()
                .map(|c| {
                    if c.is_whitespace() || c == ',' || c.is_control() {
                        '-'
                    } else {
                        c
                    }
                })
                .collect::<String>()
        });
    let started = n
        .alerts
        .iter()
        .filter_map(|a| a.starts_at.parse::<jiff::Timestamp>().ok())
        .min()
        .map(|t| debrief_core::time::to_seconds(t).min(now));
    let title = debrief_core::text::one_line(
        n.common_annotations
            .get("summary")
            .map_or(&format!("{name} firing"), |s| s),
        300,
    );
    let description = n
        .common_annotations
        .get("description")
        .cloned()
        .unwrap_or_default();
    let outcome = state
        .store
        .alert_notification(&n.group_key, firing, entry, || {
            let mut i = Incident::new(title, severity);
            i.services = service.into_iter().collect();
            i.started = started;
            i.detected = Some(now);
            i.detection = Some(Detection::Alert);
            i.summary = if n.external_url.is_empty() {
                description
            } else {
                format!(
                    "{description}\n\nOpened by Alertmanager ({}).",
                    n.external_url
                )
                .trim()
                .to_string()
            };
            i
        })
        .await?;
    Ok(Json(outcome).into_response())
}

/// The incident's whole review as its Markdown document (`debrief review export`).
async fn get_review(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let incident = state.store.get_incident(incident_id(&id)?).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        debrief_review::render(&incident),
    )
        .into_response())
}

/// Replaces the incident's review with the Markdown document in the body (`debrief review
/// import`). A document that says published but would not pass the gate as written is kept
/// in review, and the answer says what to fix.
async fn put_review(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id = incident_id(&id)?;
    let bytes = body.map_err(|e| rejected_body(e.status(), e.body_text()))?;
    let saved = save_review(&state, id, &bytes).await?;
    let mut answer = serde_json::json!({ "incident": id, "outcome": saved.outcome });
    if !saved.held.is_empty() {
        answer["held_in_review"] = blocker_list(id, &saved.held);
    }
    Ok(Json(answer).into_response())
}

/// What saving a review document did.
pub(crate) struct Saved {
    /// `created`, `updated` or `unchanged`.
    pub outcome: &'static str,
    /// Why a document that said published was kept in review (empty: it was not).
    pub held: Vec<debrief_review::gate::Blocker>,
}

/// Stores the review document `bytes` as incident `id` (the API's PUT and the web editor).
/// A document that says published but would not pass the gate as written is kept in review.
pub(crate) async fn save_review(
    state: &Shared,
    id: IncidentId,
    bytes: &[u8],
) -> Result<Saved, ApiError> {
    let text = debrief_review::decode(bytes).map_err(|e| ApiError::invalid(e.to_string()))?;
    let mut doc = debrief_review::parse(&text).map_err(|e| ApiError::invalid(e.to_string()))?;
    match doc.id {
        Some(other) if other != id => {
            return Err(ApiError::invalid(format!(
                "the document is {other}, not {id}: its `id:` and the URL must agree"
            )));
        }
        _ => doc.id = Some(id),
    }
    let stored = match state.store.get_incident(id).await {
        Ok(stored) => Some(stored),
        Err(debrief_store::StoreError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let shared = Arc::clone(state);
    let (doc, held) = blocking(move || {
        let rules = lint_rules(&shared)?;
        let held = debrief_review::gate::import_blockers(&doc, stored.as_ref(), rules);
        let mut doc = doc;
        if !held.is_empty() {
            doc.review = debrief_core::ReviewState::InReview;
        }
        Ok((doc, held))
    })
    .await?;
    // The URL names the incident, so a new title in the document retitles it (no `--replace`
    // needed, as it is for files whose number may be another store's).
    let report = state.store.import(&[doc], true).await?;
    let outcome = if report.created.contains(&id) {
        "created"
    } else if report.updated.contains(&id) {
        "updated"
    } else {
        "unchanged"
    };
    Ok(Saved { outcome, held })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEntry {
    at: String,
    text: String,
    #[serde(default)]
    known: String,
}

/// Changes incident `id` with `add` and answers 201 with the incident as stored.
async fn added(
    state: &Shared,
    id: IncidentId,
    add: impl FnOnce(&mut Incident),
) -> Result<Response, ApiError> {
    let incident = state
        .store
        .update_incident(id, |i| {
            add(i);
            Ok(())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(incident)).into_response())
}

/// Adds to the incident's timeline.
async fn add_timeline(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<NewEntry>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id = incident_id(&id)?;
    let Json(e) = body.map_err(body_error)?;
    let at = debrief_core::time::parse_time(&e.at, jiff::Timestamp::now())
        .map(debrief_core::time::to_seconds)
        .map_err(|e| ApiError::invalid(e.message))?;
    added(&state, id, |i| {
        i.timeline.push(debrief_core::TimelineEntry {
            at,
            text: e.text,
            known: e.known,
        });
        i.timeline.sort_by_key(|t| t.at);
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFactor {
    title: String,
    level: String,
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    whys: Vec<String>,
}

/// Adds a contributing factor (with its why-chain).
async fn add_factor(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<NewFactor>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id = incident_id(&id)?;
    let Json(f) = body.map_err(body_error)?;
    let factor = debrief_core::Factor {
        title: f.title,
        level: parsed(&f.level)?,
        category: parsed(&f.category)?,
        description: f.description,
        whys: f.whys,
    };
    added(&state, id, |i| {
        i.factors.push(factor);
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAction {
    title: String,
    kind: String,
    owner: Option<String>,
    due: Option<String>,
    link: Option<String>,
}

/// Adds an action item; the store gives it its number.
async fn add_action(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<NewAction>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id = incident_id(&id)?;
    let Json(a) = body.map_err(body_error)?;
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    let item = debrief_core::ActionItem {
        id: None,
        title: a.title,
        kind: parsed(&a.kind)?,
        owner: a.owner,
        due: a
            .due
            .as_deref()
            .map(|d| debrief_core::time::parse_date(d, today))
            .transpose()
            .map_err(|e| ApiError::invalid(e.message))?,
        status: ActionStatus::Open,
        link: a.link,
        opened: Some(today),
        closed: None,
        worked: None,
    };
    added(&state, id, |i| {
        i.actions.push(item);
    })
    .await
}

/// Fields of an incident to change (`debrief incident edit`); those left out stay.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentChange {
    title: Option<String>,
    severity: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    near_miss: Option<bool>,
    services: Option<Vec<String>>,
    started: Option<String>,
    detected: Option<String>,
    mitigated: Option<String>,
    resolved: Option<String>,
    detection: Option<String>,
    summary: Option<String>,
    impact: Option<String>,
    notes: Option<String>,
    /// Added to (or replacing by name) the incident's impact figures.
    #[serde(default)]
    impact_metrics: BTreeMap<String, f64>,
}

/// A time as the API takes it: RFC 3339, or relative to now (`-2h`).
fn api_time(text: &str) -> Result<jiff::Timestamp, ApiError> {
    debrief_core::time::parse_time(text, jiff::Timestamp::now())
        .map(debrief_core::time::to_seconds)
        .map_err(|e| ApiError::invalid(e.message))
}

/// Changes an incident's fields; answers the incident as stored.
async fn edit_incident(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<IncidentChange>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id = incident_id(&id)?;
    let Json(c) = body.map_err(body_error)?;
    let time = |t: &Option<String>| t.as_deref().map(api_time).transpose();
    let (started, detected, mitigated, resolved) = (
        time(&c.started)?,
        time(&c.detected)?,
        time(&c.mitigated)?,
        time(&c.resolved)?,
    );
    let severity = c.severity.as_deref().map(parsed::<Severity>).transpose()?;
    let kind = c.kind.as_deref().map(parsed::<IncidentType>).transpose()?;
    let detection = c
        .detection
        .as_deref()
        .map(parsed::<Detection>)
        .transpose()?;
    if c.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(ApiError::invalid("title must not be empty"));
    }
    let incident = state
        .store
        .update_incident(id, |i| {
            if let Some(v) = c.title {
                i.title = v;
            }
            i.severity = severity.unwrap_or(i.severity);
            i.kind = kind.unwrap_or(i.kind);
            i.near_miss = c.near_miss.unwrap_or(i.near_miss);
            if let Some(v) = c.services {
                i.services = v;
            }
            i.started = started.or(i.started);
            i.detected = detected.or(i.detected);
            i.mitigated = mitigated.or(i.mitigated);
            i.resolved = resolved.or(i.resolved);
            i.detection = detection.or(i.detection);
            for (field, value) in [
                (&mut i.summary, c.summary),
                (&mut i.impact, c.impact),
                (&mut i.notes, c.notes),
            ] {
                if let Some(v) = value {
                    *field = v;
                }
            }
            i.impact_metrics.extend(c.impact_metrics);
            Ok(())
        })
        .await?;
    Ok(Json(incident).into_response())
}

/// The incidents this one resembles, why, and their action items still open.
async fn similar(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    let id = incident_id(&id)?;
    // 404 for an incident that does not exist, not an empty list.
    state.store.get_incident(id).await?;
    Ok(Json(state.store.similar_incidents(id).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusChange {
    status: String,
    /// When it happened (default now); sets `mitigated` or `resolved` if not set yet.
    at: Option<String>,
    /// Allow a move backwards (reopening), which should be deliberate.
    #[serde(default)]
    reopen: bool,
}

/// Moves an incident to a new status (`debrief incident status`).
async fn set_status(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<StatusChange>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id = incident_id(&id)?;
    let Json(c) = body.map_err(body_error)?;
    let status = parsed::<Status>(&c.status)?;
    let when = match c.at.as_deref() {
        Some(t) => api_time(t)?,
        None => debrief_core::time::to_seconds(jiff::Timestamp::now()),
    };
    let incident = state
        .store
        .update_incident(id, |i| i.move_to(status, when, c.reopen))
        .await?;
    Ok(Json(incident).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewWhy {
    text: String,
}

/// Adds a step to factor `n`'s why-chain (`F2` or `2`).
async fn add_why(
    caller: Caller,
    State(state): State<Shared>,
    Path((id, n)): Path<(String, String)>,
    body: Result<Json<NewWhy>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id = incident_id(&id)?;
    let n: usize = n
        .trim_start_matches(['F', 'f'])
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::invalid(format!("{n:?} is not a factor number like F2")))?;
    let Json(w) = body.map_err(body_error)?;
    if w.text.trim().is_empty() {
        return Err(ApiError::invalid("text must not be empty"));
    }
    let incident = state
        .store
        .update_incident(id, |i| {
            let count = i.factors.len();
            let f = i.factors.get_mut(n - 1).ok_or_else(|| {
                debrief_core::InvalidValue::new(format!("{id} has no factor F{n} (it has {count})"))
            })?;
            f.whys.push(w.text);
            Ok(())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(incident)).into_response())
}

/// Fields of an action item to change (`debrief action edit` and `action done`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionChange {
    title: Option<String>,
    kind: Option<String>,
    owner: Option<String>,
    due: Option<String>,
    link: Option<String>,
    /// `done` or `wont-do` closes it today (if not closed already); `open` or `in-progress`
    /// opens it again (and forgets whether it worked).
    status: Option<String>,
    /// Whether the closed item worked: `true`, `false`, or `null` for not known.
    #[serde(default, deserialize_with = "present")]
    worked: Option<Option<bool>>,
}

/// A field that may be given as `null`: absent is `None`, `null` is `Some(None)`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

async fn edit_action(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<ActionChange>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let action: debrief_core::ActionId = parsed(&id)?;
    let Json(c) = body.map_err(body_error)?;
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    let kind = c.kind.as_deref().map(parsed).transpose()?;
    let status = c
        .status
        .as_deref()
        .map(parsed::<ActionStatus>)
        .transpose()?;
    let due = c
        .due
        .as_deref()
        .map(|d| debrief_core::time::parse_date(d, today))
        .transpose()
        .map_err(|e| ApiError::invalid(e.message))?;
    if c.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(ApiError::invalid("title must not be empty"));
    }
    let changed = state
        .store
        .update_action(action, |a| {
            if let Some(t) = c.title {
                a.title = t;
            }
            a.kind = kind.unwrap_or(a.kind);
            if c.owner.is_some() {
                a.owner = c.owner;
            }
            a.due = due.or(a.due);
            if c.link.is_some() {
                a.link = c.link;
            }
            if let Some(s) = status {
                a.status = s;
                a.closed = if s.is_closed() {
                    a.closed.or(Some(today))
                } else {
                    a.worked = None;
                    None
                };
            }
            if let Some(w) = c.worked {
                a.worked = w;
            }
            Ok(())
        })
        .await?;
    Ok(Json(changed).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLesson {
    kind: String,
    text: String,
}

/// Adds a lesson: what went well, what went wrong, where we got lucky.
async fn add_lesson(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<NewLesson>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id = incident_id(&id)?;
    let Json(l) = body.map_err(body_error)?;
    let lesson = debrief_core::Lesson {
        kind: parsed(&l.kind)?,
        text: l.text,
    };
    added(&state, id, |i| {
        i.lessons.push(lesson);
        i.lessons.sort_by_key(|l| l.kind);
    })
    .await
}

/// Lints Markdown `text` (named `name` in findings) off the async threads.
pub(crate) async fn lint_text(
    state: &Shared,
    text: String,
    name: String,
) -> Result<Vec<debrief_lint::Finding>, ApiError> {
    let shared = Arc::clone(state);
    blocking(move || {
        Ok(debrief_lint::lint_markdown(
            &text,
            lint_rules(&shared)?,
            &name,
        ))
    })
    .await
}

/// The findings of a stored review as its document reads (`gate::lint_review`).
pub(crate) async fn review_findings(
    state: &Shared,
    incident: &Incident,
) -> Result<Vec<debrief_lint::Finding>, ApiError> {
    lint_text(
        state,
        debrief_review::render(incident),
        debrief_review::gate::document_name(incident),
    )
    .await
}

fn blocker_list(id: IncidentId, blockers: &[debrief_review::gate::Blocker]) -> serde_json::Value {
    let name = id.to_string();
    blockers
        .iter()
        .map(|b| serde_json::json!({ "what": b.to_string(), "fix": b.how_to_fix(&name) }))
        .collect()
}

/// Moves a review: `submit` (draft → in review), `publish` (in review → published, if the
/// gate lets it), `reopen` (→ draft). A refused publish is 409 with what blocks it.
async fn review_step(
    caller: Caller,
    State(state): State<Shared>,
    Path((id, step)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id = incident_id(&id)?;
    let stepped = step_review(&state, id, &step).await?;
    if stepped.refused {
        return Ok((
            StatusCode::CONFLICT,
            Json(serde_json::json!({
                "error": {
                    "code": "blocked",
                    "message": format!("{id} cannot be published yet; {} to fix", stepped.blockers.len()),
                },
                "blockers": blocker_list(id, &stepped.blockers),
            })),
        )
            .into_response());
    }
    Ok(Json(serde_json::json!({
        "incident": id,
        "review": stepped.review.as_str(),
        "blockers": blocker_list(id, &stepped.blockers),
    }))
    .into_response())
}

/// Where a review step left the review.
pub(crate) struct Stepped {
    pub review: debrief_core::ReviewState,
    /// What blocks publishing now.
    pub blockers: Vec<debrief_review::gate::Blocker>,
    /// The gate refused to publish.
    pub refused: bool,
}

/// Takes review step `step` (`submit`, `publish`, `reopen`) on incident `id`.
pub(crate) async fn step_review(
    state: &Shared,
    id: IncidentId,
    step: &str,
) -> Result<Stepped, ApiError> {
    use debrief_core::ReviewState as R;
    let incident = state.store.get_incident(id).await?;
    let blockers = gate_blockers(state, &incident).await?;
    let conflict = |m: String| ApiError::new(StatusCode::CONFLICT, "conflict", m);
    let to = match (step, incident.review) {
        ("submit", R::Draft) => R::InReview,
        ("submit", R::InReview) | ("publish", R::Published) | ("reopen", R::Draft) => {
            incident.review
        }
        ("submit", R::Published) => {
            return Err(conflict(format!(
                "{id} is published; reopen it to change it"
            )));
        }
        ("publish", R::Draft) => {
            return Err(conflict(format!(
                "{id} is a draft: submit it for review first"
            )));
        }
        ("publish", R::InReview) => {
            if !blockers.is_empty() {
                return Ok(Stepped {
                    review: incident.review,
                    blockers,
                    refused: true,
                });
            }
            R::Published
        }
        ("reopen", _) => R::Draft,
        (other, _) => {
            return Err(ApiError::not_found(format!(
                "no review step {other:?}: submit, publish or reopen"
            )));
        }
    };
    if to != incident.review {
        state
            .store
            .set_review_state(&incident, to, jiff::Timestamp::now())
            .await?;
    }
    Ok(Stepped {
        review: to,
        blockers,
        refused: false,
    })
}

/// What blocks publishing `incident` now (linted off the async threads).
pub(crate) async fn gate_blockers(
    state: &Shared,
    incident: &Incident,
) -> Result<Vec<debrief_review::gate::Blocker>, ApiError> {
    let findings = review_findings(state, incident).await?;
    Ok(debrief_review::gate::publish_blockers(
        incident,
        &findings,
        &incident.acknowledged,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAck {
    finding: String,
    reason: String,
}

/// Acknowledges a lint finding of the review: it stays visible but no longer blocks.
async fn acknowledge(
    caller: Caller,
    State(state): State<Shared>,
    Path(id): Path<String>,
    body: Result<Json<NewAck>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id = incident_id(&id)?;
    let Json(a) = body.map_err(body_error)?;
    let ack = acknowledge_finding(&state, id, a.finding, &a.reason).await?;
    Ok((StatusCode::CREATED, Json(ack)).into_response())
}

/// Acknowledges finding `finding` of incident `id`'s review as it reads now, for `reason`.
pub(crate) async fn acknowledge_finding(
    state: &Shared,
    id: IncidentId,
    finding: String,
    reason: &str,
) -> Result<debrief_core::Acknowledgement, ApiError> {
    let incident = state.store.get_incident(id).await?;
    let findings = review_findings(state, &incident).await?;
    if !findings.iter().any(|f| f.id == finding) {
        return Err(ApiError::not_found(format!(
            "{finding} is not a finding of {id} as it reads now"
        )));
    }
    let ack = debrief_core::Acknowledgement {
        finding,
        reason: reason.trim().to_string(),
        at: debrief_core::time::to_seconds(jiff::Timestamp::now()),
    };
    state.store.acknowledge(id, &ack).await?;
    Ok(ack)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NearMissBody {
    what: String,
    #[serde(default)]
    made_possible: String,
    #[serde(default)]
    stopped_it: String,
}

/// A confidential near-miss report: no token, and nothing about the sender is kept.
async fn report_near_miss(
    State(state): State<Shared>,
    body: Result<Json<NearMissBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(body_error)?;
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    let id = state
        .store
        .report_near_miss(today, &b.what, &b.made_possible, &b.stopped_it)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": id, "reported_on": today.to_string() })),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NearMissStep {
    severity: Option<String>,
}

/// What a reviewer does with a report: `promote` it to an incident marked as a near miss
/// ({severity}, SEV4 when absent), or put it on the next digest's failure-bows agenda (`bow`).
async fn near_miss_step(
    caller: Caller,
    State(state): State<Shared>,
    Path((id, step)): Path<(String, String)>,
    body: Option<Json<NearMissStep>>,
) -> Result<Response, ApiError> {
    caller.require(Role::Writer)?;
    let id: i64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::invalid(format!("{id:?} is not a report number")))?;
    let b = body.map(|Json(b)| b).unwrap_or_default();
    match step.as_str() {
        "promote" => {
            let severity = match b.severity.as_deref() {
                Some(s) => parsed(s)?,
                None => debrief_core::Severity::Sev4,
            };
            let incident = state.store.promote_near_miss(id, severity).await?;
            Ok((
                StatusCode::CREATED,
                Json(serde_json::json!({ "incident": incident })),
            )
                .into_response())
        }
        "bow" => {
            let today = debrief_core::time::utc_date(jiff::Timestamp::now());
            let bow = state.store.near_miss_to_bows(id, today).await?;
            Ok((StatusCode::CREATED, Json(serde_json::json!({ "bow": bow }))).into_response())
        }
        other => Err(ApiError::not_found(format!(
            "no near-miss step {other:?}: promote or bow"
        ))),
    }
}

async fn list_near_misses(
    caller: Caller,
    State(state): State<Shared>,
) -> Result<Response, ApiError> {
    caller.require(Role::Reader)?;
    Ok(Json(state.store.near_misses().await?).into_response())
}
