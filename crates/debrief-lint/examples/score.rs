//! Precision and recall of the default rules on labelled sentences.
//!
//! `cargo run --release -p debrief-lint --example score -- FILE.tsv… [--show] [--leave-out DIR] [--no-model]`
//!
//! Each line of a file is `label<TAB>section<TAB>sentence`: label `blame` or `ok`, section
//! `analysis` or `plans`; `#` starts a comment. A sentence counts as flagged when it has a
//! finding at warning level or above. `--show` lists the sentences scored wrong, each with the
//! built-in model's score (log-odds; a finding above `model::THRESHOLD`).
//! `--leave-out DIR` scores each file with a model learned from every other `.tsv` in DIR,
//! not the built-in one (which learned from all of them); `--no-model` switches it off.

use debrief_lint::Rules;
use debrief_lint::labelled::{Example, Score, score_with};
use debrief_lint::model::Model;
use debrief_lint::prose::Section;

fn main() {
    let mut show = false;
    let mut leave_out: Option<String> = None;
    let mut no_model = false;
    let mut threshold: Option<f64> = None;
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--show" => show = true,
            "--no-model" => no_model = true,
            "--leave-out" => leave_out = args.next(),
            "--threshold" => threshold = args.next().and_then(|t| t.parse().ok()),
            _ => files.push(arg),
        }
    }
    let read = |path: &str| {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        Example::parse_all(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let mut rules = Rules::defaults();
    if no_model {
        let off = [("blame-model".to_string(), "off".to_string())].into();
        rules.configure(&off).expect("the model rule exists");
    }
    let mut total = Score::default();
    for file in &files {
        let examples = read(file);
        let s = match &leave_out {
            Some(dir) => {
                let mut training = Vec::new();
                for entry in std::fs::read_dir(dir).expect("--leave-out DIR") {
                    let path = entry.expect("a directory entry").path();
                    let same = path.file_name() == std::path::Path::new(file).file_name();
                    if path.extension().is_some_and(|x| x == "tsv") && !same {
                        training.extend(read(&path.display().to_string()));
                    }
                }
                let mut model = Model::train(&training);
                if let Some(t) = threshold {
                    model = model.with_threshold(t);
                }
                score_with(&examples, &rules, &model)
            }
            None => {
                let mut model = Model::builtin().clone();
                if let Some(t) = threshold {
                    model = model.with_threshold(t);
                }
                score_with(&examples, &rules, &model)
            }
        };
        if files.len() > 1 {
            println!("{file}: {s}");
        }
        total.add(s);
    }
    println!("{total}");
    if show {
        for (e, rules) in &total.wrong {
            let what = if e.blame { "missed" } else { "false alarm" };
            // The built-in model's score, for a sense of how far from a finding it was.
            let section = if e.section == "plans" {
                Section::Plans
            } else {
                Section::Analysis
            };
            let (score, _) = Model::builtin().score(section, &e.sentence);
            println!(
                "{what:>11} [{}] {score:+5.1} {} {}",
                e.section,
                rules.join(","),
                e.sentence
            );
        }
    }
}
