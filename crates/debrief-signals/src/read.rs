//! Reading log input: files, gzip files and stdin, as chunks of whole lines.
//!
//! Bad input never stops a run. Each line is looked at once and counted: empty lines are
//! skipped, binary junk (NUL bytes or mostly control characters) is skipped, invalid UTF-8
//! is decoded lossily and kept, and a line longer than [`MAX_LINE`] keeps its first
//! `MAX_LINE` bytes. The counts end up in [`ReadStats`].

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Lines longer than this keep only their first `MAX_LINE` bytes (and are counted).
pub const MAX_LINE: usize = 64 * 1024;

/// Chunks handed to workers hold about this many bytes of whole lines.
pub const CHUNK_BYTES: usize = 1 << 20;

/// What was seen in the input, line by line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadStats {
    /// Every line, bad ones included.
    pub lines: u64,
    /// Lines that were read and mined.
    pub parsed: u64,
    pub empty: u64,
    pub invalid_utf8: u64,
    /// Lines longer than [`MAX_LINE`] bytes, cut to that length.
    pub oversized: u64,
    /// Lines of binary junk, skipped.
    pub binary: u64,
}

impl ReadStats {
    pub fn add(&mut self, other: &ReadStats) {
        self.lines += other.lines;
        self.parsed += other.parsed;
        self.empty += other.empty;
        self.invalid_utf8 += other.invalid_utf8;
        self.oversized += other.oversized;
        self.binary += other.binary;
    }

    /// Lines that were not mined as they were: empty, binary, invalid UTF-8 or cut.
    pub fn bad(&self) -> u64 {
        self.empty + self.invalid_utf8 + self.oversized + self.binary
    }
}

/// Where log lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Path(PathBuf),
    Stdin,
}

impl Source {
    /// `-` is stdin; anything else is a path.
    pub fn from_arg(arg: &str) -> Source {
        if arg == "-" {
            Source::Stdin
        } else {
            Source::Path(PathBuf::from(arg))
        }
    }

    pub fn name(&self) -> String {
        match self {
            Source::Path(p) => p.display().to_string(),
            Source::Stdin => "<stdin>".to_string(),
        }
    }

    /// Opens the source for reading, decompressing gzip (recognised by its magic bytes,
    /// whatever the file is called).
    pub fn open(&self) -> io::Result<Box<dyn BufRead + Send>> {
        let raw: Box<dyn Read + Send> = match self {
            Source::Path(p) => Box::new(open_file(p)?),
            Source::Stdin => Box::new(io::stdin()),
        };
        let mut reader = BufReader::with_capacity(256 * 1024, raw);
        let head = reader.fill_buf()?;
        if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
            let gz = flate2::bufread::MultiGzDecoder::new(reader);
            Ok(Box::new(BufReader::with_capacity(256 * 1024, gz)))
        } else {
            Ok(Box::new(reader))
        }
    }
}

fn open_file(path: &Path) -> io::Result<File> {
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory, not a log file",
        ));
    }
    Ok(file)
}

/// Reads whole lines in chunks of about [`CHUNK_BYTES`]. A line longer than [`MAX_LINE`] is
/// cut (its tail is skipped without being held in memory) and flagged by a trailing
/// marker that [`lines`] recognises.
pub struct ChunkReader<R> {
    reader: R,
    done: bool,
    /// Bytes of the current, unfinished line already in the chunk being built.
    partial: usize,
    /// The current line was cut: skip to its end.
    skipping: bool,
}

/// Marks a line that was cut: it cannot occur in a real line because lines with NUL bytes
/// are binary junk.
const CUT_MARK: &[u8] = b"\0cut";

impl<R: BufRead> ChunkReader<R> {
    pub fn new(reader: R) -> ChunkReader<R> {
        ChunkReader {
            reader,
            done: false,
            partial: 0,
            skipping: false,
        }
    }

    /// The next chunk of whole lines (each ending in `\n`), or `None` at the end.
    pub fn next_chunk(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut chunk = Vec::new();
        Ok(self.next_chunk_into(&mut chunk)?.then_some(chunk))
    }

    /// [`ChunkReader::next_chunk`] into `chunk`, whose bytes are replaced and whose room is
    /// kept (a buffer handed back for the next chunk is not allocated again): `false` at
    /// the end.
    pub fn next_chunk_into(&mut self, chunk: &mut Vec<u8>) -> io::Result<bool> {
        chunk.clear();
        if self.done {
            return Ok(false);
        }
        chunk.reserve(CHUNK_BYTES + MAX_LINE + 64);
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                if self.partial > 0 || self.skipping {
                    if self.skipping {
                        chunk.extend_from_slice(CUT_MARK);
                    }
                    chunk.push(b'\n');
                }
                self.done = true;
                break;
            }
            if self.skipping {
                match memchr_nl(buf) {
                    Some(i) => {
                        self.reader.consume(i + 1);
                        chunk.extend_from_slice(CUT_MARK);
                        chunk.push(b'\n');
                        self.skipping = false;
                        self.partial = 0;
                        if chunk.len() >= CHUNK_BYTES {
                            break;
                        }
                    }
                    None => {
                        let n = buf.len();
                        self.reader.consume(n);
                    }
                }
                continue;
            }
            // Most buffers hold short lines only: copy them up to the last line end that
            // fits in the chunk, in one go.
            let room = CHUNK_BYTES.saturating_sub(chunk.len()).min(buf.len());
            if let Some(last) = memchr::memrchr(b'\n', &buf[..room]) {
                if lines_fit(&buf[..=last], self.partial) {
                    chunk.extend_from_slice(&buf[..=last]);
                    self.partial = 0;
                    self.reader.consume(last + 1);
                    continue;
                }
            }
            // Copy runs of whole lines as they are; cut the lines that are too long.
            let mut run_start = 0;
            let mut pos = 0;
            let mut full = false;
            for nl in memchr::memchr_iter(b'\n', buf) {
                if self.partial + (nl - pos) > MAX_LINE {
                    chunk.extend_from_slice(&buf[run_start..pos]);
                    let room = MAX_LINE - self.partial;
                    chunk.extend_from_slice(&buf[pos..pos + room]);
                    chunk.extend_from_slice(CUT_MARK);
                    chunk.push(b'\n');
                    run_start = nl + 1;
                }
                self.partial = 0;
                pos = nl + 1;
                if chunk.len() + (pos - run_start) >= CHUNK_BYTES {
                    full = true;
                    break;
                }
            }
            chunk.extend_from_slice(&buf[run_start..pos]);
            if full {
                self.reader.consume(pos);
                break;
            }
            let tail = &buf[pos..];
            let room = MAX_LINE - self.partial;
            if tail.len() > room {
                chunk.extend_from_slice(&tail[..room]);
                self.partial = MAX_LINE;
                self.skipping = true;
            } else {
                chunk.extend_from_slice(tail);
                self.partial += tail.len();
            }
            let n = buf.len();
            self.reader.consume(n);
        }
        Ok(!chunk.is_empty())
    }
}

/// Whether every line of `lines` (which ends with a line end) is at most [`MAX_LINE`]
/// bytes long, the first counting `partial` bytes read before. Looks for the last line end
/// within reach of each, so a buffer of short lines takes a few searches, not one a line.
fn lines_fit(lines: &[u8], partial: usize) -> bool {
    let mut start = 0;
    let mut reach = MAX_LINE - partial.min(MAX_LINE);
    while start < lines.len() {
        let window = &lines[start..lines.len().min(start + reach + 1)];
        match memchr::memrchr(b'\n', window) {
            Some(nl) => start += nl + 1,
            None => return false,
        }
        reach = MAX_LINE;
    }
    true
}

fn memchr_nl(buf: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', buf)
}

/// One line of a chunk, checked.
pub enum Line<'a> {
    /// A line to mine (decoded lossily when it was not valid UTF-8).
    Text(Cow<'a, str>),
    /// Empty, or binary junk: skipped.
    Skipped,
}

/// Iterates over the lines of a chunk, counting what it sees in `stats`.
pub fn lines<'a>(chunk: &'a [u8], stats: &'a mut ReadStats) -> impl Iterator<Item = Line<'a>> + 'a {
    // Every chunk ends with '\n'; an empty chunk has no line.
    let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
    // Most chunks are plain text: valid UTF-8 with no control byte but tabs, newlines and
    // carriage returns. Two passes over the whole chunk decide it, and its lines then need
    // no check of their own but for emptiness (and a carriage return, if the chunk has one).
    let plain = if chunk.is_empty() || has_controls(body) {
        None
    } else {
        // Checked with SIMD: a chunk is a megabyte, and std's check costs as much as
        // finding the lines in it.
        simdutf8::basic::from_utf8(body)
            .ok()
            .map(|text| (text, memchr::memchr(b'\r', body).is_some()))
    };
    let mut rest = (!chunk.is_empty()).then_some(body);
    std::iter::from_fn(move || {
        let b = rest?;
        let (raw, next) = match memchr::memchr(b'\n', b) {
            Some(i) => (&b[..i], Some(&b[i + 1..])),
            None => (b, None),
        };
        rest = next;
        Some(match plain {
            Some((text, false)) => {
                // `raw` is a slice of `body`, which is `text`: the same bytes.
                let at = raw.as_ptr() as usize - body.as_ptr() as usize;
                check_plain(&text[at..at + raw.len()], stats)
            }
            _ => check_line(raw, stats),
        })
    })
}

/// Whether `bytes` holds a control byte other than tab, newline and carriage return.
/// Written without an early exit so that it runs on whole vectors.
fn has_controls(bytes: &[u8]) -> bool {
    bytes.chunks(4096).any(|part| {
        part.iter().fold(false, |acc, &b| {
            acc | ((b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r'))
        })
    })
}

/// A line of a chunk known to be valid UTF-8 with no control byte but tabs.
fn check_plain<'a>(line: &'a str, stats: &mut ReadStats) -> Line<'a> {
    stats.lines += 1;
    if line.bytes().all(|b| b.is_ascii_whitespace()) {
        stats.empty += 1;
        return Line::Skipped;
    }
    stats.parsed += 1;
    Line::Text(Cow::Borrowed(line))
}

fn check_line<'a>(raw: &'a [u8], stats: &mut ReadStats) -> Line<'a> {
    stats.lines += 1;
    let mut raw = raw;
    if raw.ends_with(CUT_MARK) {
        stats.oversized += 1;
        raw = &raw[..raw.len() - CUT_MARK.len()];
    }
    if raw.last() == Some(&b'\r') {
        raw = &raw[..raw.len() - 1];
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        stats.empty += 1;
        return Line::Skipped;
    }
    // Most lines have no control character at all: one quick pass decides.
    let clean = raw.iter().all(|&b| b >= 0x20 || b == b'\t');
    if !clean && is_binary(raw) {
        stats.binary += 1;
        return Line::Skipped;
    }
    stats.parsed += 1;
    match std::str::from_utf8(raw) {
        Ok(s) => Line::Text(Cow::Borrowed(s)),
        Err(_) => {
            stats.invalid_utf8 += 1;
            Line::Text(String::from_utf8_lossy(raw))
        }
    }
}

/// NUL bytes, or more than a tenth control characters (tabs and escapes aside).
fn is_binary(raw: &[u8]) -> bool {
    let mut control = 0usize;
    for &b in raw {
        if b == 0 {
            return true;
        }
        if b < 0x20 && b != b'\t' && b != 0x1b {
            control += 1;
        }
    }
    control * 10 > raw.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    /// What `lines` gives, as owned values.
    fn outcome(chunk: &[u8]) -> (Vec<Option<String>>, ReadStats) {
        let mut stats = ReadStats::default();
        let got = lines(chunk, &mut stats)
            .map(|l| match l {
                Line::Text(t) => Some(t.into_owned()),
                Line::Skipped => None,
            })
            .collect();
        (got, stats)
    }

    /// Every line checked on its own: what the plain-chunk shortcut must agree with.
    fn line_by_line(chunk: &[u8]) -> (Vec<Option<String>>, ReadStats) {
        let mut stats = ReadStats::default();
        let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
        let got = if chunk.is_empty() {
            Vec::new()
        } else {
            body.split(|&b| b == b'\n')
                .map(|raw| match check_line(raw, &mut stats) {
                    Line::Text(t) => Some(t.into_owned()),
                    Line::Skipped => None,
                })
                .collect()
        };
        (got, stats)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        #[test]
        fn the_plain_chunk_shortcut_checks_as_each_line_would(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[ -~\t]{0,12}").unwrap().prop_map(String::into_bytes),
                    proptest::string::string_regex("[ \t\r]{0,3}").unwrap().prop_map(String::into_bytes),
                    proptest::collection::vec(proptest::prelude::any::<u8>(), 0..6),
                    proptest::prelude::Just(b"\n".to_vec()),
                    proptest::prelude::Just("é €".as_bytes().to_vec()),
                ],
                0..16,
            )
        ) {
            let mut chunk: Vec<u8> = parts.concat();
            chunk.push(b'\n');
            proptest::prop_assert_eq!(outcome(&chunk), line_by_line(&chunk));
        }
    }

    #[test]
    fn plain_chunks_count_empty_lines_and_keep_the_rest() {
        let chunk = b"one\n  \t\n\ntwo words\n";
        let (got, stats) = outcome(chunk);
        assert_eq!(
            got,
            [
                Some("one".to_string()),
                None,
                None,
                Some("two words".to_string())
            ]
        );
        assert_eq!((stats.lines, stats.parsed, stats.empty), (4, 2, 2));
        assert_eq!(outcome(chunk), line_by_line(chunk));
    }

    fn read_all(input: &[u8]) -> (Vec<String>, ReadStats) {
        let mut r = ChunkReader::new(io::BufReader::with_capacity(7, input));
        let mut stats = ReadStats::default();
        let mut out = Vec::new();
        while let Some(chunk) = r.next_chunk().unwrap() {
            for line in lines(&chunk, &mut stats) {
                if let Line::Text(t) = line {
                    out.push(t.into_owned());
                }
            }
        }
        (out, stats)
    }

    #[test]
    fn counts_bad_lines_and_keeps_going() {
        let mut input = b"first\r\n\n   \nbad \xff utf8\n\x00\x01binary\nlast".to_vec();
        input.extend_from_slice(b"\n");
        let (lines, stats) = read_all(&input);
        assert_eq!(lines, ["first", "bad \u{fffd} utf8", "last"]);
        assert_eq!(
            stats,
            ReadStats {
                lines: 6,
                parsed: 3,
                empty: 2,
                invalid_utf8: 1,
                oversized: 0,
                binary: 1
            }
        );
    }

    #[test]
    fn cuts_huge_lines_without_holding_them() {
        let mut input = vec![b'a'; 3 * 1024 * 1024];
        input.extend_from_slice(b"\nnext\n");
        let (lines, stats) = read_all(&input);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), MAX_LINE);
        assert_eq!(lines[1], "next");
        assert_eq!(stats.oversized, 1);
        assert_eq!(stats.lines, 2);
    }

    /// What the chunks of `input` must hold: each line cut to `MAX_LINE` bytes (and
    /// marked), each ending with a line end.
    fn cut_lines(input: &[u8]) -> Vec<u8> {
        let mut want = Vec::new();
        let body = input.strip_suffix(b"\n").unwrap_or(input);
        if input.is_empty() {
            return want;
        }
        for line in body.split(|&b| b == b'\n') {
            if line.len() > MAX_LINE {
                want.extend_from_slice(&line[..MAX_LINE]);
                want.extend_from_slice(CUT_MARK);
            } else {
                want.extend_from_slice(line);
            }
            want.push(b'\n');
        }
        want
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Whatever the buffer sizes and line lengths (short, at the limit, far past it),
        /// the chunks hold every line, cut where it is too long, and end at line ends.
        #[test]
        fn chunks_hold_every_line_cut_to_the_limit(
            lengths in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => 0usize..200,
                    1 => (MAX_LINE - 2)..=(MAX_LINE + 2),
                    1 => proptest::prelude::Just(3 * MAX_LINE + 5),
                ],
                1..40,
            ),
            capacity in proptest::prop_oneof![
                proptest::prelude::Just(7usize),
                proptest::prelude::Just(4096),
                proptest::prelude::Just(MAX_LINE + 1),
                proptest::prelude::Just(CHUNK_BYTES),
            ],
            end_with_newline in proptest::bool::ANY,
        ) {
            let mut input = Vec::new();
            for (k, n) in lengths.iter().enumerate() {
                input.extend(std::iter::repeat_n(b'a' + (k % 26) as u8, *n));
                input.push(b'\n');
            }
            if !end_with_newline {
                input.pop();
            }
            let mut r = ChunkReader::new(io::BufReader::with_capacity(capacity, &input[..]));
            let mut got = Vec::new();
            let mut chunks = Vec::new();
            while let Some(chunk) = r.next_chunk().unwrap() {
                proptest::prop_assert_eq!(chunk.last(), Some(&b'\n'));
                got.extend_from_slice(&chunk);
                chunks.push(chunk);
            }
            proptest::prop_assert!(got == cut_lines(&input), "{} bytes read, {} wanted", got.len(), cut_lines(&input).len());
            // A buffer handed back, with a chunk still in it, is filled as a new one is.
            let mut r = ChunkReader::new(io::BufReader::with_capacity(capacity, &input[..]));
            let mut buffer = b"left over\n".to_vec();
            let mut again = Vec::new();
            while r.next_chunk_into(&mut buffer).unwrap() {
                again.push(buffer.clone());
            }
            proptest::prop_assert!(buffer.is_empty(), "the end leaves the buffer empty");
            proptest::prop_assert!(again == chunks, "reused buffer: {} chunks, {} wanted", again.len(), chunks.len());
        }
    }

    #[test]
    fn last_line_without_newline_is_read() {
        let (lines, stats) = read_all(b"a\nb");
        assert_eq!(lines, ["a", "b"]);
        assert_eq!(stats.lines, 2);
        let (lines, stats) = read_all(b"");
        assert!(lines.is_empty());
        assert_eq!(stats.lines, 0);
    }
}
