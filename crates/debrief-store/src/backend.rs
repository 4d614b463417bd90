//! What differs between SQLite and PostgreSQL: locations, connecting, and how transactions
//! begin. Everything else runs the same SQL on both.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use crate::{Result, StoreError};

/// The database kind behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a store is.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    /// A `postgres://` URL; it may hold a password, so it is never printed as is.
    Postgres(String),
}

impl Location {
    /// Reads a location: `postgres://…` or `postgresql://…`, `sqlite://PATH` or `sqlite:PATH`,
    /// or a plain file path.
    pub fn parse(s: &str) -> Result<Location> {
        let s = s.trim();
        if s.is_empty() {
            return Err(StoreError::Location(
                "the database location is empty (give a file path, sqlite://PATH or postgres://…)"
                    .into(),
            ));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Location::Postgres(s.to_string()));
        }
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() || path == ":memory:" {
                return Err(StoreError::Location(format!(
                    "{s}: give the SQLite file's path, like sqlite:///var/lib/debrief/debrief.db"
                )));
            }
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(StoreError::Location(format!(
                "unsupported database scheme {scheme:?} (expected a file path, sqlite://PATH or postgres://…)"
            )));
        }
        Ok(Location::Sqlite(PathBuf::from(s)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Location::Sqlite(_) => Backend::Sqlite,
            Location::Postgres(_) => Backend::Postgres,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

/// Hides the password of a URL: `postgres://me:secret@db/x` → `postgres://me:***@db/x`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => url.to_string(),
    }
}

pub(crate) async fn connect(location: &Location) -> Result<AnyPool> {
    sqlx::any::install_default_drivers();
    match location {
        Location::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Location(format!(
                        "cannot create the directory {} for the database: {e}",
                        dir.display()
                    ))
                })?;
            }
            let text = path.to_str().ok_or_else(|| {
                StoreError::Location(format!("{}: the path is not UTF-8", path.display()))
            })?;
            let encoded = text
                .replace('%', "%25")
                .replace('?', "%3F")
                .replace('#', "%23");
            let url = format!("sqlite://{encoded}?mode=rwc");
            let pool = AnyPoolOptions::new()
                .max_connections(4)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        // 32 MiB of page cache a connection (SQLite's default is 2 MiB): the
                        // search index's postings are most of a large store, and every write
                        // adds to them in key order, not file order.
                        conn.execute("PRAGMA cache_size = -32768").await?;
                        Ok(())
                    })
                })
                .connect(&url)
                .await
                .map_err(|e| {
                    StoreError::Location(format!("cannot open {}: {e}", path.display()))
                })?;
            // WAL lets readers go on while one process writes. Switching needs a moment
            // without other writers; retry briefly if another process holds the file.
            let mut tries = 0;
            loop {
                match sqlx::query("PRAGMA journal_mode = WAL")
                    .fetch_optional(&pool)
                    .await
                {
                    Ok(_) => break,
                    Err(_) if tries < 50 => {
                        tries += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(pool)
        }
        Location::Postgres(url) => AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| StoreError::Location(format!("cannot connect to {}: {e}", redact(url)))),
    }
}

/// PostgreSQL writers take this advisory lock, so they go one at a time as SQLite's do.
const WRITER_LOCK: i64 = 0x0064_6562_7269_6566; // "debrief" in ASCII

pub(crate) async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    match backend {
        Backend::Sqlite => Ok(pool.begin_with("BEGIN IMMEDIATE").await?),
        Backend::Postgres => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT 1 FROM pg_advisory_xact_lock($1)")
                .bind(WRITER_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok(tx)
        }
    }
}

pub(crate) async fn begin_read(
    pool: &AnyPool,
    backend: Backend,
) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    match backend {
        Backend::Sqlite => Ok(pool.begin().await?),
        Backend::Postgres => Ok(pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse() {
        assert_eq!(
            Location::parse("/tmp/x.db").unwrap(),
            Location::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            Location::parse("sqlite:///tmp/x.db").unwrap(),
            Location::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            Location::parse("sqlite:rel.db").unwrap(),
            Location::Sqlite("rel.db".into())
        );
        assert_eq!(
            Location::parse("postgres://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert!(Location::parse("mysql://h/db").is_err());
        assert!(Location::parse("").is_err());
        assert!(Location::parse("sqlite::memory:").is_err());
    }

    #[test]
    fn passwords_never_print() {
        let l = Location::parse("postgres://me:s3cret@db.internal:5432/debrief?sslmode=require")
            .unwrap();
        assert_eq!(
            l.to_string(),
            "postgres://me:***@db.internal:5432/debrief?sslmode=require"
        );
        assert!(!format!("{l:?}").contains("s3cret"));
        assert_eq!(redact("postgres://me@db/x"), "postgres://me@db/x");
    }
}
