//! `debrief site build DIR`: the published reviews, the problems they belong to and their
//! lessons as a static website, to share lessons beyond the team. Only published reviews go
//! out (publishing is the gate that checks a review for blame); every link is relative, so
//! the directory can be served from any path or opened from disk.
//!
//! Search runs in the browser over an index written here with the same analyzer as
//! `debrief search` (`debrief-search`): `search-index.js` holds, for each stem, the reviews
//! that contain it with a field-weighted count, and the words of the reviews that stem
//! differently from how they read. `search.js` ranks with BM25 over those counts.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use debrief_core::{Incident, ReviewState};
use debrief_search::{Analyzer, Field};
use debrief_store::{IncidentFilter, Store};
use serde::Serialize;

use crate::web::{STYLE, esc, incident_html};

/// What a build wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SiteReport {
    pub reviews: usize,
    pub problems: usize,
    pub lessons: usize,
    pub files: usize,
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(
        "{0} is not empty and was not written by `debrief site build`; choose an empty or new directory"
    )]
    NotOurs(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] debrief_store::StoreError),
}

/// The file that marks a directory as a site this command wrote, listing its files.
const MARKER: &str = "debrief-site.json";

#[derive(Serialize, serde::Deserialize, Default)]
struct Marker {
    generator: String,
    files: Vec<String>,
}

const SEARCH_JS: &str = include_str!("site/search.js");

/// The site's extra style, on top of the web UI's.
const SITE_STYLE: &str = "header form{margin-left:auto}ul.reviews{list-style:none;padding:0}\
ul.reviews li{margin:.9rem 0}ul.reviews p{margin:.15rem 0}footer{margin-top:2rem;border-top:1px solid #ddd;padding-top:.5rem}";

struct Writer {
    root: PathBuf,
    written: Vec<String>,
}

impl Writer {
    fn write(&mut self, rel: &str, content: &str) -> Result<(), SiteError> {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| SiteError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, content).map_err(|source| SiteError::Io { path, source })?;
        self.written.push(rel.to_string());
        Ok(())
    }
}

/// One page: `up` is the way back to the site's root from the page ("" or "../").
fn page(title: &str, up: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'\">\
         <meta name=\"generator\" content=\"debrief\">\
         <title>{} · lessons learned</title><link rel=\"stylesheet\" href=\"{up}style.css\"></head><body>\
         <header><strong><a href=\"{up}index.html\">Lessons learned</a></strong>\
         <nav><a href=\"{up}index.html\">Reviews</a> · <a href=\"{up}problems.html\">Problems</a> · \
         <a href=\"{up}lessons.html\">Lessons</a></nav>\
         <form method=\"get\" action=\"{up}search.html\" role=\"search\" class=\"inline\">\
         <input type=\"search\" name=\"q\" placeholder=\"Search\" aria-label=\"Search\" size=\"14\"></form></header>\
         <main>{body}</main><footer class=\"muted\">Blameless reviews published with debrief.</footer></body></html>\n",
        esc(title)
    )
}

fn day(t: Option<jiff::Timestamp>) -> String {
    t.map(|t| debrief_core::time::utc_date(t).to_string())
        .unwrap_or_default()
}

/// The searchable text of a review, by field (as the store's index reads it).
fn fields(i: &Incident) -> Vec<(Field, String)> {
    let mut factors = String::new();
    for f in &i.factors {
        let _ = writeln!(
            factors,
            "{}\n{}\n{}",
            f.title,
            f.description,
            f.whys.join("\n")
        );
    }
    vec![
        (Field::Title, i.title.clone()),
        (Field::Summary, i.summary.clone()),
        (Field::Impact, i.impact.clone()),
        (
            Field::Timeline,
            i.timeline
                .iter()
                .map(|e| e.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (Field::Factors, factors),
        (
            Field::Lessons,
            i.lessons
                .iter()
                .map(|l| l.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (
            Field::Actions,
            i.actions
                .iter()
                .map(|a| a.title.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (Field::Notes, i.notes.clone()),
    ]
}

#[derive(Serialize)]
struct IndexDoc {
    id: String,
    title: String,
    url: String,
    date: String,
    severity: String,
    services: Vec<String>,
    summary: String,
    /// Field-weighted length in words.
    len: f64,
}

#[derive(Serialize)]
struct SearchIndex {
    docs: Vec<IndexDoc>,
    /// Stem → [[doc, field-weighted count], …].
    postings: BTreeMap<String, Vec<(usize, f64)>>,
    /// Lowercased word → its stem, for words whose stem differs.
    words: BTreeMap<String, String>,
    k1: f64,
    b: f64,
}

fn search_index(reviews: &[Incident]) -> SearchIndex {
    let analyzer = Analyzer::default();
    let mut docs = Vec::with_capacity(reviews.len());
    let mut postings: BTreeMap<String, Vec<(usize, f64)>> = BTreeMap::new();
    let mut words = BTreeMap::new();
    for (n, i) in reviews.iter().enumerate() {
        let id = i.id.map(|id| id.to_string()).unwrap_or_default();
        let mut counts: BTreeMap<String, f64> = BTreeMap::new();
        let mut len = 0.0;
        for (field, text) in fields(i) {
            for t in analyzer.tokens(&text) {
                *counts.entry(t.term.clone()).or_default() += field.weight();
                len += field.weight();
                if t.word != t.term {
                    words.insert(t.word, t.term);
                }
            }
        }
        for (term, count) in counts {
            postings.entry(term).or_default().push((n, count));
        }
        docs.push(IndexDoc {
            url: format!("reviews/{id}.html"),
            id,
            title: i.title.clone(),
            date: day(i.started),
            severity: i.severity.to_string(),
            services: i.services.clone(),
            summary: debrief_core::text::one_line(&i.summary, 240),
            len,
        });
    }
    SearchIndex {
        docs,
        postings,
        words,
        k1: debrief_search::K1,
        b: debrief_search::B,
    }
}

/// Builds the site into `dir`: a new or empty directory, or one an earlier build wrote (its
/// files are replaced, and pages of reviews no longer published are removed).
pub async fn build(store: &Store, dir: &Path) -> Result<SiteReport, SiteError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SiteError::Io { path, source }
    };
    let marker_path = dir.join(MARKER);
    let previous: Option<Marker> = match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_none() {
                None
            } else {
                let text = std::fs::read_to_string(&marker_path)
                    .map_err(|_| SiteError::NotOurs(dir.to_path_buf()))?;
                Some(
                    serde_json::from_str(&text)
                        .map_err(|_| SiteError::NotOurs(dir.to_path_buf()))?,
                )
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
            None
        }
        Err(e) => return Err(io(dir)(e)),
    };

    // The published reviews, newest first.
    let mut reviews = Vec::new();
    for s in store.list_incidents(&IncidentFilter::default()).await? {
        if s.review == ReviewState::Published {
            reviews.push(store.get_incident(s.id).await?);
        }
    }
    let published: BTreeSet<String> = reviews
        .iter()
        .filter_map(|i| i.id.map(|id| id.to_string()))
        .collect();

    // Problems, with only their published incidents; a problem needs two to show.
    let mut problems = Vec::new();
    let mut problem_of: BTreeMap<String, (String, String)> = BTreeMap::new();
    for mut p in store.problems().await? {
        p.incidents
            .retain(|i| published.contains(&i.id.to_string()));
        if p.incidents.len() >= 2 {
            for i in &p.incidents {
                problem_of.insert(i.id.to_string(), (p.id.to_string(), p.title.clone()));
            }
            problems.push(p);
        }
    }

    let mut w = Writer {
        root: dir.to_path_buf(),
        written: Vec::new(),
    };
    w.write("style.css", &format!("{STYLE}{SITE_STYLE}"))?;
    w.write("search.js", SEARCH_JS)?;
    let index = search_index(&reviews);
    let json = serde_json::to_string(&index).expect("the index serializes");
    // A script, not JSON to fetch: browsers refuse fetch() on pages opened from disk.
    w.write(
        "search-index.js",
        &format!("window.DEBRIEF_SEARCH = {};\n", json.replace("</", "<\\/")),
    )?;

    // Each review.
    let mut lessons = 0;
    for i in &reviews {
        let id = i.id.map(|id| id.to_string()).unwrap_or_default();
        let mut bar = format!(
            "<p class=\"muted\">Started {} · published {}</p>",
            day(i.started),
            day(i.published)
        );
        if let Some((pid, title)) = problem_of.get(&id) {
            let _ = write!(
                bar,
                "<p class=\"card recurrence\">Part of a recurring problem: \
                 <a href=\"../problems.html#{pid}\">{pid} {}</a></p>",
                esc(title)
            );
        }
        lessons += i.lessons.len();
        w.write(
            &format!("reviews/{id}.html"),
            &page(&format!("{id} {}", i.title), "../", &incident_html(i, &bar)),
        )?;
    }

    // The list of reviews.
    let mut b = format!(
        "<h1>Lessons learned</h1><p class=\"muted\">{} published reviews, newest first.</p>\
         <ul class=\"reviews\">",
        reviews.len()
    );
    for i in &reviews {
        let id = i.id.map(|id| id.to_string()).unwrap_or_default();
        let _ = write!(
            b,
            "<li><a href=\"reviews/{id}.html\"><strong>{id}</strong> {}</a>\
             <p class=\"muted\">{} · {} · {}</p><p>{}</p></li>",
            esc(&i.title),
            day(i.started),
            i.severity,
            esc(&i.services.join(", ")),
            esc(&debrief_core::text::one_line(&i.summary, 240))
        );
    }
    b.push_str("</ul>");
    if reviews.is_empty() {
        b.push_str("<p>No review is published yet.</p>");
    }
    w.write("index.html", &page("Reviews", "", &b))?;

    // Problems.
    let mut b = String::from(
        "<h1>Problems</h1><p class=\"muted\">Incidents that recur as one problem, with what \
         their reviews share.</p>",
    );
    if problems.is_empty() {
        b.push_str("<p>No recurring problem among the published reviews.</p>");
    }
    for p in &problems {
        let _ = write!(
            b,
            "<div class=\"card\" id=\"{pid}\"><h2>{pid} {}</h2><ul>",
            esc(&p.title),
            pid = p.id
        );
        for i in &p.incidents {
            let _ = write!(
                b,
                "<li><a href=\"reviews/{id}.html\">{id}</a> {} <span class=\"muted\">{}</span></li>",
                esc(&i.title),
                day(i.started),
                id = i.id
            );
        }
        b.push_str("</ul>");
        if !p.shared_factors.is_empty() {
            let shared: Vec<String> = p
                .shared_factors
                .iter()
                .map(|(c, n)| format!("{c} ({n})"))
                .collect();
            let _ = write!(
                b,
                "<p>Shared contributing factors: {}</p>",
                esc(&shared.join(", "))
            );
        }
        b.push_str("</div>");
    }
    w.write("problems.html", &page("Problems", "", &b))?;

    // Lessons, by kind.
    let mut b = String::from("<h1>Lessons</h1>");
    for &kind in debrief_core::LessonKind::ALL {
        let _ = write!(b, "<h2>{}</h2><ul>", esc(kind.label()));
        let mut any = false;
        for i in &reviews {
            let id = i.id.map(|id| id.to_string()).unwrap_or_default();
            for l in i.lessons.iter().filter(|l| l.kind == kind) {
                any = true;
                let _ = write!(
                    b,
                    "<li>{} <span class=\"muted\">(<a href=\"reviews/{id}.html\">{id}</a>)</span></li>",
                    esc(&l.text)
                );
            }
        }
        if !any {
            b.push_str("<li class=\"muted\">None yet.</li>");
        }
        b.push_str("</ul>");
    }
    w.write("lessons.html", &page("Lessons", "", &b))?;

    w.write(
        "search.html",
        &page(
            "Search",
            "",
            "<h1>Search</h1><form method=\"get\" action=\"search.html\" role=\"search\">\
             <input type=\"search\" name=\"q\" id=\"q\" size=\"40\" aria-label=\"Search the reviews\"> \
             <button>Search</button></form>\
             <p class=\"muted\" id=\"status\">Search needs JavaScript; without it, browse the \
             <a href=\"index.html\">reviews</a> and <a href=\"lessons.html\">lessons</a>.</p>\
             <ol class=\"hits\" id=\"hits\"></ol>\
             <p class=\"muted\">Words match their other forms (\"timeouts\" finds \"timeout\"); \
             <code>prefix*</code> matches the start of words; <code>-word</code> leaves out reviews \
             with it; \"a phrase\" needs all its words.</p>\
             <script src=\"search-index.js\"></script><script src=\"search.js\"></script>",
        ),
    )?;

    // What an earlier build wrote and this one did not: gone from the site.
    let now: BTreeSet<&str> = w.written.iter().map(String::as_str).collect();
    if let Some(prev) = previous {
        for f in prev.files.iter().filter(|f| !now.contains(f.as_str())) {
            // Only plain relative names this command could have written.
            if f.split('/').all(|p| !p.is_empty() && p != ".." && p != ".") {
                let _ = std::fs::remove_file(dir.join(f));
            }
        }
    }
    let files = w.written.len();
    let marker = Marker {
        generator: "debrief site build".into(),
        files: w.written.clone(),
    };
    w.write(
        MARKER,
        &serde_json::to_string_pretty(&marker).expect("the marker serializes"),
    )?;
    Ok(SiteReport {
        reviews: reviews.len(),
        problems: problems.len(),
        lessons,
        files,
    })
}
