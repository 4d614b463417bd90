//! Acknowledged lint findings of a review, and its moves between review states.

use debrief_core::{Acknowledgement, Incident, IncidentId, InvalidValue, ReviewState};
use jiff::Timestamp;
use sqlx::Row;

use crate::{Result, Store, StoreError};

impl Store {
    /// Stores `ack` with incident `id`, replacing an earlier acknowledgement of the same
    /// finding. The caller checks that the finding exists; the store checks the incident does.
    pub async fn acknowledge(&self, id: IncidentId, ack: &Acknowledgement) -> Result<()> {
        ack.validate()?;
        let mut tx = self.begin_write().await?;
        exists(&mut tx, id).await?;
        sqlx::query("DELETE FROM finding_acks WHERE incident_id = $1 AND finding = $2")
            .bind(id.0)
            .bind(&ack.finding)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO finding_acks (incident_id, finding, reason, acked_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(&ack.finding)
        .bind(&ack.reason)
        .bind(debrief_core::time::format_time(ack.at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the acknowledgement of `finding`; false when there was none.
    pub async fn withdraw_acknowledgement(&self, id: IncidentId, finding: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        exists(&mut tx, id).await?;
        let done = sqlx::query("DELETE FROM finding_acks WHERE incident_id = $1 AND finding = $2")
            .bind(id.0)
            .bind(finding)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// The acknowledged findings of incident `id`, by finding id.
    pub async fn acknowledgements(&self, id: IncidentId) -> Result<Vec<Acknowledgement>> {
        let mut tx = self.begin_read().await?;
        exists(&mut tx, id).await?;
        let acks = read_acknowledgements(&mut tx, id).await?;
        tx.commit().await?;
        Ok(acks)
    }

    /// Moves the review of `checked` to state `to`, if the stored incident is still exactly
    /// `checked` (what the caller judged ready). A change in between is a conflict: the
    /// caller checks again rather than publish what it did not check. Publishing for the first
    /// time records `now` (to the second) as when the review was published.
    pub async fn set_review_state(
        &self,
        checked: &Incident,
        to: ReviewState,
        now: Timestamp,
    ) -> Result<Incident> {
        let id = checked
            .id
            .ok_or_else(|| InvalidValue::new("the incident has no number"))?;
        let mut changed = false;
        let result = self
            .update_incident(id, |i| {
                if i != checked {
                    changed = true;
                    return Err(InvalidValue::new("changed"));
                }
                i.review = to;
                if to == ReviewState::Published && i.published.is_none() {
                    i.published = Some(debrief_core::time::to_seconds(now));
                }
                Ok(())
            })
            .await;
        if changed {
            return Err(StoreError::Conflict(format!(
                "{id} changed while its review was being checked; run the command again"
            )));
        }
        result
    }
}

async fn exists(conn: &mut sqlx::AnyConnection, id: IncidentId) -> Result<()> {
    sqlx::query("SELECT id FROM incidents WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .map(|_| ())
        .ok_or_else(|| StoreError::NotFound(format!("incident {id}")))
}

/// The acknowledged findings of incident `id`, by finding id, inside the caller's transaction.
pub(crate) async fn read_acknowledgements(
    conn: &mut sqlx::AnyConnection,
    id: IncidentId,
) -> Result<Vec<Acknowledgement>> {
    let rows = sqlx::query(
        "SELECT finding, reason, acked_at FROM finding_acks WHERE incident_id = $1 ORDER BY finding",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let at: String = r.try_get("acked_at")?;
            Ok(Acknowledgement {
                finding: r.try_get("finding")?,
                reason: r.try_get("reason")?,
                at: at.parse::<Timestamp>().map_err(|e| StoreError::Corrupt {
                    table: "finding_acks",
                    message: format!("acked_at: {e}"),
                })?,
            })
        })
        .collect()
}
