//! Records kept whole as JSON documents (experiments, pre-mortems, retros): the domain value in a
//! `doc` column, with the columns lists and windows need beside it. Written whole, like
//! incidents: read, change, normalize, validate, check what it links to, write — in one
//! transaction. One implementation for every such record; each says what differs.

use debrief_core::{ActionId, IncidentId, InvalidValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{AnyConnection, Row};

use crate::{Result, Store, StoreError};

/// A record kept as a JSON document.
pub(crate) trait Document: Serialize + DeserializeOwned + Clone + PartialEq {
    type Id: Copy + std::fmt::Display;
    /// Its table: `id`, `doc`, and [`Document::columns`].
    const TABLE: &'static str;
    /// How lists are ordered (an `ORDER BY` clause's terms).
    const ORDER: &'static str;
    fn id(&self) -> Option<Self::Id>;
    fn set_id(&mut self, id: Self::Id);
    fn number(id: Self::Id) -> i64;
    fn from_number(n: i64) -> Self::Id;
    fn normalize(&mut self);
    fn validate(&self) -> std::result::Result<(), InvalidValue>;
    /// Incidents and action items it links to, which must exist.
    fn links(&self) -> (Vec<IncidentId>, Vec<ActionId>);
    /// The columns beside the document, by name, as text (or NULL).
    fn columns(&self) -> Vec<(&'static str, Option<String>)>;
    /// The text of the `doc` column: by default the whole record. A record with parts kept
    /// in tables of their own leaves them out, and its reader puts them back.
    fn doc(&self) -> serde_json::Result<String> {
        serde_json::to_string(self)
    }
}

fn corrupt<D: Document>(message: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table: D::TABLE,
        message: message.to_string(),
    }
}

fn parse<D: Document>(id: i64, doc: &str) -> Result<D> {
    let mut d: D = serde_json::from_str(doc)
        .map_err(|e| corrupt::<D>(format!("{}: {e}", D::from_number(id))))?;
    d.set_id(D::from_number(id));
    Ok(d)
}

pub(crate) async fn read<D: Document>(conn: &mut AnyConnection, id: D::Id) -> Result<D> {
    let doc: Option<String> =
        sqlx::query_scalar(&format!("SELECT doc FROM {} WHERE id = $1", D::TABLE))
            .bind(D::number(id))
            .fetch_optional(&mut *conn)
            .await?;
    let doc = doc.ok_or_else(|| StoreError::NotFound(id.to_string()))?;
    parse(D::number(id), &doc)
}

/// Every record, in [`Document::ORDER`].
pub(crate) async fn all<D: Document>(conn: &mut AnyConnection) -> Result<Vec<D>> {
    let rows = sqlx::query(&format!(
        "SELECT id, doc FROM {} ORDER BY {}",
        D::TABLE,
        D::ORDER
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| parse(r.try_get("id")?, &r.try_get::<String, _>("doc")?))
        .collect()
}

/// Checks and writes `d` whole; gives it a number if it has none.
pub(crate) async fn write<D: Document>(conn: &mut AnyConnection, d: &mut D) -> Result<D::Id> {
    d.normalize();
    d.validate()?;
    let (incidents, actions) = d.links();
    for i in incidents {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM incidents WHERE id = $1")
            .bind(i.0)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound(format!("incident {i}")));
        }
    }
    for a in actions {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM action_items WHERE id = $1")
            .bind(a.0)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Err(StoreError::NotFound(format!("action item {a}")));
        }
    }
    let id = match d.id() {
        Some(id) => id,
        None => D::from_number(
            sqlx::query_scalar(&format!(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM {}",
                D::TABLE
            ))
            .fetch_one(&mut *conn)
            .await?,
        ),
    };
    d.set_id(id);
    let doc = d.doc().map_err(corrupt::<D>)?;
    let columns = d.columns();
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let places: Vec<String> = (3..3 + columns.len()).map(|n| format!("${n}")).collect();
    let updates: Vec<String> = names
        .iter()
        .chain(&["doc"])
        .map(|n| format!("{n} = excluded.{n}"))
        .collect();
    let sql = format!(
        "INSERT INTO {} (id, doc, {}) VALUES ($1, $2, {}) ON CONFLICT (id) DO UPDATE SET {}",
        D::TABLE,
        names.join(", "),
        places.join(", "),
        updates.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(D::number(id)).bind(doc);
    for (_, value) in columns {
        q = q.bind(value);
    }
    q.execute(&mut *conn).await?;
    crate::mem_index::bump(conn, D::TABLE).await?;
    Ok(id)
}

impl Store {
    /// Stores a new record (or one with a number not taken); returns its number.
    pub(crate) async fn create_document<D: Document>(&self, d: &D) -> Result<D::Id> {
        let mut d = d.clone();
        let mut tx = self.begin_write().await?;
        if let Some(id) = d.id() {
            let taken: Option<i64> =
                sqlx::query_scalar(&format!("SELECT id FROM {} WHERE id = $1", D::TABLE))
                    .bind(D::number(id))
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(StoreError::Conflict(format!("{id} exists already")));
            }
        }
        let id = write(&mut tx, &mut d).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub(crate) async fn get_document<D: Document>(&self, id: D::Id) -> Result<D> {
        let mut tx = self.begin_read().await?;
        let d = read(&mut tx, id).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Reads, changes, checks and writes a record in one transaction.
    pub(crate) async fn update_document<D, F>(&self, id: D::Id, change: F) -> Result<D>
    where
        D: Document,
        F: FnOnce(&mut D) -> std::result::Result<(), InvalidValue>,
    {
        let mut tx = self.begin_write().await?;
        let mut d: D = read(&mut tx, id).await?;
        change(&mut d)?;
        d.set_id(id);
        write(&mut tx, &mut d).await?;
        tx.commit().await?;
        Ok(d)
    }

    pub(crate) async fn all_documents<D: Document>(&self) -> Result<Vec<D>> {
        let mut tx = self.begin_read().await?;
        let all = all(&mut tx).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// Stores records read from an export, each under its number: new ones created, changed
    /// ones replaced, equal ones left. One transaction: a bad one writes nothing. Returns
    /// (created, updated, unchanged).
    pub(crate) async fn import_documents<D: Document>(
        &self,
        docs: &[D],
    ) -> Result<(usize, usize, usize)> {
        let mut tx = self.begin_write().await?;
        let (mut created, mut updated, mut unchanged) = (0, 0, 0);
        for d in docs {
            let mut d = d.clone();
            d.normalize();
            let Some(id) = d.id() else {
                write(&mut tx, &mut d).await?;
                created += 1;
                continue;
            };
            match read::<D>(&mut tx, id).await {
                Ok(stored) if stored == d => unchanged += 1,
                Ok(_) => {
                    write(&mut tx, &mut d).await?;
                    updated += 1;
                }
                Err(StoreError::NotFound(_)) => {
                    write(&mut tx, &mut d).await?;
                    created += 1;
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok((created, updated, unchanged))
    }
}
