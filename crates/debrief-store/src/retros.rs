//! Retrospectives: kept whole as JSON documents (`documents.rs`, migration 15) with their
//! title and days beside them, except their action items: those live in `action_items` with
//! a `retro_id`, so the action board, the digest's overdue list, follow-through and metrics
//! treat them like a review's. Reading a retro puts its items back; writing one writes them.

use std::collections::BTreeMap;

use debrief_core::retro::Choice;
use debrief_core::{ActionId, IncidentId, InvalidValue, Retro, RetroId};
use debrief_search::{Field, Query, Snippet};
use jiff::civil::Date;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::documents::{self, Document};
use crate::incidents::{ActionSource, action_from_row, read_actions, write_actions};
use crate::{Result, Store, StoreError};

impl Document for Retro {
    type Id = RetroId;
    const TABLE: &'static str = "retros";
    const ORDER: &'static str = "held DESC, id DESC";
    fn id(&self) -> Option<RetroId> {
        self.id
    }
    fn set_id(&mut self, id: RetroId) {
        self.id = Some(id);
    }
    fn number(id: RetroId) -> i64 {
        id.0
    }
    fn from_number(n: i64) -> RetroId {
        RetroId(n)
    }
    fn normalize(&mut self) {
        Retro::normalize(self);
    }
    fn validate(&self) -> std::result::Result<(), InvalidValue> {
        Retro::validate(self)
    }
    fn links(&self) -> (Vec<IncidentId>, Vec<ActionId>) {
        (self.incidents.clone(), Vec::new())
    }
    fn columns(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("title", Some(self.title.clone())),
            ("held", Some(self.held.to_string())),
            ("closed", self.closed.map(|d| d.to_string())),
        ]
    }
    /// Without its action items, which are rows of `action_items`.
    fn doc(&self) -> serde_json::Result<String> {
        let mut v = serde_json::to_value(self)?;
        if let Some(o) = v.as_object_mut() {
            o.remove("actions");
        }
        serde_json::to_string(&v)
    }
}

/// A retro with its action items.
pub(crate) async fn read(conn: &mut AnyConnection, id: RetroId) -> Result<Retro> {
    let mut r: Retro = documents::read(conn, id).await.map_err(|e| match e {
        StoreError::NotFound(_) => StoreError::NotFound(format!("retro {id}")),
        e => e,
    })?;
    r.actions = read_actions(conn, ActionSource::Retro(id)).await?;
    Ok(r)
}

/// Checks and writes a retro with its action items; gives numbers to it and to new items.
pub(crate) async fn write(conn: &mut AnyConnection, r: &mut Retro) -> Result<RetroId> {
    let id = documents::write(conn, r).await?;
    write_actions(conn, ActionSource::Retro(id), &mut r.actions).await?;
    Ok(id)
}

/// Every retro with its action items, the latest first.
async fn all(conn: &mut AnyConnection) -> Result<Vec<Retro>> {
    let mut retros: Vec<Retro> = documents::all(conn).await?;
    let mut by_retro: BTreeMap<i64, Vec<debrief_core::ActionItem>> = BTreeMap::new();
    for row in sqlx::query(
        "SELECT * FROM action_items WHERE retro_id IS NOT NULL ORDER BY retro_id, position",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        by_retro
            .entry(row.try_get("retro_id")?)
            .or_default()
            .push(action_from_row(&row)?);
    }
    for r in &mut retros {
        if let Some(id) = r.id {
            r.actions = by_retro.remove(&id.0).unwrap_or_default();
        }
    }
    Ok(retros)
}

/// A retro found by a search.
#[derive(Debug, Clone, Serialize)]
pub struct RetroHit {
    pub id: RetroId,
    pub title: String,
    pub team: Option<String>,
    pub held: Date,
    pub closed: Option<Date>,
    pub items: usize,
    pub actions: usize,
    pub score: f64,
    pub snippets: Vec<Snippet>,
}

impl RetroHit {
    /// What a snippet's field is called in a retro.
    pub fn field_name(field: Field) -> &'static str {
        match field {
            Field::Title => "title",
            Field::Summary => "items",
            _ => "actions",
        }
    }
}

/// The searchable text of a retro: its title and team, its items, its action items.
fn fields(r: &Retro) -> Vec<(Field, String)> {
    vec![
        (
            Field::Title,
            format!("{} {}", r.title, r.team.as_deref().unwrap_or_default()),
        ),
        (
            Field::Summary,
            r.items
                .iter()
                .map(|i| format!("{}: {}", i.kind, i.text))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (
            Field::Actions,
            r.actions
                .iter()
                .map(|a| a.title.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ]
}

/// Retros ranked for `query` in memory (they are few), inside the caller's transaction.
pub(crate) async fn search(
    mem: &crate::mem_index::MemIndexes,
    revisions: &crate::mem_index::Revisions,
    conn: &mut AnyConnection,
    query: &Query,
    limit: usize,
) -> Result<Vec<RetroHit>> {
    let kept = mem.records(conn, revisions, "retros", all, fields).await?;
    Ok(kept
        .rank(query, limit)
        .into_iter()
        .filter_map(|(doc, score, snippets)| {
            let r = kept.records.get(doc)?;
            Some(RetroHit {
                id: r.id?,
                title: r.title.clone(),
                team: r.team.clone(),
                held: r.held,
                closed: r.closed,
                items: r.items.len(),
                actions: r.actions.len(),
                score,
                snippets,
            })
        })
        .collect())
}

impl Store {
    /// Opens a new retro (with no action items: those come from closing it); returns its
    /// number.
    pub async fn create_retro(&self, r: &Retro) -> Result<RetroId> {
        let mut r = r.clone();
        r.id = None;
        if r.closed.is_some() || !r.actions.is_empty() {
            return Err(
                InvalidValue::new("a new retro is open and has no action items yet").into(),
            );
        }
        let mut tx = self.begin_write().await?;
        let id = write(&mut tx, &mut r).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn get_retro(&self, id: RetroId) -> Result<Retro> {
        let mut tx = self.begin_read().await?;
        let r = read(&mut tx, id).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Reads, changes, checks and writes a retro in one transaction (items, votes, links).
    pub async fn update_retro<F>(&self, id: RetroId, change: F) -> Result<Retro>
    where
        F: FnOnce(&mut Retro) -> std::result::Result<(), InvalidValue>,
    {
        let mut tx = self.begin_write().await?;
        let mut r = read(&mut tx, id).await?;
        change(&mut r)?;
        r.id = Some(id);
        write(&mut tx, &mut r).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Closes a retro on `today`: each chosen item becomes an open action item owned by its
    /// team (see [`Retro::close`]), numbered and linked from its item, in one transaction.
    pub async fn close_retro(
        &self,
        id: RetroId,
        choices: &[Choice],
        due: Option<Date>,
        today: Date,
    ) -> Result<Retro> {
        let mut tx = self.begin_write().await?;
        let mut r = read(&mut tx, id).await?;
        let links = r.close(choices, due, today)?;
        write_actions(&mut tx, ActionSource::Retro(id), &mut r.actions).await?;
        for (item, action) in links {
            r.items[item].action = r.actions[action].id;
        }
        write(&mut tx, &mut r).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Every retro with its action items, the latest held first.
    pub async fn retros(&self) -> Result<Vec<Retro>> {
        let mut tx = self.begin_read().await?;
        let out = all(&mut tx).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Stores retros read from an export under their numbers, with their action items: new
    /// ones created, changed ones replaced, equal ones left. One transaction: a bad one writes
    /// nothing. Returns (created, updated, unchanged).
    pub async fn import_retros(&self, retros: &[Retro]) -> Result<(usize, usize, usize)> {
        let mut tx = self.begin_write().await?;
        let (mut created, mut updated, mut unchanged) = (0, 0, 0);
        for r in retros {
            let mut r = r.clone();
            r.normalize();
            let Some(id) = r.id else {
                write(&mut tx, &mut r).await?;
                created += 1;
                continue;
            };
            match read(&mut tx, id).await {
                Ok(stored) if stored == r => unchanged += 1,
                Ok(_) => {
                    write(&mut tx, &mut r).await?;
                    updated += 1;
                }
                Err(StoreError::NotFound(_)) => {
                    write(&mut tx, &mut r).await?;
                    created += 1;
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok((created, updated, unchanged))
    }

    /// Retros held, and retros closed, between two days (inclusive; open ends unbounded).
    pub(crate) async fn retros_between(
        &self,
        from: Option<Date>,
        until: Option<Date>,
    ) -> Result<(Vec<Retro>, Vec<Retro>)> {
        let inside = |d: Option<Date>| {
            d.is_some_and(|d| from.is_none_or(|f| d >= f) && until.is_none_or(|u| d <= u))
        };
        let all = self.retros().await?;
        let held = all
            .iter()
            .filter(|r| inside(Some(r.held)))
            .cloned()
            .collect();
        let closed = all.into_iter().filter(|r| inside(r.closed)).collect();
        Ok((held, closed))
    }
}
