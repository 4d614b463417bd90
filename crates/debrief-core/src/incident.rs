//! The incident aggregate: one failure worth learning from and its whole blameless review.
//!
//! Invariant: an [`Incident`] that passed [`Incident::validate`] can be written as a review
//! document and read back unchanged; the rules below exist to keep that true (single-line
//! fields hold no line breaks, free text holds no heading that would end its section).

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::kinds::*;
use crate::{ActionId, IncidentId, InvalidValue};

/// One failure worth learning from, with its review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// `None` until the store has given it a number.
    pub id: Option<IncidentId>,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: IncidentType,
    /// Nothing (or little) broke, but it nearly did.
    pub near_miss: bool,
    pub severity: Severity,
    pub status: Status,
    pub review: ReviewState,
    pub services: Vec<String>,
    pub started: Option<Timestamp>,
    pub detected: Option<Timestamp>,
    pub mitigated: Option<Timestamp>,
    pub resolved: Option<Timestamp>,
    /// When the review was first published (kept if it is reopened and published again).
    pub published: Option<Timestamp>,
    pub detection: Option<Detection>,
    /// What happened, in a few sentences (Markdown).
    pub summary: String,
    /// Who and what was affected, how badly (Markdown).
    pub impact: String,
    /// Impact in numbers, by name: `users_affected: 1200`.
    pub impact_metrics: BTreeMap<String, f64>,
    pub timeline: Vec<TimelineEntry>,
    pub factors: Vec<Factor>,
    pub lessons: Vec<Lesson>,
    pub actions: Vec<ActionItem>,
    /// Anything else the authors want to keep with the review (Markdown).
    pub notes: String,
    /// Lint findings of the review that its authors chose to keep, and why (by finding id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acknowledged: Vec<Acknowledgement>,
}

/// What happened at one moment, and what the people involved knew then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: Timestamp,
    pub text: String,
    /// What was known when this happened or was decided; empty when not recorded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub known: String,
}

/// A contributing factor: one of the conditions that together made the failure possible.
/// There is no single root cause; a factor has a level and a fishbone category, and a
/// why-chain that digs under it. Factors are numbered by position (F1, F2, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    pub title: String,
    pub level: FactorLevel,
    pub category: FactorCategory,
    /// More detail (Markdown); empty when there is none.
    #[serde(default)]
    pub description: String,
    /// The "5 whys", in order: each answers why the one before it was so.
    #[serde(default)]
    pub whys: Vec<String>,
}

/// One lesson: something that went well, went wrong, or where luck helped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    pub kind: LessonKind,
    pub text: String,
}

/// Something the organization commits to doing because of the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItem {
    /// `None` until the store has given it a number.
    pub id: Option<ActionId>,
    pub title: String,
    pub kind: ActionKind,
    /// The team that owns it (a team, not a person: the work outlives who picks it up).
    pub owner: Option<String>,
    pub due: Option<Date>,
    pub status: ActionStatus,
    /// Where the work is tracked (an issue tracker URL).
    pub link: Option<String>,
    pub opened: Option<Date>,
    pub closed: Option<Date>,
    /// Whether it worked, as a person judged after closing it: did the failure mode stay
    /// away? `None` until someone says. Only a closed item has a verdict.
    pub worked: Option<bool>,
}

impl ActionItem {
    /// Tidies the text a person typed: one line each, empty owner and link dropped.
    pub fn normalize(&mut self) {
        self.title = line(&self.title);
        self.owner = self.owner.as_deref().map(line).filter(|s| !s.is_empty());
        self.link = self.link.as_deref().map(line).filter(|s| !s.is_empty());
    }

    /// Checks the item on its own; `index` (from 0) names it while it has no number.
    pub fn validate(&self, index: usize) -> Result<(), InvalidValue> {
        let a = self;
        let what = match a.id {
            Some(id) => id.to_string(),
            None => format!("action item {}", index + 1),
        };
        single_line(&format!("{what} title"), &a.title, true)?;
        if let Some(owner) = &a.owner {
            single_line(&format!("{what} owner"), owner, true)?;
        }
        if let Some(link) = &a.link {
            if link.is_empty() || link.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(InvalidValue::new(format!(
                    "{what} link {link:?} is not a link (one URL, no spaces)"
                )));
            }
        }
        if let (Some(o), Some(c)) = (a.opened, a.closed) {
            if c < o {
                return Err(InvalidValue::new(format!(
                    "{what}: closed ({c}) is before opened ({o})"
                )));
            }
        }
        if a.worked.is_some() && !a.status.is_closed() {
            return Err(InvalidValue::new(format!(
                "{what} is {} but says whether it worked; only a closed item can",
                a.status
            )));
        }
        Ok(())
    }
}

impl Incident {
    /// A new, open, draft operational incident with nothing else filled in.
    pub fn new(title: impl Into<String>, severity: Severity) -> Self {
        Incident {
            id: None,
            title: title.into(),
            kind: IncidentType::Operational,
            near_miss: false,
            severity,
            status: Status::Open,
            review: ReviewState::Draft,
            services: Vec::new(),
            started: None,
            detected: None,
            mitigated: None,
            resolved: None,
            published: None,
            detection: None,
            summary: String::new(),
            impact: String::new(),
            impact_metrics: BTreeMap::new(),
            timeline: Vec::new(),
            factors: Vec::new(),
            lessons: Vec::new(),
            actions: Vec::new(),
            notes: String::new(),
            acknowledged: Vec::new(),
        }
    }

    /// Puts text in the one form debrief keeps: single-line fields trimmed, free text with
    /// Unix line ends, no trailing white space on a line, and no blank lines around it.
    pub fn normalize(&mut self) {
        self.title = line(&self.title);
        for s in &mut self.services {
            *s = line(s);
        }
        self.summary = block(&self.summary);
        for a in &mut self.acknowledged {
            a.reason = line(&a.reason);
        }
        self.acknowledged.sort_by(|a, b| a.finding.cmp(&b.finding));
        self.impact = block(&self.impact);
        self.notes = block(&self.notes);
        for e in &mut self.timeline {
            e.text = line(&e.text);
            e.known = line(&e.known);
        }
        for f in &mut self.factors {
            f.title = line(&f.title);
            f.description = block(&f.description);
            for w in &mut f.whys {
                *w = line(w);
            }
        }
        for l in &mut self.lessons {
            l.text = line(&l.text);
        }
        for a in &mut self.actions {
            a.normalize();
        }
    }

    /// Checks every rule of a valid review and returns the first broken one, naming the
    /// field: `resolved (2024-03-01T10:00:00Z) is before started (2024-03-01T12:00:00Z)`.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        single_line("title", &self.title, true)?;
        if self.title.chars().count() > 300 {
            return Err(InvalidValue::new("title is longer than 300 characters"));
        }
        for (i, s) in self.services.iter().enumerate() {
            if s.is_empty()
                || s.chars()
                    .any(|c| c.is_whitespace() || c == ',' || c.is_control())
            {
                return Err(InvalidValue::new(format!(
                    "service {s:?} is not a service name (one word: letters, digits, - _ . /; no spaces or commas)"
                )));
            }
            if self.services[..i].contains(s) {
                return Err(InvalidValue::new(format!("service {s:?} is listed twice")));
            }
        }
        let times = [
            ("started", self.started),
            ("detected", self.detected),
            ("mitigated", self.mitigated),
            ("resolved", self.resolved),
        ];
        for (i, (later_name, later)) in times.iter().enumerate() {
            for (earlier_name, earlier) in &times[..i] {
                if let (Some(e), Some(l)) = (earlier, later) {
                    if l < e {
                        return Err(InvalidValue::new(format!(
                            "{later_name} ({l}) is before {earlier_name} ({e})"
                        )));
                    }
                }
            }
        }
        for t in [
            &self.started,
            &self.detected,
            &self.mitigated,
            &self.resolved,
            &self.published,
        ]
        .into_iter()
        .flatten()
        {
            if t.subsec_nanosecond() != 0 {
                return Err(InvalidValue::new(format!(
                    "time {t} has fractions of a second"
                )));
            }
        }
        for (i, a) in self.acknowledged.iter().enumerate() {
            a.validate()?;
            if self.acknowledged[..i]
                .iter()
                .any(|b| b.finding == a.finding)
            {
                return Err(InvalidValue::new(format!(
                    "finding {} is acknowledged twice",
                    a.finding
                )));
            }
            if a.at.subsec_nanosecond() != 0 {
                return Err(InvalidValue::new(format!(
                    "the acknowledgement of {} has fractions of a second",
                    a.finding
                )));
            }
        }
        free_text("summary", &self.summary, 2)?;
        free_text("impact", &self.impact, 2)?;
        free_text("notes", &self.notes, 2)?;
        for (name, value) in &self.impact_metrics {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(InvalidValue::new(format!(
                    "impact metric name {name:?} must be letters, digits, - or _ (like users_affected)"
                )));
            }
            if !value.is_finite() {
                return Err(InvalidValue::new(format!(
                    "impact metric {name} is {value}, not a finite number"
                )));
            }
        }
        for (i, e) in self.timeline.iter().enumerate() {
            let what = format!("timeline entry {}", i + 1);
            single_line(&what, &e.text, true)?;
            single_line(&format!("{what} (known then)"), &e.known, false)?;
            if e.at.subsec_nanosecond() != 0 {
                return Err(InvalidValue::new(format!(
                    "{what}: time has fractions of a second"
                )));
            }
        }
        for (i, f) in self.factors.iter().enumerate() {
            let what = format!("factor F{}", i + 1);
            single_line(&format!("{what} title"), &f.title, true)?;
            free_text(&format!("{what} description"), &f.description, 4)?;
            for (j, w) in f.whys.iter().enumerate() {
                single_line(&format!("{what} why {}", j + 1), w, true)?;
            }
        }
        for (i, l) in self.lessons.iter().enumerate() {
            single_line(&format!("lesson {}", i + 1), &l.text, true)?;
        }
        for (i, a) in self.actions.iter().enumerate() {
            a.validate(i)?;
            if let Some(id) = a.id {
                if self.actions[..i].iter().any(|b| b.id == Some(id)) {
                    return Err(InvalidValue::new(format!("{id} is listed twice")));
                }
            }
        }
        Ok(())
    }

    /// Moves the incident to status `to` (as checked by [`Incident::check_status_change`]);
    /// reaching mitigated or resolved sets that time to `when` if it is not set yet.
    pub fn move_to(
        &mut self,
        to: Status,
        when: Timestamp,
        reopen: bool,
    ) -> Result<(), InvalidValue> {
        self.check_status_change(to, reopen)?;
        self.status = to;
        if to == Status::Mitigated && self.mitigated.is_none() {
            self.mitigated = Some(when);
        }
        if to == Status::Resolved && self.resolved.is_none() {
            self.resolved = Some(when);
        }
        Ok(())
    }

    /// Checks a status change: forward moves only, unless `force` (reopening happens, but it
    /// should be deliberate).
    pub fn check_status_change(&self, to: Status, force: bool) -> Result<(), InvalidValue> {
        if to < self.status && !force {
            return Err(InvalidValue::new(format!(
                "status would move back from {} to {}; pass --reopen if that is what happened",
                self.status, to
            )));
        }
        Ok(())
    }

    /// Open action items: neither done nor won't do.
    pub fn open_actions(&self) -> impl Iterator<Item = &ActionItem> {
        self.actions.iter().filter(|a| !a.status.is_closed())
    }
}

pub(crate) fn line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn block(s: &str) -> String {
    let unix = s.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = unix.lines().map(str::trim_end).collect();
    let start = lines.iter().position(|l| !l.is_empty());
    let end = lines.iter().rposition(|l| !l.is_empty());
    match (start, end) {
        (Some(s), Some(e)) => lines[s..=e].join("\n"),
        _ => String::new(),
    }
}

pub(crate) fn single_line(what: &str, s: &str, required: bool) -> Result<(), InvalidValue> {
    if required && s.trim().is_empty() {
        return Err(InvalidValue::new(format!("{what} is empty")));
    }
    if s.contains(['\n', '\r']) {
        return Err(InvalidValue::new(format!("{what} must be a single line")));
    }
    if s.chars().any(|c| c.is_control() && c != '\t') {
        return Err(InvalidValue::new(format!(
            "{what} holds a control character"
        )));
    }
    if s != line(s) {
        return Err(InvalidValue::new(format!(
            "{what} has white space at its ends or runs of spaces inside"
        )));
    }
    Ok(())
}

/// Free Markdown may hold headings deeper than the section it sits in (`min_depth` and more
/// `#`), but none that would end that section, and no control characters but tab and line
/// feed. Fenced code blocks are left alone.
fn free_text(what: &str, s: &str, min_depth: usize) -> Result<(), InvalidValue> {
    if s.chars().any(|c| c.is_control() && c != '\t' && c != '\n') {
        return Err(InvalidValue::new(format!(
            "{what} holds a control character"
        )));
    }
    if s != block(s) {
        return Err(InvalidValue::new(format!(
            "{what} has blank lines at its ends or white space at a line end"
        )));
    }
    let mut fence: Option<String> = None;
    for (n, l) in s.lines().enumerate() {
        let t = l.trim_start();
        if let Some(open) = &fence {
            if t.starts_with(open.as_str()) {
                fence = None;
            }
            continue;
        }
        if let Some(f) = fence_marker(t) {
            fence = Some(f);
            continue;
        }
        if let Some(depth) = heading_depth(l) {
            if depth <= min_depth {
                return Err(InvalidValue::new(format!(
                    "{what}, line {}: a level-{depth} heading would end this part of the review; \
                     use {} or deeper",
                    n + 1,
                    "#".repeat(min_depth + 1)
                )));
            }
        }
        if l == "---" && n == 0 {
            return Err(InvalidValue::new(format!(
                "{what} starts with ---, which reads as front matter"
            )));
        }
    }
    if let Some(open) = fence {
        return Err(InvalidValue::new(format!(
            "{what} opens a code block with {open} that is never closed"
        )));
    }
    Ok(())
}

/// The opening of a fenced code block (three or more backticks or tildes), if `t` is one.
pub fn fence_marker(t: &str) -> Option<String> {
    for ch in ['`', '~'] {
        let n = t.chars().take_while(|&c| c == ch).count();
        if n >= 3 {
            return Some(ch.to_string().repeat(n));
        }
    }
    None
}

/// The level of an ATX heading (`## Title` is 2), if the line is one. Headings may be
/// indented by up to three spaces, as in CommonMark.
pub fn heading_depth(l: &str) -> Option<usize> {
    let indent = l.len() - l.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let t = &l[indent..];
    let depth = t.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&depth) && (t.len() == depth || t[depth..].starts_with([' ', '\t'])) {
        Some(depth)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn sample() -> Incident {
        let mut i = Incident::new("Checkout fails after config push", Severity::Sev2);
        i.services = vec!["checkout".into()];
        i.started = Some(ts("2024-03-01T14:00:00Z"));
        i.resolved = Some(ts("2024-03-01T15:00:00Z"));
        i
    }

    #[test]
    fn a_plain_incident_is_valid() {
        sample().validate().unwrap();
    }

    #[test]
    fn invalid_states_are_rejected_with_a_reason() {
        type Breaker = fn(&mut Incident);
        let cases: &[(Breaker, &str)] = &[
            (
                |i| i.resolved = Some(ts("2024-03-01T13:00:00Z")),
                "resolved (2024-03-01T13:00:00Z) is before started",
            ),
            (
                |i| i.detected = Some(ts("2024-03-01T13:59:59Z")),
                "detected (2024-03-01T13:59:59Z) is before started",
            ),
            (|i| i.title = String::new(), "title is empty"),
            (
                |i| i.title = "two\nlines".into(),
                "title must be a single line",
            ),
            (|i| i.services.push("checkout".into()), "listed twice"),
            (
                |i| i.services.push("two words".into()),
                "is not a service name",
            ),
            (
                |i| i.summary = "text\n## Heading".into(),
                "summary, line 2: a level-2 heading",
            ),
            (
                |i| {
                    i.impact_metrics.insert("users affected".into(), 3.0);
                },
                "impact metric name",
            ),
            (
                |i| {
                    i.impact_metrics.insert("users".into(), f64::NAN);
                },
                "not a finite number",
            ),
        ];
        for (breaker, want) in cases {
            let mut i = sample();
            breaker(&mut i);
            let err = i.validate().expect_err(want);
            assert!(err.message.contains(want), "got {err}, want {want}");
        }
    }

    #[test]
    fn headings_inside_code_fences_are_text() {
        let mut i = sample();
        i.summary = "Before\n```\n## not a heading\n```\nAfter".into();
        i.validate().unwrap();
    }

    #[test]
    fn normalize_makes_text_canonical() {
        let mut i = sample();
        i.title = "  Checkout   fails ".into();
        i.summary = "\n\nline one  \r\nline two\n\n".into();
        i.normalize();
        assert_eq!(i.title, "Checkout fails");
        assert_eq!(i.summary, "line one\nline two");
        i.validate().unwrap();
    }

    #[test]
    fn status_moves_forward_unless_forced() {
        let mut i = sample();
        i.status = Status::Resolved;
        assert!(i.check_status_change(Status::Closed, false).is_ok());
        let err = i.check_status_change(Status::Open, false).unwrap_err();
        assert!(err.message.contains("--reopen"));
        assert!(i.check_status_change(Status::Open, true).is_ok());
    }

    #[test]
    fn heading_depth_follows_commonmark() {
        assert_eq!(heading_depth("## Summary"), Some(2));
        assert_eq!(heading_depth("   # Title"), Some(1));
        assert_eq!(heading_depth("    # code"), None);
        assert_eq!(heading_depth("#hashtag"), None);
        assert_eq!(heading_depth("####### seven"), None);
        assert_eq!(heading_depth("###"), Some(3));
    }
}

/// A lint finding in a review's prose that its authors looked at and chose to keep, and why.
/// It stays visible but no longer blocks publishing. `finding` is the finding's id (its rule
/// and a hash of its sentence), so an edited sentence is a new finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub finding: String,
    pub reason: String,
    pub at: Timestamp,
}

impl Acknowledgement {
    /// Checks that the finding id is one word and the reason says something.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        if self.finding.is_empty() || self.finding.chars().any(char::is_whitespace) {
            return Err(InvalidValue::new(format!(
                "{:?} is not a finding id (one word, such as human-error-1a2b3c4d)",
                self.finding
            )));
        }
        single_line("reason", &self.reason, true)?;
        if self.reason.trim().chars().count() < 3 {
            return Err(InvalidValue::new(
                "the reason is empty; say why the finding stands (it is kept with the review)",
            ));
        }
        Ok(())
    }
}
