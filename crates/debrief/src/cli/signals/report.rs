//! `signals report` and `signals promote`: read the store's counts, rank, print, promote.

use std::process::ExitCode;

use anyhow::Context;
use debrief_core::time::{format_time, parse_span, parse_time};
use debrief_core::{IncidentId, Severity};
use debrief_signals::kinds::{Kind, Rules};
use debrief_signals::report::{Report, ReportOptions, sparkline};
use debrief_store::{PromoteTo, Store};
use serde::Serialize;

use crate::cli::output;

fn span_seconds(text: &str, what: &str) -> anyhow::Result<i64> {
    let d = parse_span(text).with_context(|| {
        format!("invalid {what} {text:?} (expected a span like 90m, 24h, 7d or 2w)")
    })?;
    if d.as_secs() <= 0 {
        anyhow::bail!("{what} must be longer than zero");
    }
    Ok(d.as_secs())
}

#[allow(clippy::too_many_arguments)]
pub async fn options(
    store: &Store,
    since: &str,
    baseline: &str,
    until: Option<&str>,
    kinds: &[String],
    service: Option<String>,
    cascade_window: &str,
    limit: usize,
) -> anyhow::Result<ReportOptions> {
    let window = span_seconds(since, "--since")?;
    let baseline = span_seconds(baseline, "--baseline")?;
    let cascade_window = span_seconds(cascade_window, "--cascade-window")?;
    let kinds = kinds
        .iter()
        .map(|k| {
            k.parse::<Kind>()
                .map_err(|e| anyhow::anyhow!("--kind: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let until = match until {
        Some(t) => parse_time(t, crate::cli::now())?.as_second(),
        None => match store.newest_signal_end().await? {
            Some(end) => end,
            None => crate::cli::now().as_second(),
        },
    };
    Ok(ReportOptions {
        until,
        window,
        baseline,
        kinds,
        service,
        cascade_window,
        limit,
        bars: 24,
    })
}

#[derive(Serialize)]
struct JsonSignal<'a> {
    #[serde(flatten)]
    signal: &'a debrief_signals::report::Signal,
    examples: Vec<debrief_store::SignalExample>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    from: jiff::Timestamp,
    until: jiff::Timestamp,
    baseline_from: jiff::Timestamp,
    signals: Vec<JsonSignal<'a>>,
    cascades: &'a [debrief_signals::report::Cascade],
}

/// Up to `n` examples of a signal, from its sequences.
async fn examples_of(
    store: &Store,
    signal: &debrief_signals::report::Signal,
    n: usize,
) -> anyhow::Result<Vec<debrief_store::SignalExample>> {
    let ids: Vec<i64> = signal.sequence_ids.iter().take(8).copied().collect();
    let by_seq = store.signal_examples(&ids).await?;
    Ok(by_seq.into_values().flatten().take(n).collect())
}

pub async fn print(
    store: &Store,
    report: &Report,
    json: bool,
    markdown: bool,
) -> anyhow::Result<()> {
    if json {
        let mut signals = Vec::new();
        for s in &report.signals {
            signals.push(JsonSignal {
                signal: s,
                examples: examples_of(store, s, 3).await?,
            });
        }
        return output::emit_json(&JsonReport {
            from: report.from,
            until: report.until,
            baseline_from: report.baseline_from,
            signals,
            cascades: &report.cascades,
        });
    }
    let mut text = String::new();
    let window = format!(
        "{} → {} (baseline from {})",
        format_time(report.from),
        format_time(report.until),
        format_time(report.baseline_from)
    );
    if markdown {
        text.push_str(&format!("## Weak signals\n\n{window}\n\n"));
        if report.signals.is_empty() {
            text.push_str("No weak signals in this window.\n");
        } else {
            text.push_str("| fingerprint | kind | trend | count | baseline | services | template |\n|---|---|---|---:|---:|---|---|\n");
            for s in &report.signals {
                text.push_str(&format!(
                    "| `{}` | {} | {} | {} | {} | {} | `{}` |\n",
                    s.fingerprint,
                    s.kind,
                    s.trend.as_str(),
                    s.count,
                    s.baseline_count,
                    md_escape(&s.services.join(", ")),
                    md_escape(&output::clip(&s.template, 120)).replace('`', "'"),
                ));
            }
        }
        for (i, c) in report.cascades.iter().enumerate() {
            text.push_str(&format!(
                "\n### Cascade {} from {}\n\n",
                i + 1,
                format_time(c.start)
            ));
            for m in &c.members {
                text.push_str(&format!(
                    "- {} `{}` in **{}** ({}): `{}`\n",
                    format_time(m.onset),
                    m.fingerprint,
                    md_escape(&m.service),
                    m.kind,
                    md_escape(&output::clip(&m.template, 100)).replace('`', "'"),
                ));
            }
        }
        return output::emit(&text);
    }
    text.push_str(&format!("Weak signals {window}\n\n"));
    if report.signals.is_empty() {
        text.push_str("No weak signals in this window. (Scan logs with `debrief signals scan`.)\n");
        return output::emit(&text);
    }
    let rows = report
        .signals
        .iter()
        .map(|s| {
            vec![
                s.fingerprint.clone(),
                s.kind.to_string(),
                s.trend.as_str().to_string(),
                s.count.to_string(),
                format!("{:.0}", s.expected),
                sparkline(&s.rate),
                output::clip(&s.services.join(","), 24),
                output::clip(&s.template, 70),
            ]
        })
        .collect();
    text.push_str(&output::table(
        &[
            "FINGERPRINT",
            "KIND",
            "TREND",
            "COUNT",
            "EXPECTED",
            "RATE",
            "SERVICES",
            "TEMPLATE",
        ],
        rows,
    ));
    // Examples of the top signals.
    text.push_str("\nExamples:\n");
    for s in report.signals.iter().take(5) {
        text.push_str(&format!(
            "  {} first {} last {}\n",
            s.fingerprint,
            format_time(s.first_seen),
            format_time(s.last_seen)
        ));
        for e in examples_of(store, s, 2).await? {
            text.push_str(&format!("    {}\n", output::clip(&e.line, 150)));
            if !e.variables.is_empty() {
                text.push_str(&format!(
                    "      variables: {}\n",
                    output::clip(&e.variables.join(" | "), 140)
                ));
            }
        }
    }
    for (i, c) in report.cascades.iter().enumerate() {
        text.push_str(&format!(
            "\nCascade {} from {}:\n",
            i + 1,
            format_time(c.start)
        ));
        for m in &c.members {
            text.push_str(&format!(
                "  {}  {:<16} {:<12} {}  {}\n",
                format_time(m.onset),
                output::clip(&m.service, 16),
                m.kind.as_str(),
                m.fingerprint,
                output::clip(&m.template, 60)
            ));
        }
    }
    output::emit(&text)
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub async fn promote(
    store: &Store,
    rules: &Rules,
    fingerprint: &str,
    incident: Option<&str>,
    severity: &str,
    title: Option<String>,
    since: &str,
) -> anyhow::Result<ExitCode> {
    let mut opts = options(store, since, "7d", None, &[], None, "15m", usize::MAX).await?;
    // Any kind, none included: a user may promote whatever the report showed.
    opts.kinds = Kind::ALL.to_vec();
    let to = match incident {
        Some(id) => PromoteTo::Existing(id.parse::<IncidentId>()?),
        None => PromoteTo::New {
            severity: severity.parse::<Severity>()?,
            title,
            detected: crate::cli::now(),
        },
    };
    let done = match store.promote_signal(rules, &opts, fingerprint, to).await {
        Err(debrief_store::StoreError::NotFound(what)) => {
            anyhow::bail!("no {what} (see `debrief signals report --since …`)")
        }
        other => other?,
    };
    if done.created {
        output::emit(&format!(
            "Opened {} from signal {}\n",
            done.incident, done.fingerprint
        ))?;
    } else {
        output::emit(&format!(
            "Added signal {} to {}\n",
            done.fingerprint, done.incident
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
