//! Incidents with their whole reviews: read, list, create, change, import.
//!
//! An incident is written as a whole: its row, then its child rows replaced. Action items keep
//! their global numbers across writes; one that belongs to another incident is a conflict.

use std::collections::BTreeMap;
use std::str::FromStr;

use debrief_core::{
    ActionId, ActionItem, ActionStatus, Factor, Incident, IncidentId, Lesson, RetroId, ReviewState,
    Severity, Status, TimelineEntry,
};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{Result, Store, StoreError};

/// Which incidents `list_incidents` returns. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub statuses: Vec<Status>,
    pub severities: Vec<Severity>,
    pub service: Option<String>,
    /// Incidents that started (or, with no start time, were detected) at or after this.
    pub since: Option<Timestamp>,
    pub limit: Option<i64>,
}

/// One line of an incident list.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IncidentSummary {
    pub id: IncidentId,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub review: ReviewState,
    #[serde(rename = "type")]
    pub kind: debrief_core::IncidentType,
    pub near_miss: bool,
    pub services: Vec<String>,
    pub started: Option<Timestamp>,
    pub actions_open: i64,
    pub actions_total: i64,
}

/// Which action items `list_actions` returns.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    pub statuses: Vec<ActionStatus>,
    pub owner: Option<String>,
    pub incident: Option<IncidentId>,
    /// Only items not closed whose due date is before this day.
    pub overdue_on: Option<Date>,
}

/// Where an action item was decided: an incident's review, or a retrospective's close.
/// In JSON, one key: `"incident": "INC-3"` or `"retro": "RETRO-2"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionSource {
    Incident(IncidentId),
    Retro(RetroId),
}

impl ActionSource {
    fn column(self) -> &'static str {
        match self {
            ActionSource::Incident(_) => "incident_id",
            ActionSource::Retro(_) => "retro_id",
        }
    }

    fn number(self) -> i64 {
        match self {
            ActionSource::Incident(i) => i.0,
            ActionSource::Retro(r) => r.0,
        }
    }

    /// Its page under the web UI's root, without a leading slash: `incidents/INC-3`.
    pub fn path(self) -> String {
        match self {
            ActionSource::Incident(i) => format!("incidents/{i}"),
            ActionSource::Retro(r) => format!("retros/{r}"),
        }
    }

    pub fn incident(self) -> Option<IncidentId> {
        match self {
            ActionSource::Incident(i) => Some(i),
            ActionSource::Retro(_) => None,
        }
    }

    /// Reads the source of an `action_items` row.
    pub(crate) fn of_row(row: &AnyRow) -> Result<Self> {
        let incident: Option<i64> = row.try_get("incident_id")?;
        let retro: Option<i64> = row.try_get("retro_id")?;
        match (incident, retro) {
            (Some(i), None) => Ok(ActionSource::Incident(IncidentId(i))),
            (None, Some(r)) => Ok(ActionSource::Retro(RetroId(r))),
            _ => Err(corrupt(
                "action_items",
                "an item comes from neither or both of an incident and a retro",
            )),
        }
    }
}

impl std::fmt::Display for ActionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ActionSource::Incident(i) => i.fmt(f),
            ActionSource::Retro(r) => r.fmt(f),
        }
    }
}

/// An action item with where it came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ActionRow {
    #[serde(flatten)]
    pub source: ActionSource,
    /// The title of the incident or retro it came from.
    pub source_title: String,
    #[serde(flatten)]
    pub action: ActionItem,
}

/// An action item as a change left it, with where it came from and how many items that
/// source still has open.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ActionChange {
    #[serde(flatten)]
    pub source: ActionSource,
    pub action: ActionItem,
    pub source_open: usize,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// The number of each imported review, in the order given.
    pub ids: Vec<IncidentId>,
    pub created: Vec<IncidentId>,
    pub updated: Vec<IncidentId>,
    pub unchanged: Vec<IncidentId>,
}

fn corrupt(table: &'static str, message: impl ToString) -> StoreError {
    StoreError::Corrupt {
        table,
        message: message.to_string(),
    }
}

pub(crate) fn parse_col<T: FromStr>(row: &AnyRow, table: &'static str, col: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let s: String = row.try_get(col)?;
    s.parse()
        .map_err(|e: T::Err| corrupt(table, format!("{col}: {e}")))
}

fn parse_opt<T: FromStr>(row: &AnyRow, table: &'static str, col: &str) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| {
        s.parse()
            .map_err(|e: T::Err| corrupt(table, format!("{col}: {e}")))
    })
    .transpose()
}

fn time_text(t: Option<Timestamp>) -> Option<String> {
    t.map(debrief_core::time::format_time)
}

impl Store {
    /// Stores a new incident and returns its number. Its action items get numbers too.
    pub async fn create_incident(&self, incident: &Incident) -> Result<IncidentId> {
        let mut incident = incident.clone();
        incident.id = None;
        incident.normalize();
        incident.validate()?;
        let mut tx = self.begin_write().await?;
        let id = write_incident(&mut tx, &mut incident).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Reads an incident with its whole review.
    pub async fn get_incident(&self, id: IncidentId) -> Result<Incident> {
        let mut tx = self.begin_read().await?;
        let incident = read_incident(&mut tx, id).await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// Changes an incident in one transaction: reads it, lets `change` edit it, checks the
    /// result and writes it back. Nothing is written if `change` or the check fails.
    pub async fn update_incident<F>(&self, id: IncidentId, change: F) -> Result<Incident>
    where
        F: FnOnce(&mut Incident) -> Result<(), debrief_core::InvalidValue>,
    {
        let mut tx = self.begin_write().await?;
        let mut incident = read_incident(&mut tx, id).await?;
        change(&mut incident)?;
        incident.id = Some(id);
        incident.normalize();
        incident.validate()?;
        write_incident(&mut tx, &mut incident).await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// Changes action item `action` inside the record it belongs to (an incident, as
    /// [`Store::update_incident`], or a retro), checking and writing that record whole.
    pub async fn update_action<F>(&self, action: ActionId, change: F) -> Result<ActionChange>
    where
        F: FnOnce(&mut ActionItem) -> Result<(), debrief_core::InvalidValue>,
    {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT incident_id, retro_id FROM action_items WHERE id = $1")
            .bind(action.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("action item {action}")))?;
        let source = ActionSource::of_row(&row)?;
        let find = |items: &mut Vec<ActionItem>| -> Result<usize> {
            items
                .iter()
                .position(|a| a.id == Some(action))
                .ok_or_else(|| corrupt("action_items", format!("{action} not in {source}")))
        };
        let (item, open) = match source {
            ActionSource::Incident(id) => {
                let mut incident = read_incident(&mut tx, id).await?;
                let k = find(&mut incident.actions)?;
                change(&mut incident.actions[k])?;
                incident.normalize();
                incident.validate()?;
                write_incident(&mut tx, &mut incident).await?;
                let item = incident.actions[k].clone();
                (item, incident.open_actions().count())
            }
            ActionSource::Retro(id) => {
                let mut retro = crate::retros::read(&mut tx, id).await?;
                let k = find(&mut retro.actions)?;
                change(&mut retro.actions[k])?;
                crate::retros::write(&mut tx, &mut retro).await?;
                let item = retro.actions[k].clone();
                (item, retro.open_actions())
            }
        };
        tx.commit().await?;
        Ok(ActionChange {
            source,
            action: item,
            source_open: open,
        })
    }

    /// How many incidents there are in each status (every status, zero included).
    pub async fn incidents_by_status(&self) -> Result<Vec<(Status, i64)>> {
        let mut tx = self.begin_read().await?;
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM incidents GROUP BY status")
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut counts: Vec<(Status, i64)> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        for r in &rows {
            let status: Status = parse_col(r, "incidents", "status")?;
            let n: i64 = r.try_get("n")?;
            if let Some(c) = counts.iter_mut().find(|(s, _)| *s == status) {
                c.1 = n;
            }
        }
        Ok(counts)
    }

    /// Lists incidents, newest first.
    pub async fn list_incidents(&self, filter: &IncidentFilter) -> Result<Vec<IncidentSummary>> {
        let sql = String::from(
            "SELECT i.id, i.title, i.severity, i.status, i.review_state, i.type, i.near_miss,
                    i.started_at,
                    (SELECT COUNT(*) FROM action_items a WHERE a.incident_id = i.id
                        AND a.status NOT IN ('done', 'wont-do')) AS actions_open,
                    (SELECT COUNT(*) FROM action_items a WHERE a.incident_id = i.id) AS actions_total
             FROM incidents i WHERE 1 = 1",
        );
        let mut sql = Filtered::new(sql);
        sql.any_of("i.status", filter.statuses.iter().map(|s| s.as_str()));
        sql.any_of("i.severity", filter.severities.iter().map(|s| s.as_str()));
        if let Some(service) = &filter.service {
            sql.push(" AND EXISTS (SELECT 1 FROM incident_services s WHERE s.incident_id = i.id AND s.service = ");
            sql.arg(service);
            sql.push(")");
        }
        if let Some(since) = filter.since {
            sql.push(" AND COALESCE(i.started_at, i.detected_at) >= ");
            sql.arg(&debrief_core::time::format_time(since));
        }
        sql.push(" ORDER BY COALESCE(i.started_at, i.detected_at) DESC, i.id DESC");
        if let Some(limit) = filter.limit {
            sql.push(&format!(" LIMIT {}", limit.max(0)));
        }

        let mut tx = self.begin_read().await?;
        let rows = sql.fetch_all(&mut tx).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let near_miss: i64 = row.try_get("near_miss")?;
            out.push(IncidentSummary {
                id: IncidentId(row.try_get("id")?),
                title: row.try_get("title")?,
                severity: parse_col(&row, "incidents", "severity")?,
                status: parse_col(&row, "incidents", "status")?,
                review: parse_col(&row, "incidents", "review_state")?,
                kind: parse_col(&row, "incidents", "type")?,
                near_miss: near_miss != 0,
                services: Vec::new(),
                started: parse_opt(&row, "incidents", "started_at")?,
                actions_open: row.try_get("actions_open")?,
                actions_total: row.try_get("actions_total")?,
            });
        }
        // Services in one more query rather than one per incident.
        let mut by_id: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        let rows = sqlx::query(
            "SELECT incident_id, service FROM incident_services ORDER BY incident_id, position",
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            by_id
                .entry(row.try_get("incident_id")?)
                .or_default()
                .push(row.try_get("service")?);
        }
        for s in &mut out {
            s.services = by_id.remove(&s.id.0).unwrap_or_default();
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Lists action items: open ones by due date first, then the rest.
    pub async fn list_actions(&self, filter: &ActionFilter) -> Result<Vec<ActionRow>> {
        let sql = String::from(
            "SELECT a.*, COALESCE(i.title, r.title) AS source_title FROM action_items a
             LEFT JOIN incidents i ON i.id = a.incident_id
             LEFT JOIN retros r ON r.id = a.retro_id WHERE 1 = 1",
        );
        let mut sql = Filtered::new(sql);
        sql.any_of("a.status", filter.statuses.iter().map(|s| s.as_str()));
        if let Some(owner) = &filter.owner {
            sql.push(" AND a.owner_team = ");
            sql.arg(owner);
        }
        if let Some(id) = filter.incident {
            sql.push(&format!(" AND a.incident_id = {}", id.0));
        }
        if let Some(day) = filter.overdue_on {
            sql.push(" AND a.status NOT IN ('done', 'wont-do') AND a.due < ");
            sql.arg(&day.to_string());
        }
        sql.push(
            " ORDER BY CASE WHEN a.status IN ('done', 'wont-do') THEN 1 ELSE 0 END,
                       CASE WHEN a.due IS NULL THEN 1 ELSE 0 END, a.due, a.id",
        );
        let mut tx = self.begin_read().await?;
        let rows = sql.fetch_all(&mut tx).await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                Ok(ActionRow {
                    source: ActionSource::of_row(row)?,
                    source_title: row.try_get("source_title")?,
                    action: action_from_row(row)?,
                })
            })
            .collect()
    }

    /// Every incident's number, in order.
    pub async fn incident_ids(&self) -> Result<Vec<IncidentId>> {
        let rows = sqlx::query("SELECT id FROM incidents ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok(IncidentId(r.try_get("id")?)))
            .collect()
    }

    /// Imports whole reviews in one transaction: each with a number replaces the stored
    /// incident of that number (or is created with it), each without one is created. A
    /// review equal to what is stored is left alone. If any fails, nothing is written.
    ///
    /// A stored incident whose title differs from the review of the same number is taken
    /// for a different incident and refused (a conflict), unless `replace` is set: numbers
    /// are per store, and importing someone else's INC-1 must not overwrite yours.
    pub async fn import(&self, incidents: &[Incident], replace: bool) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        let mut tx = self.begin_write().await?;
        for original in incidents {
            let mut incident = original.clone();
            incident.normalize();
            incident.validate()?;
            match incident.id {
                Some(id) => match read_incident(&mut tx, id).await {
                    Ok(stored) if stored == incident => report.unchanged.push(id),
                    Ok(stored) if stored.title != incident.title && !replace => {
                        return Err(StoreError::Conflict(format!(
                            "{id} in this store is {:?}, not {:?}; if it is the same incident \
                             renamed, import with --replace; to add it as a new incident, remove \
                             `id: {id}` from its front matter",
                            stored.title, incident.title
                        )));
                    }
                    Ok(stored) => {
                        if incident.review == ReviewState::Published
                            && stored.review != ReviewState::Published
                        {
                            return Err(StoreError::Conflict(format!(
                                "{id}: a document cannot publish a stored review (its review \
                                 is {}); import it with `review: {}` and run `debrief review \
                                 publish {id}`, which checks it first",
                                stored.review, stored.review
                            )));
                        }
                        write_incident(&mut tx, &mut incident).await?;
                        report.updated.push(id);
                    }
                    Err(StoreError::NotFound(_)) => {
                        write_incident(&mut tx, &mut incident).await?;
                        report.created.push(id);
                    }
                    Err(e) => return Err(e),
                },
                None => {
                    let id = write_incident(&mut tx, &mut incident).await?;
                    report.created.push(id);
                }
            }
            report.ids.push(incident.id.expect("numbered by now"));
        }
        tx.commit().await?;
        Ok(report)
    }
}

/// A query with a WHERE clause built from optional filters; values are bound, never spliced.
struct Filtered {
    sql: String,
    args: Vec<String>,
}

impl Filtered {
    fn new(sql: String) -> Self {
        Filtered {
            sql,
            args: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) {
        self.sql.push_str(text);
    }

    /// Appends a placeholder bound to `value`.
    fn arg(&mut self, value: &str) {
        self.args.push(value.to_string());
        self.sql.push_str(&format!("${}", self.args.len()));
    }

    /// Appends `AND col IN ($n, …)` for a non-empty list.
    fn any_of<'a>(&mut self, col: &str, values: impl Iterator<Item = &'a str>) {
        let mut first = true;
        for v in values {
            self.push(if first { " AND " } else { ", " });
            if first {
                self.push(col);
                self.push(" IN (");
                first = false;
            }
            self.arg(v);
        }
        if !first {
            self.push(")");
        }
    }

    async fn fetch_all(&self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>> {
        let mut q = sqlx::query(&self.sql);
        for a in &self.args {
            q = q.bind(a.as_str());
        }
        Ok(q.fetch_all(conn).await?)
    }
}

/// A stored time, or none (empty or unreadable).
pub(crate) fn time_col(text: Option<String>) -> Option<Timestamp> {
    text.filter(|s| !s.is_empty()).and_then(|s| s.parse().ok())
}

/// An incident's action items not done (nor won't do), and how many it has in all.
pub(crate) async fn open_actions(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<(Vec<ActionItem>, usize)> {
    let mut open = Vec::new();
    let mut total = 0;
    for row in sqlx::query("SELECT * FROM action_items WHERE incident_id = $1 ORDER BY position")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
    {
        let a = action_from_row(&row)?;
        total += 1;
        if !a.status.is_closed() {
            open.push(a);
        }
    }
    Ok((open, total))
}

pub(crate) fn action_from_row(row: &AnyRow) -> Result<ActionItem> {
    const T: &str = "action_items";
    Ok(ActionItem {
        id: Some(ActionId(row.try_get("id")?)),
        title: row.try_get("title")?,
        kind: parse_col(row, T, "kind")?,
        owner: row.try_get("owner_team")?,
        due: parse_opt(row, T, "due")?,
        status: parse_col(row, T, "status")?,
        link: row.try_get("link")?,
        opened: parse_opt(row, T, "opened")?,
        closed: parse_opt(row, T, "closed")?,
        worked: row.try_get::<Option<i64>, _>("worked")?.map(|w| w != 0),
    })
}

pub(crate) async fn read_incident(conn: &mut AnyConnection, id: IncidentId) -> Result<Incident> {
    const T: &str = "incidents";
    let row = sqlx::query("SELECT * FROM incidents WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("incident {id}")))?;
    let mut i = Incident::new(
        row.try_get::<String, _>("title")?,
        parse_col(&row, T, "severity")?,
    );
    i.id = Some(id);
    i.kind = parse_col(&row, T, "type")?;
    i.near_miss = row.try_get::<i64, _>("near_miss")? != 0;
    i.status = parse_col(&row, T, "status")?;
    i.review = parse_col(&row, T, "review_state")?;
    i.started = parse_opt(&row, T, "started_at")?;
    i.detected = parse_opt(&row, T, "detected_at")?;
    i.mitigated = parse_opt(&row, T, "mitigated_at")?;
    i.resolved = parse_opt(&row, T, "resolved_at")?;
    i.published = parse_opt(&row, T, "published_at")?;
    i.detection = parse_opt(&row, T, "detection")?;
    i.summary = row.try_get("summary")?;
    i.impact = row.try_get("impact")?;
    i.notes = row.try_get("notes")?;

    for row in sqlx::query(
        "SELECT service FROM incident_services WHERE incident_id = $1 ORDER BY position",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    {
        i.services.push(row.try_get("service")?);
    }
    for row in sqlx::query("SELECT name, value FROM impact_metrics WHERE incident_id = $1")
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await?
    {
        i.impact_metrics
            .insert(row.try_get("name")?, row.try_get("value")?);
    }
    for row in sqlx::query(
        "SELECT at, text, known FROM timeline_entries WHERE incident_id = $1 ORDER BY position",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    {
        i.timeline.push(TimelineEntry {
            at: parse_col(&row, "timeline_entries", "at")?,
            text: row.try_get("text")?,
            known: row.try_get("known")?,
        });
    }
    for row in sqlx::query(
        "SELECT title, level, category, description FROM factors WHERE incident_id = $1 ORDER BY position",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    {
        i.factors.push(Factor {
            title: row.try_get("title")?,
            level: parse_col(&row, "factors", "level")?,
            category: parse_col(&row, "factors", "category")?,
            description: row.try_get("description")?,
            whys: Vec::new(),
        });
    }
    for row in sqlx::query(
        "SELECT factor_position, text FROM whys WHERE incident_id = $1 ORDER BY factor_position, position",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    {
        let f: i64 = row.try_get("factor_position")?;
        let factor = usize::try_from(f)
            .ok()
            .and_then(|f| i.factors.get_mut(f))
            .ok_or_else(|| corrupt("whys", format!("why under missing factor {f} of {id}")))?;
        factor.whys.push(row.try_get("text")?);
    }
    for row in
        sqlx::query("SELECT kind, text FROM lessons WHERE incident_id = $1 ORDER BY position")
            .bind(id.0)
            .fetch_all(&mut *conn)
            .await?
    {
        i.lessons.push(Lesson {
            kind: parse_col(&row, "lessons", "kind")?,
            text: row.try_get("text")?,
        });
    }
    i.actions = read_actions(conn, ActionSource::Incident(id)).await?;
    i.acknowledged = crate::reviews::read_acknowledgements(&mut *conn, id).await?;
    Ok(i)
}

/// Writes a whole incident inside the caller's writer transaction, giving numbers to the
/// incident (if new) and to new action items, and returns its number.
pub(crate) async fn write_incident(
    conn: &mut AnyConnection,
    i: &mut Incident,
) -> Result<IncidentId> {
    let id = match i.id {
        Some(id) => id,
        None => {
            let next: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM incidents")
                .fetch_one(&mut *conn)
                .await?
                .try_get("next")?;
            IncidentId(next)
        }
    };
    i.id = Some(id);
    sqlx::query(
        "INSERT INTO incidents (id, title, type, near_miss, severity, status, review_state,
             started_at, detected_at, mitigated_at, resolved_at, detection, summary, impact, notes,
             published_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, type = excluded.type,
             near_miss = excluded.near_miss, severity = excluded.severity,
             status = excluded.status, review_state = excluded.review_state,
             started_at = excluded.started_at, detected_at = excluded.detected_at,
             mitigated_at = excluded.mitigated_at, resolved_at = excluded.resolved_at,
             detection = excluded.detection, summary = excluded.summary,
             impact = excluded.impact, notes = excluded.notes,
             published_at = excluded.published_at",
    )
    .bind(id.0)
    .bind(&i.title)
    .bind(i.kind.as_str())
    .bind(i64::from(i.near_miss))
    .bind(i.severity.as_str())
    .bind(i.status.as_str())
    .bind(i.review.as_str())
    .bind(time_text(i.started))
    .bind(time_text(i.detected))
    .bind(time_text(i.mitigated))
    .bind(time_text(i.resolved))
    .bind(i.detection.map(|d| d.as_str()))
    .bind(&i.summary)
    .bind(&i.impact)
    .bind(&i.notes)
    .bind(time_text(i.published))
    .execute(&mut *conn)
    .await?;

    for table in [
        "incident_services",
        "impact_metrics",
        "timeline_entries",
        "whys",
        "factors",
        "lessons",
        "finding_acks",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE incident_id = $1"))
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }
    for (pos, s) in i.services.iter().enumerate() {
        sqlx::query(
            "INSERT INTO incident_services (incident_id, position, service) VALUES ($1, $2, $3)",
        )
        .bind(id.0)
        .bind(pos as i64)
        .bind(s)
        .execute(&mut *conn)
        .await?;
    }
    for a in &i.acknowledged {
        sqlx::query(
            "INSERT INTO finding_acks (incident_id, finding, reason, acked_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(&a.finding)
        .bind(&a.reason)
        .bind(debrief_core::time::format_time(a.at))
        .execute(&mut *conn)
        .await?;
    }
    for (name, value) in &i.impact_metrics {
        sqlx::query("INSERT INTO impact_metrics (incident_id, name, value) VALUES ($1, $2, $3)")
            .bind(id.0)
            .bind(name)
            .bind(*value)
            .execute(&mut *conn)
            .await?;
    }
    for (pos, e) in i.timeline.iter().enumerate() {
        sqlx::query(
            "INSERT INTO timeline_entries (incident_id, position, at, text, known) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(pos as i64)
        .bind(debrief_core::time::format_time(e.at))
        .bind(&e.text)
        .bind(&e.known)
        .execute(&mut *conn)
        .await?;
    }
    for (pos, f) in i.factors.iter().enumerate() {
        sqlx::query(
            "INSERT INTO factors (incident_id, position, title, level, category, description)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.0)
        .bind(pos as i64)
        .bind(&f.title)
        .bind(f.level.as_str())
        .bind(f.category.as_str())
        .bind(&f.description)
        .execute(&mut *conn)
        .await?;
        for (wpos, w) in f.whys.iter().enumerate() {
            sqlx::query(
                "INSERT INTO whys (incident_id, factor_position, position, text) VALUES ($1, $2, $3, $4)",
            )
            .bind(id.0)
            .bind(pos as i64)
            .bind(wpos as i64)
            .bind(w)
            .execute(&mut *conn)
            .await?;
        }
    }
    for (pos, l) in i.lessons.iter().enumerate() {
        sqlx::query(
            "INSERT INTO lessons (incident_id, position, kind, text) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(pos as i64)
        .bind(l.kind.as_str())
        .bind(&l.text)
        .execute(&mut *conn)
        .await?;
    }

    write_actions(conn, ActionSource::Incident(id), &mut i.actions).await?;
    crate::search::index_incident(conn, i).await?;
    crate::similar::refresh(conn, i).await?;
    Ok(id)
}

/// Writes the action items of one incident or retro, in order: each keeps its number or gets
/// the next free one; stored items of that source not in `actions` are deleted. An item
/// numbered for another source is a conflict.
pub(crate) async fn write_actions(
    conn: &mut AnyConnection,
    source: ActionSource,
    actions: &mut [ActionItem],
) -> Result<()> {
    let mut keep: Vec<i64> = Vec::new();
    for a in actions.iter() {
        if let Some(aid) = a.id {
            let owner = sqlx::query("SELECT incident_id, retro_id FROM action_items WHERE id = $1")
                .bind(aid.0)
                .fetch_optional(&mut *conn)
                .await?;
            if let Some(row) = owner {
                let other = ActionSource::of_row(&row)?;
                if other != source {
                    return Err(StoreError::Conflict(format!(
                        "action item {aid} belongs to {other}, not {source}; remove its number ({aid}: ) to add it as a new item"
                    )));
                }
            }
            keep.push(aid.0);
        }
    }
    let column = source.column();
    let stored = sqlx::query(&format!("SELECT id FROM action_items WHERE {column} = $1"))
        .bind(source.number())
        .fetch_all(&mut *conn)
        .await?;
    for row in stored {
        let aid: i64 = row.try_get("id")?;
        if !keep.contains(&aid) {
            sqlx::query("DELETE FROM action_items WHERE id = $1")
                .bind(aid)
                .execute(&mut *conn)
                .await?;
        }
    }
    for (pos, a) in actions.iter_mut().enumerate() {
        let aid = match a.id {
            Some(aid) => aid,
            None => {
                let next: i64 =
                    sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM action_items")
                        .fetch_one(&mut *conn)
                        .await?
                        .try_get("next")?;
                ActionId(next)
            }
        };
        a.id = Some(aid);
        sqlx::query(&format!(
            "INSERT INTO action_items (id, {column}, position, title, kind, owner_team, due,
                 status, link, opened, closed, worked)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO UPDATE SET position = excluded.position, title = excluded.title,
                 kind = excluded.kind, owner_team = excluded.owner_team, due = excluded.due,
                 status = excluded.status, link = excluded.link, opened = excluded.opened,
                 closed = excluded.closed, worked = excluded.worked"
        ))
        .bind(aid.0)
        .bind(source.number())
        .bind(pos as i64)
        .bind(&a.title)
        .bind(a.kind.as_str())
        .bind(a.owner.as_deref())
        .bind(a.due.map(|d| d.to_string()))
        .bind(a.status.as_str())
        .bind(a.link.as_deref())
        .bind(a.opened.map(|d| d.to_string()))
        .bind(a.closed.map(|d| d.to_string()))
        .bind(a.worked.map(i64::from))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The action items of one incident or retro, in order.
pub(crate) async fn read_actions(
    conn: &mut AnyConnection,
    source: ActionSource,
) -> Result<Vec<ActionItem>> {
    let rows = sqlx::query(&format!(
        "SELECT * FROM action_items WHERE {} = $1 ORDER BY position",
        source.column()
    ))
    .bind(source.number())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(action_from_row).collect()
}
