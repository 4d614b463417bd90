//! Search as a user meets it, on real post-mortems: `debrief import` of the public
//! collections in `../shared/data/postmortems` (when present beside the repository), then the
//! hand-marked queries of `bench/search-queries.tsv` through `debrief search --json`.

#[macro_use]
mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::Env;

fn postmortems() -> Option<Vec<PathBuf>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/postmortems");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    (!files.is_empty()).then_some(files)
}

both!(
    real_post_mortems_import_once_and_the_right_review_ranks_in_the_top_three,
    |env: &Env| {
        let Some(files) = postmortems() else {
            eprintln!("../shared/data/postmortems is not beside the repository: skipping");
            return;
        };
        let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        let mut args = vec!["import"];
        args.extend(paths.iter().map(String::as_str));
        let first = env.ok(&args);
        assert!(first.contains("315 created"), "{first}");
        let again = env.ok(&args);
        assert!(again.contains("0 created (315 already stored)"), "{again}");
        let queries = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/search-queries.tsv"),
        )
        .unwrap();
        let mut record_of: HashMap<String, String> = HashMap::new();
        let (mut total, mut top3) = (0, 0);
        let mut misses = Vec::new();
        for line in queries.lines().skip(1) {
            let (q, wanted) = line.split_once('\t').unwrap();
            let wanted: Vec<&str> = wanted.split(',').collect();
            let found: serde_json::Value =
                serde_json::from_str(&env.ok(&["search", q, "--limit", "3", "--json"])).unwrap();
            let mut got = Vec::new();
            for h in found["hits"].as_array().unwrap() {
                let id = h["id"].as_str().unwrap().to_string();
                let record = record_of.entry(id.clone()).or_insert_with(|| {
                    let shown = env.ok(&["incident", "show", &id, "--json"]);
                    let i: serde_json::Value = serde_json::from_str(&shown).unwrap();
                    let notes = i["notes"].as_str().unwrap_or_default();
                    notes
                        .rsplit_once("(record ")
                        .map(|(_, r)| r.trim_end_matches(')').to_string())
                        .unwrap_or_default()
                });
                got.push(record.clone());
            }
            total += 1;
            if got.iter().any(|r| wanted.contains(&r.as_str())) {
                top3 += 1;
            } else {
                misses.push(format!("{q:?}: got {got:?}"));
            }
        }
        assert!(total >= 30, "{total} queries");
        // The target is 90%; measured once at 92.5% (37 of 40) before anything was tuned.
        assert!(
            top3 * 10 >= total * 9,
            "{top3} of {total} in the top 3; misses:\n{}",
            misses.join("\n")
        );
    }
);
