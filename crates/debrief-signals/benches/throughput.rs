//! Mining throughput: lines per second of the first pass of `debrief signals parse`
//! (read, find the header, mask, count, cluster), on a file given on the command line.
//!
//!   cargo bench -p debrief-signals --bench throughput -- FILE [--threads N] [--header auto|none]
//!
//! `--read-only` times the reading alone (chunks, line ends, UTF-8 checks): the floor of
//! the pass under debrief's own reader.
//!
//! Prints one line: lines, seconds, lines per second, templates and the process's peak
//! resident memory (VmHWM). `bench/signals.sh` runs it beside drain3 and `wc -l`.

use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use debrief_signals::kinds::Rules;
use debrief_signals::mask::Masker;
use debrief_signals::miner::MinerConfig;
use debrief_signals::parse::Parse;
use debrief_signals::pipeline::{HeaderMode, LineParser, run_chunks};

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let mut file = None;
    let mut threads = 1usize;
    let mut header = HeaderMode::Auto;
    let mut repeat = 3usize;
    let mut read_only = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => {
                threads = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--threads N")
            }
            "--repeat" => {
                repeat = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--repeat N")
            }
            "--read-only" => read_only = true,
            "--header" => {
                header = match args.next().as_deref() {
                    Some("none") => HeaderMode::None,
                    Some("auto") => HeaderMode::Auto,
                    other => panic!("--header auto|none, not {other:?}"),
                }
            }
            _ => file = Some(a),
        }
    }
    let Some(file) = file else {
        eprintln!(
            "usage: throughput FILE [--threads N] [--header auto|none] [--repeat N] [--read-only]"
        );
        std::process::exit(2);
    };
    let parser = LineParser::new(header, Masker::default(), 2026);
    let rules = Rules::defaults();
    let run = Parse {
        parser: &parser,
        rules: &rules,
        miner: MinerConfig::default(),
        threads,
    };
    let mut best = f64::INFINITY;
    let mut lines = 0;
    let mut templates = 0;
    for _ in 0..repeat.max(1) {
        let reader = BufReader::with_capacity(1 << 20, File::open(&file).expect("open the input"));
        // Each run on a new thread, so that no run starts with the per-thread caches of
        // recent lines (`header.rs`) that the run before filled: every run is a first run,
        // as a `debrief` process's is.
        let (clustering, stats, dt) = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let t0 = Instant::now();
                    if read_only {
                        // The reading alone: chunks, line ends, UTF-8 and control checks.
                        let stats = run_chunks(reader, threads, |lines| lines.count(), |_| Ok(()))
                            .expect("read");
                        return (None, stats, t0.elapsed().as_secs_f64());
                    }
                    let (clustering, _, stats) = run.mine(reader).expect("mine");
                    (Some(clustering), stats, t0.elapsed().as_secs_f64())
                })
                .join()
                .expect("the mining thread")
        });
        best = best.min(dt);
        lines = stats.lines;
        templates = clustering.map_or(0, |c| c.templates.len());
    }
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .unwrap_or_else(|| "?".into());
    println!(
        "debrief threads={threads} lines={lines} seconds={best:.3} lines_per_sec={:.0} templates={templates} peak_rss_kb={hwm}",
        lines as f64 / best
    );
}
