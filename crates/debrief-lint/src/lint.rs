//! Findings: rules matched against sentences, kept only when the sentence means them.
//!
//! A pattern alone is right about one time in three on real post-mortems (the catalogue in
//! `../shared/data/blame` measured it). What decides most cases:
//! - the subject: "the deploy failed to complete" describes a machine, "Bob failed to check"
//!   a person (`subject: person` rules ask for a person or a role before the verb);
//! - denial and quotation: "this was not human error", `we avoid "human error"`;
//! - the section: "should" in an action item is a plan, in the analysis a counterfactual.

use serde::Serialize;

use crate::prose::{Prose, Section, Sentence};
use crate::rules::{Level, Rule, Rules, Subject, Where};

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
    let lines = Lines::new(text);
    let mut findings = Vec::new();
    for sentence in &prose.sentences {
        for rule in rules.iter() {
            for m in rule.pattern.find_iter(&sentence.text) {
                let (a, b) = (m.start(), m.end());
                if a == b || !holds(rule, sentence, a, b) {
                    continue;
                }
                let at = sentence.source[a];
                if prose.is_off(&rule.id, at) {
                    continue;
                }
                let end = sentence.source[b - 1] + 1;
                let (line, column) = lines.position(at);
                let (end_line, end_column) = lines.position(end);
                findings.push(Finding {
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
                });
            }
        }
    }
    findings.sort_by(|x, y| (x.line, x.column, &x.rule).cmp(&(y.line, y.column, &y.rule)));
    keep_strongest(findings)
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

/// Whether `rule`'s match at `a..b` of `sentence` means what the rule is about.
fn holds(rule: &Rule, sentence: &Sentence, a: usize, b: usize) -> bool {
    let text = &sentence.text;
    if rule.scope == Where::Analysis && sentence.section == Section::Plans {
        return false;
    }
    let lo = floor_char(text, a.saturating_sub(30));
    let hi = ceil_char(text, (b + 30).min(text.len()));
    if rule.unless.iter().any(|u| u.is_match(&text[lo..hi])) {
        return false;
    }
    if quoted(text, a, b) {
        return false;
    }
    if rule.negatable && denied(text, a, b) {
        return false;
    }
    if rule.subject == Subject::Person && !person_subject(text, a) {
        return false;
    }
    true
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
    let straight = before.matches('"').count() % 2 == 1 && after.contains('"');
    let curly = before
        .rfind('“')
        .is_some_and(|o| before[o..].find('”').is_none())
        && after.contains('”');
    // Single quotes also make apostrophes: only a quote that opens after a space counts.
    let single = before
        .rfind(" '")
        .or_else(|| before.starts_with('\'').then_some(0))
        .is_some_and(|o| !before[o + 1..].contains('\''))
        && after.contains('\'');
    let single_curly = before
        .rfind('‘')
        .is_some_and(|o| before[o..].find('’').is_none())
        && after.contains('’');
    straight || curly || single || single_curly
}

/// Words that deny what follows them in a clause.
const NEGATORS: &[&str] = &[
    "not", "never", "no", "without", "avoid", "avoids", "avoided", "avoiding", "nor", "neither",
    "isn't", "wasn't", "weren't", "aren't", "don't", "doesn't", "didn't", "cannot", "can't",
    "won't", "refuse", "refused", "rather", "instead", "rejected", "reject", "resist", "stop",
    "nobody", "none",
];

/// Whether the clause denies the match: a negator among the few words before it ("this was
/// not human error", "we avoid saying careless"), or right after it ("human error was not a
/// factor", "... isn't the explanation").
fn denied(text: &str, a: usize, b: usize) -> bool {
    let clause_start = text[..a]
        .rfind([',', ';', ':', '(', '—'])
        .map_or(0, |p| p + 1);
    let before: Vec<String> = words(&text[clause_start..a]);
    if before.iter().rev().take(6).any(|w| is_negator(w)) {
        return true;
    }
    let clause_end = text[b..]
        .find([',', ';', ':', ')', '—', '.'])
        .map_or(text.len(), |p| b + p);
    let after: Vec<String> = words(&text[b..clause_end]);
    after.iter().take(4).any(|w| is_negator(w))
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

/// Pronouns and roles that make a clause's subject a person.
const PEOPLE: &[&str] = &[
    "i",
    "we",
    "he",
    "she",
    "they",
    "you",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "everyone",
    "everybody",
    "nobody",
    "person",
    "people",
    "engineer",
    "engineers",
    "operator",
    "operators",
    "developer",
    "developers",
    "dev",
    "devs",
    "admin",
    "admins",
    "administrator",
    "administrators",
    "sre",
    "sres",
    "oncall",
    "on-call",
    "on-caller",
    "on-callers",
    "oncaller",
    "responder",
    "responders",
    "reviewer",
    "reviewers",
    "author",
    "authors",
    "team",
    "teams",
    "teammate",
    "teammates",
    "colleague",
    "colleagues",
    "manager",
    "managers",
    "lead",
    "leads",
    "intern",
    "interns",
    "contractor",
    "contractors",
    "employee",
    "employees",
    "staff",
    "dba",
    "dbas",
    "analyst",
    "analysts",
    "tester",
    "testers",
    "maintainer",
    "maintainers",
    "commander",
    "ic",
    "owner",
    "owners",
    "hire",
    "hires",
    "newcomer",
    "individual",
    "human",
    "humans",
    "him",
    "her",
    "them",
    "us",
    "me",
    "whoever",
];

/// Words that make a clause's subject a machine, a document or an event.
const THINGS: &[&str] = &[
    "it",
    "this",
    "that",
    "which",
    "deploy",
    "deploys",
    "deployment",
    "deployments",
    "service",
    "services",
    "server",
    "servers",
    "job",
    "jobs",
    "pod",
    "pods",
    "node",
    "nodes",
    "container",
    "containers",
    "script",
    "scripts",
    "pipeline",
    "pipelines",
    "system",
    "systems",
    "database",
    "db",
    "cluster",
    "clusters",
    "alert",
    "alerts",
    "alerting",
    "monitor",
    "monitoring",
    "process",
    "processes",
    "build",
    "builds",
    "test",
    "tests",
    "check",
    "checks",
    "migration",
    "migrations",
    "request",
    "requests",
    "query",
    "queries",
    "cache",
    "balancer",
    "api",
    "apis",
    "app",
    "application",
    "applications",
    "config",
    "configuration",
    "change",
    "changes",
    "release",
    "releases",
    "cron",
    "worker",
    "workers",
    "queue",
    "queues",
    "disk",
    "disks",
    "network",
    "dns",
    "certificate",
    "certificates",
    "probe",
    "probes",
    "rollout",
    "rollback",
    "upgrade",
    "update",
    "updates",
    "patch",
    "code",
    "library",
    "function",
    "calls",
    "connection",
    "connections",
    "controller",
    "scheduler",
    "operator-sdk",
    "proxy",
    "router",
    "switch",
    "host",
    "hosts",
    "instance",
    "instances",
    "vm",
    "vms",
    "replica",
    "replicas",
    "leader",
    "election",
    "failover",
    "backup",
    "backups",
    "restore",
    "runbook",
    "playbook",
    "dashboard",
    "page",
    "pages",
    "tool",
    "tools",
    "tooling",
    "cli",
    "ui",
    "command",
    "commands",
    "flag",
    "feature",
    "version",
    "software",
    "firmware",
    "hardware",
    "load",
    "traffic",
    "storage",
    "volume",
    "volumes",
    "file",
    "files",
    "table",
    "tables",
    "index",
    "schema",
    "message",
    "messages",
    "event",
    "events",
    "step",
    "steps",
    "task",
    "tasks",
    "timer",
    "timeout",
    "retry",
    "retries",
    "endpoint",
    "endpoints",
    "gateway",
    "kernel",
    "driver",
    "agent",
    "agents",
    "daemon",
    "plugin",
    "sensor",
    "metric",
    "metrics",
    "log",
    "logs",
    "logging",
];

/// Words between a subject and its verb that say nothing of who the subject is.
const SKIP: &[&str] = &[
    "had",
    "has",
    "have",
    "having",
    "was",
    "were",
    "is",
    "are",
    "be",
    "been",
    "being",
    "did",
    "does",
    "do",
    "also",
    "then",
    "just",
    "simply",
    "again",
    "still",
    "both",
    "clearly",
    "not",
    "never",
    "initially",
    "later",
    "subsequently",
    "unfortunately",
    "repeatedly",
    "completely",
    "entirely",
    "apparently",
    "seemingly",
    "probably",
    "likely",
    "all",
    "each",
    "who",
    "that",
    "should",
    "could",
    "would",
    "might",
    "must",
    "may",
    "can",
    "will",
    "to",
    "first",
    "twice",
    "once",
    "therefore",
    "thus",
    "so",
    "and",
    "or",
    "but",
    "the",
    "a",
    "an",
    "our",
    "their",
    "his",
    "its",
    "my",
    "your",
    "whole",
    "entire",
    "new",
    "junior",
    "senior",
    "on",
    "duty",
    "call",
    "primary",
    "secondary",
    "backup-on-call",
    "sadly",
    "ultimately",
    "eventually",
];

/// Whether the subject of the clause that `at` is in is a person: walking back from the
/// match over auxiliaries and adverbs, the first word that is a person, a role or a first
/// name says yes, the first that is a thing says no. Sentences with no such word are given
/// the benefit of the doubt.
fn person_subject(text: &str, at: usize) -> bool {
    let clause_start = text[..at].rfind([';', ':', '(', '—']).map_or(0, |p| p + 1);
    let raw: Vec<&str> = text[clause_start..at]
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    for (k, word) in raw.iter().enumerate().rev().take(10) {
        let w = word.replace('’', "'").to_lowercase();
        let w = w.strip_suffix("'s").unwrap_or(&w);
        if PEOPLE.contains(&w) {
            return true;
        }
        if THINGS.contains(&w) {
            return false;
        }
        if crate::names::is_first_name(word) {
            return true;
        }
        // A capitalised word that is not a first name, mid-sentence: a product or system.
        let capitalised = word.chars().next().is_some_and(char::is_uppercase);
        if capitalised && (k > 0 || clause_start > 0) {
            return false;
        }
        if SKIP.contains(&w) {
            continue;
        }
        // Any other word: a verb or an object; keep looking for the subject.
    }
    false
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

    fn findings(md: &str) -> Vec<(String, String)> {
        let p = prose::markdown(md);
        lint(md, &p, &Rules::defaults(), "t.md")
            .into_iter()
            .map(|f| (f.rule, f.sentence[f.span.0..f.span.1].to_string()))
            .collect()
    }

    fn rules_of(md: &str) -> Vec<String> {
        findings(md).into_iter().map(|(r, _)| r).collect()
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
        let got = rules_of(md);
        assert_eq!(got, ["should-have"], "{got:?}");
        assert!(rules_of("The job should have retried, but the retry budget was zero.").is_empty());
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
        let f = lint(md, &p, &Rules::defaults(), "t.md");
        let he = f.iter().find(|f| f.rule == "human-error").expect("found");
        assert_eq!((he.line, he.column), (3, 46));
        assert_eq!((he.end_line, he.end_column), (3, 57));
    }

    #[test]
    fn suppressions_keep_a_rule_quiet_for_a_span() {
        let md = "It was human error.\n\n<!-- debrief-lint off human-error -->\n\nIt was human error.\n\n<!-- debrief-lint on human-error -->\n\nIt was human error.\n";
        assert_eq!(rules_of(md).len(), 2);
    }
}
