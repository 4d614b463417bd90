//! The weak-signal report: which templates are worth a human's look, and which rose together.
//!
//! Input is what the store keeps: sequences (masked messages) with their first and last
//! bucket, and counts per bucket and service. Sequences are clustered into templates (the
//! same way `parse` does), then each template's count in the report window is set against
//! its count in the baseline window before it.
//!
//! - *Trend*: `new` if it was never seen before the window; `rising` if the window holds
//!   more than twice what the baseline rate predicts (and at least 3 more lines); `fading`
//!   if it holds less than half; else `steady`.
//! - *Score*: `ln(1 + count) × surprise`, where surprise is `(count + 1) / (expected + 1)`:
//!   a new storm of 300 lines scores far above a steady 5,000 a day.
//! - *Cascades*: for every new or rising template, the onset in each service (the bucket by
//!   which a tenth of the window's excess over the baseline has arrived); onsets in
//!   different services within the cascade window of each other form a cascade, earliest
//!   first.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Serialize;

use crate::kinds::{Kind, Rules};
use crate::miner::{Seen, cluster};
use crate::record::Level;
use crate::scan::BUCKET_SECONDS;

/// A stored sequence, as the report reads it.
#[derive(Debug, Clone)]
pub struct SequenceRow {
    pub id: i64,
    pub key: String,
    pub first_bucket: i64,
    pub last_bucket: i64,
}

/// A stored count, as the report reads it.
#[derive(Debug, Clone)]
pub struct CountRow {
    pub sequence_id: i64,
    pub bucket: i64,
    pub service: String,
    pub count: i64,
    pub failing: i64,
}

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The end of the report window (exclusive), in seconds since the epoch.
    pub until: i64,
    /// Length of the report window, in seconds.
    pub window: i64,
    /// Length of the baseline window before it, in seconds.
    pub baseline: i64,
    /// Only these kinds (empty: every kind but `none`).
    pub kinds: Vec<Kind>,
    pub service: Option<String>,
    /// Onsets this close (seconds) are one cascade.
    pub cascade_window: i64,
    pub limit: usize,
    /// Bars of the sparkline.
    pub bars: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    New,
    Rising,
    Steady,
    Fading,
}

impl Trend {
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::New => "new",
            Trend::Rising => "rising",
            Trend::Steady => "steady",
            Trend::Fading => "fading",
        }
    }
}

/// One ranked signal.
#[derive(Debug, Clone, Serialize)]
pub struct Signal {
    pub fingerprint: String,
    pub template: String,
    pub kind: Kind,
    pub trend: Trend,
    /// Lines in the report window.
    pub count: u64,
    /// Lines in the baseline window.
    pub baseline_count: u64,
    /// What the baseline rate predicts for the report window.
    pub expected: f64,
    pub score: f64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub services: Vec<String>,
    /// Lines per bar over the report window, oldest first.
    pub rate: Vec<u64>,
    /// The sequences the template holds (to look up examples).
    #[serde(skip)]
    pub sequence_ids: Vec<i64>,
}

/// Templates in different services that rose together.
#[derive(Debug, Clone, Serialize)]
pub struct Cascade {
    pub start: Timestamp,
    pub members: Vec<CascadeMember>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CascadeMember {
    pub fingerprint: String,
    pub kind: Kind,
    pub service: String,
    pub onset: Timestamp,
    pub template: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub from: Timestamp,
    pub until: Timestamp,
    pub baseline_from: Timestamp,
    pub signals: Vec<Signal>,
    pub cascades: Vec<Cascade>,
}

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Builds the report.
pub fn build(
    sequences: &[SequenceRow],
    counts: &[CountRow],
    rules: &Rules,
    opts: &ReportOptions,
) -> Report {
    let from = opts.until - opts.window;
    let base_from = from - opts.baseline;
    // Totals per sequence over the two windows decide the template clustering's input.
    let mut seen: BTreeMap<i64, Seen> = BTreeMap::new();
    for c in counts {
        let s = seen.entry(c.sequence_id).or_default();
        s.count += c.count.max(0) as u64;
        s.failing += c.failing.max(0) as u64;
    }
    // Cluster every stored sequence, so templates do not depend on the window.
    let clustering = cluster(sequences.iter().map(|s| {
        (
            s.key.as_str(),
            seen.get(&s.id).copied().unwrap_or(Seen {
                count: 1,
                failing: 0,
            }),
        )
    }));
    let by_id: BTreeMap<i64, &SequenceRow> = sequences.iter().map(|s| (s.id, s)).collect();

    #[derive(Default)]
    struct Acc {
        count: u64,
        failing: u64,
        base: u64,
        first: i64,
        last: i64,
        services: BTreeSet<String>,
        rate: Vec<u64>,
        ids: BTreeSet<i64>,
        // (service, bucket) → count in the window; service → baseline count.
        window_buckets: BTreeMap<(String, i64), u64>,
        base_by_service: BTreeMap<String, u64>,
    }
    let bars = opts.bars.max(1);
    let mut acc: BTreeMap<usize, Acc> = BTreeMap::new();
    for s in sequences {
        let Some(t) = clustering.template_of(&s.key) else {
            continue;
        };
        let a = acc.entry(t).or_insert_with(|| Acc {
            first: i64::MAX,
            last: i64::MIN,
            rate: vec![0; bars],
            ..Acc::default()
        });
        a.first = a.first.min(s.first_bucket);
        a.last = a.last.max(s.last_bucket);
        a.ids.insert(s.id);
    }
    for c in counts {
        let Some(s) = by_id.get(&c.sequence_id) else {
            continue;
        };
        let Some(t) = clustering.template_of(&s.key) else {
            continue;
        };
        let Some(a) = acc.get_mut(&t) else { continue };
        let n = c.count.max(0) as u64;
        if c.bucket >= from && c.bucket < opts.until {
            a.count += n;
            a.failing += c.failing.max(0) as u64;
            a.services.insert(c.service.clone());
            let bar =
                ((c.bucket - from) as i128 * bars as i128 / opts.window.max(1) as i128) as usize;
            a.rate[bar.min(bars - 1)] += n;
            *a.window_buckets
                .entry((c.service.clone(), c.bucket))
                .or_default() += n;
        } else if c.bucket >= base_from && c.bucket < from {
            a.base += n;
            *a.base_by_service.entry(c.service.clone()).or_default() += n;
        }
    }
    let scale = opts.window as f64 / opts.baseline.max(1) as f64;
    let mut signals = Vec::new();
    let mut onsets: Vec<(i64, usize, String)> = Vec::new(); // (onset, signal index, service)
    for (t, a) in acc {
        if a.count == 0 {
            continue;
        }
        let tpl = &clustering.templates[t];
        let level = (a.failing * 2 > a.count).then_some(Level::Error);
        let kind = rules.classify(&tpl.text, level);
        let wanted = if opts.kinds.is_empty() {
            kind != Kind::None
        } else {
            opts.kinds.contains(&kind)
        };
        if !wanted {
            continue;
        }
        if let Some(svc) = &opts.service {
            if !a.services.contains(svc) {
                continue;
            }
        }
        let expected = a.base as f64 * scale;
        let count = a.count as f64;
        let trend = if a.first >= from {
            Trend::New
        } else if count > 2.0 * expected && count >= expected + 3.0 {
            Trend::Rising
        } else if count < expected / 2.0 {
            Trend::Fading
        } else {
            Trend::Steady
        };
        let surprise = ((count + 1.0) / (expected + 1.0)).min(1000.0);
        let score = (1.0 + count).ln() * surprise;
        let index = signals.len();
        if matches!(trend, Trend::New | Trend::Rising) {
            // The onset in a service: the bucket where a tenth of the window's excess over
            // the baseline has arrived, so a stray early line does not count as the start.
            let mut first_by_service: BTreeMap<&str, i64> = BTreeMap::new();
            let buckets = (opts.window / BUCKET_SECONDS).max(1) as f64;
            let mut by_service: BTreeMap<&str, Vec<(i64, u64)>> = BTreeMap::new();
            for ((svc, bucket), n) in &a.window_buckets {
                by_service
                    .entry(svc.as_str())
                    .or_default()
                    .push((*bucket, *n));
            }
            for (svc, series) in by_service {
                let base = a.base_by_service.get(svc).copied().unwrap_or(0) as f64;
                let per_bucket = base * scale / buckets;
                // Buckets with no line count -per_bucket each; spread that over the window.
                let total: f64 = series.iter().map(|&(_, n)| n as f64).sum::<f64>() - base * scale;
                if total < 1.0 {
                    continue;
                }
                let mut cumulative = 0.0;
                let mut last_bucket = from;
                for &(bucket, n) in &series {
                    let quiet = ((bucket - last_bucket) / BUCKET_SECONDS).max(0) as f64;
                    cumulative += n as f64 - per_bucket * (quiet + 1.0);
                    last_bucket = bucket + BUCKET_SECONDS;
                    if cumulative >= (0.1 * total).max(1.0) {
                        first_by_service.insert(svc, bucket);
                        break;
                    }
                }
            }
            for (svc, onset) in first_by_service {
                onsets.push((onset, index, svc.to_string()));
            }
        }
        signals.push(Signal {
            fingerprint: tpl.fingerprint.clone(),
            template: tpl.text.clone(),
            kind,
            trend,
            count: a.count,
            baseline_count: a.base,
            expected,
            score,
            first_seen: ts(a.first),
            last_seen: ts(a.last + BUCKET_SECONDS),
            services: a.services.into_iter().collect(),
            rate: a.rate,
            sequence_ids: a.ids.into_iter().collect(),
        });
    }
    // Cascades, from the onsets of all new and rising signals.
    onsets.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| signals[a.1].fingerprint.cmp(&signals[b.1].fingerprint))
    });
    let mut cascades = Vec::new();
    let mut group: Vec<(i64, usize, String)> = Vec::new();
    let flush = |group: &mut Vec<(i64, usize, String)>, cascades: &mut Vec<Cascade>| {
        let services: BTreeSet<&str> = group.iter().map(|g| g.2.as_str()).collect();
        if services.len() >= 2 {
            cascades.push(Cascade {
                start: ts(group[0].0),
                members: group
                    .iter()
                    .map(|(onset, i, svc)| CascadeMember {
                        fingerprint: signals[*i].fingerprint.clone(),
                        kind: signals[*i].kind,
                        service: svc.clone(),
                        onset: ts(*onset),
                        template: signals[*i].template.clone(),
                    })
                    .collect(),
            });
        }
        group.clear();
    };
    for o in onsets {
        if let Some(last) = group.last() {
            if o.0 - last.0 > opts.cascade_window {
                flush(&mut group, &mut cascades);
            }
        }
        group.push(o);
    }
    if !group.is_empty() {
        flush(&mut group, &mut cascades);
    }
    signals.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.count.cmp(&a.count))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    signals.truncate(opts.limit.max(1));
    Report {
        from: ts(from),
        until: ts(opts.until),
        baseline_from: ts(base_from),
        signals,
        cascades,
    }
}

/// A sparkline of counts: one block character per bar.
pub fn sparkline(rate: &[u64]) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = rate.iter().copied().max().unwrap_or(0);
    rate.iter()
        .map(|&n| {
            if n == 0 {
                ' '
            } else {
                BLOCKS[((n * 7).div_ceil(max.max(1)) as usize).min(7)]
            }
        })
        .collect()
}
