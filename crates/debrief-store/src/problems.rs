//! Problems: incidents that recur as one, and a Pareto view of what incidents have in common.
//!
//! Problems are computed on demand from the similar-incident scores (`similar.rs`): incidents
//! joined by a resemblance of at least [`LINK_SCORE`] form a cluster (connected components),
//! and each cluster of two or more is a problem. Computing again keeps each problem's number:
//! a cluster takes the number of the stored problem it overlaps most, so adding incidents
//! grows problems instead of renumbering them. A person can link an incident to a problem or
//! unlink it by hand (`problem_incidents.how`), and that wins over the computation.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use debrief_core::{ActionItem, IncidentId, ProblemId, Status};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store, StoreError};

/// One problem's membership as stored: the incidents computed into it, those a person put
/// in, and those a person kept out. What an export keeps, so that computing again in another
/// store keeps each problem's number and every decision made by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProblemMembers {
    pub id: ProblemId,
    pub title: String,
    pub created: Timestamp,
    #[serde(default)]
    pub computed: Vec<IncidentId>,
    #[serde(default)]
    pub linked: Vec<IncidentId>,
    #[serde(default)]
    pub unlinked: Vec<IncidentId>,
}

/// Resemblance that joins two incidents into one problem (stricter than a suggestion).
pub const LINK_SCORE: f64 = 0.35;

/// What computing the problems did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ProblemsComputed {
    pub problems: usize,
    pub created: usize,
    pub removed: usize,
}

/// One incident of a problem.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemIncident {
    pub id: IncidentId,
    pub title: String,
    pub status: Status,
    pub started: Option<Timestamp>,
    /// `computed` or `linked` (by hand).
    pub how: String,
}

/// A problem with its incidents over time, what they share, and what is still open.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub id: ProblemId,
    pub title: String,
    /// Oldest first.
    pub incidents: Vec<ProblemIncident>,
    /// Contributing-factor categories found in two or more of its incidents, with how many.
    pub shared_factors: Vec<(String, usize)>,
    /// Action items of its incidents not done (nor won't do), with their incident.
    pub open_actions: Vec<(IncidentId, ActionItem)>,
}

/// One bar of a Pareto chart: a value, how many incidents have it, and the running share.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ParetoBar {
    pub value: String,
    pub incidents: i64,
    /// Share of all the bars' counts up to and including this one.
    pub cumulative: f64,
}

/// What recurs across all incidents, most first.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Pareto {
    pub incidents: i64,
    pub factor_categories: Vec<ParetoBar>,
    pub factor_levels: Vec<ParetoBar>,
    pub services: Vec<ParetoBar>,
    pub detection: Vec<ParetoBar>,
}

/// Union-find over incident numbers.
fn clusters(edges: &[(i64, i64)]) -> Vec<BTreeSet<i64>> {
    let mut parent: HashMap<i64, i64> = HashMap::new();
    fn find(parent: &mut HashMap<i64, i64>, x: i64) -> i64 {
        let p = *parent.entry(x).or_insert(x);
        if p == x {
            return x;
        }
        let root = find(parent, p);
        parent.insert(x, root);
        root
    }
    for &(a, b) in edges {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            // The smaller number is the root, so the result does not depend on edge order.
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            parent.insert(hi, lo);
        }
    }
    let mut groups: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let keys: Vec<i64> = parent.keys().copied().collect();
    for x in keys {
        let r = find(&mut parent, x);
        groups.entry(r).or_default().insert(x);
    }
    groups.into_values().filter(|g| g.len() >= 2).collect()
}

/// Neighbours kept per incident when joining incidents into problems.
const NEIGHBOURS: usize = 2;

/// The pairs that are each other's closest ([`NEIGHBOURS`]) resemblances. Joining on every
/// strong pair instead chains unlike incidents together through a few that resemble many.
fn mutual_edges(scored: &[(i64, i64, f64)]) -> Vec<(i64, i64)> {
    let mut near: HashMap<i64, Vec<(f64, i64)>> = HashMap::new();
    for &(a, b, s) in scored {
        near.entry(a).or_default().push((s, b));
        near.entry(b).or_default().push((s, a));
    }
    let mut top: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    for (id, mut list) in near {
        list.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        let mut seen = BTreeSet::new();
        list.retain(|x| seen.insert(x.1));
        top.insert(id, list.iter().take(NEIGHBOURS).map(|x| x.1).collect());
    }
    let mut edges: Vec<(i64, i64)> = top
        .iter()
        .flat_map(|(a, bs)| bs.iter().map(move |b| ((*a).min(*b), (*a).max(*b))))
        .filter(|(a, b)| {
            top.get(a).is_some_and(|t| t.contains(b)) && top.get(b).is_some_and(|t| t.contains(a))
        })
        .collect();
    edges.sort_unstable();
    edges.dedup();
    edges
}

fn bars(rows: Vec<(String, i64)>) -> Vec<ParetoBar> {
    let mut rows = rows;
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let total: i64 = rows.iter().map(|r| r.1).sum();
    let mut running = 0;
    rows.into_iter()
        .map(|(value, incidents)| {
            running += incidents;
            ParetoBar {
                value,
                incidents,
                cumulative: if total == 0 {
                    0.0
                } else {
                    running as f64 / total as f64
                },
            }
        })
        .collect()
}

impl Store {
    /// Computes the problems again from the similar-incident scores; keeps numbers, and
    /// what was linked or unlinked by hand.
    pub async fn compute_problems(&self, now: Timestamp) -> Result<ProblemsComputed> {
        let mut tx = self.begin_write().await?;
        let scored: Vec<(i64, i64, f64)> = sqlx::query(
            "SELECT incident_id, other_id, score FROM similar_incidents WHERE score >= $1",
        )
        .bind(LINK_SCORE)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("incident_id")?,
                r.try_get("other_id")?,
                r.try_get("score")?,
            ))
        })
        .collect::<Result<_>>()?;
        let found = clusters(&mutual_edges(&scored));
        // What is stored: members by problem and how they got there.
        let mut members: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        let mut unlinked: HashSet<(i64, i64)> = HashSet::new();
        let mut linked: HashSet<(i64, i64)> = HashSet::new();
        let stored_titles: HashMap<i64, String> = sqlx::query("SELECT id, title FROM problems")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("title")?)))
            .collect::<Result<_>>()?;
        for r in sqlx::query("SELECT problem_id, incident_id, how FROM problem_incidents")
            .fetch_all(&mut *tx)
            .await?
        {
            let (p, i, how): (i64, i64, String) = (
                r.try_get("problem_id")?,
                r.try_get("incident_id")?,
                r.try_get("how")?,
            );
            match how.as_str() {
                "unlinked" => {
                    unlinked.insert((p, i));
                }
                "linked" => {
                    linked.insert((p, i));
                    members.entry(p).or_default().insert(i);
                }
                _ => {
                    members.entry(p).or_default().insert(i);
                }
            }
        }
        // Each cluster takes the stored problem it overlaps most (each problem once).
        let mut problems_of: HashMap<i64, Vec<i64>> = HashMap::new();
        for (&p, m) in &members {
            for &i in m {
                problems_of.entry(i).or_default().push(p);
            }
        }
        let mut pairs: Vec<(usize, i64, usize)> = Vec::new();
        for (c, cluster) in found.iter().enumerate() {
            let mut overlap: HashMap<i64, usize> = HashMap::new();
            for i in cluster {
                for &p in problems_of.get(i).into_iter().flatten() {
                    *overlap.entry(p).or_default() += 1;
                }
            }
            pairs.extend(overlap.into_iter().map(|(p, n)| (n, p, c)));
        }
        pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut problem_of: HashMap<usize, i64> = HashMap::new();
        let mut taken: BTreeSet<i64> = BTreeSet::new();
        for (_, p, c) in pairs {
            if !problem_of.contains_key(&c) && !taken.contains(&p) {
                problem_of.insert(c, p);
                taken.insert(p);
            }
        }
        // Each cluster is named after its first incident (by number), as it is now.
        let firsts: Vec<i64> = found
            .iter()
            .filter_map(|c| c.iter().next().copied())
            .collect();
        let mut titles: HashMap<i64, String> = HashMap::new();
        for chunk in firsts.chunks(500) {
            let list = (1..=chunk.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("SELECT id, title FROM incidents WHERE id IN ({list})");
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&mut *tx).await? {
                titles.insert(r.try_get("id")?, r.try_get("title")?);
            }
        }
        let mut next = stored_titles.keys().copied().max().unwrap_or(0) + 1;
        let mut created = 0;
        let created_at = debrief_core::time::format_time(now);
        let mut new_problems: Vec<(i64, String)> = Vec::new();
        let mut rows: Vec<(i64, i64)> = Vec::new();
        for (c, cluster) in found.iter().enumerate() {
            let first = *cluster.iter().next().unwrap_or(&0);
            let title = format!(
                "Recurring: {}",
                titles.get(&first).map(String::as_str).unwrap_or("")
            );
            let p = match problem_of.get(&c) {
                Some(&p) => {
                    if stored_titles.get(&p) != Some(&title) {
                        sqlx::query("UPDATE problems SET title = $1 WHERE id = $2")
                            .bind(&title)
                            .bind(p)
                            .execute(&mut *tx)
                            .await?;
                    }
                    p
                }
                None => {
                    new_problems.push((next, title));
                    created += 1;
                    next += 1;
                    next - 1
                }
            };
            for &i in cluster {
                if !unlinked.contains(&(p, i)) && !linked.contains(&(p, i)) {
                    rows.push((p, i));
                }
            }
        }
        sqlx::query("DELETE FROM problem_incidents WHERE how = 'computed'")
            .execute(&mut *tx)
            .await?;
        for chunk in new_problems.chunks(300) {
            let values = (0..chunk.len())
                .map(|n| format!("(${}, ${}, ${})", 3 * n + 1, 3 * n + 2, 3 * n + 3))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("INSERT INTO problems (id, title, created) VALUES {values}");
            let mut q = sqlx::query(&sql);
            for (id, title) in chunk {
                q = q.bind(*id).bind(title.as_str()).bind(created_at.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in rows.chunks(400) {
            let values = (0..chunk.len())
                .map(|n| format!("(${}, ${}, 'computed')", 2 * n + 1, 2 * n + 2))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO problem_incidents (problem_id, incident_id, how) VALUES {values}"
            );
            let mut q = sqlx::query(&sql);
            for (p, i) in chunk {
                q = q.bind(*p).bind(*i);
            }
            q.execute(&mut *tx).await?;
        }
        // A problem with no incident left, computed or linked, is gone.
        let removed = sqlx::query(
            "DELETE FROM problems WHERE id NOT IN
                 (SELECT problem_id FROM problem_incidents WHERE how IN ('computed', 'linked'))",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let problems: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM problems")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ProblemsComputed {
            problems: usize::try_from(problems).unwrap_or(0),
            created,
            removed: usize::try_from(removed).unwrap_or(0),
        })
    }

    /// Puts an incident into a problem by hand (`linked`), or keeps it out (`!linked`), so
    /// computing again does not undo it.
    pub async fn link_problem(
        &self,
        problem: ProblemId,
        incident: IncidentId,
        linked: bool,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM problems WHERE id = $1")
            .bind(problem.0)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(problem.to_string()));
        }
        let incident_exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM incidents WHERE id = $1")
                .bind(incident.0)
                .fetch_optional(&mut *tx)
                .await?;
        if incident_exists.is_none() {
            return Err(StoreError::NotFound(incident.to_string()));
        }
        sqlx::query(
            "INSERT INTO problem_incidents (problem_id, incident_id, how) VALUES ($1, $2, $3)
             ON CONFLICT (problem_id, incident_id) DO UPDATE SET how = excluded.how",
        )
        .bind(problem.0)
        .bind(incident.0)
        .bind(if linked { "linked" } else { "unlinked" })
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every problem with its members as stored, by number.
    pub async fn problem_members(&self) -> Result<Vec<ProblemMembers>> {
        let mut tx = self.begin_read().await?;
        let rows = sqlx::query(
            "SELECT p.id, p.title, p.created, i.incident_id, i.how FROM problems p
             JOIN problem_incidents i ON i.problem_id = p.id ORDER BY p.id, i.incident_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut out: Vec<ProblemMembers> = Vec::new();
        for r in rows {
            let id = ProblemId(r.try_get("id")?);
            if out.last().is_none_or(|d| d.id != id) {
                let created: String = r.try_get("created")?;
                out.push(ProblemMembers {
                    id,
                    title: r.try_get("title")?,
                    created: created.parse().map_err(|e| StoreError::Corrupt {
                        table: "problems",
                        message: format!("created: {e}"),
                    })?,
                    computed: Vec::new(),
                    linked: Vec::new(),
                    unlinked: Vec::new(),
                });
            }
            let d = out.last_mut().expect("pushed above");
            let incident = IncidentId(r.try_get("incident_id")?);
            match r.try_get::<String, _>("how")?.as_str() {
                "computed" => d.computed.push(incident),
                "linked" => d.linked.push(incident),
                _ => d.unlinked.push(incident),
            }
        }
        Ok(out)
    }

    /// Stores problems read from an export with their members: a problem missing here is
    /// created under its number; one of that number with another title is a conflict
    /// (numbers are per store). Members are added (computing again rewrites the computed
    /// ones). One transaction. Returns (created, updated, unchanged) problems.
    pub async fn import_problem_members(
        &self,
        all: &[ProblemMembers],
    ) -> Result<(usize, usize, usize)> {
        let stored = self.problem_members().await?;
        let mut tx = self.begin_write().await?;
        let (mut created, mut updated, mut unchanged) = (0, 0, 0);
        for d in all {
            let mut d = d.clone();
            d.computed.sort();
            d.linked.sort();
            d.unlinked.sort();
            if stored.contains(&d) {
                unchanged += 1;
                continue;
            }
            let title: Option<String> =
                sqlx::query_scalar("SELECT title FROM problems WHERE id = $1")
                    .bind(d.id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            match title {
                Some(t) if t != d.title => {
                    return Err(StoreError::Conflict(format!(
                        "{} in this store is {t:?}, not {:?}; nothing was imported",
                        d.id, d.title
                    )));
                }
                Some(_) => updated += 1,
                None => {
                    sqlx::query("INSERT INTO problems (id, title, created) VALUES ($1, $2, $3)")
                        .bind(d.id.0)
                        .bind(&d.title)
                        .bind(debrief_core::time::format_time(d.created))
                        .execute(&mut *tx)
                        .await?;
                    created += 1;
                }
            }
            for (incidents, how) in [
                (&d.computed, "computed"),
                (&d.linked, "linked"),
                (&d.unlinked, "unlinked"),
            ] {
                for i in incidents {
                    let found: Option<i64> =
                        sqlx::query_scalar("SELECT id FROM incidents WHERE id = $1")
                            .bind(i.0)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if found.is_none() {
                        return Err(StoreError::NotFound(format!(
                            "incident {i}, which {} names",
                            d.id
                        )));
                    }
                    sqlx::query(
                        "INSERT INTO problem_incidents (problem_id, incident_id, how)
                         VALUES ($1, $2, $3)
                         ON CONFLICT (problem_id, incident_id) DO UPDATE SET how = excluded.how",
                    )
                    .bind(d.id.0)
                    .bind(i.0)
                    .bind(how)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok((created, updated, unchanged))
    }

    /// Every problem, the largest first.
    pub async fn problems(&self) -> Result<Vec<Problem>> {
        let mut out = self.read_problems(None).await?;
        out.sort_by(|a, b| {
            b.incidents
                .len()
                .cmp(&a.incidents.len())
                .then(a.id.cmp(&b.id))
        });
        Ok(out)
    }

    /// One problem with its incidents, shared factors and open actions.
    pub async fn problem(&self, id: ProblemId) -> Result<Problem> {
        self.read_problems(Some(id))
            .await?
            .pop()
            .ok_or_else(|| StoreError::NotFound(id.to_string()))
    }

    /// Problems (all, or one) in four queries however many there are: the problems, their
    /// incidents, those incidents' factor categories and their action items.
    async fn read_problems(&self, only: Option<ProblemId>) -> Result<Vec<Problem>> {
        let (cond, bind) = match only {
            Some(id) => ("p.problem_id = $1", id.0),
            None => ("p.problem_id >= $1", i64::MIN),
        };
        let mut tx = self.begin_read().await?;
        let mut problems: BTreeMap<i64, Problem> = BTreeMap::new();
        for r in sqlx::query(if only.is_some() {
            "SELECT id, title FROM problems WHERE id = $1"
        } else {
            "SELECT id, title FROM problems WHERE id >= $1"
        })
        .bind(bind)
        .fetch_all(&mut *tx)
        .await?
        {
            let id: i64 = r.try_get("id")?;
            problems.insert(
                id,
                Problem {
                    id: ProblemId(id),
                    title: r.try_get("title")?,
                    incidents: Vec::new(),
                    shared_factors: Vec::new(),
                    open_actions: Vec::new(),
                },
            );
        }
        let members =
            format!("FROM problem_incidents p WHERE {cond} AND p.how IN ('computed', 'linked')");
        for r in sqlx::query(&format!(
            "SELECT p.problem_id, i.id, i.title, i.status, i.started_at, p.how
             {members_join}",
            members_join = members.replacen(
                "FROM problem_incidents p",
                "FROM problem_incidents p JOIN incidents i ON i.id = p.incident_id",
                1
            )
        ))
        .bind(bind)
        .fetch_all(&mut *tx)
        .await?
        {
            let pid: i64 = r.try_get("problem_id")?;
            let started: Option<String> = r.try_get("started_at")?;
            if let Some(p) = problems.get_mut(&pid) {
                p.incidents.push(ProblemIncident {
                    id: IncidentId(r.try_get("id")?),
                    title: r.try_get("title")?,
                    status: crate::incidents::parse_col(&r, "incidents", "status")?,
                    started: crate::incidents::time_col(started),
                    how: r.try_get("how")?,
                });
            }
        }
        // Factor categories: problem → category → incidents with it.
        let mut categories: BTreeMap<i64, BTreeMap<String, BTreeSet<i64>>> = BTreeMap::new();
        for r in sqlx::query(&format!(
            "SELECT p.problem_id, f.incident_id, f.category
             {}",
            members.replacen(
                "FROM problem_incidents p",
                "FROM problem_incidents p JOIN factors f ON f.incident_id = p.incident_id",
                1
            )
        ))
        .bind(bind)
        .fetch_all(&mut *tx)
        .await?
        {
            categories
                .entry(r.try_get("problem_id")?)
                .or_default()
                .entry(r.try_get("category")?)
                .or_default()
                .insert(r.try_get("incident_id")?);
        }
        for r in sqlx::query(&format!(
            "SELECT p.problem_id, a.*
             {} AND a.status NOT IN ('done', 'wont-do')
             ORDER BY p.problem_id, a.incident_id, a.position",
            members.replacen(
                "FROM problem_incidents p",
                "FROM problem_incidents p JOIN action_items a ON a.incident_id = p.incident_id",
                1
            )
        ))
        .bind(bind)
        .fetch_all(&mut *tx)
        .await?
        {
            let pid: i64 = r.try_get("problem_id")?;
            if let Some(p) = problems.get_mut(&pid) {
                p.open_actions.push((
                    IncidentId(r.try_get("incident_id")?),
                    crate::incidents::action_from_row(&r)?,
                ));
            }
        }
        tx.commit().await?;
        for (pid, p) in &mut problems {
            p.incidents
                .sort_by(|a, b| a.started.cmp(&b.started).then(a.id.cmp(&b.id)));
            // Open actions in the order of the incidents, oldest first.
            let order: HashMap<IncidentId, usize> = p
                .incidents
                .iter()
                .enumerate()
                .map(|(n, i)| (i.id, n))
                .collect();
            p.open_actions
                .sort_by_key(|(i, a)| (order.get(i).copied().unwrap_or(usize::MAX), a.id));
            let mut shared: Vec<(String, usize)> = categories
                .remove(pid)
                .unwrap_or_default()
                .into_iter()
                .map(|(c, ids)| (c, ids.len()))
                .filter(|(_, n)| *n >= 2)
                .collect();
            shared.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            p.shared_factors = shared;
        }
        Ok(problems.into_values().collect())
    }

    /// Counts across all incidents: factor categories and levels, services and how incidents
    /// were detected, each most first with the running share.
    pub async fn pareto(&self) -> Result<Pareto> {
        let mut tx = self.begin_read().await?;
        let counts = |rows: Vec<sqlx::any::AnyRow>| -> Result<Vec<(String, i64)>> {
            rows.iter()
                .map(|r| Ok((r.try_get("v")?, r.try_get("n")?)))
                .collect()
        };
        let incidents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents")
            .fetch_one(&mut *tx)
            .await?;
        let categories = counts(
            sqlx::query("SELECT category AS v, COUNT(DISTINCT incident_id) AS n FROM factors GROUP BY category")
                .fetch_all(&mut *tx)
                .await?,
        )?;
        let levels = counts(
            sqlx::query(
                "SELECT level AS v, COUNT(DISTINCT incident_id) AS n FROM factors GROUP BY level",
            )
            .fetch_all(&mut *tx)
            .await?,
        )?;
        let services = counts(
            sqlx::query("SELECT service AS v, COUNT(DISTINCT incident_id) AS n FROM incident_services GROUP BY service")
                .fetch_all(&mut *tx)
                .await?,
        )?;
        let detection = counts(
            sqlx::query("SELECT COALESCE(detection, 'unknown') AS v, COUNT(*) AS n FROM incidents GROUP BY COALESCE(detection, 'unknown')")
                .fetch_all(&mut *tx)
                .await?,
        )?;
        tx.commit().await?;
        Ok(Pareto {
            incidents,
            factor_categories: bars(categories),
            factor_levels: bars(levels),
            services: bars(services),
            detection: bars(detection),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_are_connected_components_of_two_or_more() {
        let got = clusters(&[(1, 2), (3, 4), (2, 5), (6, 6), (4, 7)]);
        let want: Vec<BTreeSet<i64>> = vec![[1, 2, 5].into(), [3, 4, 7].into()];
        assert_eq!(got, want);
        assert_eq!(clusters(&[(5, 2), (2, 1)]), clusters(&[(1, 2), (2, 5)]));
    }

    #[test]
    fn a_hub_does_not_chain_everything_together() {
        // 9 resembles all four; 1-2 and 3-4 resemble each other more.
        let scored = [
            (1, 2, 0.9),
            (3, 4, 0.9),
            (1, 9, 0.5),
            (2, 9, 0.5),
            (3, 9, 0.6),
            (4, 9, 0.6),
        ];
        let got = clusters(&mutual_edges(&scored));
        assert!(
            got.iter().all(|c| !(c.contains(&1) && c.contains(&3))),
            "{got:?}"
        );
        assert!(got.iter().any(|c| c.contains(&1) && c.contains(&2)));
    }

    #[test]
    fn pareto_bars_run_to_one() {
        let b = bars(vec![("a".into(), 1), ("b".into(), 3)]);
        assert_eq!(b[0].value, "b");
        assert!((b[1].cumulative - 1.0).abs() < 1e-12);
    }
}
