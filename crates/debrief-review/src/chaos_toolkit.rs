//! Chaos Toolkit documents in and out: an experiment (`experiment.json`: title, description,
//! steady-state hypothesis with probes and their tolerances, method, rollbacks) and the
//! journal `chaos run` writes (`journal.json`: the experiment, start and end, status,
//! whether the steady state deviated, every activity's result).
//!
//! Field meanings follow the Chaos Toolkit's published experiment and journal references
//! (chaostoolkit.org, "Experiment" and "Journal" API pages) and chaoslib's validation: an
//! experiment needs a non-empty title and description and a `method` list; a journal's
//! status is `completed`, `failed`, `aborted` or `interrupted`, and `deviated` is true when
//! the steady state did not hold after the method.
//!
//! What debrief adds (kind, blast radius, abort criteria, outcome, learnings, …) travels in
//! the experiment's `extensions` as `{"name": "debrief", …}`, the place the format keeps for
//! tools, so an exported experiment still runs with `chaos run`.

use debrief_core::{Experiment, ExperimentKind, ExperimentOutcome, ExperimentStatus};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

/// The longest document read.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// What a Chaos Toolkit file held.
#[derive(Debug, Clone, PartialEq)]
pub enum ChaosDocument {
    /// An experiment, not yet run (planned).
    Experiment(Experiment),
    /// The journal of a run: the experiment, concluded with the outcome the run showed.
    Journal(Experiment),
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `name (tolerance 200)` for a probe of the steady-state hypothesis.
fn probe_line(p: &Value) -> Option<String> {
    let name = text(p, "name").or_else(|| text(p, "ref"))?;
    Some(match p.get("tolerance") {
        Some(t) => format!("{name} (tolerance {})", compact(t, 80)),
        None => name.to_string(),
    })
}

fn compact(v: &Value, max: usize) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    debrief_core::text::one_line(&s, max)
}

/// What an activity does, on one line: `action kill-one-orders-pod (python chaosk8s.pod.actions.terminate_pods)`.
fn activity_line(a: &Value) -> Option<String> {
    let name = text(a, "name").or_else(|| text(a, "ref"))?;
    let kind = text(a, "type").unwrap_or("activity");
    let provider = a.get("provider");
    let how = provider.map(|p| {
        let t = text(p, "type").unwrap_or("");
        let what = match t {
            "python" => format!(
                "{}.{}",
                text(p, "module").unwrap_or("?"),
                text(p, "func").unwrap_or("?")
            ),
            "http" => format!(
                "{} {}",
                text(p, "method").unwrap_or("GET"),
                text(p, "url").unwrap_or("?")
            ),
            "process" => text(p, "path").unwrap_or("?").to_string(),
            _ => String::new(),
        };
        format!("{t} {what}").trim().to_string()
    });
    Some(match how {
        Some(h) if !h.is_empty() => format!("{kind} {name} ({h})"),
        _ => format!("{kind} {name}"),
    })
}

/// The experiment an experiment document describes.
fn experiment_of(doc: &Value) -> Result<Experiment, String> {
    let obj = doc
        .as_object()
        .ok_or("a Chaos Toolkit experiment is a JSON object")?;
    let title =
        text(doc, "title").ok_or("the experiment has no title (Chaos Toolkit requires one)")?;
    let description = text(doc, "description")
        .ok_or("the experiment has no description (Chaos Toolkit requires one)")?;
    let method = obj
        .get("method")
        .ok_or("the experiment has no method (Chaos Toolkit requires the list, even empty)")?
        .as_array()
        .ok_or("the experiment's method is not a list of activities")?;
    let ssh = obj.get("steady-state-hypothesis");
    if let Some(h) = ssh {
        if !h.is_object() {
            return Err("steady-state-hypothesis is not an object".into());
        }
    }
    let probes: Vec<&Value> = ssh
        .and_then(|h| h.get("probes"))
        .and_then(Value::as_array)
        .map(|p| p.iter().collect())
        .unwrap_or_default();
    let hypothesis = match ssh.and_then(|h| text(h, "title")) {
        Some(t) => format!("{t}\n\n{description}"),
        None => description.to_string(),
    };
    let mut e = Experiment::new(
        debrief_core::text::one_line(title, 300),
        ExperimentKind::Chaos,
        hypothesis,
    );
    e.guardrails = probes.iter().filter_map(|p| probe_line(p)).collect();
    let steps: Vec<String> = method.iter().filter_map(activity_line).collect();
    if !steps.is_empty() {
        e.blast_radius = format!("Method:\n\n{}", bullets(&steps));
    }
    let rollbacks: Vec<String> = obj
        .get("rollbacks")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(activity_line).collect())
        .unwrap_or_default();
    if !rollbacks.is_empty() {
        e.rollback_plan = bullets(&rollbacks);
    }
    // What debrief wrote into the extensions when it exported this experiment.
    if let Some(ext) = obj
        .get("extensions")
        .and_then(Value::as_array)
        .and_then(|x| x.iter().find(|x| text(x, "name") == Some("debrief")))
    {
        if let Some(k) = text(ext, "kind") {
            e.kind = k
                .parse()
                .map_err(|err: debrief_core::InvalidValue| err.message)?;
        }
        for (key, field) in [
            ("hypothesis", &mut e.hypothesis),
            ("blast_radius", &mut e.blast_radius),
            ("abort_criteria", &mut e.abort_criteria),
            ("rollback_plan", &mut e.rollback_plan),
            ("learnings", &mut e.learnings),
        ] {
            if let Some(v) = text(ext, key) {
                *field = v.to_string();
            }
        }
        for (key, list) in [
            ("guardrails", &mut e.guardrails),
            ("services", &mut e.services),
        ] {
            if let Some(items) = ext.get(key).and_then(Value::as_array) {
                *list = items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
            }
        }
    }
    e.chaos_toolkit = Some(serde_json::to_string_pretty(doc).map_err(|err| err.to_string())?);
    Ok(e)
}

fn bullets(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("- {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A journal's time: chaoslib writes UTC without an offset, with microseconds.
fn journal_time(v: &Value, key: &str) -> Result<Option<Timestamp>, String> {
    let Some(s) = text(v, key) else {
        return Ok(None);
    };
    debrief_core::time::parse_time(s, Timestamp::UNIX_EPOCH)
        .map(Some)
        .map_err(|_| format!("the journal's {key} {s:?} is not a time"))
}

/// What a run showed, from the journal: aborted when it was stopped, refuted when the steady
/// state did not hold after the method, confirmed when it held, inconclusive when the
/// baseline was not met first (the method never ran) or nothing was checked.
pub fn outcome_of(journal: &Value) -> (ExperimentOutcome, String) {
    let status = text(journal, "status").unwrap_or("");
    let deviated = journal.get("deviated").and_then(Value::as_bool) == Some(true);
    let states = journal.get("steady_states");
    let met = |phase: &str| {
        states
            .and_then(|s| s.get(phase))
            .and_then(|p| p.get("steady_state_met"))
            .and_then(Value::as_bool)
    };
    let missed: Vec<String> = states
        .and_then(|s| s.get("after"))
        .and_then(|a| a.get("probes"))
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter(|p| p.get("tolerance_met").and_then(Value::as_bool) == Some(false))
                .filter_map(|p| p.get("activity").and_then(probe_line))
                .collect()
        })
        .unwrap_or_default();
    let during_missed = states
        .and_then(|s| s.get("during"))
        .and_then(Value::as_array)
        .is_some_and(|d| {
            d.iter()
                .any(|p| p.get("steady_state_met").and_then(Value::as_bool) == Some(false))
        });
    match status {
        "aborted" | "interrupted" => (
            ExperimentOutcome::Aborted,
            format!("The run was {status} before it finished (Chaos Toolkit journal)."),
        ),
        _ if deviated => (
            ExperimentOutcome::Refuted,
            if missed.is_empty() {
                "The steady state did not hold after the method.".to_string()
            } else {
                format!(
                    "The steady state did not hold after the method: {}.",
                    missed.join("; ")
                )
            },
        ),
        "failed" if met("before") == Some(false) => (
            ExperimentOutcome::Inconclusive,
            "The steady state was not met before the method, so the method did not run."
                .to_string(),
        ),
        "failed" if during_missed => (
            ExperimentOutcome::Refuted,
            "The steady state did not hold while the method ran.".to_string(),
        ),
        "completed" if met("after") == Some(true) => (
            ExperimentOutcome::Confirmed,
            "The steady state held before and after the method.".to_string(),
        ),
        _ => (
            ExperimentOutcome::Inconclusive,
            format!(
                "The run ended {} without a steady state checked after the method.",
                if status.is_empty() {
                    "with no status"
                } else {
                    status
                }
            ),
        ),
    }
}

/// Reads a Chaos Toolkit experiment or journal.
pub fn read(text_in: &str) -> Result<ChaosDocument, String> {
    if text_in.len() > MAX_BYTES {
        return Err(format!(
            "the file is larger than {} MiB",
            MAX_BYTES / 1024 / 1024
        ));
    }
    let doc: Value = serde_json::from_str(text_in)
        .map_err(|e| format!("not JSON at line {}, column {}: {e}", e.line(), e.column()))?;
    let is_journal =
        doc.get("experiment").is_some_and(Value::is_object) && doc.get("status").is_some();
    if !is_journal {
        return experiment_of(&doc).map(ChaosDocument::Experiment);
    }
    let mut e =
        experiment_of(&doc["experiment"]).map_err(|m| format!("the journal's experiment: {m}"))?;
    let (outcome, summary) = outcome_of(&doc);
    e.started = journal_time(&doc, "start")?;
    e.ended = journal_time(&doc, "end")?;
    if let (Some(s), None) = (e.started, e.ended) {
        e.ended = Some(s);
    }
    e.status = ExperimentStatus::Concluded;
    e.outcome = Some(outcome);
    if outcome == ExperimentOutcome::Aborted {
        e.abort_reason = summary.clone();
    }
    e.learnings = if e.learnings.is_empty() {
        format!("What the run showed: {summary}")
    } else {
        format!("{}\n\nWhat the run showed: {summary}", e.learnings)
    };
    e.journal = Some(serde_json::to_string_pretty(&doc).map_err(|err| err.to_string())?);
    Ok(ChaosDocument::Journal(e))
}

/// The experiment as a Chaos Toolkit experiment document: the imported one when there is
/// one, else one made from its fields (with an empty method, to be filled in), carrying
/// debrief's fields in `extensions`.
pub fn export(e: &Experiment) -> String {
    let mut doc: Value = e
        .chaos_toolkit
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| {
            let first = e.hypothesis.lines().next().unwrap_or("").to_string();
            json!({
                "version": "1.0.0",
                "title": e.title,
                "description": e.hypothesis,
                "tags": [e.kind.as_str()],
                "steady-state-hypothesis": { "title": first, "probes": [] },
                "method": [],
                "rollbacks": [],
            })
        });
    let mut ext = Map::new();
    ext.insert("name".into(), json!("debrief"));
    if let Some(id) = e.id {
        ext.insert("id".into(), json!(id.to_string()));
    }
    ext.insert("kind".into(), json!(e.kind.as_str()));
    ext.insert("status".into(), json!(e.status.as_str()));
    if let Some(o) = e.outcome {
        ext.insert("outcome".into(), json!(o.as_str()));
    }
    for (key, value) in [
        ("hypothesis", &e.hypothesis),
        ("blast_radius", &e.blast_radius),
        ("abort_criteria", &e.abort_criteria),
        ("rollback_plan", &e.rollback_plan),
        ("learnings", &e.learnings),
    ] {
        if !value.is_empty() {
            ext.insert(key.into(), json!(value));
        }
    }
    ext.insert("guardrails".into(), json!(e.guardrails));
    ext.insert("services".into(), json!(e.services));
    let obj = doc.as_object_mut().expect("an object");
    let mut extensions: Vec<Value> = obj
        .get("extensions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    extensions.retain(|x| text(x, "name") != Some("debrief"));
    extensions.push(Value::Object(ext));
    obj.insert("extensions".into(), Value::Array(extensions));
    let mut out = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPERIMENT: &str = r#"{
      "version": "1.0.0",
      "title": "Orders survive a pod kill",
      "description": "Killing one orders pod should be absorbed by the others.",
      "steady-state-hypothesis": {
        "title": "The orders health endpoint answers 200",
        "probes": [{"type": "probe", "name": "orders-healthy", "tolerance": 200,
                    "provider": {"type": "http", "url": "http://orders/health"}}]
      },
      "method": [{"type": "action", "name": "kill-one-pod",
                  "provider": {"type": "python", "module": "chaosk8s.pod.actions", "func": "terminate_pods"}}],
      "rollbacks": [{"type": "action", "name": "restart",
                     "provider": {"type": "process", "path": "kubectl"}}]
    }"#;

    fn journal(status: &str, deviated: bool, before: bool, after: Option<bool>) -> String {
        let after = match after {
            Some(met) => json!({"steady_state_met": met, "probes": [{
                "activity": {"type": "probe", "name": "orders-healthy", "tolerance": 200},
                "status": "succeeded", "tolerance_met": met}]}),
            None => Value::Null,
        };
        json!({
            "chaoslib-version": "1.42.0",
            "experiment": serde_json::from_str::<Value>(EXPERIMENT).unwrap(),
            "start": "2024-05-02T10:15:30.102311", "end": "2024-05-02T10:15:45.020117",
            "status": status, "deviated": deviated,
            "steady_states": {"before": {"steady_state_met": before, "probes": []}, "after": after, "during": []},
            "run": [], "rollbacks": []
        })
        .to_string()
    }

    #[test]
    fn an_experiment_reads_as_a_planned_chaos_experiment() {
        let ChaosDocument::Experiment(e) = read(EXPERIMENT).unwrap() else {
            panic!("not an experiment")
        };
        assert_eq!(e.title, "Orders survive a pod kill");
        assert_eq!(e.kind, ExperimentKind::Chaos);
        assert_eq!(e.status, ExperimentStatus::Planned);
        assert!(
            e.hypothesis
                .starts_with("The orders health endpoint answers 200")
        );
        assert_eq!(e.guardrails, vec!["orders-healthy (tolerance 200)"]);
        assert!(
            e.blast_radius
                .contains("action kill-one-pod (python chaosk8s.pod.actions.terminate_pods)")
        );
        assert!(e.rollback_plan.contains("action restart (process kubectl)"));
        e.validate().unwrap();
    }

    #[test]
    fn a_journal_concludes_with_what_the_run_showed() {
        for (j, want) in [
            (
                journal("failed", true, true, Some(false)),
                ExperimentOutcome::Refuted,
            ),
            (
                journal("completed", false, true, Some(true)),
                ExperimentOutcome::Confirmed,
            ),
            (
                journal("failed", false, false, None),
                ExperimentOutcome::Inconclusive,
            ),
            (
                journal("interrupted", false, true, None),
                ExperimentOutcome::Aborted,
            ),
            (
                journal("aborted", false, true, None),
                ExperimentOutcome::Aborted,
            ),
        ] {
            let ChaosDocument::Journal(e) = read(&j).unwrap() else {
                panic!("not a journal")
            };
            assert_eq!(e.outcome, Some(want), "{j}");
            assert_eq!(e.status, ExperimentStatus::Concluded);
            assert_eq!(e.started.unwrap().to_string(), "2024-05-02T10:15:30Z");
            e.validate().unwrap();
        }
        let ChaosDocument::Journal(e) = read(&journal("failed", true, true, Some(false))).unwrap()
        else {
            panic!()
        };
        assert!(
            e.learnings
                .contains("did not hold after the method: orders-healthy (tolerance 200)"),
            "{}",
            e.learnings
        );
    }

    #[test]
    fn export_gives_the_experiment_back_with_debriefs_fields() {
        let ChaosDocument::Experiment(mut e) = read(EXPERIMENT).unwrap() else {
            panic!()
        };
        e.learnings = "The readiness probe lags by 20 s.".into();
        e.abort_criteria = "Error rate above 2% for a minute".into();
        let out = export(&e);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v["method"][0]["name"], "kill-one-pod",
            "the method is kept: it still runs"
        );
        let ChaosDocument::Experiment(back) = read(&out).unwrap() else {
            panic!()
        };
        assert_eq!(back.learnings, e.learnings);
        assert_eq!(back.abort_criteria, e.abort_criteria);
        assert_eq!(back.guardrails, e.guardrails);
        // One made by hand exports as a valid Chaos Toolkit experiment too.
        let mut made = Experiment::new(
            "Canary 5%",
            ExperimentKind::Canary,
            "Latency stays under 200 ms",
        );
        made.blast_radius = "5% of EU traffic".into();
        let ChaosDocument::Experiment(back) = read(&export(&made)).unwrap() else {
            panic!()
        };
        assert_eq!(back.kind, ExperimentKind::Canary);
        assert_eq!(back.blast_radius, "5% of EU traffic");
    }

    #[test]
    fn bad_documents_say_why() {
        for (doc, want) in [
            ("{", "not JSON at line 1"),
            ("[]", "JSON object"),
            (r#"{"title": "t", "method": []}"#, "no description"),
            (r#"{"title": "t", "description": "d"}"#, "no method"),
            (r#"{"description": "d", "method": []}"#, "no title"),
            (
                r#"{"title": "t", "description": "d", "method": {}}"#,
                "not a list",
            ),
            (
                r#"{"experiment": {"title": "t", "description": "d", "method": []}, "status": "completed", "start": "yesterday"}"#,
                "is not a time",
            ),
        ] {
            let err = read(doc).unwrap_err();
            assert!(err.contains(want), "{doc}: {err}");
        }
    }
}
