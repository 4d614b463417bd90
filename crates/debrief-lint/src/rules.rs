//! Rules as data: the default set ships in the binary (`default_rules.yaml`), a user's
//! directory of rule files adds to it or overrides rules by id, and a config can switch
//! rules off or change their levels.

use std::collections::BTreeMap;
use std::path::Path;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

/// How serious a finding is. Ordered: `Suggestion < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Suggestion,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Suggestion => "suggestion",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "suggestion" => Some(Level::Suggestion),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// Whose action a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    /// Any sentence.
    #[default]
    Any,
    /// Only when the clause's subject is a person, a role, a team or "we".
    Person,
    /// A person, a role or a team, but not "we" (the organization speaking of itself):
    /// "we could have caught this with a probe" names a gap, "Bob could have" a person.
    Individual,
    /// A person, or a thing a person made ("Pat's change broke login"): for rules about
    /// who caused the failure.
    Agent,
    /// Anything but a machine or its data: "the retry loop was reckless by design" and
    /// "sloppy timestamps" judge nobody; "a sloppy change" judges its author.
    #[serde(rename = "not-thing")]
    NotThing,
    /// One person, named or by role, not a group: an action item aimed at Ivan singles him
    /// out; one for all on-call engineers is training.
    #[serde(rename = "one-person")]
    OnePerson,
}

/// Where in a review a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Where {
    #[default]
    Anywhere,
    /// Not in plans (action items, next steps), where "should" states what will be done.
    Analysis,
}

/// A rule as written in a rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    level: Level,
    #[serde(rename = "match", default)]
    pattern: String,
    /// Findings come from the learned model (`model.rs`), not from a pattern.
    #[serde(default)]
    model: bool,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    subject: Subject,
    #[serde(default)]
    negatable: bool,
    #[serde(default, rename = "where")]
    scope: Where,
    message: String,
    suggestion: String,
    #[serde(default)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<RuleSpec>,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub level: Level,
    /// May name groups: `subject` (the words whose person-ness `subject:` checks, instead of
    /// the words before the match; any group whose name starts with `subject`) and `span` (the
    /// part to report).
    pub pattern: Regex,
    /// Whether `pattern` has a `subject` or `span` group.
    pub groups: bool,
    /// Whether the learned model, not the pattern, finds this rule's findings.
    pub model: bool,
    /// Words of which every match holds one (see [`crate::gate`]); `None`: no such set.
    pub triggers: Option<Vec<Vec<u8>>>,
    pub unless: Vec<Regex>,
    pub subject: Subject,
    pub negatable: bool,
    pub scope: Where,
    pub message: String,
    pub suggestion: String,
    pub source: String,
}

/// What can go wrong reading rules.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: rule {id}: {message}")]
    Pattern {
        file: String,
        id: String,
        message: String,
    },
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    #[error("unknown rule {0:?} (see `debrief lint --list-rules`)")]
    UnknownRule(String),
}

/// A rule set, in order.
#[derive(Debug, Clone)]
pub struct Rules {
    rules: Vec<Rule>,
    /// Built on first use and dropped when the rules change.
    gate: std::sync::OnceLock<crate::gate::Gate>,
}

const DEFAULT_RULES: &str = include_str!("default_rules.yaml");

/// The built-in rule file, as shipped: a user's rule files take the same form.
pub fn default_yaml() -> &'static str {
    DEFAULT_RULES
}

/// `pattern` with each `\b` made an ASCII word boundary. A Unicode word boundary keeps the
/// regex engine off its fast automaton for any text that is not pure ASCII, which is most
/// prose with a curly quote or a name like Élodie; next to the keywords rules look for, the
/// two boundaries agree.
fn ascii_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push_str("(?-u:\\b)"),
            Some(next) => {
                out.push('\\');
                out.push(next);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Whether `pattern` has an upper-case ASCII letter outside an escape (`\S`, `\p{Lu}`).
fn has_upper_case(pattern: &str) -> bool {
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // A group name: `(?P<subject>…)`.
            '?' if chars.peek() == Some(&'P') => {
                for x in chars.by_ref() {
                    if x == '>' {
                        break;
                    }
                }
            }
            '\\' => {
                if let Some(e) = chars.next() {
                    if matches!(e, 'p' | 'P') {
                        // `\pL` or `\p{…}`
                        if chars.next() == Some('{') {
                            for x in chars.by_ref() {
                                if x == '}' {
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            c if c.is_ascii_uppercase() => return true,
            _ => {}
        }
    }
    false
}

/// A rule's pattern. It is matched against sentences with ASCII letters lower-cased (same
/// byte offsets), case-sensitively: literals then make fast prefilters, which case-folding
/// would multiply out of reach.
fn compile_lower(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&ascii_boundaries(pattern))
        .case_insensitive(false)
        .multi_line(true)
        .size_limit(1 << 22)
        .build()
}

fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&ascii_boundaries(pattern))
        .case_insensitive(true)
        // `^` and `$` are a sentence's start and end: sentences are searched a line each.
        .multi_line(true)
        .size_limit(1 << 22)
        .build()
}

/// One rule from its specification, checked and compiled.
fn compile_rule(mut spec: RuleSpec, file: &str) -> Result<Rule, RuleError> {
    let bad = |e: regex::Error| RuleError::Pattern {
        file: file.to_string(),
        id: spec.id.clone(),
        message: e.to_string(),
    };
    if spec.id.is_empty() || spec.id.contains(char::is_whitespace) {
        return Err(RuleError::Parse {
            file: file.to_string(),
            message: format!("rule id {:?} must be one word", spec.id),
        });
    }
    if spec.model != spec.pattern.is_empty() {
        return Err(RuleError::Parse {
            file: file.to_string(),
            message: format!(
                "rule {}: give a `match` pattern, or `model: true` without one",
                spec.id
            ),
        });
    }
    if spec.model {
        // Never matches: the model's findings are added by `lint`.
        spec.pattern = "[^\\s\\S]".to_string();
    }
    if has_upper_case(&spec.pattern) {
        return Err(RuleError::Pattern {
            file: file.to_string(),
            id: spec.id.clone(),
            message: "write the pattern in lower case: it is matched against lower-cased \
                          text"
                .into(),
        });
    }
    let pattern = compile_lower(&spec.pattern).map_err(bad)?;
    if ["", " ", "a b"]
        .iter()
        .any(|t| pattern.find_iter(t).any(|m| m.is_empty()))
    {
        // An empty alternative (`a||b`) matches everywhere and hides what follows it.
        return Err(RuleError::Pattern {
            file: file.to_string(),
            id: spec.id.clone(),
            message: "the pattern matches empty text (an empty alternative?)".into(),
        });
    }
    let groups = pattern
        .capture_names()
        .any(|n| n.is_some_and(|n| n == "span" || n.starts_with("subject")));
    let triggers = regex_syntax::ParserBuilder::new()
        .multi_line(true)
        .build()
        .parse(&ascii_boundaries(&spec.pattern))
        .ok()
        .and_then(|hir| crate::gate::required_literals(&hir));
    Ok(Rule {
        pattern,
        groups,
        model: spec.model,
        triggers,
        unless: spec
            .unless
            .iter()
            .map(|u| compile(u))
            .collect::<Result<_, _>>()
            .map_err(bad)?,
        id: spec.id,
        level: spec.level,
        subject: spec.subject,
        negatable: spec.negatable,
        scope: spec.scope,
        message: spec.message,
        suggestion: spec.suggestion,
        source: spec.source,
    })
}

impl Rules {
    /// The rules that ship with debrief.
    pub fn defaults() -> Rules {
        Rules::from_yaml(DEFAULT_RULES, "default_rules.yaml").expect("the default rules compile")
    }

    /// Rules from the text of one rule file (`rules: [...]`).
    pub fn from_yaml(text: &str, file: &str) -> Result<Rules, RuleError> {
        let parsed: RuleFile = serde_yaml_ng::from_str(text).map_err(|e| RuleError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        // Compiling the patterns is most of the cost of starting: two threads share it, the
        // longest patterns first, each to the thread with less to do.
        let mut specs: Vec<(usize, RuleSpec)> = parsed.rules.into_iter().enumerate().collect();
        specs.sort_by_key(|(_, s)| std::cmp::Reverse(s.pattern.len()));
        let (mut mine, mut theirs) = (Vec::new(), Vec::new());
        let (mut my_load, mut their_load) = (0, 0);
        for (i, spec) in specs {
            let cost = spec.pattern.len() + spec.unless.iter().map(String::len).sum::<usize>();
            if my_load <= their_load {
                my_load += cost;
                mine.push((i, spec));
            } else {
                their_load += cost;
                theirs.push((i, spec));
            }
        }
        let compile_all = |list: Vec<(usize, RuleSpec)>| -> Vec<(usize, Result<Rule, RuleError>)> {
            list.into_iter()
                .map(|(i, spec)| (i, compile_rule(spec, file)))
                .collect()
        };
        let mut compiled = std::thread::scope(|scope| {
            let other = scope.spawn(|| compile_all(theirs));
            let mut done = compile_all(mine);
            done.extend(other.join().expect("compiling rules does not panic"));
            done
        });
        compiled.sort_by_key(|(i, _)| *i);
        let rules = compiled
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Result<Vec<Rule>, RuleError>>()?;
        Ok(Rules {
            rules,
            gate: std::sync::OnceLock::new(),
        })
    }

    /// Adds the rules of every `*.yaml`/`*.yml` file in `dir` (in name order); a rule with
    /// the id of one already here replaces it.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), RuleError> {
        let io = |e: std::io::Error| RuleError::Io {
            file: dir.display().to_string(),
            message: e.to_string(),
        };
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        files.sort();
        for file in files {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file).map_err(|e| RuleError::Io {
                file: name.clone(),
                message: e.to_string(),
            })?;
            self.merge(Rules::from_yaml(&text, &name)?);
        }
        Ok(())
    }

    /// Adds `other`'s rules, replacing those with the same id.
    pub fn merge(&mut self, other: Rules) {
        self.gate = std::sync::OnceLock::new();
        for rule in other.rules {
            match self.rules.iter_mut().find(|r| r.id == rule.id) {
                Some(old) => *old = rule,
                None => self.rules.push(rule),
            }
        }
    }

    /// Applies a config's switches: `off` for a rule switched off, else its new level.
    pub fn configure(&mut self, settings: &BTreeMap<String, String>) -> Result<(), RuleError> {
        self.gate = std::sync::OnceLock::new();
        for (id, setting) in settings {
            let Some(at) = self.rules.iter().position(|r| &r.id == id) else {
                return Err(RuleError::UnknownRule(id.clone()));
            };
            match (setting.as_str(), Level::parse(setting)) {
                ("off", _) => {
                    self.rules.remove(at);
                }
                (_, Some(level)) => self.rules[at].level = level,
                _ => {
                    return Err(RuleError::Parse {
                        file: "config".into(),
                        message: format!(
                            "rule {id}: {setting:?} is not off, error, warning or suggestion"
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The automaton that finds, for all rules at once, the sentences each can match.
    pub fn gate(&self) -> &crate::gate::Gate {
        self.gate.get_or_init(|| {
            let literals: Vec<_> = self.rules.iter().map(|r| r.triggers.clone()).collect();
            crate::gate::Gate::new(&literals)
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter()
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_compile_with_unique_ids_and_texts() {
        let rules = Rules::defaults();
        assert!(rules.len() >= 20);
        let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), rules.len(), "ids are unique");
        for r in rules.iter() {
            assert!(
                !r.message.is_empty() && !r.suggestion.is_empty() && !r.source.is_empty(),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn user_rules_override_by_id_and_config_switches_off_or_relevels() {
        let mut rules = Rules::defaults();
        let before = rules.len();
        let user = Rules::from_yaml(
            "rules:\n  - id: human-error\n    level: warning\n    match: 'human slip'\n    message: m\n    suggestion: s\n  - id: hero\n    level: suggestion\n    match: '\\bhero(es)?\\b'\n    message: Heroics hide a system that needs them.\n    suggestion: Say what made heroics necessary.\n",
            "user.yaml",
        )
        .unwrap();
        rules.merge(user);
        assert_eq!(rules.len(), before + 1);
        assert_eq!(rules.get("human-error").unwrap().level, Level::Warning);
        let settings = BTreeMap::from([
            ("hero".to_string(), "off".to_string()),
            ("simply".to_string(), "error".to_string()),
        ]);
        rules.configure(&settings).unwrap();
        assert!(rules.get("hero").is_none());
        assert_eq!(rules.get("simply").unwrap().level, Level::Error);
        let unknown = BTreeMap::from([("nope".to_string(), "off".to_string())]);
        assert!(matches!(
            rules.configure(&unknown),
            Err(RuleError::UnknownRule(_))
        ));
    }

    #[test]
    fn broken_rule_files_say_where() {
        let err = Rules::from_yaml("rules:\n  - id: x\n    level: error\n    match: '(unclosed'\n    message: m\n    suggestion: s\n", "mine.yaml").unwrap_err();
        assert!(err.to_string().starts_with("mine.yaml: rule x:"), "{err}");
        let err =
            Rules::from_yaml("rules:\n  - id: x\n    level: fatal\n", "mine.yaml").unwrap_err();
        assert!(err.to_string().starts_with("mine.yaml:"), "{err}");
        let err = Rules::from_yaml(
            "rules:\n  - id: x\n    level: error\n    match: '\\b(one||two)\\b'\n    message: m\n    suggestion: s\n",
            "mine.yaml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("matches empty text"), "{err}");
    }
}
