//! The full-text index and search: kept in ordinary tables (`search_terms`, `search_fields`,
//! `search_stats`; migration 7), written in the same transaction as the incident it indexes,
//! and ranked by `debrief-search`, so SQLite and PostgreSQL give the same hits in the same
//! order.

use std::collections::{HashMap, HashSet};

use debrief_core::{Incident, IncidentId, ReviewState, Severity, Status};
use debrief_search::{Analyzer, Clause, Field, Posting, Query, Snippet, Stats};
use jiff::Timestamp;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::incidents::{parse_col, time_col};
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

/// Adds `delta` to the number of incidents that have each of `terms`.
async fn add_df(conn: &mut AnyConnection, terms: &[String], delta: i64) -> Result<()> {
    for chunk in terms.chunks(BATCH * 2) {
        let values = (0..chunk.len())
            .map(|n| format!("(${}, ${})", 2 * n + 1, 2 * n + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO search_df (term, df) VALUES {values}
             ON CONFLICT (term) DO UPDATE SET df = search_df.df + excluded.df"
        );
        let mut q = sqlx::query(&sql);
        for t in chunk {
            q = q.bind(t.as_str()).bind(delta);
        }
        q.execute(&mut *conn).await?;
    }
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
    let terms: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT term FROM search_terms WHERE incident_id = $1")
            .bind(id.0)
            .fetch_all(&mut *conn)
            .await?;
    add_df(conn, &terms, -1).await?;
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
    let mut distinct: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    distinct.sort();
    distinct.dedup();
    add_df(conn, &distinct, 1).await?;
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
    /// `total` is a lower bound: a query with very common words is not counted in full.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub total_at_least: bool,
    pub hits: Vec<SearchHit>,
    /// Experiments found, best first (ranked apart: see `experiments.rs`). None when the
    /// query filters by severity or factor, which experiments do not have.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub experiments: Vec<crate::ExperimentHit>,
    /// Pre-mortems found, likewise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub premortems: Vec<crate::PremortemHit>,
    /// Confidential near-miss reports found, likewise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub near_misses: Vec<crate::NearMissHit>,
    /// Retrospectives found, likewise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retros: Vec<crate::RetroHit>,
}

/// The byte after every string that starts with `prefix`, for a range scan.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Incidents ranked exactly in Rust after the database picks them.
const CANDIDATES: i64 = 100;

/// Postings the database sums to pick candidates, at most (beyond the rarest term's).
const POSTINGS_BUDGET: usize = 10_000;

/// A value bound to a query.
#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Float(f64),
    Int(i64),
}

/// SQL text and its bound values, numbered `$1…` as both stores read them.
#[derive(Debug, Default)]
struct Sql {
    text: String,
    binds: Vec<Value>,
}

impl Sql {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// Binds `v`; returns its placeholder.
    fn bind(&mut self, v: Value) -> String {
        self.binds.push(v);
        format!("${}", self.binds.len())
    }

    /// Binds every text; returns their placeholders, comma-separated.
    fn list(&mut self, values: &[String]) -> String {
        values
            .iter()
            .map(|v| self.bind(Value::Text(v.clone())))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Appends `other`, renumbering its placeholders after this one's.
    fn append(&mut self, other: &Sql) {
        let offset = self.binds.len();
        let mut text = String::new();
        let mut chars = other.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                let n: usize = n.parse().unwrap_or(0);
                text.push_str(&format!("${}", n + offset));
            } else {
                text.push(c);
            }
        }
        self.text.push_str(&text);
        self.binds.extend(other.binds.iter().cloned());
    }

    async fn fetch(&self, conn: &mut AnyConnection) -> Result<Vec<sqlx::any::AnyRow>> {
        let mut q = sqlx::query(&self.text);
        for v in &self.binds {
            q = match v {
                Value::Text(t) => q.bind(t.clone()),
                Value::Float(f) => q.bind(*f),
                Value::Int(i) => q.bind(*i),
            };
        }
        Ok(q.fetch_all(&mut *conn).await?)
    }
}

/// The filters as `SELECT i.id FROM incidents i WHERE …` (binding into `sql`), or `None`.
fn filter_sql(q: &SearchQuery, sql: &mut Sql) -> Option<String> {
    if q.services.is_empty() && q.severities.is_empty() && q.factor.is_none() && q.since.is_none() {
        return None;
    }
    let mut text = String::from("SELECT i.id FROM incidents i WHERE 1 = 1");
    if !q.severities.is_empty() {
        let values: Vec<String> = q
            .severities
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        text.push_str(&format!(" AND i.severity IN ({})", sql.list(&values)));
    }
    if !q.services.is_empty() {
        text.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM incident_services s WHERE s.incident_id = i.id AND s.service IN ({}))",
            sql.list(&q.services)
        ));
    }
    if let Some(f) = &q.factor {
        let p = sql.bind(Value::Text(f.clone()));
        text.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM factors f WHERE f.incident_id = i.id AND (f.category = {p} OR f.level = {p}))"
        ));
    }
    if let Some(since) = q.since {
        let p = sql.bind(Value::Text(debrief_core::time::format_time(since)));
        text.push_str(&format!(" AND i.started_at >= {p}"));
    }
    Some(text)
}

/// The postings of `terms`, of every incident or of `only` these.
async fn postings_of(
    conn: &mut AnyConnection,
    terms: &[String],
    only: Option<&[i64]>,
) -> Result<HashMap<String, Vec<Posting>>> {
    let mut postings: HashMap<String, Vec<Posting>> = HashMap::new();
    if terms.is_empty() || only.is_some_and(<[i64]>::is_empty) {
        return Ok(postings);
    }
    let mut sql = Sql::default();
    let list = sql.list(terms);
    sql.push(&format!(
        "SELECT term, incident_id, field, field_len, positions FROM search_terms WHERE term IN ({list})"
    ));
    if let Some(ids) = only {
        let ids: Vec<String> = ids.iter().map(|i| sql.bind(Value::Int(*i))).collect();
        sql.push(&format!(" AND incident_id IN ({})", ids.join(", ")));
    }
    for r in sql.fetch(conn).await? {
        let code: i64 = r.try_get("field")?;
        let field = Field::from_code(code).ok_or_else(|| StoreError::Corrupt {
            table: "search_terms",
            message: format!("unknown field {code}"),
        })?;
        let positions: String = r.try_get("positions")?;
        postings
            .entry(r.try_get("term")?)
            .or_default()
            .push(Posting {
                doc: r.try_get("incident_id")?,
                field,
                field_len: u32::try_from(r.try_get::<i64, _>("field_len")?).unwrap_or(0),
                positions: debrief_search::decode_positions(&positions),
            });
    }
    Ok(postings)
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
        let phrases = query
            .clauses
            .iter()
            .chain(&query.excluded)
            .any(|c| matches!(c, Clause::Phrase(_)));
        let (ranked, total, total_at_least) = if phrases || terms.is_empty() {
            // Phrases need every position of their words: rank all postings in Rust.
            let postings = postings_of(&mut tx, &terms, None).await?;
            let mut ranked = debrief_search::rank(&query, &postings, &expansions, &stats);
            if let Some(allowed) = self.filtered(&mut tx, q).await? {
                ranked.retain(|(doc, _)| allowed.contains(doc));
            }
            let total = ranked.len();
            (ranked, total, false)
        } else {
            self.ranked_in_sql(&mut tx, q, &query, &terms, &expansions, &mut stats)
                .await?
        };
        let mut ranked = ranked;
        ranked.truncate(q.limit.max(1));
        let hits = self.hits(&mut tx, &analyzer, &query, &ranked).await?;
        // Experiments, pre-mortems, near-miss reports and retros have no severity or
        // factors; pre-mortems, reports and retros no services or start either, so those
        // filters leave them out. They are searched in memory (`mem_index.rs`).
        let incident_only = !q.severities.is_empty() || q.factor.is_some();
        let revisions = crate::mem_index::revisions(&mut tx).await?;
        let experiments = if incident_only {
            Vec::new()
        } else {
            self.search_experiments(
                &revisions,
                &mut tx,
                &query,
                q.since,
                &q.services,
                q.limit.max(1),
            )
            .await?
        };
        let (premortems, near_misses, retros) = if incident_only
            || !q.services.is_empty()
            || q.since.is_some()
        {
            (Vec::new(), Vec::new(), Vec::new())
        } else {
            (
                crate::premortems::search(&self.mem, &revisions, &mut tx, &query, q.limit.max(1))
                    .await?,
                crate::near_misses::search(&self.mem, &revisions, &mut tx, &query, q.limit.max(1))
                    .await?,
                crate::retros::search(&self.mem, &revisions, &mut tx, &query, q.limit.max(1))
                    .await?,
            )
        };
        tx.commit().await?;
        Ok(SearchResults {
            total,
            total_at_least,
            hits,
            experiments,
            premortems,
            near_misses,
            retros,
        })
    }

    /// Ranking for queries of words and prefixes, with the database doing the heavy part: it
    /// sums each incident's BM25 over the query's terms (the same formula as
    /// `debrief_search::rank`) and returns the best [`CANDIDATES`]; those are then ranked
    /// again in Rust from their own postings, so the order is exactly `rank`'s on every store.
    /// A common word's postings never leave the database.
    async fn ranked_in_sql(
        &self,
        conn: &mut AnyConnection,
        q: &SearchQuery,
        query: &Query,
        terms: &[String],
        expansions: &HashMap<String, Vec<String>>,
        stats: &mut Stats,
    ) -> Result<(Vec<(i64, f64)>, usize, bool)> {
        // How many incidents have each term.
        let mut sql = Sql::default();
        let list = sql.list(terms);
        sql.push(&format!(
            "SELECT term, df FROM search_df WHERE term IN ({list}) AND df > 0"
        ));
        for r in sql.fetch(conn).await? {
            let df: i64 = r.try_get("df")?;
            stats
                .df
                .insert(r.try_get("term")?, usize::try_from(df).unwrap_or(0));
        }
        // The terms that score: words and the terms prefixes expand to; and those that exclude.
        let scoring: Vec<String> = {
            let mut v: Vec<String> = query
                .clauses
                .iter()
                .flat_map(|c| match c {
                    Clause::Term(t) => vec![t.clone()],
                    Clause::Prefix(p) => expansions.get(p).cloned().unwrap_or_default(),
                    Clause::Phrase(_) => Vec::new(),
                })
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let excluded: Vec<String> = query
            .excluded
            .iter()
            .flat_map(|c| match c {
                Clause::Term(t) => vec![t.clone()],
                Clause::Prefix(p) => expansions.get(p).cloned().unwrap_or_default(),
                Clause::Phrase(_) => Vec::new(),
            })
            .collect();
        let df_of = |t: &String| stats.df.get(t).copied().unwrap_or(0);
        let mut scoring: Vec<String> = scoring.into_iter().filter(|t| df_of(t) > 0).collect();
        if scoring.is_empty() {
            return Ok((Vec::new(), 0, false));
        }
        // Candidates come from the rarest terms, as many as fit in the budget of postings (at
        // least one): they carry most of the score, and a common word's postings stay put.
        // Every term is scored again, exactly, on the candidates.
        scoring.sort_by_key(|t| (df_of(t), t.clone()));
        let mut budget = 0;
        let mut cheap = 0;
        for t in &scoring {
            if cheap > 0 && budget + df_of(t) > POSTINGS_BUDGET {
                break;
            }
            budget += df_of(t);
            cheap += 1;
        }
        let exact_total = cheap == scoring.len();
        let gather: Vec<String> = scoring[..cheap].to_vec();
        // WHERE: the gathering terms, the filters, not the excluded.
        let mut wher = Sql::default();
        let list = wher.list(&gather);
        wher.push(&format!("term IN ({list})"));
        if let Some(filter) = filter_sql(q, &mut wher) {
            wher.push(&format!(" AND incident_id IN ({filter})"));
        }
        if !excluded.is_empty() {
            let list = wher.list(&excluded);
            wher.push(&format!(
                " AND incident_id NOT IN (SELECT incident_id FROM search_terms WHERE term IN ({list}))"
            ));
        }
        // The number of matches: counted when the gathering terms are all of them; otherwise
        // at least as many incidents as have the commonest term.
        let total: i64 = if exact_total {
            let mut count = Sql::default();
            count.push("SELECT COUNT(DISTINCT incident_id) AS n FROM search_terms WHERE ");
            count.append(&wher);
            count
                .fetch(conn)
                .await?
                .first()
                .map(|r| r.try_get("n"))
                .transpose()?
                .unwrap_or(0)
        } else {
            scoring.iter().map(|t| df_of(t) as i64).max().unwrap_or(0)
        };
        // The sum, term by term: idf · field weight · saturated, length-normalized tf.
        let mut top = Sql::default();
        let mut idf_case = String::from("CASE term");
        for t in &gather {
            let df = stats.df.get(t).copied().unwrap_or(0);
            let (term, idf) = (
                top.bind(Value::Text(t.clone())),
                top.bind(Value::Float(debrief_search::idf(stats.docs, df))),
            );
            idf_case.push_str(&format!(" WHEN {term} THEN {idf}"));
        }
        idf_case.push_str(" ELSE 0 END");
        let mut weight_case = String::from("CASE field");
        let mut avg_case = String::from("CASE field");
        for f in Field::ALL {
            let (code, w, avg) = (
                top.bind(Value::Int(f.code())),
                top.bind(Value::Float(f.weight())),
                top.bind(Value::Float(
                    stats.avg_len.get(&f).copied().unwrap_or(1.0).max(1.0),
                )),
            );
            weight_case.push_str(&format!(" WHEN {code} THEN {w}"));
            avg_case.push_str(&format!(" WHEN {code} THEN {avg}"));
        }
        weight_case.push_str(" ELSE 0 END");
        avg_case.push_str(" ELSE 1 END");
        let (k1, b) = (
            top.bind(Value::Float(debrief_search::K1)),
            top.bind(Value::Float(debrief_search::B)),
        );
        top.push(&format!(
            "SELECT incident_id, SUM(({idf_case}) * ({weight_case}) * tf * ({k1} + 1) \
             / (tf + {k1} * (1 - {b} + {b} * field_len / ({avg_case})))) AS score \
             FROM (SELECT incident_id, term, field, CAST(field_len AS DOUBLE PRECISION) AS field_len, \
             CAST(LENGTH(positions) - LENGTH(REPLACE(positions, ',', '')) + 1 AS DOUBLE PRECISION) AS tf \
             FROM search_terms WHERE "
        ));
        top.append(&wher);
        let limit = top.bind(Value::Int(CANDIDATES));
        top.push(&format!(
            ") t GROUP BY incident_id ORDER BY score DESC, incident_id DESC LIMIT {limit}"
        ));
        let candidates: Vec<i64> = top
            .fetch(conn)
            .await?
            .iter()
            .map(|r| r.try_get("incident_id"))
            .collect::<std::result::Result<_, _>>()?;
        // Exact ranking of the candidates, from their own postings.
        let postings = postings_of(conn, terms, Some(&candidates)).await?;
        let ranked = debrief_search::rank(query, &postings, expansions, stats);
        Ok((ranked, usize::try_from(total).unwrap_or(0), !exact_total))
    }

    /// The incidents the filters allow, or `None` when there are no filters.
    async fn filtered(
        &self,
        conn: &mut AnyConnection,
        q: &SearchQuery,
    ) -> Result<Option<HashSet<i64>>> {
        let mut sql = Sql::default();
        let Some(filter) = filter_sql(q, &mut sql) else {
            return Ok(None);
        };
        let whole = Sql {
            text: filter,
            binds: sql.binds,
        };
        Ok(Some(
            whole
                .fetch(conn)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>(0))
                .collect::<std::result::Result<_, _>>()?,
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
                severity: parse_col(&r, "incidents", "severity")?,
                status: parse_col(&r, "incidents", "status")?,
                review: parse_col(&r, "incidents", "review_state")?,
                started: time_col(started),
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
