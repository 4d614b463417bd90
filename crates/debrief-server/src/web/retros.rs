//! The retrospectives pages: the list, and one retro with its items by votes and what each
//! became. While a retro is open, a writer adds items, votes, and closes it, choosing the
//! items to act on and the team that owns each.

use std::fmt::Write;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use debrief_core::retro::Choice;
use debrief_core::{RetroId, RetroItemKind, Role};

use super::{Fields, error_page, esc, field, page, to_signin};
use crate::api::Shared;

use super::store_failed as failed;

pub async fn retros_page(State(state_): State<Shared>, headers: HeaderMap) -> Response {
    let Some(session) = state_.sessions.get(&headers) else {
        return to_signin();
    };
    let all = match state_.store.retros().await {
        Ok(a) => a,
        Err(err) => return failed(err, &session),
    };
    let mut b = String::from(
        "<h1>Retrospectives</h1><p class=\"muted\">What to start doing, stop doing and \
         continue; the team votes, and closing the retro turns the chosen items into action \
         items with owners, on the <a href=\"/actions\">action board</a>. \
         <code>debrief retro new</code> opens one.</p>",
    );
    if session.role >= Role::Writer {
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/retros\" class=\"card\" id=\"new-retro\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <p><label>What it looks back on <input name=\"title\" size=\"40\" required \
             placeholder=\"Payments, sprint 42\"></label> \
             <label>Team <input name=\"team\" size=\"16\"></label> \
             <button>Open a retro</button></p></form>",
            esc(&session.csrf)
        );
    }
    if all.is_empty() {
        b.push_str("<p class=\"muted\">No retros yet.</p>");
    } else {
        b.push_str(
            "<table class=\"list\"><thead><tr><th>Id</th><th>Title</th><th>Team</th><th>Held</th>\
             <th>Items</th><th>Action items</th></tr></thead><tbody>",
        );
        for r in &all {
            let id = r.id.map(|i| i.to_string()).unwrap_or_default();
            let _ = write!(
                b,
                "<tr><td><a href=\"/retros/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td></tr>",
                esc(&r.title),
                esc(r.team.as_deref().unwrap_or("")),
                r.held,
                r.items.len(),
                match r.closed {
                    Some(_) => format!("{} ({} open)", r.actions.len(), r.open_actions()),
                    None => "open retro".into(),
                }
            );
        }
        b.push_str("</tbody></table>");
    }
    page("Retrospectives", Some(&session), &b)
}

pub async fn retro_page(
    State(state_): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (session, id, r) =
        match super::record_page(&state_, &headers, &id, "retro", |id: RetroId| {
            state_.store.get_retro(id)
        })
        .await
        {
            Ok(r) => r,
            Err(page) => return *page,
        };
    let writer = session.role >= Role::Writer && r.closed.is_none();
    let csrf = esc(&session.csrf);
    let mut b = format!(
        "<h1>{id} {}</h1><p class=\"muted\">{}held {} · {}</p>",
        esc(&r.title),
        r.team
            .as_deref()
            .map(|t| format!("{} · ", esc(t)))
            .unwrap_or_default(),
        r.held,
        match r.closed {
            Some(d) => format!(
                "closed {d}: {} action item{}, {} open",
                r.actions.len(),
                if r.actions.len() == 1 { "" } else { "s" },
                r.open_actions()
            ),
            None => "open".into(),
        }
    );
    if !r.incidents.is_empty() {
        let links: Vec<String> = r
            .incidents
            .iter()
            .map(|i| format!("<a href=\"/incidents/{i}\">{i}</a>"))
            .collect();
        let _ = write!(b, "<p>Looks back on {}</p>", links.join(", "));
    }
    b.push_str("<h2>Items, most votes first</h2>");
    if r.items.is_empty() {
        b.push_str("<p class=\"muted\">No items yet.</p>");
    } else {
        b.push_str(
            "<table class=\"list\" id=\"items\"><thead><tr><th>#</th><th>Kind</th><th>Item</th>\
             <th>Votes</th><th>Became</th></tr></thead><tbody>",
        );
        for n in r.ranked() {
            let item = &r.items[n - 1];
            let became = r
                .became(n)
                .map(|a| {
                    format!(
                        "{} <span class=\"muted\">{}, owner {}{}</span>",
                        a.id.map(|i| i.to_string()).unwrap_or_default(),
                        a.status,
                        esc(a.owner.as_deref().unwrap_or("none")),
                        a.due.map(|d| format!(", due {d}")).unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            let vote = if writer {
                format!(
                    " <form method=\"post\" action=\"/retros/{id}/vote\" style=\"display:inline\">\
                     <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                     <button name=\"item\" value=\"{n}\" aria-label=\"vote for item {n}\">+1</button></form>"
                )
            } else {
                String::new()
            };
            let _ = write!(
                b,
                "<tr><td>{n}</td><td>{}</td><td>{}</td><td>{}{vote}</td><td>{became}</td></tr>",
                item.kind,
                esc(&item.text),
                item.votes
            );
        }
        b.push_str("</tbody></table>");
    }
    if writer {
        let _ = write!(
            b,
            "<h2>Add an item</h2><form method=\"post\" action=\"/retros/{id}/items\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <p><label>Kind <select name=\"kind\"><option>start</option><option>stop</option>\
             <option>continue</option></select></label> \
             <label>Item <input name=\"text\" size=\"60\" required></label> \
             <button>Add</button></p></form>"
        );
        if !r.items.is_empty() {
            let _ = write!(
                b,
                "<h2>Close the retro</h2><p class=\"muted\">Give a team to each item to act on; \
                 it becomes an action item that team owns. Items without a team stay as they \
                 were said.</p><form method=\"post\" action=\"/retros/{id}/close\" id=\"close\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><ol>"
            );
            for n in r.ranked() {
                let _ = write!(
                    b,
                    "<li value=\"{n}\">{} <label>owned by <input name=\"owner_{n}\" size=\"20\"></label></li>",
                    esc(&r.items[n - 1].text)
                );
            }
            b.push_str(
                "</ol><p><label>Due <input name=\"due\" placeholder=\"YYYY-MM-DD or +30d\" size=\"16\"></label> \
                 <button>Close the retro</button></p></form>",
            );
        }
    }
    page(&r.title, Some(&session), &b)
}

/// Opens a retro, held today, from the list page's form.
pub async fn create(
    State(state_): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (session, fields) = match super::writer_form(&state_, &headers, form) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let today = debrief_core::time::utc_date(jiff::Timestamp::now());
    let team = field(&fields, "team").map(str::to_string);
    let r = debrief_core::Retro::new(field(&fields, "title").unwrap_or_default(), team, today);
    match state_.store.create_retro(&r).await {
        Ok(id) => Redirect::to(&format!("/retros/{id}")).into_response(),
        Err(err) => failed(err, &session),
    }
}

/// Adds an item, votes, or closes the retro; `step` is the last path segment.
pub async fn change(
    State(state_): State<Shared>,
    headers: HeaderMap,
    Path((id, step)): Path<(String, String)>,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (session, fields) = match super::writer_form(&state_, &headers, form) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let Ok(id) = id.parse::<RetroId>() else {
        return error_page(StatusCode::NOT_FOUND, "no such retro", Some(&session));
    };
    let bad = |m: &str| error_page(StatusCode::BAD_REQUEST, m, Some(&session));
    let result = match step.as_str() {
        "items" => {
            let Some(Ok(kind)) = field(&fields, "kind").map(str::parse::<RetroItemKind>) else {
                return bad("choose start, stop or continue");
            };
            let text = field(&fields, "text").unwrap_or_default().to_string();
            state_
                .store
                .update_retro(id, |r| r.add(kind, &text).map(|_| ()))
                .await
        }
        "vote" => {
            let Some(Ok(item)) = field(&fields, "item").map(str::parse::<usize>) else {
                return bad("say which item to vote for");
            };
            state_
                .store
                .update_retro(id, |r| r.vote(item, 1).map(|_| ()))
                .await
        }
        "close" => {
            let today = debrief_core::time::utc_date(jiff::Timestamp::now());
            let due = match super::date_field(&fields, "due", "due") {
                Ok(d) => d,
                Err(m) => return bad(&m),
            };
            let mut choices = Vec::new();
            for (k, v) in &fields {
                let Some(n) = k.strip_prefix("owner_") else {
                    continue;
                };
                if v.trim().is_empty() {
                    continue;
                }
                let Ok(item) = n.parse() else {
                    return bad("the form is incomplete");
                };
                choices.push(Choice {
                    item,
                    owner: v.clone(),
                });
            }
            choices.sort_by_key(|c| c.item);
            state_.store.close_retro(id, &choices, due, today).await
        }
        _ => return error_page(StatusCode::NOT_FOUND, "no such page", Some(&session)),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/retros/{id}")).into_response(),
        Err(err) => failed(err, &session),
    }
}
