//! `debrief signals`: failures that retries, restarts and failovers hide in logs.

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

#[derive(Subcommand)]
pub enum SignalsCommand {
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

fn load_rules(path: Option<&Path>) -> anyhow::Result<Rules> {
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

/// Commands that need no store.
pub fn run_offline(command: SignalsCommand) -> anyhow::Result<ExitCode> {
    match command {
        SignalsCommand::Parse {
            input,
            mining,
            output,
        } => parse(&input, &mining, output),
    }
}

fn parse(input: &str, mining: &MiningArgs, output: OutputArg) -> anyhow::Result<ExitCode> {
    let setup = mining.setup(super::today().year())?;
    // Two passes: stdin is kept in a temporary file for the second.
    let (source, _spool) = match Source::from_arg(input) {
        Source::Stdin => {
            let mut tmp = tempfile::NamedTempFile::new().context("cannot create a temporary file for stdin")?;
            std::io::copy(&mut std::io::stdin().lock(), &mut tmp).context("cannot read stdin")?;
            (Source::Path(tmp.path().to_path_buf()), Some(tmp))
        }
        s => (s, None),
    };
    let open = || {
        source
            .open()
            .with_context(|| format!("cannot read {}", source.name()))
    };
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
    report_read(&source.name(), &stats, seqs.overflow);
    eprintln!(
        "{}: {} lines, {} templates",
        source.name(),
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
