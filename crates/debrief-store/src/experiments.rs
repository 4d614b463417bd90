//! Experiments: kept whole as JSON documents (`documents.rs`, migration 13) with their title,
//! kind, status, outcome and times beside them.
//!
//! Search finds experiments too (`Store::search` adds them to its results): they are few
//! next to incidents, so they are ranked in memory (`mem_index.rs`) with the same analyzer
//! and BM25, over their own statistics, and shown apart from incidents rather than mixed
//! into one list whose scores would not compare.

use debrief_core::{
    ActionId, Experiment, ExperimentId, ExperimentOutcome, ExperimentStatus, IncidentId,
    InvalidValue,
};
use debrief_search::{Field, Query, Snippet};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::AnyConnection;

use crate::documents::{self, Document};
use crate::{Result, Store};

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

impl Document for Experiment {
    type Id = ExperimentId;
    const TABLE: &'static str = "experiments";
    const ORDER: &'static str = "COALESCE(started_at, '9999') DESC, id DESC";
    fn id(&self) -> Option<ExperimentId> {
        self.id
    }
    fn set_id(&mut self, id: ExperimentId) {
        self.id = Some(id);
    }
    fn number(id: ExperimentId) -> i64 {
        id.0
    }
    fn from_number(n: i64) -> ExperimentId {
        ExperimentId(n)
    }
    fn normalize(&mut self) {
        Experiment::normalize(self);
    }
    fn validate(&self) -> std::result::Result<(), InvalidValue> {
        Experiment::validate(self)
    }
    fn links(&self) -> (Vec<IncidentId>, Vec<ActionId>) {
        (
            self.caused.iter().chain(&self.prevented).copied().collect(),
            self.actions.clone(),
        )
    }
    fn columns(&self) -> Vec<(&'static str, Option<String>)> {
        let time = |t: Option<Timestamp>| t.map(debrief_core::time::format_time);
        vec![
            ("title", Some(self.title.clone())),
            ("kind", Some(self.kind.as_str().into())),
            ("status", Some(self.status.as_str().into())),
            ("outcome", self.outcome.map(|o| o.as_str().into())),
            ("started_at", time(self.started)),
            ("ended_at", time(self.ended)),
        ]
    }
}

impl Store {
    /// Stores a new experiment (or one with a number not taken); returns its number.
    pub async fn create_experiment(&self, e: &Experiment) -> Result<ExperimentId> {
        self.create_document(e).await
    }

    pub async fn get_experiment(&self, id: ExperimentId) -> Result<Experiment> {
        self.get_document(id).await
    }

    /// Reads, changes, checks and writes an experiment in one transaction.
    pub async fn update_experiment<F>(&self, id: ExperimentId, change: F) -> Result<Experiment>
    where
        F: FnOnce(&mut Experiment) -> std::result::Result<(), InvalidValue>,
    {
        self.update_document(id, change).await
    }

    /// Stores experiments read from an export under their numbers (one transaction).
    /// Returns (created, updated, unchanged).
    pub async fn import_experiments(
        &self,
        experiments: &[Experiment],
    ) -> Result<(usize, usize, usize)> {
        self.import_documents(experiments).await
    }

    /// Every experiment, the most recent first (by start, then number).
    pub async fn experiments(&self) -> Result<Vec<Experiment>> {
        self.all_documents().await
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
                let mut e: Experiment = documents::read(&mut tx, ExperimentId(id)).await?;
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
        let id = documents::write(&mut tx, &mut e).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Experiments ranked for `query`: in memory, with the search's analyzer and BM25.
    pub(crate) async fn search_experiments(
        &self,
        revisions: &crate::mem_index::Revisions,
        conn: &mut AnyConnection,
        query: &Query,
        since: Option<Timestamp>,
        services: &[String],
        limit: usize,
    ) -> Result<Vec<ExperimentHit>> {
        let kept = self
            .mem
            .records(
                conn,
                revisions,
                "experiments",
                documents::all::<Experiment>,
                fields,
            )
            .await?;
        // Ranked among all experiments, then filtered: the kept index serves every query.
        Ok(kept
            .rank(query, kept.records.len())
            .into_iter()
            .filter_map(|(doc, score, snippets)| {
                let e = kept.records.get(doc)?;
                let inside = since.is_none_or(|s| e.started.is_some_and(|t| t >= s))
                    && (services.is_empty() || e.services.iter().any(|s| services.contains(s)));
                inside.then_some(())?;
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
            .take(limit)
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
