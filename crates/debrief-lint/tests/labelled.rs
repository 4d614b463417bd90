//! Precision and recall of the default rules on the labelled sentences in `tests/data`:
//! blame (warning or error expected) and blameless, many of them hard negatives. Each file
//! was written by a different hand, blind to the rules; see docs/BENCHMARKS.md for how each
//! scored when it was first measured, before any rule was changed for it.

use debrief_lint::Rules;
use debrief_lint::labelled::{Example, Score, score_with};
use debrief_lint::model::{Model, TRAINING};

/// The sets the rules were written against and checked on (dev to heldout23): each must
/// hold blame and many hard negatives. Later sets were written to train the model, some with
/// few blaming sentences on purpose (published post-mortems rarely blame).
const RULE_SETS: usize = 24;

fn sets() -> Vec<(&'static str, Vec<Example>)> {
    TRAINING
        .iter()
        .map(|(name, text)| {
            let set = Example::parse_all(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (*name, set)
        })
        .collect()
}

#[test]
fn every_set_is_large_and_holds_hard_negatives() {
    let sets = sets();
    assert!(sets.len() > RULE_SETS);
    for (name, set) in &sets {
        let blame = set.iter().filter(|e| e.blame).count();
        assert!(set.len() >= 300, "{name}: {} sentences", set.len());
        assert!(blame * 100 >= set.len() * 15, "{name}: {blame} blame");
        assert!(
            (set.len() - blame) * 2 >= set.len(),
            "{name}: too few blameless"
        );
    }
    for (name, set) in &sets[..RULE_SETS] {
        let blame = set.iter().filter(|e| e.blame).count();
        assert!(blame * 10 >= set.len() * 3, "{name}: {blame} blame");
    }
}

/// How many parts the sets are split into: each part is scored with a model learned from
/// the others.
const FOLDS: usize = 5;

#[test]
fn precision_and_recall_hold_on_each_set_and_overall() {
    // Each set is scored with a model learned without it (nor the sets of its fold): the
    // figures say how the rules and the model do on sentences the model has not seen.
    let rules = Rules::defaults();
    let sets = sets();
    let mut total = Score::default();
    for fold in 0..FOLDS {
        let training: Vec<Example> = sets
            .iter()
            .enumerate()
            .filter(|(i, _)| i % FOLDS != fold)
            .flat_map(|(_, (_, s))| s.iter().cloned())
            .collect();
        let model = Model::train(&training);
        for (_, (name, set)) in sets.iter().enumerate().filter(|(i, _)| i % FOLDS == fold) {
            let s = score_with(set, &rules, &model);
            eprintln!("{name}: {s}");
            // (train43 and train44 are mostly blameless on purpose: few blaming sentences
            // make precision swing with each false alarm.)
            assert!(s.precision() >= 0.90, "{name}: {s}");
            // train40 is blame only a careful reader catches (faint praise, asides,
            // timeline entries): the floor is for all sets, not the typical one.
            assert!(s.recall() >= 0.60, "{name}: {s}");
            total.add(s);
        }
    }
    let s = total;
    eprintln!("all: {s}");
    assert!(s.precision() >= 0.97, "all: {s}");
    assert!(s.recall() >= 0.90, "all: {s}");
}

/// Sets no rule was written for and the built-in model did not learn from: the shipped
/// linter as it meets sentences it has never seen.
const BLIND: &[&str] = &[
    "labelled-heldout41.tsv",
    "labelled-heldout42.tsv",
    "labelled-heldout45.tsv",
    "labelled-heldout46.tsv",
    "labelled-heldout47.tsv",
    "labelled-heldout48.tsv",
];

#[test]
fn the_shipped_linter_holds_its_targets_on_sets_it_never_saw() {
    let rules = Rules::defaults();
    let mut total = Score::default();
    for name in BLIND {
        assert!(
            TRAINING.iter().all(|(n, _)| n != name),
            "{name} is in the model's training"
        );
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let set = Example::parse_all(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let s = score_with(&set, &rules, Model::builtin());
        eprintln!("{name}: {s}");
        total.add(s);
    }
    eprintln!("blind: {total}");
    // The targets: precision 0.95, recall 0.90, warnings and errors together.
    assert!(total.precision() >= 0.95, "blind: {total}");
    assert!(total.recall() >= 0.90, "blind: {total}");
}

#[test]
fn a_wrong_label_file_is_refused() {
    assert!(Example::parse_all("blame\tanalysis\n").is_err());
    assert!(Example::parse_all("maybe\tanalysis\tBob failed.\n").is_err());
    assert!(Example::parse_all("ok\tsummary\tThe job failed.\n").is_err());
    let fine = Example::parse_all("# comment\n\nok\tplans\tAdd a probe.\n").unwrap();
    assert_eq!(fine.len(), 1);
}
