//! Identifiers a person reads and types: `INC-12` for an incident, `A-7` for an action item.
//! Both parse from their prefixed form (any case) or from the bare number.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::InvalidValue;

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl $name {
            pub const PREFIX: &'static str = $prefix;
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}-{}", $prefix, self.0)
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                let digits = match t.get(..$prefix.len() + 1) {
                    Some(p) if p.eq_ignore_ascii_case(concat!($prefix, "-")) => &t[$prefix.len() + 1..],
                    _ => t,
                };
                match digits.parse::<i64>() {
                    Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok($name(n)),
                    _ => Err(InvalidValue::new(format!(
                        concat!("invalid ", $what, " id {:?} (expected ", $prefix, "-N or N, with N a positive number)"),
                        s
                    ))),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // `id: INC-12` and `id: 12` both read.
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Raw {
                    Number(i64),
                    Text(String),
                }
                match Raw::deserialize(d)? {
                    Raw::Number(n) => n.to_string().parse().map_err(serde::de::Error::custom),
                    Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
                }
            }
        }
    };
}

prefixed_id!(
    /// An incident's number in its store, shown as `INC-12`.
    IncidentId, "INC", "incident"
);
prefixed_id!(
    /// An action item's number in its store, shown as `A-7`. Numbers are global, not per
    /// incident, so `debrief action done A-7` needs nothing else.
    ActionId, "A", "action item"
);
prefixed_id!(
    /// A problem (incidents that recur as one), shown as `PRB-4`.
    ProblemId, "PRB", "problem"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixed_and_bare_forms() {
        for (input, want) in [("INC-12", 12), ("inc-12", 12), ("12", 12), (" INC-3 ", 3)] {
            assert_eq!(
                input.parse::<IncidentId>().unwrap(),
                IncidentId(want),
                "{input}"
            );
        }
        assert_eq!("a-7".parse::<ActionId>().unwrap(), ActionId(7));
        assert_eq!(IncidentId(4).to_string(), "INC-4");
        assert_eq!(ActionId(9).to_string(), "A-9");
        let from_number: IncidentId = serde_json::from_str("12").unwrap();
        assert_eq!(from_number, IncidentId(12));
        let from_text: IncidentId = serde_json::from_str(r#""INC-12""#).unwrap();
        assert_eq!(from_text, IncidentId(12));
        assert!(serde_json::from_str::<IncidentId>("-3").is_err());
    }

    #[test]
    fn rejects_what_is_not_an_id() {
        for input in [
            "", "INC-", "INC-0", "INC--1", "-1", "INC-1x", "A-3", "INC-+4",
        ] {
            let err = input.parse::<IncidentId>().unwrap_err();
            assert!(
                err.message.contains("invalid incident id"),
                "{input}: {err}"
            );
        }
    }
}
prefixed_id!(
    /// An experiment (a canary, an A/B test, a chaos experiment, …), shown as `EXP-3`.
    ExperimentId, "EXP", "experiment"
);
prefixed_id!(
    /// A pre-mortem of a launch or project, shown as `PM-2`.
    PremortemId, "PM", "pre-mortem"
);
prefixed_id!(
    /// A retrospective of a team's stretch of work, shown as `RETRO-4`.
    RetroId, "RETRO", "retrospective"
);
