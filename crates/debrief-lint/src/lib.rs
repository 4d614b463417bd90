//! `debrief lint`: finds blame, counterfactuals, hindsight and judgement words in the prose
//! of post-mortems, each with a systemic reframing.
//!
//! - [`rules`]: rules as data (a default set in the binary, user files, config switches);
//! - [`prose`]: the sentences of Markdown or plain text, with their places and sections;
//! - [`lint`]: matching, kept only when the sentence means it (subject, denial, quotation,
//!   section);
//! - [`sarif`]: findings as SARIF 2.1.0.

mod gate;
pub mod labelled;
pub mod lint;
pub mod model;
mod names;
pub mod prose;
pub mod rules;
pub mod sarif;
mod subject;

pub use lint::{Finding, fails, lint};
pub use rules::{Level, Rules};

/// Lints Markdown `text` with `rules`.
pub fn lint_markdown(text: &str, rules: &Rules, file: &str) -> Vec<Finding> {
    lint(text, &prose::markdown(text), rules, file)
}

/// Lints plain `text` with `rules`.
pub fn lint_plain(text: &str, rules: &Rules, file: &str) -> Vec<Finding> {
    lint(text, &prose::plain(text), rules, file)
}
