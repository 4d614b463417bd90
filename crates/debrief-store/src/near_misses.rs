//! Confidential near-miss reports: what happened or nearly did, what made it possible, what
//! stopped it; the day it was reported and nothing else about who or where.

use debrief_core::InvalidValue;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store, StoreError};

/// One report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NearMiss {
    pub id: i64,
    pub reported_on: Date,
    pub what: String,
    #[serde(default)]
    pub made_possible: String,
    #[serde(default)]
    pub stopped_it: String,
    /// The incident a reviewer turned it into (kept apart from the report's table).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<debrief_core::IncidentId>,
}

impl NearMiss {
    /// Checks a report read from elsewhere (an export): it says what happened, no part is
    /// too long, and it has a number.
    pub fn validate(&self) -> std::result::Result<(), InvalidValue> {
        if self.id < 1 {
            return Err(InvalidValue::new(format!(
                "near-miss report {} has no valid number",
                self.id
            )));
        }
        check(
            self.what.trim(),
            self.made_possible.trim(),
            self.stopped_it.trim(),
        )
        .map_err(|e| InvalidValue::new(format!("near-miss report {}: {}", self.id, e.message)))
    }
}

/// Every report with the incident it became, newest first.
const ALL: &str = "SELECT n.*, l.incident_id FROM near_misses n
     LEFT JOIN near_miss_incidents l ON l.near_miss_id = n.id ORDER BY n.id DESC";

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
    mem: &crate::mem_index::MemIndexes,
    revisions: &crate::mem_index::Revisions,
    conn: &mut sqlx::AnyConnection,
    query: &debrief_search::Query,
    limit: usize,
) -> Result<Vec<NearMissHit>> {
    use debrief_search::Field;
    let kept = mem
        .records(conn, revisions, "near_misses", read_all, |n: &NearMiss| {
            vec![
                (Field::Title, n.what.clone()),
                (Field::Factors, n.made_possible.clone()),
                (Field::Lessons, n.stopped_it.clone()),
            ]
        })
        .await?;
    Ok(kept
        .rank(query, limit)
        .into_iter()
        .filter_map(|(doc, score, snippets)| {
            let n = kept.records.get(doc)?;
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

/// Every report with the incident it became, newest first, in the caller's transaction.
async fn read_all(conn: &mut sqlx::AnyConnection) -> Result<Vec<NearMiss>> {
    let rows = sqlx::query(ALL).fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
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
        incident: r
            .try_get::<Option<i64>, _>("incident_id")?
            .map(debrief_core::IncidentId),
    })
}

/// What a report may say: something happened, and no part too long.
fn check(
    what: &str,
    made_possible: &str,
    stopped_it: &str,
) -> std::result::Result<(), InvalidValue> {
    if what.is_empty() {
        return Err(InvalidValue::new("say what happened, or nearly happened"));
    }
    for (name, text) in [
        ("what happened", what),
        ("what made it possible", made_possible),
        ("what stopped it", stopped_it),
    ] {
        if text.chars().count() > MAX_CHARS {
            return Err(InvalidValue::new(format!(
                "{name} is longer than {MAX_CHARS} characters"
            )));
        }
    }
    Ok(())
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
        check(what, made_possible, stopped_it)?;
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
        crate::mem_index::bump(&mut tx, "near_misses").await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every report, newest first.
    pub async fn near_misses(&self) -> Result<Vec<NearMiss>> {
        let mut tx = self.begin_read().await?;
        let all = read_all(&mut tx).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// Stores reports read from an export under their numbers, with the incident each
    /// became: new ones created, changed ones replaced, equal ones left. One transaction: a
    /// bad one writes nothing. Returns (created, updated, unchanged).
    pub async fn import_near_misses(&self, reports: &[NearMiss]) -> Result<(usize, usize, usize)> {
        let mut tx = self.begin_write().await?;
        let stored = read_all(&mut tx).await?;
        let (mut created, mut updated, mut unchanged) = (0, 0, 0);
        for n in reports {
            let mut n = n.clone();
            n.what = n.what.trim().to_string();
            n.made_possible = n.made_possible.trim().to_string();
            n.stopped_it = n.stopped_it.trim().to_string();
            check(&n.what, &n.made_possible, &n.stopped_it).map_err(|e| {
                InvalidValue::new(format!("near-miss report {}: {}", n.id, e.message))
            })?;
            if n.id < 1 {
                return Err(
                    InvalidValue::new(format!("near-miss report {} has no number", n.id)).into(),
                );
            }
            match stored.iter().find(|s| s.id == n.id) {
                Some(s) if *s == n => {
                    unchanged += 1;
                    continue;
                }
                Some(_) => updated += 1,
                None => created += 1,
            }
            sqlx::query(
                "INSERT INTO near_misses (id, reported_on, what, made_possible, stopped_it)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET reported_on = excluded.reported_on,
                     what = excluded.what, made_possible = excluded.made_possible,
                     stopped_it = excluded.stopped_it",
            )
            .bind(n.id)
            .bind(n.reported_on.to_string())
            .bind(&n.what)
            .bind(&n.made_possible)
            .bind(&n.stopped_it)
            .execute(&mut *tx)
            .await?;
            crate::mem_index::bump(&mut tx, "near_misses").await?;
            sqlx::query("DELETE FROM near_miss_incidents WHERE near_miss_id = $1")
                .bind(n.id)
                .execute(&mut *tx)
                .await?;
            if let Some(i) = n.incident {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM incidents WHERE id = $1")
                        .bind(i.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                if found.is_none() {
                    return Err(StoreError::NotFound(format!(
                        "incident {i}, which near-miss report {} became",
                        n.id
                    )));
                }
                sqlx::query(
                    "INSERT INTO near_miss_incidents (near_miss_id, incident_id) VALUES ($1, $2)",
                )
                .bind(n.id)
                .bind(i.0)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok((created, updated, unchanged))
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
