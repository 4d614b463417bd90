//! Pre-mortems (migration 14): the whole record as JSON, written whole after its links to
//! incidents are checked.

use debrief_core::{InvalidValue, Premortem, PremortemId};
use debrief_search::{Field, Query, Snippet};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::{Result, Store, StoreError};

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
    conn: &mut AnyConnection,
    query: &Query,
    limit: usize,
) -> Result<Vec<PremortemHit>> {
    let all = all_premortems(conn).await?;
    let docs: Vec<Vec<(Field, String)>> = all.iter().map(fields).collect();
    Ok(crate::experiments::rank_in_memory(&docs, query, limit)
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

async fn all_premortems(conn: &mut AnyConnection) -> Result<Vec<Premortem>> {
    let rows = sqlx::query(
        "SELECT id, doc FROM premortems ORDER BY COALESCE(launch, '9999') DESC, id DESC",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let id = PremortemId(r.try_get("id")?);
            let doc: String = r.try_get("doc")?;
            let mut p: Premortem =
                serde_json::from_str(&doc).map_err(|e| corrupt(format!("{id}: {e}")))?;
            p.id = Some(id);
            Ok(p)
        })
        .collect()
}

fn corrupt(message: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table: "premortems",
        message: message.to_string(),
    }
}

async fn read_doc(conn: &mut AnyConnection, id: PremortemId) -> Result<Premortem> {
    let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM premortems WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    let doc = doc.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
    let mut p: Premortem = serde_json::from_str(&doc).map_err(|e| corrupt(format!("{id}: {e}")))?;
    p.id = Some(id);
    Ok(p)
}

async fn write(conn: &mut AnyConnection, p: &mut Premortem) -> Result<PremortemId> {
    p.normalize();
    p.validate()?;
    for (i, _) in &p.incidents {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM incidents WHERE id = $1")
            .bind(i.0)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound(format!("incident {i}")));
        }
    }
    let id = match p.id {
        Some(id) => id,
        None => PremortemId(
            sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM premortems")
                .fetch_one(&mut *conn)
                .await?,
        ),
    };
    p.id = Some(id);
    let doc = serde_json::to_string(&*p).map_err(corrupt)?;
    sqlx::query(
        "INSERT INTO premortems (id, title, launch, doc) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, launch = excluded.launch,
             doc = excluded.doc",
    )
    .bind(id.0)
    .bind(&p.title)
    .bind(p.launch.map(|d| d.to_string()))
    .bind(doc)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

impl Store {
    pub async fn create_premortem(&self, p: &Premortem) -> Result<PremortemId> {
        let mut p = p.clone();
        p.id = None;
        let mut tx = self.begin_write().await?;
        let id = write(&mut tx, &mut p).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn get_premortem(&self, id: PremortemId) -> Result<Premortem> {
        let mut tx = self.begin_read().await?;
        let p = read_doc(&mut tx, id).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Reads, changes, checks and writes a pre-mortem in one transaction.
    pub async fn update_premortem<F>(&self, id: PremortemId, change: F) -> Result<Premortem>
    where
        F: FnOnce(&mut Premortem) -> std::result::Result<(), InvalidValue>,
    {
        let mut tx = self.begin_write().await?;
        let mut p = read_doc(&mut tx, id).await?;
        change(&mut p)?;
        p.id = Some(id);
        write(&mut tx, &mut p).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Stores pre-mortems read from an export under their numbers (one transaction).
    /// Returns (created, updated, unchanged).
    pub async fn import_premortems(&self, all: &[Premortem]) -> Result<(usize, usize, usize)> {
        let mut tx = self.begin_write().await?;
        let (mut created, mut updated, mut unchanged) = (0, 0, 0);
        for p in all {
            let mut p = p.clone();
            p.normalize();
            let Some(id) = p.id else {
                write(&mut tx, &mut p).await?;
                created += 1;
                continue;
            };
            match read_doc(&mut tx, id).await {
                Ok(stored) if stored == p => unchanged += 1,
                Ok(_) => {
                    write(&mut tx, &mut p).await?;
                    updated += 1;
                }
                Err(StoreError::NotFound(_)) => {
                    write(&mut tx, &mut p).await?;
                    created += 1;
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok((created, updated, unchanged))
    }

    /// Every pre-mortem, the latest launch first.
    pub async fn premortems(&self) -> Result<Vec<Premortem>> {
        let mut tx = self.begin_read().await?;
        let all = all_premortems(&mut tx).await?;
        tx.commit().await?;
        Ok(all)
    }
}
