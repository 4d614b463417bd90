//! The command line: clap definitions and the dispatch to each command's module.

mod action;
mod digest;
mod experiment;
mod incident;
mod lint;
mod metrics;
mod output;
mod premortem;
mod problems;
mod retro;
mod review;
mod search;
mod serve;
mod signals;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use debrief_store::Store;

const ABOUT: &str = "Learn from every failure: record incidents and blameless reviews, follow \
their action items through, and move reviews in and out as Markdown.";

const AFTER: &str = "\
Examples:
  debrief incident new --title \"Checkout fails after config push\" --severity SEV2 --service checkout
  debrief timeline add INC-1 --at \"2024-03-01 14:02\" \"Error-rate alert fires\"
  debrief factor add INC-1 \"No schema check on config\" --level process --category tooling
  debrief action add INC-1 \"Validate config in CI\" --kind prevent --owner platform --due +14d
  debrief review export INC-1 -o reviews/INC-1.md
  debrief incident list --status open --json

The store is an SQLite file (default below) or a PostgreSQL server: pass --database or set
DEBRIEF_DATABASE to a file path, sqlite://PATH or postgres://USER@HOST/DB.";

#[derive(Parser)]
#[command(name = "debrief", version, about = ABOUT, after_help = AFTER)]
pub struct Args {
    /// Where the store is: a file path, sqlite://PATH, or postgres://USER:PASS@HOST/DB.
    /// [default: the per-user data directory, e.g. ~/.local/share/debrief/debrief.db]
    #[arg(long, global = true, env = "DEBRIEF_DATABASE", value_name = "LOCATION")]
    database: Option<String>,

    #[command(subcommand)]
    command: Command,
}

impl Args {
    /// Whether the command is the server, which wants a thread a core.
    pub fn serves(&self) -> bool {
        matches!(self.command, Command::Serve(_))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Record, list, show and change incidents.
    #[command(subcommand)]
    Incident(incident::IncidentCommand),
    /// Add to an incident's timeline.
    #[command(subcommand)]
    Timeline(incident::TimelineCommand),
    /// Add contributing factors to an incident.
    #[command(subcommand)]
    Factor(incident::FactorCommand),
    /// Add to a contributing factor's why-chain ("5 whys").
    #[command(subcommand)]
    Why(incident::WhyCommand),
    /// Add lessons: what went well, what went wrong, where we got lucky.
    #[command(subcommand)]
    Lesson(incident::LessonCommand),
    /// Add, list, change and close action items.
    #[command(subcommand)]
    Action(action::ActionCommand),
    /// Failures that retries, restarts and failovers hide in logs: mine, classify, report.
    #[command(subcommand)]
    Signals(signals::SignalsCommand),
    /// Reviews: as Markdown documents (export, import, template), and from draft to published
    /// (submit, ack, publish, reopen).
    #[command(subcommand)]
    Review(review::ReviewCommand),
    /// Find blame, counterfactuals, hindsight and judgement words in review prose.
    Lint(lint::LintArgs),
    /// Search what was learned: titles, reviews, factors, lessons and action items.
    Search(search::SearchArgs),
    /// Whether the organization learns: detection, mitigation and resolution times, reviews
    /// beyond the technical, action closure, recurrence; overall, by service, severity or month.
    Metrics(metrics::MetricsArgs),
    /// What a team reads in its weekly meeting: reviews published and their lessons, rising
    /// weak signals, overdue action items, problems that came back, this day in past years,
    /// and the "failure bows" agenda.
    Digest(digest::DigestArgs),
    /// Offer a failure to tell in the digest's "failure bows" slot; list or remove offers.
    #[command(subcommand)]
    Bow(digest::BowCommand),
    /// Fail small and on purpose: experiments with a hypothesis, a blast radius, guardrails,
    /// abort criteria and an outcome; Chaos Toolkit experiments and journals in and out.
    #[command(subcommand)]
    Experiment(experiment::ExperimentCommand),
    /// Before a launch, imagine it failed and say how; after it, see what was foreseen.
    #[command(subcommand)]
    Premortem(premortem::PremortemCommand),
    /// Confidential near-miss reports: report, list, turn into an incident, or put on the
    /// digest's failure-bows agenda.
    #[command(subcommand, name = "near-miss")]
    NearMiss(premortem::NearMissCommand),
    /// Retrospectives: what to start, stop and continue; votes; closing turns the chosen
    /// items into action items with owners.
    #[command(subcommand)]
    Retro(retro::RetroCommand),
    /// Share lessons beyond the team: the published reviews as a static website.
    #[command(subcommand)]
    Site(digest::SiteCommand),
    /// Incidents that recur as one problem; and what recurs across all incidents (pareto).
    Problems {
        #[command(subcommand)]
        command: Option<problems::ProblemsCommand>,
    },
    /// Serve the web API on the store (`/api/v1`, `/healthz`, `/metrics`).
    Serve(serve::ServeArgs),
    /// Make, list and revoke the API tokens the server accepts.
    #[command(subcommand)]
    Token(serve::TokenCommand),
    /// Write every review in the store to a directory, as Markdown.
    #[command(after_help = "Example:\n  debrief export ./debrief-backup\n\n\
        Writes DIR/reviews/INC-N.md for every incident and DIR/debrief-export.json, the list of\n\
        files. `debrief import DIR` reads it back; exporting again gives the same bytes.")]
    Export {
        /// The directory to write (created if missing; files of the same names are replaced).
        dir: PathBuf,
    },
    /// Read a directory written by `debrief export`, or public post-mortems as JSON lines,
    /// into the store, in one transaction.
    #[command(
        after_help = "Examples:\n  debrief --database postgres://debrief@db/debrief import ./debrief-backup\n  \
        debrief import postmortems/dfds.jsonl postmortems/2i2c.jsonl\n\n\
        Every document is read and checked before anything is written; if one is bad, nothing\n\
        is imported. Importing the same directory twice changes nothing the second time.\n\n\
        A .jsonl file holds one post-mortem a line (id, source, company, date, title, summary,\n\
        body, url, license, and optionally impact): each becomes a resolved incident with a\n\
        draft review, its source kept in the notes. A record whose title and date match an\n\
        incident already stored is skipped, so importing a file again adds nothing."
    )]
    Import {
        /// Directories written by `debrief export` (or of review documents), or .jsonl files.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Replace stored incidents whose number matches but whose title differs.
        #[arg(long)]
        replace: bool,
    },
}

/// Runs a parsed command line.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    // The template needs no store; don't create one just to print it.
    if let Command::Review(review::ReviewCommand::Template) = args.command {
        output::emit(&debrief_review::template())?;
        return Ok(ExitCode::SUCCESS);
    }
    // Linting files needs no store; `--incident` opens it itself.
    if let Command::Lint(a) = args.command {
        return lint::run(a, args.database).await;
    }
    if let Command::Signals(c) = &args.command {
        if !signals::needs_store(c) {
            let Command::Signals(c) = args.command else {
                unreachable!()
            };
            return signals::run_offline(c);
        }
    }
    let store = open_store(args.database).await?;
    let result = match args.command {
        Command::Incident(c) => incident::run(&store, c).await,
        Command::Timeline(c) => incident::run_timeline(&store, c).await,
        Command::Factor(c) => incident::run_factor(&store, c).await,
        Command::Why(c) => incident::run_why(&store, c).await,
        Command::Lesson(c) => incident::run_lesson(&store, c).await,
        Command::Action(c) => action::run(&store, c).await,
        Command::Review(c) => review::run(&store, c).await,
        Command::Signals(c) => signals::run(&store, c).await,
        Command::Export { dir } => review::export_dir(&store, &dir).await,
        Command::Import { paths, replace } => review::import_paths(&store, &paths, replace).await,
        Command::Token(c) => serve::token(&store, c).await,
        Command::Search(a) => search::run(&store, a).await,
        Command::Problems { command } => problems::run(&store, command).await,
        Command::Metrics(a) => metrics::run(&store, a).await,
        Command::Digest(a) => digest::run(&store, a).await,
        Command::Bow(c) => digest::run_bow(&store, c).await,
        Command::Site(c) => digest::run_site(&store, c).await,
        Command::Experiment(c) => experiment::run(&store, c).await,
        Command::Premortem(c) => premortem::run(&store, c).await,
        Command::NearMiss(c) => premortem::run_near_miss(&store, c).await,
        Command::Retro(c) => retro::run(&store, c).await,
        Command::Serve(a) => return serve::serve(store, a).await,
        Command::Lint(_) => unreachable!("linting runs without a store"),
    };
    store.close().await;
    result
}

/// Opens the store at `database`, or at the default location.
async fn open_store(database: Option<String>) -> anyhow::Result<Store> {
    let location = match database {
        Some(l) => l,
        None => default_location()?,
    };
    Store::open(&location)
        .await
        .with_context(|| format!("cannot open the store at {}", describe(&location)))
}

fn default_location() -> anyhow::Result<String> {
    let dir = dirs::data_dir().context(
        "cannot find a per-user data directory (is HOME set?); pass --database or set DEBRIEF_DATABASE",
    )?;
    Ok(dir.join("debrief").join("debrief.db").display().to_string())
}

/// A location for messages, with any password hidden.
fn describe(location: &str) -> String {
    debrief_store::Location::parse(location)
        .map(|l| l.to_string())
        .unwrap_or_else(|_| location.to_string())
}

/// The current instant and UTC date. Read once per command.
fn now() -> jiff::Timestamp {
    debrief_core::time::to_seconds(jiff::Timestamp::now())
}

fn today() -> jiff::civil::Date {
    debrief_core::time::utc_date(now())
}
