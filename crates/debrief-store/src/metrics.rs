//! Whether the organization learns, in figures: how fast incidents are detected, mitigated
//! and resolved (medians and 90th percentiles: durations are skewed, so a mean alone
//! misleads), how many reviews look past the technical, monitoring gaps, near misses,
//! signals promoted, action closure and recurrence, and what fails on purpose or is looked
//! back on teaches (experiments, pre-mortems, retrospectives); overall or by service, severity or month.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jiff::Timestamp;
use serde::Serialize;
use sqlx::Row;

use crate::incidents::time_col;
use crate::{Result, Store};

/// How to split the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsBy {
    All,
    Service,
    Severity,
    Month,
}

/// The figures of one group of incidents. Durations are in minutes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricsRow {
    pub group: String,
    pub incidents: usize,
    pub detect_median: Option<i64>,
    pub detect_p90: Option<i64>,
    pub mitigate_median: Option<i64>,
    pub mitigate_p90: Option<i64>,
    pub resolve_median: Option<i64>,
    pub resolve_p90: Option<i64>,
    /// From the start of an incident to its review's first publication.
    pub review_median: Option<i64>,
    pub review_p90: Option<i64>,
    /// Incidents marked as near misses.
    pub near_misses: usize,
    /// Confidential near-miss reports (they name no service or severity, so they count
    /// only when the figures are split by month or not at all).
    pub near_miss_reports: usize,
    /// Near misses (marked incidents and reports) of all incidents and reports: a team that
    /// reports near misses freely learns before the outage.
    pub near_miss_ratio: f64,
    /// Share of incidents whose review names a process or organization factor.
    pub beyond_technical: f64,
    /// Incidents with a contributing factor in the monitoring category.
    pub monitoring_gaps: usize,
    /// Incidents detected by a weak signal.
    pub signals_promoted: usize,
    /// Share of their action items closed.
    pub action_closure: f64,
    /// Days from an action item's opening to its closing, of those closed (the age of open
    /// items is in `Store::follow_through`, which knows the day).
    pub action_close_days_median: Option<i64>,
    pub action_close_days_p90: Option<i64>,
    /// Share of incidents that repeat an earlier one of their problem.
    pub recurrence: f64,
    /// Experiments started (grouped by the month they started, or their services).
    pub experiments_run: usize,
    /// Experiments concluded (grouped by the month they ended).
    pub experiments_concluded: usize,
    /// Refuted of the concluded: hypotheses that taught something.
    pub experiments_refuted: f64,
    /// Of the incidents linked to pre-mortems (by the month of their launch), the share a
    /// risk foresaw; `None` when none are linked.
    pub premortem_foresight: Option<f64>,
    /// Retrospectives held (grouped by the month held).
    pub retros_held: usize,
    /// Action items decided by retros closed (grouped by the month closed).
    pub retro_actions: usize,
    /// Share of those action items closed since.
    pub retro_action_closure: f64,
}

fn quantile(v: &mut [i64], q: f64) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let rank = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

#[derive(Default)]
struct Facts {
    started: Option<Timestamp>,
    detected: Option<Timestamp>,
    mitigated: Option<Timestamp>,
    resolved: Option<Timestamp>,
    published: Option<Timestamp>,
    severity: String,
    near_miss: bool,
    signal: bool,
    services: Vec<String>,
    levels: BTreeSet<String>,
    categories: BTreeSet<String>,
    actions: (usize, usize),
    close_days: Vec<i64>,
    repeat: bool,
}

impl Store {
    /// The figures for incidents that started at or after `since` (all when `None`).
    pub async fn metrics(
        &self,
        since: Option<Timestamp>,
        by: MetricsBy,
    ) -> Result<Vec<MetricsRow>> {
        let mut tx = self.begin_read().await?;
        let mut facts: BTreeMap<i64, Facts> = BTreeMap::new();
        for r in sqlx::query(
            "SELECT id, severity, near_miss, detection, started_at, detected_at, mitigated_at, resolved_at, published_at FROM incidents",
        )
        .fetch_all(&mut *tx)
        .await?
        {
            let started = time_col(r.try_get("started_at")?);
            if since.is_some_and(|s| started.is_none_or(|t| t < s)) {
                continue;
            }
            let detection: Option<String> = r.try_get("detection")?;
            facts.insert(
                r.try_get("id")?,
                Facts {
                    started,
                    detected: time_col(r.try_get("detected_at")?),
                    mitigated: time_col(r.try_get("mitigated_at")?),
                    resolved: time_col(r.try_get("resolved_at")?),
                    published: time_col(r.try_get("published_at")?),
                    severity: r.try_get("severity")?,
                    near_miss: r.try_get::<i64, _>("near_miss")? != 0,
                    signal: detection.as_deref() == Some("signal"),
                    ..Facts::default()
                },
            );
        }
        for r in sqlx::query(
            "SELECT incident_id, service FROM incident_services ORDER BY incident_id, position",
        )
        .fetch_all(&mut *tx)
        .await?
        {
            if let Some(f) = facts.get_mut(&r.try_get("incident_id")?) {
                f.services.push(r.try_get("service")?);
            }
        }
        for r in sqlx::query("SELECT incident_id, level, category FROM factors")
            .fetch_all(&mut *tx)
            .await?
        {
            if let Some(f) = facts.get_mut(&r.try_get("incident_id")?) {
                f.levels.insert(r.try_get("level")?);
                f.categories.insert(r.try_get("category")?);
            }
        }
        for r in sqlx::query("SELECT incident_id, status, opened, closed FROM action_items WHERE incident_id IS NOT NULL")
            .fetch_all(&mut *tx)
            .await?
        {
            if let Some(f) = facts.get_mut(&r.try_get("incident_id")?) {
                let status: String = r.try_get("status")?;
                f.actions.0 += 1;
                if status == "done" || status == "wont-do" {
                    f.actions.1 += 1;
                    let day = |col: &str| -> Result<Option<jiff::civil::Date>> {
                        let t: Option<String> = r.try_get(col)?;
                        Ok(t.and_then(|t| t.parse().ok()))
                    };
                    if let (Some(o), Some(c)) = (day("opened")?, day("closed")?) {
                        f.close_days.push(i64::from((c - o).get_days()).max(0));
                    }
                }
            }
        }
        // A repeat: an incident of a problem that has an earlier-started incident.
        let mut earliest: HashMap<i64, (Option<Timestamp>, i64)> = HashMap::new();
        let members = sqlx::query(
            "SELECT p.problem_id, p.incident_id, i.started_at FROM problem_incidents p
             JOIN incidents i ON i.id = p.incident_id WHERE p.how IN ('computed', 'linked')",
        )
        .fetch_all(&mut *tx)
        .await?;
        // Confidential reports by month ("YYYY-MM"), since the day `since` falls on.
        let since_day = since.map(|s| debrief_core::time::utc_date(s).to_string());
        let mut reports: BTreeMap<String, usize> = BTreeMap::new();
        for r in sqlx::query("SELECT reported_on FROM near_misses")
            .fetch_all(&mut *tx)
            .await?
        {
            let day: String = r.try_get("reported_on")?;
            if since_day.as_ref().is_some_and(|s| day < *s) || day.len() < 7 {
                continue;
            }
            *reports.entry(day[..7].to_string()).or_default() += 1;
        }
        tx.commit().await?;
        let mut rows_of: Vec<(i64, i64, Option<Timestamp>)> = Vec::new();
        for m in members {
            let (p, i): (i64, i64) = (m.try_get("problem_id")?, m.try_get("incident_id")?);
            let started = time_col(m.try_get("started_at")?);
            let e = earliest.entry(p).or_insert((started, i));
            if (started, i) < *e {
                *e = (started, i);
            }
            rows_of.push((p, i, started));
        }
        for (p, i, _) in rows_of {
            if earliest.get(&p).is_some_and(|e| e.1 != i) {
                if let Some(f) = facts.get_mut(&i) {
                    f.repeat = true;
                }
            }
        }
        let mut groups: BTreeMap<String, Vec<&Facts>> = BTreeMap::new();
        for f in facts.values() {
            let keys: Vec<String> = match by {
                MetricsBy::All => vec!["all".into()],
                MetricsBy::Severity => vec![f.severity.clone()],
                MetricsBy::Month => vec![
                    f.started
                        .map(|t| debrief_core::time::format_time(t)[..7].to_string())
                        .unwrap_or_else(|| "no date".into()),
                ],
                MetricsBy::Service if f.services.is_empty() => vec!["no service".into()],
                MetricsBy::Service => f.services.clone(),
            };
            for k in keys {
                groups.entry(k).or_default().push(f);
            }
        }
        // Experiments: (group keys for when it started, for when it ended, refuted?).
        let month =
            |t: Option<Timestamp>| t.map(|t| debrief_core::time::format_time(t)[..7].to_string());
        let mut exp_run: BTreeMap<String, usize> = BTreeMap::new();
        let mut exp_done: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for e in self.experiments().await? {
            let keys = |t: Option<Timestamp>| -> Vec<String> {
                match by {
                    MetricsBy::All => vec!["all".into()],
                    MetricsBy::Month => month(t).into_iter().collect(),
                    MetricsBy::Service => e.services.clone(),
                    MetricsBy::Severity => Vec::new(),
                }
            };
            if e.started.is_some_and(|t| since.is_none_or(|s| t >= s)) {
                for k in keys(e.started) {
                    *exp_run.entry(k).or_default() += 1;
                }
            }
            if e.status == debrief_core::ExperimentStatus::Concluded
                && e.ended.is_some_and(|t| since.is_none_or(|s| t >= s))
            {
                for k in keys(e.ended) {
                    let c = exp_done.entry(k).or_default();
                    c.0 += 1;
                    if e.outcome == Some(debrief_core::ExperimentOutcome::Refuted) {
                        c.1 += 1;
                    }
                }
            }
        }
        // Pre-mortems: (foreseen, linked) by launch month (or all).
        let mut foresight: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for p in self.premortems().await? {
            let launched = p
                .launch
                .and_then(|d| d.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp());
            if since.is_some_and(|s| launched.is_none_or(|t| t < s)) {
                continue;
            }
            let key = match by {
                MetricsBy::All => Some("all".to_string()),
                MetricsBy::Month => month(launched),
                MetricsBy::Service | MetricsBy::Severity => None,
            };
            if let Some(k) = key {
                let f = p.foresight();
                let e = foresight.entry(k).or_default();
                e.0 += f.foreseen;
                e.1 += f.foreseen + f.surprises;
            }
        }
        // Retros: held by month held; their action items (all, closed) by month closed.
        let day_time = |d: jiff::civil::Date| {
            d.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .ok()
                .map(|z| z.timestamp())
        };
        let mut retros_held: BTreeMap<String, usize> = BTreeMap::new();
        let mut retro_actions: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for r in self.retros().await? {
            let key = |t: Option<Timestamp>| match by {
                MetricsBy::All => Some("all".to_string()),
                MetricsBy::Month => month(t),
                MetricsBy::Service | MetricsBy::Severity => None,
            };
            let held = day_time(r.held);
            if since.is_none_or(|s| held.is_some_and(|t| t >= s)) {
                if let Some(k) = key(held) {
                    *retros_held.entry(k).or_default() += 1;
                }
            }
            let closed = r.closed.and_then(day_time);
            if closed.is_some_and(|t| since.is_none_or(|s| t >= s)) {
                if let Some(k) = key(closed) {
                    let e = retro_actions.entry(k).or_default();
                    e.0 += r.actions.len();
                    e.1 += r.actions.len() - r.open_actions();
                }
            }
        }
        for k in exp_run
            .keys()
            .chain(exp_done.keys())
            .chain(foresight.keys())
            .chain(retros_held.keys())
            .chain(retro_actions.keys())
        {
            groups.entry(k.clone()).or_default();
        }
        // Months with reports and no incident still get a row.
        if by == MetricsBy::Month {
            for month in reports.keys() {
                groups.entry(month.clone()).or_default();
            }
        } else if by == MetricsBy::All && !reports.is_empty() {
            groups.entry("all".into()).or_default();
        }
        let reports_in = |group: &str| match by {
            MetricsBy::All => reports.values().sum(),
            MetricsBy::Month => reports.get(group).copied().unwrap_or(0),
            MetricsBy::Service | MetricsBy::Severity => 0,
        };
        let minutes = |from: Option<Timestamp>, to: Option<Timestamp>| match (from, to) {
            (Some(a), Some(b)) if b >= a => Some(b.duration_since(a).as_secs() / 60),
            _ => None,
        };
        Ok(groups
            .into_iter()
            .map(|(group, fs)| {
                let n = fs.len();
                let mut detect: Vec<i64> = fs
                    .iter()
                    .filter_map(|f| minutes(f.started, f.detected))
                    .collect();
                let mut mitigate: Vec<i64> = fs
                    .iter()
                    .filter_map(|f| minutes(f.started, f.mitigated))
                    .collect();
                let mut resolve: Vec<i64> = fs
                    .iter()
                    .filter_map(|f| minutes(f.started, f.resolved))
                    .collect();
                let mut review: Vec<i64> = fs
                    .iter()
                    .filter_map(|f| minutes(f.started, f.published))
                    .collect();
                let mut close_days: Vec<i64> = fs
                    .iter()
                    .flat_map(|f| f.close_days.iter().copied())
                    .collect();
                let near_misses = fs.iter().filter(|f| f.near_miss).count();
                let near_miss_reports = reports_in(&group);
                let run = exp_run.get(&group).copied().unwrap_or(0);
                let done = exp_done.get(&group).copied().unwrap_or((0, 0));
                let premortem_foresight = foresight
                    .get(&group)
                    .filter(|f| f.1 > 0)
                    .map(|f| f.0 as f64 / f.1 as f64);
                let retro = retro_actions.get(&group).copied().unwrap_or((0, 0));
                let held = retros_held.get(&group).copied().unwrap_or(0);
                let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
                let (actions, closed) = fs
                    .iter()
                    .fold((0, 0), |(a, c), f| (a + f.actions.0, c + f.actions.1));
                MetricsRow {
                    group,
                    incidents: n,
                    detect_median: quantile(&mut detect, 0.5),
                    detect_p90: quantile(&mut detect, 0.9),
                    mitigate_median: quantile(&mut mitigate, 0.5),
                    mitigate_p90: quantile(&mut mitigate, 0.9),
                    resolve_median: quantile(&mut resolve, 0.5),
                    resolve_p90: quantile(&mut resolve, 0.9),
                    review_median: quantile(&mut review, 0.5),
                    review_p90: quantile(&mut review, 0.9),
                    near_misses,
                    near_miss_reports,
                    near_miss_ratio: if n + near_miss_reports == 0 {
                        0.0
                    } else {
                        (near_misses + near_miss_reports) as f64 / (n + near_miss_reports) as f64
                    },
                    beyond_technical: share(
                        fs.iter()
                            .filter(|f| {
                                f.levels
                                    .iter()
                                    .any(|l| l == "process" || l == "organization")
                            })
                            .count(),
                    ),
                    monitoring_gaps: fs
                        .iter()
                        .filter(|f| f.categories.contains("monitoring"))
                        .count(),
                    signals_promoted: fs.iter().filter(|f| f.signal).count(),
                    action_closure: if actions == 0 {
                        0.0
                    } else {
                        closed as f64 / actions as f64
                    },
                    recurrence: share(fs.iter().filter(|f| f.repeat).count()),
                    action_close_days_median: quantile(&mut close_days, 0.5),
                    action_close_days_p90: quantile(&mut close_days, 0.9),
                    experiments_run: run,
                    experiments_concluded: done.0,
                    premortem_foresight,
                    experiments_refuted: if done.0 == 0 {
                        0.0
                    } else {
                        done.1 as f64 / done.0 as f64
                    },
                    retros_held: held,
                    retro_actions: retro.0,
                    retro_action_closure: if retro.0 == 0 {
                        0.0
                    } else {
                        retro.1 as f64 / retro.0 as f64
                    },
                }
            })
            .collect())
    }
}
