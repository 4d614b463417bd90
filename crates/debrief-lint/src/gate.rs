//! Which sentences a rule can match at all, found for every rule in one pass.
//!
//! Most rules are long alternations whose every match contains one of a few words
//! ("obviously", "careless", "failed to"). Those words are worked out from each pattern's
//! syntax (see [`required_literals`]); one Aho-Corasick automaton over all of them finds the
//! sentences each rule needs to look at, and the rule's regex runs on those alone. A rule
//! whose matches need no particular word runs on every sentence.

use aho_corasick::{AhoCorasick, MatchKind};
use regex_syntax::hir::{Hir, HirKind};

/// The shortest literal worth searching for: shorter ones ("is", "a") are everywhere.
const MIN_LITERAL: usize = 3;

/// Literals of which every match of `hir` contains at least one, or `None` when no such
/// small set is known. For a sequence the most selective part's set is kept; for an
/// alternation, the union of its branches' sets (unknown if any branch is unknown).
pub fn required_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Literal(lit) => {
            (lit.0.len() >= MIN_LITERAL && !common(&lit.0)).then(|| vec![lit.0.to_vec()])
        }
        HirKind::Capture(c) => required_literals(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required_literals(&r.sub),
        HirKind::Concat(parts) => {
            // Neighbouring literals in one word: "fail" + "ed" is not split by the parser,
            // but "fail" + "(ed|s)" is; each part is judged alone.
            parts
                .iter()
                .filter_map(required_literals)
                .max_by_key(|set| score(set))
        }
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(required_literals(b)?);
            }
            all.sort();
            all.dedup();
            Some(all)
        }
        _ => None,
    }
}

/// Words so common that a rule gated on them would search nearly every sentence: the
/// rule's regex does better on its own.
fn common(lit: &[u8]) -> bool {
    matches!(
        lit,
        b"the"
            | b"was"
            | b"were"
            | b"and"
            | b"had"
            | b"has"
            | b"have"
            | b"did"
            | b"not"
            | b"for"
            | b"with"
            | b"that"
            | b"this"
            | b"are"
            | b"but"
            | b"from"
            | b"they"
            | b"his"
            | b"her"
            | b"their"
            | b"our"
            | b"its"
            | b"all"
            | b"any"
            | b"who"
            | b"which"
            | b"been"
            | b"will"
            | b"would"
            | b"should"
            | b"could"
            | b"can"
    )
}

/// How selective a set of literals is: its shortest literal's length first, then fewness.
fn score(set: &[Vec<u8>]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
    (shortest.min(8), std::cmp::Reverse(set.len()))
}

/// The automaton over every gated rule's literals.
#[derive(Debug, Clone)]
pub struct Gate {
    searcher: Option<AhoCorasick>,
    /// For each literal of the automaton, the rules (by index) it stands for.
    owners: Vec<Vec<usize>>,
    /// For each rule, whether it is gated (false: it runs on every sentence).
    gated: Vec<bool>,
}

impl Gate {
    /// A gate for rules given by their required literals, in rule order.
    pub fn new(literals: &[Option<Vec<Vec<u8>>>]) -> Gate {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        for (rule, set) in literals.iter().enumerate() {
            for lit in set.iter().flatten() {
                match patterns.iter().position(|p| p == lit) {
                    Some(at) => owners[at].push(rule),
                    None => {
                        patterns.push(lit.clone());
                        owners.push(vec![rule]);
                    }
                }
            }
        }
        let searcher = (!patterns.is_empty()).then(|| {
            AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .expect("literals make an automaton")
        });
        Gate {
            searcher,
            owners,
            gated: literals.iter().map(Option::is_some).collect(),
        }
    }

    /// For each rule, the sentences it needs to search, as indices into `starts` (the byte
    /// where each sentence begins in `text`), or `None` for all of them.
    pub fn candidates(&self, text: &str, starts: &[usize]) -> Vec<Option<Vec<usize>>> {
        let mut out: Vec<Option<Vec<usize>>> =
            self.gated.iter().map(|&g| g.then(Vec::new)).collect();
        if let Some(searcher) = &self.searcher {
            for m in searcher.find_overlapping_iter(text) {
                let sentence = starts.partition_point(|&s| s <= m.start()) - 1;
                for &rule in &self.owners[m.pattern().as_usize()] {
                    if let Some(list) = &mut out[rule] {
                        // Matches come in order of where they end: a sentence's come together.
                        if list.last() != Some(&sentence) {
                            list.push(sentence);
                        }
                    }
                }
            }
        }
        for list in out.iter_mut().flatten() {
            list.sort_unstable();
            list.dedup();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(pattern: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::parse(pattern).unwrap();
        required_literals(&hir).map(|v| {
            v.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn every_match_holds_one_of_the_literals() {
        let human = lits(r"\bhuman[- ]errors?\b").unwrap();
        assert!(human == ["human"] || human == ["error"], "{human:?}");
        assert_eq!(
            lits(r"(is|was|were)\s+(obvious|evident)\s+(that|from)"),
            Some(vec!["evident".into(), "obvious".into()])
        );
        assert_eq!(lits(r"\bfail(ed|s)?\s+to\s+\w+"), Some(vec!["fail".into()]));
        // A branch with no literal of its own leaves the rule ungated.
        assert_eq!(lits(r"careless|\w+\s+ox"), None);
        assert_eq!(
            lits(r"careless|\w+ly\s+bad"),
            Some(vec!["bad".into(), "careless".into()])
        );
        assert_eq!(lits(r"(careless)?\s+x"), None);
    }
}
