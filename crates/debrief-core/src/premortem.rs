//! A pre-mortem: before a launch, imagine it has failed and say how. Each imagined failure is
//! a risk with a likelihood, an impact, a mitigation and an owner. After the launch, the
//! incidents it had are linked to the risks they realised; an incident no risk foresaw is a
//! surprise. How much was foreseen is a figure of learning.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::incident::{block, line, single_line};
use crate::{IncidentId, InvalidValue, PremortemId, RiskLevel};

/// One imagined failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    /// How it fails: "the payment provider rate-limits the new region".
    pub text: String,
    pub likelihood: RiskLevel,
    pub impact: RiskLevel,
    #[serde(default)]
    pub mitigation: String,
    /// The team that owns the mitigation.
    #[serde(default)]
    pub owner: Option<String>,
    /// The mitigation is in place.
    #[serde(default)]
    pub mitigated: bool,
}

/// A pre-mortem with its risks and the incidents of the launch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Premortem {
    pub id: Option<PremortemId>,
    /// The launch or project: "EU checkout launch".
    pub title: String,
    pub launch: Option<Date>,
    #[serde(default)]
    pub risks: Vec<Risk>,
    /// Incidents of the launch, each with the risk it realised (its number, from 1), or
    /// none: a surprise.
    #[serde(default)]
    pub incidents: Vec<(IncidentId, Option<usize>)>,
}

/// What a pre-mortem foresaw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Foresight {
    pub risks: usize,
    pub mitigated: usize,
    /// Incidents linked to a risk.
    pub foreseen: usize,
    /// Incidents no risk foresaw.
    pub surprises: usize,
    /// Foreseen of all linked incidents (none linked: `None`).
    pub rate: Option<f64>,
}

impl Premortem {
    pub fn new(title: impl Into<String>, launch: Option<Date>) -> Self {
        Premortem {
            id: None,
            title: title.into(),
            launch,
            risks: Vec::new(),
            incidents: Vec::new(),
        }
    }

    pub fn normalize(&mut self) {
        self.title = line(&self.title);
        for r in &mut self.risks {
            r.text = line(&r.text);
            r.mitigation = block(&r.mitigation);
            r.owner = r.owner.as_deref().map(line).filter(|o| !o.is_empty());
        }
        self.incidents.sort();
    }

    pub fn validate(&self) -> Result<(), InvalidValue> {
        single_line("title", &self.title, true)?;
        for (n, r) in self.risks.iter().enumerate() {
            single_line(&format!("risk {}", n + 1), &r.text, true)?;
            if let Some(o) = &r.owner {
                single_line(&format!("risk {} owner", n + 1), o, true)?;
            }
            if r.mitigated && r.mitigation.trim().is_empty() {
                return Err(InvalidValue::new(format!(
                    "risk {} is marked mitigated but says no mitigation",
                    n + 1
                )));
            }
        }
        for (i, (id, risk)) in self.incidents.iter().enumerate() {
            if let Some(r) = risk {
                if *r == 0 || *r > self.risks.len() {
                    return Err(InvalidValue::new(format!(
                        "{id} is linked to risk {r}, but the pre-mortem has {} risks",
                        self.risks.len()
                    )));
                }
            }
            if self.incidents[..i].iter().any(|(other, _)| other == id) {
                return Err(InvalidValue::new(format!("{id} is linked twice")));
            }
        }
        Ok(())
    }

    /// Marks risk `risk` (from 1) as mitigated, or not.
    pub fn set_mitigated(&mut self, risk: usize, mitigated: bool) -> Result<(), InvalidValue> {
        let n = self.risks.len();
        let name = self
            .id
            .map_or_else(|| "the pre-mortem".into(), |i| i.to_string());
        let r = risk
            .checked_sub(1)
            .and_then(|k| self.risks.get_mut(k))
            .ok_or_else(|| InvalidValue::new(format!("{name} has no risk {risk} (it has {n})")))?;
        r.mitigated = mitigated;
        Ok(())
    }

    /// Links `incident` to the launch: to risk `risk` (from 1), or as a surprise. Linking
    /// again changes the risk.
    pub fn link(&mut self, incident: IncidentId, risk: Option<usize>) {
        self.incidents.retain(|(i, _)| *i != incident);
        self.incidents.push((incident, risk));
        self.incidents.sort();
    }

    pub fn foresight(&self) -> Foresight {
        let foreseen = self.incidents.iter().filter(|(_, r)| r.is_some()).count();
        let linked = self.incidents.len();
        Foresight {
            risks: self.risks.len(),
            mitigated: self.risks.iter().filter(|r| r.mitigated).count(),
            foreseen,
            surprises: linked - foreseen,
            rate: (linked > 0).then(|| foreseen as f64 / linked as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn risk(text: &str) -> Risk {
        Risk {
            text: text.into(),
            likelihood: RiskLevel::Medium,
            impact: RiskLevel::High,
            mitigation: String::new(),
            owner: None,
            mitigated: false,
        }
    }

    #[test]
    fn foresight_counts_foreseen_incidents_and_surprises() {
        let mut p = Premortem::new("EU checkout launch", None);
        p.risks = vec![risk("Provider rate limits"), risk("Tax rules differ")];
        assert_eq!(p.foresight().rate, None);
        p.link(IncidentId(4), Some(1));
        p.link(IncidentId(9), None);
        p.link(IncidentId(11), Some(2));
        p.link(IncidentId(11), Some(1));
        let f = p.foresight();
        assert_eq!((f.foreseen, f.surprises, f.risks), (2, 1, 2));
        assert_eq!(f.rate, Some(2.0 / 3.0));
        p.validate().unwrap();
        p.link(IncidentId(12), Some(3));
        assert!(p.validate().unwrap_err().message.contains("has 2 risks"));
    }

    #[test]
    fn a_mitigated_risk_says_how() {
        let mut p = Premortem::new("Launch", None);
        let mut r = risk("Cache stampede");
        r.mitigated = true;
        p.risks.push(r);
        assert!(
            p.validate()
                .unwrap_err()
                .message
                .contains("says no mitigation")
        );
    }
}
