//! The share of sentences the default rules flag in real post-mortems, by level.
//!
//! `cargo run --release -p debrief-lint --example postmortems -- ../shared/data/postmortems/*.jsonl [--show error|warning|suggestion]`
//!
//! Each line of an input is a JSON object with `title`, `summary` and `body`; they are joined
//! as one Markdown document. A sentence counts once, at the level of its strongest finding.
//! `--show LEVEL` prints the sentences flagged at that level, to read and judge them.

use std::collections::BTreeMap;

use debrief_lint::{Level, Rules, prose};

fn main() {
    let mut show: Option<Level> = None;
    let mut threshold: Option<f64> = None;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--threshold" {
            threshold = args.next().and_then(|t| t.parse().ok());
        } else if arg == "--show" {
            let level = args.next().unwrap_or_default();
            show = Some(Level::parse(&level).unwrap_or_else(|| panic!("--show {level:?}?")));
        } else {
            files.push(arg);
        }
    }
    let rules = Rules::defaults();
    let mut model = debrief_lint::model::Model::builtin().clone();
    if let Some(t) = threshold {
        model = model.with_threshold(t);
    }
    let (mut documents, mut sentences) = (0usize, 0usize);
    let mut flagged: BTreeMap<Level, usize> = BTreeMap::new();
    let mut by_rule: BTreeMap<(Level, String), usize> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let record: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{file}: {e}"));
            let doc: Vec<&str> = ["title", "summary", "body"]
                .iter()
                .filter_map(|k| record[k].as_str())
                .collect();
            let doc = doc.join("\n\n");
            let id = record["id"].as_str().unwrap_or("?");
            documents += 1;
            let p = prose::markdown(&doc);
            sentences += p.sentences.len();
            let findings = debrief_lint::lint::lint_with(&doc, &p, &rules, &model, id);
            // The strongest finding of each sentence.
            let mut strongest: BTreeMap<usize, &debrief_lint::Finding> = BTreeMap::new();
            for f in &findings {
                *by_rule.entry((f.level, f.rule.clone())).or_default() += 1;
                let e = strongest.entry(f.sentence_start).or_insert(f);
                if f.level > e.level {
                    *e = f;
                }
            }
            for f in strongest.values() {
                *flagged.entry(f.level).or_default() += 1;
                if show == Some(f.level) {
                    println!("{id} [{}] {}", f.rule, f.sentence);
                }
            }
        }
    }
    println!("{documents} post-mortems, {sentences} sentences");
    for level in [Level::Error, Level::Warning, Level::Suggestion] {
        let n = flagged.get(&level).copied().unwrap_or(0);
        println!(
            "{:<10} {n:>5} sentences, 1 in {:.0}",
            level.as_str(),
            if n == 0 {
                f64::INFINITY
            } else {
                sentences as f64 / n as f64
            }
        );
    }
    for ((level, rule), n) in &by_rule {
        println!("  {:<10} {rule:<24} {n}", level.as_str());
    }
}
