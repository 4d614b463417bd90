//! `debrief problems`: incidents that recur as one, and what all incidents have in common.

use std::process::ExitCode;

use clap::Subcommand;
use debrief_core::time::utc_date;
use debrief_core::{IncidentId, ProblemId};
use debrief_store::{Pareto, Problem, Store};

use super::output::{emit, emit_json};

#[derive(Subcommand)]
pub enum ProblemsCommand {
    /// Compute the problems again and list them, the largest first (the default).
    #[command(
        after_help = "Examples:\n  debrief problems\n  debrief problems list --json\n\n\
        Incidents that resemble each other closely (a similar-incident score of 0.35 or more)\n\
        form one problem. Computing again keeps each problem's number, and keeps what was\n\
        linked or unlinked by hand."
    )]
    List {
        #[arg(long)]
        json: bool,
    },
    /// A problem's incidents over time, their shared factors and open actions.
    Show {
        /// PRB-4 or 4.
        id: ProblemId,
        #[arg(long)]
        json: bool,
    },
    /// Put an incident into a problem by hand (it stays when problems are computed again).
    Link { id: ProblemId, incident: IncidentId },
    /// Keep an incident out of a problem (it stays out when problems are computed again).
    Unlink { id: ProblemId, incident: IncidentId },
    /// What recurs across all incidents: factor categories and levels, services, detection.
    #[command(after_help = "Example:\n  debrief problems pareto --json\n\n\
        Each list is sorted most first, with the running share: the few categories that\n\
        account for most incidents are where process and organization changes pay off.")]
    Pareto {
        #[arg(long)]
        json: bool,
    },
}

fn problem_text(p: &Problem, out: &mut String) {
    let first = p.incidents.first().and_then(|i| i.started);
    let last = p.incidents.last().and_then(|i| i.started);
    out.push_str(&format!(
        "{}  {}  ({} incidents{})\n",
        p.id,
        p.title,
        p.incidents.len(),
        match (first, last) {
            (Some(a), Some(b)) => format!(", {} to {}", utc_date(a), utc_date(b)),
            _ => String::new(),
        }
    ));
    for i in &p.incidents {
        out.push_str(&format!(
            "    {}  {}  {}{}\n",
            i.id,
            i.started
                .map(|t| utc_date(t).to_string())
                .unwrap_or_else(|| "          ".into()),
            i.title,
            if i.how == "linked" {
                "  (linked by hand)"
            } else {
                ""
            }
        ));
    }
    if !p.shared_factors.is_empty() {
        out.push_str(&format!(
            "    shared factors: {}\n",
            p.shared_factors
                .iter()
                .map(|(c, n)| format!("{c} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !p.open_actions.is_empty() {
        out.push_str(&format!(
            "    {} open action items:\n",
            p.open_actions.len()
        ));
        for (inc, a) in &p.open_actions {
            out.push_str(&format!(
                "      {} {} ({}, {})\n",
                a.id.map(|x| x.to_string()).unwrap_or_default(),
                a.title,
                inc,
                a.owner.as_deref().unwrap_or("no owner")
            ));
        }
    }
}

fn pareto_text(p: &Pareto) -> String {
    let mut out = format!("{} incidents\n", p.incidents);
    for (name, bars) in [
        ("factor categories", &p.factor_categories),
        ("factor levels", &p.factor_levels),
        ("services", &p.services),
        ("detection", &p.detection),
    ] {
        out.push_str(&format!("\n{name}\n"));
        if bars.is_empty() {
            out.push_str("  (none recorded)\n");
        }
        for b in bars.iter().take(12) {
            out.push_str(&format!(
                "  {:<24} {:>5}  {:>5.1}%\n",
                b.value,
                b.incidents,
                b.cumulative * 100.0
            ));
        }
    }
    out
}

pub async fn run(store: &Store, cmd: Option<ProblemsCommand>) -> anyhow::Result<ExitCode> {
    match cmd.unwrap_or(ProblemsCommand::List { json: false }) {
        ProblemsCommand::List { json } => {
            let done = store.compute_problems(super::now()).await?;
            let problems = store.problems().await?;
            if json {
                emit_json(&problems)?;
            } else if problems.is_empty() {
                eprintln!("no problems: no two incidents resemble each other closely enough");
            } else {
                let mut out = String::new();
                for p in &problems {
                    problem_text(p, &mut out);
                }
                emit(&out)?;
                eprintln!(
                    "{} problems ({} new, {} gone since last computed)",
                    done.problems, done.created, done.removed
                );
            }
        }
        ProblemsCommand::Show { id, json } => {
            let p = store.problem(id).await?;
            if json {
                emit_json(&p)?;
            } else {
                let mut out = String::new();
                problem_text(&p, &mut out);
                emit(&out)?;
            }
        }
        ProblemsCommand::Link { id, incident } => {
            store.link_problem(id, incident, true).await?;
            emit(&format!("{incident} is in {id}, by hand\n"))?;
        }
        ProblemsCommand::Unlink { id, incident } => {
            store.link_problem(id, incident, false).await?;
            emit(&format!("{incident} is kept out of {id}, by hand\n"))?;
        }
        ProblemsCommand::Pareto { json } => {
            let p = store.pareto().await?;
            if json {
                emit_json(&p)?;
            } else {
                emit(&pareto_text(&p))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
