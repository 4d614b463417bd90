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
    pub fn record<'l>(&self, line: &'l str) -> Record<'l> {
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

    /// Splits a line into a record and writes its key: [`LineParser::record`] then
    /// [`LineParser::key`], through the per-thread cache of recent line shapes when masking
    /// has no user patterns.
    pub fn record_and_key<'l>(&self, line: &'l str, key: &mut String) -> Record<'l> {
        self.record_and_key_then(line, key, crate::header::with_key_copied)
    }

    /// [`LineParser::record_and_key`] without copying a key the line cache holds: `then`
    /// gets what [`crate::header::split_and_key_then`] gives it (the record, the key buffer,
    /// the cached key if any, and the key's stamp, 0 for none).
    pub fn record_and_key_then<'l, T>(
        &self,
        line: &'l str,
        key: &mut String,
        then: impl FnOnce(Record<'l>, &mut String, Option<&str>, u64) -> T,
    ) -> T {
        if self.header == HeaderMode::Auto && !self.masker.has_extra() && !opens_json(line) {
            let mask = |m: &str, k: &mut String| self.masker.mask_into(m, k, None);
            return crate::header::split_and_key_then(line, self.default_year, key, &mask, then);
        }
        let record = self.record(line);
        self.key(&record, key, None);
        then(record, key, None, 0)
    }
}

/// Whether `line` starts with `{` after whitespace, as `trim_start` sees it; a line whose
/// first byte is printable ASCII is answered by that byte.
fn opens_json(line: &str) -> bool {
    match line.as_bytes().first() {
        Some(&b) if b > b' ' && b < 0x7f => b == b'{',
        _ => line.trim_start().starts_with('{'),
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
        let mut chunk = Vec::new();
        while chunks.next_chunk_into(&mut chunk)? {
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
        // Buffers of chunks done with, to be filled again: a chunk's buffer is megabytes,
        // which a new allocation would map and clear anew.
        let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
        for _ in 0..threads {
            let job_rx = Arc::clone(&job_rx);
            let res_tx = res_tx.clone();
            let spare_tx = spare_tx.clone();
            let work = &work;
            scope.spawn(move || {
                loop {
                    let job = job_rx.lock().expect("job queue lock").recv();
                    let Ok((n, chunk)) = job else { break };
                    let mut stats = ReadStats::default();
                    let out = work(&mut lines(&chunk, &mut stats));
                    // The reader may be gone; the buffer is then dropped.
                    let _ = spare_tx.send(chunk);
                    if res_tx.send((n, out, stats)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(res_tx);
        drop(spare_tx);
        // Keep a bounded number of chunks in flight; hand results on in input order.
        let in_flight = (threads * 2) as u64;
        let mut pending: std::collections::BTreeMap<u64, (T, ReadStats)> = Default::default();
        let (mut sent, mut next_out) = (0u64, 0u64);
        let mut reading = true;
        let mut error = None;
        loop {
            if reading && sent - next_out < in_flight {
                let mut chunk = spare_rx.try_recv().unwrap_or_default();
                match chunks.next_chunk_into(&mut chunk) {
                    Ok(true) => match job_tx.send((sent, chunk)) {
                        Ok(()) => sent += 1,
                        Err(_) => reading = false, // every worker is gone
                    },
                    Ok(false) => reading = false,
                    Err(e) => {
                        error = Some(e);
                        reading = false;
                    }
                }
                continue;
            }
            if next_out == sent {
                break;
            }
            let Ok((n, out, stats)) = res_rx.recv() else {
                break;
            };
            pending.insert(n, (out, stats));
            while let Some((out, stats)) = pending.remove(&next_out) {
                next_out += 1;
                total.add(&stats);
                if error.is_none() {
                    if let Err(e) = sink(out) {
                        // Stop reading; what is in flight is drained and dropped.
                        error = Some(e);
                        reading = false;
                    }
                }
            }
        }
        drop(job_tx);
        match error {
            Some(e) => Err(e),
            None => Ok(total),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The first-byte answer is `trim_start`'s.
        #[test]
        fn json_lines_are_told_as_trim_start_tells_them(
            line in "[ \t\u{3000}\u{a0}{a\"]{0,6}",
        ) {
            proptest::prop_assert_eq!(opens_json(&line), line.trim_start().starts_with('{'));
        }
    }
}
