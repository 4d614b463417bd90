//! Search, measured: relevance on public post-mortems with hand-marked answers, and latency
//! on them and on a large synthetic store.
//!
//! ```sh
//! # relevance and latency on a store with ../shared/data/postmortems imported:
//! cargo run --release -p debrief-store --example search_bench -- eval STORE QUERIES.tsv
//! # fill a store with N synthetic incidents (sentences of the post-mortems, shuffled), then
//! # time the queries of QUERIES.tsv on it:
//! cargo run --release -p debrief-store --example search_bench -- synth STORE N POSTMORTEMS_DIR QUERIES.tsv
//!
//! # similar-incident suggestions against the collections' own sections (danluu) and tags
//! # (k8s failure stories' "involved"), on a store with the post-mortems imported:
//! cargo run --release -p debrief-store --example search_bench -- similar STORE POSTMORTEMS_DIR
//! ```
//!
//! QUERIES.tsv: `query<TAB>relevant record ids` (comma-separated), a header line first. An
//! incident's record id is the `(record …)` its notes end with (`debrief import` writes it).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use debrief_core::{Incident, IncidentId, Severity};
use debrief_store::{SearchQuery, Store};

fn queries(path: &str) -> Vec<(String, Vec<String>)> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (q, ids) = l.split_once('\t').unwrap_or((l, ""));
            (
                q.to_string(),
                ids.split(',').map(|s| s.trim().to_string()).collect(),
            )
        })
        .collect()
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

/// Runs every query `rounds` times; prints latency percentiles.
async fn latency(store: &Store, qs: &[(String, Vec<String>)], rounds: usize) {
    let mut times = Vec::new();
    let mut worst: HashMap<&str, Duration> = HashMap::new();
    for _ in 0..rounds {
        for (q, _) in qs {
            let start = Instant::now();
            store
                .search(&SearchQuery {
                    text: q.clone(),
                    limit: 10,
                    ..SearchQuery::default()
                })
                .await
                .unwrap();
            let took = start.elapsed();
            let w = worst.entry(q.as_str()).or_default();
            *w = (*w).max(took);
            times.push(took);
        }
    }
    times.sort();
    let mut slowest: Vec<(&str, Duration)> = worst.into_iter().collect();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.1));
    println!(
        "slowest queries (their worst time): {}",
        slowest
            .iter()
            .take(4)
            .map(|(q, d)| format!("{q:?} {:.1} ms", d.as_secs_f64() * 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "latency over {} searches ({} queries x {rounds}): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        qs.len(),
        pct(&times, 0.5),
        pct(&times, 0.9),
        pct(&times, 0.99),
        pct(&times, 1.0)
    );
}

async fn eval(store: &Store, path: &str) {
    let qs = queries(path);
    let mut record_of: HashMap<IncidentId, String> = HashMap::new();
    let (mut top1, mut top3, mut rr) = (0usize, 0usize, 0.0f64);
    for (q, relevant) in &qs {
        let found = store
            .search(&SearchQuery {
                text: q.clone(),
                limit: 10,
                ..SearchQuery::default()
            })
            .await
            .unwrap();
        let mut ranks = Vec::new();
        for h in &found.hits {
            if let std::collections::hash_map::Entry::Vacant(slot) = record_of.entry(h.id) {
                let i = store.get_incident(h.id).await.unwrap();
                let rec = i
                    .notes
                    .rsplit_once("(record ")
                    .map(|(_, r)| r.trim_end_matches(')').trim().to_string())
                    .unwrap_or_default();
                slot.insert(rec);
            }
            ranks.push(record_of[&h.id].clone());
        }
        let first = ranks.iter().position(|r| relevant.contains(r));
        if first == Some(0) {
            top1 += 1;
        }
        if first.is_some_and(|p| p < 3) {
            top3 += 1;
        } else {
            println!(
                "miss: {q:?} wants {relevant:?}, got {:?}",
                &ranks[..ranks.len().min(3)]
            );
        }
        rr += first.map_or(0.0, |p| 1.0 / (p as f64 + 1.0));
    }
    let n = qs.len() as f64;
    println!(
        "{} queries: right review first {:.1}%, in the top 3 {:.1}%, mean reciprocal rank {:.3}",
        qs.len(),
        100.0 * top1 as f64 / n,
        100.0 * top3 as f64 / n,
        rr / n
    );
    latency(store, &qs, 20).await;
}

/// A tiny deterministic generator (xorshift), so every run builds the same store.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

async fn synth(store: &Store, n: usize, dir: &str, path: &str) {
    let have = store
        .list_incidents(&debrief_store::IncidentFilter::default())
        .await
        .unwrap()
        .len();
    if have < n {
        let mut sentences: Vec<String> = Vec::new();
        let mut titles: Vec<String> = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                for key in ["summary", "body"] {
                    if let Some(t) = v[key].as_str() {
                        sentences.extend(
                            t.split(". ")
                                .map(|s| s.trim().replace(['#', '`', '~'], ""))
                                .filter(|s| s.len() > 30 && s.len() < 300)
                                .map(|s| s.to_string()),
                        );
                    }
                }
                if let Some(t) = v["title"].as_str() {
                    titles.push(t.replace('#', ""));
                }
            }
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let started = Instant::now();
        let mut batch = Vec::new();
        for k in have..n {
            let mut i = Incident::new(
                format!("{} ({k})", rng.pick(&titles)),
                [
                    Severity::Sev1,
                    Severity::Sev2,
                    Severity::Sev3,
                    Severity::Sev4,
                ][k % 4],
            );
            i.summary = (0..3)
                .map(|_| rng.pick(&sentences).clone())
                .collect::<Vec<_>>()
                .join(". ");
            i.notes = (0..8)
                .map(|_| rng.pick(&sentences).clone())
                .collect::<Vec<_>>()
                .join(". ");
            i.services = vec![format!("svc-{}", k % 50)];
            batch.push(i);
            if batch.len() == 1000 {
                store.import(&batch, false).await.unwrap();
                batch.clear();
                eprint!("\r{} incidents", k + 1);
            }
        }
        if !batch.is_empty() {
            store.import(&batch, false).await.unwrap();
        }
        eprintln!(
            "\rmade {} incidents in {:.0} s",
            n - have,
            started.elapsed().as_secs_f64()
        );
    }
    latency(store, &queries(path), 5).await;
}

/// Top-1 similar incident within the same collection: does it share a section or tag?
async fn similar(store: &Store, dir: &str) {
    // Labels by record id.
    let mut labels: HashMap<String, (String, Vec<String>)> = HashMap::new();
    for (file, key) in [
        ("danluu.jsonl", "categories"),
        ("k8s_failure_stories.jsonl", "involved"),
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let tags = v[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str())
                .map(|t| t.to_lowercase())
                .collect();
            labels.insert(
                v["id"].as_str().unwrap().to_string(),
                (file.to_string(), tags),
            );
        }
    }
    let all = store
        .list_incidents(&debrief_store::IncidentFilter::default())
        .await
        .unwrap();
    let mut record_of: HashMap<IncidentId, String> = HashMap::new();
    for i in &all {
        let full = store.get_incident(i.id).await.unwrap();
        if let Some((_, r)) = full.notes.rsplit_once("(record ") {
            record_of.insert(i.id, r.trim_end_matches(')').trim().to_string());
        }
    }
    // Everyone scored against everyone, as a store that has seen all of them would.
    let started = Instant::now();
    for i in &all {
        store.refresh_similar(i.id).await.unwrap();
    }
    let took = started.elapsed();
    for file in ["danluu.jsonl", "k8s_failure_stories.jsonl"] {
        let members: Vec<(&IncidentId, &String)> = record_of
            .iter()
            .filter(|(_, r)| labels.get(*r).is_some_and(|(f, _)| f == file))
            .collect();
        let (mut judged, mut agree, mut none) = (0, 0, 0);
        // Chance: how often two different members share a label at all.
        let (mut pairs, mut sharing) = (0u64, 0u64);
        for (_, a) in &members {
            for (_, b) in &members {
                if a != b {
                    pairs += 1;
                    let (la, lb) = (&labels[*a].1, &labels[*b].1);
                    if la.iter().any(|t| lb.contains(t)) {
                        sharing += 1;
                    }
                }
            }
        }
        for (id, rec) in &members {
            let found = store.similar_incidents(**id).await.unwrap();
            let top = found.iter().find(|s| {
                record_of
                    .get(&s.id)
                    .is_some_and(|r| labels.get(r).is_some_and(|(f, _)| f == file))
            });
            let Some(top) = top else {
                none += 1;
                continue;
            };
            judged += 1;
            let (mine, theirs) = (&labels[*rec].1, &labels[&record_of[&top.id]].1);
            if mine.iter().any(|t| theirs.contains(t)) {
                agree += 1;
            }
        }
        println!(
            "{file}: {} incidents, {judged} with a suggestion from the same collection ({none} without); top-1 shares a {} with it for {agree} of {judged} ({:.1}%); two random members share one {:.1}% of the time",
            members.len(),
            if file.starts_with("danluu") {
                "section"
            } else {
                "tag"
            },
            100.0 * agree as f64 / judged.max(1) as f64,
            100.0 * sharing as f64 / pairs.max(1) as f64,
        );
    }
    println!(
        "scoring every incident against the others: {:.1} ms each ({} incidents)",
        took.as_secs_f64() * 1e3 / all.len().max(1) as f64,
        all.len()
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["eval", db, q] => eval(&Store::open(db).await.unwrap(), q).await,
        ["similar", db, dir] => similar(&Store::open(db).await.unwrap(), dir).await,
        ["synth", db, n, dir, q] => {
            synth(&Store::open(db).await.unwrap(), n.parse().unwrap(), dir, q).await
        }
        _ => {
            eprintln!(
                "usage: search_bench eval STORE QUERIES.tsv | synth STORE N POSTMORTEMS_DIR QUERIES.tsv"
            );
            std::process::exit(2);
        }
    }
}
