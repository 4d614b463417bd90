//! `debrief metrics`: whether the organization learns, in figures.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use debrief_core::time::parse_since;
use debrief_store::{MetricsBy, MetricsRow, Store};

use super::output::{emit, emit_json};

#[derive(Clone, Copy, ValueEnum)]
pub enum By {
    All,
    Service,
    Severity,
    Month,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  \
    debrief metrics\n  \
    debrief metrics --since 180d --by month --format csv > learning.csv\n  \
    debrief metrics --by service --format json\n\n\
    Times are from the start of an incident to its detection, mitigation and resolution and\n\
    to its review's first publication, as medians and 90th percentiles (incident durations\n\
    are skewed: a mean alone misleads); CSV and JSON give minutes. near_miss_ratio: near\n\
    misses (marked incidents and confidential reports) of all incidents and reports.\n\
    experiments_run / _concluded: experiments started / concluded (by the month they started /\n\
    ended); experiments_refuted: the share of concluded ones whose hypothesis was refuted.\n\
    premortem_foresight: of the incidents linked to pre-mortems, the share a risk foresaw.\n\
    retros_held: retrospectives held (by the month held); retro_actions: action items decided\n\
    by retros closed (by the month closed), retro_action_closure: the share of those closed.\n\
    beyond_technical: share of incidents whose review names a process or\n\
    organization factor. monitoring_gaps: incidents with a monitoring factor. recurrence:\n\
    share of incidents that repeat an earlier one of their problem (`debrief problems`).")]
pub struct MetricsArgs {
    /// Only incidents that started since: a span (90d) or a date.
    #[arg(long)]
    since: Option<String>,
    /// Split the figures.
    #[arg(long, value_enum, default_value = "all")]
    by: By,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

const COLUMNS: &str = "group,incidents,detect_median,detect_p90,mitigate_median,mitigate_p90,resolve_median,resolve_p90,review_median,review_p90,near_misses,near_miss_reports,near_miss_ratio,beyond_technical,monitoring_gaps,signals_promoted,action_closure,action_close_days_median,action_close_days_p90,recurrence,experiments_run,experiments_concluded,experiments_refuted,premortem_foresight,retros_held,retro_actions,retro_action_closure";

fn opt(v: Option<i64>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(rows: &[MetricsRow]) -> String {
    let mut out = format!("{COLUMNS}\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{:.3},{:.3},{},{},{:.3},{},{},{:.3},{},{},{:.3},{},{},{},{:.3}\n",
            csv_field(&r.group),
            r.incidents,
            opt(r.detect_median),
            opt(r.detect_p90),
            opt(r.mitigate_median),
            opt(r.mitigate_p90),
            opt(r.resolve_median),
            opt(r.resolve_p90),
            opt(r.review_median),
            opt(r.review_p90),
            r.near_misses,
            r.near_miss_reports,
            r.near_miss_ratio,
            r.beyond_technical,
            r.monitoring_gaps,
            r.signals_promoted,
            r.action_closure,
            opt(r.action_close_days_median),
            opt(r.action_close_days_p90),
            r.recurrence,
            r.experiments_run,
            r.experiments_concluded,
            r.experiments_refuted,
            r.premortem_foresight
                .map_or(String::new(), |f| format!("{f:.3}")),
            r.retros_held,
            r.retro_actions,
            r.retro_action_closure
        ));
    }
    out
}

fn table(rows: &[MetricsRow]) -> String {
    let m = |v: Option<i64>| v.map_or("-".to_string(), debrief_core::time::minutes_text);
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "{}: {} incidents\n  detect   median {:>7}  p90 {:>7}\n  mitigate median {:>7}  p90 {:>7}\n  resolve  median {:>7}  p90 {:>7}\n  review   median {:>7}  p90 {:>7}  (to first publication)\n  \
             reviews beyond technical {:.0}%, monitoring gaps {}, near misses {} ({:.0}%), signals promoted {}\n  \
             action items closed {:.0}% (days to close: median {}, p90 {}), recurrence {:.0}%\n  \
             experiments run {}, concluded {}, refuted (learned from) {:.0}%; pre-mortem foresight {}\n  \
             retros held {}, action items they decided {} ({:.0}% closed)\n",
            r.group,
            r.incidents,
            m(r.detect_median),
            m(r.detect_p90),
            m(r.mitigate_median),
            m(r.mitigate_p90),
            m(r.resolve_median),
            m(r.resolve_p90),
            m(r.review_median),
            m(r.review_p90),
            r.beyond_technical * 100.0,
            r.monitoring_gaps,
            r.near_misses + r.near_miss_reports,
            r.near_miss_ratio * 100.0,
            r.signals_promoted,
            r.action_closure * 100.0,
            r.action_close_days_median
                .map_or("-".to_string(), |d| d.to_string()),
            r.action_close_days_p90
                .map_or("-".to_string(), |d| d.to_string()),
            r.recurrence * 100.0,
            r.experiments_run,
            r.experiments_concluded,
            r.experiments_refuted * 100.0,
            r.premortem_foresight
                .map_or("-".to_string(), |f| format!("{:.0}%", f * 100.0)),
            r.retros_held,
            r.retro_actions,
            r.retro_action_closure * 100.0
        ));
    }
    out
}

pub async fn run(store: &Store, a: MetricsArgs) -> anyhow::Result<ExitCode> {
    let since = a
        .since
        .as_deref()
        .map(|s| parse_since(s, super::now()))
        .transpose()?;
    let by = match a.by {
        By::All => MetricsBy::All,
        By::Service => MetricsBy::Service,
        By::Severity => MetricsBy::Severity,
        By::Month => MetricsBy::Month,
    };
    let rows = store.metrics(since, by).await?;
    match a.format {
        Format::Json => emit_json(&rows)?,
        Format::Csv => emit(&csv(&rows))?,
        Format::Table if rows.is_empty() => eprintln!("no incidents in that window"),
        Format::Table => emit(&table(&rows))?,
    }
    Ok(ExitCode::SUCCESS)
}
