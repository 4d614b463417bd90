//! `debrief experiment …`: fail small and on purpose, and keep what it taught.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use debrief_core::{
    ActionId, Experiment, ExperimentId, ExperimentKind, ExperimentOutcome, IncidentId,
};
use debrief_review::chaos_toolkit::{self, ChaosDocument};
use debrief_store::Store;

use super::output::{clip, emit, emit_json, table};

/// What `experiment new` and `experiment edit` both set.
#[derive(clap::Args, Default)]
pub struct ExperimentFields {
    /// Who and what it can touch: "1% of EU traffic", "one orders pod in staging".
    #[arg(long, value_name = "TEXT")]
    blast_radius: Option<String>,
    /// A metric watched while it runs; repeat for several.
    #[arg(long = "guardrail", value_name = "METRIC")]
    guardrails: Vec<String>,
    /// When to stop it at once.
    #[arg(long, value_name = "TEXT")]
    abort_criteria: Option<String>,
    /// How to undo it.
    #[arg(long, value_name = "TEXT")]
    rollback_plan: Option<String>,
    /// A service it touches; repeat for several.
    #[arg(long = "service", value_name = "NAME")]
    services: Vec<String>,
}

#[derive(Subcommand)]
pub enum ExperimentCommand {
    /// Plan an experiment: what you expect to hold, and how far it can reach.
    #[command(after_help = "Examples:\n  \
        debrief experiment new \"Kill one orders pod\" --kind chaos \\\n    \
        --hypothesis \"Orders keep answering when one replica dies\" \\\n    \
        --blast-radius \"one pod of orders-api in staging\" --guardrail \"orders 5xx rate < 1%\" \\\n    \
        --abort-criteria \"5xx above 2% for a minute\" --rollback-plan \"kubectl rollout restart\"\n\n\
        Kinds: ab-test, canary, feature-flag, chaos, mvp, game-day. Anyone with write access may\n\
        start an experiment without asking, and anyone may stop one, with the reason recorded.")]
    New {
        title: String,
        #[arg(long)]
        kind: ExperimentKind,
        /// What you expect to hold.
        #[arg(long)]
        hypothesis: String,
        #[command(flatten)]
        fields: ExperimentFields,
    },
    /// Start it now: planned → running.
    Start { id: ExperimentId },
    /// Conclude it with what it showed, and what was learned. A refuted hypothesis is
    /// learning, not failure.
    #[command(after_help = "Examples:\n  \
        debrief experiment conclude EXP-3 --outcome refuted --learnings \"The readiness probe lags the kill by 20 s\"\n  \
        debrief experiment conclude EXP-4 --outcome confirmed")]
    Conclude {
        id: ExperimentId,
        /// confirmed, refuted or inconclusive (or aborted, with --reason).
        #[arg(long)]
        outcome: ExperimentOutcome,
        /// What was learned (Markdown).
        #[arg(long)]
        learnings: Option<String>,
        /// Why it was stopped (with --outcome aborted).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Stop it now, by its abort criteria or by anyone's judgement, with the reason.
    Abort {
        id: ExperimentId,
        #[arg(long)]
        reason: String,
    },
    /// Change what it says: title, hypothesis, learnings, blast radius, guardrails, …
    Edit {
        id: ExperimentId,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        hypothesis: Option<String>,
        #[arg(long)]
        learnings: Option<String>,
        #[command(flatten)]
        fields: ExperimentFields,
    },
    /// Link incidents it caused or prevented, and action items that came of it.
    #[command(
        after_help = "Example:\n  debrief experiment link EXP-3 --prevented INC-12 --action A-40"
    )]
    Link {
        id: ExperimentId,
        #[arg(long, value_name = "INC")]
        caused: Vec<IncidentId>,
        #[arg(long, value_name = "INC")]
        prevented: Vec<IncidentId>,
        #[arg(long = "action", value_name = "A")]
        actions: Vec<ActionId>,
    },
    /// List experiments, the most recent first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one experiment.
    Show {
        id: ExperimentId,
        #[arg(long)]
        json: bool,
    },
    /// Read a Chaos Toolkit experiment (planned) or the journal of its run (concluded with
    /// the outcome the run showed).
    #[command(after_help = "Examples:\n  \
        debrief experiment import experiment.json\n  \
        chaos run experiment.json && debrief experiment import journal.json\n\n\
        A journal concludes the experiment of the same title that is not concluded yet, or adds\n\
        a new one. Outcome: aborted when the run was aborted or interrupted; refuted when the\n\
        steady state did not hold after the method (deviated); inconclusive when it was not met\n\
        before the method (which then did not run); confirmed when it held.")]
    Import { file: PathBuf },
    /// Write an experiment as a Chaos Toolkit experiment (debrief's fields in its
    /// extensions), or the journal of its run.
    Export {
        id: ExperimentId,
        /// The journal of its run instead.
        #[arg(long)]
        journal: bool,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

fn apply(e: &mut Experiment, f: ExperimentFields) {
    if let Some(b) = f.blast_radius {
        e.blast_radius = b;
    }
    if !f.guardrails.is_empty() {
        e.guardrails = f.guardrails;
    }
    if let Some(a) = f.abort_criteria {
        e.abort_criteria = a;
    }
    if let Some(r) = f.rollback_plan {
        e.rollback_plan = r;
    }
    if !f.services.is_empty() {
        e.services = f.services;
    }
}

fn outcome_text(e: &Experiment) -> String {
    match e.outcome {
        Some(ExperimentOutcome::Refuted) => "refuted (learned something)".into(),
        Some(o) => o.to_string(),
        None => "-".into(),
    }
}

fn show_text(e: &Experiment) -> String {
    let id = e.id.map(|i| i.to_string()).unwrap_or_default();
    let mut out = format!(
        "{id} {}\n  {} · {}{}\n",
        e.title,
        e.kind.label(),
        e.status,
        match e.outcome {
            Some(_) => format!(" · {}", outcome_text(e)),
            None => String::new(),
        }
    );
    let time = |t: Option<jiff::Timestamp>| t.map(debrief_core::time::format_time);
    if let Some(s) = time(e.started) {
        out.push_str(&format!("  started {s}"));
        if let Some(x) = time(e.ended) {
            out.push_str(&format!(", ended {x}"));
        }
        out.push('\n');
    }
    for (name, text) in [
        ("Hypothesis", &e.hypothesis),
        ("Blast radius", &e.blast_radius),
        ("Abort criteria", &e.abort_criteria),
        ("Rollback plan", &e.rollback_plan),
        ("Why it was stopped", &e.abort_reason),
        ("Learnings", &e.learnings),
    ] {
        if !text.is_empty() {
            out.push_str(&format!("\n{name}:\n"));
            for l in text.lines() {
                out.push_str(&format!("  {l}\n"));
            }
        }
    }
    if !e.guardrails.is_empty() {
        out.push_str("\nGuardrails:\n");
        for g in &e.guardrails {
            out.push_str(&format!("  - {g}\n"));
        }
    }
    let ids = |v: &[IncidentId]| {
        v.iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !e.caused.is_empty() {
        out.push_str(&format!("\nCaused: {}\n", ids(&e.caused)));
    }
    if !e.prevented.is_empty() {
        out.push_str(&format!("\nPrevented: {}\n", ids(&e.prevented)));
    }
    if !e.actions.is_empty() {
        out.push_str(&format!(
            "\nAction items: {}\n",
            e.actions
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out
}

pub async fn run(store: &Store, cmd: ExperimentCommand) -> anyhow::Result<ExitCode> {
    let now = super::now();
    match cmd {
        ExperimentCommand::New {
            title,
            kind,
            hypothesis,
            fields,
        } => {
            let mut e = Experiment::new(title, kind, hypothesis);
            apply(&mut e, fields);
            let id = store.create_experiment(&e).await?;
            emit(&format!(
                "{id} planned; `debrief experiment start {id}` when it begins\n"
            ))?;
        }
        ExperimentCommand::Start { id } => {
            store.update_experiment(id, |e| e.start(now)).await?;
            emit(&format!(
                "{id} is running since {}\n",
                debrief_core::time::format_time(now)
            ))?;
        }
        ExperimentCommand::Conclude {
            id,
            outcome,
            learnings,
            reason,
        } => {
            if outcome == ExperimentOutcome::Aborted && reason.is_none() {
                anyhow::bail!("--outcome aborted needs --reason: why it was stopped");
            }
            let e = store
                .update_experiment(id, |e| e.conclude(outcome, learnings, reason, now))
                .await?;
            emit(&format!(
                "{id} concluded: {}{}\n",
                outcome_text(&e),
                if e.learnings.is_empty() {
                    "; add what was learned with `debrief experiment edit ID --learnings …`"
                } else {
                    ""
                }
            ))?;
        }
        ExperimentCommand::Abort { id, reason } => {
            store
                .update_experiment(id, |e| {
                    e.conclude(ExperimentOutcome::Aborted, None, Some(reason), now)
                })
                .await?;
            emit(&format!("{id} aborted; the reason is recorded\n"))?;
        }
        ExperimentCommand::Edit {
            id,
            title,
            hypothesis,
            learnings,
            fields,
        } => {
            store
                .update_experiment(id, |e| {
                    if let Some(t) = title {
                        e.title = t;
                    }
                    if let Some(h) = hypothesis {
                        e.hypothesis = h;
                    }
                    if let Some(l) = learnings {
                        e.learnings = l;
                    }
                    apply(e, fields);
                    Ok(())
                })
                .await?;
            emit(&format!("{id}: changed\n"))?;
        }
        ExperimentCommand::Link {
            id,
            caused,
            prevented,
            actions,
        } => {
            if caused.is_empty() && prevented.is_empty() && actions.is_empty() {
                anyhow::bail!("nothing to link: give --caused, --prevented or --action");
            }
            store
                .update_experiment(id, |e| {
                    e.caused.extend(caused);
                    e.prevented.extend(prevented);
                    e.actions.extend(actions);
                    Ok(())
                })
                .await?;
            emit(&format!("{id}: linked\n"))?;
        }
        ExperimentCommand::List { json } => {
            let all = store.experiments().await?;
            if json {
                emit_json(&all)?;
            } else if all.is_empty() {
                eprintln!("no experiments; plan one with `debrief experiment new`");
            } else {
                let rows = all
                    .iter()
                    .map(|e| {
                        vec![
                            e.id.map(|i| i.to_string()).unwrap_or_default(),
                            e.kind.to_string(),
                            e.status.to_string(),
                            e.outcome
                                .map(|o| o.to_string())
                                .unwrap_or_else(|| "-".into()),
                            e.started
                                .map(|t| debrief_core::time::utc_date(t).to_string())
                                .unwrap_or_else(|| "-".into()),
                            clip(&e.title, 60),
                        ]
                    })
                    .collect();
                emit(&table(
                    &["id", "kind", "status", "outcome", "started", "title"],
                    rows,
                ))?;
            }
        }
        ExperimentCommand::Show { id, json } => {
            let e = store.get_experiment(id).await?;
            if json {
                emit_json(&e)?;
            } else {
                emit(&show_text(&e))?;
            }
        }
        ExperimentCommand::Import { file } => {
            let meta = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            if meta.len() > chaos_toolkit::MAX_BYTES as u64 {
                anyhow::bail!(
                    "{}: larger than {} MiB",
                    file.display(),
                    chaos_toolkit::MAX_BYTES / 1024 / 1024
                );
            }
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                anyhow::anyhow!(
                    "{}: not UTF-8 (invalid byte at offset {})",
                    file.display(),
                    e.utf8_error().valid_up_to()
                )
            })?;
            let doc = chaos_toolkit::read(&text)
                .map_err(|m| anyhow::anyhow!("{}: {m}", file.display()))?;
            match doc {
                ChaosDocument::Experiment(e) => {
                    let id = store.create_experiment(&e).await?;
                    emit(&format!(
                        "{id} planned from {} (Chaos Toolkit experiment)\n",
                        file.display()
                    ))?;
                }
                ChaosDocument::Journal(run) => {
                    let outcome = run.outcome.unwrap_or(ExperimentOutcome::Inconclusive);
                    let id = store.record_run(&run).await?;
                    emit(&format!(
                        "{id} concluded from the run in {}: {}\n",
                        file.display(),
                        match outcome {
                            ExperimentOutcome::Refuted =>
                                "refuted (the steady state did not hold: learned something)"
                                    .to_string(),
                            o => o.to_string(),
                        }
                    ))?;
                }
            }
        }
        ExperimentCommand::Export {
            id,
            journal,
            output,
        } => {
            let e = store.get_experiment(id).await?;
            let text = if journal {
                let mut j = e.journal.clone().ok_or_else(|| {
                    anyhow::anyhow!("{id} has no journal of a run (import one with `debrief experiment import journal.json`)")
                })?;
                if !j.ends_with('\n') {
                    j.push('\n');
                }
                j
            } else {
                chaos_toolkit::export(&e)
            };
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => emit(&text)?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
