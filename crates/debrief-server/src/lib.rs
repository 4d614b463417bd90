//! `debrief serve`: the JSON API under `/api/v1`, `/healthz` and `/metrics`, on the same store
//! as the command line.
//!
//! Requests to the API carry a token (`Authorization: Bearer …`, made by `debrief token
//! create`); its role decides what it may do. Errors are JSON with a stable code. The server
//! stops on SIGTERM or Ctrl-C after finishing the requests it accepted.

// The OpenAPI document is one `json!` literal, deeper than the default limit allows.
#![recursion_limit = "512"]

mod api;
pub mod auth;
pub mod digest;
mod error;
mod metrics;
mod openapi;
pub mod otlp;
pub mod site;
mod svg;
mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use debrief_store::Store;

pub use api::ROUTES;
pub use error::ApiError;

/// What every request handler shares.
pub(crate) struct AppState {
    pub store: Store,
    pub metrics: metrics::Metrics,
    /// The lint rules, compiled once, in the background from the start (compiling takes
    /// longer than starting to answer).
    pub rules: std::sync::LazyLock<Result<debrief_lint::Rules, String>, RulesLoader>,
    pub ingest: Ingest,
    /// Log batches being scanned now: past the limit, ingest answers 429.
    pub scanning: tokio::sync::Semaphore,
    /// Browsers signed in to the web UI.
    pub sessions: web::Sessions,
}

/// How posted logs are read: as `debrief signals scan` reads them.
pub struct Ingest {
    pub parser: debrief_signals::pipeline::LineParser,
    pub miner: debrief_signals::miner::MinerConfig,
    /// What kind of failure each template hides (retry, restart, …): the signals report's.
    pub kinds: debrief_signals::kinds::Rules,
    /// Threads one batch is scanned with.
    pub threads: usize,
}

/// Loads the lint rules (the built-in ones and the user's configuration).
pub type RulesLoader = Box<dyn FnOnce() -> Result<debrief_lint::Rules, String> + Send>;

/// What the server needs besides the store.
pub struct Config {
    pub rules: RulesLoader,
    pub ingest: Ingest,
    /// A one-time code for `/signin?code=…` (`debrief serve --open`), signing in as admin.
    pub signin_code: Option<String>,
}

/// Log batches scanned at once; more wait for a 429's `Retry-After` (each holds at most
/// `api::MAX_LOG_BODY` of text and its tallies, which bounds memory).
const SCANNING: usize = 2;

/// Serves on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    store: Store,
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = Arc::new(AppState {
        store,
        metrics: metrics::Metrics::default(),
        rules: std::sync::LazyLock::new(config.rules),
        ingest: config.ingest,
        scanning: tokio::sync::Semaphore::new(SCANNING),
        sessions: web::Sessions::default(),
    });
    // Compile the lint rules now, off the request path; a broken rule file is said at once.
    let warm = Arc::clone(&state);
    tokio::task::spawn_blocking(move || {
        if let Err(e) = &*warm.rules {
            eprintln!("warning: the lint rules do not load, so /api/v1/lint will fail: {e}");
        }
    });
    if let Some(code) = &config.signin_code {
        state.sessions.arm_link(code);
    }
    let app = api::router(state);
    // Answers go out at once: with Nagle's algorithm on, a response written in two parts
    // waits for the client's delayed ACK (up to 40 ms) before its second part is sent.
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            eprintln!("warning: cannot set TCP_NODELAY on a connection: {e}");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Completes on SIGTERM or Ctrl-C (SIGINT). The handlers are installed when this is called,
/// not when the future is first polled: a SIGTERM that arrives between start-up and the first
/// poll must still stop the server gracefully instead of killing it.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (term, int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {},
                () = wait(int) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
