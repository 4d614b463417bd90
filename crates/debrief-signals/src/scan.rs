//! `signals scan`: counts of masked messages per time bucket and service, with examples.
//!
//! A line is counted in the bucket of its own time when it carries one, else in the bucket
//! of the scan. Counts from several threads, files or runs add up, so what a scan yields
//! can be added to the store and accumulate across days.

use std::collections::BTreeMap;
use std::io::{self, BufRead};

use jiff::Timestamp;
use rustc_hash::FxHashMap;

use crate::mask::{Span, VAR};
use crate::miner::{MinerConfig, OVERFLOW};
use crate::pipeline::{LineParser, run_chunks};
use crate::read::{Line, ReadStats};
use crate::record::Record;

/// Width of a count bucket, in seconds.
pub const BUCKET_SECONDS: i64 = 300;

/// Example lines are cut to this many bytes.
pub const EXAMPLE_BYTES: usize = 2000;

/// The bucket (its start, in seconds since the epoch) an instant falls in.
pub fn bucket_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS
}

/// One example line of a masked message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub time: Option<Timestamp>,
    pub service: String,
    pub line: String,
    pub variables: Vec<String>,
}

/// Counts for one (masked message, bucket, service).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub failing: u64,
}

/// What a scan found.
#[derive(Debug, Clone, Default)]
pub struct ScanResult {
    pub counts: BTreeMap<(String, i64, String), Tally>,
    /// Per masked message: the first two examples seen, then the latest.
    pub examples: BTreeMap<String, Vec<Example>>,
    pub read: ReadStats,
    /// Lines with no time of their own, counted in the scan's bucket.
    pub undated: u64,
    /// Lines counted under the overflow key because the cap was reached.
    pub overflow: u64,
}

/// One chunk's findings. Keys and services are looked up by `&str`, so a line whose key
/// and service were seen before allocates nothing.
#[derive(Default)]
struct ChunkScan {
    keys: FxHashMap<Box<str>, KeyScan>,
    /// Services by number, so tallies are keyed by `(bucket, service number)`.
    services: FxHashMap<Box<str>, u32>,
    service_names: Vec<Box<str>>,
    undated: u64,
}

#[derive(Default)]
struct KeyScan {
    tallies: FxHashMap<(i64, u32), Tally>,
    examples: Vec<Example>,
}

impl ChunkScan {
    fn service_number(&mut self, service: &str) -> u32 {
        if let Some(&n) = self.services.get(service) {
            return n;
        }
        let n = self.service_names.len() as u32;
        self.service_names.push(service.into());
        self.services.insert(service.into(), n);
        n
    }

    fn key(&mut self, key: &str) -> &mut KeyScan {
        if !self.keys.contains_key(key) {
            self.keys.insert(key.into(), KeyScan::default());
        }
        self.keys.get_mut(key).expect("inserted above")
    }
}

impl ScanResult {
    /// Adds a chunk's findings (chunks must come in input order for "latest" to hold).
    fn absorb(
        &mut self,
        chunk: ChunkScan,
        max_keys: usize,
        keys: &mut rustc_hash::FxHashSet<String>,
    ) {
        self.undated += chunk.undated;
        let mut found: Vec<(Box<str>, KeyScan)> = chunk.keys.into_iter().collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, scanned) in found {
            let kept_key = if keys.contains(&*key) {
                true
            } else if keys.len() < max_keys {
                keys.insert(key.to_string());
                true
            } else {
                false
            };
            let key: String = if kept_key {
                key.into()
            } else {
                OVERFLOW.to_string()
            };
            for ((bucket, service), tally) in scanned.tallies {
                if !kept_key {
                    self.overflow += tally.count;
                }
                let service = chunk.service_names[service as usize].to_string();
                let e = self
                    .counts
                    .entry((key.clone(), bucket, service))
                    .or_default();
                e.count += tally.count;
                e.failing += tally.failing;
            }
            if !kept_key {
                continue;
            }
            let kept = self.examples.entry(key).or_default();
            let mut new = scanned.examples.into_iter();
            // Keep the first two ever, and one latest after them.
            while kept.len() < 2 {
                let Some(e) = new.next() else { break };
                kept.push(e);
            }
            if let Some(latest) = new.next() {
                kept.truncate(2);
                kept.push(latest);
            }
        }
    }
}

/// Scans `reader`: every line is split, masked and counted.
pub fn scan(
    reader: impl BufRead,
    parser: &LineParser,
    miner: MinerConfig,
    threads: usize,
    scanned_at: Timestamp,
) -> io::Result<ScanResult> {
    let mut result = ScanResult::default();
    let mut keys = rustc_hash::FxHashSet::default();
    let read = run_chunks(
        reader,
        threads,
        |lines| {
            let mut chunk = ChunkScan::default();
            let mut key = String::new();
            let mut spans = Vec::new();
            for line in lines {
                if let Line::Text(text) = line {
                    let record = parser.record_and_key(&text, &mut key);
                    count_record(
                        &mut chunk, parser, &record, &text, scanned_at, &key, &mut spans,
                    );
                }
            }
            chunk
        },
        |chunk| {
            result.absorb(chunk, miner.max_sequences, &mut keys);
            Ok(())
        },
    )?;
    result.read = read;
    Ok(result)
}

/// Counts records that did not come from lines (a Kubernetes events document).
pub fn scan_records(
    records: &[Record],
    parser: &LineParser,
    miner: MinerConfig,
    scanned_at: Timestamp,
) -> ScanResult {
    let mut result = ScanResult::default();
    let mut keys = rustc_hash::FxHashSet::default();
    let mut chunk = ChunkScan::default();
    let (mut key, mut spans) = (String::new(), Vec::new());
    for r in records {
        let line = match &r.service {
            Some(s) => format!("{s} {}", r.message),
            None => r.message.to_string(),
        };
        parser.key(r, &mut key, None);
        count_record(&mut chunk, parser, r, &line, scanned_at, &key, &mut spans);
    }
    result.read.lines = records.len() as u64;
    result.read.parsed = records.len() as u64;
    result.absorb(chunk, miner.max_sequences, &mut keys);
    result
}

/// Counts one record, whose masked key is already in `key`.
fn count_record(
    chunk: &mut ChunkScan,
    parser: &LineParser,
    record: &Record,
    line: &str,
    scanned_at: Timestamp,
    key: &str,
    spans: &mut Vec<Span>,
) {
    let time = record.time.unwrap_or_else(|| {
        chunk.undated += record.count.max(1);
        scanned_at
    });
    let service = record.service.as_deref().unwrap_or("");
    let failing = record.level.is_some_and(|l| l.is_failure());
    let n = record.count.max(1);
    let service_number = chunk.service_number(service);
    let scanned = chunk.key(key);
    let tally = scanned
        .tallies
        .entry((bucket_of(time), service_number))
        .or_default();
    tally.count += n;
    tally.failing += if failing { n } else { 0 };
    let examples = &mut scanned.examples;
    if examples.len() < 3 {
        let mut masked = String::new();
        parser
            .masker
            .mask_into(&record.message, &mut masked, Some(spans));
        examples.push(Example {
            time: record.time,
            service: service.to_string(),
            line: clip(line, EXAMPLE_BYTES).to_string(),
            variables: spans
                .iter()
                .map(|&(a, b)| record.message.get(a..b).unwrap_or(VAR).to_string())
                .collect(),
        });
    }
}

/// The first `max` bytes of `s`, cut at a character boundary.
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
