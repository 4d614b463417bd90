//! An experiment: failing small and on purpose to learn before an outage teaches it. A
//! hypothesis, the blast radius, guardrail metrics, abort criteria and a rollback plan;
//! planned → running → concluded, with an outcome and what was learned. A refuted hypothesis
//! is learning, never failure: the outcome says what the experiment showed, not whether
//! anyone did well.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::incident::{block, line, single_line};
use crate::{
    ActionId, ExperimentId, ExperimentKind, ExperimentOutcome, ExperimentStatus, IncidentId,
    InvalidValue,
};

/// One experiment and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// `None` until the store has given it a number.
    pub id: Option<ExperimentId>,
    pub title: String,
    pub kind: ExperimentKind,
    /// What is expected to hold: "checkout keeps answering when one replica dies".
    pub hypothesis: String,
    /// Who and what it can touch: "1% of EU traffic", "one pod of orders-api in staging".
    #[serde(default)]
    pub blast_radius: String,
    /// Metrics watched while it runs, one a line.
    #[serde(default)]
    pub guardrails: Vec<String>,
    /// When to stop it at once.
    #[serde(default)]
    pub abort_criteria: String,
    #[serde(default)]
    pub rollback_plan: String,
    #[serde(default)]
    pub services: Vec<String>,
    pub status: ExperimentStatus,
    pub started: Option<Timestamp>,
    pub ended: Option<Timestamp>,
    pub outcome: Option<ExperimentOutcome>,
    /// What was learned, in Markdown.
    #[serde(default)]
    pub learnings: String,
    /// Why it was aborted, when it was.
    #[serde(default)]
    pub abort_reason: String,
    /// Incidents it caused, and incidents it prevented (a weakness found and fixed first).
    #[serde(default)]
    pub caused: Vec<IncidentId>,
    #[serde(default)]
    pub prevented: Vec<IncidentId>,
    /// Action items that came of it.
    #[serde(default)]
    pub actions: Vec<ActionId>,
    /// The Chaos Toolkit experiment it was imported from, as JSON text (kept so export gives
    /// it back), and the journal of its run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chaos_toolkit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<String>,
}

impl Experiment {
    /// A planned experiment with nothing else filled in.
    pub fn new(
        title: impl Into<String>,
        kind: ExperimentKind,
        hypothesis: impl Into<String>,
    ) -> Self {
        Experiment {
            id: None,
            title: title.into(),
            kind,
            hypothesis: hypothesis.into(),
            blast_radius: String::new(),
            guardrails: Vec::new(),
            abort_criteria: String::new(),
            rollback_plan: String::new(),
            services: Vec::new(),
            status: ExperimentStatus::Planned,
            started: None,
            ended: None,
            outcome: None,
            learnings: String::new(),
            abort_reason: String::new(),
            caused: Vec::new(),
            prevented: Vec::new(),
            actions: Vec::new(),
            chaos_toolkit: None,
            journal: None,
        }
    }

    /// Text in the one form debrief keeps (as [`crate::Incident::normalize`]).
    pub fn normalize(&mut self) {
        self.title = line(&self.title);
        self.hypothesis = block(&self.hypothesis);
        self.blast_radius = block(&self.blast_radius);
        self.abort_criteria = block(&self.abort_criteria);
        self.rollback_plan = block(&self.rollback_plan);
        self.learnings = block(&self.learnings);
        self.abort_reason = block(&self.abort_reason);
        self.guardrails = self
            .guardrails
            .iter()
            .map(|g| line(g))
            .filter(|g| !g.is_empty())
            .collect();
        self.services = self.services.iter().map(|s| line(s)).collect();
        for list in [&mut self.caused, &mut self.prevented] {
            list.sort();
            list.dedup();
        }
        self.actions.sort();
        self.actions.dedup();
    }

    /// The rules of a valid experiment; the first broken one, named.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        single_line("title", &self.title, true)?;
        if self.title.chars().count() > 300 {
            return Err(InvalidValue::new("title is longer than 300 characters"));
        }
        if self.hypothesis.trim().is_empty() {
            return Err(InvalidValue::new(
                "the hypothesis is empty: say what you expect to hold (\"checkout keeps answering when one replica dies\")",
            ));
        }
        for (what, text) in [
            ("hypothesis", &self.hypothesis),
            ("blast radius", &self.blast_radius),
            ("abort criteria", &self.abort_criteria),
            ("rollback plan", &self.rollback_plan),
            ("learnings", &self.learnings),
            ("abort reason", &self.abort_reason),
        ] {
            if text
                .chars()
                .any(|c| c.is_control() && c != '\t' && c != '\n')
            {
                return Err(InvalidValue::new(format!(
                    "{what} holds a control character"
                )));
            }
            if text.chars().count() > 20_000 {
                return Err(InvalidValue::new(format!(
                    "{what} is longer than 20,000 characters"
                )));
            }
        }
        for g in &self.guardrails {
            single_line("a guardrail", g, true)?;
        }
        for s in &self.services {
            if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == ',') {
                return Err(InvalidValue::new(format!(
                    "service {s:?} is not a service name (one word, no spaces or commas)"
                )));
            }
        }
        if let (Some(s), Some(e)) = (self.started, self.ended) {
            if e < s {
                return Err(InvalidValue::new(format!(
                    "ended ({e}) is before started ({s})"
                )));
            }
        }
        match (self.status, self.outcome) {
            (ExperimentStatus::Concluded, None) => {
                return Err(InvalidValue::new(
                    "a concluded experiment needs an outcome: confirmed, refuted, inconclusive or aborted",
                ));
            }
            (ExperimentStatus::Planned | ExperimentStatus::Running, Some(o)) => {
                return Err(InvalidValue::new(format!(
                    "the experiment is {} but has the outcome {o}; conclude it to give one",
                    self.status
                )));
            }
            _ => {}
        }
        if self.status == ExperimentStatus::Running && self.started.is_none() {
            return Err(InvalidValue::new(
                "a running experiment needs its start time",
            ));
        }
        if self.outcome == Some(ExperimentOutcome::Aborted) && self.abort_reason.trim().is_empty() {
            return Err(InvalidValue::new(
                "an aborted experiment needs the reason it was stopped",
            ));
        }
        if let Some(i) = self.caused.iter().find(|i| self.prevented.contains(i)) {
            return Err(InvalidValue::new(format!(
                "{i} is listed as both caused and prevented"
            )));
        }
        Ok(())
    }

    /// Starts it at `now`: planned → running.
    pub fn start(&mut self, now: Timestamp) -> Result<(), InvalidValue> {
        if self.status != ExperimentStatus::Planned {
            return Err(InvalidValue::new(format!(
                "the experiment is {}, not planned; only a planned experiment starts",
                self.status
            )));
        }
        self.status = ExperimentStatus::Running;
        self.started = Some(now);
        Ok(())
    }

    /// Concludes it at `now` with `outcome` and what was learned. A planned experiment may be
    /// concluded too (aborted before it ran, or run elsewhere and recorded after).
    pub fn conclude(
        &mut self,
        outcome: ExperimentOutcome,
        learnings: Option<String>,
        abort_reason: Option<String>,
        now: Timestamp,
    ) -> Result<(), InvalidValue> {
        if self.status == ExperimentStatus::Concluded {
            return Err(InvalidValue::new(format!(
                "the experiment is concluded already ({})",
                self.outcome.map(|o| o.as_str()).unwrap_or("no outcome")
            )));
        }
        self.status = ExperimentStatus::Concluded;
        self.outcome = Some(outcome);
        if self.ended.is_none() {
            self.ended = Some(now);
        }
        if let Some(l) = learnings {
            self.learnings = l;
        }
        if let Some(r) = abort_reason {
            self.abort_reason = r;
        }
        self.normalize();
        self.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn an_experiment_runs_planned_running_concluded() {
        let mut e = Experiment::new(
            "Kill one orders pod",
            ExperimentKind::Chaos,
            "Orders keep answering",
        );
        e.validate().unwrap();
        e.start(ts("2026-01-01T10:00:00Z")).unwrap();
        assert!(e.start(ts("2026-01-01T10:00:00Z")).is_err(), "starts once");
        e.conclude(
            ExperimentOutcome::Refuted,
            Some("The readiness probe lags the kill by 20 s.".into()),
            None,
            ts("2026-01-01T10:30:00Z"),
        )
        .unwrap();
        assert_eq!(e.status, ExperimentStatus::Concluded);
        assert_eq!(e.ended, Some(ts("2026-01-01T10:30:00Z")));
        assert!(
            e.conclude(
                ExperimentOutcome::Confirmed,
                None,
                None,
                ts("2026-01-02T00:00:00Z")
            )
            .is_err()
        );
    }

    #[test]
    fn broken_experiments_say_what_is_wrong() {
        let base = Experiment::new("T", ExperimentKind::Canary, "H");
        type Change = Box<dyn Fn(&mut Experiment)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|e| e.hypothesis.clear()), "hypothesis is empty"),
            (Box::new(|e| e.title = "a\nb".into()), "single line"),
            (
                Box::new(|e| e.outcome = Some(ExperimentOutcome::Confirmed)),
                "conclude it to give one",
            ),
            (
                Box::new(|e| e.status = ExperimentStatus::Concluded),
                "needs an outcome",
            ),
            (
                Box::new(|e| {
                    e.status = ExperimentStatus::Concluded;
                    e.outcome = Some(ExperimentOutcome::Aborted);
                }),
                "needs the reason",
            ),
            (
                Box::new(|e| {
                    e.started = Some(ts("2026-01-02T00:00:00Z"));
                    e.ended = Some(ts("2026-01-01T00:00:00Z"));
                }),
                "is before started",
            ),
            (
                Box::new(|e| {
                    e.caused = vec![IncidentId(3)];
                    e.prevented = vec![IncidentId(3)];
                }),
                "both caused and prevented",
            ),
            (
                Box::new(|e| e.services = vec!["a b".into()]),
                "not a service name",
            ),
        ];
        for (change, want) in cases {
            let mut e = base.clone();
            change(&mut e);
            let err = e.validate().unwrap_err();
            assert!(
                err.message.contains(want),
                "{} does not say {want:?}",
                err.message
            );
        }
    }
}
