//! The digest: what a team reads in its weekly meeting. New and published reviews with their
//! lessons, rising weak signals, overdue action items, problems that came back, incidents on
//! this date in past years, and the agenda of a short "failure bows" slot: failures people
//! volunteered to tell, and near misses.
//!
//! This module gathers; rendering (Markdown, HTML for mail) is the caller's.

use std::collections::BTreeSet;

use debrief_core::{
    ActionStatus, IncidentId, InvalidValue, Lesson, ProblemId, ReviewState, Severity,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::Row;

use crate::incidents::{parse_col, time_col};
use crate::{ActionFilter, ActionRow, NearMiss, Result, Store, StoreError};

/// The longest a volunteered failure bow may be.
const MAX_BOW_CHARS: usize = 2_000;
/// Problems, signals and anniversaries shown at most.
const MAX_ITEMS: usize = 10;

/// A review in the digest.
#[derive(Debug, Clone, Serialize)]
pub struct DigestReview {
    pub id: IncidentId,
    pub title: String,
    pub severity: Severity,
    pub review: ReviewState,
    pub services: Vec<String>,
    pub started: Option<Timestamp>,
    pub published: Option<Timestamp>,
    /// The summary's first paragraph, on one line.
    pub summary: String,
    pub lessons: Vec<Lesson>,
    /// Contributing factors by level: technical, process, organization.
    pub factor_levels: Vec<(String, usize)>,
    pub actions_open: usize,
    pub actions_total: usize,
}

/// A problem that had an incident in the window.
#[derive(Debug, Clone, Serialize)]
pub struct DigestProblem {
    pub id: ProblemId,
    pub title: String,
    pub incidents: usize,
    /// Its incidents that started in the window.
    pub new_incidents: Vec<IncidentId>,
    pub open_actions: usize,
}

/// An incident that started on one of the window's days, in an earlier year.
#[derive(Debug, Clone, Serialize)]
pub struct Anniversary {
    pub id: IncidentId,
    pub title: String,
    pub severity: Severity,
    pub started: Timestamp,
    pub years_ago: i16,
}

/// A rising or new weak signal.
#[derive(Debug, Clone, Serialize)]
pub struct DigestSignal {
    pub fingerprint: String,
    pub template: String,
    pub kind: String,
    pub trend: String,
    pub count: u64,
    pub baseline_count: u64,
    pub services: Vec<String>,
}

/// An experiment that started or concluded in the window.
#[derive(Debug, Clone, Serialize)]
pub struct DigestExperiment {
    pub id: debrief_core::ExperimentId,
    pub title: String,
    pub kind: debrief_core::ExperimentKind,
    pub status: debrief_core::ExperimentStatus,
    pub outcome: Option<debrief_core::ExperimentOutcome>,
    /// The hypothesis's first paragraph, on one line.
    pub hypothesis: String,
    /// What was learned, first paragraph, on one line.
    pub learnings: String,
}

/// A pre-mortem whose launch falls in the window, with what it foresaw so far.
#[derive(Debug, Clone, Serialize)]
pub struct DigestLaunch {
    pub id: debrief_core::PremortemId,
    pub title: String,
    pub launch: Date,
    pub foresight: debrief_core::Foresight,
}

/// A retrospective of the window, with the action items its close decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestRetro {
    pub id: debrief_core::RetroId,
    pub title: String,
    pub team: Option<String>,
    pub held: Date,
    pub closed: Option<Date>,
    pub items: usize,
    pub actions: Vec<debrief_core::ActionItem>,
}

/// A failure someone volunteered to tell in the "failure bows" slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bow {
    pub id: i64,
    pub added_on: Date,
    pub text: String,
}

/// The agenda of the "failure bows" slot.
#[derive(Debug, Clone, Serialize)]
pub struct BowAgenda {
    pub volunteered: Vec<Bow>,
    pub near_miss_reports: Vec<NearMiss>,
    /// Incidents marked as near misses that started in the window.
    pub near_miss_incidents: Vec<(IncidentId, String)>,
}

/// Everything in one digest.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub from: Timestamp,
    pub until: Timestamp,
    /// Reviews first published in the window.
    pub published: Vec<DigestReview>,
    /// Incidents that started in the window, whose review is not published yet (near misses
    /// are on the bows agenda instead).
    pub new_incidents: Vec<DigestReview>,
    pub rising_signals: Vec<DigestSignal>,
    /// Open action items past their due date, the most overdue first.
    pub overdue: Vec<ActionRow>,
    pub problems: Vec<DigestProblem>,
    /// Experiments concluded in the window (a refuted hypothesis is learning), then those
    /// started in it and still running.
    pub experiments: Vec<DigestExperiment>,
    /// Launches in the window that had a pre-mortem.
    pub launches: Vec<DigestLaunch>,
    /// Retros closed in the window (with what they decided), then those held in it and
    /// still open.
    pub retros: Vec<DigestRetro>,
    pub on_this_day: Vec<Anniversary>,
    pub bows: BowAgenda,
}

impl Digest {
    /// Nothing happened and nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.published.is_empty()
            && self.new_incidents.is_empty()
            && self.rising_signals.is_empty()
            && self.overdue.is_empty()
            && self.problems.is_empty()
            && self.experiments.is_empty()
            && self.launches.is_empty()
            && self.retros.is_empty()
            && self.on_this_day.is_empty()
            && self.bows.volunteered.is_empty()
            && self.bows.near_miss_reports.is_empty()
            && self.bows.near_miss_incidents.is_empty()
    }
}

/// The first paragraph of a Markdown text, on one line, cut at `max` characters.
fn first_paragraph(text: &str, max: usize) -> String {
    let para: Vec<&str> = text
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    debrief_core::text::one_line(&para.join(" "), max)
}

/// What a bow may say: something, and not a whole story.
fn check_bow(text: &str) -> std::result::Result<(), InvalidValue> {
    if text.is_empty() {
        return Err(InvalidValue::new("say what you will tell"));
    }
    if text.chars().count() > MAX_BOW_CHARS {
        return Err(InvalidValue::new(format!(
            "a failure bow is at most {MAX_BOW_CHARS} characters; the story is told in the meeting"
        )));
    }
    Ok(())
}

impl Bow {
    /// Checks a bow read from elsewhere (an export).
    pub fn validate(&self) -> std::result::Result<(), InvalidValue> {
        if self.id < 1 {
            return Err(InvalidValue::new(format!(
                "bow {} has no valid number",
                self.id
            )));
        }
        check_bow(self.text.trim())
            .map_err(|e| InvalidValue::new(format!("bow {}: {}", self.id, e.message)))
    }
}

impl Store {
    /// Volunteers a failure to tell in the next "failure bows" slot; returns its number. No
    /// name is kept: the person tells it themselves.
    pub async fn add_bow(&self, today: Date, text: &str) -> Result<i64> {
        let text = text.trim();
        check_bow(text)?;
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM bows")
            .fetch_one(&mut *tx)
            .await?
            .try_get("next")?;
        sqlx::query("INSERT INTO bows (id, added_on, text) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(today.to_string())
            .bind(text)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stores bows read from an export under their numbers: new ones created, changed ones
    /// replaced, equal ones left. One transaction. Returns (created, updated, unchanged).
    pub async fn import_bows(&self, bows: &[Bow]) -> Result<(usize, usize, usize)> {
        let stored = self.bows(None).await?;
        let mut tx = self.begin_write().await?;
        let (mut created, mut updated, mut unchanged) = (0, 0, 0);
        for b in bows {
            b.validate()?;
            let b = Bow {
                text: b.text.trim().to_string(),
                ..b.clone()
            };
            match stored.iter().find(|s| s.id == b.id) {
                Some(s) if *s == b => {
                    unchanged += 1;
                    continue;
                }
                Some(_) => updated += 1,
                None => created += 1,
            }
            sqlx::query(
                "INSERT INTO bows (id, added_on, text) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET added_on = excluded.added_on, text = excluded.text",
            )
            .bind(b.id)
            .bind(b.added_on.to_string())
            .bind(&b.text)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok((created, updated, unchanged))
    }

    /// Volunteered failure bows added on or after `since`, oldest first.
    pub async fn bows(&self, since: Option<Date>) -> Result<Vec<Bow>> {
        let mut tx = self.begin_read().await?;
        let rows =
            sqlx::query("SELECT id, added_on, text FROM bows WHERE added_on >= $1 ORDER BY id")
                .bind(since.map_or(String::new(), |d| d.to_string()))
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(Bow {
                    id: r.try_get("id")?,
                    added_on: parse_col(r, "bows", "added_on")?,
                    text: r.try_get("text")?,
                })
            })
            .collect()
    }

    /// Removes a volunteered bow (told, or withdrawn).
    pub async fn remove_bow(&self, id: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM bows WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("failure bow {id}")));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The digest of the window from `from` to `until` (both included). Weak signals are ranked with `rules`
    /// over the same window, against a baseline four times as long before it.
    pub async fn digest(
        &self,
        rules: &debrief_signals::kinds::Rules,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Digest> {
        if from >= until {
            return Err(InvalidValue::new("the digest's window is empty").into());
        }
        let in_window = |t: Option<Timestamp>| t.is_some_and(|t| t >= from && t <= until);
        let today = debrief_core::time::utc_date(until);

        // Every incident's start, review state and publication: one query.
        let mut tx = self.begin_read().await?;
        let rows = sqlx::query(
            "SELECT id, title, severity, near_miss, review_state, started_at, published_at
             FROM incidents",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut published_ids = Vec::new();
        let mut new_ids = Vec::new();
        let mut near_miss_incidents = Vec::new();
        let mut on_this_day = Vec::new();
        let days: BTreeSet<(i8, i8)> = {
            let mut d = debrief_core::time::utc_date(from);
            let mut set = BTreeSet::new();
            while d <= today && set.len() < 366 {
                set.insert((d.month(), d.day()));
                d = d.tomorrow().map_err(|e| InvalidValue::new(e.to_string()))?;
            }
            set
        };
        for r in &rows {
            let id = IncidentId(r.try_get("id")?);
            let started = time_col(r.try_get("started_at")?);
            let published = time_col(r.try_get("published_at")?);
            let review: ReviewState = parse_col(r, "incidents", "review_state")?;
            if in_window(published) {
                published_ids.push((published, id));
            } else if in_window(started)
                && review != ReviewState::Published
                && r.try_get::<i64, _>("near_miss")? == 0
            {
                new_ids.push((started, id));
            }
            if in_window(started) && r.try_get::<i64, _>("near_miss")? != 0 {
                near_miss_incidents.push((id, r.try_get::<String, _>("title")?));
            }
            if let Some(s) = started {
                let day = debrief_core::time::utc_date(s);
                let years_ago = today.year() - day.year();
                if years_ago >= 1 && days.contains(&(day.month(), day.day())) {
                    on_this_day.push(Anniversary {
                        id,
                        title: r.try_get("title")?,
                        severity: parse_col(r, "incidents", "severity")?,
                        started: s,
                        years_ago,
                    });
                }
            }
        }
        tx.commit().await?;
        published_ids.sort();
        new_ids.sort();
        near_miss_incidents.sort();
        on_this_day
            .sort_by(|a, b| (a.severity, b.years_ago, a.id).cmp(&(b.severity, a.years_ago, b.id)));
        on_this_day.truncate(MAX_ITEMS);

        let mut published = Vec::with_capacity(published_ids.len());
        for (_, id) in published_ids {
            published.push(self.digest_review(id).await?);
        }
        let mut new_incidents = Vec::with_capacity(new_ids.len());
        for (_, id) in new_ids {
            new_incidents.push(self.digest_review(id).await?);
        }

        let mut overdue = self
            .list_actions(&ActionFilter {
                overdue_on: Some(today),
                ..ActionFilter::default()
            })
            .await?;
        overdue.sort_by_key(|r| (r.action.due, r.action.id));

        let problems = self.recurring_problems(from, until).await?;

        let window = until.as_second() - from.as_second();
        let report = self
            .signal_report(
                rules,
                &debrief_signals::report::ReportOptions {
                    until: self
                        .newest_signal_end()
                        .await?
                        .map_or(until.as_second(), |end| end.min(until.as_second())),
                    window,
                    baseline: window * 4,
                    kinds: Vec::new(),
                    service: None,
                    cascade_window: 15 * 60,
                    limit: 100,
                    bars: 24,
                },
            )
            .await?;
        let rising_signals = report
            .signals
            .into_iter()
            .filter(|s| {
                matches!(
                    s.trend,
                    debrief_signals::report::Trend::New | debrief_signals::report::Trend::Rising
                )
            })
            .take(MAX_ITEMS)
            .map(|s| DigestSignal {
                fingerprint: s.fingerprint,
                template: s.template,
                kind: s.kind.to_string(),
                trend: s.trend.as_str().to_string(),
                count: s.count,
                baseline_count: s.baseline_count,
                services: s.services.into_iter().filter(|s| !s.is_empty()).collect(),
            })
            .collect();

        let (started, concluded) = self.experiments_between(Some(from), Some(until)).await?;
        let mut experiments: Vec<DigestExperiment> = Vec::new();
        for e in concluded.iter().chain(
            started
                .iter()
                .filter(|e| e.status != debrief_core::ExperimentStatus::Concluded),
        ) {
            if let Some(id) = e.id {
                experiments.push(DigestExperiment {
                    id,
                    title: e.title.clone(),
                    kind: e.kind,
                    status: e.status,
                    outcome: e.outcome,
                    hypothesis: first_paragraph(&e.hypothesis, 300),
                    learnings: first_paragraph(&e.learnings, 400),
                });
            }
        }

        let from_day = debrief_core::time::utc_date(from);
        let launches = self
            .premortems()
            .await?
            .into_iter()
            .filter_map(|p| {
                let launch = p.launch.filter(|d| *d >= from_day && *d <= today)?;
                Some(DigestLaunch {
                    id: p.id?,
                    foresight: p.foresight(),
                    title: p.title,
                    launch,
                })
            })
            .collect();
        let (held, closed) = self.retros_between(Some(from_day), Some(today)).await?;
        let retros = closed
            .into_iter()
            .chain(held.into_iter().filter(|r| r.closed.is_none()))
            .filter_map(|r| {
                Some(DigestRetro {
                    id: r.id?,
                    items: r.items.len(),
                    title: r.title,
                    team: r.team,
                    held: r.held,
                    closed: r.closed,
                    actions: r.actions,
                })
            })
            .collect();
        let near_miss_reports = self
            .near_misses()
            .await?
            .into_iter()
            .filter(|n| n.reported_on >= from_day && n.reported_on <= today)
            .rev()
            .collect();
        let volunteered = self
            .bows(Some(from_day))
            .await?
            .into_iter()
            .filter(|b| b.added_on <= today)
            .collect();
        Ok(Digest {
            from,
            until,
            published,
            new_incidents,
            rising_signals,
            overdue,
            problems,
            experiments,
            launches,
            retros,
            on_this_day,
            bows: BowAgenda {
                volunteered,
                near_miss_reports,
                near_miss_incidents,
            },
        })
    }

    async fn digest_review(&self, id: IncidentId) -> Result<DigestReview> {
        let i = self.get_incident(id).await?;
        let mut levels: Vec<(String, usize)> = Vec::new();
        for f in &i.factors {
            let level = f.level.as_str().to_string();
            match levels.iter_mut().find(|(l, _)| *l == level) {
                Some((_, n)) => *n += 1,
                None => levels.push((level, 1)),
            }
        }
        Ok(DigestReview {
            id,
            summary: first_paragraph(&i.summary, 300),
            actions_open: i
                .actions
                .iter()
                .filter(|a| !matches!(a.status, ActionStatus::Done | ActionStatus::WontDo))
                .count(),
            actions_total: i.actions.len(),
            title: i.title,
            severity: i.severity,
            review: i.review,
            services: i.services,
            started: i.started,
            published: i.published,
            lessons: i.lessons,
            factor_levels: levels,
        })
    }

    /// Problems with an incident that started in the window, the largest first.
    async fn recurring_problems(
        &self,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<DigestProblem>> {
        let mut tx = self.begin_read().await?;
        let rows = sqlx::query(
            "SELECT p.problem_id, p.incident_id, i.started_at FROM problem_incidents p
             JOIN incidents i ON i.id = p.incident_id
             WHERE p.how IN ('computed', 'linked')
               AND p.problem_id IN (
                 SELECT q.problem_id FROM problem_incidents q
                 JOIN incidents j ON j.id = q.incident_id
                 WHERE q.how IN ('computed', 'linked') AND j.started_at >= $1 AND j.started_at <= $2)
             ORDER BY p.problem_id, p.incident_id",
        )
        .bind(debrief_core::time::format_time(from))
        .bind(debrief_core::time::format_time(until))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut out: Vec<DigestProblem> = Vec::new();
        for r in rows {
            let pid = ProblemId(r.try_get("problem_id")?);
            let iid = IncidentId(r.try_get("incident_id")?);
            let started = time_col(r.try_get("started_at")?);
            if out.last().is_none_or(|p| p.id != pid) {
                out.push(DigestProblem {
                    id: pid,
                    title: String::new(),
                    incidents: 0,
                    new_incidents: Vec::new(),
                    open_actions: 0,
                });
            }
            let p = out.last_mut().expect("pushed above");
            p.incidents += 1;
            if started.is_some_and(|t| t >= from && t <= until) {
                p.new_incidents.push(iid);
            }
        }
        // Only problems that came back: an earlier incident, then one in the window.
        out.retain(|p| p.incidents >= 2);
        out.sort_by(|a, b| b.incidents.cmp(&a.incidents).then(a.id.cmp(&b.id)));
        out.truncate(MAX_ITEMS);
        for p in &mut out {
            let full = self.problem(p.id).await?;
            p.title = full.title;
            p.open_actions = full.open_actions.len();
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_paragraph_is_one_line() {
        assert_eq!(
            super::first_paragraph("\n\nThe pool\nran dry.\n\nThen more.", 100),
            "The pool ran dry."
        );
        assert_eq!(super::first_paragraph("", 100), "");
    }
}
