//! The digest page: the digest of a window (the same HTML the mail gets), its Markdown and
//! mail versions to download, and a form to offer a failure bow.

use std::fmt::Write;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use debrief_core::Role;
use serde::Deserialize;

use super::{error_page, esc, page, to_signin};
use crate::api::{DigestQuery, Shared, build_digest};
use crate::digest::{Links, html, html_body, markdown};

/// Links in the page stay on this server, as relative addresses.
const HERE: Links = Links(Some(""));

pub async fn digest_page(
    State(state): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<DigestQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(session) = state.sessions.get(&headers) else {
        return to_signin();
    };
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let since = q.since.clone().unwrap_or_else(|| "7d".into());
    let mut b = format!(
        "<form method=\"get\" action=\"/digest\" class=\"inline\">\
         <label>Since <input name=\"since\" value=\"{}\" size=\"10\"></label> <button>Show</button></form>",
        esc(&since)
    );
    let d = match build_digest(&state, &q).await {
        Ok(d) => d,
        Err(e) => {
            let _ = write!(b, "<p class=\"notice bad\">{}</p>", esc(&e.message));
            let mut r = page("Digest", Some(&session), &b);
            *r.status_mut() = e.status;
            return r;
        }
    };
    let enc = |s: &str| {
        s.bytes()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == b'-' {
                    (c as char).to_string()
                } else {
                    format!("%{c:02X}")
                }
            })
            .collect::<String>()
    };
    let _ = write!(
        b,
        " <span class=\"muted\">Download: <a href=\"/digest/export?format=md&amp;since={s}\">Markdown</a> · \
         <a href=\"/digest/export?format=html&amp;since={s}\">HTML for mail</a></span>\
         <article class=\"digest\">{}</article>",
        html_body(&d, HERE),
        s = enc(&since)
    );
    if session.role >= Role::Writer {
        let _ = write!(
            b,
            "<h2>Offer a failure bow</h2><p class=\"muted\">A failure of yours to tell in the next \
             meeting, and what it taught. No name is kept: you tell it yourself.</p>\
             <form method=\"post\" action=\"/digest/bows\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <textarea name=\"text\" rows=\"3\" required maxlength=\"2000\"></textarea><br><button>Offer it</button></form>",
            esc(&session.csrf)
        );
    }
    page("Digest", Some(&session), &b)
}

/// The Markdown or mail HTML of the digest, as a download.
pub async fn digest_export(
    State(state): State<Shared>,
    headers: HeaderMap,
    query: Result<Query<DigestQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(session) = state.sessions.get(&headers) else {
        return to_signin();
    };
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let d = match build_digest(&state, &q).await {
        Ok(d) => d,
        Err(e) => return error_page(e.status, &e.message, Some(&session)),
    };
    let base = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .map(|h| format!("http://{h}"));
    let links = Links(base.as_deref());
    let (kind, name, body) = match q.format.as_deref().unwrap_or("md") {
        "html" => ("text/html; charset=utf-8", "digest.html", html(&d, links)),
        _ => (
            "text/markdown; charset=utf-8",
            "digest.md",
            markdown(&d, links),
        ),
    };
    (
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct BowForm {
    csrf: Option<String>,
    text: Option<String>,
}

pub async fn offer_bow(
    State(state): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<BowForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.ok().map(|Form(f)| f);
    let csrf = form.as_ref().and_then(|f| f.csrf.as_deref());
    let session = match super::review::writer(&state, &headers, csrf) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let text = form.as_ref().and_then(|f| f.text.as_deref()).unwrap_or("");
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    match state.store.add_bow(today, text).await {
        Ok(_) => Redirect::to("/digest").into_response(),
        Err(debrief_store::StoreError::Invalid(e)) => {
            error_page(StatusCode::BAD_REQUEST, &e.message, Some(&session))
        }
        Err(e) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            &e.to_string(),
            Some(&session),
        ),
    }
}
