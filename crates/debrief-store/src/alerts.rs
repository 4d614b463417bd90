//! Incidents opened by Alertmanager: one per alert group, found again by the group's key.

use debrief_core::{Incident, IncidentId, Status, TimelineEntry};
use jiff::Timestamp;
use sqlx::Row;

use crate::incidents::{read_incident, write_incident};
use crate::{Result, Store};

/// What one Alertmanager notification did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", content = "incident", rename_all = "lowercase")]
pub enum AlertOutcome {
    /// A firing group with no open incident: a new one.
    Opened(IncidentId),
    /// A firing group whose incident is still open: added to its timeline.
    Updated(IncidentId),
    /// A resolved group: its incident is marked mitigated.
    Resolved(IncidentId),
    /// A resolved group no open incident belongs to: nothing to do.
    Ignored,
}

impl Store {
    /// Records a notification of the alert group `group_key`, in one transaction, so a
    /// group's notifications arriving together cannot open two incidents. `entry` goes on the
    /// timeline (unless it repeats the last entry word for word, as Alertmanager's repeats
    /// do); `open` makes the incident when a firing group has none open.
    pub async fn alert_notification(
        &self,
        group_key: &str,
        firing: bool,
        entry: TimelineEntry,
        open: impl FnOnce() -> Incident,
    ) -> Result<AlertOutcome> {
        let mut tx = self.begin_write().await?;
        let mapped = sqlx::query("SELECT incident_id FROM alert_groups WHERE group_key = $1")
            .bind(group_key)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<i64, _>("incident_id"))
            .transpose()?
            .map(IncidentId);
        let open_incident = match mapped {
            Some(id) => {
                let incident = read_incident(&mut tx, id).await?;
                (incident.status == Status::Open).then_some(incident)
            }
            None => None,
        };
        let outcome = match (firing, open_incident) {
            (true, Some(mut incident)) => {
                let id = incident.id.expect("stored");
                add_entry(&mut incident, entry);
                incident.normalize();
                incident.validate()?;
                write_incident(&mut tx, &mut incident).await?;
                AlertOutcome::Updated(id)
            }
            (true, None) => {
                let mut incident = open();
                incident.id = None;
                add_entry(&mut incident, entry);
                incident.normalize();
                incident.validate()?;
                let id = write_incident(&mut tx, &mut incident).await?;
                sqlx::query(
                    "INSERT INTO alert_groups (group_key, incident_id) VALUES ($1, $2) \
                     ON CONFLICT (group_key) DO UPDATE SET incident_id = excluded.incident_id",
                )
                .bind(group_key)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
                AlertOutcome::Opened(id)
            }
            (false, Some(mut incident)) => {
                let id = incident.id.expect("stored");
                let at = entry.at;
                add_entry(&mut incident, entry);
                incident.status = Status::Mitigated;
                // Never before the times already recorded.
                let floor = [incident.started, incident.detected]
                    .into_iter()
                    .flatten()
                    .max();
                incident.mitigated = Some(floor.map_or(at, |f: Timestamp| f.max(at)));
                incident.normalize();
                incident.validate()?;
                write_incident(&mut tx, &mut incident).await?;
                AlertOutcome::Resolved(id)
            }
            (false, None) => AlertOutcome::Ignored,
        };
        tx.commit().await?;
        Ok(outcome)
    }
}

fn add_entry(incident: &mut Incident, entry: TimelineEntry) {
    if incident
        .timeline
        .last()
        .is_some_and(|last| last.text == entry.text)
    {
        return;
    }
    incident.timeline.push(entry);
    incident.timeline.sort_by_key(|e| e.at);
}
