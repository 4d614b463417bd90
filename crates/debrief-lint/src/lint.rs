//! Findings: rules matched against sentences, kept only when the sentence means them.
//!
//! A pattern alone is right about one time in three on real post-mortems (the catalogue in
//! `../shared/data/blame` measured it). What decides most cases:
//! - the subject: "the deploy failed to complete" describes a machine, "Bob failed to check"
//!   a person (`subject: person` rules ask for a person or a role before the verb);
//! - denial and quotation: "this was not human error", `we avoid "human error"`;
//! - the section: "should" in an action item is a plan, in the analysis a counterfactual.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::prose::{Prose, Section, Sentence};
use crate::rules::{Level, Rule, Rules, Subject, Where};
use crate::subject::{self, Who};

/// One finding, with 1-based lines and columns (columns in characters; the end column is
/// the one after the span).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What names this finding across runs and edits elsewhere in the document: the rule
    /// and a hash of the sentence's words and the span (see [`finding_id`]).
    pub id: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub rule: String,
    pub level: Level,
    pub message: String,
    pub suggestion: String,
    /// Why the finding stands, when the review's authors acknowledged it (stored reviews
    /// only): it is still shown, but no longer makes the run fail or blocks publishing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<String>,
    /// The sentence the finding is in.
    #[serde(skip)]
    pub sentence: String,
    /// Where the span is in `sentence` (bytes).
    #[serde(skip)]
    pub span: (usize, usize),
    /// Where the sentence starts in the source (bytes).
    #[serde(skip)]
    pub sentence_start: usize,
    /// Switched off by a comment in the document: kept while linting (so the model does not
    /// raise what the author silenced), dropped from the result.
    #[serde(skip)]
    suppressed: bool,
}

/// A finding's id: `rule-xxxxxxxx`, where the hex digits are a 32-bit FNV-1a hash of the
/// sentence's words (white space folded, so rewrapping a paragraph keeps it) and the span.
/// It does not depend on the file, the line or the debrief version, so an acknowledgement
/// stored with a review holds until the sentence itself changes.
pub fn finding_id(rule: &str, sentence: &str, span: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u32::from(b);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    };
    for word in sentence.split_whitespace() {
        feed(word.as_bytes());
        feed(b" ");
    }
    feed(b"\0");
    feed(span.as_bytes());
    format!("{rule}-{hash:08x}")
}

/// Line starts of a text, to turn byte offsets into lines and columns.
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// 1-based line and character column of byte `at`.
    fn position(&self, at: usize) -> (usize, usize) {
        let at = at.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= at).max(1);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..at)
            .map_or(at - start, |s| s.chars().count());
        (line, column + 1)
    }
}

/// Lints a document's prose with `rules`; `file` names it in the findings.
pub fn lint(text: &str, prose: &Prose, rules: &Rules, file: &str) -> Vec<Finding> {
    lint_with(text, prose, rules, crate::model::Model::builtin(), file)
}

/// [`lint`] with another learned model than the built-in one (to measure it on sentences
/// it was not trained on).
pub fn lint_with(
    text: &str,
    prose: &Prose,
    rules: &Rules,
    model: &crate::model::Model,
    file: &str,
) -> Vec<Finding> {
    let lines = Lines::new(text);
    let sentences = &prose.sentences;
    // A long document is linted in parts, one a core: the sentences are independent.
    let bytes: usize = sentences.iter().map(|s| s.text.len()).sum();
    let parts = if bytes < PART_BYTES {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(bytes / PART_BYTES)
            .clamp(1, 8)
    };
    let mut findings = if parts == 1 {
        lint_part(sentences, prose, rules, model, &lines, file)
    } else {
        let mut chunks = Vec::with_capacity(parts);
        let (mut from, mut size) = (0, 0);
        for (i, s) in sentences.iter().enumerate() {
            size += s.text.len();
            if size * parts >= bytes * (chunks.len() + 1) && chunks.len() + 1 < parts {
                chunks.push(&sentences[from..=i]);
                from = i + 1;
            }
        }
        chunks.push(&sentences[from..]);
        std::thread::scope(|scope| {
            let lines = &lines;
            let running: Vec<_> = chunks
                .into_iter()
                .map(|chunk| {
                    scope.spawn(move || lint_part(chunk, prose, rules, model, lines, file))
                })
                .collect();
            running
                .into_iter()
                .flat_map(|r| r.join().expect("a lint thread does not panic"))
                .collect()
        })
    };
    findings.sort_by(|x, y| (x.line, x.column, &x.rule).cmp(&(y.line, y.column, &y.rule)));
    keep_strongest(findings)
}

/// Below this many bytes of prose, a document is linted on one thread.
const PART_BYTES: usize = 128 * 1024;

/// The findings in some of a document's sentences, suppressed ones dropped.
fn lint_part(
    sentences: &[Sentence],
    prose: &Prose,
    rules: &Rules,
    model: &crate::model::Model,
    lines: &Lines<'_>,
    file: &str,
) -> Vec<Finding> {
    // All sentences in one text, a line each: a rule searches it in one pass instead of once
    // a sentence, which for short sentences costs more in set-up than in searching.
    let mut all = String::with_capacity(sentences.iter().map(|s| s.text.len() + 1).sum());
    let mut starts = Vec::with_capacity(sentences.len());
    for s in sentences {
        starts.push(all.len());
        all.push_str(&s.text);
        all.push('\n');
    }
    // Patterns are written in lower case and matched case-sensitively against this copy:
    // ASCII lower-casing keeps every byte offset.
    all.make_ascii_lowercase();
    let mut findings = Vec::new();
    let candidates = rules.gate().candidates(&all, &starts);
    for (rule, candidates) in rules.iter().zip(candidates) {
        if rule.model {
            // Its pattern never matches: the model's findings come below.
            continue;
        }
        if let Some(list) = candidates {
            // Only the sentences that hold one of the rule's words.
            for i in list {
                let text = &all[starts[i]..starts[i] + sentences[i].text.len()];
                for found in matches(rule, text) {
                    findings.extend(finding(rule, &sentences[i], found, prose, lines, file));
                }
            }
            continue;
        }
        let mut done_until = 0;
        for (a, b, subject) in matches(rule, &all) {
            if a < done_until || a == b {
                continue;
            }
            let first = starts.partition_point(|&st| st <= a) - 1;
            let first_end = starts[first] + sentences[first].text.len();
            if b <= first_end {
                let shift = |x: usize| x - starts[first];
                let found = (
                    shift(a),
                    shift(b),
                    subject.map(|(x, y)| (shift(x), shift(y))),
                );
                findings.extend(finding(rule, &sentences[first], found, prose, lines, file));
                continue;
            }
            // A match across sentences means nothing; search each of them on its own.
            let last = starts.partition_point(|&st| st < b) - 1;
            for sentence in &sentences[first..=last] {
                for found in matches(rule, &sentence.text.to_ascii_lowercase()) {
                    findings.extend(finding(rule, sentence, found, prose, lines, file));
                }
            }
            done_until = starts[last] + sentences[last].text.len() + 1;
        }
    }
    if rules.iter().any(|r| r.model) {
        second_opinion(&mut findings, sentences, model);
    }
    if let Some(rule) = rules.iter().find(|r| r.model) {
        // Sentences that name someone (in chat-style lower case too).
        let candidates: Vec<usize> = (0..sentences.len())
            .filter(|&i| {
                let text = &sentences[i].text;
                subject::names_someone(text)
                    || subject::truecase(text).is_some_and(|e| subject::names_someone(&e))
            })
            .collect();
        findings.extend(model_findings(
            rule,
            model,
            &findings,
            candidates.iter().map(|&i| &sentences[i]),
            prose,
            lines,
            file,
        ));
    }
    findings.retain(|f| !f.suppressed);
    findings
}

/// Where a rule and the learned model disagree strongly (the model reads the sentence as
/// blameless with log-odds below [`crate::model::VETO_WARNING`], or
/// [`crate::model::VETO_ERROR`] for an error), the rule's finding stays, as a suggestion that
/// says so: most such sentences discuss blame rather than assign it ("blaming the on-call
/// would teach people to hide near misses").
fn second_opinion(findings: &mut [Finding], sentences: &[Sentence], model: &crate::model::Model) {
    let mut scores: std::collections::HashMap<usize, f64> = std::collections::HashMap::new();
    for f in findings.iter_mut().filter(|f| f.level >= Level::Warning) {
        let veto = if f.level == Level::Error {
            crate::model::VETO_ERROR
        } else {
            crate::model::VETO_WARNING
        };
        let score = *scores.entry(f.sentence_start).or_insert_with(|| {
            sentences
                .iter()
                .find(|s| s.source.first() == Some(&f.sentence_start))
                .map_or(0.0, |s| {
                    let edited = subject::truecase(&s.text);
                    model
                        .score(s.section, edited.as_deref().unwrap_or(&s.text))
                        .0
                })
        });
        if score < veto {
            f.level = Level::Suggestion;
            f.message.push_str(
                " (A suggestion only: the learned model reads this sentence as blameless.)",
            );
        }
    }
}

/// The longest sentence the model scores (about sixty words).
const MODEL_MAX_BYTES: usize = 400;

/// The learned model's findings: sentences no rule flagged (at any level), that name a
/// person, a role or a team, and that the model scores as blame.
fn model_findings<'s>(
    rule: &Rule,
    model: &crate::model::Model,
    found: &[Finding],
    candidates: impl Iterator<Item = &'s Sentence>,
    prose: &Prose,
    lines: &Lines<'_>,
    file: &str,
) -> Vec<Finding> {
    // Sentences a rule flagged, at any level, even where a comment switched the rule off:
    // the model does not overrule what a rule says, or what the author made of it.
    let flagged: std::collections::HashSet<usize> =
        found.iter().map(|f| f.sentence_start).collect();
    let mut out = Vec::new();
    for sentence in candidates {
        // A "sentence" of more than about sixty words is pasted chat or a run-on timeline,
        // not review prose: the model learned from sentences and misreads those.
        if sentence.text.is_empty()
            || sentence.text.len() > MODEL_MAX_BYTES
            || flagged.contains(&sentence.source[0])
            || (rule.scope == Where::Analysis && sentence.section == Section::Plans)
        {
            continue;
        }
        let edited = subject::truecase(&sentence.text);
        let (score, span) = model.score(
            sentence.section,
            edited.as_deref().unwrap_or(&sentence.text),
        );
        if !model.blames(score) {
            continue;
        }
        let (a, b) = span.unwrap_or((0, sentence.text.len()));
        out.extend(finding(rule, sentence, (a, b, None), prose, lines, file));
    }
    out
}

/// The finding of `rule`'s match at `a..b` of `sentence`, if it holds and is not switched off.
fn finding(
    rule: &Rule,
    sentence: &Sentence,
    (a, b, subject): Found,
    prose: &Prose,
    lines: &Lines<'_>,
    file: &str,
) -> Option<Finding> {
    if a == b || !holds(rule, sentence, a, b, subject) {
        return None;
    }
    let at = sentence.source[a];
    let end = sentence.source[b - 1] + 1;
    let (line, column) = lines.position(at);
    let (end_line, end_column) = lines.position(end);
    Some(Finding {
        id: finding_id(&rule.id, &sentence.text, &sentence.text[a..b]),
        file: file.to_string(),
        line,
        column,
        end_line,
        end_column,
        rule: rule.id.clone(),
        level: rule.level,
        message: rule.message.clone(),
        suggestion: rule.suggestion.clone(),
        acknowledged: None,
        sentence: sentence.text.clone(),
        span: (a, b),
        sentence_start: sentence.source[0],
        suppressed: prose.is_off(&rule.id, at),
    })
}

/// Of findings whose spans overlap in one sentence, the one of the highest level (the
/// earlier rule on a tie): one span, one finding.
fn keep_strongest(findings: Vec<Finding>) -> Vec<Finding> {
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings {
        let overlaps = |k: &Finding| {
            k.sentence_start == f.sentence_start && k.span.0 < f.span.1 && f.span.0 < k.span.1
        };
        match kept.iter().position(overlaps) {
            Some(at) if kept[at].level >= f.level => {}
            Some(at) => kept[at] = f,
            None => kept.push(f),
        }
    }
    kept
}

/// A match: the span to report, and the span of its `subject` group when it has one.
type Found = (usize, usize, Option<(usize, usize)>);

/// The matches of `rule` in `text`: the span to report (the `span` group when the pattern
/// has one, else the whole match) and the `subject` group's span when it has one.
fn matches(rule: &Rule, text: &str) -> Vec<Found> {
    if !rule.groups {
        return rule
            .pattern
            .find_iter(text)
            .map(|m| (m.start(), m.end(), None))
            .collect();
    }
    rule.pattern
        .captures_iter(text)
        .map(|c| {
            let whole = c.get(0).expect("group 0");
            let span = c.name("span").unwrap_or(whole);
            let subject = rule
                .pattern
                .capture_names()
                .flatten()
                .filter(|n| n.starts_with("subject"))
                .find_map(|n| c.name(n))
                .map(|m| (m.start(), m.end()));
            (span.start(), span.end(), subject)
        })
        .collect()
}

/// Words that open a phrase about the act of the sentence's subject, not a verb of its own:
/// "… without reading it", "… despite being told".
const ADVERBIAL_STARTS: &[&str] = &[
    "without",
    "despite",
    "against",
    "instead",
    "rather",
    "yet",
    "once",
    "not",
    "for",
    "as",
    "regrettably",
    "unfortunately",
    "after",
    "before",
    "while",
    "in",
];

/// Whether the subject of the match at `a..b` (or the `subject` group, when the rule has
/// one) is what the rule asks for.
fn subject_fits(
    rule: &Rule,
    text: &str,
    a: usize,
    b: usize,
    group: Option<(usize, usize)>,
) -> bool {
    if rule.subject == Subject::Any && group.is_none() {
        return true;
    }
    if rule.subject == Subject::NotThing && group.is_none() {
        return !subject::judges_thing(text, a, b);
    }
    if let Some((x, y)) = group {
        let words = &text[x..y];
        let first = words.split_whitespace().next().unwrap_or("").to_lowercase();
        // "Nobody will be removed from the rotation": a denial, not a person.
        if matches!(first.as_str(), "nobody" | "no" | "none" | "neither" | "not") {
            return false;
        }
        if rule.subject == Subject::OnePerson {
            return subject::one_person(words);
        }
    }
    let who = match group {
        Some((x, y)) => subject::noun_phrase(&text[x..y]),
        None => {
            let mut who = subject::before(text, a);
            let first = text[a..b]
                .split(|c: char| !c.is_alphanumeric())
                .find(|w| !w.is_empty())
                .unwrap_or("")
                .to_lowercase();
            let adverbial = ADVERBIAL_STARTS.contains(&first.as_str());
            if who == Who::Unknown && a < 3 {
                // A sentence-opening adverbial: "Once again, the platform team pushed …".
                who = subject::after(text, b);
            } else if (adverbial && matches!(who, Who::Thing | Who::Unknown))
                || (rule.subject == Subject::Agent && text[..a].trim_end().ends_with(", which"))
            {
                // "… without reading it", "…, which caused the outage": the act of the
                // clause's subject, or else the sentence's.
                who = match subject::segment_subject(text, a) {
                    Who::Person => Who::Person,
                    _ => subject::main_subject(text, a),
                };
            }
            if matches!(who, Who::Thing | Who::Unknown) && subject::agent_after(text, b) {
                who = Who::Person;
            }
            who
        }
    };
    match rule.subject {
        // A `subject` group names a person even in a rule about any subject.
        Subject::Any => group.is_none() || matches!(who, Who::Person | Who::We),
        Subject::Person => matches!(who, Who::Person | Who::We),
        Subject::Individual => who == Who::Person,
        Subject::Agent => matches!(who, Who::Person | Who::We | Who::PersonsThing),
        Subject::NotThing => {
            (group.is_none() || matches!(who, Who::Person | Who::We))
                && !subject::judges_thing(text, a, b)
        }
        Subject::OnePerson => who == Who::Person,
    }
}

/// Whether `rule`'s match at `a..b` of `sentence` means what the rule is about.
fn holds(
    rule: &Rule,
    sentence: &Sentence,
    a: usize,
    b: usize,
    subject: Option<(usize, usize)>,
) -> bool {
    let text = &sentence.text;
    if rule.scope == Where::Analysis && sentence.section == Section::Plans {
        return false;
    }
    let lo = floor_char(text, a.saturating_sub(80));
    let hi = ceil_char(text, (b + 80).min(text.len()));
    if rule.unless.iter().any(|u| u.is_match(&text[lo..hi])) {
        return false;
    }
    if quoted(text, a, b) {
        return false;
    }
    if rule.negatable && denied(text, a, b) {
        return false;
    }
    match subject::truecase(text) {
        Some(edited) => subject_fits(rule, &edited, a, b, subject),
        None => subject_fits(rule, text, a, b, subject),
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Whether `a..b` lies inside a quotation ("…", “…”, or '…' around words).
fn quoted(text: &str, a: usize, b: usize) -> bool {
    let before = &text[..a];
    let after = &text[b..];
    // Each kind of quotation: where it opens before the match and closes after it.
    let straight = (before.matches('"').count() % 2 == 1)
        .then(|| before.rfind('"'))
        .flatten()
        .zip(after.find('"'));
    let curly = before
        .rfind('“')
        .filter(|&o| before[o..].find('”').is_none())
        .zip(after.find('”'));
    // Single quotes also make apostrophes: only a quote that opens after a space counts.
    let single = before
        .rfind(" '")
        .map(|o| o + 1)
        .or_else(|| before.starts_with('\'').then_some(0))
        .filter(|&quote| !before[quote + 1..].contains('\''))
        .zip(after.find('\''));
    let single_curly = before
        .rfind('‘')
        .filter(|&o| before[o..].find('’').is_none())
        .zip(after.find('’'));
    // A short quotation mentions words ('human error', "the engineer should have"); a long
    // one reports what someone said, and publishing it publishes the blame.
    [straight, curly, single, single_curly]
        .into_iter()
        .flatten()
        .any(|(open, close)| {
            let inside = &text[open..b + close];
            inside.split_whitespace().count() <= 6
        })
}

/// Words that deny what follows them in a clause.
const NEGATORS: &[&str] = &[
    "not",
    "never",
    "no",
    "avoid",
    "avoids",
    "avoided",
    "avoiding",
    "nor",
    "neither",
    "isn't",
    "wasn't",
    "weren't",
    "aren't",
    "don't",
    "doesn't",
    "didn't",
    "cannot",
    "can't",
    "won't",
    "refuse",
    "refused",
    "rather",
    "instead",
    "rejected",
    "reject",
    "resist",
    "resisted",
    "stop",
    "nobody",
    "none",
    "calling",
    "call",
    "labelling",
    "labeling",
    "label",
    "describing",
];

/// Words that, right after a match, deny it: "human error was not a factor".
const COPULAS: &[&str] = &["is", "was", "were", "are", "be", "been"];

/// Whether the clause denies the match: a negator among the few words before it ("this was
/// not human error", "we avoid saying careless", "calling this human error would …",
/// "without blaming"), right after it ("human error was not a factor", "… isn't the
/// explanation"), or the sentence sets the match up as what not to say ("it would be easy
/// to say that Farah should have waited").
fn denied(text: &str, a: usize, b: usize) -> bool {
    static META: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b((easy|tempting|wrong|unfair|unhelpful)\s+to\s+(say|write|conclude|claim|blame|call|think|label|frame|describe|dismiss)|no\s+evidence|wrong\s+question|(asked|ask|wondered|asking)\s+[^.;]{0,40}whether|earlier\s+draft|asking\s+who|matters\s+less\s+than|as\s+a\s+(word|term|label)|(initially|originally|first)\s+wrote|early\s+drafts?|first\s+draft|(did\s+not|didn't|could\s+not|couldn't)\s+find|found\s+(no|none)|looked\s+for\s+evidence|nothing\s+([\w\s]{0,30}\s)?suggests)\b")
            .expect("valid")
    });
    if META.is_match(&text[..a]) {
        return true;
    }
    // "Complacency is easy to name and hard to act on": the word discussed, not applied.
    static DISCUSSED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^\W*(is|was|are)\s+(easy|tempting)\s+to\s+(name|blame|say|write|label|call)\b",
        )
        .expect("valid")
    });
    if DISCUSSED.is_match(&text[b..]) {
        return true;
    }
    let mut clause_start = text[..a]
        .rfind([',', ';', ':', '(', '—'])
        .map_or(0, |p| crate::subject::after_char(text, p));
    // "Nobody here was negligent, sloppy or lazy": a list after a denial is denied too.
    let opening: Vec<String> = words(&text[..a]).into_iter().take(2).collect();
    if opening
        .first()
        .is_some_and(|w| matches!(w.as_str(), "nobody" | "no" | "none" | "nothing" | "neither"))
        && words(&text[..a]).len() <= 10
    {
        clause_start = 0;
    }
    let before: Vec<String> = words(&text[clause_start..a]);
    let n = before.len();
    for (i, w) in before.iter().enumerate().skip(n.saturating_sub(5)) {
        let next = before.get(i + 1).map_or("", String::as_str);
        let naming = matches!(
            w.as_str(),
            "calling" | "call" | "labelling" | "labeling" | "label" | "describing"
        );
        if naming {
            // "calling this human error", not "the engineer on call".
            if matches!(
                next,
                "it" | "this" | "that" | "these" | "them" | "the" | "an" | "a"
            ) {
                return true;
            }
        } else if w == "never" {
            // "this would never have happened with a more senior engineer": "never" denies
            // only what stands right after it.
            if i + 2 >= n {
                return true;
            }
        } else if is_negator(w) || (w == "without" && next.ends_with("ing")) {
            return true;
        }
    }
    let clause_end = text[b..]
        .find([',', ';', ':', ')', '—', '.'])
        .map_or(text.len(), |p| b + p);
    let after: Vec<String> = words(&text[b..clause_end]);
    // "human error was not a factor", "… isn't the explanation", "missed no steps"; but not
    // "try harder not to ship", where "not" starts a clause of its own.
    let denies = |w: &str| matches!(w, "no" | "isn't" | "wasn't" | "weren't" | "aren't");
    let copula_denies = |w: &str| w == "not" || w == "never" || w.ends_with("n't");
    if after.first().is_some_and(|w| w == "no") && after.get(1).is_some_and(|w| w == "doubt") {
        return false;
    }
    match after.as_slice() {
        [first, ..] if denies(first) => true,
        [first, second, ..] => {
            COPULAS.contains(&first.as_str())
                && (copula_denies(second)
                    || matches!(
                        second.as_str(),
                        "proposed"
                            | "raised"
                            | "suggested"
                            | "discussed"
                            | "considered"
                            | "rejected"
                            | "dismissed"
                            | "mentioned"
                    ))
        }
        _ => false,
    }
}

fn is_negator(w: &str) -> bool {
    NEGATORS.contains(&w) || w.ends_with("n't")
}

/// The words of `s`, lower-cased, with apostrophes kept (`didn't`).
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(|w| w.replace('’', "'").to_lowercase())
        .collect()
}

/// Whether any finding not acknowledged is at or above `level`.
pub fn fails(findings: &[Finding], level: Level) -> bool {
    findings
        .iter()
        .any(|f| f.level >= level && f.acknowledged.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prose;

    /// The default rules, compiled once for all tests (an unoptimised build compiles
    /// regular expressions slowly).
    static RULES: LazyLock<Rules> = LazyLock::new(Rules::defaults);

    fn findings(md: &str) -> Vec<(String, String)> {
        let p = prose::markdown(md);
        lint(md, &p, &RULES, "t.md")
            .into_iter()
            .map(|f| (f.rule, f.sentence[f.span.0..f.span.1].to_string()))
            .collect()
    }

    fn rules_of(md: &str) -> Vec<String> {
        findings(md).into_iter().map(|(r, _)| r).collect()
    }

    /// The rules that fire, without the learned model's second opinion.
    fn rules_alone(md: &str) -> Vec<String> {
        static NO_MODEL: LazyLock<Rules> = LazyLock::new(|| {
            let mut r = Rules::defaults();
            let off = [("blame-model".to_string(), "off".to_string())].into();
            r.configure(&off).expect("the model rule exists");
            r
        });
        let p = prose::markdown(md);
        lint(md, &p, &NO_MODEL, "t.md")
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn the_subject_decides_failed_to() {
        assert_eq!(
            rules_of("Bob failed to check the dashboard."),
            ["failed-to"]
        );
        assert_eq!(
            rules_of("The engineer on call failed to escalate."),
            ["failed-to"]
        );
        assert!(rules_of("The deploy failed to complete.").is_empty());
        assert!(rules_of("Pods failed to start after the upgrade.").is_empty());
        assert!(rules_of("Kubernetes failed to schedule the pods.").is_empty());
    }

    #[test]
    fn denial_and_quotation_drop_labels() {
        assert_eq!(
            rules_of("The outage was caused by human error."),
            ["human-error"]
        );
        assert!(rules_of("This was not human error.").is_empty());
        assert!(rules_of("Human error was not a factor here.").is_empty());
        assert!(rules_of("We did not call this \"human error\".").is_empty());
        assert!(rules_of("We avoid words like “careless” in reviews.").is_empty());
    }

    #[test]
    fn should_have_is_a_counterfactual_in_analysis_and_a_plan_in_action_items() {
        let md = "## What happened\n\nThe engineer should have tested the migration.\n\n## Action items\n\n- The team should have a staging copy of the data by May.\n- Reviewers should have tested migrations on a copy.\n";
        let got = rules_alone(md);
        assert_eq!(got, ["should-have"], "{got:?}");
        assert!(rules_of("The job should have retried, but the retry budget was zero.").is_empty());
    }

    #[test]
    fn what_the_sentence_sets_up_as_wrong_is_not_a_finding() {
        assert!(
            rules_of(
                "It would be tempting to say the reviewer missed it, but the viewer hid the file."
            )
            .is_empty()
        );
        assert!(
            rules_of("In aviation, 'pilot error' stopped being an acceptable finding.").is_empty()
        );
        assert!(rules_of("Calling this human error would hide the missing prompt.").is_empty());
        assert_eq!(
            rules_of("The engineer on call failed to escalate."),
            ["failed-to"]
        );
    }

    #[test]
    fn a_later_clause_about_the_act_points_at_its_actor() {
        assert_eq!(
            rules_of("The intern deleted the users table, which caused the outage."),
            ["person-broke"]
        );
        assert_eq!(
            rules_of("Regrettably, the team lead approved the deploy without reading it."),
            ["without-doing"]
        );
        assert!(rules_of("The deploy restarted the pods, which caused the outage.").is_empty());
    }

    #[test]
    fn forms_that_end_a_sentence_are_found_there() {
        // A pattern wrapped in word boundaries cannot end on a full stop: these are written
        // so that they can.
        assert_eq!(
            rules_of("## Action items\n\n- Retrain the operator.\n"),
            ["discipline"]
        );
        assert_eq!(
            rules_of("Noa acknowledged the alert and did nothing."),
            ["judged-choice"]
        );
        assert_eq!(
            rules_of("Live-ops launched the event without a heads-up — typical."),
            ["remark"]
        );
        assert!(rules_of("The job ran anyway.").is_empty());
    }

    #[test]
    fn a_rule_the_model_strongly_disagrees_with_is_only_a_suggestion() {
        let md = "It would be easy to blame the operator here, but the valve indicator was wired in reverse.\n";
        let p = prose::markdown(md);
        let found = lint(md, &p, &RULES, "t.md");
        let f = found
            .iter()
            .find(|f| f.rule == "blame")
            .expect("the rule still speaks");
        assert_eq!(f.level, Level::Suggestion);
        assert!(
            f.message.contains("reads this sentence as blameless"),
            "{}",
            f.message
        );
        // Without the model, the rule's own level stands.
        let mut no_model = Rules::defaults();
        let off = [("blame-model".to_string(), "off".to_string())].into();
        no_model.configure(&off).expect("the model rule exists");
        let alone = lint(md, &p, &no_model, "t.md");
        assert!(
            alone
                .iter()
                .any(|f| f.rule == "blame" && f.level == Level::Error)
        );
        let blame = "It was the operator's fault: he was careless.\n";
        let p = prose::markdown(blame);
        assert!(
            lint(blame, &p, &RULES, "t.md")
                .iter()
                .any(|f| f.level == Level::Error)
        );
    }

    #[test]
    fn judgement_words_and_their_exceptions() {
        assert_eq!(rules_of("It was a careless change."), ["careless"]);
        assert!(rules_of("The module is lazy-loaded on first use.").is_empty());
        assert_eq!(
            rules_of("Engineers need to be more careful with flags."),
            ["be-more-careful"]
        );
    }

    #[test]
    fn positions_are_lines_and_character_columns() {
        let md = "# Review\n\nThe café team — héhé — blamed nobody. It was human error.\n";
        let p = prose::markdown(md);
        let f = lint(md, &p, &RULES, "t.md");
        let he = f.iter().find(|f| f.rule == "human-error").expect("found");
        assert_eq!((he.line, he.column), (3, 46));
        assert_eq!((he.end_line, he.end_column), (3, 57));
    }

    #[test]
    fn suppressions_keep_a_rule_quiet_for_a_span() {
        let md = "It was human error.\n\n<!-- debrief-lint off human-error -->\n\nIt was human error.\n\n<!-- debrief-lint on human-error -->\n\nIt was human error.\n";
        assert_eq!(rules_of(md), ["human-error", "human-error"]);
        // The learned model does not raise what a rule found and the author switched off.
        let md = "<!-- debrief-lint off careless -->\n\nBob was careless with the flag.\n";
        assert_eq!(rules_of(md), Vec::<String>::new());
    }

    /// Pieces that make the rules, the subject finder and the denial check work hard, with
    /// multi-byte punctuation and spaces next to every kind of boundary they look for.
    const PIECES: &[&str] = &[
        "Bob",
        "the on-call",
        "Ops",
        "J.R.",
        "@jdoe",
        "Zofia",
        "we",
        "they",
        "it",
        "the deploy",
        "failed to",
        "should have",
        "shouldn’t’ve",
        "missed",
        "ignored",
        "by",
        "which",
        "who",
        "human error",
        "careless",
        "Had",
        "if",
        "had",
        "checked",
        "without",
        "despite",
        "—",
        "–",
        "’",
        "“",
        "”",
        "\u{a0}",
        "\u{2003}",
        ",",
        ";",
        ":",
        "(",
        ")",
        ".",
        "é",
        "日本",
        "not",
        "Once again,",
        "root cause:",
        "the wrong cluster",
        "Pat’s change broke",
        "\n",
        "- ",
        "## Action items\n",
        "`code`",
        "'",
    ];

    proptest::proptest! {
        /// Any mix of those pieces lints without a panic, and every finding points inside
        /// its sentence on character boundaries, at a line and column that exist.
        #[test]
        fn any_text_lints_and_findings_point_inside_it(
            picks in proptest::collection::vec((0..PIECES.len(), 0..4usize), 0..60)
        ) {
            let mut md = String::new();
            for (piece, sep) in picks {
                md.push_str(PIECES[piece]);
                md.push_str([" ", "", "  ", "\u{a0}"][sep]);
            }
            let p = prose::markdown(&md);
            for f in lint(&md, &p, &RULES, "t.md") {
                proptest::prop_assert!(f.span.0 < f.span.1 && f.span.1 <= f.sentence.len());
                proptest::prop_assert!(f.sentence.is_char_boundary(f.span.0));
                proptest::prop_assert!(f.sentence.is_char_boundary(f.span.1));
                proptest::prop_assert!(f.line >= 1 && f.column >= 1);
                proptest::prop_assert!((f.end_line, f.end_column) > (f.line, f.column));
            }
            let plain = prose::plain(&md);
            let _ = lint(&md, &plain, &RULES, "t.txt");
        }
    }
}
