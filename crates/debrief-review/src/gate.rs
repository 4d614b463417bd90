//! The publish gate: what must hold before a review is published, and how to fix each point.
//!
//! A review is linted as the document [`render`] writes, so the line and column of a finding
//! are those of `debrief review export`. Publishing is refused while
//! - an error-level finding is not acknowledged (blame left in the prose);
//! - there are no contributing factors, or every one is technical (a holistic review names
//!   the process and organization conditions too);
//! - an action item has no owner team (work nobody owns is not done).

use std::fmt;

use debrief_core::{Acknowledgement, FactorLevel, Incident, ReviewState};
use debrief_lint::{Finding, Level, Rules};

use crate::render;

/// The name findings of a stored review carry as their file: `INC-3.md`, the name
/// `debrief export` gives the document.
pub fn document_name(incident: &Incident) -> String {
    match incident.id {
        Some(id) => format!("{id}.md"),
        None => "review.md".to_string(),
    }
}

/// Lints a review's prose as its document reads.
pub fn lint_review(incident: &Incident, rules: &Rules) -> Vec<Finding> {
    debrief_lint::lint_markdown(&render(incident), rules, &document_name(incident))
}

/// One thing that stops a review from being published.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocker {
    /// An error-level finding nobody has acknowledged.
    Finding(Finding),
    /// The review names no contributing factor.
    NoFactors,
    /// Every contributing factor is technical; `count` of them.
    OnlyTechnical { count: usize },
    /// An action item with no owner team (`id` is None only for unsaved reviews).
    NoOwner {
        id: Option<debrief_core::ActionId>,
        title: String,
    },
}

/// Everything that stops `incident` from being published, given its lint findings and the
/// acknowledgements stored with it. Empty means it may be published.
pub fn publish_blockers(
    incident: &Incident,
    findings: &[Finding],
    acks: &[Acknowledgement],
) -> Vec<Blocker> {
    let mut blockers: Vec<Blocker> = findings
        .iter()
        .filter(|f| f.level == Level::Error && !acks.iter().any(|a| a.finding == f.id))
        .cloned()
        .map(Blocker::Finding)
        .collect();
    if incident.factors.is_empty() {
        blockers.push(Blocker::NoFactors);
    } else if incident
        .factors
        .iter()
        .all(|f| f.level == FactorLevel::Technical)
    {
        blockers.push(Blocker::OnlyTechnical {
            count: incident.factors.len(),
        });
    }
    for a in &incident.actions {
        if a.owner.as_deref().is_none_or(|o| o.trim().is_empty()) {
            blockers.push(Blocker::NoOwner {
                id: a.id,
                title: a.title.clone(),
            });
        }
    }
    blockers
}

/// What stops a document that says `review: published` from being stored as published over
/// `stored` (what the store holds under its number, if anything): nothing when it says
/// otherwise or equals what is stored; else the gate's blockers for the document as written,
/// with its own acknowledgements. Whoever imports keeps the text, in review, when this is
/// not empty.
pub fn import_blockers(doc: &Incident, stored: Option<&Incident>, rules: &Rules) -> Vec<Blocker> {
    if doc.review != ReviewState::Published {
        return Vec::new();
    }
    let mut normalized = doc.clone();
    normalized.normalize();
    if stored == Some(&normalized) {
        return Vec::new();
    }
    let findings = lint_review(doc, rules);
    publish_blockers(doc, &findings, &doc.acknowledged)
}

impl Blocker {
    /// How the author fixes this point of review `incident` (`INC-3`), as commands to run.
    pub fn how_to_fix(&self, incident: &str) -> String {
        match self {
            Blocker::Finding(f) => format!(
                "reword it: {} Then check with `debrief lint --incident {incident}`. If the \
                 sentence must stand as written (a quotation, say), acknowledge it: \
                 `debrief review ack {incident} {} --reason \"…\"`",
                f.suggestion, f.id
            ),
            Blocker::NoFactors => format!(
                "add the conditions that together made the failure possible, at the technical, \
                 process and organization levels: `debrief factor add {incident} \"…\" --level \
                 process --category tooling`"
            ),
            Blocker::OnlyTechnical { .. } => format!(
                "ask what in how work is done (process) and in priorities, staffing, incentives \
                 or structure (organization) let the technical conditions exist, and add it: \
                 `debrief factor add {incident} \"…\" --level process|organization --category …`"
            ),
            Blocker::NoOwner { id, .. } => match id {
                Some(id) => format!(
                    "give it to a team (a team, not a person: the work outlives who picks it \
                     up): `debrief action edit {id} --owner TEAM`"
                ),
                None => "give it an owner team (`owner:` under the item)".to_string(),
            },
        }
    }
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::Finding(x) => write!(
                f,
                "{}:{}:{}: {} {} [{}]: {}",
                x.file,
                x.line,
                x.column,
                x.level.as_str(),
                x.rule,
                x.id,
                x.message
            ),
            Blocker::NoFactors => f.write_str("the review names no contributing factor"),
            Blocker::OnlyTechnical { count: 1 } => {
                f.write_str("its one contributing factor is technical")
            }
            Blocker::OnlyTechnical { count } => {
                write!(f, "all {count} contributing factors are technical")
            }
            Blocker::NoOwner { id, title } => match id {
                Some(id) => write!(f, "action item {id} ({title:?}) has no owner team"),
                None => write!(f, "action item {title:?} has no owner team"),
            },
        }
    }
}
