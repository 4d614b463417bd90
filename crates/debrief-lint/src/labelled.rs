//! Scoring the rules on labelled sentences: precision and recall of "this sentence blames",
//! counting findings at warning level and above.

use std::fmt;

use crate::rules::{Level, Rules};

/// One labelled sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// A facilitator would want it flagged before the review is published.
    pub blame: bool,
    /// `analysis` or `plans`.
    pub section: String,
    pub sentence: String,
}

impl Example {
    /// Reads `label<TAB>section<TAB>sentence` lines; `#` lines and blank lines are skipped.
    pub fn parse_all(text: &str) -> Result<Vec<Example>, String> {
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [label, section, sentence] = fields[..] else {
                return Err(format!("line {}: not three tab-separated fields", n + 1));
            };
            let blame = match label {
                "blame" => true,
                "ok" => false,
                _ => {
                    return Err(format!(
                        "line {}: label {label:?} is not blame or ok",
                        n + 1
                    ));
                }
            };
            if section != "analysis" && section != "plans" {
                return Err(format!(
                    "line {}: section {section:?} is not analysis or plans",
                    n + 1
                ));
            }
            out.push(Example {
                blame,
                section: section.to_string(),
                sentence: sentence.to_string(),
            });
        }
        Ok(out)
    }

    /// The sentence as a Markdown document that puts it in its section.
    pub fn document(&self) -> String {
        if self.section == "plans" {
            format!("## Action items\n\n- {}\n", self.sentence)
        } else {
            format!("## What happened\n\n{}\n", self.sentence)
        }
    }

    /// The rules that flag it at warning level or above.
    pub fn flagged_by(&self, rules: &Rules) -> Vec<String> {
        self.flagged_with(rules, crate::model::Model::builtin())
    }

    /// [`Example::flagged_by`] with another learned model.
    pub fn flagged_with(&self, rules: &Rules, model: &crate::model::Model) -> Vec<String> {
        let doc = self.document();
        crate::lint::lint_with(
            &doc,
            &crate::prose::markdown(&doc),
            rules,
            model,
            "labelled",
        )
        .into_iter()
        .filter(|f| f.level >= Level::Warning)
        .map(|f| f.rule)
        .collect()
    }
}

/// Counts and the examples scored wrong.
#[derive(Debug, Default)]
pub struct Score {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
    pub true_negatives: usize,
    /// Each wrong example with the rules that flagged it (none for a miss).
    pub wrong: Vec<(Example, Vec<String>)>,
}

impl Score {
    /// Adds another score's counts (and wrong examples) to this one.
    pub fn add(&mut self, other: Score) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
        self.true_negatives += other.true_negatives;
        self.wrong.extend(other.wrong);
    }

    pub fn precision(&self) -> f64 {
        let flagged = self.true_positives + self.false_positives;
        if flagged == 0 {
            1.0
        } else {
            self.true_positives as f64 / flagged as f64
        }
    }

    pub fn recall(&self) -> f64 {
        let blame = self.true_positives + self.false_negatives;
        if blame == 0 {
            1.0
        } else {
            self.true_positives as f64 / blame as f64
        }
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sentences {} (blame {}, ok {}): precision {:.3}, recall {:.3} \
             (tp {}, fp {}, fn {}, tn {})",
            self.true_positives + self.false_positives + self.false_negatives + self.true_negatives,
            self.true_positives + self.false_negatives,
            self.false_positives + self.true_negatives,
            self.precision(),
            self.recall(),
            self.true_positives,
            self.false_positives,
            self.false_negatives,
            self.true_negatives
        )
    }
}

/// Scores `rules` (and the built-in model) on `examples`.
pub fn score(examples: &[Example], rules: &Rules) -> Score {
    score_with(examples, rules, crate::model::Model::builtin())
}

/// [`score`] with another learned model.
pub fn score_with(examples: &[Example], rules: &Rules, model: &crate::model::Model) -> Score {
    let mut s = Score::default();
    for e in examples {
        let by = e.flagged_with(rules, model);
        match (e.blame, !by.is_empty()) {
            (true, true) => s.true_positives += 1,
            (false, false) => s.true_negatives += 1,
            (true, false) => {
                s.false_negatives += 1;
                s.wrong.push((e.clone(), by));
            }
            (false, true) => {
                s.false_positives += 1;
                s.wrong.push((e.clone(), by));
            }
        }
    }
    s
}
