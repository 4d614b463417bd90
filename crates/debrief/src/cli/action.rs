//! `debrief action …`: the follow-through of a review.

use std::process::ExitCode;

use clap::Subcommand;
use debrief_core::time::parse_date;
use debrief_core::{ActionId, ActionItem, ActionKind, ActionStatus, IncidentId};
use debrief_store::{ActionFilter, Store};

use super::output::{clip, emit, emit_json, table};
use super::today;

/// What `action add` and `action edit` both set.
#[derive(clap::Args)]
pub struct ActionFields {
    /// The team that owns it.
    #[arg(long, value_name = "TEAM")]
    owner: Option<String>,
    /// Due date: YYYY-MM-DD, or +7d / +2w from today.
    #[arg(long, value_name = "DATE")]
    due: Option<String>,
    /// Where the work is tracked.
    #[arg(long, value_name = "URL")]
    link: Option<String>,
}

/// Whether a closed item worked: did the failure mode stay away after it was closed?
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Worked {
    Yes,
    No,
    /// Not known (clears an earlier verdict).
    Unknown,
}

impl Worked {
    fn verdict(self) -> Option<bool> {
        match self {
            Worked::Yes => Some(true),
            Worked::No => Some(false),
            Worked::Unknown => None,
        }
    }
}

#[derive(Subcommand)]
pub enum ActionCommand {
    /// Add an action item to an incident.
    #[command(after_help = "Examples:\n  \
        debrief action add INC-3 \"Validate config against its schema in CI\" --kind prevent --owner platform --due 2024-04-01\n  \
        debrief action add INC-3 \"Page on checkout error rate\" --kind detect --owner sre --due +14d\n\n\
        Kinds: prevent, mitigate, detect, process, documentation. The owner is a team: the work\n\
        outlives whoever picks it up.")]
    Add {
        /// The incident: INC-3 or 3.
        id: IncidentId,
        /// What will change.
        title: String,
        #[arg(long)]
        kind: ActionKind,
        #[command(flatten)]
        fields: ActionFields,
    },
    /// List action items: open ones first, by due date.
    #[command(after_help = "Examples:\n  \
        debrief action list                   # open and in-progress items\n  \
        debrief action list --overdue\n  \
        debrief action list --owner platform --all --json")]
    List {
        /// Only this status; repeat for several [default: open and in-progress].
        #[arg(long = "status", value_name = "STATUS")]
        statuses: Vec<ActionStatus>,
        /// Every status, closed ones included.
        #[arg(long, conflicts_with = "statuses")]
        all: bool,
        /// Only items owned by this team.
        #[arg(long, value_name = "TEAM")]
        owner: Option<String>,
        /// Only items of this incident.
        #[arg(long)]
        incident: Option<IncidentId>,
        /// Only open items past their due date.
        #[arg(long)]
        overdue: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Change an action item: its owner team, due date, link, kind or title, or say whether
    /// it worked.
    #[command(after_help = "Examples:\n  \
        debrief action edit A-7 --owner platform\n  \
        debrief action edit 7 --due +14d --link https://tracker.example/PLAT-9\n  \
        debrief action edit A-7 --worked no      # closed, but the failure came back\n\n\
        Only a closed item can say whether it worked. debrief also marks \"closed but recurred\"\n\
        by itself (see `action stats`); --worked records what people judged.")]
    Edit {
        /// The action item: A-7 or 7.
        id: ActionId,
        /// What will change.
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        kind: Option<ActionKind>,
        #[command(flatten)]
        fields: ActionFields,
        /// Whether it worked (closed items only).
        #[arg(long, value_enum, value_name = "yes|no|unknown")]
        worked: Option<Worked>,
    },
    /// Follow-through: closure rate, overdue and stale items, ages, and closed items whose
    /// problem came back.
    #[command(after_help = "Example:\n  debrief action stats --json\n\n\
        Stale: open and opened more than 60 days ago. Ages are in days, as medians and 90th\n\
        percentiles (a few old items would swamp a mean). \"Closed but recurred\": an item\n\
        closed before its incident's problem (`debrief problems`) had another incident.")]
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mark an action item done (or won't do).
    #[command(
        after_help = "Examples:\n  debrief action done A-7\n  debrief action done 7 --wont-do\n  debrief action done A-7 --worked yes"
    )]
    Done {
        /// The action item: A-7 or 7.
        id: ActionId,
        /// Close it as won't do instead of done.
        #[arg(long)]
        wont_do: bool,
        /// Whether it worked, if that is already known.
        #[arg(long, value_enum, value_name = "yes|no|unknown")]
        worked: Option<Worked>,
    },
}

pub async fn run(store: &Store, cmd: ActionCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ActionCommand::Add {
            id,
            title,
            kind,
            fields: ActionFields { owner, due, link },
        } => {
            let due = parse_due(due.as_deref())?;
            let i = store
                .update_incident(id, |i| {
                    i.actions.push(ActionItem {
                        id: None,
                        title,
                        kind,
                        owner,
                        due,
                        status: ActionStatus::Open,
                        link,
                        opened: Some(today()),
                        closed: None,
                        worked: None,
                    });
                    Ok(())
                })
                .await?;
            let new = i.actions.last().and_then(|a| a.id);
            emit(&format!(
                "{id}: added {}\n",
                new.map(|a| a.to_string()).unwrap_or_default()
            ))?;
        }
        ActionCommand::List {
            statuses,
            all,
            owner,
            incident,
            overdue,
            json,
        } => {
            let statuses = if all {
                Vec::new()
            } else if statuses.is_empty() {
                vec![ActionStatus::Open, ActionStatus::InProgress]
            } else {
                statuses
            };
            let filter = ActionFilter {
                statuses,
                owner,
                incident,
                overdue_on: overdue.then(today),
            };
            let rows = store.list_actions(&filter).await?;
            if json {
                emit_json(&rows)?;
            } else if rows.is_empty() {
                eprintln!("no action items match");
            } else {
                let today = today();
                let table_rows = rows
                    .iter()
                    .map(|r| {
                        let a = &r.action;
                        let late = a.due.is_some_and(|d| d < today) && !a.status.is_closed();
                        vec![
                            a.id.map(|i| i.to_string()).unwrap_or_default(),
                            r.source.to_string(),
                            a.status.to_string(),
                            a.kind.to_string(),
                            a.owner.clone().unwrap_or_else(|| "-".into()),
                            match a.due {
                                Some(d) if late => format!("{d} (late)"),
                                Some(d) => d.to_string(),
                                None => "-".into(),
                            },
                            clip(&a.title, 60),
                        ]
                    })
                    .collect();
                emit(&table(
                    &["id", "from", "status", "kind", "owner", "due", "title"],
                    table_rows,
                ))?;
            }
        }
        ActionCommand::Edit {
            id,
            title,
            kind,
            fields: ActionFields { owner, due, link },
            worked,
        } => {
            if title.is_none()
                && kind.is_none()
                && owner.is_none()
                && due.is_none()
                && link.is_none()
                && worked.is_none()
            {
                anyhow::bail!(
                    "nothing to change: give --owner, --due, --link, --kind, --title or --worked (see --help)"
                );
            }
            let due = parse_due(due.as_deref())?;
            store
                .update_action(id, |a| {
                    if let Some(t) = title {
                        a.title = t;
                    }
                    if let Some(k) = kind {
                        a.kind = k;
                    }
                    if owner.is_some() {
                        a.owner = owner;
                    }
                    if due.is_some() {
                        a.due = due;
                    }
                    if link.is_some() {
                        a.link = link;
                    }
                    if let Some(w) = worked {
                        a.worked = w.verdict();
                    }
                    Ok(())
                })
                .await?;
            emit(&format!("{id}: changed\n"))?;
        }
        ActionCommand::Stats { json } => {
            let f = store.follow_through(today()).await?;
            if json {
                emit_json(&f)?;
            } else {
                emit(&stats_text(&f))?;
            }
        }
        ActionCommand::Done {
            id,
            wont_do,
            worked,
        } => {
            let status = if wont_do {
                ActionStatus::WontDo
            } else {
                ActionStatus::Done
            };
            let changed = store
                .update_action(id, |a| {
                    a.status = status;
                    if a.closed.is_none() {
                        a.closed = Some(today());
                    }
                    if let Some(w) = worked {
                        a.worked = w.verdict();
                    }
                    Ok(())
                })
                .await?;
            let open = changed.source_open;
            emit(&format!(
                "{id} is {status}; {} has {open} open action item{}\n",
                changed.source,
                if open == 1 { "" } else { "s" }
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--due`: a date, or a span from today (+7d, +2w).
fn parse_due(due: Option<&str>) -> anyhow::Result<Option<jiff::civil::Date>> {
    due.map(|d| parse_date(d, today()))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--due: {e}"))
}

fn stats_text(f: &debrief_store::FollowThrough) -> String {
    let days = |d: Option<i64>| d.map_or("-".to_string(), |d| format!("{d} d"));
    let mut out = format!(
        "{} action items: {} open, {} closed ({:.0}% closed)\n\
         overdue: {}   stale (open > {} days): {}\n\
         age of open items: median {}, 90th percentile {}\n\
         time to close: median {}, 90th percentile {}\n\
         judged after closing: {} worked, {} did not\n",
        f.total,
        f.open,
        f.closed,
        f.closure_rate * 100.0,
        f.overdue,
        debrief_store::STALE_DAYS,
        f.stale,
        days(f.open_age_median),
        days(f.open_age_p90),
        days(f.time_to_close_median),
        days(f.time_to_close_p90),
        f.worked,
        f.did_not_work,
    );
    if !f.recurred.is_empty() {
        out.push_str("closed, but the problem came back:\n");
        for r in &f.recurred {
            out.push_str(&format!(
                "  {} {} ({}, closed {}): {} had {} after it{}\n",
                r.action,
                r.title,
                r.incident,
                r.closed,
                r.problem,
                r.came_back,
                match r.worked {
                    Some(true) => "; judged to have worked",
                    Some(false) => "; judged not to have worked",
                    None => "",
                }
            ));
        }
    }
    out
}
