//! `debrief digest` (what a team reads in its weekly meeting) and `debrief bow` (failures
//! volunteered for the digest's "failure bows" slot).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use debrief_core::time::{parse_since, parse_time};
use debrief_server::digest::{Links, html, markdown};
use debrief_store::Store;

use super::output::{clip, emit, emit_json, table};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// Markdown, for a wiki, a chat or a plain-text mail.
    Md,
    /// One HTML document that reads well in a mail client (styles inline, no script).
    Html,
    /// Everything as JSON.
    Json,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  \
    debrief digest                                   # the last 7 days, as Markdown\n  \
    debrief digest --since 14d --format html --base-url https://debrief.example.com > digest.html\n  \
    debrief digest --since 2026-11-01 --until 2026-12-01 --format json\n\n\
    The digest holds: reviews first published in the window with their lessons; incidents that\n\
    started in it; weak signals that are new or rising (against a baseline four times as long);\n\
    open action items past their due date; problems with an incident in the window; incidents\n\
    that started on these days in earlier years; and the \"failure bows\" agenda: failures people\n\
    volunteered (`debrief bow add`), near misses reported, and incidents marked as near misses.")]
pub struct DigestArgs {
    /// The window's start: a span back from --until (7d, 2w), or a date or time.
    #[arg(long, default_value = "7d")]
    since: String,
    /// The window's end [default: now].
    #[arg(long)]
    until: Option<String>,
    #[arg(long, value_enum, default_value = "md")]
    format: Format,
    /// The web UI's address as readers reach it; incidents and problems link there.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// A rules file for weak-signal kinds (as for `signals report`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum BowCommand {
    /// Offer a failure to tell in the next digest's "failure bows" slot. No name is kept: you
    /// tell it yourself.
    #[command(after_help = "Example:\n  \
        debrief bow add \"I restarted the primary instead of the replica; the runbook named both the same way\"")]
    Add {
        /// What you will tell, in a sentence or two.
        text: String,
    },
    /// List the offered failure bows.
    List {
        /// Only those offered since: a span (14d) or a date.
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Remove an offered failure bow (told, or withdrawn).
    Remove {
        /// Its number, from `bow list`.
        id: i64,
    },
}

fn base_url(url: Option<String>) -> anyhow::Result<Option<String>> {
    let Some(url) = url else { return Ok(None) };
    let url = url.trim().trim_end_matches('/').to_string();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"');
    if !ok {
        anyhow::bail!(
            "--base-url {url:?} is not an address (expected http:// or https://, like https://debrief.example.com)"
        );
    }
    Ok(Some(url))
}

#[derive(Subcommand)]
pub enum SiteCommand {
    /// Write the published reviews, their problems and lessons as a static website.
    #[command(after_help = "Examples:\n  \
        debrief site build ./lessons-site\n  \
        python3 -m http.server -d ./lessons-site 8000   # or copy the directory to any web host\n\n\
        Only published reviews go out: publishing is the gate that checks a review for blame.\n\
        Every link is relative, so the site works from any path and opened from disk. Search\n\
        runs in the browser, with the same stemming as `debrief search`. Building into a\n\
        directory an earlier build wrote replaces it, and removes pages of reviews no longer\n\
        published; any other non-empty directory is refused.")]
    Build {
        /// The directory to write (created if missing).
        dir: PathBuf,
    },
}

pub async fn run_site(store: &Store, c: SiteCommand) -> anyhow::Result<ExitCode> {
    let SiteCommand::Build { dir } = c;
    let r = debrief_server::site::build(store, &dir).await?;
    emit(&format!(
        "wrote {} files to {}: {} published review{}, {} problem{}, {} lesson{}\nopen {}\n",
        r.files,
        dir.display(),
        r.reviews,
        if r.reviews == 1 { "" } else { "s" },
        r.problems,
        if r.problems == 1 { "" } else { "s" },
        r.lessons,
        if r.lessons == 1 { "" } else { "s" },
        dir.join("index.html").display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

pub async fn run(store: &Store, a: DigestArgs) -> anyhow::Result<ExitCode> {
    let now = super::now();
    let until = match a.until.as_deref() {
        Some(t) => parse_time(t, now)
            .or_else(|_| parse_since(t, now))
            .map_err(|e| anyhow::anyhow!("--until: {}", e.message))?,
        None => now,
    };
    let from = parse_since(&a.since, until)?;
    if from >= until {
        anyhow::bail!("--since ({from}) must be before --until ({until})");
    }
    let base = base_url(a.base_url)?;
    let rules = super::signals::load_rules(a.config.as_deref())?;
    let digest = store.digest(&rules, from, until).await?;
    let links = Links(base.as_deref());
    match a.format {
        Format::Md => {
            let mut text = markdown(&digest, links);
            text.push('\n');
            emit(&text)?;
        }
        Format::Html => emit(&html(&digest, links))?,
        Format::Json => emit_json(&digest)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_bow(store: &Store, c: BowCommand) -> anyhow::Result<ExitCode> {
    match c {
        BowCommand::Add { text } => {
            let id = store.add_bow(super::today(), &text).await?;
            emit(&format!(
                "failure bow {id} offered; it is on the agenda of the next `debrief digest`\n"
            ))?;
        }
        BowCommand::List { since, json } => {
            let since = since
                .as_deref()
                .map(|s| parse_since(s, super::now()).map(debrief_core::time::utc_date))
                .transpose()?;
            let bows = store.bows(since).await?;
            if json {
                emit_json(&bows)?;
            } else if bows.is_empty() {
                eprintln!("no failure bows offered; offer one with `debrief bow add \"…\"`");
            } else {
                let rows = bows
                    .iter()
                    .map(|b| vec![b.id.to_string(), b.added_on.to_string(), clip(&b.text, 80)])
                    .collect();
                emit(&table(&["id", "offered", "text"], rows))?;
            }
        }
        BowCommand::Remove { id } => {
            store.remove_bow(id).await?;
            emit(&format!("failure bow {id} removed\n"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
