//! Masked-failure kinds, and the rules that give each template one.
//!
//! Rules are data: a default set ships in the binary (`default_rules.yaml`), and a user's
//! config file can add rules (tried before the defaults), drop the defaults, and add masks.
//! A rule is a regular expression matched, case-insensitively, against the template text
//! (variables as `<*>`), with an optional `unless` expression that vetoes it.
//!
//! Evaluation: a matching `none` rule wins first (kind words used in a harmless sense);
//! then the kinds are tried in the order of SIGNALS.md, and the first kind with a matching
//! rule wins; then a line whose own level is error or worse is an `error`; else `none`.

use std::fmt;
use std::str::FromStr;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::record::Level;

/// The kinds of SIGNALS.md, in its order (the first that fits wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Retry,
    Restart,
    Failover,
    Timeout,
    CircuitOpen,
    Fallback,
    Dropped,
    Throttle,
    Exhaustion,
    Error,
    None,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Retry,
        Kind::Restart,
        Kind::Failover,
        Kind::Timeout,
        Kind::CircuitOpen,
        Kind::Fallback,
        Kind::Dropped,
        Kind::Throttle,
        Kind::Exhaustion,
        Kind::Error,
        Kind::None,
    ];

    /// The machine-readable name, as SIGNALS.md writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Retry => "retry",
            Kind::Restart => "restart",
            Kind::Failover => "failover",
            Kind::Timeout => "timeout",
            Kind::CircuitOpen => "circuit_open",
            Kind::Fallback => "fallback",
            Kind::Dropped => "dropped",
            Kind::Throttle => "throttle",
            Kind::Exhaustion => "exhaustion",
            Kind::Error => "error",
            Kind::None => "none",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Kind, String> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == norm)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown kind {s:?} (expected one of: {})", names.join(", "))
            })
    }
}

/// The rules file as written (the default set and a user's config share this shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    /// Rules of the file. In a user's config they are tried before the defaults.
    #[serde(default)]
    pub kinds: Vec<RuleSpec>,
    /// Extra variable masks: regular expressions whose matches become `<*>`.
    #[serde(default)]
    pub masks: Vec<String>,
    /// Drop the built-in rules and use only this file's.
    #[serde(default)]
    pub replace_defaults: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub kind: String,
    #[serde(rename = "match")]
    pub pattern: String,
    #[serde(default)]
    pub unless: Option<String>,
}

#[derive(Debug, Clone)]
struct Rule {
    pattern: regex::bytes::Regex,
    unless: Option<regex::bytes::Regex>,
}

/// A bad rules file: which rule, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RulesError(pub String);

/// The compiled rules.
#[derive(Debug, Clone)]
pub struct Rules {
    none: Vec<Rule>,
    /// Per kind, in kind order (none excluded).
    by_kind: Vec<(Kind, Vec<Rule>)>,
    masks: Vec<Regex>,
}

/// The default rules, shipped in the binary.
pub const DEFAULT_RULES: &str = include_str!("default_rules.yaml");

impl Rules {
    /// The built-in rules.
    pub fn defaults() -> Rules {
        Rules::build(&[parse_file(DEFAULT_RULES, "built-in rules").expect("built-in rules parse")])
            .expect("built-in rules compile")
    }

    /// The built-in rules with a user's config file (its text; `origin` names it in errors).
    pub fn with_config(text: &str, origin: &str) -> Result<Rules, RulesError> {
        let user = parse_file(text, origin)?;
        let named = |e: RulesError| RulesError(format!("{origin}: {}", e.0));
        if user.replace_defaults {
            return Rules::build(&[user]).map_err(named);
        }
        let defaults = parse_file(DEFAULT_RULES, "built-in rules")?;
        Rules::build(&[user, defaults]).map_err(named)
    }

    /// Files in priority order: rules of earlier files are tried first within a kind, and
    /// masks of all files apply.
    fn build(files: &[RulesFile]) -> Result<Rules, RulesError> {
        let mut none = Vec::new();
        let mut by_kind: Vec<(Kind, Vec<Rule>)> = Kind::ALL
            .iter()
            .filter(|&&k| k != Kind::None)
            .map(|&k| (k, Vec::new()))
            .collect();
        let mut masks = Vec::new();
        for file in files {
            for (i, spec) in file.kinds.iter().enumerate() {
                let at = || format!("rule {} ({} /{}/)", i + 1, spec.kind, spec.pattern);
                let kind: Kind = spec
                    .kind
                    .parse()
                    .map_err(|e| RulesError(format!("{}: {e}", at())))?;
                let pattern =
                    compile(&spec.pattern).map_err(|e| RulesError(format!("{}: {e}", at())))?;
                let unless = match &spec.unless {
                    Some(u) => {
                        Some(compile(u).map_err(|e| RulesError(format!("{}: unless: {e}", at())))?)
                    }
                    None => None,
                };
                let rule = Rule { pattern, unless };
                if kind == Kind::None {
                    none.push(rule);
                } else {
                    let slot = by_kind
                        .iter_mut()
                        .find(|(k, _)| *k == kind)
                        .expect("every kind has a slot");
                    slot.1.push(rule);
                }
            }
            for m in &file.masks {
                masks.push(Regex::new(m).map_err(|e| RulesError(format!("mask /{m}/: {e}")))?);
            }
        }
        Ok(Rules {
            none,
            by_kind,
            masks,
        })
    }

    /// The kind of a template, given the level its lines declared (if any).
    pub fn classify(&self, template: &str, level: Option<Level>) -> Kind {
        if self.none.iter().any(|r| r.fires(template)) {
            return Kind::None;
        }
        for (kind, rules) in &self.by_kind {
            if rules.iter().any(|r| r.fires(template)) {
                return *kind;
            }
        }
        if level.is_some_and(Level::is_failure) {
            return Kind::Error;
        }
        Kind::None
    }

    /// The user's extra masks.
    pub fn masks(&self) -> &[Regex] {
        &self.masks
    }
}

impl Rule {
    fn fires(&self, text: &str) -> bool {
        let text = text.as_bytes();
        self.pattern.is_match(text) && !self.unless.as_ref().is_some_and(|u| u.is_match(text))
    }
}

/// A rule's pattern, matched on a template's bytes, case-insensitive. ASCII classes (`\w`,
/// `\b`, `\s`, case folding of ASCII letters) compile to automata a tenth the size of their
/// Unicode forms, and rules are words of log messages; a pattern that asks for Unicode
/// (`\p{L}`) gets it.
fn compile(pattern: &str) -> Result<regex::bytes::Regex, regex::Error> {
    let build = |unicode: bool| {
        regex::bytes::RegexBuilder::new(pattern)
            .case_insensitive(true)
            .unicode(unicode)
            .size_limit(1 << 22)
            .build()
    };
    build(false).or_else(|_| build(true))
}

fn parse_file(text: &str, origin: &str) -> Result<RulesFile, RulesError> {
    if text.trim().is_empty() {
        return Ok(RulesFile::default());
    }
    serde_yaml_ng::from_str(text).map_err(|e| RulesError(format!("{origin}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
        }
        assert_eq!("circuit-open".parse::<Kind>().unwrap(), Kind::CircuitOpen);
        assert!(
            "nope"
                .parse::<Kind>()
                .unwrap_err()
                .contains("expected one of")
        );
    }

    #[test]
    fn the_defaults_know_the_signals_md_examples() {
        let r = Rules::defaults();
        let cases = [
            ("Retrying connect to server <*>", Kind::Retry),
            ("attempt <*> of <*>, will retry in <*>", Kind::Retry),
            ("Back-off restarting failed container", Kind::Restart),
            ("CrashLoopBackOff", Kind::Restart),
            ("leader election lost, new primary is <*>", Kind::Failover),
            ("request timed out after <*>", Kind::Timeout),
            ("context deadline exceeded", Kind::Timeout),
            ("circuit breaker OPEN for <*>", Kind::CircuitOpen),
            ("falling back to cached value", Kind::Fallback),
            ("queue full, dropping message <*>", Kind::Dropped),
            ("429 Too Many Requests: rate limited", Kind::Throttle),
            ("write <*>: no space left on device", Kind::Exhaustion),
            ("OOMKilled", Kind::Exhaustion),
            ("dial tcp <*>: connect: connection refused", Kind::Error),
            ("job completed in <*>", Kind::None),
            ("Receiving block <*> src: <*> dest: <*>", Kind::None),
        ];
        for (text, want) in cases {
            assert_eq!(r.classify(text, None), want, "{text}");
        }
    }

    #[test]
    fn level_is_evidence_not_the_whole_story() {
        let r = Rules::defaults();
        assert_eq!(r.classify("state is <*>", Some(Level::Error)), Kind::Error);
        assert_eq!(r.classify("state is <*>", Some(Level::Warn)), Kind::None);
        assert_eq!(r.classify("Retrying <*>", Some(Level::Warn)), Kind::Retry);
    }

    #[test]
    fn a_config_adds_and_overrides_rules() {
        let cfg = "kinds:\n  - kind: none\n    match: 'Retrying harmlessly'\n  - kind: dropped\n    match: 'sent to the void'\nmasks:\n  - 'pod-[a-z]+'\n";
        let r = Rules::with_config(cfg, "test.yaml").unwrap();
        assert_eq!(r.classify("Retrying harmlessly", None), Kind::None);
        assert_eq!(r.classify("message sent to the void", None), Kind::Dropped);
        assert_eq!(r.classify("Retrying connect", None), Kind::Retry);
        assert_eq!(r.masks().len(), 1);

        let only = Rules::with_config("replace_defaults: true\nkinds: []\n", "x").unwrap();
        assert_eq!(only.classify("Retrying connect", None), Kind::None);
    }

    #[test]
    fn rules_read_ascii_classes_and_unicode_when_asked() {
        let cfg = "kinds:\n  - kind: dropped\n    match: '\\bverworfen\\b'\n  - kind: timeout\n    match: 'zeit\\p{L}*überschreitung'\n";
        let r = Rules::with_config(cfg, "test.yaml").unwrap();
        assert_eq!(r.classify("Nachricht VERWORFEN: <*>", None), Kind::Dropped);
        assert_eq!(r.classify("Nachrichtverworfen", None), Kind::None);
        assert_eq!(
            r.classify("Zeitüberschreitung bei <*>", None),
            Kind::Timeout
        );
        // A non-ASCII letter is no word character to an ASCII `\b`.
        assert_eq!(r.classify("éverworfen", None), Kind::Dropped);
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let e = Rules::with_config(
            "kinds:\n  - kind: retry\n    match: '(unclosed'\n",
            "my.yaml",
        )
        .unwrap_err();
        assert!(e.0.contains("rule 1 (retry"), "{e}");
        let e =
            Rules::with_config("kinds:\n  - kind: oops\n    match: 'x'\n", "my.yaml").unwrap_err();
        assert!(e.0.contains("unknown kind"), "{e}");
        let e = Rules::with_config("kinds: [1, 2", "my.yaml").unwrap_err();
        assert!(e.0.starts_with("my.yaml:"), "{e}");
        let e = Rules::with_config("colour: red\n", "my.yaml").unwrap_err();
        assert!(e.0.contains("colour"), "{e}");
    }
}
