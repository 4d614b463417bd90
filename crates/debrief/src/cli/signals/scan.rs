//! `signals scan`: mine inputs and add their counts to the store.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Seek, SeekFrom};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use debrief_signals::pipeline::HeaderMode;
use debrief_signals::read::Source;
use debrief_signals::scan::{ScanResult, scan, scan_records};
use debrief_signals::structured::{is_json_document, parse_k8s_events};
use debrief_store::{SignalBatch, Store};
use jiff::Timestamp;

use super::{MiningArgs, Setup, report_read};

/// A whole JSON document (a `kubectl get events -o json` list) is read into memory; past
/// this size it is refused rather than exhausting memory.
const MAX_DOCUMENT: u64 = 512 << 20;

pub async fn run(
    store: &Store,
    inputs: &[String],
    follow: bool,
    interval: u64,
    service: Option<&str>,
    mining: &MiningArgs,
) -> anyhow::Result<ExitCode> {
    let now = crate::cli::now();
    let setup = mining.setup(crate::cli::today().year())?;
    if follow {
        let [input] = inputs else {
            anyhow::bail!("--follow reads one file; give exactly one");
        };
        if input == "-" {
            anyhow::bail!("--follow needs a file; stdin is read to its end without it");
        }
        return follow_file(store, input, interval.max(1), service, &setup).await;
    }
    // Every file must be there before any is scanned, so a typo stores nothing.
    let mut sizes = Vec::with_capacity(inputs.len());
    for input in inputs {
        if input == "-" {
            sizes.push(0); // unknown: the progress bar shows bytes read only
            continue;
        }
        let meta = std::fs::metadata(input).with_context(|| format!("cannot read {input}"))?;
        if meta.is_dir() {
            anyhow::bail!("cannot read {input}: is a directory, not a log file");
        }
        sizes.push(meta.len());
    }
    if inputs.iter().filter(|i| i.as_str() == "-").count() > 1 {
        anyhow::bail!("stdin (`-`) can be read only once");
    }
    let mut total_lines = 0;
    for (input, size) in inputs.iter().zip(sizes) {
        let source = Source::from_arg(input);
        let name = source.name();
        let reader = source
            .open()
            .with_context(|| format!("cannot read {name}"))?;
        let result = scan_reader(reader, &setup, now, size)
            .with_context(|| format!("cannot read {name}"))?;
        report_read(&name, &result.read, result.overflow);
        let batch = SignalBatch::from_scan(result, &name, now, service);
        total_lines += batch.stats.lines;
        let keys: std::collections::BTreeSet<&str> =
            batch.counts.keys().map(|(k, _, _)| k.as_str()).collect();
        let scan_id = store.add_signals(&batch).await?;
        eprintln!(
            "{name}: {} lines, {} distinct messages, stored as scan {scan_id}",
            batch.stats.lines,
            keys.len()
        );
    }
    if inputs.len() > 1 {
        eprintln!("{} files, {total_lines} lines", inputs.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// Scans one input: a Kubernetes events document, or lines.
fn scan_reader(
    mut reader: Box<dyn BufRead + Send>,
    setup: &Setup,
    now: Timestamp,
    size: u64,
) -> anyhow::Result<ScanResult> {
    if setup.parser.header == HeaderMode::Auto && is_json_document(reader.fill_buf()?) {
        let mut text = String::new();
        reader
            .take(MAX_DOCUMENT + 1)
            .read_to_string(&mut text)
            .context("a JSON document must be UTF-8")?;
        if text.len() as u64 > MAX_DOCUMENT {
            anyhow::bail!(
                "a JSON document over {} MiB is too large to read",
                MAX_DOCUMENT >> 20
            );
        }
        let records = parse_k8s_events(&text).map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(scan_records(&records, &setup.parser, setup.miner, now));
    }
    let progress = Progress::start(size);
    let counted = CountingReader {
        inner: reader,
        read: Arc::clone(&progress.read),
    };
    let result = scan(
        BufReader::with_capacity(1 << 20, counted),
        &setup.parser,
        setup.miner,
        setup.threads,
        now,
    );
    progress.finish();
    Ok(result?)
}

/// Follows a growing file: reads what was appended every `interval` seconds and stores it.
/// A file that shrinks (rotated or truncated) is read again from its start.
async fn follow_file(
    store: &Store,
    path: &str,
    interval: u64,
    service: Option<&str>,
    setup: &Setup,
) -> anyhow::Result<ExitCode> {
    let mut file = File::open(path).with_context(|| format!("cannot read {path}"))?;
    let mut offset = 0u64;
    let mut partial: Vec<u8> = Vec::new();
    eprintln!("{path}: following (Ctrl-C to stop; what was read is stored every {interval}s)");
    loop {
        let len = file.metadata()?.len();
        if len < offset {
            eprintln!("{path}: file shrank; reading it again from the start");
            offset = 0;
            partial.clear();
            file = File::open(path)?;
        }
        if len > offset {
            file.seek(SeekFrom::Start(offset))?;
            let mut fresh = Vec::new();
            (&mut file).take(len - offset).read_to_end(&mut fresh)?;
            offset += fresh.len() as u64;
            partial.extend_from_slice(&fresh);
            // Only whole lines now; the rest waits for its newline.
            if let Some(last_nl) = partial.iter().rposition(|&b| b == b'\n') {
                let rest = partial.split_off(last_nl + 1);
                let whole = std::mem::replace(&mut partial, rest);
                let now = crate::cli::now();
                let result = scan(&whole[..], &setup.parser, setup.miner, setup.threads, now)?;
                report_read(path, &result.read, result.overflow);
                let batch = SignalBatch::from_scan(result, path, now, service);
                let lines = batch.stats.lines;
                store.add_signals(&batch).await?;
                eprintln!("{path}: +{lines} lines stored");
            }
        }
        tokio::time::sleep(Duration::from_secs(interval)).await;
    }
}

struct CountingReader<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A one-line progress report on stderr while a long scan runs, when stderr is a terminal.
struct Progress {
    read: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    fn start(total: u64) -> Progress {
        let read = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let thread = io::stderr().is_terminal().then(|| {
            let (read, done) = (Arc::clone(&read), Arc::clone(&done));
            std::thread::spawn(move || {
                let t0 = Instant::now();
                let mut shown = false;
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(200));
                    if t0.elapsed() < Duration::from_secs(1) {
                        continue;
                    }
                    let n = read.load(Ordering::Relaxed);
                    eprint!("\r{}", bar(n, total, t0.elapsed()));
                    shown = true;
                }
                if shown {
                    eprint!("\r{:60}\r", "");
                }
            })
        });
        Progress { read, done, thread }
    }

    fn finish(self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread {
            let _ = t.join();
        }
    }
}

fn bar(n: u64, total: u64, elapsed: Duration) -> String {
    let mb = n as f64 / 1e6;
    let rate = mb / elapsed.as_secs_f64().max(0.001);
    if total == 0 || n > total {
        return format!("scanning: {mb:.0} MB read, {rate:.0} MB/s");
    }
    let frac = n as f64 / total as f64;
    let filled = (frac * 30.0) as usize;
    format!(
        "scanning [{}{}] {:>3.0}% {mb:.0}/{:.0} MB, {rate:.0} MB/s",
        "#".repeat(filled),
        " ".repeat(30 - filled),
        frac * 100.0,
        total as f64 / 1e6
    )
}
