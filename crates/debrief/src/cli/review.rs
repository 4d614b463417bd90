//! `debrief review …`, `debrief export` and `debrief import`: reviews as Markdown files.
//!
//! Imports read and check every document before the store is touched, and write them all in
//! one transaction: a bad file anywhere means nothing is imported.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use debrief_core::{Acknowledgement, Incident, IncidentId, ReviewState};
use debrief_review::gate::Blocker;
use debrief_review::{read_document, render};
use debrief_store::{ImportReport, Store};
use serde::{Deserialize, Serialize};

use super::output::emit;

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// Write an incident's whole review as a Markdown document.
    #[command(after_help = "Examples:\n  \
        debrief review export INC-3                 # to stdout\n  \
        debrief review export INC-3 -o docs/postmortems/INC-3.md\n\n\
        Front matter holds the structured fields; the sections (summary, impact, timeline,\n\
        contributing factors with their why-chains, lessons, action items, notes) are plain\n\
        Markdown to edit in a text editor or a pull request, then bring back with `review import`.")]
    Export {
        /// The incident: INC-3 or 3.
        id: IncidentId,
        /// Write to this file instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Create or update incidents from review documents, all or nothing.
    #[command(after_help = "Examples:\n  \
        debrief review import docs/postmortems/INC-3.md\n  \
        debrief review import examples/reviews/*.md\n  \
        debrief review import --skip-existing examples/reviews/*.md   # add only what is missing\n\n\
        A document with `id: INC-N` in its front matter updates that incident (or creates it\n\
        with that number); one without an id creates a new incident. If any file is malformed,\n\
        every problem is listed with its file and line, and nothing is imported.")]
    Import {
        /// Review documents (Markdown with front matter).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Replace stored incidents whose number matches but whose title differs.
        #[arg(long, conflicts_with = "skip_existing")]
        replace: bool,
        /// Leave alone the incidents the store already has (whatever was changed there since
        /// stays): only documents whose number is not stored yet, or that have none, are imported.
        #[arg(long)]
        skip_existing: bool,
    },
    /// Acknowledge a lint finding of a stored review: it stays visible, but no longer blocks
    /// publishing.
    #[command(after_help = "Examples:\n  \
        debrief lint --incident INC-3                     # findings end with their id\n  \
        debrief review ack INC-3 human-error-1a2b3c4d --reason \"quoted from the customer's report\"\n  \
        debrief review ack INC-3 human-error-1a2b3c4d --withdraw\n\n\
        The id names the finding by its rule and its sentence: an acknowledgement holds while\n\
        the sentence reads the same, and a reworded sentence is looked at afresh.")]
    Ack {
        /// The incident: INC-3 or 3.
        id: IncidentId,
        /// The finding's id, as `debrief lint --incident` prints it.
        finding: String,
        /// Why the finding stands as written (kept with the review).
        #[arg(long, required_unless_present = "withdraw")]
        reason: Option<String>,
        /// Take an acknowledgement back.
        #[arg(long, conflicts_with = "reason")]
        withdraw: bool,
    },
    /// Send a draft review for review (draft → in review).
    #[command(after_help = "Example:\n  debrief review submit INC-3\n\n\
        Prints what would still block publishing, so the reviewers see it first.")]
    Submit {
        /// The incident: INC-3 or 3.
        id: IncidentId,
    },
    /// Publish a review (in review → published) once nothing blocks it.
    #[command(after_help = "Example:\n  debrief review publish INC-3\n\n\
        Publishing is refused, with each reason and how to fix it, while\n  \
        - an error-level lint finding is not reworded or acknowledged (`review ack`);\n  \
        - the review has no contributing factor, or every one is technical (a holistic review\n    \
        names process or organization factors too);\n  \
        - an action item has no owner team (`action edit A-7 --owner TEAM`).\n\
        The lint rules are those `debrief lint` uses (its config included). Exit status 1 when\n\
        refused.")]
    Publish {
        /// The incident: INC-3 or 3.
        id: IncidentId,
    },
    /// Move a review back to draft, to change it (in review or published → draft).
    #[command(after_help = "Example:\n  debrief review reopen INC-3\n\n\
        Acknowledgements stay; publishing again goes through `review submit` and `review publish`.")]
    Reopen {
        /// The incident: INC-3 or 3.
        id: IncidentId,
    },
    /// Print an empty review document to start from.
    #[command(
        after_help = "Example:\n  debrief review template > INC-new.md && $EDITOR INC-new.md && debrief review import INC-new.md"
    )]
    Template,
}

/// What `debrief export` writes beside the documents, so `debrief import` reads exactly them.
#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    reviews: Vec<String>,
    /// `experiments/EXP-N.json`, each the experiment as JSON (absent in older exports).
    #[serde(default)]
    experiments: Vec<String>,
    /// `premortems/PM-N.json` (absent in older exports).
    #[serde(default)]
    premortems: Vec<String>,
    /// `retros/RETRO-N.json`, each with the action items its close decided (absent in
    /// older exports).
    #[serde(default)]
    retros: Vec<String>,
    /// `near-misses.json`: every confidential near-miss report, as an array (absent in
    /// older exports, and when there are none).
    #[serde(default)]
    near_misses: Vec<String>,
    /// `bows.json`: the failures volunteered for the digest's bows slot, as an array.
    #[serde(default)]
    bows: Vec<String>,
    /// `problems.json`: every problem with its incidents (computed, linked in or kept out by
    /// hand), as an array, so numbers and decisions survive computing again elsewhere.
    #[serde(default)]
    problems: Vec<String>,
}

const MANIFEST: &str = "debrief-export.json";
const FORMAT: &str = "debrief-export";

pub async fn run(store: &Store, cmd: ReviewCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ReviewCommand::Export { id, output } => {
            let doc = render(&store.get_incident(id).await?);
            match output {
                Some(path) => {
                    write_atomically(&path, &doc)?;
                    eprintln!("wrote {}", path.display());
                }
                None => emit(&doc)?,
            }
        }
        ReviewCommand::Import {
            files,
            replace,
            skip_existing,
        } => {
            let files = if skip_existing {
                not_stored(store, files).await?
            } else {
                files
            };
            if files.is_empty() {
                emit("0 created, 0 updated, 0 unchanged\n")?;
                return Ok(ExitCode::SUCCESS);
            }
            import_files(store, &files, replace).await?;
        }
        ReviewCommand::Template => emit(&debrief_review::template())?,
        ReviewCommand::Ack {
            id,
            finding,
            reason,
            withdraw,
        } => return ack(store, id, finding, reason, withdraw).await,
        ReviewCommand::Submit { id } => return submit(store, id).await,
        ReviewCommand::Publish { id } => return publish(store, id).await,
        ReviewCommand::Reopen { id } => {
            let incident = store.get_incident(id).await?;
            if incident.review == ReviewState::Draft {
                eprintln!("{id} is already a draft");
            } else {
                store
                    .set_review_state(&incident, ReviewState::Draft, crate::cli::now())
                    .await?;
                emit(&format!("{id}: review reopened as a draft\n"))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn ack(
    store: &Store,
    id: IncidentId,
    finding: String,
    reason: Option<String>,
    withdraw: bool,
) -> anyhow::Result<ExitCode> {
    if withdraw {
        if store.withdraw_acknowledgement(id, &finding).await? {
            emit(&format!("{id}: {finding} is no longer acknowledged\n"))?;
        } else {
            bail!("{id} has no acknowledgement of {finding}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let incident = store.get_incident(id).await?;
    let rules = super::lint::load_rules(None, None)?;
    let findings = debrief_review::gate::lint_review(&incident, &rules);
    let Some(found) = findings.iter().find(|f| f.id == finding) else {
        let ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
        bail!(
            "{finding} is not a finding of {id} as it reads now{}; `debrief lint --incident {id}` \
             lists them with their ids",
            if ids.is_empty() {
                " (it has none)".to_string()
            } else {
                format!(" (it has {})", ids.join(", "))
            }
        );
    };
    let ack = Acknowledgement {
        finding: finding.clone(),
        reason: reason.unwrap_or_default().trim().to_string(),
        at: super::now(),
    };
    store.acknowledge(id, &ack).await?;
    emit(&format!(
        "{id}: acknowledged {finding} ({} {} at {}:{}); it no longer blocks publishing\n",
        found.level.as_str(),
        found.rule,
        found.line,
        found.column
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// What blocks publishing `incident` now.
fn blockers(incident: &Incident) -> anyhow::Result<Vec<Blocker>> {
    let rules = super::lint::load_rules(None, None)?;
    let findings = debrief_review::gate::lint_review(incident, &rules);
    Ok(debrief_review::gate::publish_blockers(
        incident,
        &findings,
        &incident.acknowledged,
    ))
}

/// The blockers as a numbered list, each with how to fix it.
fn list_blockers(id: IncidentId, blockers: &[Blocker]) -> String {
    let mut text = String::new();
    for (n, b) in blockers.iter().enumerate() {
        text.push_str(&format!(
            "  {}. {b}\n     fix: {}\n",
            n + 1,
            b.how_to_fix(&id.to_string())
        ));
    }
    text
}

async fn submit(store: &Store, id: IncidentId) -> anyhow::Result<ExitCode> {
    let incident = store.get_incident(id).await?;
    match incident.review {
        ReviewState::Draft => {}
        ReviewState::InReview => {
            eprintln!("{id} is already in review");
            return Ok(ExitCode::SUCCESS);
        }
        ReviewState::Published => bail!(
            "{id} is published; to change it, `debrief review reopen {id}` makes it a draft again"
        ),
    }
    let open = blockers(&incident)?;
    store
        .set_review_state(&incident, ReviewState::InReview, crate::cli::now())
        .await?;
    let mut text = format!("{id}: review submitted (draft → in review)\n");
    if open.is_empty() {
        text.push_str(&format!(
            "Nothing blocks publishing it: `debrief review publish {id}` when the reviewers agree.\n"
        ));
    } else {
        text.push_str(&format!(
            "Before it can be published, {} to fix:\n{}",
            plural(open.len(), "point"),
            list_blockers(id, &open)
        ));
    }
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

async fn publish(store: &Store, id: IncidentId) -> anyhow::Result<ExitCode> {
    let incident = store.get_incident(id).await?;
    match incident.review {
        ReviewState::InReview => {}
        ReviewState::Draft => bail!(
            "{id} is a draft: submit it for review first (`debrief review submit {id}`), then \
             publish it"
        ),
        ReviewState::Published => {
            eprintln!("{id} is already published");
            return Ok(ExitCode::SUCCESS);
        }
    }
    let open = blockers(&incident)?;
    if !open.is_empty() {
        eprint!(
            "error: {id} cannot be published yet; {} to fix:\n{}",
            plural(open.len(), "point"),
            list_blockers(id, &open)
        );
        return Ok(ExitCode::FAILURE);
    }
    store
        .set_review_state(&incident, ReviewState::Published, crate::cli::now())
        .await?;
    emit(&format!("{id}: review published\n"))?;
    Ok(ExitCode::SUCCESS)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The files whose document names no incident, or one the store does not have; the rest are
/// said to be kept as stored. A file that cannot be read stays, for the import to report.
async fn not_stored(store: &Store, files: Vec<PathBuf>) -> anyhow::Result<Vec<PathBuf>> {
    let mut keep = Vec::with_capacity(files.len());
    for path in files {
        if let Ok(Incident { id: Some(id), .. }) = read_document(&path) {
            match store.get_incident(id).await {
                Ok(_) => {
                    eprintln!("kept {id} as stored; not importing {}", path.display());
                    continue;
                }
                Err(debrief_store::StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        keep.push(path);
    }
    Ok(keep)
}

/// Reads every file, then imports them in one transaction and says what happened to each.
async fn import_files(
    store: &Store,
    files: &[PathBuf],
    replace: bool,
) -> anyhow::Result<ImportReport> {
    let mut docs: Vec<Incident> = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for path in files {
        match read_document(path) {
            Ok(doc) => docs.push(doc),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}");
        }
        bail!(
            "{} of {} file{} could not be read; nothing was imported",
            errors.len(),
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
    }
    let held = hold_unpublishable(store, files, &mut docs).await?;
    let report = store
        .import(&docs, replace)
        .await
        .context("nothing was imported")?;
    for note in &held {
        eprintln!("{note}");
    }
    let mut out = String::new();
    for (path, id) in files.iter().zip(&report.ids) {
        let what = if report.created.contains(id) {
            "created"
        } else if report.updated.contains(id) {
            "updated"
        } else {
            "unchanged"
        };
        out.push_str(&format!("{what} {id} from {}\n", path.display()));
    }
    out.push_str(&format!(
        "{} created, {} updated, {} unchanged\n",
        report.created.len(),
        report.updated.len(),
        report.unchanged.len()
    ));
    emit(&out)?;
    Ok(report)
}

/// A document that says `review: published` goes through the publish gate as written, unless
/// it is what the store already holds: one that would not pass is imported in review, not
/// published (its text is kept; `review publish` says what to fix). Returns what to tell the
/// author about each document held back.
async fn hold_unpublishable(
    store: &Store,
    files: &[PathBuf],
    docs: &mut [Incident],
) -> anyhow::Result<Vec<String>> {
    let mut held = Vec::new();
    let mut rules = None;
    for (path, doc) in files.iter().zip(docs.iter_mut()) {
        if doc.review != ReviewState::Published {
            continue;
        }
        let stored = match doc.id {
            Some(id) => match store.get_incident(id).await {
                Ok(stored) => Some(stored),
                Err(debrief_store::StoreError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        if rules.is_none() {
            rules = Some(super::lint::load_rules(None, None)?);
        }
        let rules = rules.as_ref().expect("loaded above");
        let blockers = debrief_review::gate::import_blockers(doc, stored.as_ref(), rules);
        if blockers.is_empty() {
            continue;
        }
        doc.review = ReviewState::InReview;
        let name = doc
            .id
            .map_or_else(|| path.display().to_string(), |id| id.to_string());
        let mut note = format!(
            "{name}: imported in review, not published: as {} reads now, {} to fix:\n",
            path.display(),
            if blockers.len() == 1 {
                "1 point".to_string()
            } else {
                format!("{} points", blockers.len())
            }
        );
        for (n, b) in blockers.iter().enumerate() {
            note.push_str(&format!(
                "  {}. {b}\n     fix: {}\n",
                n + 1,
                b.how_to_fix(&name)
            ));
        }
        held.push(note.trim_end().to_string());
    }
    Ok(held)
}

/// Writes every review to `dir/reviews/INC-N.md` and the manifest.
pub async fn export_dir(store: &Store, dir: &Path) -> anyhow::Result<ExitCode> {
    let reviews = dir.join("reviews");
    std::fs::create_dir_all(&reviews)
        .with_context(|| format!("cannot create {}", reviews.display()))?;
    let mut names = Vec::new();
    for id in store.incident_ids().await? {
        let doc = render(&store.get_incident(id).await?);
        let name = format!("reviews/{id}.md");
        write_atomically(&dir.join(&name), &doc)?;
        names.push(name);
    }
    let experiments = write_json_docs(
        dir,
        "experiments",
        store.experiments().await?.iter().map(|e| (e.id, e)),
    )?;
    let premortems = write_json_docs(
        dir,
        "premortems",
        store.premortems().await?.iter().map(|p| (p.id, p)),
    )?;
    let retros = write_json_docs(
        dir,
        "retros",
        store.retros().await?.iter().map(|r| (r.id, r)),
    )?;
    let near_misses = write_json_list(dir, "near-misses.json", &store.near_misses().await?)?;
    let bows = write_json_list(dir, "bows.json", &store.bows(None).await?)?;
    let problems = write_json_list(dir, "problems.json", &store.problem_members().await?)?;
    let counts = [
        (names.len(), "review", "reviews"),
        (experiments.len(), "experiment", "experiments"),
        (premortems.len(), "pre-mortem", "pre-mortems"),
        (retros.len(), "retro", "retros"),
        (near_misses.1, "near-miss report", "near-miss reports"),
        (bows.1, "failure bow", "failure bows"),
        (problems.1, "problem", "problems"),
    ];
    let manifest = Manifest {
        format: FORMAT.into(),
        version: 1,
        reviews: names,
        experiments,
        premortems,
        retros,
        near_misses: near_misses.0,
        bows: bows.0,
        problems: problems.0,
    };
    let mut json = serde_json::to_string_pretty(&manifest)?;
    json.push('\n');
    write_atomically(&dir.join(MANIFEST), &json)?;
    // Reviews always; the other kinds when there are some.
    let said: Vec<String> = counts
        .iter()
        .enumerate()
        .filter(|(k, (n, _, _))| *k == 0 || *n > 0)
        .map(|(_, (n, one, many))| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
    let said = match said.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => said.join(""),
    };
    emit(&format!("exported {said} to {}\n", dir.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `items` as one JSON array to `dir/name` when there are any; returns the names
/// written (for the manifest) and how many items.
fn write_json_list<T: Serialize>(
    dir: &Path,
    name: &str,
    items: &[T],
) -> anyhow::Result<(Vec<String>, usize)> {
    if items.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let mut json = serde_json::to_string_pretty(items)?;
    json.push('\n');
    write_atomically(&dir.join(name), &json)?;
    Ok((vec![name.to_string()], items.len()))
}

/// Reads arrays written by [`write_json_list`] and checks each item; `what` names one
/// file's content in errors.
fn read_json_lists<T: serde::de::DeserializeOwned>(
    files: &[PathBuf],
    what: &str,
    validate: impl Fn(&T) -> Result<(), debrief_core::InvalidValue>,
) -> anyhow::Result<Vec<T>> {
    Ok(read_json_docs(files, what, |all: &Vec<T>| {
        all.iter().try_for_each(&validate)
    })?
    .into_iter()
    .flatten()
    .collect())
}

/// Writes records kept as JSON (experiments, pre-mortems, retros) to `dir/sub/ID.json`;
/// returns their names relative to `dir`, sorted.
fn write_json_docs<'a, I: std::fmt::Display, T: Serialize + 'a>(
    dir: &Path,
    sub: &str,
    docs: impl Iterator<Item = (Option<I>, &'a T)>,
) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for (id, doc) in docs {
        let Some(id) = id else { continue };
        let name = format!("{sub}/{id}.json");
        let path = dir.join(&name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let mut json = serde_json::to_string_pretty(doc)?;
        json.push('\n');
        write_atomically(&path, &json)?;
        names.push(name);
    }
    names.sort();
    Ok(names)
}

/// Reads and checks records written by [`write_json_docs`], all before anything is stored:
/// a bad one stops the import. `what` names one in errors ("an experiment").
fn read_json_docs<T: serde::de::DeserializeOwned>(
    files: &[PathBuf],
    what: &str,
    validate: impl Fn(&T) -> Result<(), debrief_core::InvalidValue>,
) -> anyhow::Result<Vec<T>> {
    let mut out = Vec::with_capacity(files.len());
    for path in files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let doc: T = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not {what} as `debrief export` writes it",
                path.display()
            )
        })?;
        validate(&doc).map_err(|err| anyhow::anyhow!("{}: {}", path.display(), err.message))?;
        out.push(doc);
    }
    Ok(out)
}

/// Imports a directory written by `export_dir` (or any directory of review documents).
/// `debrief import PATH…`: export directories, and post-mortem JSON lines files (all the
/// files in one transaction; a directory is its own).
pub async fn import_paths(
    store: &Store,
    paths: &[PathBuf],
    replace: bool,
) -> anyhow::Result<ExitCode> {
    let (files, dirs): (Vec<&PathBuf>, Vec<&PathBuf>) = paths
        .iter()
        .partition(|p| p.extension().is_some_and(|x| x == "jsonl" || x == "ndjson"));
    for dir in dirs {
        import_dir(store, dir, replace).await?;
    }
    if !files.is_empty() {
        import_postmortems(store, &files).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads post-mortem records from JSON lines files and creates an incident for each one not
/// stored yet (same title and start).
async fn import_postmortems(store: &Store, files: &[&PathBuf]) -> anyhow::Result<()> {
    let mut docs: Vec<Incident> = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let Ok(text) = String::from_utf8(bytes) else {
            errors.push(format!("{}: not UTF-8 text", path.display()));
            continue;
        };
        match debrief_review::postmortems::read(&text) {
            Ok(found) => docs.extend(found),
            Err(bad) => errors.extend(bad.iter().map(|e| format!("{}:{e}", path.display()))),
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}");
        }
        bail!("{} bad line(s); nothing was imported", errors.len());
    }
    let stored: std::collections::HashSet<(String, Option<jiff::Timestamp>)> = store
        .list_incidents(&debrief_store::IncidentFilter::default())
        .await?
        .into_iter()
        .map(|i| (i.title, i.started))
        .collect();
    let read = docs.len();
    let mut seen = std::collections::HashSet::new();
    docs.retain(|d| {
        let key = (d.title.clone(), d.started);
        !stored.contains(&key) && seen.insert(key)
    });
    let report = store
        .import(&docs, false)
        .await
        .context("nothing was imported")?;
    emit(&format!(
        "{} post-mortems read, {} created ({} already stored)\n",
        read,
        report.created.len(),
        read - docs.len()
    ))?;
    Ok(())
}

pub async fn import_dir(store: &Store, dir: &Path, replace: bool) -> anyhow::Result<ExitCode> {
    if !dir.is_dir() {
        bail!(
            "{}: not a directory (expected one written by `debrief export`)",
            dir.display()
        );
    }
    let manifest_path = dir.join(MANIFEST);
    let mut experiment_files: Vec<PathBuf> = Vec::new();
    let mut premortem_files: Vec<PathBuf> = Vec::new();
    let mut retro_files: Vec<PathBuf> = Vec::new();
    let mut near_miss_files: Vec<PathBuf> = Vec::new();
    let mut bow_files: Vec<PathBuf> = Vec::new();
    let mut problem_files: Vec<PathBuf> = Vec::new();
    let files: Vec<PathBuf> = if manifest_path.exists() {
        let text = std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("cannot read {}", manifest_path.display()))?;
        let m: Manifest = serde_json::from_str(&text).with_context(|| {
            format!("{}: not a debrief export manifest", manifest_path.display())
        })?;
        if m.format != FORMAT || m.version != 1 {
            bail!(
                "{}: format {:?} version {} is not one this debrief reads ({FORMAT:?} version 1)",
                manifest_path.display(),
                m.format,
                m.version
            );
        }
        for name in m
            .reviews
            .iter()
            .chain(&m.experiments)
            .chain(&m.premortems)
            .chain(&m.retros)
            .chain(&m.near_misses)
            .chain(&m.bows)
            .chain(&m.problems)
        {
            let p = Path::new(name);
            if p.is_absolute()
                || p.components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                bail!(
                    "{}: {name:?} points outside the export directory",
                    manifest_path.display()
                );
            }
        }
        experiment_files = m.experiments.iter().map(|n| dir.join(n)).collect();
        premortem_files = m.premortems.iter().map(|n| dir.join(n)).collect();
        retro_files = m.retros.iter().map(|n| dir.join(n)).collect();
        near_miss_files = m.near_misses.iter().map(|n| dir.join(n)).collect();
        bow_files = m.bows.iter().map(|n| dir.join(n)).collect();
        problem_files = m.problems.iter().map(|n| dir.join(n)).collect();
        m.reviews.iter().map(|n| dir.join(n)).collect()
    } else {
        let sub = dir.join("reviews");
        let from = if sub.is_dir() { sub } else { dir.to_path_buf() };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&from)
            .with_context(|| format!("cannot read {}", from.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md") && p.is_file())
            .collect();
        files.sort();
        files
    };
    if files.is_empty()
        && experiment_files.is_empty()
        && premortem_files.is_empty()
        && retro_files.is_empty()
        && near_miss_files.is_empty()
        && bow_files.is_empty()
        && problem_files.is_empty()
    {
        bail!("{}: no review documents found", dir.display());
    }
    // Every record is read and checked before anything is written: a bad one stops the
    // import.
    let experiments = read_json_docs(
        &experiment_files,
        "an experiment",
        |e: &debrief_core::Experiment| e.validate(),
    )?;
    let premortems = read_json_docs(
        &premortem_files,
        "a pre-mortem",
        |p: &debrief_core::Premortem| p.validate(),
    )?;
    let retros = read_json_docs(&retro_files, "a retro", |r: &debrief_core::Retro| {
        r.validate()
    })?;
    let near_misses = read_json_lists(
        &near_miss_files,
        "a list of near-miss reports",
        debrief_store::NearMiss::validate,
    )?;
    let bows = read_json_lists(
        &bow_files,
        "a list of failure bows",
        debrief_store::Bow::validate,
    )?;
    let problems = read_json_lists(
        &problem_files,
        "a list of problems",
        |_: &debrief_store::ProblemMembers| Ok(()),
    )?;
    if !files.is_empty() {
        import_files(store, &files, replace).await?;
    }
    if !premortems.is_empty() {
        let (created, updated, unchanged) = store.import_premortems(&premortems).await?;
        emit(&format!(
            "pre-mortems: {created} created, {updated} updated, {unchanged} unchanged\n"
        ))?;
    }
    if !experiments.is_empty() {
        let (created, updated, unchanged) = store.import_experiments(&experiments).await?;
        emit(&format!(
            "experiments: {created} created, {updated} updated, {unchanged} unchanged\n"
        ))?;
    }
    if !near_misses.is_empty() {
        let (created, updated, unchanged) = store.import_near_misses(&near_misses).await?;
        emit(&format!(
            "near-miss reports: {created} created, {updated} updated, {unchanged} unchanged\n"
        ))?;
    }
    if !retros.is_empty() {
        let (created, updated, unchanged) = store.import_retros(&retros).await?;
        emit(&format!(
            "retros: {created} created, {updated} updated, {unchanged} unchanged\n"
        ))?;
    }
    if !bows.is_empty() {
        let (created, updated, unchanged) = store.import_bows(&bows).await?;
        emit(&format!(
            "failure bows: {created} created, {updated} updated, {unchanged} unchanged\n"
        ))?;
    }
    if !problems.is_empty() {
        let (created, updated, unchanged) = store.import_problem_members(&problems).await?;
        emit(&format!(
            "problems: {created} created, {updated} updated, {unchanged} unchanged\n"
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the review in the user's editor and imports it when the editor exits.
pub async fn edit_in_editor(store: &Store, id: IncidentId) -> anyhow::Result<ExitCode> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .context("no editor: set $VISUAL or $EDITOR, or pass field flags (see `debrief incident edit --help`)")?;
    let before = store.get_incident(id).await?;
    let doc = render(&before);
    let file = tempfile::Builder::new()
        .prefix(&format!("debrief-{id}-"))
        .suffix(".md")
        .tempfile()?;
    std::fs::write(file.path(), &doc)?;
    // The editor command may carry arguments ("code --wait"); the shell splits them.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file.path())
        .status()
        .with_context(|| format!("cannot run the editor {editor:?}"))?;
    if !status.success() {
        bail!("the editor exited with {status}; nothing changed");
    }
    let edited = std::fs::read_to_string(file.path()).unwrap_or_default();
    if edited == doc {
        emit(&format!("{id}: no change\n"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let parsed = read_document(file.path()).map(|mut i| {
        i.id = Some(id);
        i
    });
    match parsed {
        Ok(incident) => {
            store.import(&[incident], true).await?;
            emit(&format!("updated {id}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let (_, kept) = file.keep()?;
            bail!(
                "{e}\nnothing changed; your edit is kept in {} — fix it and run `debrief review import {}`",
                kept.display(),
                kept.display()
            );
        }
    }
}

/// Writes a file whole or not at all: a temporary file beside it, renamed into place.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
