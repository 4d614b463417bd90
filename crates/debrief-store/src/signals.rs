//! Signals: counts of masked log messages per time bucket and service, kept across scans.
//!
//! The store keeps *sequences* (distinct masked messages), not templates: templates are
//! derived from the whole set of sequences each time they are read, so scanning A then B
//! leaves exactly what scanning A and B together leaves. Counts are added with an upsert.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store, StoreError};

fn corrupt(table: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        table,
        message: e.to_string(),
    }
}

/// Example lines kept per sequence: the first two ever seen, and the latest.
pub const EXAMPLE_SLOTS: i64 = 3;

/// What one scan adds to the store.
#[derive(Debug, Clone, Default)]
pub struct SignalBatch {
    pub source: String,
    pub scanned_at: Option<Timestamp>,
    pub stats: ScanStats,
    /// Counts by (masked message, bucket start in seconds since the epoch, service).
    pub counts: BTreeMap<(String, i64, String), (i64, i64)>,
    /// Up to three examples per masked message, oldest first.
    pub examples: BTreeMap<String, Vec<SignalExample>>,
}

/// How a scan went, line by line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    pub lines: i64,
    pub parsed: i64,
    pub empty: i64,
    pub invalid_utf8: i64,
    pub oversized: i64,
    pub binary: i64,
    /// Lines with no time of their own, counted at the time of the scan.
    pub undated: i64,
    pub overflow: i64,
}

/// One example line of a sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalExample {
    pub at: Option<Timestamp>,
    pub service: String,
    pub line: String,
    pub variables: Vec<String>,
}

/// A stored sequence with its first and last bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSequence {
    pub id: i64,
    pub key: String,
    pub first_bucket: i64,
    pub last_bucket: i64,
}

/// One count row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalCount {
    pub sequence_id: i64,
    pub bucket: i64,
    pub service: String,
    pub count: i64,
    pub failing: i64,
}

impl Store {
    /// Adds a scan's counts and examples, in one transaction. Returns the scan's number.
    pub async fn add_signals(&self, batch: &SignalBatch) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        // Sequence ids: existing ones, new ones numbered after the largest.
        let mut next: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) AS m FROM signal_sequences")
            .fetch_one(&mut *tx)
            .await?
            .try_get("m")?;
        let mut ids: BTreeMap<&str, i64> = BTreeMap::new();
        let mut span: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        for (key, bucket, _) in batch.counts.keys() {
            let e = span.entry(key.as_str()).or_insert((*bucket, *bucket));
            e.0 = e.0.min(*bucket);
            e.1 = e.1.max(*bucket);
        }
        for (key, (first, last)) in &span {
            let row = sqlx::query("SELECT id FROM signal_sequences WHERE key = $1")
                .bind(*key)
                .fetch_optional(&mut *tx)
                .await?;
            let id = match row {
                Some(r) => {
                    let id: i64 = r.try_get("id")?;
                    sqlx::query(
                        "UPDATE signal_sequences SET
                             first_bucket = CASE WHEN first_bucket < $2 THEN first_bucket ELSE $2 END,
                             last_bucket = CASE WHEN last_bucket > $3 THEN last_bucket ELSE $3 END
                         WHERE id = $1",
                    )
                    .bind(id)
                    .bind(*first)
                    .bind(*last)
                    .execute(&mut *tx)
                    .await?;
                    id
                }
                None => {
                    next += 1;
                    sqlx::query(
                        "INSERT INTO signal_sequences (id, key, first_bucket, last_bucket)
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(next)
                    .bind(*key)
                    .bind(*first)
                    .bind(*last)
                    .execute(&mut *tx)
                    .await?;
                    next
                }
            };
            ids.insert(key, id);
        }
        for ((key, bucket, service), (count, failing)) in &batch.counts {
            sqlx::query(
                "INSERT INTO signal_counts (sequence_id, bucket, service, count, failing)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (sequence_id, bucket, service) DO UPDATE SET
                     count = signal_counts.count + excluded.count,
                     failing = signal_counts.failing + excluded.failing",
            )
            .bind(ids[key.as_str()])
            .bind(*bucket)
            .bind(service.as_str())
            .bind(*count)
            .bind(*failing)
            .execute(&mut *tx)
            .await?;
        }
        for (key, examples) in &batch.examples {
            let Some(&id) = ids.get(key.as_str()) else {
                continue;
            };
            let used: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM signal_examples WHERE sequence_id = $1 AND slot < 2",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            let mut slot = used;
            let mut rest = examples.iter();
            // The first two ever seen fill slots 0 and 1; the newest always goes to slot 2.
            while slot < 2 {
                let Some(ex) = rest.next() else { break };
                put_example(&mut tx, id, slot, ex).await?;
                slot += 1;
            }
            if let Some(latest) = examples.last() {
                if used >= 2 || examples.len() > 2 {
                    put_example(&mut tx, id, 2, latest).await?;
                }
            }
        }
        let scan: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS n FROM signal_scans")
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        let s = &batch.stats;
        sqlx::query(
            "INSERT INTO signal_scans (id, scanned_at, source, lines, parsed, empty, invalid_utf8,
                 oversized, binary_lines, undated, overflow)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(scan)
        .bind(
            batch
                .scanned_at
                .map(debrief_core::time::format_time)
                .unwrap_or_default(),
        )
        .bind(batch.source.as_str())
        .bind(s.lines)
        .bind(s.parsed)
        .bind(s.empty)
        .bind(s.invalid_utf8)
        .bind(s.oversized)
        .bind(s.binary)
        .bind(s.undated)
        .bind(s.overflow)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(scan)
    }

    /// Every stored sequence.
    pub async fn signal_sequences(&self) -> Result<Vec<StoredSequence>> {
        let mut tx = self.begin_read().await?;
        let rows = sqlx::query(
            "SELECT id, key, first_bucket, last_bucket FROM signal_sequences ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(StoredSequence {
                    id: r.try_get("id")?,
                    key: r.try_get("key")?,
                    first_bucket: r.try_get("first_bucket")?,
                    last_bucket: r.try_get("last_bucket")?,
                })
            })
            .collect()
    }

    /// The end of the newest stored bucket (seconds since the epoch), or `None` when the
    /// store holds no signals: where a report ends by default.
    pub async fn newest_signal_end(&self) -> Result<Option<i64>> {
        let mut tx = self.begin_read().await?;
        let newest: Option<i64> =
            sqlx::query_scalar("SELECT MAX(last_bucket) FROM signal_sequences")
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(newest.map(|b| b + debrief_signals::scan::BUCKET_SECONDS))
    }

    /// The weak-signals report (`debrief signals report`, the server's signals page) over
    /// the stored sequences and the counts its windows need.
    pub async fn signal_report(
        &self,
        rules: &debrief_signals::kinds::Rules,
        opts: &debrief_signals::report::ReportOptions,
    ) -> Result<debrief_signals::report::Report> {
        use debrief_signals::report::{CountRow, SequenceRow};
        let sequences: Vec<SequenceRow> = self
            .signal_sequences()
            .await?
            .into_iter()
            .map(|s| SequenceRow {
                id: s.id,
                key: s.key,
                first_bucket: s.first_bucket,
                last_bucket: s.last_bucket,
            })
            .collect();
        let from = opts.until - opts.window - opts.baseline;
        let counts: Vec<CountRow> = self
            .signal_counts(from, opts.until)
            .await?
            .into_iter()
            .map(|c| CountRow {
                sequence_id: c.sequence_id,
                bucket: c.bucket,
                service: c.service,
                count: c.count,
                failing: c.failing,
            })
            .collect();
        Ok(debrief_signals::report::build(
            &sequences, &counts, rules, opts,
        ))
    }

    /// Counts with `from <= bucket < to`.
    pub async fn signal_counts(&self, from: i64, to: i64) -> Result<Vec<SignalCount>> {
        let mut tx = self.begin_read().await?;
        let rows = sqlx::query(
            "SELECT sequence_id, bucket, service, count, failing FROM signal_counts
             WHERE bucket >= $1 AND bucket < $2
             ORDER BY sequence_id, bucket, service",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(SignalCount {
                    sequence_id: r.try_get("sequence_id")?,
                    bucket: r.try_get("bucket")?,
                    service: r.try_get("service")?,
                    count: r.try_get("count")?,
                    failing: r.try_get("failing")?,
                })
            })
            .collect()
    }

    /// The example lines of the given sequences, by sequence.
    pub async fn signal_examples(
        &self,
        sequence_ids: &[i64],
    ) -> Result<BTreeMap<i64, Vec<SignalExample>>> {
        let mut out: BTreeMap<i64, Vec<SignalExample>> = BTreeMap::new();
        let mut tx = self.begin_read().await?;
        for &id in sequence_ids {
            let rows = sqlx::query(
                "SELECT at, service, line, variables FROM signal_examples
                 WHERE sequence_id = $1 ORDER BY slot",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            for r in rows {
                let at: Option<String> = r.try_get("at")?;
                let vars: String = r.try_get("variables")?;
                out.entry(id).or_default().push(SignalExample {
                    at: at
                        .filter(|s| !s.is_empty())
                        .map(|s| {
                            s.parse()
                                .map_err(|e: jiff::Error| corrupt("signal_examples", e))
                        })
                        .transpose()?,
                    service: r.try_get("service")?,
                    line: r.try_get("line")?,
                    variables: serde_json::from_str(&vars)
                        .map_err(|e| corrupt("signal_examples", e))?,
                });
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}

async fn put_example(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    slot: i64,
    ex: &SignalExample,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO signal_examples (sequence_id, slot, at, service, line, variables)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (sequence_id, slot) DO UPDATE SET
             at = excluded.at, service = excluded.service, line = excluded.line,
             variables = excluded.variables",
    )
    .bind(id)
    .bind(slot)
    .bind(ex.at.map(debrief_core::time::format_time))
    .bind(ex.service.as_str())
    .bind(ex.line.as_str())
    .bind(serde_json::to_string(&ex.variables).unwrap_or_else(|_| "[]".into()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl SignalBatch {
    /// What a scan of `name` at `now` adds to the store; lines with no service get `service`
    /// when one is given.
    pub fn from_scan(
        result: debrief_signals::scan::ScanResult,
        name: &str,
        now: Timestamp,
        service: Option<&str>,
    ) -> SignalBatch {
        let fill = |s: String| match (s.is_empty(), service) {
            (true, Some(d)) => d.to_string(),
            _ => s,
        };
        let mut batch = SignalBatch {
            source: name.to_string(),
            scanned_at: Some(now),
            stats: ScanStats {
                lines: result.read.lines as i64,
                parsed: result.read.parsed as i64,
                empty: result.read.empty as i64,
                invalid_utf8: result.read.invalid_utf8 as i64,
                oversized: result.read.oversized as i64,
                binary: result.read.binary as i64,
                undated: result.undated as i64,
                overflow: result.overflow as i64,
            },
            ..SignalBatch::default()
        };
        for ((key, bucket, svc), tally) in result.counts {
            let e = batch
                .counts
                .entry((key, bucket, fill(svc)))
                .or_insert((0, 0));
            e.0 += tally.count as i64;
            e.1 += tally.failing as i64;
        }
        for (key, examples) in result.examples {
            batch.examples.insert(
                key,
                examples
                    .into_iter()
                    .map(|e| SignalExample {
                        at: e.time,
                        service: fill(e.service),
                        line: e.line,
                        variables: e.variables,
                    })
                    .collect(),
            );
        }
        batch
    }
}

/// Where a promoted signal goes.
#[derive(Debug, Clone)]
pub enum PromoteTo {
    /// A new incident, detected at `detected`, titled from the template unless `title`.
    New {
        severity: debrief_core::Severity,
        title: Option<String>,
        detected: Timestamp,
    },
    /// The timeline of an existing incident.
    Existing(debrief_core::IncidentId),
}

/// What promoting a signal did.
#[derive(Debug, Clone, Serialize)]
pub struct Promoted {
    pub incident: debrief_core::IncidentId,
    pub created: bool,
    /// The signal's whole fingerprint.
    pub fingerprint: String,
}

impl Store {
    /// Turns a weak signal into evidence (`debrief signals promote`, and the API's): finds
    /// the one signal of the report `opts` describes whose fingerprint starts with
    /// `fingerprint`, and writes its counts and up to three example lines into the timeline of
    /// a new incident (detected by a signal) or of an existing one.
    pub async fn promote_signal(
        &self,
        rules: &debrief_signals::kinds::Rules,
        opts: &debrief_signals::report::ReportOptions,
        fingerprint: &str,
        to: PromoteTo,
    ) -> Result<Promoted> {
        use debrief_core::text::one_line;
        use debrief_core::time::format_time;
        use debrief_core::{Detection, Incident, InvalidValue, TimelineEntry};
        let fp = fingerprint.trim().to_ascii_lowercase();
        if fp.len() < 4 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(InvalidValue::new(format!(
                "invalid fingerprint {fingerprint:?} (expected hex digits as the signals report shows them)"
            ))
            .into());
        }
        let report = self.signal_report(rules, opts).await?;
        let matches: Vec<_> = report
            .signals
            .iter()
            .filter(|s| s.fingerprint.starts_with(&fp))
            .collect();
        let signal = match matches.as_slice() {
            [one] => *one,
            [] => {
                return Err(StoreError::NotFound(format!(
                    "signal {fingerprint} in the window {} → {}",
                    format_time(report.from),
                    format_time(report.until)
                )));
            }
            many => {
                return Err(InvalidValue::new(format!(
                    "{fingerprint} matches {} signals; give more of the fingerprint",
                    many.len()
                ))
                .into());
            }
        };
        let ids: Vec<i64> = signal.sequence_ids.iter().take(8).copied().collect();
        let examples: Vec<SignalExample> = self
            .signal_examples(&ids)
            .await?
            .into_values()
            .flatten()
            .take(3)
            .collect();
        let services: Vec<String> = signal
            .services
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect();
        let mut entries = vec![TimelineEntry {
            at: signal.first_seen,
            text: format!(
                "Signal {} ({}, {}): {} lines between {} and {} in {} (baseline predicted {:.0}). Template: {}",
                signal.fingerprint,
                signal.kind,
                signal.trend.as_str(),
                signal.count,
                format_time(signal.first_seen),
                format_time(signal.last_seen),
                if services.is_empty() {
                    "no named service".to_string()
                } else {
                    services.join(", ")
                },
                signal.expected,
                one_line(&signal.template, 2000),
            ),
            known: String::new(),
        }];
        for e in &examples {
            entries.push(TimelineEntry {
                at: e.at.unwrap_or(signal.first_seen),
                text: format!(
                    "Example line of signal {}: {}",
                    signal.fingerprint,
                    one_line(&e.line, 400)
                ),
                known: String::new(),
            });
        }
        let (incident, created) = match to {
            PromoteTo::Existing(id) => {
                self.update_incident(id, |i| {
                    i.timeline.extend(entries);
                    for s in services {
                        if !i.services.contains(&s) {
                            i.services.push(s);
                        }
                    }
                    Ok(())
                })
                .await?;
                (id, false)
            }
            PromoteTo::New {
                severity,
                title,
                detected,
            } => {
                let title = title.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| {
                    format!("{} signal: {}", signal.kind, one_line(&signal.template, 80))
                });
                let mut i = Incident::new(title, severity);
                i.services = services;
                i.started = Some(signal.first_seen);
                i.detected = Some(detected.max(signal.first_seen));
                i.detection = Some(Detection::Signal);
                i.summary = format!(
                    "Opened from weak signal `{}` ({}, {}): {} lines in the window.",
                    signal.fingerprint,
                    signal.kind,
                    signal.trend.as_str(),
                    signal.count
                );
                i.timeline = entries;
                (self.create_incident(&i).await?, true)
            }
        };
        Ok(Promoted {
            incident,
            created,
            fingerprint: signal.fingerprint.clone(),
        })
    }
}
