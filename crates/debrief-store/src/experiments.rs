//! Experiments: the whole record as JSON (`doc`, the domain value as serde writes it), with the
//! columns lists and windows need beside it (migration 13). Written whole, like incidents:
//! read, change, normalize, validate, write, in one transaction.
//!
//! Search finds experiments too (`Store::search` adds them to its results): they are few
//! next to incidents, so they are ranked in memory with the same analyzer and BM25, over
//! their own statistics, and shown apart from incidents rather than mixed into one list
//! whose scores would not compare.

use std::collections::HashMap;

use debrief_core::{Experiment, ExperimentId, ExperimentOutcome, ExperimentStatus, InvalidValue};
use debrief_search::{Analyzer, Field, Posting, Query, Snippet, Stats};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::{Result, Store, StoreError};

/// An experiment found by a search.
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentHit {
    pub id: ExperimentId,
    pub title: String,
    pub kind: debrief_core::ExperimentKind,
    pub status: ExperimentStatus,
    pub outcome: Option<ExperimentOutcome>,
    pub started: Option<Timestamp>,
    pub score: f64,
    pub snippets: Vec<Snippet>,
}

impl ExperimentHit {
    /// What a snippet's field is called in an experiment.
    pub fn field_name(field: Field) -> &'static str {
        match field {
            Field::Title => "title",
            Field::Summary => "hypothesis",
            Field::Lessons => "learnings",
            _ => "plan",
        }
    }
}

fn corrupt(message: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table: "experiments",
        message: message.to_string(),
    }
}

/// The searchable text of an experiment, by field (the incident fields they play the part of).
fn fields(e: &Experiment) -> Vec<(Field, String)> {
    vec![
        (Field::Title, e.title.clone()),
        (Field::Summary, e.hypothesis.clone()),
        (
            Field::Lessons,
            format!("{}\n{}", e.learnings, e.abort_reason),
        ),
        (
            Field::Notes,
            format!(
                "{}\n{}\n{}\n{}\n{}",
                e.blast_radius,
                e.guardrails.join("\n"),
                e.abort_criteria,
                e.rollback_plan,
                e.services.join(" ")
            ),
        ),
    ]
}

async fn read_doc(conn: &mut AnyConnection, id: ExperimentId) -> Result<Experiment> {
    let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM experiments WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    let doc = doc.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
    let mut e: Experiment =
        serde_json::from_str(&doc).map_err(|e| corrupt(format!("{id}: {e}")))?;
    e.id = Some(id);
    Ok(e)
}

/// Checks what it links to exists, then writes it whole; gives it a number if new.
async fn write(conn: &mut AnyConnection, e: &mut Experiment) -> Result<ExperimentId> {
    e.normalize();
    e.validate()?;
    for i in e.caused.iter().chain(&e.prevented) {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM incidents WHERE id = $1")
            .bind(i.0)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound(format!("incident {i}")));
        }
    }
    for a in &e.actions {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM action_items WHERE id = $1")
            .bind(a.0)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound(format!("action item {a}")));
        }
    }
    let id = match e.id {
        Some(id) => id,
        None => ExperimentId(
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM experiments")
                .fetch_one(&mut *conn)
                .await?,
        ),
    };
    e.id = Some(id);
    let doc = serde_json::to_string(&*e).map_err(corrupt)?;
    let time = |t: Option<Timestamp>| t.map(debrief_core::time::format_time);
    sqlx::query(
        "INSERT INTO experiments (id, title, kind, status, outcome, started_at, ended_at, doc)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, kind = excluded.kind,
             status = excluded.status, outcome = excluded.outcome,
             started_at = excluded.started_at, ended_at = excluded.ended_at, doc = excluded.doc",
    )
    .bind(id.0)
    .bind(&e.title)
    .bind(e.kind.as_str())
    .bind(e.status.as_str())
    .bind(e.outcome.map(|o| o.as_str()))
    .bind(time(e.started))
    .bind(time(e.ended))
    .bind(doc)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Ranks a few documents (each its text by field) for `query` in memory, with the search's
/// analyzer and BM25 over their own statistics: the best `limit` as (index, score, up to two
/// snippets outside the title).
pub(crate) fn rank_in_memory(
    docs: &[Vec<(Field, String)>],
    query: &Query,
    limit: usize,
) -> Vec<(usize, f64, Vec<Snippet>)> {
    if docs.is_empty() {
        return Vec::new();
    }
    let analyzer = Analyzer::default();
    let mut postings: HashMap<String, Vec<Posting>> = HashMap::new();
    let mut lengths: HashMap<Field, (f64, f64)> = HashMap::new();
    for (doc, fields) in docs.iter().enumerate() {
        for (field, text) in fields {
            let indexed = analyzer.index(*field, text);
            let l = lengths.entry(*field).or_default();
            l.0 += f64::from(indexed.length);
            l.1 += 1.0;
            for (term, positions) in indexed.terms {
                postings.entry(term).or_default().push(Posting {
                    doc: doc as i64,
                    field: *field,
                    field_len: indexed.length,
                    positions,
                });
            }
        }
    }
    let mut expansions: HashMap<String, Vec<String>> = HashMap::new();
    for p in query.prefixes() {
        let mut terms: Vec<String> = postings
            .keys()
            .filter(|t| t.starts_with(&p))
            .cloned()
            .collect();
        terms.sort();
        expansions.insert(p, terms);
    }
    let stats = Stats {
        docs: docs.len() as u64,
        avg_len: lengths
            .into_iter()
            .map(|(f, (total, n))| (f, total / n.max(1.0)))
            .collect(),
        df: HashMap::new(),
    };
    debrief_search::rank(query, &postings, &expansions, &stats)
        .into_iter()
        .take(limit)
        .filter_map(|(doc, score)| {
            let doc = usize::try_from(doc).ok()?;
            let snippets = docs
                .get(doc)?
                .iter()
                .filter(|(f, _)| *f != Field::Title)
                .filter_map(|(f, text)| analyzer.snippet(*f, text, query, 30))
                .take(2)
                .collect();
            Some((doc, score, snippets))
        })
        .collect()
}

/// Every experiment, the most recent first, inside the caller's transaction.
async fn all_experiments(conn: &mut AnyConnection) -> Result<Vec<Experiment>> {
    let rows = sqlx::query(
        "SELECT id, doc FROM experiments ORDER BY COALESCE(started_at, '9999') DESC, id DESC",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let id = ExperimentId(r.try_get("id")?);
            let doc: String = r.try_get("doc")?;
            let mut e: Experiment =
                serde_json::from_str(&doc).map_err(|err| corrupt(format!("{id}: {err}")))?;
            e.id = Some(id);
            Ok(e)
        })
        .collect()
}

impl Store {
    /// Stores a new experiment (or one with a number, as an import does); returns its number.
    pub async fn create_experiment(&self, e: &Experiment) -> Result<ExperimentId> {
        let mut e = e.clone();
        let mut tx = self.begin_write().await?;
        if let Some(id) = e.id {
            let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM experiments WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict(format!("{id} exists already")));
            }
        }
        let id = write(&mut tx, &mut e).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn get_experiment(&self, id: ExperimentId) -> Result<Experiment> {
        let mut tx = self.begin_read().await?;
        let e = read_doc(&mut tx, id).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Reads, changes, checks and writes an experiment in one transaction.
    pub async fn update_experiment<F>(&self, id: ExperimentId, change: F) -> Result<Experiment>
    where
        F: FnOnce(&mut Experiment) -> std::result::Result<(), InvalidValue>,
    {
        let mut tx = self.begin_write().await?;
        let mut e = read_doc(&mut tx, id).await?;
        change(&mut e)?;
        e.id = Some(id);
        write(&mut tx, &mut e).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Stores experiments read from an export, each under its number: new ones created,
    /// changed ones replaced, equal ones left. One transaction: a bad one writes nothing.
    /// Returns (created, updated, unchanged).
    pub async fn import_experiments(
        &self,
        experiments: &[Experiment],
    ) -> Result<(usize, usize, usize)> {
        let mut tx = self.begin_write().await?;
        let (mut created, mut updated, mut unchanged) = (0, 0, 0);
        for e in experiments {
            let mut e = e.clone();
            let Some(id) = e.id else {
                write(&mut tx, &mut e).await?;
                created += 1;
                continue;
            };
            match read_doc(&mut tx, id).await {
                Ok(mut stored) => {
                    e.normalize();
                    stored.normalize();
                    if stored == e {
                        unchanged += 1;
                        continue;
                    }
                    write(&mut tx, &mut e).await?;
                    updated += 1;
                }
                Err(StoreError::NotFound(_)) => {
                    write(&mut tx, &mut e).await?;
                    created += 1;
                }
                Err(err) => return Err(err),
            }
        }
        tx.commit().await?;
        Ok((created, updated, unchanged))
    }

    /// Every experiment, the most recent first (by start, then number).
    pub async fn experiments(&self) -> Result<Vec<Experiment>> {
        let mut tx = self.begin_read().await?;
        let all = all_experiments(&mut tx).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// Records a concluded run (as read from a Chaos Toolkit journal): it concludes the
    /// experiment of the same title not concluded yet, adding the run's learnings to its own,
    /// or is stored as a new experiment. Returns its number.
    pub async fn record_run(&self, run: &Experiment) -> Result<ExperimentId> {
        let mut tx = self.begin_write().await?;
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(id) FROM experiments WHERE title = $1 AND status <> 'concluded'",
        )
        .bind(&run.title)
        .fetch_one(&mut *tx)
        .await?;
        let mut e = match open {
            Some(id) => {
                let mut e = read_doc(&mut tx, ExperimentId(id)).await?;
                e.status = run.status;
                e.outcome = run.outcome;
                e.started = run.started.or(e.started);
                e.ended = run.ended;
                e.abort_reason = run.abort_reason.clone();
                e.learnings = if e.learnings.is_empty() {
                    run.learnings.clone()
                } else {
                    format!("{}\n\n{}", e.learnings, run.learnings)
                };
                e.journal = run.journal.clone();
                e
            }
            None => {
                let mut e = run.clone();
                e.id = None;
                e
            }
        };
        let id = write(&mut tx, &mut e).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Experiments ranked for `query`: in memory, with the search's analyzer and BM25.
    pub(crate) async fn search_experiments(
        conn: &mut AnyConnection,
        query: &Query,
        since: Option<Timestamp>,
        services: &[String],
        limit: usize,
    ) -> Result<Vec<ExperimentHit>> {
        let all: Vec<Experiment> = all_experiments(conn)
            .await?
            .into_iter()
            .filter(|e| since.is_none_or(|s| e.started.is_some_and(|t| t >= s)))
            .filter(|e| services.is_empty() || e.services.iter().any(|s| services.contains(s)))
            .collect();
        let docs: Vec<Vec<(Field, String)>> = all.iter().map(fields).collect();
        Ok(rank_in_memory(&docs, query, limit)
            .into_iter()
            .filter_map(|(doc, score, snippets)| {
                let e = all.get(doc)?;
                Some(ExperimentHit {
                    id: e.id?,
                    title: e.title.clone(),
                    kind: e.kind,
                    status: e.status,
                    outcome: e.outcome,
                    started: e.started,
                    score,
                    snippets,
                })
            })
            .collect())
    }

    /// Experiments that started, and that ended, in a window: (started, concluded).
    pub(crate) async fn experiments_between(
        &self,
        from: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> Result<(Vec<Experiment>, Vec<Experiment>)> {
        let inside = |t: Option<Timestamp>| {
            t.is_some_and(|t| from.is_none_or(|f| t >= f) && until.is_none_or(|u| t <= u))
        };
        let all = self.experiments().await?;
        let started = all.iter().filter(|e| inside(e.started)).cloned().collect();
        let concluded = all
            .into_iter()
            .filter(|e| e.status == ExperimentStatus::Concluded && inside(e.ended))
            .collect();
        Ok((started, concluded))
    }
}
