//! `debrief retro …`: start / stop / continue items, votes, and a close that turns the chosen
//! items into action items with owners.

use std::process::ExitCode;

use clap::Subcommand;
use debrief_core::retro::Choice;
use debrief_core::time::parse_date;
use debrief_core::{IncidentId, Retro, RetroId, RetroItemKind};
use debrief_store::Store;

use super::output::{clip, emit, emit_json, table};
use super::today;

#[derive(Subcommand)]
pub enum RetroCommand {
    /// Open a retrospective of a sprint, a launch, an on-call rotation or a run of incidents.
    #[command(
        after_help = "Example:\n  debrief retro new \"Payments, sprint 42\" --team payments --about INC-12\n\n\
        Then add what to start, stop and continue (`retro add`), vote (`retro vote`), and close it\n\
        (`retro close`): the items you choose become action items with owners, on the action board."
    )]
    New {
        title: String,
        /// The team holding it.
        #[arg(long)]
        team: Option<String>,
        /// The day it is held: YYYY-MM-DD or -3d (default today).
        #[arg(long)]
        held: Option<String>,
        /// An incident it looks back on (repeat for more).
        #[arg(long = "about", value_name = "INCIDENT")]
        about: Vec<IncidentId>,
    },
    /// Add an item: what to start doing, stop doing, or continue.
    #[command(
        after_help = "Examples:\n  debrief retro add RETRO-1 stop \"Deploying on Friday afternoons\"\n  \
        debrief retro add RETRO-1 start \"Pairing on runbook changes\"\n  \
        debrief retro add RETRO-1 continue \"Monthly game days\""
    )]
    Add {
        id: RetroId,
        /// start, stop or continue.
        kind: RetroItemKind,
        text: String,
    },
    /// Change what an item of an open retro says, or its kind.
    #[command(
        after_help = "Example:\n  debrief retro edit RETRO-1 2 --text \"Pair on every runbook change\" --kind start"
    )]
    Edit {
        id: RetroId,
        /// The item's number, from `retro show`.
        item: usize,
        #[arg(long)]
        text: Option<String>,
        #[arg(long)]
        kind: Option<RetroItemKind>,
    },
    /// Take an item out of an open retro (the items after it move up one number).
    #[command(after_help = "Example:\n  debrief retro remove RETRO-1 3")]
    Remove { id: RetroId, item: usize },
    /// Vote for items by number (from `retro show`); repeat a number to give it more votes.
    #[command(
        after_help = "Examples:\n  debrief retro vote RETRO-1 2 2 5     # two votes for item 2, one for item 5\n  \
        debrief retro vote RETRO-1 5 --remove"
    )]
    Vote {
        id: RetroId,
        #[arg(required = true)]
        items: Vec<usize>,
        /// Take the votes back instead.
        #[arg(long)]
        remove: bool,
    },
    /// Close the retro: each chosen item becomes an open action item owned by a team.
    #[command(
        after_help = "Examples:\n  debrief retro close RETRO-1 --action 2=sre --action 1=payments --due +30d\n  \
        debrief retro close RETRO-1 --none\n\n\
        The action items are on the board (`debrief action list`), followed like a review's.\n\
        A closed retro keeps its items and votes as they were."
    )]
    Close {
        id: RetroId,
        /// An item to act on and the team that owns it: ITEM=TEAM (repeat for more).
        #[arg(long = "action", value_name = "ITEM=TEAM")]
        actions: Vec<String>,
        /// Due date of the action items: YYYY-MM-DD or +30d.
        #[arg(long)]
        due: Option<String>,
        /// Close with no action item.
        #[arg(long, conflicts_with = "actions")]
        none: bool,
    },
    /// Link an incident the retro looks back on, or unlink it with --remove. Its action
    /// items are "closed but recurred" when such an incident's failure comes back.
    #[command(
        after_help = "Examples:\n  debrief retro link RETRO-1 INC-14\n  debrief retro link RETRO-1 INC-14 --remove"
    )]
    Link {
        id: RetroId,
        incident: IncidentId,
        #[arg(long)]
        remove: bool,
    },
    /// List retros, the latest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show a retro: its items by votes, and what each became.
    Show {
        id: RetroId,
        #[arg(long)]
        json: bool,
    },
}

fn choice(text: &str) -> anyhow::Result<Choice> {
    let (item, owner) = text.split_once('=').ok_or_else(|| {
        anyhow::anyhow!("--action {text:?}: give ITEM=TEAM, as in --action 2=sre")
    })?;
    let item = item.trim().parse().map_err(|_| {
        anyhow::anyhow!("--action {text:?}: {item:?} is not an item number (see `retro show`)")
    })?;
    Ok(Choice {
        item,
        owner: owner.to_string(),
    })
}

fn votes(n: u32) -> String {
    format!("{n} vote{}", if n == 1 { "" } else { "s" })
}

fn show_text(r: &Retro) -> String {
    let id = r.id.map(|i| i.to_string()).unwrap_or_default();
    let mut out = format!(
        "{id} {} ({}held {}) · {}\n",
        r.title,
        r.team
            .as_deref()
            .map(|t| format!("{t}, "))
            .unwrap_or_default(),
        r.held,
        match r.closed {
            Some(d) => format!(
                "closed {d}, {} action item{} ({} open)",
                r.actions.len(),
                if r.actions.len() == 1 { "" } else { "s" },
                r.open_actions()
            ),
            None => "open".into(),
        }
    );
    if !r.incidents.is_empty() {
        let ids: Vec<String> = r.incidents.iter().map(|i| i.to_string()).collect();
        out.push_str(&format!("  looks back on {}\n", ids.join(", ")));
    }
    if r.items.is_empty() {
        out.push_str("\nNo items yet: `debrief retro add ID start|stop|continue TEXT`.\n");
        return out;
    }
    out.push_str("\nItems, most votes first:\n");
    for n in r.ranked() {
        let item = &r.items[n - 1];
        let became = r
            .became(n)
            .map(|a| {
                format!(
                    "\n     → {} ({}, owner {}{})",
                    a.id.map(|i| i.to_string()).unwrap_or_default(),
                    a.status,
                    a.owner.as_deref().unwrap_or("none"),
                    a.due.map(|d| format!(", due {d}")).unwrap_or_default()
                )
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "  {n}. [{}] {} · {}{became}\n",
            item.kind,
            item.text,
            votes(item.votes)
        ));
    }
    out
}

pub async fn run(store: &Store, cmd: RetroCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RetroCommand::New {
            title,
            team,
            held,
            about,
        } => {
            let held = match held.as_deref() {
                Some(d) => parse_date(d, today()).map_err(|e| anyhow::anyhow!("--held: {e}"))?,
                None => today(),
            };
            let mut r = Retro::new(title, team, held);
            r.incidents = about;
            let id = store.create_retro(&r).await?;
            emit(&format!(
                "{id} opened; add items with `debrief retro add {id} start|stop|continue TEXT`\n"
            ))?;
        }
        RetroCommand::Add { id, kind, text } => {
            let mut n = 0;
            store
                .update_retro(id, |r| {
                    n = r.add(kind, &text)?;
                    Ok(())
                })
                .await?;
            emit(&format!("{id}: item {n} added ({kind})\n"))?;
        }
        RetroCommand::Edit {
            id,
            item,
            text,
            kind,
        } => {
            if text.is_none() && kind.is_none() {
                anyhow::bail!("nothing to change: give --text or --kind");
            }
            store
                .update_retro(id, |r| r.edit(item, kind, text.as_deref()))
                .await?;
            emit(&format!("{id}: item {item} changed\n"))?;
        }
        RetroCommand::Remove { id, item } => {
            let mut removed = None;
            store
                .update_retro(id, |r| {
                    removed = Some(r.remove(item)?);
                    Ok(())
                })
                .await?;
            let text = removed.map(|r| r.text).unwrap_or_default();
            emit(&format!("{id}: item {item} ({text}) removed\n"))?;
        }
        RetroCommand::Vote { id, items, remove } => {
            let by = if remove { -1 } else { 1 };
            let r = store
                .update_retro(id, |r| {
                    for &n in &items {
                        r.vote(n, by)?;
                    }
                    Ok(())
                })
                .await?;
            let mut seen = items.clone();
            seen.sort_unstable();
            seen.dedup();
            let now: Vec<String> = seen
                .iter()
                .map(|&n| format!("item {n}: {}", votes(r.items[n - 1].votes)))
                .collect();
            emit(&format!("{id}: {}\n", now.join(", ")))?;
        }
        RetroCommand::Close {
            id,
            actions,
            due,
            none,
        } => {
            if actions.is_empty() && !none {
                let r = store.get_retro(id).await?;
                let top: Vec<String> = r
                    .ranked()
                    .into_iter()
                    .take(5)
                    .map(|n| {
                        format!(
                            "  {n}. {} ({})",
                            clip(&r.items[n - 1].text, 60),
                            votes(r.items[n - 1].votes)
                        )
                    })
                    .collect();
                anyhow::bail!(
                    "choose the items to act on with --action ITEM=TEAM, or close with --none{}",
                    if top.is_empty() {
                        String::new()
                    } else {
                        format!("; most votes first:\n{}", top.join("\n"))
                    }
                );
            }
            let choices = actions
                .iter()
                .map(|a| choice(a))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let due = due
                .as_deref()
                .map(|d| parse_date(d, today()))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--due: {e}"))?;
            let r = store.close_retro(id, &choices, due, today()).await?;
            let made: Vec<String> = r
                .actions
                .iter()
                .map(|a| {
                    format!(
                        "  {} {} (owner {})",
                        a.id.map(|i| i.to_string()).unwrap_or_default(),
                        a.title,
                        a.owner.as_deref().unwrap_or("none")
                    )
                })
                .collect();
            if made.is_empty() {
                emit(&format!("{id} closed with no action item\n"))?;
            } else {
                emit(&format!(
                    "{id} closed; {} action item{} on the board:\n{}\n",
                    made.len(),
                    if made.len() == 1 { "" } else { "s" },
                    made.join("\n")
                ))?;
            }
        }
        RetroCommand::Link {
            id,
            incident,
            remove,
        } => {
            let r = store
                .update_retro(id, |r| {
                    r.link(incident, remove);
                    Ok(())
                })
                .await?;
            let all: Vec<String> = r.incidents.iter().map(|i| i.to_string()).collect();
            emit(&format!(
                "{id} looks back on {}\n",
                if all.is_empty() {
                    "no incident".to_string()
                } else {
                    all.join(", ")
                }
            ))?;
        }
        RetroCommand::List { json } => {
            let all = store.retros().await?;
            if json {
                emit_json(&all)?;
            } else if all.is_empty() {
                eprintln!("no retros; open one with `debrief retro new`");
            } else {
                let rows = all
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.map(|i| i.to_string()).unwrap_or_default(),
                            r.held.to_string(),
                            r.closed
                                .map(|d| d.to_string())
                                .unwrap_or_else(|| "open".into()),
                            r.team.clone().unwrap_or_else(|| "-".into()),
                            r.items.len().to_string(),
                            format!("{}/{}", r.open_actions(), r.actions.len()),
                            clip(&r.title, 50),
                        ]
                    })
                    .collect();
                emit(&table(
                    &[
                        "id",
                        "held",
                        "closed",
                        "team",
                        "items",
                        "open actions",
                        "title",
                    ],
                    rows,
                ))?;
            }
        }
        RetroCommand::Show { id, json } => {
            let r = store.get_retro(id).await?;
            if json {
                emit_json(&r)?;
            } else {
                emit(&show_text(&r))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
