//! Where debrief keeps what it knows: an embedded SQLite file by default, a PostgreSQL server
//! for a team. Every feature works the same on both.
//!
//! [`Store`] is the only door: callers pass and receive domain values from `debrief-core` and
//! never see SQL. Both backends run the same query text through sqlx's `Any` driver (the
//! schema sticks to types both share: TEXT, BIGINT, DOUBLE PRECISION); what differs — how to
//! connect, how a writer takes its lock, the migration files — lives in `backend.rs` and
//! `migrations/{sqlite,postgres}/`.
//!
//! Invariants: every write is one transaction and writers are serialized (SQLite's write
//! lock, taken up front; a PostgreSQL advisory lock), so a failed call leaves the store as it
//! was and two processes writing at once both succeed. Nothing outside this crate builds SQL.
//!
//! Start reading at [`Store::open`], then `incidents.rs`.

mod alerts;
mod backend;
mod digest;
mod documents;
mod experiments;
mod follow;
mod incidents;
mod mem_index;
mod metrics;
mod migrate;
mod near_misses;
mod premortems;
mod problems;
mod retros;
mod reviews;
mod search;
mod signals;
mod similar;
mod tokens;

use debrief_core::InvalidValue;

pub use alerts::AlertOutcome;
pub use backend::{Backend, Location};
pub use digest::{
    Anniversary, Bow, BowAgenda, Digest, DigestExperiment, DigestLaunch, DigestProblem,
    DigestRetro, DigestReview, DigestSignal,
};
pub use experiments::ExperimentHit;
pub use follow::{FollowThrough, Recurred, STALE_DAYS};
pub use incidents::{
    ActionChange, ActionFilter, ActionRow, ActionSource, ImportReport, IncidentFilter,
    IncidentSummary,
};
pub use metrics::{MetricsBy, MetricsRow};
pub use migrate::{MIGRATIONS_POSTGRES, MIGRATIONS_SQLITE, Migration};
pub use near_misses::{NearMiss, NearMissHit};
pub use premortems::PremortemHit;
pub use problems::{
    LINK_SCORE, Pareto, ParetoBar, Problem, ProblemIncident, ProblemMembers, ProblemsComputed,
};
pub use retros::RetroHit;
pub use search::{SearchHit, SearchQuery, SearchResults};
pub use signals::{
    EXAMPLE_SLOTS, PromoteTo, Promoted, ScanStats, SignalBatch, SignalCount, SignalExample,
    StoredSequence,
};
pub use similar::{Reasons, SimilarIncident};
pub use tokens::ApiToken;

/// What went wrong in the store, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The incident or action item does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The write contradicts what is stored (an action item that belongs to another incident).
    #[error("{0}")]
    Conflict(String),
    /// The data breaks a rule of the domain.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    /// The location is not a database debrief can open.
    #[error("{0}")]
    Location(String),
    /// The database was written by a newer debrief.
    #[error(
        "the database is at schema version {found}, newer than this debrief knows ({known}); upgrade debrief"
    )]
    TooNew { found: i64, known: i64 },
    /// Stored data that does not parse (edited by hand, or written by a broken version).
    #[error("corrupt row in {table}: {message}")]
    Corrupt {
        table: &'static str,
        message: String,
    },
    /// The database itself failed (connection, I/O, constraint).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open store.
pub struct Store {
    pool: sqlx::AnyPool,
    location: Location,
    /// The analysed text of the records searched in memory (`mem_index.rs`).
    mem: mem_index::MemIndexes,
}

impl Store {
    /// Opens (and creates, for SQLite) the store at `location` — a file path, `sqlite://PATH`,
    /// or `postgres://…` — and brings its schema up to date.
    pub async fn open(location: &str) -> Result<Store> {
        let location = Location::parse(location)?;
        let pool = backend::connect(&location).await?;
        let store = Store {
            pool,
            location,
            mem: mem_index::MemIndexes::default(),
        };
        migrate::run(&store).await?;
        search::ensure_index(&store).await?;
        Ok(store)
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.location.backend()
    }

    /// Where the store is, for messages: a file path, or a URL with its password hidden.
    pub fn describe(&self) -> String {
        self.location.to_string()
    }

    /// Closes the connections, waiting for them to finish.
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// A transaction that writes. Writers are serialized, so read-then-write inside one is safe.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        backend::begin_write(&self.pool, self.backend()).await
    }

    /// A transaction that only reads, from one consistent snapshot.
    pub(crate) async fn begin_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        backend::begin_read(&self.pool, self.backend()).await
    }
}
