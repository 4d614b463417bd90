//! The web UI, rendered on the server: sign in with a token, the incident list, an incident
//! page. Pages work without JavaScript. Review text is Markdown rendered with every piece of
//! raw HTML shown as text, and links only to http(s), mailto or relative addresses, so
//! hostile HTML in a review never runs.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use debrief_core::{Incident, IncidentId, Role, Severity, Status};
use debrief_store::{ActionFilter, IncidentFilter};
use serde::Deserialize;

use crate::api::Shared;
use crate::auth;

pub mod digest;
pub mod experiments;
pub mod learning;
pub mod problems;
pub mod retros;
pub mod review;
pub mod signals;

/// The search page: a form, and the ranked hits with the words found marked.
pub async fn search_page(
    State(state): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<crate::api::SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(session) = state.sessions.get(&headers) else {
        return to_signin();
    };
    let p = match query {
        Ok(Query(p)) => p,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e.body_text(), Some(&session)),
    };
    let field = |v: &Option<String>| esc(v.as_deref().unwrap_or(""));
    let mut b = format!(
        "<h1>Search</h1><form class=\"filters\" method=\"get\" role=\"search\">\
         <input type=\"search\" name=\"q\" value=\"{}\" size=\"36\" aria-label=\"Words\" autofocus>\
         <label>Service <input name=\"service\" size=\"10\" value=\"{}\"></label>\
         <label>Severity <input name=\"severity\" size=\"6\" value=\"{}\"></label>\
         <label>Factor <input name=\"factor\" size=\"10\" value=\"{}\"></label>\
         <label>Since <input name=\"since\" size=\"6\" value=\"{}\"></label>\
         <button>Search</button></form>\
         <p class=\"muted\">Words match their other forms (\"timeouts\" finds \"timeout\"); \
         <code>\"a phrase\"</code>, <code>prefix*</code> and <code>-word</code> work.</p>",
        esc(&p.q),
        field(&p.service),
        field(&p.severity),
        field(&p.factor),
        field(&p.since),
    );
    if p.q.trim().is_empty() {
        return page("Search", Some(&session), &b);
    }
    let found = match crate::api::run_search(&state, &p).await {
        Ok(f) => f,
        Err(e) => {
            let _ = write!(b, "<p class=\"notice bad\">{}</p>", esc(&e.message));
            let mut r = page("Search", Some(&session), &b);
            *r.status_mut() = e.status;
            return r;
        }
    };
    let _ = write!(
        b,
        "<p class=\"muted\" id=\"found\">{}{} incident(s) found{}.</p><ol class=\"hits\">",
        if found.total_at_least {
            "At least "
        } else {
            ""
        },
        found.total,
        if found.total > found.hits.len() {
            format!(", the best {} shown", found.hits.len())
        } else {
            String::new()
        }
    );
    for h in &found.hits {
        let _ = write!(
            b,
            "<li class=\"hit\"><a href=\"/incidents/{id}\"><strong>{id}</strong> {}</a> \
             <span class=\"muted\">{} · {} · review {}</span>",
            esc(&h.title),
            h.severity,
            h.started
                .map(|t| debrief_core::time::utc_date(t).to_string())
                .unwrap_or_default(),
            h.review,
            id = h.id
        );
        for s in &h.snippets {
            let _ = write!(
                b,
                "<p class=\"snippet\"><span class=\"muted\">{}:</span> {}</p>",
                s.field.as_str(),
                s.marked("<mark>", "</mark>", esc)
            );
        }
        b.push_str("</li>");
    }
    b.push_str("</ol>");
    if !found.experiments.is_empty() {
        b.push_str("<h2>Experiments</h2><ol class=\"hits\">");
        for e in &found.experiments {
            let _ = write!(
                b,
                "<li class=\"hit\"><a href=\"/experiments/{id}\"><strong>{id}</strong> {}</a> \
                 <span class=\"muted\">{} · {}</span>",
                esc(&e.title),
                e.kind.label(),
                experiments::state(e.status, e.outcome),
                id = e.id
            );
            for s in &e.snippets {
                let _ = write!(
                    b,
                    "<p class=\"snippet\"><span class=\"muted\">{}:</span> {}</p>",
                    debrief_store::ExperimentHit::field_name(s.field),
                    s.marked("<mark>", "</mark>", esc)
                );
            }
            b.push_str("</li>");
        }
        b.push_str("</ol>");
    }
    if !found.premortems.is_empty() {
        b.push_str("<h2>Pre-mortems</h2><ol class=\"hits\">");
        for p in &found.premortems {
            let _ = write!(
                b,
                "<li class=\"hit\"><a href=\"/premortems/{id}\"><strong>{id}</strong> {}</a> \
                 <span class=\"muted\">{} risks · {} foreseen · {} surprises</span>",
                esc(&p.title),
                p.foresight.risks,
                p.foresight.foreseen,
                p.foresight.surprises,
                id = p.id
            );
            for s in &p.snippets {
                let _ = write!(
                    b,
                    "<p class=\"snippet\">{}</p>",
                    s.marked("<mark>", "</mark>", esc)
                );
            }
            b.push_str("</li>");
        }
        b.push_str("</ol>");
    }
    if !found.near_misses.is_empty() {
        b.push_str("<h2>Near-miss reports</h2><ol class=\"hits\">");
        for n in &found.near_misses {
            let _ = write!(
                b,
                "<li class=\"hit\"><strong>Report {}</strong> {} <span class=\"muted\">{}</span></li>",
                n.id,
                esc(&n.what),
                n.reported_on
            );
        }
        b.push_str("</ol>");
    }
    if !found.retros.is_empty() {
        b.push_str("<h2>Retrospectives</h2><ol class=\"hits\">");
        for r in &found.retros {
            let _ = write!(
                b,
                "<li class=\"hit\"><a href=\"/retros/{id}\"><strong>{id}</strong> {}</a> \
                 <span class=\"muted\">held {} · {} items · {} action items</span>",
                esc(&r.title),
                r.held,
                r.items,
                r.actions,
                id = r.id
            );
            for s in &r.snippets {
                let _ = write!(
                    b,
                    "<p class=\"snippet\">{}</p>",
                    s.marked("<mark>", "</mark>", esc)
                );
            }
            b.push_str("</li>");
        }
        b.push_str("</ol>");
    }
    page("Search", Some(&session), &b)
}

/// How long a signed-in session lasts without use.
const SESSION_IDLE: Duration = Duration::from_secs(12 * 3600);

const COOKIE: &str = "debrief_session";

/// Signed-in browsers: session id → role, CSRF token for its forms, last use. Kept in
/// memory: a restart signs everyone out, which is the safe way round.
#[derive(Default)]
pub struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
    /// The one-time sign-in link of `debrief serve --open`: the SHA-256 of its code, and
    /// until when it works. Used once, then gone.
    link: Mutex<Option<(String, Instant)>>,
}

/// How long the sign-in link of `debrief serve --open` works.
pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

#[derive(Clone)]
pub struct Session {
    pub role: Role,
    pub csrf: String,
    used: Instant,
}

impl Sessions {
    fn create(&self, role: Role) -> std::io::Result<(String, Session)> {
        let id = auth::new_token()?.secret;
        let csrf = auth::new_token()?.secret;
        let session = Session {
            role,
            csrf,
            used: Instant::now(),
        };
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| s.used.elapsed() < SESSION_IDLE);
        map.insert(id.clone(), session.clone());
        Ok((id, session))
    }

    /// Arms the one-time sign-in link for `code` (replacing any earlier one).
    pub fn arm_link(&self, code: &str) {
        *self.link.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((auth::hash(code), Instant::now() + LINK_LIFETIME));
    }

    /// Whether `code` is the armed sign-in link, still valid; it is spent either way if it
    /// matches.
    fn spend_link(&self, code: &str) -> bool {
        let mut link = self.link.lock().unwrap_or_else(|p| p.into_inner());
        match &*link {
            Some((hash, until)) if *hash == auth::hash(code) => {
                let live = Instant::now() < *until;
                *link = None;
                live
            }
            _ => false,
        }
    }

    /// The session the request's cookie names, if it is live.
    pub fn get(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, COOKIE)?;
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let s = map.get_mut(&id)?;
        if s.used.elapsed() >= SESSION_IDLE {
            map.remove(&id);
            return None;
        }
        s.used = Instant::now();
        Some(s.clone())
    }

    fn end(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers, COOKIE) {
            self.inner
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
        }
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Text for HTML: `& < > " '` escaped.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown as HTML that cannot run anything: raw HTML becomes text, and links and images
/// keep only http(s), mailto and relative addresses.
pub fn markdown(text: &str) -> String {
    use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};
    let safe = |url: &CowStr<'_>| -> bool {
        let u = url.trim().to_ascii_lowercase();
        let scheme_end = u.find(':');
        let first_sep = u.find(['/', '?', '#']);
        match scheme_end {
            Some(i) if first_sep.is_none_or(|s| i < s) => {
                u.starts_with("http:") || u.starts_with("https:") || u.starts_with("mailto:")
            }
            _ => true,
        }
    };
    let events = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(
        |event| match event {
            Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) if !safe(&dest_url) => Event::Start(Tag::Link {
                link_type,
                dest_url: CowStr::Borrowed("#"),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) if !safe(&dest_url) => Event::Start(Tag::Image {
                link_type,
                dest_url: CowStr::Borrowed(""),
                title,
                id,
            }),
            other => other,
        },
    );
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

pub(crate) const STYLE: &str = "h1{font-size:1.75rem;line-height:1.25}body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1f24}\
a{color:#0b57d0}header{display:flex;gap:1rem;align-items:baseline;border-bottom:1px solid #ddd;margin-bottom:1rem}\
header nav{margin-left:auto}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eee}\
.sev{font-weight:600}.muted{color:#57606a}.card{border:1px solid #ddd;border-radius:6px;padding:.75rem 1rem;margin:.75rem 0}\
form.filters{display:flex;gap:.5rem;flex-wrap:wrap;margin-bottom:1rem}input,select,button{font:inherit;padding:.3rem .5rem}\
tr.overdue td{background:#fff1f0}figure.drawing{margin:0;overflow-x:auto}figure.drawing svg{min-width:40rem;width:100%;height:auto}\
.editor{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1rem;align-items:start}\
.editor textarea{width:100%;box-sizing:border-box;min-height:70vh;font:14px/1.45 ui-monospace,monospace}\
.editor aside{max-height:80vh;overflow-y:auto}ol.findings{padding-left:1.2rem}li.finding{margin:.5rem 0}\
li.finding .lvl{text-transform:uppercase;font-size:.8em}li.error .lvl{color:#cf222e}li.warning .lvl{color:#9a6700}li.suggestion .lvl{color:#57606a}\
mark{background:#ffebe9}.notice{padding:.5rem .75rem;border-radius:6px}.notice.good{background:#dafbe1}.notice.bad{background:#ffebe9}\
ol.steps{display:flex;gap:1.5rem;padding-left:1.2rem}ol.steps li.current{font-weight:700}form.inline{display:inline}\
ol.blockers{padding-left:1.2rem}.kind{font:600 .85em ui-monospace,monospace}table.signals code{word-break:break-all}\
.actions-bar{display:flex;gap:1rem}table.figures th{width:16rem}figure.chart figcaption{font-weight:600;margin:.5rem 0}.recurrence{color:#9a6700}section.similar ul{margin:.3rem 0}ol.hits{padding-left:1.2rem}li.hit{margin:.9rem 0}p.snippet{margin:.2rem 0}table.list td:not(:nth-child(2)){white-space:nowrap}\
@media (max-width:40rem){td:nth-child(n+5),th:nth-child(n+5){display:none}.editor{grid-template-columns:1fr}.editor textarea{min-height:50vh}}";

/// A whole page. Its Content-Security-Policy allows no script at all and no inline style
/// attributes: even if something slipped past the Markdown rendering, it could not run.
fn page(title: &str, session: Option<&Session>, body: &str) -> Response {
    let nav = match session {
        Some(s) => format!(
            "<nav><form method=\"get\" action=\"/search\" class=\"inline\" role=\"search\">\
             <input type=\"search\" name=\"q\" placeholder=\"Search\" aria-label=\"Search\" size=\"14\"></form> \
             <a href=\"/\">Incidents</a> · <a href=\"/actions\">Actions</a> · \
             <a href=\"/problems\">Problems</a> · <a href=\"/learning\">Learning</a> · <a href=\"/digest\">Digest</a> · <a href=\"/experiments\">Experiments</a> · <a href=\"/premortems\">Pre-mortems</a> · <a href=\"/retros\">Retros</a> · <a href=\"/signals\">Signals</a> · <a href=\"/near-miss\">Near miss</a> · <span class=\"muted\">{}</span> · \
             <form method=\"post\" action=\"/signout\" style=\"display:inline\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Sign out</button></form></nav>",
            s.role,
            esc(&s.csrf)
        ),
        None => String::new(),
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · debrief</title><style>{STYLE}</style></head><body>\
         <header><strong>debrief</strong>{nav}</header><main>{body}</main></body></html>",
        esc(title)
    );
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

fn error_page(status: StatusCode, message: &str, session: Option<&Session>) -> Response {
    let mut r = page(
        "Error",
        session,
        &format!("<h1>{}</h1><p>{}</p>", status, esc(message)),
    );
    *r.status_mut() = status;
    r
}

/// Where a page sends a browser that is not signed in.
fn to_signin() -> Response {
    Redirect::to("/signin").into_response()
}

#[derive(Deserialize)]
pub struct SigninQuery {
    code: Option<String>,
}

pub async fn signin_form(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<SigninQuery>,
) -> Response {
    // The link `debrief serve --open` printed: whoever started the server owns the store, so
    // it signs in as an administrator, once.
    if let Some(code) = q.code.as_deref() {
        if state.sessions.spend_link(code) {
            return start_session(&state, Role::Admin);
        }
        let mut r = signin_page(Some(
            "That sign-in link was used already or has expired; sign in with a token.",
        ));
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return r;
    }
    if state.sessions.get(&headers).is_some() {
        return Redirect::to("/").into_response();
    }
    signin_page(None)
}

fn signin_page(notice: Option<&str>) -> Response {
    page(
        "Sign in",
        None,
        &format!(
            "<h1>Sign in</h1>{}<form method=\"post\" action=\"/signin\" class=\"card\">\
             <p><label>Token<br><input type=\"password\" name=\"token\" autocomplete=\"current-password\" \
             required size=\"40\"></label></p><p><button>Sign in</button></p>\
             <p class=\"muted\">Make one with <code>debrief token create --role reader</code>.</p></form>",
            notice.map_or(String::new(), |n| format!(
                "<p class=\"notice bad\">{}</p>",
                esc(n)
            ))
        ),
    )
}

/// A new session of `role`: its cookie, and on to the incident list.
fn start_session(state: &Shared, role: Role) -> Response {
    let Ok((id, _)) = state.sessions.create(role) else {
        return error_page(StatusCode::INTERNAL_SERVER_ERROR, "no randomness", None);
    };
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{COOKIE}={id}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        SESSION_IDLE.as_secs()
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
pub struct SigninForm {
    token: String,
}

pub async fn signin(
    State(state): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<SigninForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    // A cross-site page cannot sign a browser in: the form must come from this origin.
    if !same_origin(&headers) {
        return error_page(
            StatusCode::FORBIDDEN,
            "sign in from debrief's own page",
            None,
        );
    }
    let Ok(Form(form)) = form else {
        return error_page(StatusCode::BAD_REQUEST, "the form was not filled in", None);
    };
    let token = match state
        .store
        .token_by_hash(&auth::hash(form.token.trim()))
        .await
    {
        Ok(Some(t)) => t,
        Ok(None) => {
            return error_page(
                StatusCode::UNAUTHORIZED,
                "that token is unknown or revoked",
                None,
            );
        }
        Err(e) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string(), None),
    };
    start_session(&state, token.role)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn signout(
    State(state): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(session) = state.sessions.get(&headers) else {
        return to_signin();
    };
    if !form.is_ok_and(|Form(f)| f.csrf == session.csrf) {
        return error_page(
            StatusCode::FORBIDDEN,
            "the form's CSRF token is wrong",
            Some(&session),
        );
    }
    state.sessions.end(&headers);
    let mut r = Redirect::to("/signin").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "debrief_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
        ),
    );
    r
}

/// Whether a form post comes from this server's own pages (Origin, else Referer).
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|o| o.to_str().ok());
    match (host, origin) {
        (Some(host), Some(origin)) => {
            let rest = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .unwrap_or("");
            rest.split('/').next() == Some(host)
        }
        // A form post with neither header comes from no browser page.
        (_, None) => true,
        _ => false,
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    severity: Option<String>,
}

pub async fn incident_list(
    State(state): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let Some(session) = state.sessions.get(&headers) else {
        return to_signin();
    };
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let severity = q.severity.as_deref().filter(|s| !s.is_empty());
    let filter = IncidentFilter {
        statuses: status.and_then(|s| s.parse().ok()).into_iter().collect(),
        severities: severity.and_then(|s| s.parse().ok()).into_iter().collect(),
        ..IncidentFilter::default()
    };
    let list = match state.store.list_incidents(&filter).await {
        Ok(l) => l,
        Err(e) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.to_string(),
                Some(&session),
            );
        }
    };
    let options = |all: &[&str], chosen: Option<&str>| {
        let mut o = String::from("<option value=\"\">any</option>");
        for v in all {
            let sel = if Some(*v) == chosen { " selected" } else { "" };
            let _ = write!(o, "<option{sel}>{}</option>", esc(v));
        }
        o
    };
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let mut body = format!(
        "<h1>Incidents</h1>{}<form class=\"filters\" method=\"get\">\
         <label>Status <select name=\"status\">{}</select></label>\
         <label>Severity <select name=\"severity\">{}</select></label><button>Filter</button></form>",
        if session.role >= Role::Writer {
            "<p><a href=\"/incidents/new\">New incident</a></p>"
        } else {
            ""
        },
        options(&statuses, status),
        options(&severities, severity)
    );
    if list.is_empty() {
        body.push_str("<p class=\"muted\">No incidents match.</p>");
    } else {
        body.push_str(
            "<table class=\"list\"><thead><tr><th>Id</th><th>Title</th><th>Severity</th><th>Status</th>\
             <th>Review</th><th>Actions open</th></tr></thead><tbody>",
        );
        for i in &list {
            let _ = write!(
                body,
                "<tr><td><a href=\"/incidents/{id}\">{id}</a></td><td>{}</td><td class=\"sev\">{}</td>\
                 <td>{}</td><td>{}</td><td>{} of {}</td></tr>",
                esc(&i.title),
                i.severity,
                i.status,
                i.review,
                i.actions_open,
                i.actions_total,
                id = i.id
            );
        }
        body.push_str("</tbody></table>");
    }
    page("Incidents", Some(&session), &body)
}

pub async fn incident_page(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(session) = state.sessions.get(&headers) else {
        return to_signin();
    };
    let Ok(id) = id.parse::<IncidentId>() else {
        return error_page(StatusCode::NOT_FOUND, "no such incident", Some(&session));
    };
    let incident = match state.store.get_incident(id).await {
        Ok(i) => i,
        Err(debrief_store::StoreError::NotFound(_)) => {
            return error_page(
                StatusCode::NOT_FOUND,
                &format!("{id} not found"),
                Some(&session),
            );
        }
        Err(e) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.to_string(),
                Some(&session),
            );
        }
    };
    let mut body = String::new();
    if let Some(id) = incident.id {
        let _ = write!(
            body,
            "<p class=\"actions-bar\"><a href=\"/incidents/{id}/edit\">{}</a> \
             <a href=\"/incidents/{id}/publish\">Publish…</a></p>",
            if session.role >= Role::Writer {
                "Edit the review"
            } else {
                "Review source and findings"
            }
        );
    }
    // Earlier incidents it resembles, with what is still open from them.
    let similar = match incident.id {
        Some(id) => state.store.similar_incidents(id).await.unwrap_or_default(),
        None => Vec::new(),
    };
    body.push_str(&similar_html(&similar));
    page(
        &incident.title,
        Some(&session),
        &incident_html(&incident, &body),
    )
}

/// "This looks like …": the similar incidents, those with open actions first flagged.
fn similar_html(similar: &[debrief_store::SimilarIncident]) -> String {
    if similar.is_empty() {
        return String::new();
    }
    let mut b = String::from(
        "<section class=\"similar card\" aria-label=\"Similar incidents\"><strong>This looks like</strong><ul>",
    );
    for s in similar {
        let _ = write!(
            b,
            "<li><a href=\"/incidents/{id}\">{id}</a> {} <span class=\"muted\">{} · {:.0}% alike · {}</span>",
            esc(&s.title),
            s.started
                .map(|t| debrief_core::time::utc_date(t).to_string())
                .unwrap_or_default(),
            s.score * 100.0,
            esc(&s.why),
            id = s.id
        );
        if !s.open_actions.is_empty() {
            let _ = write!(
                b,
                "<br><strong class=\"recurrence\">{} of its {} action items are still open:</strong><ul>",
                s.open_actions.len(),
                s.actions_total
            );
            for a in &s.open_actions {
                let _ = write!(
                    b,
                    "<li>{} {} <span class=\"muted\">({}{})</span></li>",
                    a.id.map(|x| x.to_string()).unwrap_or_default(),
                    esc(&a.title),
                    a.status,
                    a.owner
                        .as_deref()
                        .map(|o| format!(", {}", esc(o)))
                        .unwrap_or_default()
                );
            }
            b.push_str("</ul>");
        }
        b.push_str("</li>");
    }
    b.push_str("</ul></section>");
    b
}

/// The incident page's body; `bar` (links to the editor and the publish page) goes under
/// the title.
pub(crate) fn incident_html(i: &Incident, bar: &str) -> String {
    let mut b = String::new();
    let id = i.id.map(|id| id.to_string()).unwrap_or_default();
    let _ = write!(
        b,
        "<h1>{} {}</h1><p class=\"muted\">{} · {} · review {} · {}</p>",
        esc(&id),
        esc(&i.title),
        i.severity,
        i.status,
        i.review,
        esc(&i.services.join(", "))
    );
    b.push_str(bar);
    for (name, text) in [("Summary", &i.summary), ("Impact", &i.impact)] {
        if !text.is_empty() {
            let _ = write!(b, "<h2>{name}</h2>{}", markdown(text));
        }
    }
    if let Some(drawing) = crate::svg::timeline(i) {
        let _ = write!(
            b,
            "<h2>Timeline</h2><figure class=\"drawing\">{drawing}</figure>"
        );
    }
    if !i.timeline.is_empty() {
        b.push_str("<ul>");
        for e in &i.timeline {
            let _ = write!(
                b,
                "<li><time>{}</time> {}{}</li>",
                debrief_core::time::format_time(e.at),
                esc(&e.text),
                if e.known.is_empty() {
                    String::new()
                } else {
                    format!(
                        " <span class=\"muted\">(known then: {})</span>",
                        esc(&e.known)
                    )
                }
            );
        }
        b.push_str("</ul>");
    }
    b.push_str("<h2>Contributing factors</h2>");
    let _ = write!(
        b,
        "<figure class=\"drawing\">{}</figure>",
        crate::svg::fishbone(i)
    );
    if !i.factors.is_empty() {
        for (n, f) in i.factors.iter().enumerate() {
            let _ = write!(
                b,
                "<div class=\"card\"><strong>F{} {}</strong> <span class=\"muted\">{} · {}</span>{}",
                n + 1,
                esc(&f.title),
                f.level,
                f.category,
                markdown(&f.description)
            );
            if !f.whys.is_empty() {
                b.push_str("<ol>");
                for w in &f.whys {
                    let _ = write!(b, "<li>{}</li>", esc(w));
                }
                b.push_str("</ol>");
            }
            b.push_str("</div>");
        }
    }
    if !i.lessons.is_empty() {
        b.push_str("<h2>Lessons</h2><ul>");
        for l in &i.lessons {
            let _ = write!(
                b,
                "<li><span class=\"muted\">{}:</span> {}</li>",
                l.kind.label(),
                esc(&l.text)
            );
        }
        b.push_str("</ul>");
    }
    if !i.actions.is_empty() {
        b.push_str("<h2>Action items</h2><table><tbody>");
        for a in &i.actions {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                a.id.map(|x| x.to_string()).unwrap_or_default(),
                esc(&a.title),
                a.status,
                esc(a.owner.as_deref().unwrap_or("no owner")),
                a.due.map(|d| d.to_string()).unwrap_or_default()
            );
        }
        b.push_str("</tbody></table>");
    }
    if !i.notes.is_empty() {
        let _ = write!(b, "<h2>Notes</h2>{}", markdown(&i.notes));
    }
    b
}

/// The action-item board: overdue items first (oldest due date first), then the other open
/// ones by due date, then the rest; with each item's incident.
pub async fn action_board(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let Some(session) = state.sessions.get(&headers) else {
        return to_signin();
    };
    let mut rows = match state.store.list_actions(&ActionFilter::default()).await {
        Ok(r) => r,
        Err(e) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.to_string(),
                Some(&session),
            );
        }
    };
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    let open = |r: &debrief_store::ActionRow| {
        !matches!(
            r.action.status,
            debrief_core::ActionStatus::Done | debrief_core::ActionStatus::WontDo
        )
    };
    let overdue = |r: &debrief_store::ActionRow| open(r) && r.action.due.is_some_and(|d| d < today);
    rows.sort_by_key(|r| {
        (
            !overdue(r),
            !open(r),
            r.action.due.is_none(),
            r.action.due,
            r.source,
        )
    });
    let mut body = String::from("<h1>Action items</h1>");
    if let Ok(f) = state.store.follow_through(today).await {
        let days = |d: Option<i64>| d.map_or("–".to_string(), |d| format!("{d} days"));
        let _ = write!(
            body,
            "<p class=\"muted\" id=\"follow\">{:.0}% closed · {} stale (open over {} days) · \
             open items' median age {} · median time to close {} · \
             judged after closing: {} worked, {} did not</p>",
            f.closure_rate * 100.0,
            f.stale,
            debrief_store::STALE_DAYS,
            days(f.open_age_median),
            days(f.time_to_close_median),
            f.worked,
            f.did_not_work
        );
        if !f.recurred.is_empty() {
            body.push_str("<div class=\"card\"><strong class=\"recurrence\">Closed, but the problem came back</strong><ul>");
            for r in &f.recurred {
                let _ = write!(
                    body,
                    "<li>{} {} <span class=\"muted\">(<a href=\"/incidents/{inc}\">{inc}</a>, closed {})</span>: \
                     {} came back as <a href=\"/incidents/{later}\">{later}</a></li>",
                    r.action,
                    esc(&r.title),
                    r.closed,
                    r.problem,
                    inc = r.incident,
                    later = r.came_back
                );
            }
            body.push_str("</ul></div>");
        }
    }
    let late = rows.iter().filter(|r| overdue(r)).count();
    let _ = write!(
        body,
        "<p class=\"muted\">{} items, {} open, {late} overdue.</p>",
        rows.len(),
        rows.iter().filter(|r| open(r)).count()
    );
    if rows.is_empty() {
        body.push_str("<p class=\"muted\">No action items yet.</p>");
    } else {
        body.push_str(
            "<table><thead><tr><th>Item</th><th>Title</th><th>Status</th><th>Owner</th>\
             <th>Due</th><th>From</th></tr></thead><tbody>",
        );
        for r in &rows {
            let a = &r.action;
            let _ = write!(
                body,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td>\
                 <td><a href=\"/{path}\">{inc}</a> {}</td></tr>",
                if overdue(r) { " class=\"overdue\"" } else { "" },
                a.id.map(|x| x.to_string()).unwrap_or_default(),
                esc(&a.title),
                a.status,
                esc(a.owner.as_deref().unwrap_or("no owner")),
                a.due.map(|d| d.to_string()).unwrap_or_default(),
                if overdue(r) {
                    " <strong>overdue</strong>"
                } else {
                    ""
                },
                esc(&r.source_title),
                inc = r.source,
                path = r.source.path()
            );
        }
        body.push_str("</tbody></table>");
    }
    page("Action items", Some(&session), &body)
}

const NEAR_MISS_FORM: &str = "<h1>Report a near miss</h1>\
<p>Something went wrong, or nearly did, and something stopped it? Tell us, so the next time \
nothing has to. <strong>This form is confidential:</strong> debrief keeps what you write and \
the day, nothing else: no name, no address, no sign-in.</p>\
<form method=\"post\" action=\"/near-miss\" class=\"card\">\
<p><label>What happened, or nearly happened?<br><textarea name=\"what\" rows=\"5\" cols=\"60\" required></textarea></label></p>\
<p><label>What made it possible?<br><textarea name=\"made_possible\" rows=\"4\" cols=\"60\"></textarea></label></p>\
<p><label>What stopped it?<br><textarea name=\"stopped_it\" rows=\"4\" cols=\"60\"></textarea></label></p>\
<p><button>Send</button></p></form>";

/// The confidential near-miss form: no sign-in.
pub async fn near_miss_form(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let session = state.sessions.get(&headers);
    let mut body = NEAR_MISS_FORM.to_string();
    // Signed in: the reports so far, and for a writer what a reviewer does with one.
    if let Some(s) = &session {
        match state.store.near_misses().await {
            Ok(all) if !all.is_empty() => {
                body.push_str("<h2 id=\"reports\">Reports</h2><ol class=\"hits\">");
                for n in &all {
                    let _ = write!(
                        body,
                        "<li class=\"hit\"><strong>Report {}</strong> <span class=\"muted\">{}</span>\
                         <p>{}</p>",
                        n.id,
                        n.reported_on,
                        esc(&n.what)
                    );
                    for (label, text) in [
                        ("What made it possible", &n.made_possible),
                        ("What stopped it", &n.stopped_it),
                    ] {
                        if !text.is_empty() {
                            let _ = write!(
                                body,
                                "<p><span class=\"muted\">{label}:</span> {}</p>",
                                esc(text)
                            );
                        }
                    }
                    match n.incident {
                        Some(i) => {
                            let _ =
                                write!(body, "<p>Became <a href=\"/incidents/{i}\">{i}</a></p>");
                        }
                        None if s.role >= Role::Writer => {
                            let _ = write!(
                                body,
                                "<form method=\"post\" action=\"/near-miss/{id}/promote\" style=\"display:inline\">\
                                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                                 <button>Turn into an incident</button></form> \
                                 <form method=\"post\" action=\"/near-miss/{id}/bow\" style=\"display:inline\">\
                                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                                 <button>Put on the failure-bows agenda</button></form>",
                                id = n.id,
                                csrf = esc(&s.csrf)
                            );
                        }
                        None => {}
                    }
                    body.push_str("</li>");
                }
                body.push_str("</ol>");
            }
            Ok(_) => {}
            Err(e) => {
                let e = crate::ApiError::from(e);
                return error_page(e.status, &e.message, Some(s));
            }
        }
    }
    page("Report a near miss", session.as_ref(), &body)
}

/// A form's fields in order, for forms whose field names are not fixed (a retro's close
/// form names each owner by item).
pub(crate) type Fields = Vec<(String, String)>;

/// The first value of field `name`.
pub(crate) fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A writer's form post: its fields, once the session, the origin and the CSRF token are
/// checked; else the page that says why not.
pub(crate) fn writer_form(
    state: &Shared,
    headers: &HeaderMap,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Result<(Session, Fields), Box<Response>> {
    let fields = form.map(|Form(f)| f).unwrap_or_default();
    let session = review::writer(state, headers, field(&fields, "csrf"))?;
    Ok((session, fields))
}

/// A signed-in page about one record: the session, the record's id as parsed from the path,
/// and the record `load` reads; else the page that says why not (sign in, no such `what`,
/// or the store's error).
pub(crate) async fn record_page<I, T, Fut>(
    state: &Shared,
    headers: &HeaderMap,
    id: &str,
    what: &str,
    load: impl FnOnce(I) -> Fut,
) -> Result<(Session, I, T), Box<Response>>
where
    I: std::str::FromStr + Copy,
    Fut: std::future::Future<Output = Result<T, debrief_store::StoreError>>,
{
    let Some(session) = state.sessions.get(headers) else {
        return Err(Box::new(to_signin()));
    };
    let Ok(id) = id.parse::<I>() else {
        let page = error_page(
            StatusCode::NOT_FOUND,
            &format!("no such {what}"),
            Some(&session),
        );
        return Err(Box::new(page));
    };
    match load(id).await {
        Ok(record) => Ok((session, id, record)),
        Err(err) => Err(Box::new(store_failed(err, &session))),
    }
}

/// A store error as a page: not found is 404, the rest as the API says.
pub(crate) fn store_failed(err: debrief_store::StoreError, session: &Session) -> Response {
    let e = crate::ApiError::from(err);
    error_page(e.status, &e.message, Some(session))
}

/// An optional date field (YYYY-MM-DD or +30d); empty is none. The error names `what`.
pub(crate) fn date_field(
    fields: &Fields,
    name: &str,
    what: &str,
) -> Result<Option<jiff::civil::Date>, String> {
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    match field(fields, name).map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => debrief_core::time::parse_date(d, today)
            .map(Some)
            .map_err(|e| format!("{what}: {}", e.message)),
        None => Ok(None),
    }
}

/// A reviewer turns a report into an incident marked as a near miss (SEV4, to be reviewed
/// like any other), or puts it on the next digest's failure-bows agenda.
pub async fn near_miss_step(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((id, step)): Path<(String, String)>,
    form: Result<Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let csrf = form.ok().map(|Form(f)| f.csrf);
    let session = match review::writer(&state, &headers, csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            StatusCode::NOT_FOUND,
            "no such near-miss report",
            Some(&session),
        );
    };
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    let result = match step.as_str() {
        "promote" => state
            .store
            .promote_near_miss(id, debrief_core::Severity::Sev4)
            .await
            .map(|i| format!("/incidents/{i}")),
        "bow" => state
            .store
            .near_miss_to_bows(id, today)
            .await
            .map(|_| "/digest".to_string()),
        _ => return error_page(StatusCode::NOT_FOUND, "no such page", Some(&session)),
    };
    match result {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => {
            let e = crate::ApiError::from(e);
            error_page(e.status, &e.message, Some(&session))
        }
    }
}

#[derive(Deserialize)]
pub struct NearMissForm {
    what: String,
    #[serde(default)]
    made_possible: String,
    #[serde(default)]
    stopped_it: String,
}

/// Stores a near-miss report: its text and the day, nothing about who sent it.
pub async fn near_miss(
    State(state): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<NearMissForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if !same_origin(&headers) {
        return error_page(
            StatusCode::FORBIDDEN,
            "send the report from debrief's own page",
            None,
        );
    }
    let Ok(Form(f)) = form else {
        return error_page(StatusCode::BAD_REQUEST, "the form was not filled in", None);
    };
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    match state
        .store
        .report_near_miss(today, &f.what, &f.made_possible, &f.stopped_it)
        .await
    {
        Ok(_) => page(
            "Thank you",
            None,
            "<h1>Thank you</h1><p>Your report is in. Nothing about who sent it was kept.</p>\
             <p><a href=\"/near-miss\">Report another</a></p>",
        ),
        Err(debrief_store::StoreError::Invalid(e)) => {
            error_page(StatusCode::BAD_REQUEST, &e.message, None)
        }
        Err(e) => error_page(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_markdown_renders_as_text() {
        let html = markdown(
            "Hi <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n\
             [click](javascript:alert(3)) [ok](https://example.org) ![i](data:text/html,x)\n\n\
             <div onclick=\"alert(4)\">raw block</div>\n",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("<div onclick"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("data:text/html"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("href=\"https://example.org\""), "{html}");
        assert_eq!(
            esc("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
    }
}
