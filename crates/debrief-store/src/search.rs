//! The full-text index and search: kept in ordinary tables (`search_terms`, `search_fields`,
//! `search_stats`; migration 7), written in the same transaction as the incident it indexes,
//! and ranked by `debrief-search`, so SQLite and PostgreSQL give the same hits in the same
//! order.

use std::collections::{HashMap, HashSet};

use debrief_core::{Incident, IncidentId, ReviewState, Severity, Status};
use debrief_search::{Analyzer, Field, Posting, Query, Snippet, Stats};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::{Result, Store, StoreError};

/// Rows written per INSERT statement (5 values each, well under SQLite's bind limit).
const BATCH: usize = 150;

/// Most terms one `prefix*` expands to.
const MAX_EXPANSION: i64 = 200;

/// The text of each searched field of an incident.
pub fn field_texts(i: &Incident) -> Vec<(Field, String)> {
    let join = |parts: Vec<&str>| {
        parts
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let factors = i
        .factors
        .iter()
        .flat_map(|f| {
            std::iter::once(f.title.as_str())
                .chain(std::iter::once(f.description.as_str()))
                .chain(f.whys.iter().map(String::as_str))
        })
        .collect();
    vec![
        (Field::Title, i.title.clone()),
        (Field::Summary, i.summary.clone()),
        (Field::Impact, i.impact.clone()),
        (
            Field::Timeline,
            join(
                i.timeline
                    .iter()
                    .flat_map(|e| [e.text.as_str(), e.known.as_str()])
                    .collect(),
            ),
        ),
        (Field::Factors, join(factors)),
        (
            Field::Lessons,
            join(i.lessons.iter().map(|l| l.text.as_str()).collect()),
        ),
        (
            Field::Actions,
            join(i.actions.iter().map(|a| a.title.as_str()).collect()),
        ),
        (Field::Notes, i.notes.clone()),
    ]
    .into_iter()
    .filter(|(_, t)| !t.trim().is_empty())
    .collect()
}

/// Adds `delta` to the running totals of `field` (-1: incidents indexed).
async fn add_stats(conn: &mut AnyConnection, field: i64, docs: i64, len: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO search_stats (field, docs, total_len) VALUES ($1, $2, $3)
         ON CONFLICT (field) DO UPDATE SET docs = search_stats.docs + excluded.docs,
             total_len = search_stats.total_len + excluded.total_len",
    )
    .bind(field)
    .bind(docs)
    .bind(len)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes incident `id` out of the index (its rows, and its share of the totals).
async fn unindex(conn: &mut AnyConnection, id: IncidentId) -> Result<()> {
    let old = sqlx::query("SELECT field, length FROM search_fields WHERE incident_id = $1")
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await?;
    if old.is_empty() {
        return Ok(());
    }
    for row in &old {
        add_stats(
            conn,
            row.try_get("field")?,
            -1,
            -row.try_get::<i64, _>("length")?,
        )
        .await?;
    }
    add_stats(conn, -1, -1, 0).await?;
    for table in ["search_terms", "search_fields"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE incident_id = $1"))
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// (Re)indexes incident `i` (which has its number) inside the caller's transaction.
pub(crate) async fn index_incident(conn: &mut AnyConnection, i: &Incident) -> Result<()> {
    let Some(id) = i.id else {
        return Ok(());
    };
    unindex(conn, id).await?;
    let analyzer = Analyzer::default();
    let mut rows: Vec<(String, i64, i64, String)> = Vec::new();
    for (field, text) in field_texts(i) {
        let indexed = analyzer.index(field, &text);
        let length = i64::from(indexed.length);
        sqlx::query(
            "INSERT INTO search_fields (incident_id, field, length, text) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(field.code())
        .bind(length)
        .bind(&text)
        .execute(&mut *conn)
        .await?;
        add_stats(conn, field.code(), 1, length).await?;
        for (term, positions) in indexed.terms {
            rows.push((
                term,
                field.code(),
                length,
                debrief_search::encode_positions(&positions),
            ));
        }
    }
    add_stats(conn, -1, 1, 0).await?;
    for chunk in rows.chunks(BATCH) {
        let mut sql = String::from(
            "INSERT INTO search_terms (term, incident_id, field, field_len, positions) VALUES ",
        );
        for n in 0..chunk.len() {
            let b = n * 5;
            if n > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
        }
        let mut q = sqlx::query(&sql);
        for (term, field, len, positions) in chunk {
            q = q
                .bind(term.as_str())
                .bind(id.0)
                .bind(*field)
                .bind(*len)
                .bind(positions.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Builds the index again from every incident when it was built by another analyzer (or
/// never: the migration leaves it empty). Runs when the store opens.
pub(crate) async fn ensure_index(store: &Store) -> Result<()> {
    let current: Option<i64> = {
        let mut tx = store.begin_read().await?;
        let v = sqlx::query_scalar("SELECT MAX(analyzer) FROM search_meta")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        v
    };
    if current == Some(debrief_search::ANALYZER_VERSION) {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    // Another process may have rebuilt it while this one waited for the write lock.
    let again: Option<i64> = sqlx::query_scalar("SELECT MAX(analyzer) FROM search_meta")
        .fetch_one(&mut *tx)
        .await?;
    if again == Some(debrief_search::ANALYZER_VERSION) {
        tx.commit().await?;
        return Ok(());
    }
    for table in [
        "search_terms",
        "search_fields",
        "search_stats",
        "search_meta",
    ] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM incidents ORDER BY id")
        .fetch_all(&mut *tx)
        .await?;
    for id in ids {
        let incident = crate::incidents::read_incident(&mut tx, IncidentId(id)).await?;
        index_incident(&mut tx, &incident).await?;
    }
    sqlx::query("INSERT INTO search_meta (analyzer) VALUES ($1)")
        .bind(debrief_search::ANALYZER_VERSION)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// What to search for, and where.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Words, `"phrases"`, `prefix*`, `-excluded`.
    pub text: String,
    /// Only incidents in any of these services.
    pub services: Vec<String>,
    pub severities: Vec<Severity>,
    /// Only incidents with a contributing factor of this category or level.
    pub factor: Option<String>,
    /// Only incidents that started at or after this.
    pub since: Option<Timestamp>,
    /// At most this many hits (the total is counted anyway).
    pub limit: usize,
}

/// One incident found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub id: IncidentId,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub review: ReviewState,
    pub started: Option<Timestamp>,
    pub score: f64,
    /// Up to two pieces of text around the words found (the title's is left out: it is shown).
    pub snippets: Vec<Snippet>,
}

/// The hits, best first, and how many incidents matched in all.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<SearchHit>,
}

/// The byte after every string that starts with `prefix`, for a range scan.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

impl Store {
    /// Searches titles, reviews, factors, lessons and action items (see `debrief-search`
    /// for the query language and the ranking).
    pub async fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        let analyzer = Analyzer::default();
        let query: Query = analyzer
            .parse(&q.text)
            .map_err(|e| debrief_core::InvalidValue::new(e.0))?;
        let mut tx = self.begin_read().await?;
        // Prefixes, expanded to the terms the index has.
        let mut expansions: HashMap<String, Vec<String>> = HashMap::new();
        for p in query.prefixes() {
            let terms: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT term FROM search_terms WHERE term >= $1 AND term < $2
                 ORDER BY term LIMIT $3",
            )
            .bind(&p)
            .bind(prefix_end(&p))
            .bind(MAX_EXPANSION)
            .fetch_all(&mut *tx)
            .await?;
            expansions.insert(p, terms);
        }
        let mut terms: Vec<String> = query.terms();
        terms.extend(expansions.values().flatten().cloned());
        terms.sort();
        terms.dedup();
        let mut postings: HashMap<String, Vec<Posting>> = HashMap::new();
        for term in &terms {
            let rows = sqlx::query(
                "SELECT incident_id, field, field_len, positions FROM search_terms WHERE term = $1",
            )
            .bind(term)
            .fetch_all(&mut *tx)
            .await?;
            let list = postings.entry(term.clone()).or_default();
            for r in rows {
                let code: i64 = r.try_get("field")?;
                let field = Field::from_code(code).ok_or_else(|| StoreError::Corrupt {
                    table: "search_terms",
                    message: format!("unknown field {code}"),
                })?;
                let positions: String = r.try_get("positions")?;
                list.push(Posting {
                    doc: r.try_get("incident_id")?,
                    field,
                    field_len: u32::try_from(r.try_get::<i64, _>("field_len")?).unwrap_or(0),
                    positions: debrief_search::decode_positions(&positions),
                });
            }
        }
        let mut stats = Stats::default();
        for r in sqlx::query("SELECT field, docs, total_len FROM search_stats")
            .fetch_all(&mut *tx)
            .await?
        {
            let (field, docs, total): (i64, i64, i64) = (
                r.try_get("field")?,
                r.try_get("docs")?,
                r.try_get("total_len")?,
            );
            if field == -1 {
                stats.docs = u64::try_from(docs).unwrap_or(0);
            } else if let Some(f) = Field::from_code(field) {
                if docs > 0 {
                    stats.avg_len.insert(f, total as f64 / docs as f64);
                }
            }
        }
        let mut ranked = debrief_search::rank(&query, &postings, &expansions, &stats);
        if let Some(allowed) = self.filtered(&mut tx, q).await? {
            ranked.retain(|(doc, _)| allowed.contains(doc));
        }
        let total = ranked.len();
        ranked.truncate(q.limit.max(1));
        let hits = self.hits(&mut tx, &analyzer, &query, &ranked).await?;
        tx.commit().await?;
        Ok(SearchResults { total, hits })
    }

    /// The incidents the filters allow, or `None` when there are no filters.
    async fn filtered(
        &self,
        conn: &mut AnyConnection,
        q: &SearchQuery,
    ) -> Result<Option<HashSet<i64>>> {
        if q.services.is_empty()
            && q.severities.is_empty()
            && q.factor.is_none()
            && q.since.is_none()
        {
            return Ok(None);
        }
        let mut sql = String::from("SELECT i.id FROM incidents i WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        let placeholders = |values: &[String], binds: &mut Vec<String>| {
            let start = binds.len();
            binds.extend(values.iter().cloned());
            (start..binds.len())
                .map(|n| format!("${}", n + 1))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !q.severities.is_empty() {
            let values: Vec<String> = q
                .severities
                .iter()
                .map(|s| s.as_str().to_string())
                .collect();
            sql.push_str(&format!(
                " AND i.severity IN ({})",
                placeholders(&values, &mut binds)
            ));
        }
        if !q.services.is_empty() {
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM incident_services s WHERE s.incident_id = i.id AND s.service IN ({}))",
                placeholders(&q.services, &mut binds)
            ));
        }
        if let Some(f) = &q.factor {
            let p = placeholders(std::slice::from_ref(f), &mut binds);
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM factors f WHERE f.incident_id = i.id AND (f.category = {p} OR f.level = {p}))"
            ));
        }
        if let Some(since) = q.since {
            let p = placeholders(&[debrief_core::time::format_time(since)], &mut binds);
            sql.push_str(&format!(" AND i.started_at >= {p}"));
        }
        let mut query = sqlx::query_scalar::<_, i64>(&sql);
        for b in &binds {
            query = query.bind(b.as_str());
        }
        Ok(Some(
            query.fetch_all(&mut *conn).await?.into_iter().collect(),
        ))
    }

    /// The hits' incidents and snippets.
    async fn hits(
        &self,
        conn: &mut AnyConnection,
        analyzer: &Analyzer,
        query: &Query,
        ranked: &[(i64, f64)],
    ) -> Result<Vec<SearchHit>> {
        let mut hits = Vec::with_capacity(ranked.len());
        for &(id, score) in ranked {
            let Some(r) = sqlx::query(
                "SELECT title, severity, status, review_state, started_at FROM incidents WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            else {
                continue;
            };
            let bad = |e: debrief_core::InvalidValue| StoreError::Corrupt {
                table: "incidents",
                message: e.message,
            };
            let started: Option<String> = r.try_get("started_at")?;
            let mut fields: Vec<(Field, String)> = Vec::new();
            for f in sqlx::query("SELECT field, text FROM search_fields WHERE incident_id = $1")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?
            {
                if let Some(field) = Field::from_code(f.try_get("field")?) {
                    fields.push((field, f.try_get("text")?));
                }
            }
            fields.sort_by(|a, b| b.0.weight().total_cmp(&a.0.weight()).then(a.0.cmp(&b.0)));
            // Two pieces at most, and not the same words twice (a body that repeats its summary).
            let mut seen = HashSet::new();
            let snippets = fields
                .iter()
                .filter(|(f, _)| *f != Field::Title)
                .filter_map(|(f, text)| analyzer.snippet(*f, text, query, 24))
                .filter(|s| seen.insert(s.text.clone()))
                .take(2)
                .collect();
            hits.push(SearchHit {
                id: IncidentId(id),
                title: r.try_get("title")?,
                severity: r.try_get::<String, _>("severity")?.parse().map_err(bad)?,
                status: r.try_get::<String, _>("status")?.parse().map_err(bad)?,
                review: r
                    .try_get::<String, _>("review_state")?
                    .parse()
                    .map_err(bad)?,
                started: started
                    .filter(|s| !s.is_empty())
                    .and_then(|s| s.parse().ok()),
                score,
                snippets,
            });
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefix_ranges_hold_every_longer_word() {
        let end = super::prefix_end("time");
        for w in ["time", "timeout", "timeż", "time\u{10FFFE}"] {
            assert!(w >= "time" && w < end.as_str(), "{w}");
        }
        assert!("timf" > end.as_str());
    }
}
