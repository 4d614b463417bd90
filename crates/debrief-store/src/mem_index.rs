//! Search over the few records kept as documents (experiments, pre-mortems, near-miss
//! reports, retros): each kind is ranked in memory with the search's analyzer and BM25 over
//! its own statistics, apart from incidents.
//!
//! Reading and analysing every record on every search grows with the records (800 of them
//! cost about 90 ms a query), so each kind's records are kept with their analysed index,
//! under the kind's revision: a counter in `doc_revisions` (migration 16) raised in the
//! transaction of every write to that kind. A search reads the counter in its own snapshot;
//! while it stands still the kept records answer, and when any process wrote, they are read
//! and analysed again.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use debrief_search::{Analyzer, Field, Posting, Query, Snippet, Stats};
use sqlx::AnyConnection;

use crate::Result;

/// Raises the revision of kind `name`, inside the writer's transaction.
pub(crate) async fn bump(conn: &mut AnyConnection, name: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO doc_revisions (name, rev) VALUES ($1, 1)
         ON CONFLICT (name) DO UPDATE SET rev = doc_revisions.rev + 1",
    )
    .bind(name)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every kind's revision, as the caller's transaction sees it (a kind never written: 0).
pub(crate) async fn revisions(conn: &mut AnyConnection) -> Result<Revisions> {
    use sqlx::Row;
    let mut out = HashMap::new();
    for r in sqlx::query("SELECT name, rev FROM doc_revisions")
        .fetch_all(&mut *conn)
        .await?
    {
        out.insert(r.try_get("name")?, r.try_get("rev")?);
    }
    Ok(Revisions(out))
}

/// The revisions read at the start of a search.
pub(crate) struct Revisions(HashMap<String, i64>);

impl Revisions {
    fn of(&self, name: &str) -> i64 {
        self.0.get(name).copied().unwrap_or(0)
    }
}

/// One kind's records, analysed.
struct MemIndex {
    docs: Vec<Vec<(Field, String)>>,
    postings: HashMap<String, Vec<Posting>>,
    stats: Stats,
}

impl MemIndex {
    fn build(docs: Vec<Vec<(Field, String)>>) -> MemIndex {
        let analyzer = Analyzer::default();
        let mut postings: HashMap<String, Vec<Posting>> = HashMap::new();
        let mut lengths: HashMap<Field, (f64, f64)> = HashMap::new();
        for (doc, fields) in docs.iter().enumerate() {
            for (field, text) in fields {
                let indexed = analyzer.index(*field, text);
                let l = lengths.entry(*field).or_default();
                l.0 += f64::from(indexed.length);
                l.1 += 1.0;
                for (term, positions) in indexed.terms {
                    postings.entry(term).or_default().push(Posting {
                        doc: doc as i64,
                        field: *field,
                        field_len: indexed.length,
                        positions,
                    });
                }
            }
        }
        let stats = Stats {
            docs: docs.len() as u64,
            avg_len: lengths
                .into_iter()
                .map(|(f, (total, n))| (f, total / n.max(1.0)))
                .collect(),
            df: HashMap::new(),
        };
        MemIndex {
            docs,
            postings,
            stats,
        }
    }

    fn rank(&self, query: &Query, limit: usize) -> Vec<(usize, f64, Vec<Snippet>)> {
        let mut expansions: HashMap<String, Vec<String>> = HashMap::new();
        for p in query.prefixes() {
            let mut terms: Vec<String> = self
                .postings
                .keys()
                .filter(|t| t.starts_with(&p))
                .cloned()
                .collect();
            terms.sort();
            expansions.insert(p, terms);
        }
        let analyzer = Analyzer::default();
        debrief_search::rank(query, &self.postings, &expansions, &self.stats)
            .into_iter()
            .take(limit)
            .filter_map(|(doc, score)| {
                let doc = usize::try_from(doc).ok()?;
                let snippets = self
                    .docs
                    .get(doc)?
                    .iter()
                    .filter(|(f, _)| *f != Field::Title)
                    .filter_map(|(f, text)| analyzer.snippet(*f, text, query, 30))
                    .take(2)
                    .collect();
                Some((doc, score, snippets))
            })
            .collect()
    }
}

/// One kind's records with their analysed text.
pub(crate) struct Kept<T> {
    pub records: Vec<T>,
    index: MemIndex,
}

impl<T> Kept<T> {
    /// Ranks the records for `query`: the best `limit` as (index in `records`, score, up to
    /// two snippets outside the title).
    pub(crate) fn rank(&self, query: &Query, limit: usize) -> Vec<(usize, f64, Vec<Snippet>)> {
        if self.records.is_empty() {
            return Vec::new();
        }
        self.index.rank(query, limit)
    }
}

/// A kind's records as last read (a `Kept<T>`), with the revision they were read at.
type Slot = (i64, Arc<dyn Any + Send + Sync>);

/// Each kind's records as last read.
#[derive(Default)]
pub(crate) struct MemIndexes {
    slots: Mutex<HashMap<&'static str, Slot>>,
}

impl MemIndexes {
    /// Kind `name`'s records with their analysed text: kept ones while its revision (read in
    /// the same transaction as `conn`) stands still, else read with `load` and analysed with
    /// `fields`.
    pub(crate) async fn records<T, L, F>(
        &self,
        conn: &mut AnyConnection,
        revisions: &Revisions,
        name: &'static str,
        load: L,
        fields: F,
    ) -> Result<Arc<Kept<T>>>
    where
        T: Send + Sync + 'static,
        L: AsyncFnOnce(&mut AnyConnection) -> Result<Vec<T>>,
        F: Fn(&T) -> Vec<(Field, String)>,
    {
        let rev = revisions.of(name);
        let kept = self.slots.lock().ok().and_then(|s| {
            s.get(name)
                .filter(|(r, _)| *r == rev)
                .and_then(|(_, k)| k.clone().downcast::<Kept<T>>().ok())
        });
        if let Some(k) = kept {
            return Ok(k);
        }
        let records = load(conn).await?;
        let index = MemIndex::build(records.iter().map(fields).collect());
        let kept = Arc::new(Kept { records, index });
        if let Ok(mut slots) = self.slots.lock() {
            slots.insert(name, (rev, kept.clone()));
        }
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_ranks_by_bm25_with_snippets_outside_the_title() {
        let docs = vec![
            vec![(Field::Title, "Disk full".to_string())],
            vec![
                (Field::Title, "Retries hide the failover".to_string()),
                (
                    Field::Summary,
                    "Clients retried for an hour; nobody saw it.".to_string(),
                ),
            ],
            vec![(Field::Title, "retries".to_string())],
        ];
        let index = MemIndex::build(docs);
        let query = Analyzer::default().parse("retry").unwrap();
        let ranked = index.rank(&query, 10);
        let order: Vec<usize> = ranked.iter().map(|(d, _, _)| *d).collect();
        assert_eq!(order.len(), 2, "{ranked:?}");
        assert!(order.contains(&1) && order.contains(&2), "{ranked:?}");
        let with_summary = ranked.iter().find(|(d, _, _)| *d == 1).unwrap();
        assert_eq!(
            with_summary.2.len(),
            1,
            "the summary's snippet, not the title's"
        );
        let prefix = Analyzer::default().parse("fail*").unwrap();
        assert_eq!(index.rank(&prefix, 10)[0].0, 1);
        assert!(
            index
                .rank(&Analyzer::default().parse("dns").unwrap(), 10)
                .is_empty()
        );
    }
}
