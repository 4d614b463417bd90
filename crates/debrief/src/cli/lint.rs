//! `debrief lint`: blame, counterfactuals, hindsight and judgement in review prose.
//!
//! Exit status: 0 when no finding reaches `--fail-level`, 1 when one does, 2 when the command
//! line, a rule file, the config or an input cannot be used (nothing is linted then).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args as ClapArgs, ValueEnum};
use debrief_core::{Acknowledgement, IncidentId};
use debrief_lint::{Finding, Level, Rules};
use debrief_store::Store;
use serde::Deserialize;

#[derive(ClapArgs)]
#[command(after_help = "Examples:\n  \
    debrief lint docs/postmortems/*.md\n  \
    debrief lint --format json review.md > findings.json\n  \
    debrief lint --format sarif docs/**/*.md > lint.sarif\n  \
    git diff --name-only -- '*.md' | xargs debrief lint --fail-level warning\n  \
    cat notes.txt | debrief lint -\n  \
    debrief lint --incident INC-3                # a stored review\n\n\
Each finding reads `file:line:col: level rule-id: message (suggestion)`; with --incident, its\n\
id follows in brackets (JSON always has it). The id names a finding across edits elsewhere\n\
in the text: `debrief review ack INC-3 ID --reason …` keeps a finding of a stored review\n\
visible but no longer blocking. Code blocks, inline\n\
code, URLs, HTML and front matter are not prose and are not linted. In Markdown,\n\
`<!-- debrief-lint off [RULE…] -->` and `<!-- debrief-lint on [RULE…] -->` switch rules off\n\
and on from where they stand.\n\n\
Rules are data: `--list-rules` shows them. A directory of rule files (`--rules DIR`, or\n\
`rules_dir:` in the config) adds rules or replaces them by id (`--default-rules` prints\n\
the built-in file, to copy from; patterns are written in lower case); the config's `rules:` map switches a rule\n\
`off` or sets its level. Config: `--config FILE`, by default\n\
~/.config/debrief/lint.yaml when it exists:\n\n  \
rules_dir: ./lint-rules\n  \
rules:\n    \
simply: off\n    \
missed: error\n\n\
Exit status: 0 clean, 1 a finding at or above --fail-level, 2 a usage or input error.")]
pub struct LintArgs {
    /// Markdown or text files (`.txt` is read as plain text, anything else as Markdown);
    /// `-` for stdin.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Lint a stored review (INC-3 or 3), as `debrief review export` writes it; repeat for
    /// several. Its acknowledged findings are shown but do not fail the run.
    #[arg(long = "incident", value_name = "ID")]
    incidents: Vec<IncidentId>,
    /// How to print findings.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The least level that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = FailLevel::Error)]
    fail_level: FailLevel,
    /// A directory of rule files (YAML, `rules: [...]`) to add to the defaults.
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
    /// The config file [default: ~/.config/debrief/lint.yaml when it exists].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the rules in use (id, level, message) and exit.
    #[arg(long)]
    list_rules: bool,
    /// Print the built-in rule file (YAML, with its format explained) and exit.
    #[arg(long)]
    default_rules: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// `file:line:col: level rule-id: message (suggestion)`, with the sentence and a caret
    /// when stdout is a terminal.
    Text,
    /// An array of findings: file, line, column, end_line, end_column, rule, level,
    /// message, suggestion.
    Json,
    /// SARIF 2.1.0, for code-scanning tools (columns in characters).
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailLevel {
    Error,
    Warning,
    Suggestion,
}

impl FailLevel {
    fn level(self) -> Level {
        match self {
            FailLevel::Error => Level::Error,
            FailLevel::Warning => Level::Warning,
            FailLevel::Suggestion => Level::Suggestion,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Config {
    rules_dir: Option<PathBuf>,
    #[serde(default)]
    rules: BTreeMap<String, String>,
}

/// Runs `debrief lint`; input and usage errors are reported here, with exit status 2.
/// `database` is where stored reviews are read from, when `--incident` asks for them.
pub async fn run(args: LintArgs, database: Option<String>) -> anyhow::Result<ExitCode> {
    match lint(&args, database).await {
        Ok(code) => Ok(code),
        // A closed pipe (`debrief lint … | head`) is the reader's choice: `main` ends quietly.
        Err(err)
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Err(err)
        }
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            Ok(ExitCode::from(2))
        }
    }
}

async fn lint(args: &LintArgs, database: Option<String>) -> anyhow::Result<ExitCode> {
    if args.default_rules {
        std::io::stdout().write_all(debrief_lint::rules::default_yaml().as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let rules = load_rules(args.config.as_deref(), args.rules.as_deref())?;
    if args.list_rules {
        let mut out = std::io::stdout().lock();
        for r in rules.iter() {
            writeln!(out, "{:<20} {:<10} {}", r.id, r.level.as_str(), r.message)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.files.is_empty() && args.incidents.is_empty() {
        bail!("nothing to lint: give files, - for stdin, or --incident ID (see --help)");
    }
    // Every input is read first: one that cannot be read stops the run before any output.
    let mut inputs = Vec::new();
    for path in &args.files {
        let (name, text) = read_input(path)?;
        let plain = path.extension().is_some_and(|x| x == "txt");
        inputs.push((name, text, plain));
    }
    let mut findings = Vec::new();
    if !args.incidents.is_empty() {
        let store = super::open_store(database).await?;
        let linted = lint_stored(&store, &args.incidents, &rules).await;
        store.close().await;
        findings.extend(linted?);
    }
    for (name, text, plain) in &inputs {
        findings.extend(if *plain {
            debrief_lint::lint_plain(text, &rules, name)
        } else {
            debrief_lint::lint_markdown(text, &rules, name)
        });
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &findings)?;
            writeln!(out)?;
        }
        Format::Sarif => {
            let log = debrief_lint::sarif::sarif(&findings, &rules, env!("CARGO_PKG_VERSION"));
            serde_json::to_writer_pretty(&mut out, &log)?;
            writeln!(out)?;
        }
        Format::Text => write_text(
            &mut out,
            &findings,
            !args.incidents.is_empty(),
            std::io::stdout().is_terminal(),
        )?,
    }
    out.flush()?;
    Ok(if debrief_lint::fails(&findings, args.fail_level.level()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The findings of stored reviews, each marked with its acknowledgement, if any.
async fn lint_stored(
    store: &Store,
    ids: &[IncidentId],
    rules: &Rules,
) -> anyhow::Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for &id in ids {
        let incident = store.get_incident(id).await?;
        let acks = store.acknowledgements(id).await?;
        findings.extend(acknowledged(
            debrief_review::gate::lint_review(&incident, rules),
            &acks,
        ));
    }
    Ok(findings)
}

/// Marks the findings that `acks` acknowledge.
pub fn acknowledged(mut findings: Vec<Finding>, acks: &[Acknowledgement]) -> Vec<Finding> {
    for f in &mut findings {
        f.acknowledged = acks
            .iter()
            .find(|a| a.finding == f.id)
            .map(|a| a.reason.clone());
    }
    findings
}

/// The rules in use: the defaults, then a rule directory named by the config (`config`, or
/// ~/.config/debrief/lint.yaml when it exists) and `rules_dir`, then the config's switches.
pub fn load_rules(config: Option<&Path>, rules_dir: Option<&Path>) -> anyhow::Result<Rules> {
    let mut rules = Rules::defaults();
    let default_config = dirs::config_dir().map(|d| d.join("debrief").join("lint.yaml"));
    let config_path = match config {
        Some(p) => Some(p.to_path_buf()),
        None => default_config.filter(|p| p.exists()),
    };
    let config: Config = match &config_path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the config {}", p.display()))?;
            serde_yaml_ng::from_str(&text)
                .with_context(|| format!("{}: not a lint config", p.display()))?
        }
        None => Config::default(),
    };
    let base = config_path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    for dir in [
        config.rules_dir.map(|d| base.join(d)),
        rules_dir.map(Path::to_path_buf),
    ]
    .into_iter()
    .flatten()
    {
        rules.add_dir(&dir)?;
    }
    rules.configure(&config.rules)?;
    Ok(rules)
}

/// The name and text of an input; invalid UTF-8 is an error that names the file.
fn read_input(path: &Path) -> anyhow::Result<(String, String)> {
    let (name, bytes) = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read stdin")?;
        ("<stdin>".to_string(), bytes)
    } else {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        (path.display().to_string(), bytes)
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{name}: not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((name, text))
}

fn write_text(
    out: &mut dyn Write,
    findings: &[Finding],
    ids: bool,
    terminal: bool,
) -> std::io::Result<()> {
    for f in findings {
        let level = match &f.acknowledged {
            Some(reason) => format!("{} (acknowledged: {reason})", f.level.as_str()),
            None => f.level.as_str().to_string(),
        };
        write!(
            out,
            "{}:{}:{}: {level} {}: {} ({})",
            f.file, f.line, f.column, f.rule, f.message, f.suggestion
        )?;
        if ids {
            write!(out, " [{}]", f.id)?;
        }
        writeln!(out)?;
        if terminal {
            let before = f.sentence[..f.span.0].chars().count();
            let width = f.sentence[f.span.0..f.span.1].chars().count().max(1);
            writeln!(out, "    {}", f.sentence)?;
            writeln!(out, "    {}{}", " ".repeat(before), "^".repeat(width))?;
        }
    }
    Ok(())
}
