//! Precision and recall of the default rules on the labelled sentences in `tests/data`:
//! blame (warning or error expected) and blameless, many of them hard negatives. Each file
//! was written by a different hand, blind to the rules; see docs/BENCHMARKS.md for how each
//! scored when it was first measured, before any rule was changed for it.

use debrief_lint::Rules;
use debrief_lint::labelled::{Example, score_with};
use debrief_lint::model::Model;

const SETS: &[&str] = &[
    "labelled-dev.tsv",
    "labelled-heldout.tsv",
    "labelled-heldout2.tsv",
    "labelled-heldout3.tsv",
    "labelled-heldout4.tsv",
    "labelled-heldout5.tsv",
    "labelled-heldout6.tsv",
    "labelled-heldout7.tsv",
    "labelled-heldout8.tsv",
    "labelled-heldout9.tsv",
    "labelled-heldout10.tsv",
    "labelled-heldout11.tsv",
    "labelled-heldout12.tsv",
    "labelled-heldout13.tsv",
    "labelled-heldout14.tsv",
    "labelled-heldout15.tsv",
    "labelled-heldout16.tsv",
    "labelled-heldout17.tsv",
    "labelled-heldout18.tsv",
    "labelled-heldout19.tsv",
    "labelled-heldout20.tsv",
    "labelled-heldout21.tsv",
];

fn load(name: &str) -> Vec<Example> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Example::parse_all(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_set_is_large_and_holds_hard_negatives() {
    for name in SETS {
        let set = load(name);
        let blame = set.iter().filter(|e| e.blame).count();
        assert!(set.len() >= 300, "{name}: {} sentences", set.len());
        assert!(blame * 10 >= set.len() * 3, "{name}: {blame} blame");
        assert!(
            (set.len() - blame) * 2 >= set.len(),
            "{name}: too few blameless"
        );
    }
}

#[test]
fn precision_and_recall_hold_on_each_set_and_overall() {
    // Each set is scored with a model learned from the other sets only: the figures say
    // how the rules and the model do on sentences the model has not seen.
    let rules = Rules::defaults();
    let sets: Vec<Vec<Example>> = SETS.iter().map(|n| load(n)).collect();
    let mut all = Vec::new();
    let mut total = debrief_lint::labelled::Score::default();
    for (i, name) in SETS.iter().enumerate() {
        let set = &sets[i];
        let others: Vec<Example> = sets
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .flat_map(|(_, s)| s.iter().cloned())
            .collect();
        let s = score_with(set, &rules, &Model::train(&others));
        eprintln!("{name}: {s}");
        assert!(s.precision() >= 0.92, "{name}: {s}");
        assert!(s.recall() >= 0.74, "{name}: {s}");
        total.add(s);
        all.extend(set.iter().cloned());
    }
    let s = total;
    eprintln!("all: {s} ({} sentences)", all.len());
    assert!(s.precision() >= 0.97, "all: {s}");
    assert!(s.recall() >= 0.91, "all: {s}");
}

#[test]
fn a_wrong_label_file_is_refused() {
    assert!(Example::parse_all("blame\tanalysis\n").is_err());
    assert!(Example::parse_all("maybe\tanalysis\tBob failed.\n").is_err());
    assert!(Example::parse_all("ok\tsummary\tThe job failed.\n").is_err());
    let fine = Example::parse_all("# comment\n\nok\tplans\tAdd a probe.\n").unwrap();
    assert_eq!(fine.len(), 1);
}
