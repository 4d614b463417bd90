//! A second opinion learned from the labelled sentences in `tests/data`: naive Bayes over
//! the words and word pairs of a sentence and its section.
//!
//! Rules name what they find and say why; they also miss phrasings nobody wrote a rule for
//! (measured: a new set of sentences loses a fifth of its blame to the rules alone). The
//! model catches much of that long tail. It speaks only where the rules said nothing, only
//! about a sentence in which a person, a role or a team acts (so "the deploy failed" cannot
//! be its finding), and only at the level its rule (`blame-model`) is given, a warning by
//! default: it cannot block publishing on its own. The training data ships in the binary
//! and the model is built from it on first use, in a few milliseconds.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use crate::labelled::Example;
use crate::prose::Section;

/// The labelled sets the built-in model learns from.
const TRAINING: &[&str] = &[
    include_str!("../tests/data/labelled-dev.tsv"),
    include_str!("../tests/data/labelled-heldout.tsv"),
    include_str!("../tests/data/labelled-heldout2.tsv"),
    include_str!("../tests/data/labelled-heldout3.tsv"),
    include_str!("../tests/data/labelled-heldout4.tsv"),
    include_str!("../tests/data/labelled-heldout5.tsv"),
    include_str!("../tests/data/labelled-heldout6.tsv"),
    include_str!("../tests/data/labelled-heldout7.tsv"),
    include_str!("../tests/data/labelled-heldout8.tsv"),
    include_str!("../tests/data/labelled-heldout9.tsv"),
    include_str!("../tests/data/labelled-heldout10.tsv"),
    include_str!("../tests/data/labelled-heldout11.tsv"),
    include_str!("../tests/data/labelled-heldout12.tsv"),
    include_str!("../tests/data/labelled-heldout13.tsv"),
    include_str!("../tests/data/labelled-heldout14.tsv"),
    include_str!("../tests/data/labelled-heldout15.tsv"),
    include_str!("../tests/data/labelled-heldout16.tsv"),
    include_str!("../tests/data/labelled-heldout17.tsv"),
    include_str!("../tests/data/labelled-heldout18.tsv"),
    include_str!("../tests/data/labelled-heldout19.tsv"),
    include_str!("../tests/data/labelled-heldout20.tsv"),
    include_str!("../tests/data/labelled-heldout21.tsv"),
    include_str!("../tests/data/labelled-train24.tsv"),
    include_str!("../tests/data/labelled-train25.tsv"),
    include_str!("../tests/data/labelled-train26.tsv"),
    include_str!("../tests/data/labelled-train27.tsv"),
    include_str!("../tests/data/labelled-train28.tsv"),
    include_str!("../tests/data/labelled-train29.tsv"),
];

/// A score above this (natural log of the odds, blame against not) is a finding. Chosen on
/// sets the model had not learned from, against the false warnings it raises in the real
/// post-mortems of `../shared/data/postmortems` (docs/BENCHMARKS.md).
pub const THRESHOLD: f64 = 8.0;

/// Word and word-pair log-odds, learned by counting. Features are kept by a 64-bit hash of
/// their text (FNV-1a): no strings are built to score a sentence.
#[derive(Debug, Clone)]
pub struct Model {
    prior: f64,
    weights: HashMap<u64, f64, BuildHasherDefault<Prehashed>>,
    /// The weight of a feature never seen in training, by class counts alone.
    unseen: f64,
}

/// A hasher for keys that are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

static BUILTIN: LazyLock<Model> = LazyLock::new(|| {
    let examples: Vec<Example> = TRAINING
        .iter()
        .flat_map(|t| Example::parse_all(t).expect("the built-in labelled sets parse"))
        .collect();
    Model::train(&examples)
});

/// A hashed feature and the span of text it covers (none for the section).
type Feature = (u64, Option<(usize, usize)>);

/// The hashes of the words for people and of listed names, as [`features`] hashes words.
static PEOPLE_HASHES: LazyLock<std::collections::HashSet<u64, BuildHasherDefault<Prehashed>>> =
    LazyLock::new(|| {
        crate::subject::people_words()
            .map(|w| fnv(FNV_OFFSET, w.as_bytes()))
            .collect()
    });

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// The features of a sentence, hashed: its words (lower-cased, letters and apostrophes, `@`
/// handles), its word pairs and its section, with the span of text each covers. A feature
/// that occurs twice counts twice, in training as in scoring.
fn features(section: Section, text: &str, out: &mut Vec<Feature>) {
    out.clear();
    let mut start: Option<usize> = None;
    let mut h = FNV_OFFSET;
    let mut prev: Option<(u64, usize)> = None;
    let mut buf = [0u8; 4];
    let bytes = text.as_bytes();
    let mut i = 0;
    while i <= bytes.len() {
        // ASCII takes the fast path; other characters are decoded.
        let (c, len) = match bytes.get(i) {
            None => (' ', 1),
            Some(&b) if b < 0x80 => (char::from(b), 1),
            Some(_) => {
                let c = text[i..].chars().next().expect("a character");
                (c, c.len_utf8())
            }
        };
        let inside = c.is_alphabetic() || c == '\'' || c == '’' || (c == '@' && start.is_none());
        if inside {
            if start.is_none() {
                start = Some(i);
                h = FNV_OFFSET;
            }
            if c.is_ascii() {
                h = fnv(h, &[c.to_ascii_lowercase() as u8]);
            } else if c == '’' {
                h = fnv(h, b"'");
            } else {
                for l in c.to_lowercase() {
                    h = fnv(h, l.encode_utf8(&mut buf).as_bytes());
                }
            }
        } else if let Some(s) = start.take() {
            let word = &text[s..i];
            let w = word.trim_matches(|c| c == '\'' || c == '’');
            if !w.is_empty() {
                // Apostrophes at the ends do not count: hash the trimmed word again.
                let h = if w.len() == word.len() {
                    h
                } else {
                    w.chars()
                        .map(|c| if c == '’' { '\'' } else { c })
                        .flat_map(char::to_lowercase)
                        .fold(FNV_OFFSET, |h, l| {
                            fnv(h, l.encode_utf8(&mut buf).as_bytes())
                        })
                };
                // Who is named is the gate's business, not evidence of blame: a word for a
                // person counts only in its pairs ("engineer forgot").
                if !PEOPLE_HASHES.contains(&h) {
                    out.push((h, Some((s, i))));
                }
                if let Some((ph, ps)) = prev {
                    out.push((fnv(fnv(ph, b" "), &h.to_le_bytes()), Some((ps, i))));
                }
                prev = Some((h, s));
            }
        }
        i += len;
    }
    out.push((
        fnv(
            FNV_OFFSET,
            match section {
                Section::Plans => b"\xa7plans",
                Section::Analysis => b"\xa7analysis",
            },
        ),
        None,
    ));
}

impl Model {
    /// The model built from the labelled sets that ship with debrief.
    pub fn builtin() -> &'static Model {
        &BUILTIN
    }

    /// Learns from labelled sentences: for each feature, the log of how much likelier it is
    /// in a blaming sentence than in a blameless one (add-half smoothing).
    pub fn train(examples: &[Example]) -> Model {
        let mut counts: HashMap<u64, (f64, f64), BuildHasherDefault<Prehashed>> =
            HashMap::default();
        let (mut blame, mut ok) = (0.0, 0.0);
        let mut buf = Vec::new();
        for e in examples {
            let section = if e.section == "plans" {
                Section::Plans
            } else {
                Section::Analysis
            };
            if e.blame {
                blame += 1.0;
            } else {
                ok += 1.0;
            }
            features(section, &e.sentence, &mut buf);
            for &(f, _) in &buf {
                let c = counts.entry(f).or_default();
                if e.blame {
                    c.0 += 1.0;
                } else {
                    c.1 += 1.0;
                }
            }
        }
        let odds = |b: f64, o: f64| ((b + 0.5) / (blame + 1.0) / ((o + 0.5) / (ok + 1.0))).ln();
        Model {
            prior: ((blame + 1.0) / (ok + 1.0)).ln(),
            // A feature seen once or twice says little and costs a cache miss: only those
            // seen three times or more are kept (the rest score as unseen).
            weights: counts
                .into_iter()
                .filter(|(_, (b, o))| b + o >= 3.0)
                .map(|(f, (b, o))| (f, odds(b, o)))
                .collect(),
            unseen: odds(0.0, 0.0),
        }
    }

    /// The sentence's score (log-odds that it blames) and the span of its strongest
    /// blaming word or pair, if any.
    pub fn score(&self, section: Section, text: &str) -> (f64, Option<(usize, usize)>) {
        thread_local! {
            static BUF: std::cell::RefCell<Vec<Feature>> =
                const { std::cell::RefCell::new(Vec::new()) };
        }
        BUF.with_borrow_mut(|buf| {
            features(section, text, buf);
            self.score_features(buf)
        })
    }

    fn score_features(&self, feats: &[Feature]) -> (f64, Option<(usize, usize)>) {
        let mut total = self.prior;
        let mut best: Option<(f64, (usize, usize))> = None;
        for &(f, span) in feats {
            let w = self.weights.get(&f).copied().unwrap_or(self.unseen);
            total += w;
            if let Some(span) = span {
                if w > 0.0 && best.is_none_or(|(bw, _)| w > bw) {
                    best = Some((w, span));
                }
            }
        }
        (total, best.map(|(_, s)| s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_learns_which_words_go_with_blame() {
        let ex = |blame, s: &str| Example {
            blame,
            section: "analysis".into(),
            sentence: s.into(),
        };
        let examples = [
            ex(true, "Bob was sloppy again."),
            ex(true, "Ana was sloppy with the keys."),
            ex(true, "Lee was sloppy today."),
            ex(false, "The job was slow again."),
            ex(false, "The keys rotated on time."),
            ex(false, "The job rotated the keys."),
        ];
        let m = Model::train(&examples);
        // Words seen fewer than three times are not kept.
        let (only_once, _) = m.score(Section::Analysis, "today");
        let (nothing, _) = m.score(Section::Analysis, "");
        assert_eq!(only_once, nothing);
        let (blamey, span) = m.score(Section::Analysis, "Kim was sloppy.");
        let (plain, _) = m.score(Section::Analysis, "The job rotated.");
        assert!(blamey > plain, "{blamey} {plain}");
        let (a, b) = span.expect("a blaming word");
        assert!("Kim was sloppy."[a..b].contains("sloppy"));
    }

    #[test]
    fn the_built_in_model_reads_its_training_sets() {
        let m = Model::builtin();
        assert!(m.weights.len() > 5_000, "{}", m.weights.len());
        let (s, _) = m.score(
            Section::Analysis,
            "Honestly, Raj just couldn't be trusted with prod.",
        );
        assert!(s > 0.0, "{s}");
        let (s, _) = m.score(Section::Analysis, "The cache warmed up in four minutes.");
        assert!(s < 0.0, "{s}");
    }
}
