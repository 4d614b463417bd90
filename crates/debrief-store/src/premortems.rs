//! Pre-mortems: kept whole as JSON documents (`documents.rs`, migration 14) with their title
//! and launch day beside them.

use debrief_core::{InvalidValue, Premortem, PremortemId};
use debrief_search::{Field, Query, Snippet};
use serde::Serialize;
use sqlx::AnyConnection;

use crate::documents::{self, Document};
use crate::{Result, Store};

/// A pre-mortem found by a search.
#[derive(Debug, Clone, Serialize)]
pub struct PremortemHit {
    pub id: PremortemId,
    pub title: String,
    pub launch: Option<jiff::civil::Date>,
    pub foresight: debrief_core::Foresight,
    pub score: f64,
    pub snippets: Vec<Snippet>,
}

impl PremortemHit {
    /// What a snippet's field is called in a pre-mortem.
    pub fn field_name(field: Field) -> &'static str {
        match field {
            Field::Title => "title",
            Field::Summary => "risks",
            _ => "mitigations",
        }
    }
}

/// The searchable text of a pre-mortem: its title, its risks, their mitigations.
fn fields(p: &Premortem) -> Vec<(Field, String)> {
    vec![
        (Field::Title, p.title.clone()),
        (
            Field::Summary,
            p.risks
                .iter()
                .map(|r| r.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (
            Field::Actions,
            p.risks
                .iter()
                .map(|r| r.mitigation.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ]
}

/// Pre-mortems ranked for `query` in memory (they are few), inside the caller's transaction.
pub(crate) async fn search(
    mem: &crate::mem_index::MemIndexes,
    revisions: &crate::mem_index::Revisions,
    conn: &mut AnyConnection,
    query: &Query,
    limit: usize,
) -> Result<Vec<PremortemHit>> {
    let kept = mem
        .records(
            conn,
            revisions,
            "premortems",
            documents::all::<Premortem>,
            fields,
        )
        .await?;
    let all = &kept.records;
    Ok(kept
        .rank(query, limit)
        .into_iter()
        .filter_map(|(doc, score, snippets)| {
            let p = all.get(doc)?;
            Some(PremortemHit {
                id: p.id?,
                title: p.title.clone(),
                launch: p.launch,
                foresight: p.foresight(),
                score,
                snippets,
            })
        })
        .collect())
}

impl Document for Premortem {
    type Id = PremortemId;
    const TABLE: &'static str = "premortems";
    const ORDER: &'static str = "COALESCE(launch, '9999') DESC, id DESC";
    fn id(&self) -> Option<PremortemId> {
        self.id
    }
    fn set_id(&mut self, id: PremortemId) {
        self.id = Some(id);
    }
    fn number(id: PremortemId) -> i64 {
        id.0
    }
    fn from_number(n: i64) -> PremortemId {
        PremortemId(n)
    }
    fn normalize(&mut self) {
        Premortem::normalize(self);
    }
    fn validate(&self) -> std::result::Result<(), InvalidValue> {
        Premortem::validate(self)
    }
    fn links(&self) -> (Vec<debrief_core::IncidentId>, Vec<debrief_core::ActionId>) {
        (self.incidents.iter().map(|(i, _)| *i).collect(), Vec::new())
    }
    fn columns(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("title", Some(self.title.clone())),
            ("launch", self.launch.map(|d| d.to_string())),
        ]
    }
}

impl Store {
    /// Starts a pre-mortem; returns its number.
    pub async fn create_premortem(&self, p: &Premortem) -> Result<PremortemId> {
        let mut p = p.clone();
        p.id = None;
        self.create_document(&p).await
    }

    pub async fn get_premortem(&self, id: PremortemId) -> Result<Premortem> {
        self.get_document(id).await
    }

    /// Reads, changes, checks and writes a pre-mortem in one transaction.
    pub async fn update_premortem<F>(&self, id: PremortemId, change: F) -> Result<Premortem>
    where
        F: FnOnce(&mut Premortem) -> std::result::Result<(), InvalidValue>,
    {
        self.update_document(id, change).await
    }

    /// Stores pre-mortems read from an export under their numbers (one transaction).
    /// Returns (created, updated, unchanged).
    pub async fn import_premortems(&self, all: &[Premortem]) -> Result<(usize, usize, usize)> {
        self.import_documents(all).await
    }

    /// Every pre-mortem, the latest launch first.
    pub async fn premortems(&self) -> Result<Vec<Premortem>> {
        self.all_documents().await
    }
}
