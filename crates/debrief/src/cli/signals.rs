//! `debrief signals`: failures that retries, restarts and failovers hide in logs.

mod report;
mod scan;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use debrief_signals::kinds::Rules;
use debrief_signals::mask::Masker;
use debrief_signals::miner::MinerConfig;
use debrief_signals::parse::{OutputFormat, Parse};
use debrief_signals::pipeline::{HeaderMode, LineParser};
use debrief_signals::read::{ReadStats, Source};
use debrief_store::Store;

#[derive(Subcommand)]
pub enum SignalsCommand {
    /// Mine log files (or stdin) and add their template counts to the store.
    #[command(
        after_help = "Examples:\n  debrief signals scan /var/log/app/*.log\n  \
        journalctl -o json --since today | debrief signals scan -\n  \
        kubectl get events -A -o json | debrief signals scan -\n  \
        debrief signals scan --follow /var/log/app/current.log\n\n\
        Each line is counted in the five-minute bucket of its own timestamp (or of the scan,\n\
        when it has none), per service, so scans add up across runs and days: scanning A\n\
        then B stores what scanning A and B together stores. Gzip files are read as they are.\n\
        Input formats are found by themselves: plain lines with any common header, JSON lines,\n\
        `journalctl -o json`, and `kubectl get events -o json` documents."
    )]
    Scan {
        /// Log files (plain or gzip), or `-` for stdin.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// Keep reading the (one) file as it grows; counts are stored every few seconds.
        #[arg(long)]
        follow: bool,
        /// With --follow, store what was read this often (seconds).
        #[arg(long, default_value_t = 5, value_name = "SECONDS")]
        interval: u64,
        /// The service for lines that name none (e.g. the file's service).
        #[arg(long, value_name = "NAME")]
        service: Option<String>,
        #[command(flatten)]
        mining: MiningArgs,
    },
    /// Rank weak signals: templates of a failure kind that are new, rising or recurring.
    #[command(after_help = "Examples:\n  debrief signals report\n  \
        debrief signals report --since 6h --baseline 7d --kind retry --kind timeout\n  \
        debrief signals report --service payments --json\n  \
        debrief signals report --markdown > signals.md\n\n\
        The window ends at --until (default: the newest bucket in the store, so a report on\n\
        old logs still shows them) and spans --since; the baseline is the --baseline before it.\n\
        Trends: new (never seen before the window), rising (over twice the baseline rate),\n\
        steady, fading (under half). Cascades are templates in different services whose\n\
        onsets fall within --cascade-window of each other.")]
    Report {
        /// Length of the report window (e.g. 24h, 90m, 2d).
        #[arg(long, default_value = "24h", value_name = "SPAN")]
        since: String,
        /// Length of the baseline window before it.
        #[arg(long, default_value = "7d", value_name = "SPAN")]
        baseline: String,
        /// The end of the window: a time (RFC 3339, or \"2024-03-01 14:00\"), or `now`.
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Only signals of this kind (repeat for several; `none` shows normal templates).
        #[arg(long = "kind", value_name = "KIND")]
        kinds: Vec<String>,
        /// Only signals seen in this service.
        #[arg(long)]
        service: Option<String>,
        /// Onsets this close are one cascade.
        #[arg(long, default_value = "15m", value_name = "SPAN")]
        cascade_window: String,
        /// At most this many signals.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print JSON.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print Markdown (for a review or a chat message).
        #[arg(long)]
        markdown: bool,
        /// A rules file (as for scan).
        #[arg(long, env = "DEBRIEF_SIGNALS_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Open an incident from a signal (or add the signal to one), with its evidence.
    #[command(
        after_help = "Examples:\n  debrief signals promote 3f9c2a1b0d4e5f67\n  \
        debrief signals promote 3f9c2a1b0d4e5f67 --incident INC-12\n\n\
        The signal's counts, first and last seen, services and example lines go on the\n\
        incident's timeline. A new incident is detected by `signal`, severity SEV4 unless\n\
        --severity says otherwise."
    )]
    Promote {
        /// The signal's fingerprint, as `signals report` shows it (a unique prefix will do).
        fingerprint: String,
        /// Add to this incident instead of opening a new one.
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        /// Severity of a new incident.
        #[arg(long, default_value = "SEV4")]
        severity: String,
        /// Title of a new incident [default: from the template].
        #[arg(long)]
        title: Option<String>,
        /// The window the evidence comes from (as for report).
        #[arg(long, default_value = "24h", value_name = "SPAN")]
        since: String,
        #[arg(long, env = "DEBRIEF_SIGNALS_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print one row per input line: its template, the template's id and kind.
    #[command(after_help = "Examples:\n  debrief signals parse app.log\n  \
        zcat app.log.gz | debrief signals parse --output jsonl -\n  \
        debrief signals parse --header none --output csv messages.txt\n\n\
        The CSV has the header `line,template_id,kind,template`, one row per input line in\n\
        input order (empty and binary lines get a row with empty fields). Templates are mined\n\
        over the whole input first, so every line of a template has the same id.")]
    Parse {
        /// A log file (plain or gzip), or `-` for stdin.
        input: String,
        #[command(flatten)]
        mining: MiningArgs,
        /// Output shape.
        #[arg(long, value_enum, default_value_t = OutputArg::Csv)]
        output: OutputArg,
    },
}

/// Settings every mining command shares.
#[derive(ClapArgs, Clone)]
pub struct MiningArgs {
    /// How to find the message in a line: `auto` reads JSON lines by field and splits the
    /// header (time, level, component, pid) off plain lines; `none` takes each line as it is.
    #[arg(long, value_enum, default_value_t = HeaderArg::Auto)]
    header: HeaderArg,
    /// A rules file that adds kind rules and masks (YAML).
    /// [default: ~/.config/debrief/signals.yaml when it exists]
    #[arg(long, env = "DEBRIEF_SIGNALS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Worker threads. [default: the number of cores]
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// At most this many distinct masked messages are kept; past it, new ones are counted
    /// under the overflow template `<*>`.
    #[arg(long, value_name = "N", default_value_t = MinerConfig::default().max_sequences)]
    max_sequences: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum HeaderArg {
    Auto,
    None,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OutputArg {
    Csv,
    Jsonl,
}

/// What the mining commands need, built once from the arguments.
pub struct Setup {
    pub parser: LineParser,
    pub rules: Rules,
    pub miner: MinerConfig,
    pub threads: usize,
}

impl MiningArgs {
    pub fn setup(&self, default_year: i16) -> anyhow::Result<Setup> {
        let rules = load_rules(self.config.as_deref())?;
        let masker = Masker::new(rules.masks().to_vec());
        let header = match self.header {
            HeaderArg::Auto => HeaderMode::Auto,
            HeaderArg::None => HeaderMode::None,
        };
        let threads = self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        if threads == 0 {
            anyhow::bail!("--threads must be at least 1");
        }
        Ok(Setup {
            parser: LineParser::new(header, masker, default_year),
            rules,
            miner: MinerConfig {
                max_sequences: self.max_sequences,
            },
            threads,
        })
    }
}

pub fn load_rules(path: Option<&Path>) -> anyhow::Result<Rules> {
    let default_path = dirs::config_dir().map(|d| d.join("debrief").join("signals.yaml"));
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => match default_path.filter(|p| p.exists()) {
            Some(p) => p,
            None => return Ok(Rules::defaults()),
        },
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the rules file {}", path.display()))?;
    Ok(Rules::with_config(&text, &path.display().to_string())?)
}

/// Whether a command needs the store.
pub fn needs_store(command: &SignalsCommand) -> bool {
    !matches!(command, SignalsCommand::Parse { .. })
}

/// Commands that need no store.
pub fn run_offline(command: SignalsCommand) -> anyhow::Result<ExitCode> {
    match command {
        SignalsCommand::Parse {
            input,
            mining,
            output,
        } => parse(&input, &mining, output),
        _ => unreachable!("only parse runs without a store"),
    }
}

/// Commands that use the store.
pub async fn run(store: &Store, command: SignalsCommand) -> anyhow::Result<ExitCode> {
    match command {
        SignalsCommand::Scan {
            inputs,
            follow,
            interval,
            service,
            mining,
        } => {
            scan::run(
                store,
                &inputs,
                follow,
                interval,
                service.as_deref(),
                &mining,
            )
            .await
        }
        SignalsCommand::Report {
            since,
            baseline,
            until,
            kinds,
            service,
            cascade_window,
            limit,
            json,
            markdown,
            config,
        } => {
            let rules = load_rules(config.as_deref())?;
            let opts = report::options(
                store,
                &since,
                &baseline,
                until.as_deref(),
                &kinds,
                service,
                &cascade_window,
                limit,
            )
            .await?;
            let report = store.signal_report(&rules, &opts).await?;
            report::print(store, &report, json, markdown).await?;
            Ok(ExitCode::SUCCESS)
        }
        SignalsCommand::Promote {
            fingerprint,
            incident,
            severity,
            title,
            since,
            config,
        } => {
            let rules = load_rules(config.as_deref())?;
            report::promote(
                store,
                &rules,
                &fingerprint,
                incident.as_deref(),
                &severity,
                title,
                &since,
            )
            .await
        }
        SignalsCommand::Parse { .. } => run_offline(command),
    }
}

fn parse(input: &str, mining: &MiningArgs, output: OutputArg) -> anyhow::Result<ExitCode> {
    let setup = mining.setup(super::today().year())?;
    // Two passes: stdin, a pipe or any input that cannot be read twice is kept in a
    // temporary file for the second.
    let source = Source::from_arg(input);
    let name = source.name();
    let rereadable = match &source {
        Source::Path(p) => std::fs::metadata(p)
            .with_context(|| format!("cannot read {}", p.display()))?
            .is_file(),
        Source::Stdin => false,
    };
    let (source, _spool) = if rereadable {
        (source, None)
    } else {
        let mut tmp = tempfile::NamedTempFile::new()
            .context("cannot create a temporary file for the input")?;
        let mut reader = match &source {
            Source::Stdin => Box::new(std::io::stdin().lock()) as Box<dyn std::io::Read>,
            Source::Path(p) => {
                if p.is_dir() {
                    anyhow::bail!(
                        "cannot read {}: is a directory, not a log file",
                        p.display()
                    );
                }
                Box::new(
                    std::fs::File::open(p)
                        .with_context(|| format!("cannot read {}", p.display()))?,
                )
            }
        };
        std::io::copy(&mut reader, &mut tmp)
            .with_context(|| format!("cannot read {}", source.name()))?;
        (Source::Path(tmp.path().to_path_buf()), Some(tmp))
    };
    let open = || source.open().with_context(|| format!("cannot read {name}"));
    let run = Parse {
        parser: &setup.parser,
        rules: &setup.rules,
        miner: setup.miner,
        threads: setup.threads,
    };
    let (clustering, seqs, stats) = run.mine(open()?)?;
    let format = match output {
        OutputArg::Csv => OutputFormat::Csv,
        OutputArg::Jsonl => OutputFormat::Jsonl,
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    run.print(open()?, &clustering, format, &mut out)?;
    out.flush()?;
    report_read(&name, &stats, seqs.overflow);
    eprintln!(
        "{name}: {} lines, {} templates",
        stats.lines,
        clustering.templates.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Tells on stderr what bad input was seen (nothing when there was none).
pub fn report_read(name: &str, stats: &ReadStats, overflow: u64) {
    let mut parts = Vec::new();
    for (n, what) in [
        (stats.empty, "empty"),
        (stats.binary, "binary (skipped)"),
        (stats.invalid_utf8, "invalid UTF-8 (decoded with U+FFFD)"),
        (stats.oversized, "longer than 64 KiB (cut)"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if !parts.is_empty() {
        eprintln!("{name}: lines {}", parts.join(", "));
    }
    if overflow > 0 {
        eprintln!(
            "{name}: {overflow} lines counted under the overflow template <*> \
             (raise --max-sequences to keep them apart)"
        );
    }
}
