//! The small vocabularies of a review. Each value has one canonical name (used in documents,
//! the store, JSON and the CLI), a label for people, and a few accepted spellings. Parsing
//! ignores case and treats `-`, `_` and spaces alike, so `In_Progress`, `in progress` and
//! `in-progress` are one value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::InvalidValue;

/// Folds a spelling for comparison: lower case, with `_`, spaces and `&` runs made into `-`.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c == '_' || c == ' ' || c == '&' || c == '-' {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c);
        }
    }
    out
}

macro_rules! vocabulary {
    (
        $(#[$doc:meta])*
        $name:ident, $what:literal {
            $( $(#[$vdoc:meta])* $variant:ident = $canon:literal, $label:literal $(, [$($alias:literal),*])? ; )+
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
        }

        impl $name {
            /// Every value, in their natural order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical name: what documents, the store and JSON carry.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $canon,)+ }
            }

            /// A label for people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// The canonical names, comma separated, for error messages and `--help`.
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let folded = fold(s);
                $(
                    if folded == fold($canon) || folded == fold($label) $($(|| folded == fold($alias))*)? {
                        return Ok($name::$variant);
                    }
                )+
                Err(InvalidValue::new(format!(
                    concat!("unknown ", $what, " {:?} (expected one of: {})"),
                    s,
                    Self::names()
                )))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

vocabulary! {
    /// How bad it was, SEV1 the worst.
    Severity, "severity" {
        Sev1 = "SEV1", "SEV1 (critical)", ["1", "sev-1", "critical"];
        Sev2 = "SEV2", "SEV2 (major)", ["2", "sev-2", "major"];
        Sev3 = "SEV3", "SEV3 (moderate)", ["3", "sev-3", "moderate"];
        Sev4 = "SEV4", "SEV4 (minor)", ["4", "sev-4", "minor"];
        Sev5 = "SEV5", "SEV5 (cosmetic)", ["5", "sev-5", "cosmetic"];
    }
}

vocabulary! {
    /// Where an incident stands. It moves forward through these in order.
    Status, "status" {
        Open = "open", "open";
        Mitigated = "mitigated", "mitigated";
        Resolved = "resolved", "resolved";
        Reviewed = "reviewed", "reviewed";
        Closed = "closed", "closed";
    }
}

vocabulary! {
    /// What an API token may do. Each role may do what the ones before it may.
    Role, "role" {
        /// Read incidents, reviews, actions and signals.
        Reader = "reader", "reader", ["read"];
        /// Also write them: incidents, reviews, actions, ingest.
        Writer = "writer", "writer", ["write"];
        /// Also manage tokens.
        Admin = "admin", "admin", ["administrator"];
    }
}

vocabulary! {
    /// What kind of failure the review is about: not only outages are worth learning from.
    IncidentType, "incident type" {
        /// Something broke in production.
        Operational = "operational", "operational incident", ["outage", "incident"];
        /// A launch or project that failed: not adopted, late, too slow for its real load.
        Launch = "launch", "failed launch or project", ["project"];
        /// An experiment that went wrong.
        Experiment = "experiment", "experiment that went wrong";
    }
}

vocabulary! {
    /// What kind of experiment: each a way to fail small and on purpose.
    ExperimentKind, "experiment kind" {
        AbTest = "ab-test", "A/B test", ["ab", "a/b", "a/b-test", "split-test"];
        Canary = "canary", "canary release";
        FeatureFlag = "feature-flag", "feature flag rollout", ["flag", "feature-flag-rollout"];
        Chaos = "chaos", "chaos experiment", ["chaos-experiment"];
        Mvp = "mvp", "minimum viable product";
        GameDay = "game-day", "game day", ["gameday"];
    }
}

vocabulary! {
    /// Where an experiment is.
    ExperimentStatus, "experiment status" {
        Planned = "planned", "planned";
        Running = "running", "running", ["started"];
        Concluded = "concluded", "concluded", ["done", "finished"];
    }
}

vocabulary! {
    /// What an experiment showed. A refuted hypothesis is learning, not failure.
    ExperimentOutcome, "experiment outcome" {
        Confirmed = "confirmed", "hypothesis confirmed";
        Refuted = "refuted", "hypothesis refuted: learned something";
        Inconclusive = "inconclusive", "inconclusive";
        Aborted = "aborted", "aborted by its abort criteria";
    }
}

vocabulary! {
    /// What a retrospective item asks of the team.
    RetroItemKind, "retro item kind" {
        Start = "start", "start";
        Stop = "stop", "stop";
        Continue = "continue", "continue", ["keep"];
    }
}

vocabulary! {
    /// How likely a risk is, or how much it would hurt.
    RiskLevel, "risk level" {
        Low = "low", "low";
        Medium = "medium", "medium", ["med"];
        High = "high", "high";
    }
}

vocabulary! {
    /// How the organization first learned of the failure.
    Detection, "detection method" {
        Alert = "alert", "an alert", ["monitoring", "page"];
        Customer = "customer", "a customer report", ["user", "customer-report"];
        Signal = "signal", "a debrief weak signal", ["weak-signal"];
        Staff = "staff", "staff noticed", ["employee", "human"];
        Other = "other", "other";
    }
}

vocabulary! {
    /// The level a contributing factor sits at. A review that names only technical factors
    /// has stopped looking too early.
    FactorLevel, "factor level" {
        Technical = "technical", "technical", ["tech"];
        Process = "process", "process";
        Organization = "organization", "organization", ["organisation", "org", "organizational", "organisational"];
    }
}

vocabulary! {
    /// The fishbone (Ishikawa) category of a contributing factor.
    FactorCategory, "factor category" {
        Tooling = "tooling", "tooling", ["tools", "machines", "technology"];
        Process = "process", "process", ["methods", "procedure"];
        People = "people", "people & communication", ["communication", "people-and-communication", "people-communication"];
        Environment = "environment", "environment", ["infrastructure"];
        Dependencies = "dependencies", "dependencies", ["dependency", "third-party", "vendor"];
        Monitoring = "monitoring", "monitoring", ["observability", "measurement", "alerting"];
        Management = "management", "management", ["organization", "organisation"];
    }
}

vocabulary! {
    /// The three questions of a review's lessons.
    LessonKind, "lesson kind" {
        WentWell = "went-well", "What went well", ["well", "good"];
        WentWrong = "went-wrong", "What went wrong", ["wrong", "bad"];
        Lucky = "lucky", "Where we got lucky", ["got-lucky", "luck"];
    }
}

vocabulary! {
    /// What an action item does about the failure.
    ActionKind, "action kind" {
        Prevent = "prevent", "prevent", ["prevention"];
        Mitigate = "mitigate", "mitigate", ["mitigation"];
        Detect = "detect", "detect", ["detection"];
        Process = "process", "process";
        Documentation = "documentation", "documentation", ["docs", "doc"];
    }
}

vocabulary! {
    /// Where an action item stands.
    ActionStatus, "action status" {
        Open = "open", "open", ["todo"];
        InProgress = "in-progress", "in progress", ["doing", "started"];
        Done = "done", "done", ["closed", "complete", "completed"];
        WontDo = "wont-do", "won't do", ["won't-do", "wontfix", "cancelled", "canceled"];
    }
}

impl ActionStatus {
    /// Done or won't do: nothing more will happen to the item.
    pub fn is_closed(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::WontDo)
    }
}

vocabulary! {
    /// Where the written review stands: draft → in review → published.
    ReviewState, "review state" {
        Draft = "draft", "draft";
        InReview = "in-review", "in review", ["review"];
        Published = "published", "published";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_fold_to_one_value() {
        let cases: &[(&str, ActionStatus)] = &[
            ("in-progress", ActionStatus::InProgress),
            ("In_Progress", ActionStatus::InProgress),
            ("in progress", ActionStatus::InProgress),
            ("won't do", ActionStatus::WontDo),
            ("DONE", ActionStatus::Done),
        ];
        for (input, want) in cases {
            assert_eq!(input.parse::<ActionStatus>().unwrap(), *want, "{input}");
        }
        assert_eq!("sev2".parse::<Severity>().unwrap(), Severity::Sev2);
        assert_eq!("2".parse::<Severity>().unwrap(), Severity::Sev2);
        assert_eq!(
            "People & Communication".parse::<FactorCategory>().unwrap(),
            FactorCategory::People
        );
        assert_eq!(
            "organisation".parse::<FactorLevel>().unwrap(),
            FactorLevel::Organization
        );
    }

    #[test]
    fn unknown_values_name_what_is_accepted() {
        let err = "SEV9".parse::<Severity>().unwrap_err();
        assert_eq!(
            err.message,
            r#"unknown severity "SEV9" (expected one of: SEV1, SEV2, SEV3, SEV4, SEV5)"#
        );
        let err = "fixed".parse::<Status>().unwrap_err();
        assert!(
            err.message
                .contains("open, mitigated, resolved, reviewed, closed")
        );
    }

    #[test]
    fn canonical_names_parse_back_to_themselves() {
        fn check<T: FromStr + fmt::Display + PartialEq + fmt::Debug + Copy>(all: &[T]) {
            for v in all {
                assert_eq!(v.to_string().parse::<T>().ok(), Some(*v));
            }
        }
        check(Severity::ALL);
        check(Status::ALL);
        check(IncidentType::ALL);
        check(ExperimentKind::ALL);
        check(ExperimentStatus::ALL);
        check(ExperimentOutcome::ALL);
        check(RiskLevel::ALL);
        check(RetroItemKind::ALL);
        check(Detection::ALL);
        check(FactorLevel::ALL);
        check(FactorCategory::ALL);
        check(LessonKind::ALL);
        check(ActionKind::ALL);
        check(ActionStatus::ALL);
        check(ReviewState::ALL);
    }

    #[test]
    fn serde_uses_canonical_names() {
        let json = serde_json::to_string(&ActionStatus::InProgress).unwrap();
        assert_eq!(json, r#""in-progress""#);
        let back: Severity = serde_json::from_str(r#""sev1""#).unwrap();
        assert_eq!(back, Severity::Sev1);
        assert!(serde_json::from_str::<Severity>(r#""SEV0""#).is_err());
    }
}
