//! Versioned schema migrations, embedded in the binary, one directory per backend with the
//! same version numbers in both (a test checks).
//!
//! This runner is small on purpose: it applies the missing versions inside the store's writer
//! transaction, so two processes opening a new store at once cannot both migrate it (sqlx's
//! own migrator takes no lock on SQLite).

use sqlx::Row;

use crate::{Backend, Result, Store, StoreError};

/// One schema version.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS_SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/sqlite/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "signals",
        sql: include_str!("../migrations/sqlite/0002_signals.sql"),
    },
    Migration {
        version: 3,
        name: "acknowledgements",
        sql: include_str!("../migrations/sqlite/0003_acknowledgements.sql"),
    },
    Migration {
        version: 4,
        name: "api_tokens",
        sql: include_str!("../migrations/sqlite/0004_api_tokens.sql"),
    },
    Migration {
        version: 5,
        name: "alert_groups",
        sql: include_str!("../migrations/sqlite/0005_alert_groups.sql"),
    },
    Migration {
        version: 6,
        name: "near_misses",
        sql: include_str!("../migrations/sqlite/0006_near_misses.sql"),
    },
    Migration {
        version: 7,
        name: "search",
        sql: include_str!("../migrations/sqlite/0007_search.sql"),
    },
    Migration {
        version: 8,
        name: "similar",
        sql: include_str!("../migrations/sqlite/0008_similar.sql"),
    },
    Migration {
        version: 9,
        name: "search_df",
        sql: include_str!("../migrations/sqlite/0009_search_df.sql"),
    },
    Migration {
        version: 10,
        name: "problems",
        sql: include_str!("../migrations/sqlite/0010_problems.sql"),
    },
    Migration {
        version: 11,
        name: "review_published_action_worked",
        sql: include_str!("../migrations/sqlite/0011_review_published_action_worked.sql"),
    },
    Migration {
        version: 12,
        name: "bows",
        sql: include_str!("../migrations/sqlite/0012_bows.sql"),
    },
    Migration {
        version: 13,
        name: "experiments",
        sql: include_str!("../migrations/sqlite/0013_experiments.sql"),
    },
    Migration {
        version: 14,
        name: "premortems_near_miss_links",
        sql: include_str!("../migrations/sqlite/0014_premortems_near_miss_links.sql"),
    },
    Migration {
        version: 15,
        name: "retros",
        sql: include_str!("../migrations/sqlite/0015_retros.sql"),
    },
    Migration {
        version: 16,
        name: "doc_revisions",
        sql: include_str!("../migrations/sqlite/0016_doc_revisions.sql"),
    },
];

pub const MIGRATIONS_POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "signals",
        sql: include_str!("../migrations/postgres/0002_signals.sql"),
    },
    Migration {
        version: 3,
        name: "acknowledgements",
        sql: include_str!("../migrations/postgres/0003_acknowledgements.sql"),
    },
    Migration {
        version: 4,
        name: "api_tokens",
        sql: include_str!("../migrations/postgres/0004_api_tokens.sql"),
    },
    Migration {
        version: 5,
        name: "alert_groups",
        sql: include_str!("../migrations/postgres/0005_alert_groups.sql"),
    },
    Migration {
        version: 6,
        name: "near_misses",
        sql: include_str!("../migrations/postgres/0006_near_misses.sql"),
    },
    Migration {
        version: 7,
        name: "search",
        sql: include_str!("../migrations/postgres/0007_search.sql"),
    },
    Migration {
        version: 8,
        name: "similar",
        sql: include_str!("../migrations/postgres/0008_similar.sql"),
    },
    Migration {
        version: 9,
        name: "search_df",
        sql: include_str!("../migrations/postgres/0009_search_df.sql"),
    },
    Migration {
        version: 10,
        name: "problems",
        sql: include_str!("../migrations/postgres/0010_problems.sql"),
    },
    Migration {
        version: 11,
        name: "review_published_action_worked",
        sql: include_str!("../migrations/postgres/0011_review_published_action_worked.sql"),
    },
    Migration {
        version: 12,
        name: "bows",
        sql: include_str!("../migrations/postgres/0012_bows.sql"),
    },
    Migration {
        version: 13,
        name: "experiments",
        sql: include_str!("../migrations/postgres/0013_experiments.sql"),
    },
    Migration {
        version: 14,
        name: "premortems_near_miss_links",
        sql: include_str!("../migrations/postgres/0014_premortems_near_miss_links.sql"),
    },
    Migration {
        version: 15,
        name: "retros",
        sql: include_str!("../migrations/postgres/0015_retros.sql"),
    },
    Migration {
        version: 16,
        name: "doc_revisions",
        sql: include_str!("../migrations/postgres/0016_doc_revisions.sql"),
    },
];

pub(crate) async fn run(store: &Store) -> Result<()> {
    let migrations = match store.backend() {
        Backend::Sqlite => MIGRATIONS_SQLITE,
        Backend::Postgres => MIGRATIONS_POSTGRES,
    };
    let known = migrations.last().map_or(0, |m| m.version);
    let mut tx = store.begin_write().await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS debrief_schema (
             version    BIGINT PRIMARY KEY,
             name       TEXT   NOT NULL,
             applied_at TEXT   NOT NULL
         )",
    )
    .execute(&mut *tx)
    .await?;
    let current: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM debrief_schema")
        .fetch_one(&mut *tx)
        .await?
        .try_get("v")?;
    if current > known {
        return Err(StoreError::TooNew {
            found: current,
            known,
        });
    }
    for m in migrations.iter().filter(|m| m.version > current) {
        sqlx::raw_sql(m.sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO debrief_schema (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(debrief_core::time::format_time(jiff::Timestamp::now()))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
