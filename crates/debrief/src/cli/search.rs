//! `debrief search`: find what the organization already learned.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Args;
use debrief_core::Severity;
use debrief_core::time::parse_since;
use debrief_store::{SearchQuery, Store};

use super::output::{emit, emit_json};

#[derive(Args)]
#[command(after_help = "Examples:\n  \
    debrief search timeout                          # also finds \"timeouts\"\n  \
    debrief search '\"connection pool\" exhausted'    # a phrase, and a word\n  \
    debrief search 'deploy* -canary' --since 90d    # a prefix, and a word left out\n  \
    debrief search dns --service checkout --severity SEV1,SEV2 --factor monitoring --json\n\n\
    Searches titles, summaries, impact, timelines, contributing factors with their why-chains,\n\
    lessons, action items and notes. Words are matched by their stem (\"timeouts\" finds\n\
    \"timeout\"); any word may match and incidents with more of them, or with them in the title,\n\
    rank higher. Each hit shows where the words are.")]
pub struct SearchArgs {
    /// Words, "quoted phrases", prefix*, -excluded.
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    query: Vec<String>,
    /// Only incidents in this service (repeat or comma-separate for several).
    #[arg(long, value_delimiter = ',')]
    service: Vec<String>,
    /// Only these severities (SEV1,SEV2).
    #[arg(long, value_delimiter = ',')]
    severity: Vec<Severity>,
    /// Only incidents with a contributing factor of this category (monitoring, tooling, …)
    /// or level (technical, process, organization).
    #[arg(long)]
    factor: Option<String>,
    /// Only incidents that started since: a span (90d, 2w) or a date (2024-03-01).
    #[arg(long)]
    since: Option<String>,
    /// At most this many hits.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Print JSON (hits with their snippets and where the words are in them).
    #[arg(long)]
    json: bool,
}

pub async fn run(store: &Store, a: SearchArgs) -> anyhow::Result<ExitCode> {
    let query = SearchQuery {
        text: a.query.join(" "),
        services: a.service,
        severities: a.severity,
        factor: a.factor.map(|f| f.trim().to_ascii_lowercase()),
        since: a
            .since
            .as_deref()
            .map(|s| parse_since(s, super::now()))
            .transpose()?,
        limit: a.limit.max(1),
    };
    let found = store.search(&query).await?;
    if a.json {
        emit_json(&found)?;
        return Ok(ExitCode::SUCCESS);
    }
    if found.hits.is_empty()
        && found.experiments.is_empty()
        && found.premortems.is_empty()
        && found.near_misses.is_empty()
        && found.retros.is_empty()
    {
        eprintln!("nothing found for {:?}", query.text);
        return Ok(ExitCode::SUCCESS);
    }
    let (open, close) = if std::io::stdout().is_terminal() {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("**", "**")
    };
    let mut out = String::new();
    for h in &found.hits {
        out.push_str(&format!(
            "{}  {}  {}  {}  {}\n",
            h.id,
            h.severity,
            h.started
                .map(|t| debrief_core::time::utc_date(t).to_string())
                .unwrap_or_else(|| "          ".into()),
            h.review,
            h.title
        ));
        for s in &h.snippets {
            out.push_str(&format!(
                "    {}: {}\n",
                s.field.as_str(),
                s.marked(open, close, str::to_string)
            ));
        }
    }
    if found.total > found.hits.len() {
        out.push_str(&format!(
            "({} of {}{} matching incidents; --limit shows more)\n",
            found.hits.len(),
            if found.total_at_least {
                "at least "
            } else {
                ""
            },
            found.total
        ));
    }
    if !found.experiments.is_empty() {
        out.push_str(if found.hits.is_empty() {
            "experiments:\n"
        } else {
            "\nexperiments:\n"
        });
        for e in &found.experiments {
            out.push_str(&format!(
                "{}  {}  {}  {}  {}\n",
                e.id,
                e.kind,
                e.started
                    .map(|t| debrief_core::time::utc_date(t).to_string())
                    .unwrap_or_else(|| "          ".into()),
                match e.outcome {
                    Some(debrief_core::ExperimentOutcome::Refuted) =>
                        "refuted (learned)".to_string(),
                    Some(o) => o.to_string(),
                    None => e.status.to_string(),
                },
                e.title
            ));
            for s in &e.snippets {
                out.push_str(&format!(
                    "    {}: {}\n",
                    debrief_store::ExperimentHit::field_name(s.field),
                    s.marked(open, close, str::to_string)
                ));
            }
        }
    }
    if !found.premortems.is_empty() {
        out.push_str(if out.is_empty() {
            "pre-mortems:\n"
        } else {
            "\npre-mortems:\n"
        });
        for p in &found.premortems {
            out.push_str(&format!(
                "{}  {}  {} risks, {} foreseen, {} surprises  {}\n",
                p.id,
                p.launch
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "          ".into()),
                p.foresight.risks,
                p.foresight.foreseen,
                p.foresight.surprises,
                p.title
            ));
            for s in &p.snippets {
                out.push_str(&format!(
                    "    {}: {}\n",
                    debrief_store::PremortemHit::field_name(s.field),
                    s.marked(open, close, str::to_string)
                ));
            }
        }
    }
    if !found.near_misses.is_empty() {
        out.push_str(if out.is_empty() {
            "near-miss reports:\n"
        } else {
            "\nnear-miss reports:\n"
        });
        for n in &found.near_misses {
            out.push_str(&format!("report {}  {}  {}\n", n.id, n.reported_on, n.what));
        }
    }
    if !found.retros.is_empty() {
        out.push_str(if out.is_empty() {
            "retros:\n"
        } else {
            "\nretros:\n"
        });
        for r in &found.retros {
            let n = |k: usize, one: &str| format!("{k} {one}{}", if k == 1 { "" } else { "s" });
            out.push_str(&format!(
                "{}  {}  {}, {}  {}\n",
                r.id,
                r.held,
                n(r.items, "item"),
                n(r.actions, "action item"),
                r.title
            ));
            for s in &r.snippets {
                out.push_str(&format!(
                    "    {}: {}\n",
                    debrief_store::RetroHit::field_name(s.field),
                    s.marked(open, close, str::to_string)
                ));
            }
        }
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}
