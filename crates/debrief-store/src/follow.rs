//! Follow-through: whether the action items promised in reviews get done, how long they take,
//! and which closed ones did not stop the failure from coming back.
//!
//! "Closed but recurred" is read, not stored: an item closed on day D of an incident in a
//! problem (`problems.rs`) whose problem has an incident that started after D. A problem gets
//! a new incident → every item of its earlier incidents closed before it is marked. An item
//! decided in a retro is read through the incidents the retro looked back on.

use std::collections::{BTreeMap, HashMap};

use debrief_core::{ActionId, ActionStatus, IncidentId, ProblemId};
use jiff::civil::Date;
use serde::Serialize;
use sqlx::Row;

use crate::{ActionFilter, ActionSource, Result, Store};

/// Open items older than this (days since opened) are stale.
pub const STALE_DAYS: i64 = 60;

/// An item closed before its problem came back.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Recurred {
    pub action: ActionId,
    pub title: String,
    /// The incident it addressed: its own, or one its retro looked back on.
    pub incident: IncidentId,
    pub closed: Date,
    pub problem: ProblemId,
    /// The first incident of the problem that started after the item was closed.
    pub came_back: IncidentId,
    /// What people said about whether it worked (`action edit --worked`), if they did.
    pub worked: Option<bool>,
}

/// How action items are followed through.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FollowThrough {
    pub total: usize,
    pub open: usize,
    pub closed: usize,
    /// Closed (done or won't do) of all items.
    pub closure_rate: f64,
    pub overdue: usize,
    /// Open and opened more than [`STALE_DAYS`] days ago.
    pub stale: usize,
    /// Days since opened, of open items: median and 90th percentile.
    pub open_age_median: Option<i64>,
    pub open_age_p90: Option<i64>,
    /// Days from opened to closed, of closed items.
    pub time_to_close_median: Option<i64>,
    pub time_to_close_p90: Option<i64>,
    /// Closed items people judged: it worked, it did not.
    pub worked: usize,
    pub did_not_work: usize,
    pub recurred: Vec<Recurred>,
}

/// The value at quantile `q` (nearest rank) of sorted `v`.
fn quantile(v: &[i64], q: f64) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    let rank = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

fn days(from: Date, to: Date) -> i64 {
    (to - from).get_days().into()
}

impl Store {
    /// The follow-through of every action item, as of `today`.
    pub async fn follow_through(&self, today: Date) -> Result<FollowThrough> {
        let rows = self.list_actions(&ActionFilter::default()).await?;
        let mut open_ages = Vec::new();
        let mut to_close = Vec::new();
        let (mut open, mut closed, mut overdue, mut stale) = (0, 0, 0, 0);
        let (mut worked, mut did_not_work) = (0, 0);
        for r in &rows {
            let a = &r.action;
            if matches!(a.status, ActionStatus::Done | ActionStatus::WontDo) {
                closed += 1;
                match a.worked {
                    Some(true) => worked += 1,
                    Some(false) => did_not_work += 1,
                    None => {}
                }
                if let (Some(o), Some(c)) = (a.opened, a.closed) {
                    to_close.push(days(o, c).max(0));
                }
            } else {
                open += 1;
                if a.due.is_some_and(|d| d < today) {
                    overdue += 1;
                }
                if let Some(o) = a.opened {
                    let age = days(o, today).max(0);
                    open_ages.push(age);
                    if age > STALE_DAYS {
                        stale += 1;
                    }
                }
            }
        }
        open_ages.sort_unstable();
        to_close.sort_unstable();
        // Problems: their incidents with when they started.
        let mut tx = self.begin_read().await?;
        let members = sqlx::query(
            "SELECT p.problem_id, p.incident_id, i.started_at FROM problem_incidents p
             JOIN incidents i ON i.id = p.incident_id
             WHERE p.how IN ('computed', 'linked')",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut by_problem: BTreeMap<i64, Vec<(String, i64)>> = BTreeMap::new();
        let mut problems_of: HashMap<i64, Vec<i64>> = HashMap::new();
        for m in members {
            let (p, i): (i64, i64) = (m.try_get("problem_id")?, m.try_get("incident_id")?);
            let started: Option<String> = m.try_get("started_at")?;
            if let Some(s) = started.filter(|s| !s.is_empty()) {
                by_problem.entry(p).or_default().push((s, i));
            }
            problems_of.entry(i).or_default().push(p);
        }
        for v in by_problem.values_mut() {
            v.sort();
        }
        // The incidents each retro looked back on, read only when a retro has items.
        let mut retro_incidents: HashMap<i64, Vec<IncidentId>> = HashMap::new();
        if rows
            .iter()
            .any(|r| matches!(r.source, ActionSource::Retro(_)))
        {
            for r in self.retros().await? {
                if let Some(id) = r.id {
                    retro_incidents.insert(id.0, r.incidents);
                }
            }
        }
        let mut recurred = Vec::new();
        for r in &rows {
            let a = &r.action;
            let (Some(id), Some(closed_on)) = (a.id, a.closed) else {
                continue;
            };
            if !matches!(a.status, ActionStatus::Done | ActionStatus::WontDo) {
                continue;
            }
            let addressed: &[IncidentId] = match &r.source {
                ActionSource::Incident(i) => std::slice::from_ref(i),
                ActionSource::Retro(retro) => retro_incidents
                    .get(&retro.0)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
            };
            // Days are compared as the start of the next day: an incident that started the
            // day the item closed does not count.
            let after = format!("{}T23:59:59Z", closed_on);
            let came_back = addressed.iter().find_map(|incident| {
                problems_of
                    .get(&incident.0)
                    .into_iter()
                    .flatten()
                    .find_map(|p| {
                        by_problem
                            .get(p)
                            .into_iter()
                            .flatten()
                            .find(|(s, i)| *s > after && !addressed.iter().any(|x| x.0 == *i))
                            .map(|(_, later)| (*incident, *p, *later))
                    })
            });
            if let Some((incident, problem, later)) = came_back {
                recurred.push(Recurred {
                    action: id,
                    title: a.title.clone(),
                    incident,
                    closed: closed_on,
                    problem: ProblemId(problem),
                    came_back: IncidentId(later),
                    worked: a.worked,
                });
            }
        }
        let total = rows.len();
        Ok(FollowThrough {
            total,
            open,
            closed,
            closure_rate: if total == 0 {
                0.0
            } else {
                closed as f64 / total as f64
            },
            overdue,
            stale,
            open_age_median: quantile(&open_ages, 0.5),
            open_age_p90: quantile(&open_ages, 0.9),
            time_to_close_median: quantile(&to_close, 0.5),
            time_to_close_p90: quantile(&to_close, 0.9),
            worked,
            did_not_work,
            recurred,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quantiles_use_the_nearest_rank() {
        assert_eq!(super::quantile(&[], 0.5), None);
        assert_eq!(super::quantile(&[1, 2, 3, 4], 0.5), Some(2));
        assert_eq!(super::quantile(&[1, 2, 3, 4, 100], 0.9), Some(100));
    }
}
