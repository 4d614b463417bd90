//! The pipeline that turns input into records, keys and templates, split across threads.
//!
//! Input is read in chunks of whole lines ([`crate::read`]). Workers turn each chunk into
//! records and masked keys; results come back tagged with the chunk's number, so whatever
//! the number of threads, what is merged or printed is in input order.

use std::io::{self, BufRead};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::mask::{Masker, Span};
use crate::read::{ChunkReader, Line, ReadStats, lines};
use crate::record::Record;

/// How the header of a plain-text line is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderMode {
    /// JSON lines are read by field; other lines have their header found and split off.
    #[default]
    Auto,
    /// Each line is a bare message.
    None,
}

/// Everything needed to turn one line into a record and a key. Shared by all workers.
#[derive(Debug, Clone)]
pub struct LineParser {
    pub header: HeaderMode,
    pub masker: Masker,
    /// The year for timestamps that carry none (syslog's `Jun 14 15:16:01`).
    pub default_year: i16,
}

impl LineParser {
    pub fn new(header: HeaderMode, masker: Masker, default_year: i16) -> LineParser {
        LineParser {
            header,
            masker,
            default_year,
        }
    }

    /// Splits a line into a record.
    pub fn record(&self, line: &str) -> Record {
        match self.header {
            HeaderMode::None => Record::new(line.trim()),
            HeaderMode::Auto => {
                let t = line.trim_start();
                if t.starts_with('{') {
                    if let Some(r) = crate::structured::parse_json_line(t, self.default_year) {
                        return r;
                    }
                }
                crate::header::split_header(line, self.default_year)
            }
        }
    }

    /// Writes the masked key of a record's message into `key`.
    pub fn key(&self, record: &Record, key: &mut String, spans: Option<&mut Vec<Span>>) {
        self.masker.mask_into(&record.message, key, spans);
    }
}

/// Runs `work` over the chunks of `reader` on `threads` threads and hands each result to
/// `sink` in input order. `work` gets the chunk's lines (already checked) and its own
/// [`ReadStats`] to fill.
pub fn run_chunks<R, T, W, S>(
    reader: R,
    threads: usize,
    work: W,
    mut sink: S,
) -> io::Result<ReadStats>
where
    R: BufRead,
    T: Send,
    W: Fn(&mut dyn Iterator<Item = Line<'_>>) -> T + Sync,
    S: FnMut(T) -> io::Result<()>,
{
    let mut chunks = ChunkReader::new(reader);
    let mut total = ReadStats::default();
    if threads <= 1 {
        while let Some(chunk) = chunks.next_chunk()? {
            let mut stats = ReadStats::default();
            let out = work(&mut lines(&chunk, &mut stats));
            total.add(&stats);
            sink(out)?;
        }
        return Ok(total);
    }
    std::thread::scope(|scope| {
        let (job_tx, job_rx) = mpsc::sync_channel::<(u64, Vec<u8>)>(threads * 2);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (res_tx, res_rx) = mpsc::sync_channel::<(u64, T, ReadStats)>(threads * 2);
        for _ in 0..threads {
            let job_rx = Arc::clone(&job_rx);
            let res_tx = res_tx.clone();
            let work = &work;
            scope.spawn(move || {
                loop {
                    let job = job_rx.lock().expect("job queue lock").recv();
                    let Ok((n, chunk)) = job else { break };
                    let mut stats = ReadStats::default();
                    let out = work(&mut lines(&chunk, &mut stats));
                    if res_tx.send((n, out, stats)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(res_tx);
        let mut pending: std::collections::BTreeMap<u64, (T, ReadStats)> = Default::default();
        let mut next_out = 0u64;
        let mut sent = 0u64;
        let mut read_error = None;
        let mut sink_error = None;
        let mut drain = |pending: &mut std::collections::BTreeMap<u64, (T, ReadStats)>,
                         next_out: &mut u64,
                         total: &mut ReadStats,
                         sink_error: &mut Option<io::Error>| {
            while let Some((out, stats)) = pending.remove(next_out) {
                total.add(&stats);
                if sink_error.is_none() {
                    if let Err(e) = sink(out) {
                        *sink_error = Some(e);
                    }
                }
                *next_out += 1;
            }
        };
        loop {
            if sink_error.is_some() {
                break;
            }
            // Keep a bounded number of chunks in flight.
            while sent - next_out >= (threads * 2) as u64 {
                match res_rx.recv() {
                    Ok((n, out, stats)) => {
                        pending.insert(n, (out, stats));
                        drain(&mut pending, &mut next_out, &mut total, &mut sink_error);
                    }
                    Err(_) => break,
                }
            }
            match chunks.next_chunk() {
                Ok(Some(chunk)) => {
                    if job_tx.send((sent, chunk)).is_err() {
                        break;
                    }
                    sent += 1;
                }
                Ok(None) => break,
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            }
        }
        drop(job_tx);
        while next_out < sent {
            match res_rx.recv() {
                Ok((n, out, stats)) => {
                    pending.insert(n, (out, stats));
                    drain(&mut pending, &mut next_out, &mut total, &mut sink_error);
                }
                Err(_) => break,
            }
        }
        if let Some(e) = read_error.or(sink_error) {
            return Err(e);
        }
        Ok(total)
    })
}
