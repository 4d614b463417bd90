//! Recurrence: which stored incidents resemble this one, and why. Scored whenever an
//! incident is written (inside the same transaction, after it is indexed), kept in
//! `similar_incidents` (migration 8), and read back with the other incidents' open action
//! items as they are now, so a page can say "this looks like INC-12; 2 of its 4 actions are
//! still open".
//!
//! The score (0 to 1) adds up evidence:
//! - **words** (0.65): the incident's most telling words — its terms weighted by how often it
//!   uses them and how rare they are in the store (tf·idf), the 25 strongest — looked up in
//!   every other incident, each match counted by its weight, its rarity and (saturating) how
//!   often the other uses it, against the same sum for the incident itself (so sharing only
//!   words every incident uses scores low);
//! - **services** (0.2): the share of services the two have in common (Jaccard);
//! - **factors** (0.15): the share of contributing-factor categories in common;
//! - **signals** (+0.25): a weak-signal fingerprint in both timelines (the same log template
//!   was promoted into both).
//!
//! Services and factors count only when either incident names some (the weights are shared
//! out over the evidence there is); a resemblance below 0.2 is not kept.

use std::collections::{BTreeSet, HashMap, HashSet};

use debrief_core::{ActionItem, Incident, IncidentId, Status};
use debrief_search::{Analyzer, Field};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use crate::{Result, Store, StoreError};

/// Terms of the incident looked up in the others.
const TOP_TERMS: usize = 25;
/// Other incidents scored in full (the best by words).
const CANDIDATES: usize = 30;
/// Postings the database sums to choose the candidates, at most (beyond the rarest term's).
const POSTINGS_BUDGET: f64 = 10_000.0;
/// Kept per incident.
const KEEP: usize = 5;
/// Below this, a resemblance is noise.
pub const MIN_SCORE: f64 = 0.2;

/// Why two incidents look alike.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reasons {
    /// Telling words both use, strongest first.
    pub words: Vec<String>,
    pub services: Vec<String>,
    /// Contributing-factor categories both have.
    pub factors: Vec<String>,
    /// Weak-signal fingerprints in both timelines.
    pub signals: Vec<String>,
}

impl Reasons {
    /// In a sentence: "same service checkout; both mention pool, timeout; …".
    pub fn explain(&self) -> String {
        let mut parts = Vec::new();
        if !self.signals.is_empty() {
            parts.push(format!("the same weak signal {}", self.signals.join(", ")));
        }
        if !self.services.is_empty() {
            parts.push(format!(
                "same service{} {}",
                if self.services.len() == 1 { "" } else { "s" },
                self.services.join(", ")
            ));
        }
        if !self.factors.is_empty() {
            parts.push(format!("{} factors in both", self.factors.join(", ")));
        }
        if !self.words.is_empty() {
            parts.push(format!("both mention {}", self.words.join(", ")));
        }
        parts.join("; ")
    }
}

/// An incident that resembles another, with what is still open from it.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarIncident {
    pub id: IncidentId,
    pub title: String,
    pub status: Status,
    pub started: Option<Timestamp>,
    pub score: f64,
    pub reasons: Reasons,
    /// Why, in a sentence.
    pub why: String,
    /// Its action items not done (nor won't do), as they are now.
    pub open_actions: Vec<ActionItem>,
    pub actions_total: usize,
}

fn idf(docs: f64, df: f64) -> f64 {
    ((docs - df + 0.5).max(0.0) / (df + 0.5) + 1.0).ln()
}

/// How much `tf` uses of a term count (saturating, as BM25 does with k1 = 1.2).
fn saturate(tf: f64) -> f64 {
    tf * 2.2 / (tf + 1.2)
}

/// Weak-signal fingerprints named in a timeline line (`Signal 1a2b…`, as `signals promote`
/// writes them).
fn signal_names(line: &str) -> Vec<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0] == "Signal")
        .map(|w| w[1].trim_end_matches([':', ',', '.']).to_string())
        .filter(|f| f.len() >= 8 && f.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect()
}

/// The fingerprints of every weak signal promoted into an incident's timeline.
fn fingerprints(i: &Incident) -> BTreeSet<String> {
    i.timeline
        .iter()
        .flat_map(|e| signal_names(&e.text))
        .collect()
}

/// `select` (which yields `incident_id` and `v`) for the incidents `ids`, as sets by incident.
async fn sets_of(
    conn: &mut AnyConnection,
    select: &str,
    ids: &[i64],
) -> Result<HashMap<i64, BTreeSet<String>>> {
    let mut out: HashMap<i64, BTreeSet<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let list = (1..=ids.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("{select} WHERE incident_id IN ({list})");
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    for r in q.fetch_all(&mut *conn).await? {
        out.entry(r.try_get("incident_id")?)
            .or_default()
            .insert(r.try_get("v")?);
    }
    Ok(out)
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> (f64, Vec<String>) {
    let shared: Vec<String> = a.intersection(b).cloned().collect();
    let union = a.union(b).count();
    if union == 0 {
        (0.0, shared)
    } else {
        (shared.len() as f64 / union as f64, shared)
    }
}

/// The other incidents with the most word evidence, best first: the database sums each
/// one's evidence over the looked-up terms, rarest first, within [`POSTINGS_BUDGET`]
/// postings (always the rarest term's), so a write reads a bounded number of rows however
/// large the store grows. Below the budget every term counts and the choice is exact.
async fn candidates(
    conn: &mut AnyConnection,
    id: IncidentId,
    lookup: &[&(String, f64, f64)],
    df: &HashMap<String, f64>,
) -> Result<Vec<i64>> {
    let mut by_rarity: Vec<&(String, f64, f64)> = lookup.to_vec();
    by_rarity.sort_by(|a, b| {
        let (da, db) = (
            df.get(&a.0).copied().unwrap_or(0.0),
            df.get(&b.0).copied().unwrap_or(0.0),
        );
        da.total_cmp(&db).then(a.0.cmp(&b.0))
    });
    let mut read = 0.0;
    let mut gather = Vec::new();
    for t in by_rarity {
        let d = df.get(&t.0).copied().unwrap_or(0.0);
        if !gather.is_empty() && read + d > POSTINGS_BUDGET {
            break;
        }
        read += d;
        gather.push(t);
    }
    // term → its weight · idf; field → its weight.
    let mut binds: Vec<(Option<String>, f64)> = Vec::new();
    let mut place = |v: (Option<String>, f64)| {
        binds.push(v);
        binds.len() + 1
    };
    let mut term_case = String::from("CASE term");
    let mut terms = Vec::new();
    for (t, w, idf) in &gather {
        let a = place((Some(t.clone()), 0.0));
        let b = place((None, w * idf));
        term_case.push_str(&format!(" WHEN ${a} THEN ${b}"));
        terms.push(format!("${a}"));
    }
    term_case.push_str(" ELSE 0 END");
    let mut field_case = String::from("CASE field");
    for f in Field::ALL {
        field_case.push_str(&format!(" WHEN {} THEN {:?}", f.code(), f.weight()));
    }
    field_case.push_str(" ELSE 0 END");
    let sql = format!(
        "SELECT incident_id, SUM(wt * tf * 2.2 / (tf + 1.2)) AS s FROM \
         (SELECT incident_id, MAX({term_case}) AS wt, \
          SUM(({field_case}) * CAST(LENGTH(positions) - LENGTH(REPLACE(positions, ',', '')) + 1 AS DOUBLE PRECISION)) AS tf \
          FROM search_terms WHERE incident_id <> $1 AND term IN ({}) GROUP BY incident_id, term) x \
         GROUP BY incident_id ORDER BY s DESC, incident_id DESC LIMIT {CANDIDATES}",
        terms.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(id.0);
    for (t, f) in binds {
        q = match t {
            Some(t) => q.bind(t),
            None => q.bind(f),
        };
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok(r.try_get("incident_id")?))
        .collect()
}

/// Scores `i` (indexed already) against every other stored incident and keeps the closest.
pub(crate) async fn refresh(conn: &mut AnyConnection, i: &Incident) -> Result<()> {
    let Some(id) = i.id else {
        return Ok(());
    };
    let found = score(conn, i, id).await?;
    sqlx::query("DELETE FROM similar_incidents WHERE incident_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    for (other, s, reasons) in found {
        sqlx::query(
            "INSERT INTO similar_incidents (incident_id, other_id, score, reasons) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(other)
        .bind(s)
        .bind(serde_json::to_string(&reasons).unwrap_or_default())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn score(
    conn: &mut AnyConnection,
    i: &Incident,
    id: IncidentId,
) -> Result<Vec<(i64, f64, Reasons)>> {
    // The incident's terms, weighted by field.
    let mut tf: HashMap<String, f64> = HashMap::new();
    for r in sqlx::query("SELECT term, field, positions FROM search_terms WHERE incident_id = $1")
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await?
    {
        let field = Field::from_code(r.try_get("field")?).unwrap_or(Field::Notes);
        let positions: String = r.try_get("positions")?;
        let n = positions.split(',').count() as f64;
        *tf.entry(r.try_get("term")?).or_default() += n * field.weight();
    }
    let docs: i64 = sqlx::query_scalar("SELECT docs FROM search_stats WHERE field = -1")
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or(0);
    let docs = docs as f64;
    let mut df: HashMap<String, f64> = HashMap::new();
    let terms: Vec<String> = tf.keys().cloned().collect();
    for chunk in terms.chunks(400) {
        let list = (1..=chunk.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT term, df FROM search_df WHERE term IN ({list})");
        let mut q = sqlx::query(&sql);
        for t in chunk {
            q = q.bind(t.as_str());
        }
        for r in q.fetch_all(&mut *conn).await? {
            df.insert(r.try_get("term")?, r.try_get::<i64, _>("df")? as f64);
        }
    }
    // The most telling terms, its own words included: what only this incident says counts
    // against a resemblance made of words every incident uses.
    let mut weighted: Vec<(String, f64, f64)> = tf
        .iter()
        .map(|(t, &f)| {
            let idf = idf(docs, df.get(t).copied().unwrap_or(1.0));
            (t.clone(), (1.0 + f.ln()) * idf, idf)
        })
        .collect();
    weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    weighted.truncate(TOP_TERMS);
    // The postings looked up: of terms rare enough to tell incidents apart (a word in more
    // than a tenth of all incidents says little and would cost the most to read).
    let lookup: Vec<&(String, f64, f64)> = weighted
        .iter()
        .filter(|(t, _, _)| df.get(t).copied().unwrap_or(0.0) <= (docs / 10.0).max(50.0))
        .collect();
    let own: f64 = weighted
        .iter()
        .map(|(t, w, idf)| w * idf * saturate(tf[t]))
        .sum();
    let mut text: HashMap<i64, (f64, Vec<(f64, String)>)> = HashMap::new();
    if !lookup.is_empty() && own > 0.0 {
        let weight_of: HashMap<&str, (f64, f64)> = weighted
            .iter()
            .map(|(t, w, idf)| (t.as_str(), (*w, *idf)))
            .collect();
        let candidates = candidates(conn, id, &lookup, &df).await?;
        // The candidates scored exactly, from their postings of every looked-up term.
        if !candidates.is_empty() {
            let mut sql = String::from(
                "SELECT term, incident_id, field, positions FROM search_terms WHERE term IN (",
            );
            let mut n = 0;
            let mut next = || {
                n += 1;
                format!("${n}")
            };
            sql.push_str(&lookup.iter().map(|_| next()).collect::<Vec<_>>().join(", "));
            sql.push_str(") AND incident_id IN (");
            sql.push_str(
                &candidates
                    .iter()
                    .map(|_| next())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            sql.push(')');
            let mut q = sqlx::query(&sql);
            for (t, _, _) in &lookup {
                q = q.bind(t.as_str());
            }
            for c in &candidates {
                q = q.bind(*c);
            }
            let mut other_tf: HashMap<(i64, String), f64> = HashMap::new();
            for r in q.fetch_all(&mut *conn).await? {
                let field = Field::from_code(r.try_get("field")?).unwrap_or(Field::Notes);
                let positions: String = r.try_get("positions")?;
                *other_tf
                    .entry((r.try_get("incident_id")?, r.try_get("term")?))
                    .or_default() += positions.split(',').count() as f64 * field.weight();
            }
            let mut parts: Vec<((i64, String), f64)> = other_tf.into_iter().collect();
            parts.sort_by(|a, b| a.0.cmp(&b.0));
            for ((doc, term), f) in parts {
                let (w, idf) = weight_of[term.as_str()];
                let part = w * idf * saturate(f);
                let e = text.entry(doc).or_default();
                e.0 += part;
                e.1.push((part, term));
            }
        }
    }
    // (incident, score by words, the matched terms with their parts of it)
    type Scored = (i64, f64, Vec<(f64, String)>);
    let mut ranked: Vec<Scored> = text
        .into_iter()
        .map(|(doc, (s, terms))| (doc, (s / own).min(1.0), terms))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    ranked.truncate(CANDIDATES);
    // Incidents that share a weak signal count even without shared words.
    let prints = fingerprints(i);
    let mut by_signal: HashSet<i64> = HashSet::new();
    for fp in &prints {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT incident_id FROM timeline_entries WHERE incident_id <> $1 AND text LIKE $2",
        )
        .bind(id.0)
        .bind(format!("%Signal {fp}%"))
        .fetch_all(&mut *conn)
        .await?;
        by_signal.extend(ids);
    }
    for doc in &by_signal {
        if !ranked.iter().any(|r| r.0 == *doc) {
            ranked.push((*doc, 0.0, Vec::new()));
        }
    }
    // Surface forms of the stems, for the reasons.
    let analyzer = Analyzer::default();
    let mut surface: HashMap<String, String> = HashMap::new();
    for (_, text) in crate::search::field_texts(i) {
        for t in analyzer.tokens(&text) {
            surface.entry(t.term).or_insert(t.word);
        }
    }
    let services: BTreeSet<String> = i.services.iter().cloned().collect();
    let categories: BTreeSet<String> = i
        .factors
        .iter()
        .map(|f| f.category.as_str().to_string())
        .collect();
    // The candidates' services, factor categories and signals: three reads for all of them.
    let ids: Vec<i64> = ranked.iter().map(|r| r.0).collect();
    let their_services = sets_of(
        conn,
        "SELECT incident_id, service AS v FROM incident_services",
        &ids,
    )
    .await?;
    let their_factors =
        sets_of(conn, "SELECT incident_id, category AS v FROM factors", &ids).await?;
    let their_prints: HashMap<i64, BTreeSet<String>> = {
        let texts = sets_of(
            conn,
            "SELECT incident_id, text AS v FROM timeline_entries",
            &ids,
        )
        .await?;
        texts
            .into_iter()
            .map(|(doc, lines)| (doc, lines.iter().flat_map(|l| signal_names(l)).collect()))
            .collect()
    };
    let none = BTreeSet::new();
    let mut out = Vec::new();
    for (doc, text_score, mut terms) in ranked {
        let other_services = their_services.get(&doc).unwrap_or(&none);
        let other_factors = their_factors.get(&doc).unwrap_or(&none);
        let (s_services, shared_services) = jaccard(&services, other_services);
        let (s_factors, shared_factors) = jaccard(&categories, other_factors);
        let shared_signals: Vec<String> = prints
            .intersection(their_prints.get(&doc).unwrap_or(&none))
            .cloned()
            .collect();
        // Services and factors count only where either incident names some: missing
        // evidence is not evidence against.
        let mut weight = 0.65;
        let mut sum = 0.65 * text_score;
        if !services.is_empty() || !other_services.is_empty() {
            weight += 0.2;
            sum += 0.2 * s_services;
        }
        if !categories.is_empty() || !other_factors.is_empty() {
            weight += 0.15;
            sum += 0.15 * s_factors;
        }
        let total = (sum / weight + if shared_signals.is_empty() { 0.0 } else { 0.25 }).min(1.0);
        if total < MIN_SCORE {
            continue;
        }
        terms.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let words = terms
            .iter()
            .take(6)
            .map(|(_, t)| surface.get(t).cloned().unwrap_or_else(|| t.clone()))
            .collect();
        out.push((
            doc,
            total,
            Reasons {
                words,
                services: shared_services,
                factors: shared_factors,
                signals: shared_signals,
            },
        ));
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    out.truncate(KEEP);
    Ok(out)
}

impl Store {
    /// The incidents that resemble `id` (as scored when either was last written), closest
    /// first, each with why and with its action items still open.
    pub async fn similar_incidents(&self, id: IncidentId) -> Result<Vec<SimilarIncident>> {
        let mut tx = self.begin_read().await?;
        // Both directions: those `id` was found to resemble, and those found to resemble it.
        // Each side at most a few rows: an incident that many others resemble (a hub) must
        // not cost a row for each of them.
        let rows = sqlx::query(
            "SELECT other, score, reasons FROM (
                 SELECT other_id AS other, score, reasons FROM similar_incidents
                 WHERE incident_id = $1 ORDER BY score DESC LIMIT $2) mine
             UNION ALL
             SELECT other, score, reasons FROM (
                 SELECT incident_id AS other, score, reasons FROM similar_incidents
                 WHERE other_id = $1 ORDER BY score DESC, incident_id DESC LIMIT $2) theirs",
        )
        .bind(id.0)
        .bind(KEEP as i64 * 2)
        .fetch_all(&mut *tx)
        .await?;
        let mut best: HashMap<i64, (f64, Reasons)> = HashMap::new();
        for r in rows {
            let other: i64 = r.try_get("other")?;
            let score: f64 = r.try_get("score")?;
            let reasons: String = r.try_get("reasons")?;
            let reasons: Reasons =
                serde_json::from_str(&reasons).map_err(|e| StoreError::Corrupt {
                    table: "similar_incidents",
                    message: e.to_string(),
                })?;
            if best.get(&other).is_none_or(|(s, _)| score > *s) {
                best.insert(other, (score, reasons));
            }
        }
        let mut ranked: Vec<(i64, (f64, Reasons))> = best.into_iter().collect();
        ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(b.0.cmp(&a.0)));
        ranked.truncate(KEEP);
        let mut out = Vec::new();
        for (other, (score, reasons)) in ranked {
            // Two small reads an incident (not the whole incident): pages show this.
            let Some(row) =
                sqlx::query("SELECT title, status, started_at FROM incidents WHERE id = $1")
                    .bind(other)
                    .fetch_optional(&mut *tx)
                    .await?
            else {
                continue;
            };
            let started: Option<String> = row.try_get("started_at")?;
            let (open_actions, actions_total) =
                crate::incidents::open_actions(&mut tx, other).await?;
            out.push(SimilarIncident {
                id: IncidentId(other),
                title: row.try_get("title")?,
                status: crate::incidents::parse_col(&row, "incidents", "status")?,
                started: crate::incidents::time_col(started),
                score,
                why: reasons.explain(),
                reasons,
                open_actions,
                actions_total,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Scores incident `id` again against every other (after others changed, say).
    pub async fn refresh_similar(&self, id: IncidentId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let i = crate::incidents::read_incident(&mut tx, id).await?;
        refresh(&mut tx, &i).await?;
        tx.commit().await?;
        Ok(())
    }
}
