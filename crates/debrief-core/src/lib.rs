//! The domain of debrief: an incident and its blameless review, as plain data with the rules
//! that keep it valid.
//!
//! This crate knows nothing of storage, files, terminals or clocks: callers pass the current
//! time in where a default needs it. Start with [`Incident`], the aggregate that a review
//! document, the store and the CLI all exchange; the small vocabularies (severity, status,
//! factor level and category, …) live in [`kinds`], identifiers in [`id`], and the parsing of
//! times and dates a person types in [`time`].

pub mod experiment;
pub mod id;
pub mod incident;
pub mod kinds;
pub mod premortem;
pub mod retro;
pub mod text;
pub mod time;

pub use experiment::Experiment;
pub use id::{ActionId, ExperimentId, IncidentId, PremortemId, ProblemId, RetroId};
pub use incident::{Acknowledgement, ActionItem, Factor, Incident, Lesson, TimelineEntry};
pub use kinds::{
    ActionKind, ActionStatus, Detection, ExperimentKind, ExperimentOutcome, ExperimentStatus,
    FactorCategory, FactorLevel, IncidentType, LessonKind, RetroItemKind, ReviewState, RiskLevel,
    Role, Severity, Status,
};
pub use premortem::{Foresight, Premortem, Risk};
pub use retro::{Retro, RetroItem};

/// A value a person gave that the domain does not accept. The message says what was wrong and
/// what would be accepted; callers add where the value came from (file and line, flag name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidValue {
    pub message: String,
}

impl InvalidValue {
    pub fn new(message: impl Into<String>) -> Self {
        InvalidValue {
            message: message.into(),
        }
    }
}
