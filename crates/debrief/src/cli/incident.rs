//! `debrief incident …` and the commands that add to a review: timeline, factor, why, lesson.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args as ClapArgs, Subcommand};
use debrief_core::time::{format_time, parse_since, parse_time};
use debrief_core::{
    Detection, Factor, FactorCategory, FactorLevel, Incident, IncidentId, IncidentType,
    InvalidValue, Lesson, LessonKind, Severity, Status, TimelineEntry,
};
use debrief_store::{IncidentFilter, Store};

use super::output::{clip, emit, emit_json, table};
use super::{now, review};

#[derive(Subcommand)]
pub enum IncidentCommand {
    /// Record a new incident.
    #[command(after_help = "Examples:\n  \
        debrief incident new --title \"Checkout fails after config push\" --severity SEV2 --service checkout\n  \
        debrief incident new --title \"Disk nearly full on db-3\" --severity SEV4 --near-miss --detection staff\n\n\
        The incident starts open, with its review in draft. --started defaults to now.")]
    New(NewArgs),
    /// List incidents, newest first.
    #[command(after_help = "Examples:\n  \
        debrief incident list\n  \
        debrief incident list --status open --status mitigated --severity SEV1 --severity SEV2\n  \
        debrief incident list --service checkout --since 30d --json")]
    List(ListArgs),
    /// Show an incident and its whole review.
    #[command(
        after_help = "Examples:\n  debrief incident show INC-3\n  debrief incident show 3 --json"
    )]
    Show {
        /// The incident: INC-3 or 3.
        id: IncidentId,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Incidents that resemble this one, why, and what is still open from them.
    #[command(
        after_help = "Examples:\n  debrief incident similar INC-12\n  debrief incident similar 12 --json\n\n\
        Each incident is scored against the others whenever it is written: telling words in\n\
        common (rare words count more), shared services, shared kinds of contributing factor, and\n\
        weak signals promoted into both. The closest five above 0.2 are kept, with the action\n\
        items of each that are still open: a repeat with open actions is a promise not kept."
    )]
    Similar {
        /// The incident: INC-3 or 3.
        id: IncidentId,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Change an incident's fields, or edit its whole review in $EDITOR.
    #[command(after_help = "Examples:\n  \
        debrief incident edit INC-3 --severity SEV1 --service checkout --service payments\n  \
        debrief incident edit INC-3 --resolved \"2024-03-01 15:10\" --metric users_affected=1200\n  \
        debrief incident edit INC-3          # opens the review document in $VISUAL or $EDITOR\n\n\
        With no field flags, the review opens as Markdown in your editor and is imported when the\n\
        editor exits. If it does not parse, nothing changes and your edit is kept in a file.")]
    Edit(EditArgs),
    /// Move an incident to a new status (open → mitigated → resolved → reviewed → closed).
    #[command(after_help = "Examples:\n  \
        debrief incident status INC-3 mitigated\n  \
        debrief incident status INC-3 resolved --at \"2024-03-01 15:10\"\n  \
        debrief incident status INC-3 open --reopen\n\n\
        Moving to mitigated or resolved records that time (--at, default now) unless one is set.")]
    Status {
        /// The incident: INC-3 or 3.
        id: IncidentId,
        /// open, mitigated, resolved, reviewed or closed.
        status: Status,
        /// When it happened: RFC 3339, \"YYYY-MM-DD HH:MM\" (UTC), \"now\" or \"2h ago\".
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Allow moving back (for example reopening a resolved incident).
        #[arg(long)]
        reopen: bool,
    },
}

#[derive(ClapArgs)]
pub struct NewArgs {
    /// What failed, in a few words.
    #[arg(long)]
    title: String,
    /// SEV1 (worst) to SEV5.
    #[arg(long)]
    severity: Severity,
    /// A service affected; repeat for several.
    #[arg(long = "service", value_name = "SERVICE")]
    services: Vec<String>,
    /// operational, launch (a failed launch or project) or experiment.
    #[arg(long = "type", value_name = "TYPE", default_value = "operational")]
    kind: IncidentType,
    /// Nothing broke, but it nearly did.
    #[arg(long)]
    near_miss: bool,
    /// When it started [default: now].
    #[arg(long, value_name = "TIME")]
    started: Option<String>,
    /// When it was detected.
    #[arg(long, value_name = "TIME")]
    detected: Option<String>,
    /// How it was detected: alert, customer, signal, staff or other.
    #[arg(long)]
    detection: Option<Detection>,
    /// What happened, in a few sentences (Markdown).
    #[arg(long)]
    summary: Option<String>,
    /// Who and what was affected (Markdown).
    #[arg(long)]
    impact: Option<String>,
    /// Print the new incident as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs)]
pub struct ListArgs {
    /// Only this status; repeat for several.
    #[arg(long = "status", value_name = "STATUS")]
    statuses: Vec<Status>,
    /// Only this severity; repeat for several.
    #[arg(long = "severity", value_name = "SEVERITY")]
    severities: Vec<Severity>,
    /// Only incidents that affected this service.
    #[arg(long)]
    service: Option<String>,
    /// Only incidents that started since: a span (24h, 7d, 2w) or a date (2024-03-01).
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// At most this many.
    #[arg(long)]
    limit: Option<i64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(ClapArgs)]
pub struct EditArgs {
    /// The incident: INC-3 or 3.
    id: IncidentId,
    #[arg(long)]
    title: Option<String>,
    #[arg(long)]
    severity: Option<Severity>,
    #[arg(long = "type", value_name = "TYPE")]
    kind: Option<IncidentType>,
    /// true or false.
    #[arg(long, value_name = "BOOL")]
    near_miss: Option<bool>,
    /// Replace the services with these; repeat for several.
    #[arg(long = "service", value_name = "SERVICE")]
    services: Vec<String>,
    #[arg(long, value_name = "TIME")]
    started: Option<String>,
    #[arg(long, value_name = "TIME")]
    detected: Option<String>,
    #[arg(long, value_name = "TIME")]
    mitigated: Option<String>,
    #[arg(long, value_name = "TIME")]
    resolved: Option<String>,
    #[arg(long)]
    detection: Option<Detection>,
    #[arg(long)]
    summary: Option<String>,
    #[arg(long)]
    impact: Option<String>,
    #[arg(long)]
    notes: Option<String>,
    /// Set an impact number, NAME=VALUE (users_affected=1200); repeat for several.
    #[arg(long = "metric", value_name = "NAME=VALUE")]
    metrics: Vec<String>,
}

#[derive(Subcommand)]
pub enum TimelineCommand {
    /// Add an entry to an incident's timeline (kept in time order).
    #[command(after_help = "Example:\n  \
        debrief timeline add INC-3 --at \"2024-03-01 14:02\" \"Error-rate alert fires\" \\\n      \
        --known \"only checkout looked affected\"")]
    Add {
        id: IncidentId,
        /// What happened or was decided.
        text: String,
        /// When: RFC 3339, \"YYYY-MM-DD HH:MM\" (UTC), \"now\" or \"15m ago\".
        #[arg(long, value_name = "TIME")]
        at: String,
        /// What the people involved knew at that moment.
        #[arg(long)]
        known: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum FactorCommand {
    /// Add a contributing factor (there is never just one root cause).
    #[command(after_help = "Example:\n  \
        debrief factor add INC-3 \"Config changes skip the schema check\" --level process --category tooling\n\n\
        Levels: technical, process, organization. Categories (fishbone): tooling, process,\n\
        people (& communication), environment, dependencies, monitoring, management.")]
    Add {
        id: IncidentId,
        /// The condition that contributed, stated about the system, not a person.
        title: String,
        #[arg(long)]
        level: FactorLevel,
        #[arg(long)]
        category: FactorCategory,
        /// More detail (Markdown).
        #[arg(long)]
        description: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum WhyCommand {
    /// Add the next "why" under a contributing factor.
    #[command(after_help = "Example:\n  \
        debrief why add INC-3 F1 \"Why did the bad value ship? Config is not validated like code.\"")]
    Add {
        id: IncidentId,
        /// The factor: F1, F2, … (as `incident show` numbers them) or 1, 2, …
        factor: String,
        text: String,
    },
}

#[derive(Subcommand)]
pub enum LessonCommand {
    /// Add a lesson: what went well, what went wrong, or where we got lucky.
    #[command(after_help = "Example:\n  \
        debrief lesson add INC-3 --kind lucky \"It happened at the lowest traffic of the week\"")]
    Add {
        id: IncidentId,
        /// went-well, went-wrong or lucky.
        #[arg(long)]
        kind: LessonKind,
        text: String,
    },
}

fn time(flag: &str, value: &str) -> anyhow::Result<jiff::Timestamp> {
    parse_time(value, now()).map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
}

fn opt_time(flag: &str, value: &Option<String>) -> anyhow::Result<Option<jiff::Timestamp>> {
    value.as_deref().map(|v| time(flag, v)).transpose()
}

pub async fn run(store: &Store, cmd: IncidentCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        IncidentCommand::New(a) => {
            let mut i = Incident::new(a.title, a.severity);
            i.services = a.services;
            i.kind = a.kind;
            i.near_miss = a.near_miss;
            i.started = Some(match &a.started {
                Some(s) => time("started", s)?,
                None => now(),
            });
            i.detected = opt_time("detected", &a.detected)?;
            i.detection = a.detection;
            i.summary = a.summary.unwrap_or_default();
            i.impact = a.impact.unwrap_or_default();
            let id = store.create_incident(&i).await?;
            if a.json {
                emit_json(&store.get_incident(id).await?)?;
            } else {
                emit(&format!("created {id}\n"))?;
                recurrence_note(store, id).await?;
            }
        }
        IncidentCommand::List(a) => {
            let filter = IncidentFilter {
                statuses: a.statuses,
                severities: a.severities,
                service: a.service,
                since: a
                    .since
                    .as_deref()
                    .map(|s| parse_since(s, now()))
                    .transpose()?,
                limit: a.limit,
            };
            let list = store.list_incidents(&filter).await?;
            if a.json {
                emit_json(&list)?;
            } else if list.is_empty() {
                eprintln!("no incidents match");
            } else {
                let rows = list
                    .iter()
                    .map(|s| {
                        vec![
                            s.id.to_string(),
                            s.severity.to_string(),
                            s.status.to_string(),
                            s.started
                                .map(|t| format_time(t)[..16].replace('T', " "))
                                .unwrap_or_default(),
                            clip(&s.services.join(","), 30),
                            format!("{}/{}", s.actions_open, s.actions_total),
                            clip(&s.title, 60),
                        ]
                    })
                    .collect();
                emit(&table(
                    &[
                        "id",
                        "sev",
                        "status",
                        "started (UTC)",
                        "services",
                        "open actions",
                        "title",
                    ],
                    rows,
                ))?;
            }
        }
        IncidentCommand::Show { id, json } => {
            let i = store.get_incident(id).await?;
            if json {
                emit_json(&i)?;
            } else {
                emit(&show(&i))?;
            }
        }
        IncidentCommand::Similar { id, json } => {
            let similar = store.similar_incidents(id).await?;
            if json {
                emit_json(&similar)?;
            } else if similar.is_empty() {
                eprintln!("nothing resembles {id} closely");
            } else {
                emit(&similar_text(&similar))?;
            }
        }
        IncidentCommand::Edit(a) => return edit(store, a).await,
        IncidentCommand::Status {
            id,
            status,
            at,
            reopen,
        } => {
            let when = match &at {
                Some(s) => time("at", s)?,
                None => now(),
            };
            let i = store
                .update_incident(id, |i| i.move_to(status, when, reopen))
                .await?;
            emit(&format!("{id} is {}\n", i.status))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn edit(store: &Store, a: EditArgs) -> anyhow::Result<ExitCode> {
    let id = a.id;
    let any_flag = a.title.is_some()
        || a.severity.is_some()
        || a.kind.is_some()
        || a.near_miss.is_some()
        || !a.services.is_empty()
        || a.started.is_some()
        || a.detected.is_some()
        || a.mitigated.is_some()
        || a.resolved.is_some()
        || a.detection.is_some()
        || a.summary.is_some()
        || a.impact.is_some()
        || a.notes.is_some()
        || !a.metrics.is_empty();
    if !any_flag {
        return review::edit_in_editor(store, id).await;
    }
    let started = opt_time("started", &a.started)?;
    let detected = opt_time("detected", &a.detected)?;
    let mitigated = opt_time("mitigated", &a.mitigated)?;
    let resolved = opt_time("resolved", &a.resolved)?;
    let mut metrics = Vec::new();
    for m in &a.metrics {
        let (name, value) = m.split_once('=').with_context(|| {
            format!("--metric {m:?}: expected NAME=VALUE, like users_affected=1200")
        })?;
        let value: f64 = value
            .trim()
            .parse()
            .with_context(|| format!("--metric {m:?}: {value:?} is not a number"))?;
        metrics.push((name.trim().to_string(), value));
    }
    store
        .update_incident(id, |i| {
            if let Some(v) = a.title {
                i.title = v;
            }
            if let Some(v) = a.severity {
                i.severity = v;
            }
            if let Some(v) = a.kind {
                i.kind = v;
            }
            if let Some(v) = a.near_miss {
                i.near_miss = v;
            }
            if !a.services.is_empty() {
                i.services = a.services;
            }
            i.started = started.or(i.started);
            i.detected = detected.or(i.detected);
            i.mitigated = mitigated.or(i.mitigated);
            i.resolved = resolved.or(i.resolved);
            if let Some(v) = a.detection {
                i.detection = Some(v);
            }
            if let Some(v) = a.summary {
                i.summary = v;
            }
            if let Some(v) = a.impact {
                i.impact = v;
            }
            if let Some(v) = a.notes {
                i.notes = v;
            }
            for (name, value) in metrics {
                i.impact_metrics.insert(name, value);
            }
            Ok(())
        })
        .await?;
    emit(&format!("updated {id}\n"))?;
    Ok(ExitCode::SUCCESS)
}

pub async fn run_timeline(store: &Store, cmd: TimelineCommand) -> anyhow::Result<ExitCode> {
    let TimelineCommand::Add {
        id,
        text,
        at,
        known,
    } = cmd;
    let at = time("at", &at)?;
    let i = store
        .update_incident(id, |i| {
            let entry = TimelineEntry {
                at,
                text,
                known: known.unwrap_or_default(),
            };
            // Keep time order: after every entry at or before this time.
            let pos = i.timeline.partition_point(|e| e.at <= at);
            i.timeline.insert(pos, entry);
            Ok(())
        })
        .await?;
    let n = i.timeline.len();
    let noun = if n == 1 { "entry" } else { "entries" };
    emit(&format!("{id}: timeline has {n} {noun}\n"))?;
    Ok(ExitCode::SUCCESS)
}

pub async fn run_factor(store: &Store, cmd: FactorCommand) -> anyhow::Result<ExitCode> {
    let FactorCommand::Add {
        id,
        title,
        level,
        category,
        description,
    } = cmd;
    let i = store
        .update_incident(id, |i| {
            i.factors.push(Factor {
                title,
                level,
                category,
                description: description.unwrap_or_default(),
                whys: Vec::new(),
            });
            Ok(())
        })
        .await?;
    emit(&format!("{id}: added factor F{}\n", i.factors.len()))?;
    Ok(ExitCode::SUCCESS)
}

/// Reads `F2` or `2` as a factor's position.
fn factor_number(s: &str) -> anyhow::Result<usize> {
    let t = s.trim();
    let digits = t.strip_prefix(['F', 'f']).unwrap_or(t);
    match digits.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!(
            "invalid factor {s:?} (expected F1, F2, … as `debrief incident show` numbers them)"
        ),
    }
}

pub async fn run_why(store: &Store, cmd: WhyCommand) -> anyhow::Result<ExitCode> {
    let WhyCommand::Add { id, factor, text } = cmd;
    let n = factor_number(&factor)?;
    let i = store
        .update_incident(id, |i| {
            let count = i.factors.len();
            let f = i.factors.get_mut(n - 1).ok_or_else(|| {
                InvalidValue::new(format!(
                    "{id} has no factor F{n} (it has {count}; add one with `debrief factor add`)"
                ))
            })?;
            f.whys.push(text);
            Ok(())
        })
        .await?;
    emit(&format!(
        "{id}: added why {} under F{n}\n",
        i.factors[n - 1].whys.len()
    ))?;
    Ok(ExitCode::SUCCESS)
}

pub async fn run_lesson(store: &Store, cmd: LessonCommand) -> anyhow::Result<ExitCode> {
    let LessonCommand::Add { id, kind, text } = cmd;
    store
        .update_incident(id, |i| {
            i.lessons.push(Lesson { kind, text });
            // Lessons are kept grouped by kind, as the review document shows them.
            i.lessons.sort_by_key(|l| l.kind);
            Ok(())
        })
        .await?;
    emit(&format!(
        "{id}: added a lesson ({})\n",
        kind.label().to_lowercase()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// An incident for reading in a terminal: the key facts, then the review's sections.
fn show(i: &Incident) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let id = i.id.map(|id| id.to_string()).unwrap_or_default();
    let _ = writeln!(out, "{id}  {}", i.title);
    let _ = writeln!(
        out,
        "  {} · {} · {}{} · review {}",
        i.severity,
        i.status,
        i.kind,
        if i.near_miss { " (near miss)" } else { "" },
        i.review
    );
    if !i.services.is_empty() {
        let _ = writeln!(out, "  services: {}", i.services.join(", "));
    }
    for (name, t) in [
        ("started", i.started),
        ("detected", i.detected),
        ("mitigated", i.mitigated),
        ("resolved", i.resolved),
    ] {
        if let Some(t) = t {
            let after = i
                .started
                .filter(|_| name != "started")
                .map(|s| {
                    let mins = (t.as_second() - s.as_second()) / 60;
                    format!("  (+{}h{:02}m)", mins / 60, mins % 60)
                })
                .unwrap_or_default();
            let _ = writeln!(out, "  {name:<10}{}{after}", format_time(t));
        }
    }
    if let Some(d) = i.detection {
        let _ = writeln!(out, "  detected by {}", d.label());
    }
    for (name, value) in &i.impact_metrics {
        let _ = writeln!(out, "  {name}: {value}");
    }
    let doc = debrief_review::render(i);
    // The body of the review document, without its front matter and title.
    let body = doc
        .split_once("\n---\n")
        .map(|(_, b)| b)
        .unwrap_or(&doc)
        .trim_start();
    let body = body.split_once('\n').map(|(_, b)| b).unwrap_or("");
    out.push_str(body);
    out.push('\n');
    out
}

/// The similar incidents as text: each with when, how close, why, and its open actions.
pub fn similar_text(similar: &[debrief_store::SimilarIncident]) -> String {
    let mut out = String::new();
    for s in similar {
        out.push_str(&format!(
            "{}  {:.2}  {}  {}\n    why: {}\n",
            s.id,
            s.score,
            s.started
                .map(|t| debrief_core::time::utc_date(t).to_string())
                .unwrap_or_else(|| "          ".into()),
            s.title,
            s.why
        ));
        if s.actions_total > 0 {
            out.push_str(&format!(
                "    {} of its {} action item{} still open{}\n",
                s.open_actions.len(),
                s.actions_total,
                if s.actions_total == 1 { "" } else { "s" },
                if s.open_actions.is_empty() { "" } else { ":" }
            ));
            for a in &s.open_actions {
                out.push_str(&format!(
                    "      {} {} ({}{})\n",
                    a.id.map(|x| x.to_string()).unwrap_or_default(),
                    a.title,
                    a.status,
                    a.owner
                        .as_deref()
                        .map(|o| format!(", {o}"))
                        .unwrap_or_default()
                ));
            }
        }
    }
    out
}

/// After an incident is recorded: says on stderr when it looks like an earlier one whose
/// action items are still open.
pub async fn recurrence_note(store: &Store, id: IncidentId) -> anyhow::Result<()> {
    for s in store.similar_incidents(id).await? {
        if !s.open_actions.is_empty() {
            eprintln!(
                "note: {id} looks like {} ({}); {} of its {} action items are still open \
                 (`debrief incident similar {id}`)",
                s.id,
                s.title,
                s.open_actions.len(),
                s.actions_total
            );
        }
    }
    Ok(())
}
