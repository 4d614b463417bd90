//! Writing on the web: a new incident, the review editor with the linter's findings beside
//! the text, and the publish flow with the gate's reasons and acknowledgements.
//!
//! Every form post is checked three ways before it writes: a live session whose role may
//! write, the page's own origin, and the session's CSRF token. What a person typed is never
//! lost: a document that does not parse comes back in the editor with the reason.

use std::fmt::Write;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use debrief_core::{Incident, IncidentId, ReviewState, Role, Severity};
use debrief_lint::{Finding, Level};
use debrief_review::gate::Blocker;
use serde::Deserialize;

use super::{Session, error_page, esc, page, same_origin};
use crate::ApiError;
use crate::api::Shared;

type FormResult<T> = Result<Form<T>, axum::extract::rejection::FormRejection>;

/// The session a page is for, or the answer for a browser that is not signed in.
/// (Refusals are boxed: a response is large, and the happy path should not carry it.)
fn signed_in(state: &Shared, headers: &HeaderMap) -> Result<Session, Box<Response>> {
    state
        .sessions
        .get(headers)
        .ok_or_else(|| Box::new(super::to_signin()))
}

/// The signed-in writer a form post comes from, once its origin and CSRF token are checked.
pub(super) fn writer(
    state: &Shared,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<Session, Box<Response>> {
    let session = signed_in(state, headers)?;
    if !same_origin(headers) || csrf != Some(session.csrf.as_str()) {
        return Err(Box::new(error_page(
            StatusCode::FORBIDDEN,
            "the form's CSRF token is wrong or it was sent from another site; reload the page and try again",
            Some(&session),
        )));
    }
    if session.role < Role::Writer {
        return Err(Box::new(error_page(
            StatusCode::FORBIDDEN,
            &format!(
                "this needs the writer role; you signed in with a {} token",
                session.role
            ),
            Some(&session),
        )));
    }
    Ok(session)
}

/// What a form has that every post carries.
trait Posted {
    fn csrf(&self) -> Option<&str>;
}

/// A form post about incident `id`: the form, its writer's session and the incident's
/// number, once the form parsed and the writer, origin and CSRF token are checked.
fn incident_post<T: Posted>(
    state: &Shared,
    headers: &HeaderMap,
    id: &str,
    form: FormResult<T>,
) -> Result<(T, Session, IncidentId), Box<Response>> {
    let Ok(Form(form)) = form else {
        return Err(Box::new(error_page(
            StatusCode::BAD_REQUEST,
            "the form was not filled in",
            None,
        )));
    };
    let session = writer(state, headers, form.csrf())?;
    match crate::api::incident_id(id) {
        Ok(n) => Ok((form, session, n)),
        Err(e) => Err(Box::new(failed(e, &session))),
    }
}

/// An API error as a page.
fn failed(e: ApiError, session: &Session) -> Response {
    error_page(e.status, &e.message, Some(session))
}

async fn load(state: &Shared, id: &str, session: &Session) -> Result<Incident, Box<Response>> {
    let id = crate::api::incident_id(id).map_err(|e| Box::new(failed(e, session)))?;
    state
        .store
        .get_incident(id)
        .await
        .map_err(|e| Box::new(failed(e.into(), session)))
}

/// The signed-in session and the incident a page shows.
async fn viewed(
    state: &Shared,
    headers: &HeaderMap,
    id: &str,
) -> Result<(Session, Incident), Box<Response>> {
    let session = signed_in(state, headers)?;
    let incident = load(state, id, &session).await?;
    Ok((session, incident))
}

fn csrf_field(session: &Session) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(&session.csrf)
    )
}

// ---------------------------------------------------------------------------------------
// New incident

pub async fn new_incident_form(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let session = match signed_in(&state, &headers) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    new_incident_page(&session, &NewIncident::default(), None)
}

#[derive(Deserialize, Default)]
pub struct NewIncident {
    csrf: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    services: String,
    #[serde(default)]
    summary: String,
}

fn new_incident_page(session: &Session, form: &NewIncident, error: Option<&str>) -> Response {
    let mut severities = String::new();
    for s in Severity::ALL {
        let chosen =
            if form.severity == s.as_str() || (form.severity.is_empty() && *s == Severity::Sev3) {
                " selected"
            } else {
                ""
            };
        let _ = write!(severities, "<option{chosen}>{s}</option>");
    }
    let body = format!(
        "<h1>New incident</h1>{}\
         <form method=\"post\" action=\"/incidents/new\" class=\"card\">{}\
         <p><label>Title<br><input name=\"title\" required size=\"60\" value=\"{}\"></label></p>\
         <p><label>Severity <select name=\"severity\">{severities}</select></label></p>\
         <p><label>Services (comma-separated)<br><input name=\"services\" size=\"60\" value=\"{}\"></label></p>\
         <p><label>Summary<br><textarea name=\"summary\" rows=\"5\" cols=\"60\">{}</textarea></label></p>\
         <p><button>Create and write the review</button></p></form>",
        error.map_or(String::new(), |e| format!(
            "<p class=\"notice bad\">{}</p>",
            esc(e)
        )),
        csrf_field(session),
        esc(&form.title),
        esc(&form.services),
        esc(&form.summary),
    );
    let mut r = page("New incident", Some(session), &body);
    if error.is_some() {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    r
}

pub async fn create_incident(
    State(state): State<Shared>,
    headers: HeaderMap,
    form: FormResult<NewIncident>,
) -> Response {
    let Ok(Form(form)) = form else {
        return error_page(StatusCode::BAD_REQUEST, "the form was not filled in", None);
    };
    let session = match writer(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if form.title.trim().is_empty() {
        return new_incident_page(&session, &form, Some("give the incident a title"));
    }
    let severity = match form.severity.parse::<Severity>() {
        Ok(s) => s,
        Err(e) => return new_incident_page(&session, &form, Some(&e.message)),
    };
    let mut incident = Incident::new(form.title.trim(), severity);
    incident.services = form
        .services
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    incident.summary = form.summary.trim().to_string();
    match state.store.create_incident(&incident).await {
        Ok(id) => Redirect::to(&format!("/incidents/{id}/edit")).into_response(),
        Err(debrief_store::StoreError::Invalid(e)) => {
            new_incident_page(&session, &form, Some(&e.message))
        }
        Err(e) => failed(e.into(), &session),
    }
}

// ---------------------------------------------------------------------------------------
// The editor

#[derive(Deserialize)]
pub struct EditQuery {
    saved: Option<String>,
    held: Option<usize>,
}

pub async fn editor(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<EditQuery>,
) -> Response {
    let (session, incident) = match viewed(&state, &headers, &id).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let text = debrief_review::render(&incident);
    let name = debrief_review::gate::document_name(&incident);
    let findings = match crate::api::lint_text(&state, text.clone(), name).await {
        Ok(f) => f,
        Err(e) => return failed(e, &session),
    };
    let notice = match (q.saved.as_deref(), q.held) {
        (_, Some(n)) if n > 0 => Some(Notice::Bad(format!(
            "Saved, but kept in review: the document says published and {n} point(s) stop it. \
             See Publish."
        ))),
        (Some("unchanged"), _) => Some(Notice::Good("Saved; nothing had changed.".into())),
        (Some(_), _) => Some(Notice::Good("Saved.".into())),
        _ => None,
    };
    editor_page(
        &incident,
        &text,
        &findings,
        &session,
        notice,
        StatusCode::OK,
    )
}

enum Notice {
    Good(String),
    Bad(String),
}

impl Notice {
    fn html(&self) -> String {
        match self {
            Notice::Good(m) => format!("<p class=\"notice good\">{}</p>", esc(m)),
            Notice::Bad(m) => format!("<p class=\"notice bad\" role=\"alert\">{}</p>", esc(m)),
        }
    }
}

fn level_class(level: Level) -> &'static str {
    level.as_str()
}

/// One finding: where, how bad, what, the sentence with its span marked, the suggestion.
fn finding_html(f: &Finding, out: &mut String) {
    let (a, b) = f.span;
    let sentence = match (
        f.sentence.get(..a),
        f.sentence.get(a..b),
        f.sentence.get(b..),
    ) {
        (Some(pre), Some(hit), Some(post)) => {
            format!("{}<mark>{}</mark>{}", esc(pre), esc(hit), esc(post))
        }
        _ => esc(&f.sentence),
    };
    let _ = write!(
        out,
        "<li class=\"finding {lvl}\" data-rule=\"{rule}\" data-id=\"{id}\"><span class=\"where\">line {line}</span> \
         <strong class=\"lvl\">{lvl}</strong> <code>{rule}</code> {msg}<br><q>{sentence}</q>\
         <br><span class=\"muted\">{sugg}</span>{ack}</li>",
        lvl = level_class(f.level),
        rule = esc(&f.rule),
        id = esc(&f.id),
        line = f.line,
        msg = esc(&f.message),
        sugg = esc(&f.suggestion),
        ack = f.acknowledged.as_ref().map_or(String::new(), |r| format!(
            "<br><em>Acknowledged: {}</em>",
            esc(r)
        )),
    );
}

fn findings_html(findings: &[Finding]) -> String {
    let mut out = String::new();
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let _ = write!(
        out,
        "<h2>Findings</h2><p class=\"muted\" id=\"finding-count\">{} finding(s), {errors} error(s). \
         Errors block publishing until reworded or acknowledged.</p>",
        findings.len()
    );
    if findings.is_empty() {
        out.push_str("<p>No blame found in the prose.</p>");
        return out;
    }
    out.push_str("<ol class=\"findings\">");
    for f in findings {
        finding_html(f, &mut out);
    }
    out.push_str("</ol>");
    out
}

fn editor_page(
    incident: &Incident,
    text: &str,
    findings: &[Finding],
    session: &Session,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let id = incident.id.map(|i| i.to_string()).unwrap_or_default();
    let (readonly, buttons) = if session.role < Role::Writer {
        (
            " readonly",
            "<p class=\"muted\">You signed in as a reader: you can read the review and its findings.</p>",
        )
    } else {
        (
            "",
            "<p><button name=\"do\" value=\"save\">Save</button> \
             <button name=\"do\" value=\"check\">Check</button></p>",
        )
    };
    let body = format!(
        "<h1>Review of <a href=\"/incidents/{id}\">{id}</a> {title}</h1>\
         <p class=\"muted\">Review {state}. Write it as the Markdown document <code>debrief review export</code> \
         gives; <strong>Check</strong> lints it without saving. <a href=\"/incidents/{id}/publish\">Publish…</a></p>{notice}\
         <div class=\"editor\"><form method=\"post\" action=\"/incidents/{id}/edit\">{csrf}\
         <textarea name=\"text\" aria-label=\"Review document\" spellcheck=\"true\"{readonly}>{text}</textarea>\
         {buttons}</form>\
         <aside>{findings}</aside></div>",
        title = esc(&incident.title),
        state = incident.review,
        notice = notice.map_or(String::new(), |n| n.html()),
        csrf = csrf_field(session),
        text = esc(text),
        findings = findings_html(findings),
    );
    let mut r = page(&format!("Edit {id}"), Some(session), &body);
    *r.status_mut() = status;
    r
}

#[derive(Deserialize)]
pub struct EditForm {
    csrf: Option<String>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    r#do: String,
}

pub async fn save(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: FormResult<EditForm>,
) -> Response {
    let Ok(Form(form)) = form else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "the form was not filled in, or the text is over the 1 MiB limit",
            None,
        );
    };
    let session = match writer(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let incident = match load(&state, &id, &session).await {
        Ok(i) => i,
        Err(r) => return *r,
    };
    let Some(number) = incident.id else {
        return error_page(StatusCode::NOT_FOUND, "no such incident", Some(&session));
    };
    // Browsers send textarea lines with CR LF.
    let text = form.text.replace("\r\n", "\n");
    if form.r#do == "check" {
        let name = format!("{number}.md");
        return match crate::api::lint_text(&state, text.clone(), name).await {
            Ok(findings) => editor_page(
                &incident,
                &text,
                &findings,
                &session,
                Some(Notice::Good("Checked; not saved yet.".into())),
                StatusCode::OK,
            ),
            Err(e) => failed(e, &session),
        };
    }
    match crate::api::save_review(&state, number, text.as_bytes()).await {
        Ok(saved) => Redirect::to(&format!(
            "/incidents/{number}/edit?saved={}&held={}",
            saved.outcome,
            saved.held.len()
        ))
        .into_response(),
        // The text stays in the editor, with why it was not saved.
        Err(e) => editor_page(
            &incident,
            &text,
            &[],
            &session,
            Some(Notice::Bad(format!("Not saved: {}", e.message))),
            e.status,
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Publishing

#[derive(Deserialize)]
pub struct PublishQuery {
    moved: Option<String>,
}

pub async fn publish_page(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PublishQuery>,
) -> Response {
    let (session, incident) = match viewed(&state, &headers, &id).await {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let blockers = match crate::api::gate_blockers(&state, &incident).await {
        Ok(b) => b,
        Err(e) => return failed(e, &session),
    };
    let notice = q.moved.map(|m| {
        Notice::Good(match m.as_str() {
            "published" => "Published.".to_string(),
            "in-review" => "Submitted for review.".to_string(),
            "draft" => "Back to draft.".to_string(),
            other => format!("Review is {other}."),
        })
    });
    publish_html(&incident, &blockers, &session, notice, StatusCode::OK)
}

/// How to fix a blocker on the web.
fn web_fix(b: &Blocker) -> String {
    match b {
        Blocker::Finding(f) => format!(
            "Reword it in the editor: {} If the sentence must stand as written (a quotation, \
             say), acknowledge it here with the reason.",
            f.suggestion
        ),
        Blocker::NoFactors => "Add the conditions that together made the failure possible, at the \
             technical, process and organization levels, under “Contributing factors” in the editor."
            .to_string(),
        Blocker::OnlyTechnical { .. } => "Ask what in how work is done (process) and in priorities, \
             staffing, incentives or structure (organization) let the technical conditions exist, \
             and add it in the editor as a factor with `level: process` or `level: organization`."
            .to_string(),
        Blocker::NoOwner { .. } => "Give it to a team in the editor (`owner:` under the item): a \
             team, not a person, since the work outlives who picks it up."
            .to_string(),
    }
}

fn publish_html(
    incident: &Incident,
    blockers: &[Blocker],
    session: &Session,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let id = incident.id.map(|i| i.to_string()).unwrap_or_default();
    let csrf = csrf_field(session);
    let mut b = format!(
        "<h1>Publish <a href=\"/incidents/{id}\">{id}</a> {}</h1>{}\
         <ol class=\"steps\">{}</ol>",
        esc(&incident.title),
        notice.map_or(String::new(), |n| n.html()),
        [
            (ReviewState::Draft, "Draft"),
            (ReviewState::InReview, "In review"),
            (ReviewState::Published, "Published")
        ]
        .iter()
        .map(|(s, label)| if *s == incident.review {
            format!("<li class=\"current\" aria-current=\"step\">{label}</li>")
        } else {
            format!("<li>{label}</li>")
        })
        .collect::<String>()
    );
    if blockers.is_empty() {
        b.push_str("<p class=\"notice good\" id=\"gate\">Nothing blocks publishing.</p>");
    } else {
        let _ = write!(
            b,
            "<h2 id=\"gate\">What blocks publishing ({})</h2><ol class=\"blockers\">",
            blockers.len()
        );
        for blocker in blockers {
            b.push_str("<li class=\"card\">");
            match blocker {
                Blocker::Finding(f) => {
                    b.push_str("<ol class=\"findings\">");
                    finding_html(f, &mut b);
                    b.push_str("</ol>");
                }
                other => {
                    let _ = write!(b, "<strong>{}</strong>", esc(&describe(other)));
                }
            }
            let _ = write!(b, "<p>{}</p>", esc(&web_fix(blocker)));
            if let Blocker::Finding(f) = blocker {
                if session.role >= Role::Writer {
                    let _ = write!(
                        b,
                        "<form method=\"post\" action=\"/incidents/{id}/ack\">{csrf}\
                         <input type=\"hidden\" name=\"finding\" value=\"{}\">\
                         <label>Why it stands <input name=\"reason\" required size=\"40\"></label> \
                         <button>Acknowledge</button></form>",
                        esc(&f.id)
                    );
                }
            }
            let _ = write!(
                b,
                "<p><a href=\"/incidents/{id}/edit\">Open the editor</a></p></li>"
            );
        }
        b.push_str("</ol>");
    }
    if !incident.acknowledged.is_empty() {
        b.push_str("<h2>Acknowledged findings</h2><ul>");
        for a in &incident.acknowledged {
            let _ = write!(
                b,
                "<li><code>{}</code>: {}</li>",
                esc(&a.finding),
                esc(&a.reason)
            );
        }
        b.push_str("</ul>");
    }
    if session.role >= Role::Writer {
        let step = |name: &str, label: &str| {
            format!(
                "<form method=\"post\" action=\"/incidents/{id}/publish\" class=\"inline\">{csrf}\
                 <button name=\"step\" value=\"{name}\">{label}</button></form> "
            )
        };
        b.push_str("<p>");
        match incident.review {
            ReviewState::Draft => b.push_str(&step("submit", "Submit for review")),
            ReviewState::InReview => {
                b.push_str(&step("publish", "Publish"));
                b.push_str(&step("reopen", "Back to draft"));
            }
            ReviewState::Published => b.push_str(&step("reopen", "Reopen")),
        }
        b.push_str("</p>");
    }
    let mut r = page(&format!("Publish {id}"), Some(session), &b);
    *r.status_mut() = status;
    r
}

/// A blocker other than a finding, in words.
fn describe(b: &Blocker) -> String {
    match b {
        Blocker::Finding(f) => f.message.clone(),
        Blocker::NoFactors => "The review names no contributing factor.".into(),
        Blocker::OnlyTechnical { count } => format!(
            "All {count} contributing factor(s) are technical: none at the process or organization level."
        ),
        Blocker::NoOwner { id, title } => format!(
            "Action item {}“{title}” has no owner team.",
            id.map_or(String::new(), |i| format!("{i} "))
        ),
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    csrf: Option<String>,
    #[serde(default)]
    step: String,
}

pub async fn step(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: FormResult<StepForm>,
) -> Response {
    let (form, session, number) = match incident_post(&state, &headers, &id, form) {
        Ok(checked) => checked,
        Err(r) => return *r,
    };
    match crate::api::step_review(&state, number, &form.step).await {
        Ok(stepped) if stepped.refused => {
            let incident = match load(&state, &id, &session).await {
                Ok(i) => i,
                Err(r) => return *r,
            };
            publish_html(
                &incident,
                &stepped.blockers,
                &session,
                Some(Notice::Bad(format!(
                    "Not published: {} point(s) to fix first.",
                    stepped.blockers.len()
                ))),
                StatusCode::CONFLICT,
            )
        }
        Ok(stepped) => Redirect::to(&format!(
            "/incidents/{number}/publish?moved={}",
            stepped.review.as_str()
        ))
        .into_response(),
        Err(e) => failed(e, &session),
    }
}

#[derive(Deserialize)]
pub struct AckForm {
    csrf: Option<String>,
    #[serde(default)]
    finding: String,
    #[serde(default)]
    reason: String,
}

pub async fn acknowledge(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: FormResult<AckForm>,
) -> Response {
    let (form, session, number) = match incident_post(&state, &headers, &id, form) {
        Ok(checked) => checked,
        Err(r) => return *r,
    };
    if form.reason.trim().is_empty() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "say why the sentence must stand as written",
            Some(&session),
        );
    }
    match crate::api::acknowledge_finding(&state, number, form.finding, &form.reason).await {
        Ok(_) => Redirect::to(&format!("/incidents/{number}/publish")).into_response(),
        Err(e) => failed(e, &session),
    }
}

impl Posted for StepForm {
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

impl Posted for AckForm {
    fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}
