//! `debrief premortem …` (imagine the launch failed; say how) and `debrief near-miss …` (the
//! confidential report, and what a reviewer does with one).

use std::process::ExitCode;

use clap::Subcommand;
use debrief_core::time::parse_date;
use debrief_core::{IncidentId, Premortem, PremortemId, Risk, RiskLevel, Severity};
use debrief_store::Store;

use super::output::{clip, emit, emit_json, table};
use super::today;

#[derive(Subcommand)]
pub enum PremortemCommand {
    /// Start a pre-mortem of a launch or project.
    #[command(
        after_help = "Example:\n  debrief premortem new \"EU checkout launch\" --launch 2026-12-15\n\n\
        Then imagine the launch has failed, and add each way it could have: `premortem add-risk`.\n\
        After the launch, link its incidents to the risks they realised (`premortem link`); an\n\
        incident no risk foresaw is a surprise."
    )]
    New {
        title: String,
        /// The launch day: YYYY-MM-DD or +14d.
        #[arg(long)]
        launch: Option<String>,
    },
    /// Add an imagined failure.
    #[command(
        after_help = "Example:\n  debrief premortem add-risk PM-1 \"The payment provider rate-limits the new region\" \\\n    \
        --likelihood medium --impact high --mitigation \"Ask for a raised limit; queue and retry\" --owner payments"
    )]
    AddRisk {
        id: PremortemId,
        text: String,
        #[arg(long)]
        likelihood: RiskLevel,
        #[arg(long)]
        impact: RiskLevel,
        #[arg(long)]
        mitigation: Option<String>,
        /// The team that owns the mitigation.
        #[arg(long)]
        owner: Option<String>,
        /// The mitigation is in place already.
        #[arg(long)]
        mitigated: bool,
    },
    /// Mark a risk's mitigation as in place (or not).
    Mitigated {
        id: PremortemId,
        /// The risk's number, from `premortem show`.
        risk: usize,
        /// Mark it not mitigated.
        #[arg(long)]
        undo: bool,
    },
    /// Link an incident of the launch to the risk it realised, or, without --risk, as a
    /// surprise no risk foresaw.
    #[command(
        after_help = "Examples:\n  debrief premortem link PM-1 INC-14 --risk 2\n  debrief premortem link PM-1 INC-15            # a surprise"
    )]
    Link {
        id: PremortemId,
        incident: IncidentId,
        #[arg(long)]
        risk: Option<usize>,
    },
    /// List pre-mortems with what they foresaw.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show a pre-mortem: its risks, what was foreseen and mitigated, and the surprises.
    Show {
        id: PremortemId,
        #[arg(long)]
        json: bool,
    },
}

fn rate(r: Option<f64>) -> String {
    r.map_or("-".into(), |r| format!("{:.0}%", r * 100.0))
}

fn show_text(p: &Premortem) -> String {
    let f = p.foresight();
    let id = p.id.map(|i| i.to_string()).unwrap_or_default();
    let mut out = format!(
        "{id} {}{}\n  {} risks ({} mitigated); incidents: {} foreseen, {} surprises; foresight {}\n",
        p.title,
        p.launch
            .map(|d| format!(" (launch {d})"))
            .unwrap_or_default(),
        f.risks,
        f.mitigated,
        f.foreseen,
        f.surprises,
        rate(f.rate)
    );
    if !p.risks.is_empty() {
        out.push_str("\nRisks:\n");
    }
    for (n, r) in p.risks.iter().enumerate() {
        let realised: Vec<String> = p
            .incidents
            .iter()
            .filter(|(_, k)| *k == Some(n + 1))
            .map(|(i, _)| i.to_string())
            .collect();
        out.push_str(&format!(
            "  {}. {} (likelihood {}, impact {}){}{}\n",
            n + 1,
            r.text,
            r.likelihood,
            r.impact,
            if r.mitigated { " · mitigated" } else { "" },
            if realised.is_empty() {
                String::new()
            } else {
                format!(" · realised by {}", realised.join(", "))
            }
        ));
        if !r.mitigation.is_empty() {
            out.push_str(&format!(
                "     mitigation{}: {}\n",
                r.owner
                    .as_deref()
                    .map(|o| format!(" ({o})"))
                    .unwrap_or_default(),
                r.mitigation.replace('\n', " ")
            ));
        }
    }
    let surprises: Vec<String> = p
        .incidents
        .iter()
        .filter(|(_, k)| k.is_none())
        .map(|(i, _)| i.to_string())
        .collect();
    if !surprises.is_empty() {
        out.push_str(&format!(
            "\nSurprises (no risk foresaw them): {}\n",
            surprises.join(", ")
        ));
    }
    out
}

pub async fn run(store: &Store, cmd: PremortemCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PremortemCommand::New { title, launch } => {
            let launch = launch
                .as_deref()
                .map(|d| parse_date(d, today()))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--launch: {e}"))?;
            let id = store
                .create_premortem(&Premortem::new(title, launch))
                .await?;
            emit(&format!(
                "{id} started; add each way the launch could fail with `debrief premortem add-risk {id} …`\n"
            ))?;
        }
        PremortemCommand::AddRisk {
            id,
            text,
            likelihood,
            impact,
            mitigation,
            owner,
            mitigated,
        } => {
            let p = store
                .update_premortem(id, |p| {
                    p.risks.push(Risk {
                        text,
                        likelihood,
                        impact,
                        mitigation: mitigation.unwrap_or_default(),
                        owner,
                        mitigated,
                    });
                    Ok(())
                })
                .await?;
            emit(&format!("{id}: risk {} added\n", p.risks.len()))?;
        }
        PremortemCommand::Mitigated { id, risk, undo } => {
            store
                .update_premortem(id, |p| p.set_mitigated(risk, !undo))
                .await?;
            emit(&format!(
                "{id}: risk {risk} {}\n",
                if undo { "not mitigated" } else { "mitigated" }
            ))?;
        }
        PremortemCommand::Link { id, incident, risk } => {
            let p = store
                .update_premortem(id, |p| {
                    p.link(incident, risk);
                    Ok(())
                })
                .await?;
            let f = p.foresight();
            emit(&format!(
                "{incident} linked to {id} {}; foresight {} ({} foreseen, {} surprises)\n",
                match risk {
                    Some(r) => format!("as risk {r}"),
                    None => "as a surprise".into(),
                },
                rate(f.rate),
                f.foreseen,
                f.surprises
            ))?;
        }
        PremortemCommand::List { json } => {
            let all = store.premortems().await?;
            if json {
                #[derive(serde::Serialize)]
                struct Row<'a> {
                    #[serde(flatten)]
                    premortem: &'a Premortem,
                    foresight: debrief_core::Foresight,
                }
                let rows: Vec<Row> = all
                    .iter()
                    .map(|p| Row {
                        premortem: p,
                        foresight: p.foresight(),
                    })
                    .collect();
                emit_json(&rows)?;
            } else if all.is_empty() {
                eprintln!("no pre-mortems; start one with `debrief premortem new`");
            } else {
                let rows = all
                    .iter()
                    .map(|p| {
                        let f = p.foresight();
                        vec![
                            p.id.map(|i| i.to_string()).unwrap_or_default(),
                            p.launch
                                .map(|d| d.to_string())
                                .unwrap_or_else(|| "-".into()),
                            f.risks.to_string(),
                            f.foreseen.to_string(),
                            f.surprises.to_string(),
                            rate(f.rate),
                            clip(&p.title, 50),
                        ]
                    })
                    .collect();
                emit(&table(
                    &[
                        "id",
                        "launch",
                        "risks",
                        "foreseen",
                        "surprises",
                        "foresight",
                        "title",
                    ],
                    rows,
                ))?;
            }
        }
        PremortemCommand::Show { id, json } => {
            let p = store.get_premortem(id).await?;
            if json {
                emit_json(&serde_json::json!({ "premortem": p, "foresight": p.foresight() }))?;
            } else {
                emit(&show_text(&p))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum NearMissCommand {
    /// Report a near miss, confidentially: what happened or nearly did, what made it
    /// possible, what stopped it. No name, no address, no time finer than the day is kept.
    #[command(
        after_help = "Example:\n  debrief near-miss report --what \"Nearly ran the migration against prod\" \\\n    \
        --made-possible \"Both shells had the same prompt\" --stopped-it \"A colleague asked which host\""
    )]
    Report {
        #[arg(long)]
        what: String,
        #[arg(long, default_value = "")]
        made_possible: String,
        #[arg(long, default_value = "")]
        stopped_it: String,
    },
    /// List the reports, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Turn a report into an incident marked as a near miss, to review like any other.
    Promote {
        /// The report's number, from `near-miss list`.
        id: i64,
        #[arg(long, default_value = "SEV4")]
        severity: Severity,
    },
    /// Put a report on the agenda of the next digest's "failure bows" slot.
    Bow { id: i64 },
}

pub async fn run_near_miss(store: &Store, cmd: NearMissCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        NearMissCommand::Report {
            what,
            made_possible,
            stopped_it,
        } => {
            let id = store
                .report_near_miss(today(), &what, &made_possible, &stopped_it)
                .await?;
            emit(&format!(
                "near-miss report {id} kept (the text and the day only); thank you\n"
            ))?;
        }
        NearMissCommand::List { json } => {
            let all = store.near_misses().await?;
            if json {
                emit_json(&all)?;
            } else if all.is_empty() {
                eprintln!("no near-miss reports");
            } else {
                let rows = all
                    .iter()
                    .map(|n| {
                        vec![
                            n.id.to_string(),
                            n.reported_on.to_string(),
                            n.incident
                                .map(|i| i.to_string())
                                .unwrap_or_else(|| "-".into()),
                            clip(&n.what, 70),
                        ]
                    })
                    .collect();
                emit(&table(&["id", "reported", "incident", "what"], rows))?;
            }
        }
        NearMissCommand::Promote { id, severity } => {
            let incident = store.promote_near_miss(id, severity).await?;
            emit(&format!(
                "near-miss report {id} is {incident}, marked as a near miss; review it like any incident\n"
            ))?;
        }
        NearMissCommand::Bow { id } => {
            let bow = store.near_miss_to_bows(id, today()).await?;
            emit(&format!(
                "near-miss report {id} is on the next digest's failure-bows agenda (bow {bow})\n"
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
