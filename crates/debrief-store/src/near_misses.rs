//! Confidential near-miss reports: what happened or nearly did, what made it possible, what
//! stopped it; the day it was reported and nothing else about who or where.

use debrief_core::InvalidValue;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store, StoreError};

/// One report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NearMiss {
    pub id: i64,
    pub reported_on: Date,
    pub what: String,
    pub made_possible: String,
    pub stopped_it: String,
}

/// A near-miss report found by a search.
#[derive(Debug, Clone, Serialize)]
pub struct NearMissHit {
    pub id: i64,
    pub reported_on: Date,
    /// What happened or nearly did, on one line.
    pub what: String,
    pub score: f64,
    pub snippets: Vec<debrief_search::Snippet>,
}

/// Reports ranked for `query` in memory (with experiments' ranker), inside the caller's
/// transaction: what happened (as a title), what made it possible, what stopped it.
pub(crate) async fn search(
    conn: &mut sqlx::AnyConnection,
    query: &debrief_search::Query,
    limit: usize,
) -> Result<Vec<NearMissHit>> {
    use debrief_search::Field;
    let rows = sqlx::query("SELECT * FROM near_misses ORDER BY id DESC")
        .fetch_all(&mut *conn)
        .await?;
    let all: Vec<NearMiss> = rows.iter().map(from_row).collect::<Result<_>>()?;
    let docs: Vec<Vec<(Field, String)>> = all
        .iter()
        .map(|n| {
            vec![
                (Field::Title, n.what.clone()),
                (Field::Factors, n.made_possible.clone()),
                (Field::Lessons, n.stopped_it.clone()),
            ]
        })
        .collect();
    Ok(crate::experiments::rank_in_memory(&docs, query, limit)
        .into_iter()
        .filter_map(|(doc, score, snippets)| {
            let n = all.get(doc)?;
            Some(NearMissHit {
                id: n.id,
                reported_on: n.reported_on,
                what: debrief_core::text::one_line(&n.what, 200),
                score,
                snippets,
            })
        })
        .collect())
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<NearMiss> {
    let day: String = r.try_get("reported_on")?;
    Ok(NearMiss {
        id: r.try_get("id")?,
        reported_on: day.parse().map_err(|e| StoreError::Corrupt {
            table: "near_misses",
            message: format!("reported_on: {e}"),
        })?,
        what: r.try_get("what")?,
        made_possible: r.try_get("made_possible")?,
        stopped_it: r.try_get("stopped_it")?,
    })
}

/// The longest a part of a report may be.
const MAX_CHARS: usize = 10_000;

impl Store {
    /// Stores a report made on `today`; returns its number.
    pub async fn report_near_miss(
        &self,
        today: Date,
        what: &str,
        made_possible: &str,
        stopped_it: &str,
    ) -> Result<i64> {
        let (what, made_possible, stopped_it) =
            (what.trim(), made_possible.trim(), stopped_it.trim());
        if what.is_empty() {
            return Err(InvalidValue::new("say what happened, or nearly happened").into());
        }
        for (name, text) in [
            ("what happened", what),
            ("what made it possible", made_possible),
            ("what stopped it", stopped_it),
        ] {
            if text.chars().count() > MAX_CHARS {
                return Err(InvalidValue::new(format!(
                    "{name} is longer than {MAX_CHARS} characters"
                ))
                .into());
            }
        }
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM near_misses")
            .fetch_one(&mut *tx)
            .await?
            .try_get("next")?;
        sqlx::query(
            "INSERT INTO near_misses (id, reported_on, what, made_possible, stopped_it) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(today.to_string())
        .bind(what)
        .bind(made_possible)
        .bind(stopped_it)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every report, newest first.
    pub async fn near_misses(&self) -> Result<Vec<NearMiss>> {
        let mut tx = self.begin_read().await?;
        let rows = sqlx::query("SELECT * FROM near_misses ORDER BY id DESC")
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter().map(from_row).collect()
    }

    /// Turns report `id` into an incident marked as a near miss (resolved: nothing broke),
    /// its text as the summary, on the day it was reported. A report becomes one incident.
    pub async fn promote_near_miss(
        &self,
        id: i64,
        severity: debrief_core::Severity,
    ) -> Result<debrief_core::IncidentId> {
        let report = self
            .near_misses()
            .await?
            .into_iter()
            .find(|n| n.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("near-miss report {id}")))?;
        let mut tx = self.begin_write().await?;
        let done: Option<i64> = sqlx::query_scalar(
            "SELECT incident_id FROM near_miss_incidents WHERE near_miss_id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(i) = done {
            return Err(StoreError::Conflict(format!(
                "near-miss report {id} is {} already",
                debrief_core::IncidentId(i)
            )));
        }
        let mut i =
            debrief_core::Incident::new(debrief_core::text::one_line(&report.what, 120), severity);
        i.near_miss = true;
        i.status = debrief_core::Status::Resolved;
        let day = report
            .reported_on
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map_err(|e| InvalidValue::new(e.to_string()))?
            .timestamp();
        i.started = Some(day);
        i.resolved = Some(day);
        let mut summary = report.what.clone();
        if !report.made_possible.is_empty() {
            summary.push_str(&format!(
                "\n\nWhat made it possible: {}",
                report.made_possible
            ));
        }
        if !report.stopped_it.is_empty() {
            summary.push_str(&format!("\n\nWhat stopped it: {}", report.stopped_it));
        }
        i.summary = summary;
        i.notes = format!(
            "From confidential near-miss report {id} of {}.",
            report.reported_on
        );
        i.normalize();
        i.validate()?;
        let incident = crate::incidents::write_incident(&mut tx, &mut i).await?;
        sqlx::query("INSERT INTO near_miss_incidents (near_miss_id, incident_id) VALUES ($1, $2)")
            .bind(id)
            .bind(incident.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// Puts report `id` on the agenda of the next digest's "failure bows" slot.
    pub async fn near_miss_to_bows(&self, id: i64, today: Date) -> Result<i64> {
        let report = self
            .near_misses()
            .await?
            .into_iter()
            .find(|n| n.id == id)
            .ok_or_else(|| StoreError::NotFound(format!("near-miss report {id}")))?;
        let mut text = format!("Near miss (report {id}): {}", report.what);
        if !report.stopped_it.is_empty() {
            text.push_str(&format!(" What stopped it: {}", report.stopped_it));
        }
        self.add_bow(today, &debrief_core::text::one_line(&text, 1900))
            .await
    }
}
