//! A second opinion learned from the labelled sentences in `tests/data`: logistic regression
//! over the words, word pairs and word triples of a sentence and its section.
//!
//! Rules name what they find and say why; they also miss phrasings nobody wrote a rule for
//! (measured: a new set of sentences loses a fifth of its blame to the rules alone). The
//! model catches much of that long tail. It speaks only where the rules said nothing, only
//! about a sentence that names a person, a role or a team (so "the deploy failed" cannot be
//! its finding), and only at the level its rule (`blame-model`) is given, a warning by
//! default: it cannot block publishing on its own.
//!
//! Training takes a few hundred milliseconds, too long for every start of the command line,
//! so the weights learned from the labelled sets ship in the binary (`model.bin`, written by
//! `cargo run --release -p debrief-lint --example train-model`); a test checks that they
//! are what training on the sets gives today.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use crate::labelled::Example;
use crate::prose::Section;

/// The labelled sets the built-in model learns from, by file name. (heldout41, 42 and
/// 45 to 48 are left out: they measure the shipped model on sentences it has not seen.)
pub const TRAINING: &[(&str, &str)] = &[
    (
        "labelled-dev.tsv",
        include_str!("../tests/data/labelled-dev.tsv"),
    ),
    (
        "labelled-heldout.tsv",
        include_str!("../tests/data/labelled-heldout.tsv"),
    ),
    (
        "labelled-heldout2.tsv",
        include_str!("../tests/data/labelled-heldout2.tsv"),
    ),
    (
        "labelled-heldout3.tsv",
        include_str!("../tests/data/labelled-heldout3.tsv"),
    ),
    (
        "labelled-heldout4.tsv",
        include_str!("../tests/data/labelled-heldout4.tsv"),
    ),
    (
        "labelled-heldout5.tsv",
        include_str!("../tests/data/labelled-heldout5.tsv"),
    ),
    (
        "labelled-heldout6.tsv",
        include_str!("../tests/data/labelled-heldout6.tsv"),
    ),
    (
        "labelled-heldout7.tsv",
        include_str!("../tests/data/labelled-heldout7.tsv"),
    ),
    (
        "labelled-heldout8.tsv",
        include_str!("../tests/data/labelled-heldout8.tsv"),
    ),
    (
        "labelled-heldout9.tsv",
        include_str!("../tests/data/labelled-heldout9.tsv"),
    ),
    (
        "labelled-heldout10.tsv",
        include_str!("../tests/data/labelled-heldout10.tsv"),
    ),
    (
        "labelled-heldout11.tsv",
        include_str!("../tests/data/labelled-heldout11.tsv"),
    ),
    (
        "labelled-heldout12.tsv",
        include_str!("../tests/data/labelled-heldout12.tsv"),
    ),
    (
        "labelled-heldout13.tsv",
        include_str!("../tests/data/labelled-heldout13.tsv"),
    ),
    (
        "labelled-heldout14.tsv",
        include_str!("../tests/data/labelled-heldout14.tsv"),
    ),
    (
        "labelled-heldout15.tsv",
        include_str!("../tests/data/labelled-heldout15.tsv"),
    ),
    (
        "labelled-heldout16.tsv",
        include_str!("../tests/data/labelled-heldout16.tsv"),
    ),
    (
        "labelled-heldout17.tsv",
        include_str!("../tests/data/labelled-heldout17.tsv"),
    ),
    (
        "labelled-heldout18.tsv",
        include_str!("../tests/data/labelled-heldout18.tsv"),
    ),
    (
        "labelled-heldout19.tsv",
        include_str!("../tests/data/labelled-heldout19.tsv"),
    ),
    (
        "labelled-heldout20.tsv",
        include_str!("../tests/data/labelled-heldout20.tsv"),
    ),
    (
        "labelled-heldout21.tsv",
        include_str!("../tests/data/labelled-heldout21.tsv"),
    ),
    (
        "labelled-heldout22.tsv",
        include_str!("../tests/data/labelled-heldout22.tsv"),
    ),
    (
        "labelled-heldout23.tsv",
        include_str!("../tests/data/labelled-heldout23.tsv"),
    ),
    (
        "labelled-train24.tsv",
        include_str!("../tests/data/labelled-train24.tsv"),
    ),
    (
        "labelled-train25.tsv",
        include_str!("../tests/data/labelled-train25.tsv"),
    ),
    (
        "labelled-train26.tsv",
        include_str!("../tests/data/labelled-train26.tsv"),
    ),
    (
        "labelled-train27.tsv",
        include_str!("../tests/data/labelled-train27.tsv"),
    ),
    (
        "labelled-train28.tsv",
        include_str!("../tests/data/labelled-train28.tsv"),
    ),
    (
        "labelled-train29.tsv",
        include_str!("../tests/data/labelled-train29.tsv"),
    ),
    (
        "labelled-train30.tsv",
        include_str!("../tests/data/labelled-train30.tsv"),
    ),
    (
        "labelled-train31.tsv",
        include_str!("../tests/data/labelled-train31.tsv"),
    ),
    (
        "labelled-train32.tsv",
        include_str!("../tests/data/labelled-train32.tsv"),
    ),
    (
        "labelled-train33.tsv",
        include_str!("../tests/data/labelled-train33.tsv"),
    ),
    (
        "labelled-train34.tsv",
        include_str!("../tests/data/labelled-train34.tsv"),
    ),
    (
        "labelled-train35.tsv",
        include_str!("../tests/data/labelled-train35.tsv"),
    ),
    (
        "labelled-heldout36.tsv",
        include_str!("../tests/data/labelled-heldout36.tsv"),
    ),
    (
        "labelled-heldout37.tsv",
        include_str!("../tests/data/labelled-heldout37.tsv"),
    ),
    (
        "labelled-train38.tsv",
        include_str!("../tests/data/labelled-train38.tsv"),
    ),
    (
        "labelled-train39.tsv",
        include_str!("../tests/data/labelled-train39.tsv"),
    ),
    (
        "labelled-train40.tsv",
        include_str!("../tests/data/labelled-train40.tsv"),
    ),
    (
        "labelled-train43.tsv",
        include_str!("../tests/data/labelled-train43.tsv"),
    ),
    (
        "labelled-train44.tsv",
        include_str!("../tests/data/labelled-train44.tsv"),
    ),
];

/// The examples of every set in [`TRAINING`].
pub fn training_examples() -> Vec<Example> {
    TRAINING
        .iter()
        .flat_map(|(name, text)| Example::parse_all(text).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect()
}

/// A score above this (natural log of the odds, blame against not) is a finding. Chosen on
/// sets the model had not learned from, against the false warnings it raises in the real
/// post-mortems of `../shared/data/postmortems` (docs/BENCHMARKS.md).
pub const THRESHOLD: f64 = 1.5;

/// A rule's warning in a sentence the model scores below this stays only as a suggestion:
/// the model is sure the sentence does not blame (it discusses blame, or explains an action).
/// Chosen like [`THRESHOLD`]; errors need a surer model ([`VETO_ERROR`]).
pub const VETO_WARNING: f64 = -5.0;

/// As [`VETO_WARNING`], for a rule's error.
pub const VETO_ERROR: f64 = -10.0;

/// Feature weights learned by logistic regression. Features are kept by a 32-bit hash of
/// their text (from FNV-1a): no strings are built to score a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    bias: f32,
    weights: HashMap<u32, f32, BuildHasherDefault<Prehashed>>,
    /// A score above this is a finding ([`THRESHOLD`] unless set).
    threshold: f64,
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
    fn write_u32(&mut self, n: u32) {
        // A 32-bit key spread over 64 bits: the map reads its top bits too.
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

static BUILTIN: LazyLock<Model> = LazyLock::new(|| {
    Model::from_bytes(include_bytes!("model.bin")).expect("the built-in model reads")
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

/// The hash that stands for any person in the features' pairs and triples.
const PERSON: u64 = 0x5045_5253_4f4e_0001;

fn pair(a: u64, b: u64) -> u64 {
    fnv(fnv(a, b" "), &b.to_le_bytes())
}

/// Whether a word, as written, names a person: a word for a person or a listed name (or
/// its possessive), or a capitalised word that does not open the sentence and is not an
/// acronym ("Hiroshi", "Kubernetes" too: capitals say little more than "a name").
fn names_someone(word: &str, hash: u64, first: bool) -> bool {
    if PEOPLE_HASHES.contains(&hash) {
        return true;
    }
    let stem = word
        .strip_suffix("'s")
        .or_else(|| word.strip_suffix("’s"))
        .unwrap_or("");
    if !stem.is_empty() && PEOPLE_HASHES.contains(&lower_hash(stem)) {
        return true;
    }
    let mut chars = word.chars();
    !first && chars.next().is_some_and(char::is_uppercase) && chars.any(char::is_lowercase)
}

/// The FNV-1a hash of a word lower-cased, with ’ read as '.
fn lower_hash(word: &str) -> u64 {
    let mut buf = [0u8; 4];
    word.chars()
        .map(|c| if c == '’' { '\'' } else { c })
        .flat_map(char::to_lowercase)
        .fold(FNV_OFFSET, |h, l| {
            fnv(h, l.encode_utf8(&mut buf).as_bytes())
        })
}

/// The features of a sentence, hashed, with the span of text each covers: its words
/// (lower-cased, letters and apostrophes, `@` handles), its word pairs, and its section;
/// and, with any word that names a person read as one class, the pairs that hold one
/// ("PERSON forgot") and every triple ("PERSON did not"). A word for a person counts only
/// in pairs and triples: who is named is the gate's business, not evidence of blame. A
/// feature that occurs twice counts twice, in training as in scoring.
fn features(section: Section, text: &str, out: &mut Vec<Feature>) {
    out.clear();
    let mut start: Option<usize> = None;
    let mut h = FNV_OFFSET;
    // The last two words: their hash, their class (PERSON or the hash) and where they start.
    let mut prev: Option<(u64, u64, usize)> = None;
    let mut prev2: Option<(u64, usize)> = None;
    let (mut letters, mut stem) = (0usize, 0u64);
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
                letters = 0;
            }
            letters += 1;
            if letters == STEM + 1 {
                stem = h;
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
                    lower_hash(w)
                };
                let person = names_someone(w, h, prev.is_none());
                let class = if person { PERSON } else { h };
                if !person {
                    out.push((h, Some((s, i))));
                    if letters > STEM + 1 {
                        out.push((fnv(stem, b"~"), Some((s, i))));
                    }
                }
                if let Some((ph, pclass, ps)) = prev {
                    out.push((pair(ph, h), Some((ps, i))));
                    if pclass == PERSON || person {
                        out.push((pair(pclass, class), Some((ps, i))));
                    }
                    if let Some((p2class, p2s)) = prev2 {
                        out.push((
                            fnv(pair(p2class, pclass), &class.to_le_bytes()),
                            Some((p2s, i)),
                        ));
                    }
                    prev2 = Some((pclass, ps));
                }
                prev = Some((h, class, s));
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

/// How many letters of a long word stand for its family ("careless", "carelessly").
const STEM: usize = 6;

/// The key a feature is kept under.
fn key(f: u64) -> u32 {
    (f ^ (f >> 32)) as u32
}

/// How training goes: passes over the data, AdaGrad's step, L2 strength, and the fewest
/// sentences a feature must occur in to get a weight.
const EPOCHS: usize = 15;
const STEP: f64 = 0.2;
const BIAS_STEP: f64 = 0.05;
const L2: f64 = 1e-5;
const MIN_SENTENCES: u32 = 2;

const MAGIC: &[u8; 8] = b"dbrfLR01";

impl Model {
    /// The model learned from the labelled sets that ship with debrief.
    pub fn builtin() -> &'static Model {
        &BUILTIN
    }

    /// Learns from labelled sentences: logistic regression, AdaGrad steps over the sentences
    /// in a fixed shuffled order (the same examples always give the same weights).
    pub fn train(examples: &[Example]) -> Model {
        // Features as dense indices, in the order first seen; those in fewer than
        // MIN_SENTENCES sentences are dropped.
        let mut index: HashMap<u32, usize, BuildHasherDefault<Prehashed>> = HashMap::default();
        let mut seen_in: Vec<u32> = Vec::new();
        let mut rows: Vec<Vec<usize>> = Vec::with_capacity(examples.len());
        let mut buf = Vec::new();
        for e in examples {
            let section = if e.section == "plans" {
                Section::Plans
            } else {
                Section::Analysis
            };
            // As the linter scores it: chat-style lower case with capitals put back.
            let edited = crate::subject::truecase(&e.sentence);
            features(section, edited.as_deref().unwrap_or(&e.sentence), &mut buf);
            let mut row: Vec<usize> = buf
                .iter()
                .map(|&(f, _)| {
                    let n = index.len();
                    *index.entry(key(f)).or_insert(n)
                })
                .collect();
            if seen_in.len() < index.len() {
                seen_in.resize(index.len(), 0);
            }
            let mut once = row.clone();
            once.sort_unstable();
            once.dedup();
            for &f in &once {
                seen_in[f] += 1;
            }
            rows.push(std::mem::take(&mut row));
        }
        for row in &mut rows {
            row.retain(|&f| seen_in[f] >= MIN_SENTENCES);
        }
        let mut w = vec![0.0f64; index.len()];
        let mut g2 = vec![1e-8f64; index.len()];
        let mut bias = 0.0f64;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..EPOCHS {
            // Fisher-Yates with xorshift64: fixed, so training is repeatable.
            for i in (1..order.len()).rev() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                order.swap(i, (rng % (i as u64 + 1)) as usize);
            }
            for &r in &order {
                let row = &rows[r];
                let z: f64 = bias + row.iter().map(|&f| w[f]).sum::<f64>();
                let p = 1.0 / (1.0 + (-z.clamp(-30.0, 30.0)).exp());
                let g = p - if examples[r].blame { 1.0 } else { 0.0 };
                bias -= BIAS_STEP * g;
                for &f in row {
                    let gf = g + L2 * w[f];
                    g2[f] += gf * gf;
                    w[f] -= STEP * gf / g2[f].sqrt();
                }
            }
        }
        let mut weights: HashMap<u32, f32, BuildHasherDefault<Prehashed>> = HashMap::default();
        for (f, i) in index {
            if seen_in[i] >= MIN_SENTENCES && w[i] != 0.0 {
                weights.insert(f, w[i] as f32);
            }
        }
        Model {
            bias: bias as f32,
            weights,
            threshold: THRESHOLD,
        }
    }

    /// The model as bytes: a magic tag, the bias, the number of weights, then each weight's
    /// key and value in key order (little-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut keys: Vec<(&u32, &f32)> = self.weights.iter().collect();
        keys.sort_unstable_by_key(|(k, _)| **k);
        let mut out = Vec::with_capacity(16 + keys.len() * 8);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.bias.to_le_bytes());
        out.extend_from_slice(&(keys.len() as u32).to_le_bytes());
        for (k, v) in keys {
            out.extend_from_slice(&k.to_le_bytes());
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Reads what [`Model::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, String> {
        let word = |at: usize| -> Result<[u8; 4], String> {
            bytes
                .get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| format!("a model of {} bytes is cut short", bytes.len()))
        };
        if bytes.get(..8) != Some(MAGIC) {
            return Err("not a debrief lint model".into());
        }
        let bias = f32::from_le_bytes(word(8)?);
        let n = u32::from_le_bytes(word(12)?) as usize;
        if bytes.len() != 16 + n * 8 {
            return Err(format!("a model of {n} weights in {} bytes", bytes.len()));
        }
        let mut weights = HashMap::with_capacity_and_hasher(n, BuildHasherDefault::default());
        for i in 0..n {
            let at = 16 + i * 8;
            weights.insert(
                u32::from_le_bytes(word(at)?),
                f32::from_le_bytes(word(at + 4)?),
            );
        }
        Ok(Model {
            bias,
            weights,
            threshold: THRESHOLD,
        })
    }

    /// The model with another threshold, to measure what a threshold gives.
    pub fn with_threshold(mut self, threshold: f64) -> Model {
        self.threshold = threshold;
        self
    }

    /// Whether a score is high enough for a finding.
    pub fn blames(&self, score: f64) -> bool {
        score > self.threshold
    }

    /// The sentence's score (log-odds that it blames) and the span of its strongest
    /// blaming word, pair or triple, if any.
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
        let mut total = f64::from(self.bias);
        let mut best: Option<(f32, (usize, usize))> = None;
        for &(f, span) in feats {
            let Some(&w) = self.weights.get(&key(f)) else {
                continue;
            };
            total += f64::from(w);
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

    fn ex(blame: bool, s: &str) -> Example {
        Example {
            blame,
            section: "analysis".into(),
            sentence: s.into(),
        }
    }

    #[test]
    fn it_learns_which_words_go_with_blame() {
        let examples = [
            ex(true, "Bob was sloppy again."),
            ex(true, "Ana was sloppy with the keys."),
            ex(true, "Then Lee was sloppy today."),
            ex(false, "Bob was on time again."),
            ex(false, "Ana was quick with the keys."),
            ex(false, "Then Lee was calm."),
            ex(false, "The job was slow again."),
            ex(false, "The keys rotated on time."),
            ex(false, "The job rotated the keys."),
        ];
        let m = Model::train(&examples);
        // A word in one sentence only gets no weight.
        let (only_once, _) = m.score(Section::Analysis, "today");
        let (nothing, _) = m.score(Section::Analysis, "");
        assert_eq!(only_once, nothing);
        let (blamey, span) = m.score(Section::Analysis, "Kim was sloppy.");
        let (plain, _) = m.score(Section::Analysis, "The job rotated.");
        assert!(blamey > 0.0 && plain < 0.0, "{blamey} {plain}");
        let (a, b) = span.expect("a blaming word");
        assert!("Kim was sloppy."[a..b].contains("sloppy"));
        // Names are one class: a name never seen in training still makes the triple
        // "PERSON was sloppy", which a job does not.
        let (name, _) = m.score(Section::Analysis, "Then Zbigniew was sloppy.");
        let (thing, _) = m.score(Section::Analysis, "Then the job was sloppy.");
        assert!(name > thing, "{name} {thing}");
    }

    #[test]
    fn it_reads_what_it_writes_and_refuses_anything_else() {
        let m = Model::train(&[
            ex(true, "Bob was sloppy."),
            ex(true, "Ana was sloppy."),
            ex(false, "The job was slow."),
            ex(false, "The job was late."),
        ]);
        let bytes = m.to_bytes();
        assert_eq!(Model::from_bytes(&bytes).unwrap(), m);
        assert!(Model::from_bytes(b"nonsense").is_err());
        assert!(Model::from_bytes(&bytes[..bytes.len() - 3]).is_err());
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0; 8]);
        assert!(Model::from_bytes(&longer).is_err());
    }

    #[test]
    fn the_built_in_model_is_what_its_training_sets_give() {
        let trained = Model::train(&training_examples());
        assert!(
            trained.to_bytes() == include_bytes!("model.bin"),
            "src/model.bin is stale: run `cargo run --release -p debrief-lint --example \
             train-model` after changing the training sets or the features"
        );
        let m = Model::builtin();
        assert!(m.weights.len() > 20_000, "{}", m.weights.len());
        let (s, _) = m.score(
            Section::Analysis,
            "Honestly, Raj just couldn't be trusted with prod.",
        );
        assert!(s > 0.0, "{s}");
        let (s, _) = m.score(Section::Analysis, "The cache warmed up in four minutes.");
        assert!(s < 0.0, "{s}");
    }
}
