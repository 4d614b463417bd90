//! Full-text search over incidents, the same on every store: text analysis, queries, ranking
//! and snippets, with no I/O. The store keeps the inverted index in ordinary tables (a term's
//! postings: which incident, which field, where), so SQLite and PostgreSQL return the same
//! results in the same order; this crate decides what goes in and how hits are ranked.
//!
//! - **Analysis**: words are runs of letters and digits, lowercased, English stopwords left
//!   out (positions still count them, so phrases keep their shape), each reduced to its
//!   Snowball English stem: "timeouts" and "timeout" are one term, as are "failed" and
//!   "failing".
//! - **Queries**: words (any may match; more matches rank higher), `"quoted phrases"` (the
//!   words in that order), `prefix*`, and `-word` to leave out incidents that have it.
//! - **Ranking**: BM25 (k1 = 1.2, b = 0.75; Robertson and Zaragoza, "The Probabilistic
//!   Relevance Framework: BM25 and Beyond", 2009) per field, weighted by field: a word in a
//!   title counts more than one in a timeline.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

/// Changes whenever analysis changes what is indexed; a store whose index was built by
/// another version rebuilds it.
pub const ANALYZER_VERSION: i64 = 1;

/// Longest word indexed, in bytes (longer runs are hashes, base64 and the like).
const MAX_WORD: usize = 40;

/// The parts of an incident that are searched, each with its weight in the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Summary,
    Impact,
    Timeline,
    Factors,
    Lessons,
    Actions,
    Notes,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::Title,
        Field::Summary,
        Field::Impact,
        Field::Timeline,
        Field::Factors,
        Field::Lessons,
        Field::Actions,
        Field::Notes,
    ];

    /// How much a match here counts, against a match in the summary.
    pub fn weight(self) -> f64 {
        match self {
            Field::Title => 3.0,
            Field::Factors | Field::Lessons => 1.5,
            Field::Summary | Field::Impact | Field::Actions => 1.0,
            Field::Timeline | Field::Notes => 0.7,
        }
    }

    /// The number the store keeps.
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<Field> {
        Field::ALL.get(usize::try_from(code).ok()?).copied()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Impact => "impact",
            Field::Timeline => "timeline",
            Field::Factors => "factors",
            Field::Lessons => "lessons",
            Field::Actions => "actions",
            Field::Notes => "notes",
        }
    }
}

/// Words too common to tell incidents apart. Short on purpose: "not", "no", "down", "out",
/// "off" and "over" stay, since they carry meaning in incident text ("timed out").
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had", "has",
    "have", "he", "her", "his", "i", "in", "into", "is", "it", "its", "of", "on", "or", "our",
    "she", "so", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "to", "was", "we", "were", "which", "who", "will", "with", "you", "your",
];

fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

/// One word of a text, as indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The stem.
    pub term: String,
    /// The word's place among the text's words (stopwords count).
    pub position: u32,
    /// Where the word is in the text (bytes).
    pub start: usize,
    pub end: usize,
    /// The word lowercased, before stemming (for prefixes).
    pub word: String,
}

/// The analyzer: one Snowball English stemmer, reused.
pub struct Analyzer {
    stemmer: rust_stemmers::Stemmer,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            stemmer: rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English),
        }
    }
}

impl Analyzer {
    /// The words of `text`, stemmed, without stopwords.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        self.tokens_where(text, |_| true)
    }

    /// As [`Analyzer::tokens`], but only words for which `stem` holds are stemmed (the rest
    /// keep an empty `term`): stemming is most of the cost, and a snippet needs only the words
    /// that may be the query's.
    fn tokens_where(&self, text: &str, stem: impl Fn(&str) -> bool) -> Vec<Token> {
        let mut out = Vec::new();
        let mut position = 0u32;
        let mut start = None;
        let mut push = |from: usize, to: usize, out: &mut Vec<Token>| {
            let raw = &text[from..to];
            let word = raw.to_lowercase();
            let this = position;
            position += 1;
            if word.len() > MAX_WORD || is_stopword(&word) {
                return;
            }
            let term = if stem(&word) {
                self.stemmer.stem(&word).into_owned()
            } else {
                String::new()
            };
            out.push(Token {
                term,
                position: this,
                start: from,
                end: to,
                word,
            });
        };
        for (i, c) in text.char_indices() {
            if c.is_alphanumeric() {
                start.get_or_insert(i);
            } else if let Some(s) = start.take() {
                push(s, i, &mut out);
            }
        }
        if let Some(s) = start {
            push(s, text.len(), &mut out);
        }
        out
    }

    /// A field's text as the index keeps it: its length in words, and each term's positions.
    pub fn index(&self, field: Field, text: &str) -> IndexedField {
        let tokens = self.tokens(text);
        let mut terms: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for t in &tokens {
            terms.entry(t.term.clone()).or_default().push(t.position);
        }
        IndexedField {
            field,
            length: u32::try_from(tokens.len()).unwrap_or(u32::MAX),
            terms,
        }
    }
}

/// One field of one incident, analyzed.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedField {
    pub field: Field,
    /// Words counted for ranking (stopwords left out).
    pub length: u32,
    pub terms: BTreeMap<String, Vec<u32>>,
}

/// Positions as the store keeps them: `3,17,40`.
pub fn encode_positions(positions: &[u32]) -> String {
    let mut s = String::with_capacity(positions.len() * 4);
    for (i, p) in positions.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&p.to_string());
    }
    s
}

pub fn decode_positions(text: &str) -> Vec<u32> {
    text.split(',').filter_map(|p| p.parse().ok()).collect()
}

/// A part of a query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Clause {
    /// A word, as its stem.
    Term(String),
    /// Words that start with this (lowercased, unstemmed).
    Prefix(String),
    /// Stems that must follow each other, with their offsets from the first.
    Phrase(Vec<(String, u32)>),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    /// Any may match; the more, the higher.
    pub clauses: Vec<Clause>,
    /// Incidents with any of these are left out.
    pub excluded: Vec<Clause>,
}

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

/// Shortest prefix a `word*` may have (shorter ones match most of the index).
pub const MIN_PREFIX: usize = 3;

impl Analyzer {
    /// Reads a query: words, `"phrases"`, `prefix*`, `-excluded`.
    pub fn parse(&self, text: &str) -> Result<Query, QueryError> {
        let mut query = Query::default();
        let mut rest = text.trim();
        while !rest.is_empty() {
            let (negated, body) = match rest.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, rest),
            };
            let (clauses, after) = if let Some(inner) = body.strip_prefix('"') {
                let (phrase, after) = inner.split_once('"').unwrap_or((inner, ""));
                let tokens = self.tokens(phrase);
                let clause = match tokens.as_slice() {
                    [] => None,
                    [one] => Some(Clause::Term(one.term.clone())),
                    many => {
                        let first = many[0].position;
                        Some(Clause::Phrase(
                            many.iter()
                                .map(|t| (t.term.clone(), t.position - first))
                                .collect(),
                        ))
                    }
                };
                (clause.into_iter().collect::<Vec<_>>(), after)
            } else {
                let end = body.find(char::is_whitespace).unwrap_or(body.len());
                let (word, after) = body.split_at(end);
                let clauses = if let Some(stem) = word.strip_suffix('*') {
                    let prefix = stem.to_lowercase();
                    let prefix: String = prefix.chars().filter(|c| c.is_alphanumeric()).collect();
                    if prefix.chars().count() < MIN_PREFIX {
                        return Err(QueryError(format!(
                            "{word:?}: a prefix needs at least {MIN_PREFIX} letters"
                        )));
                    }
                    vec![Clause::Prefix(prefix)]
                } else {
                    // "root-cause" or "db.pool": every word of it.
                    self.tokens(word)
                        .into_iter()
                        .map(|t| Clause::Term(t.term))
                        .collect()
                };
                (clauses, after)
            };
            if negated {
                query.excluded.extend(clauses);
            } else {
                query.clauses.extend(clauses);
            }
            rest = after.trim_start();
        }
        let mut seen = HashSet::new();
        query.clauses.retain(|c| seen.insert(c.clone()));
        if query.clauses.is_empty() {
            return Err(QueryError(if text.trim().is_empty() {
                "the query is empty".to_string()
            } else {
                format!("{text:?} has no word to search for (only common words like \"the\")")
            }));
        }
        Ok(query)
    }
}

impl Query {
    /// Every stem a posting list is needed for (phrase words included).
    pub fn terms(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.clauses.iter().chain(&self.excluded) {
            match c {
                Clause::Term(t) => out.push(t.clone()),
                Clause::Phrase(words) => out.extend(words.iter().map(|(w, _)| w.clone())),
                Clause::Prefix(_) => {}
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The prefixes whose terms the store must expand.
    pub fn prefixes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .clauses
            .iter()
            .chain(&self.excluded)
            .filter_map(|c| match c {
                Clause::Prefix(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// One incident's use of one term in one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Posting {
    pub doc: i64,
    pub field: Field,
    /// The field's length in words.
    pub field_len: u32,
    pub positions: Vec<u32>,
}

/// What BM25 needs of the whole index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Incidents indexed.
    pub docs: u64,
    /// Average length of each field, in words, over the incidents that have it.
    pub avg_len: HashMap<Field, f64>,
    /// How many incidents have each term, when the postings given to [`rank`] are not all of
    /// them (a store ranking only its best candidates); otherwise counted from the postings.
    pub df: HashMap<String, usize>,
}

/// BM25's term-frequency saturation.
pub const K1: f64 = 1.2;
/// BM25's length normalization.
pub const B: f64 = 0.75;

/// BM25's inverse document frequency of a term `df` of `docs` incidents have.
pub fn idf(docs: u64, df: usize) -> f64 {
    let (n, df) = (docs.max(df as u64) as f64, df as f64);
    ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
}

/// Ranks incidents for `query`, best first. `postings` holds each term of
/// [`Query::terms`] and every term a prefix expanded to; `expansions` maps each prefix to its
/// terms.
pub fn rank(
    query: &Query,
    postings: &HashMap<String, Vec<Posting>>,
    expansions: &HashMap<String, Vec<String>>,
    stats: &Stats,
) -> Vec<(i64, f64)> {
    let empty = Vec::new();
    let list = |t: &str| postings.get(t).unwrap_or(&empty);
    let mut scores: HashMap<i64, f64> = HashMap::new();
    // One "term" of BM25: its (doc, field, tf, length) rows.
    let mut add = |rows: &[(i64, Field, u32, u32)], term: Option<&str>| {
        let df = term
            .and_then(|t| stats.df.get(t).copied())
            .unwrap_or_else(|| rows.iter().map(|r| r.0).collect::<HashSet<_>>().len());
        if df == 0 {
            return;
        }
        let idf = idf(stats.docs, df);
        for &(doc, field, tf, len) in rows {
            let avg = stats.avg_len.get(&field).copied().unwrap_or(1.0).max(1.0);
            let tf = f64::from(tf);
            let norm = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * f64::from(len) / avg));
            *scores.entry(doc).or_default() += field.weight() * idf * norm;
        }
    };
    let rows_of = |ps: &[Posting]| -> Vec<(i64, Field, u32, u32)> {
        ps.iter()
            .map(|p| {
                (
                    p.doc,
                    p.field,
                    u32::try_from(p.positions.len()).unwrap_or(u32::MAX),
                    p.field_len,
                )
            })
            .collect()
    };
    for clause in &query.clauses {
        match clause {
            Clause::Term(t) => add(&rows_of(list(t)), Some(t)),
            Clause::Prefix(p) => {
                for t in expansions.get(p).unwrap_or(&Vec::new()) {
                    add(&rows_of(list(t)), Some(t));
                }
            }
            Clause::Phrase(words) => add(&phrase_rows(words, &list), None),
        }
    }
    let excluded: HashSet<i64> = query
        .excluded
        .iter()
        .flat_map(|c| match c {
            Clause::Term(t) => list(t).iter().map(|p| p.doc).collect::<Vec<_>>(),
            Clause::Prefix(p) => expansions
                .get(p)
                .into_iter()
                .flatten()
                .flat_map(|t| list(t).iter().map(|p| p.doc))
                .collect(),
            Clause::Phrase(words) => phrase_rows(words, &list).iter().map(|r| r.0).collect(),
        })
        .collect();
    let mut ranked: Vec<(i64, f64)> = scores
        .into_iter()
        .filter(|(doc, _)| !excluded.contains(doc))
        .collect();
    // Best first; ties by number, newest first, so every store orders alike.
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    ranked
}

/// Where a phrase occurs: (doc, field, occurrences, field length).
fn phrase_rows<'a>(
    words: &[(String, u32)],
    list: &dyn Fn(&str) -> &'a Vec<Posting>,
) -> Vec<(i64, Field, u32, u32)> {
    let Some(((first, _), rest)) = words.split_first() else {
        return Vec::new();
    };
    // Each later word: its postings by (incident, field), and its offset from the first.
    type ByDoc<'p> = HashMap<(i64, Field), &'p Posting>;
    let others: Vec<(ByDoc<'a>, u32)> = rest
        .iter()
        .map(|(w, offset)| {
            (
                list(w).iter().map(|p| ((p.doc, p.field), p)).collect(),
                *offset,
            )
        })
        .collect();
    let mut out = Vec::new();
    for p in list(first) {
        let count = p
            .positions
            .iter()
            .filter(|&&start| {
                others.iter().all(|(by_doc, offset)| {
                    by_doc
                        .get(&(p.doc, p.field))
                        .is_some_and(|q| q.positions.binary_search(&(start + offset)).is_ok())
                })
            })
            .count();
        if count > 0 {
            out.push((
                p.doc,
                p.field,
                u32::try_from(count).unwrap_or(u32::MAX),
                p.field_len,
            ));
        }
    }
    out
}

/// A piece of a field around the query's words, with where they are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    pub field: Field,
    pub text: String,
    /// Byte ranges of `text` to highlight.
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// The snippet with its highlights wrapped in `open` and `close`, each piece of text
    /// passed through `escape` (HTML escaping, say).
    pub fn marked(&self, open: &str, close: &str, escape: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        let mut at = 0;
        for &(s, e) in &self.highlights {
            out.push_str(&escape(&self.text[at..s]));
            out.push_str(open);
            out.push_str(&escape(&self.text[s..e]));
            out.push_str(close);
            at = e;
        }
        out.push_str(&escape(&self.text[at..]));
        out
    }
}

impl Analyzer {
    /// The best window of about `words` words of `text` for `query` (the one with the most
    /// distinct query words), or `None` if no query word is in it.
    pub fn snippet(
        &self,
        field: Field,
        text: &str,
        query: &Query,
        words: usize,
    ) -> Option<Snippet> {
        let wanted: HashSet<&str> = query
            .clauses
            .iter()
            .flat_map(|c| match c {
                Clause::Term(t) => vec![t.as_str()],
                Clause::Phrase(ws) => ws.iter().map(|(w, _)| w.as_str()).collect(),
                Clause::Prefix(_) => Vec::new(),
            })
            .collect();
        let prefixes: Vec<&str> = query
            .clauses
            .iter()
            .filter_map(|c| match c {
                Clause::Prefix(p) => Some(p.as_str()),
                _ => None,
            })
            .collect();
        // A word's stem begins with the word's first two letters, so only such words can be
        // the query's.
        let starts: HashSet<String> = wanted.iter().map(|t| t.chars().take(2).collect()).collect();
        let tokens = self.tokens_where(text, |w| {
            starts.contains(&w.chars().take(2).collect::<String>())
        });
        let hit = |t: &Token| {
            (!t.term.is_empty() && wanted.contains(t.term.as_str()))
                || prefixes.iter().any(|p| t.word.starts_with(p))
        };
        let hits: Vec<usize> = (0..tokens.len()).filter(|&i| hit(&tokens[i])).collect();
        if hits.is_empty() {
            return None;
        }
        // The window (by word position) that holds the most distinct matching terms.
        let span = u32::try_from(words.max(1)).unwrap_or(u32::MAX);
        let mut best = (0usize, hits[0]);
        for &h in &hits {
            let from = tokens[h].position;
            let distinct: HashSet<&str> = hits
                .iter()
                .filter(|&&j| tokens[j].position >= from && tokens[j].position < from + span)
                .map(|&j| tokens[j].term.as_str())
                .collect();
            if distinct.len() > best.0 {
                best = (distinct.len(), h);
            }
        }
        // Start a few words before the first hit, on a word boundary.
        let first = best.1;
        let lead = first.saturating_sub(4);
        let last = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| t.position < tokens[lead].position + span)
            .map(|(i, _)| i)
            .next_back()
            .unwrap_or(first);
        let (start, end) = (tokens[lead].start, tokens[last].end);
        let mut s = String::new();
        let mut shift = 0usize;
        if start > 0 {
            s.push('…');
            shift = '…'.len_utf8();
        }
        s.push_str(&text[start..end]);
        if end < text.len() {
            s.push('…');
        }
        let highlights = (lead..=last)
            .filter(|&i| hit(&tokens[i]))
            .map(|i| {
                (
                    tokens[i].start - start + shift,
                    tokens[i].end - start + shift,
                )
            })
            .collect();
        Some(Snippet {
            field,
            text: s.replace(['\n', '\r', '\t'], " "),
            highlights,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postings(docs: &[(i64, Field, &str)]) -> (HashMap<String, Vec<Posting>>, Stats) {
        let a = Analyzer::default();
        let mut map: HashMap<String, Vec<Posting>> = HashMap::new();
        let mut lens: HashMap<Field, (f64, f64)> = HashMap::new();
        let mut ids = HashSet::new();
        for (doc, field, text) in docs {
            ids.insert(*doc);
            let f = a.index(*field, text);
            let e = lens.entry(*field).or_default();
            e.0 += f64::from(f.length);
            e.1 += 1.0;
            for (term, positions) in f.terms {
                map.entry(term).or_default().push(Posting {
                    doc: *doc,
                    field: *field,
                    field_len: f.length,
                    positions,
                });
            }
        }
        let stats = Stats {
            docs: ids.len() as u64,
            avg_len: lens.into_iter().map(|(f, (s, n))| (f, s / n)).collect(),
            ..Stats::default()
        };
        (map, stats)
    }

    fn search(docs: &[(i64, Field, &str)], q: &str) -> Vec<i64> {
        let a = Analyzer::default();
        let (map, stats) = postings(docs);
        let query = a.parse(q).unwrap();
        let expansions: HashMap<String, Vec<String>> = query
            .prefixes()
            .into_iter()
            .map(|p| {
                let terms = map.keys().filter(|t| t.starts_with(&p)).cloned().collect();
                (p, terms)
            })
            .collect();
        rank(&query, &map, &expansions, &stats)
            .into_iter()
            .map(|(d, _)| d)
            .collect()
    }

    #[test]
    fn the_stopword_list_is_sorted_for_binary_search() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn stems_join_word_forms() {
        let a = Analyzer::default();
        let terms = |t: &str| a.tokens(t).into_iter().map(|t| t.term).collect::<Vec<_>>();
        assert_eq!(terms("timeouts"), terms("timeout"));
        assert_eq!(terms("Failing"), terms("failed"));
        assert_eq!(terms("the connection pool"), vec!["connect", "pool"]);
        // Positions count the stopwords, so phrases keep their shape.
        let t = a.tokens("pool of the database");
        assert_eq!((t[0].position, t[1].position), (0, 3));
        assert!(a.tokens(&"x".repeat(80)).is_empty());
    }

    #[test]
    fn words_phrases_prefixes_and_exclusions() {
        let docs = [
            (1, Field::Title, "Checkout timeouts after a config push"),
            (2, Field::Title, "Database connection pool exhausted"),
            (
                3,
                Field::Summary,
                "The pool of database connections ran dry; requests timed out",
            ),
            (4, Field::Title, "DNS resolution failed for internal hosts"),
        ];
        assert_eq!(search(&docs, "timeout"), vec![1]);
        assert_eq!(search(&docs, "connection pool")[..2], [2, 3]);
        // A phrase needs its words in order; "pool … connections" is not "connection pool".
        assert_eq!(search(&docs, "\"connection pool\""), vec![2]);
        assert_eq!(search(&docs, "pool -dry"), vec![2]);
        assert_eq!(search(&docs, "data*"), vec![2, 3]);
        let mut both = search(&docs, "time*");
        both.sort();
        assert_eq!(both, vec![1, 3]);
        assert!(search(&docs, "kubernetes").is_empty());
        // A title match outranks the same word in a summary.
        assert_eq!(search(&docs, "database")[0], 2);
    }

    #[test]
    fn bad_queries_say_why() {
        let a = Analyzer::default();
        assert!(a.parse("").unwrap_err().0.contains("empty"));
        assert!(a.parse("the of").unwrap_err().0.contains("no word"));
        assert!(a.parse("ti*").unwrap_err().0.contains("at least 3"));
        assert!(a.parse("\"unclosed phrase").is_ok());
        assert!(a.parse("-only").is_err());
    }

    #[test]
    fn snippets_mark_the_words_found() {
        let a = Analyzer::default();
        let text = "First line.\nLater that day the database connection pool was exhausted \
                    and checkout requests timed out for twenty minutes while engineers restarted it.";
        let q = a.parse("connection pool timeouts").unwrap();
        let s = a.snippet(Field::Summary, text, &q, 12).unwrap();
        let marked = s.marked("[", "]", str::to_string);
        assert!(marked.contains("[connection] [pool]"), "{marked}");
        assert!(!marked.contains('\n'));
        assert!(marked.starts_with('…'), "{marked}");
        assert!(a.snippet(Field::Summary, "nothing here", &q, 12).is_none());
    }

    proptest::proptest! {
        #[test]
        fn any_text_analyzes_and_snippets_stay_in_bounds(text in "\\PC{0,200}", q in "[a-z]{3,8}( [a-z]{3,8}){0,2}") {
            let a = Analyzer::default();
            for t in a.tokens(&text) {
                proptest::prop_assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
            }
            if let Ok(query) = a.parse(&q) {
                if let Some(s) = a.snippet(Field::Notes, &text, &query, 10) {
                    for (from, to) in &s.highlights {
                        proptest::prop_assert!(s.text.get(*from..*to).is_some());
                    }
                    let _ = s.marked("<", ">", str::to_string);
                }
            }
            let _ = a.parse(&text);
        }
    }
}
