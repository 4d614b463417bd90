//! Template mining: distinct masked messages ("sequences") grouped into templates.
//!
//! Mining has two steps. While lines stream in, each masked message is counted in
//! [`Sequences`], a map from the masked text to its count: one hash lookup a line, and
//! maps from several threads (or several runs) add up, whatever their order. Then
//! [`cluster`] groups the distinct sequences into templates. It looks only at the set of
//! sequences and their counts, sorted first, so the templates — and their fingerprints —
//! are the same on every run, on every machine and with any number of threads, and mining
//! A then B gives what mining A and B together gives.
//!
//! Memory grows with the number of distinct sequences, not with the input. A cap
//! ([`MinerConfig::max_sequences`]) bounds it: past the cap, a new sequence is counted under
//! the overflow template `<*>` (and the overflow is reported).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::mask::VAR;

/// Settings of the miner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinerConfig {
    /// How many distinct masked messages are kept at most.
    pub max_sequences: usize,
}

impl Default for MinerConfig {
    fn default() -> MinerConfig {
        MinerConfig {
            max_sequences: 200_000,
        }
    }
}

/// Distinct masked messages and how often each was seen.
#[derive(Debug, Clone, Default)]
pub struct Sequences {
    /// Each distinct key, and where its counts are in `seen`.
    index: FxHashMap<Box<str>, u32>,
    seen: Vec<Seen>,
    /// Where the keys of recent stamps were counted ([`Sequences::add_stamped`]), by stamp
    /// modulo its length: the stamp, the place in `seen`, and whether it was the overflow.
    by_stamp: Vec<(u64, u32, bool)>,
    max: usize,
    /// Lines counted under the overflow template because the cap was reached.
    pub overflow: u64,
}

/// How many stamps [`Sequences`] remembers (a power of two): the line cache's size.
const STAMPS: usize = 1024;

/// What is known of one sequence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seen {
    pub count: u64,
    /// Lines of it that declared a level of error or worse.
    pub failing: u64,
}

impl Seen {
    pub fn add(&mut self, other: Seen) {
        self.count += other.count;
        self.failing += other.failing;
    }
}

/// The key that stands for every sequence past the cap.
pub const OVERFLOW: &str = VAR;

impl Sequences {
    pub fn new(config: MinerConfig) -> Sequences {
        Sequences {
            index: FxHashMap::default(),
            seen: Vec::new(),
            by_stamp: Vec::new(),
            max: config.max_sequences.max(1),
            overflow: 0,
        }
    }

    /// Counts `n` lines of the masked message `key`; returns the key it was counted under
    /// (the key itself, or [`OVERFLOW`] past the cap).
    pub fn add<'k>(&mut self, key: &'k str, seen: Seen) -> &'k str {
        if self.count(key, seen).1 {
            OVERFLOW
        } else {
            key
        }
    }

    /// [`Sequences::add`] for a key that comes with a stamp: a number that stands for that
    /// key and no other, wherever it is met (the line cache's, `header::split_and_key_then`;
    /// 0 for none). A stamp met again is counted where it was counted before, without
    /// looking its key up.
    pub fn add_stamped(&mut self, stamp: u64, key: &str, seen: Seen) {
        if stamp == 0 {
            self.count(key, seen);
            return;
        }
        if self.by_stamp.is_empty() {
            self.by_stamp = vec![(0, 0, false); STAMPS];
        }
        let at = stamp as usize & (STAMPS - 1);
        let (known, i, overflowed) = self.by_stamp[at];
        if known == stamp {
            self.seen[i as usize].add(seen);
            if overflowed {
                self.overflow += seen.count;
            }
            return;
        }
        let (i, overflowed) = self.count(key, seen);
        self.by_stamp[at] = (stamp, i, overflowed);
    }

    /// Counts `seen` under `key` (or the overflow): where, and whether it was the overflow.
    fn count(&mut self, key: &str, seen: Seen) -> (u32, bool) {
        if let Some(&i) = self.index.get(key) {
            self.seen[i as usize].add(seen);
            return (i, false);
        }
        if self.index.len() >= self.max {
            self.overflow += seen.count;
            return (self.entry(OVERFLOW.into(), seen), true);
        }
        (self.push(key.into(), seen), false)
    }

    /// Adds `seen` to `key`'s counts, making them if need be.
    fn entry(&mut self, key: Box<str>, seen: Seen) -> u32 {
        let next = self.next();
        match self.index.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => {
                self.seen[*e.get() as usize].add(seen);
                *e.get()
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(next);
                self.seen.push(seen);
                next
            }
        }
    }

    /// Counts for a key not counted yet.
    fn push(&mut self, key: Box<str>, seen: Seen) -> u32 {
        let next = self.next();
        self.index.insert(key, next);
        self.seen.push(seen);
        next
    }

    /// Where the next key's counts go.
    fn next(&self) -> u32 {
        u32::try_from(self.seen.len()).expect("fewer than 2^32 sequences")
    }

    /// Adds another map's counts to this one.
    pub fn merge(&mut self, other: Sequences) {
        self.overflow += other.overflow;
        for (k, i) in other.index {
            let n = other.seen[i as usize];
            if self.index.len() >= self.max && !self.index.contains_key(&k) {
                self.overflow += n.count;
                self.entry(OVERFLOW.into(), n);
            } else {
                self.entry(k, n);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Seen)> {
        self.index
            .iter()
            .map(|(k, &i)| (&**k, self.seen[i as usize]))
    }
}

/// One template: the text with `<*>` for variables, and a stable fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    pub fingerprint: String,
    pub text: String,
    /// Lines counted under this template.
    pub count: u64,
    /// Lines of it that declared a level of error or worse.
    pub failing: u64,
}

/// Templates, and which template each sequence belongs to.
#[derive(Debug, Clone, Default)]
pub struct Clustering {
    /// In a stable order: by count, most first, then by text.
    pub templates: Vec<Template>,
    by_key: FxHashMap<Box<str>, u32>,
}

impl Clustering {
    /// The index in [`Clustering::templates`] of the template a sequence belongs to.
    pub fn template_of(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).map(|&i| i as usize)
    }

    pub fn template(&self, key: &str) -> Option<&Template> {
        self.template_of(key).map(|i| &self.templates[i])
    }
}

/// The stable fingerprint of a template's text: 16 hex digits of its XXH3 hash.
pub fn fingerprint(text: &str) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// Groups sequences into templates. The result depends only on the set of `(key, count)`
/// pairs, not on their order.
pub fn cluster<'a>(sequences: impl IntoIterator<Item = (&'a str, Seen)>) -> Clustering {
    // Sort first, so nothing below can depend on the order of the input.
    let mut seqs: Vec<(&str, Seen)> = sequences.into_iter().collect();
    seqs.sort_unstable_by(|a, b| a.0.cmp(b.0));
    seqs.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1.add(b.1);
            true
        } else {
            false
        }
    });

    let groups = group(&seqs);

    // Templates from groups; order by count, then text.
    let mut made: BTreeMap<String, (Seen, Vec<&str>)> = BTreeMap::new();
    for members in groups {
        let toks: Vec<Vec<&str>> = members.iter().map(|&i| tokens(seqs[i].0)).collect();
        let text = merge_text(&toks);
        let entry = made.entry(text).or_default();
        for &i in &members {
            entry.0.add(seqs[i].1);
            entry.1.push(seqs[i].0);
        }
    }
    let mut list: Vec<(String, Seen, Vec<&str>)> = made
        .into_iter()
        .map(|(t, (n, keys))| (t, n, keys))
        .collect();
    list.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(&b.0)));
    let mut out = Clustering::default();
    for (i, (text, seen, keys)) in list.into_iter().enumerate() {
        for k in keys {
            out.by_key.insert(k.into(), i as u32);
        }
        out.templates.push(Template {
            fingerprint: fingerprint(&text),
            text,
            count: seen.count,
            failing: seen.failing,
        });
    }
    out
}

fn tokens(key: &str) -> Vec<&str> {
    if key.is_empty() {
        Vec::new()
    } else {
        key.split(' ').collect()
    }
}

/// Rounds of merging at most (each round only merges, so this bounds the work).
const MAX_ROUNDS: usize = 8;

/// A template under construction: its tokens and the sequences it holds.
#[derive(Debug, Clone)]
struct Node {
    tokens: Vec<String>,
    members: Vec<usize>,
}

/// Partitions the sorted sequences into groups (indices into `seqs`).
///
/// Starting from one group per sequence, *subsumption* runs until nothing changes: a
/// sequence that is an instance of a more general one of the same length (where the general
/// one has `<*>`, the instance has anything, and everywhere else the same tokens) joins it.
/// `rhost=example.org` is an instance of `rhost=<*>`.
///
/// Sequences that differ in a word but have no general sibling stay apart: from the text
/// alone, `session closed for user news` and `VM Resumed (Lifecycle Event)` look the same,
/// and merging `VM Resumed`, `VM Paused` and `VM Stopped` would hide what happened.
///
/// Every step looks at the whole set in sorted order, so the outcome depends on the set only.
fn group(seqs: &[(&str, Seen)]) -> Vec<Vec<usize>> {
    let mut nodes: Vec<Node> = seqs
        .iter()
        .enumerate()
        .map(|(i, (k, _))| Node {
            tokens: tokens(k).into_iter().map(str::to_string).collect(),
            members: vec![i],
        })
        .collect();
    for _ in 0..MAX_ROUNDS {
        let before = nodes.len();
        nodes = merge_subsumed(nodes);
        if nodes.len() == before {
            break;
        }
    }
    nodes.into_iter().map(|n| n.members).collect()
}

/// Joins nodes with the same tokens, keeping the result sorted by tokens.
fn normalize(mut nodes: Vec<Node>) -> Vec<Node> {
    nodes.sort_by(|a, b| a.tokens.cmp(&b.tokens));
    let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
    for n in nodes {
        match out.last_mut() {
            Some(last) if last.tokens == n.tokens => last.members.extend(n.members),
            _ => out.push(n),
        }
    }
    for n in &mut out {
        n.members.sort_unstable();
    }
    out
}

fn is_var(tok: &str) -> bool {
    tok.contains(VAR)
}

/// Whether `tok` is an instance of `pattern`, where `<*>` in the pattern stands for any run
/// of characters (possibly none).
fn token_matches(pattern: &str, tok: &str) -> bool {
    if !pattern.contains(VAR) {
        return pattern == tok;
    }
    let parts: Vec<&str> = pattern.split(VAR).collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !tok.starts_with(first) || tok.len() < first.len() + last.len() || !tok.ends_with(last) {
        return false;
    }
    let mut rest = &tok[first.len()..tok.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Merges each node into the most specific strictly more general node that covers it.
fn merge_subsumed(nodes: Vec<Node>) -> Vec<Node> {
    // Index the general nodes (those with a variable and a constant) by their first
    // constant token and its position.
    let mut index: FxHashMap<(usize, usize, &str), Vec<usize>> = FxHashMap::default();
    for (i, n) in nodes.iter().enumerate() {
        if !n.tokens.iter().any(|t| is_var(t)) {
            continue;
        }
        if let Some(p) = n.tokens.iter().position(|t| !is_var(t)) {
            index
                .entry((n.tokens.len(), p, n.tokens[p].as_str()))
                .or_default()
                .push(i);
        }
    }
    if index.is_empty() {
        return nodes;
    }
    let mut target: Vec<usize> = (0..nodes.len()).collect();
    for (i, n) in nodes.iter().enumerate() {
        let len = n.tokens.len();
        let mut best: Option<(usize, usize)> = None; // (variables, index)
        for (p, tok) in n.tokens.iter().enumerate() {
            let Some(cands) = index.get(&(len, p, tok.as_str())) else {
                continue;
            };
            for &g in cands {
                if g == i {
                    continue;
                }
                let gt = &nodes[g].tokens;
                let mut widened = 0;
                let covers = gt.iter().zip(&n.tokens).all(|(pat, t)| {
                    if pat == t {
                        true
                    } else if token_matches(pat, t) {
                        widened += 1;
                        true
                    } else {
                        false
                    }
                });
                // At most a third of the tokens may be widened, so a template of mostly
                // variables does not swallow unrelated lines.
                if !covers || widened == 0 || widened * 3 > len.max(3) {
                    continue;
                }
                let vars = gt.iter().filter(|t| is_var(t)).count();
                if best.is_none_or(|(bv, bi)| (vars, g) < (bv, bi)) {
                    best = Some((vars, g));
                }
            }
        }
        if let Some((_, g)) = best {
            target[i] = g;
        }
    }
    // Follow chains (a → b → c) to their end; targets only ever point to more general
    // nodes, so chains end.
    let resolve = |mut i: usize| {
        let mut steps = 0;
        while target[i] != i && steps < nodes.len() {
            i = target[i];
            steps += 1;
        }
        i
    };
    let roots: Vec<usize> = (0..nodes.len()).map(resolve).collect();
    let mut merged: Vec<Node> = nodes
        .iter()
        .map(|n| Node {
            tokens: n.tokens.clone(),
            members: Vec::new(),
        })
        .collect();
    for (i, n) in nodes.into_iter().enumerate() {
        merged[roots[i]].members.extend(n.members);
    }
    normalize(
        merged
            .into_iter()
            .filter(|n| !n.members.is_empty())
            .collect(),
    )
}

/// The variable token that covers several values: their common prefix up to a delimiter,
/// `<*>`, and their common suffix from a delimiter (`user=a`, `user=b` → `user=<*>`).
fn widen(values: &[&str]) -> String {
    let delim = |c: char| !c.is_alphanumeric();
    let first = values[0];
    let mut prefix = first.len();
    let mut suffix = first.len();
    for v in &values[1..] {
        prefix = prefix.min(common_prefix(first, v));
        suffix = suffix.min(common_suffix(first, v));
    }
    // Cut the prefix back to just after a delimiter, the suffix to start at one.
    let mut pre = &first[..prefix];
    while let Some(c) = pre.chars().next_back() {
        if delim(c) {
            break;
        }
        pre = &pre[..pre.len() - c.len_utf8()];
    }
    let mut suf = &first[first.len() - suffix..];
    while let Some(c) = suf.chars().next() {
        if delim(c) {
            break;
        }
        suf = &suf[c.len_utf8()..];
    }
    if pre.len() + suf.len() > first.len() {
        suf = "";
    }
    format!("{pre}{VAR}{suf}")
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .take_while(|((_, x), y)| x == y)
        .last()
        .map_or(0, |((i, x), _)| i + x.len_utf8())
}

fn common_suffix(a: &str, b: &str) -> usize {
    a.chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum()
}

/// The template text of a group: the node's tokens where all members agree, `<*>` where
/// they differ.
fn merge_text(toks: &[Vec<&str>]) -> String {
    let first = &toks[0];
    if toks.iter().any(|t| t.len() != first.len()) {
        return VAR.to_string();
    }
    let mut out = String::new();
    for (c, tok) in first.iter().enumerate() {
        if c > 0 {
            out.push(' ');
        }
        let col: Vec<&str> = toks.iter().map(|t| t[c]).collect();
        if col.iter().all(|t| t == tok) {
            out.push_str(tok);
        } else {
            out.push_str(&widen(&col));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_in_any_order() {
        let n = |count| Seen { count, failing: 0 };
        let mut a = Sequences::new(MinerConfig::default());
        a.add("x <*>", n(2));
        a.add("y", n(1));
        let mut b = Sequences::new(MinerConfig::default());
        b.add("y", n(4));
        b.add("z", n(1));
        let mut ab = a.clone();
        ab.merge(b.clone());
        let mut ba = b;
        ba.merge(a);
        let mut l1: Vec<_> = ab.iter().collect();
        let mut l2: Vec<_> = ba.iter().collect();
        l1.sort();
        l2.sort();
        assert_eq!(l1, l2);
        assert_eq!(l1, [("x <*>", n(2)), ("y", n(5)), ("z", n(1))]);
    }

    fn sorted(s: &Sequences) -> Vec<(String, Seen)> {
        let mut v: Vec<(String, Seen)> = s.iter().map(|(k, n)| (k.to_string(), n)).collect();
        v.sort();
        v
    }

    proptest::proptest! {
        /// Counting through stamps (each stamp stands for one key; a key may have several
        /// stamps, or none) counts as counting by key, past the cap too, and stamps that
        /// share a place in the memo do not mix.
        #[test]
        fn stamped_counts_are_the_counts_by_key(
            lines in proptest::collection::vec((0usize..6, 0u64..4, 1u64..4, proptest::bool::ANY), 0..60),
            cap in 1usize..8,
        ) {
            let config = MinerConfig { max_sequences: cap };
            let (mut by_key, mut stamped) = (Sequences::new(config), Sequences::new(config));
            for &(k, variant, count, failing) in &lines {
                let key = format!("key {k}");
                // 0: no stamp; else stamps 1024 apart, so that they share a memo place.
                let stamp = if variant == 0 { 0 } else { (k as u64 * 3 + variant) * STAMPS as u64 };
                let seen = Seen { count, failing: if failing { count } else { 0 } };
                by_key.add(&key, seen);
                stamped.add_stamped(stamp, &key, seen);
            }
            proptest::prop_assert_eq!(sorted(&stamped), sorted(&by_key));
            proptest::prop_assert_eq!(stamped.overflow, by_key.overflow);
        }
    }

    #[test]
    fn the_cap_bounds_memory_and_counts_overflow() {
        let mut s = Sequences::new(MinerConfig { max_sequences: 2 });
        let one = Seen {
            count: 1,
            failing: 0,
        };
        assert_eq!(s.add("a", one), "a");
        assert_eq!(s.add("b", one), "b");
        assert_eq!(
            s.add(
                "c",
                Seen {
                    count: 3,
                    failing: 0
                }
            ),
            OVERFLOW
        );
        assert_eq!(s.add("a", one), "a");
        assert_eq!(s.overflow, 3);
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn fingerprints_are_stable() {
        // Pinned: a fingerprint is part of the interface and must never change.
        assert_eq!(fingerprint("Connection refused"), "900acea6b43502a5");
        assert_eq!(fingerprint("").len(), 16);
    }
}
