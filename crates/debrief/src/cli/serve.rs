//! `debrief serve` and `debrief token`: the HTTP server on the store, and the tokens that
//! let people and programs use it.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use debrief_core::Role;
use debrief_store::Store;

use super::output::emit;

#[derive(Args)]
#[command(after_help = "Examples:\n  \
    debrief token create --role reader --name grafana   # prints the token once\n  \
    debrief serve                                        # http://127.0.0.1:8080\n  \
    debrief serve --open                                 # and a one-time sign-in link\n  \
    curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8080/api/v1/incidents\n\n\
    The server uses the same store as the command line (--database). /healthz and /metrics\n\
    need no token; everything under /api/v1 does. SIGTERM or Ctrl-C stops it after the\n\
    requests it accepted are answered.")]
pub struct ServeArgs {
    /// The address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// Print a sign-in link that works once, for 15 minutes, and signs in as an
    /// administrator (you own the store), and open it in the desktop's browser if there is one.
    #[arg(long)]
    open: bool,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make a token; it is printed once, and only its hash is stored.
    #[command(
        after_help = "Example:\n  debrief token create --role writer --name ci-pipeline\n\n\
        Roles: reader (read everything), writer (also write: incidents, reviews, actions,\n\
        ingest), admin (also manage tokens)."
    )]
    Create {
        /// What it may do: reader, writer or admin.
        #[arg(long)]
        role: Role,
        /// Who or what uses it, to recognise it in `token list`.
        #[arg(long, default_value = "unnamed")]
        name: String,
    },
    /// List tokens (never their secrets).
    List {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: requests carrying it are refused from now on.
    Revoke {
        /// The token's number, from `token list`.
        id: i64,
    },
}

/// Serves until SIGTERM or Ctrl-C.
pub async fn serve(store: Store, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let at = listener.local_addr()?;
    eprintln!("debrief serving {} on http://{at}", store.describe());
    // The lint rules as the command line has them (built in, plus the user's configuration).
    let rules: debrief_server::RulesLoader =
        Box::new(|| super::lint::load_rules(None, None).map_err(|e| format!("{e:#}")));
    // Posted logs are read as `debrief signals scan` reads them, with its rules file.
    let signal_rules = super::signals::load_rules(None)?;
    let ingest = debrief_server::Ingest {
        parser: debrief_signals::pipeline::LineParser::new(
            debrief_signals::pipeline::HeaderMode::Auto,
            debrief_signals::mask::Masker::new(signal_rules.masks().to_vec()),
            super::today().year(),
        ),
        miner: debrief_signals::miner::MinerConfig::default(),
        kinds: signal_rules,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let signin_code = if args.open {
        let code = debrief_server::auth::new_token()
            .context("cannot read randomness from the operating system")?
            .secret;
        let host = if at.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            at.ip()
        };
        let link = format!(
            "http://{}/signin?code={code}",
            SocketAddr::new(host, at.port())
        );
        eprintln!(
            "sign in: {link}\n  (works once, for 15 minutes; later, sign in with a token from `debrief token create`)"
        );
        open_in_browser(&link);
        Some(code)
    } else {
        None
    };
    let config = debrief_server::Config {
        rules,
        ingest,
        signin_code,
    };
    debrief_server::serve(store, config, listener, debrief_server::shutdown_signal())
        .await
        .context("the server failed")?;
    eprintln!("debrief stopped");
    Ok(ExitCode::SUCCESS)
}

/// Opens `link` in the desktop's browser, if the machine has one; quietly does nothing
/// otherwise (a server over SSH has none: the link is printed).
fn open_in_browser(link: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    if let Ok(mut child) = std::process::Command::new(opener)
        .arg(link)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        std::thread::spawn(move || child.wait());
    }
}

pub async fn token(store: &Store, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let now = super::now();
    match command {
        TokenCommand::Create { role, name } => {
            let new = debrief_server::auth::new_token()
                .context("cannot read randomness from the operating system")?;
            let t = store
                .create_token(&name, role, &new.hash, &new.prefix, now)
                .await?;
            eprintln!(
                "token {} ({}, {}) created; it is shown only now:",
                t.id, t.name, t.role
            );
            emit(&format!("{}\n", new.secret))?;
        }
        TokenCommand::List { json } => {
            let tokens = store.list_tokens().await?;
            if json {
                emit(&format!("{}\n", serde_json::to_string_pretty(&tokens)?))?;
            } else if tokens.is_empty() {
                eprintln!("no tokens; make one with `debrief token create --role reader`");
            } else {
                let mut out = String::new();
                for t in &tokens {
                    out.push_str(&format!(
                        "{:>4}  {:<7} {:<14} {}  {}{}\n",
                        t.id,
                        t.role.as_str(),
                        format!("{}…", t.prefix),
                        debrief_core::time::format_time(t.created),
                        t.name,
                        t.revoked.map_or(String::new(), |r| format!(
                            "  (revoked {})",
                            debrief_core::time::format_time(r)
                        ))
                    ));
                }
                emit(&out)?;
            }
        }
        TokenCommand::Revoke { id } => {
            if store.revoke_token(id, now).await? {
                emit(&format!("token {id} revoked\n"))?;
            } else {
                bail!("token {id} was revoked already");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
