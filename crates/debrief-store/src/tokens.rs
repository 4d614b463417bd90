//! API tokens for the server: who may read, write, or manage tokens. The store keeps only a
//! hash of each token; making tokens and hashing them is the server's business.

use debrief_core::{InvalidValue, Role};
use jiff::Timestamp;
use sqlx::Row;

use crate::{Result, Store, StoreError};

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The first characters of the token, to tell tokens apart in a list.
    pub prefix: String,
    pub created: Timestamp,
    pub revoked: Option<Timestamp>,
}

fn token_from_row(row: &sqlx::any::AnyRow) -> Result<ApiToken> {
    let corrupt = |message: String| StoreError::Corrupt {
        table: "api_tokens",
        message,
    };
    let time = |col: &str| -> Result<Option<Timestamp>> {
        let text: Option<String> = row.try_get(col)?;
        text.map(|t| t.parse().map_err(|e| corrupt(format!("{col}: {e}"))))
            .transpose()
    };
    let role: String = row.try_get("role")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: role.parse().map_err(|e: InvalidValue| corrupt(e.message))?,
        prefix: row.try_get("prefix")?,
        created: time("created_at")?.ok_or_else(|| corrupt("created_at is empty".into()))?,
        revoked: time("revoked_at")?,
    })
}

impl Store {
    /// Stores a new token by the hash of its secret; returns it as stored.
    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        hash: &str,
        prefix: &str,
        at: Timestamp,
    ) -> Result<ApiToken> {
        let name = name.trim();
        if name.is_empty() || name.chars().any(char::is_control) || name.chars().count() > 100 {
            return Err(InvalidValue::new(
                "a token's name is one line of up to 100 characters (who or what uses it)",
            )
            .into());
        }
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM api_tokens")
            .fetch_one(&mut *tx)
            .await?
            .try_get("next")?;
        sqlx::query(
            "INSERT INTO api_tokens (id, name, role, hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(name)
        .bind(role.as_str())
        .bind(hash)
        .bind(prefix)
        .bind(debrief_core::time::format_time(at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ApiToken {
            id,
            name: name.to_string(),
            role,
            prefix: prefix.to_string(),
            created: at,
            revoked: None,
        })
    }

    /// The token whose secret hashes to `hash`, unless it was revoked.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>> {
        let mut tx = self.begin_read().await?;
        let row = sqlx::query("SELECT * FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL")
            .bind(hash)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// Every token, revoked ones too, oldest first.
    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        let mut tx = self.begin_read().await?;
        let rows = sqlx::query("SELECT * FROM api_tokens ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes token `id`: it no longer signs anything in. False if it was revoked already.
    pub async fn revoke_token(&self, id: i64, at: Timestamp) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let found = sqlx::query("SELECT revoked_at FROM api_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(found) = found else {
            return Err(StoreError::NotFound(format!("token {id}")));
        };
        let revoked: Option<String> = found.try_get("revoked_at")?;
        if revoked.is_some() {
            return Ok(false);
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
            .bind(debrief_core::time::format_time(at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
