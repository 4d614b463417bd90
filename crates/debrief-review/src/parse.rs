//! Reading a review document.
//!
//! The grammar, line by line:
//! - front matter between `---` lines at the top (YAML; unknown fields are errors);
//! - `# Title`;
//! - `## Section` headings from [`SECTIONS`], each at most once, in any order;
//! - in Timeline, Lessons and Action items: list items (`- …`) with `  - key: value` fields
//!   under them and wrapped continuation lines indented by two or more spaces;
//! - in Contributing factors: `### F1. Title`, a `- level:` / `- category:` list, free
//!   description, and an optional `#### Why-chain` with a numbered list;
//! - in Summary, Impact, Notes and factor descriptions: free Markdown, kept as written.
//!
//! HTML comment lines in the structured sections are skipped. Fenced code blocks never start
//! a section.

use std::collections::BTreeMap;

use debrief_core::incident::{fence_marker, heading_depth};
use debrief_core::{
    ActionId, ActionItem, ActionKind, ActionStatus, Detection, Factor, FactorCategory, FactorLevel,
    Incident, IncidentId, IncidentType, Lesson, LessonKind, ReviewState, Severity, Status,
    TimelineEntry,
};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;

use crate::{ParseError, SECTIONS, WHY_HEADING};

type Line<'a> = (usize, &'a str);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontIn {
    id: Option<IncidentId>,
    #[serde(rename = "type", default = "operational")]
    kind: IncidentType,
    #[serde(default)]
    near_miss: bool,
    severity: Severity,
    #[serde(default = "open")]
    status: Status,
    #[serde(default = "draft")]
    review: ReviewState,
    #[serde(default)]
    services: Vec<String>,
    started: Option<Time>,
    detected: Option<Time>,
    mitigated: Option<Time>,
    resolved: Option<Time>,
    /// When the review was first published.
    published: Option<Time>,
    detection: Option<Detection>,
    #[serde(default)]
    impact: BTreeMap<String, f64>,
    /// Lint findings the authors chose to keep, and why.
    #[serde(default)]
    acknowledged: Vec<AckIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AckIn {
    finding: String,
    reason: String,
    at: Time,
}

fn operational() -> IncidentType {
    IncidentType::Operational
}
fn open() -> Status {
    Status::Open
}
fn draft() -> ReviewState {
    ReviewState::Draft
}

/// An instant in front matter: RFC 3339, or a UTC date and time without offset.
struct Time(Timestamp);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_instant(&s)
            .map(Time)
            .map_err(serde::de::Error::custom)
    }
}

fn parse_instant(s: &str) -> Result<Timestamp, String> {
    // Relative forms ("now", "2h ago") make no sense in a document; refuse them.
    if s.trim().eq_ignore_ascii_case("now") || s.trim().ends_with("ago") {
        return Err(format!(
            "invalid time {s:?} (a document needs an absolute time like 2024-03-01T14:02:00Z)"
        ));
    }
    debrief_core::time::parse_time(s, Timestamp::UNIX_EPOCH).map_err(|e| e.message)
}

/// Headings common in other post-mortem templates, read as debrief's sections.
const SECTION_ALIASES: &[(&str, &str)] = &[
    ("Lessons learned", "Lessons"),
    ("Lessons learnt", "Lessons"),
    ("Actions", "Action items"),
    ("Follow-up actions", "Action items"),
    ("Follow-ups", "Action items"),
    ("Corrective actions", "Action items"),
    ("Contributing causes", "Contributing factors"),
    ("Causes", "Contributing factors"),
    ("Root causes", "Contributing factors"),
    ("Root cause analysis", "Contributing factors"),
    ("Timeline of events", "Timeline"),
    ("Overview", "Summary"),
    ("Customer impact", "Impact"),
    ("Additional notes", "Notes"),
    ("Appendix", "Notes"),
];

/// Parses a whole review document.
pub fn parse(text: &str) -> Result<Incident, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let unix;
    let text = if text.contains('\r') {
        unix = text.replace("\r\n", "\n");
        unix.as_str()
    } else {
        text
    };
    let lines: Vec<Line> = text.lines().enumerate().map(|(n, l)| (n + 1, l)).collect();
    if let Some(&(n, l)) = lines
        .iter()
        .find(|(_, l)| l.chars().any(|c| c.is_control() && c != '\t'))
    {
        let col = l
            .chars()
            .take_while(|c| !c.is_control() || *c == '\t')
            .count()
            + 1;
        return Err(ParseError::at(
            n,
            format!("control character at column {col}; a review document is plain text"),
        ));
    }

    let (front, front_lines, body) = split_front_matter(&lines)?;
    let fm: FrontIn = serde_yaml_ng::from_str(&front).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        // Errors of a value's own parsing carry no precise place; find the value instead.
        let quoted = msg.split('"').nth(1).filter(|q| !q.is_empty());
        let line = quoted
            .and_then(|q| {
                front_lines
                    .iter()
                    .find(|(_, l)| l.contains(q))
                    .map(|(n, _)| *n)
            })
            .unwrap_or_else(|| e.location().map_or(1, |l| l.line() + 1));
        ParseError::at(line, format!("front matter: {msg}"))
    })?;

    // The title: the first non-blank line of the body.
    let mut rest = body;
    while let Some((_, l)) = rest.first() {
        if l.trim().is_empty() {
            rest = &rest[1..];
        } else {
            break;
        }
    }
    let &(title_line, title_text) = rest.first().ok_or_else(|| {
        ParseError::at(
            lines.len().max(1),
            "the document has no title: after the front matter, write it as '# Title'",
        )
    })?;
    if heading_depth(title_text) != Some(1) {
        return Err(ParseError::at(
            title_line,
            "expected the title as '# Title' here, after the front matter",
        ));
    }
    let title = heading_text(title_text);

    let mut incident = Incident::new(title, fm.severity);
    incident.id = fm.id;
    incident.kind = fm.kind;
    incident.near_miss = fm.near_miss;
    incident.status = fm.status;
    incident.review = fm.review;
    incident.services = fm.services;
    incident.started = fm.started.map(|t| t.0);
    incident.detected = fm.detected.map(|t| t.0);
    incident.mitigated = fm.mitigated.map(|t| t.0);
    incident.resolved = fm.resolved.map(|t| t.0);
    incident.published = fm.published.map(|t| t.0);
    incident.detection = fm.detection;
    incident.impact_metrics = fm.impact;
    incident.acknowledged = fm
        .acknowledged
        .into_iter()
        .map(|a| debrief_core::Acknowledgement {
            finding: a.finding,
            reason: a.reason,
            at: a.at.0,
        })
        .collect();

    let sections = split_headings(&rest[1..], 2)?;
    if let Some(pre) = sections.preamble.iter().find(|(_, l)| !l.trim().is_empty()) {
        return Err(ParseError::at(
            pre.0,
            "text between the title and the first section; put it under '## Summary'",
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for part in &sections.parts {
        let name = SECTIONS
            .iter()
            .find(|s| fold(s) == fold(&part.title))
            .or_else(|| {
                SECTION_ALIASES
                    .iter()
                    .find(|(alias, _)| fold(alias) == fold(&part.title))
                    .and_then(|(_, canon)| SECTIONS.iter().find(|s| *s == canon))
            })
            .ok_or_else(|| {
                ParseError::at(
                    part.line,
                    format!(
                        "unknown section {:?} (expected one of: {}; put other text under '## Notes')",
                        part.title,
                        SECTIONS.join(", ")
                    ),
                )
            })?;
        if seen.contains(name) {
            return Err(ParseError::at(
                part.line,
                format!("section '## {name}' appears twice"),
            ));
        }
        seen.push(name);
        match *name {
            "Summary" => incident.summary = free_text(&part.body),
            "Impact" => incident.impact = free_text(&part.body),
            "Notes" => incident.notes = free_text(&part.body),
            "Timeline" => incident.timeline = timeline(&part.body)?,
            "Contributing factors" => incident.factors = factors(&part.body)?,
            "Lessons" => incident.lessons = lessons(&part.body)?,
            "Action items" => incident.actions = actions(&part.body)?,
            _ => unreachable!("every name in SECTIONS is handled"),
        }
    }

    incident.normalize();
    incident.validate().map_err(|e| {
        // Point at the front-matter key the message is about, when there is one.
        let first = e.message.split([' ', ',']).next().unwrap_or("");
        let line = front_lines
            .iter()
            .find(|(_, l)| l.starts_with(&format!("{first}:")))
            .map_or(title_line, |(n, _)| *n);
        ParseError::at(line, e.message)
    })?;
    Ok(incident)
}

/// Splits `---` front matter from the body; the returned YAML has the same line numbers as
/// the document minus one (the opening `---`).
fn split_front_matter<'a>(
    lines: &'a [Line<'a>],
) -> Result<(String, &'a [Line<'a>], &'a [Line<'a>]), ParseError> {
    match lines.first() {
        Some((_, l)) if l.trim_end() == "---" => {}
        _ => {
            return Err(ParseError::at(
                1,
                "the document must start with front matter: a '---' line, the fields (at least \
                 `severity:`), and another '---' line; `debrief review template` shows one",
            ));
        }
    }
    let close = lines[1..]
        .iter()
        .position(|(_, l)| l.trim_end() == "---" || l.trim_end() == "...")
        .ok_or_else(|| {
            ParseError::at(
                1,
                "the front matter opened here with '---' is never closed by another '---' line",
            )
        })?
        + 1;
    let inner = &lines[1..close];
    let yaml = inner.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
    Ok((yaml, inner, &lines[close + 1..]))
}

struct Part<'a> {
    line: usize,
    title: String,
    body: Vec<Line<'a>>,
}

struct Parts<'a> {
    preamble: Vec<Line<'a>>,
    parts: Vec<Part<'a>>,
}

/// Splits lines at headings of exactly `depth`; a shallower heading is an error (it would
/// belong to an outer level). Fenced code is never split.
fn split_headings<'a>(lines: &[Line<'a>], depth: usize) -> Result<Parts<'a>, ParseError> {
    let mut out = Parts {
        preamble: Vec::new(),
        parts: Vec::new(),
    };
    let mut fence: Option<String> = None;
    for &(n, l) in lines {
        let t = l.trim_start();
        let in_fence = if let Some(open) = &fence {
            if t.starts_with(open.as_str()) {
                fence = None;
            }
            true
        } else if let Some(f) = fence_marker(t) {
            fence = Some(f);
            true
        } else {
            false
        };
        if !in_fence {
            if let Some(d) = heading_depth(l) {
                if d < depth {
                    return Err(ParseError::at(
                        n,
                        if d == 1 {
                            "a second '# ' title; a document has one title, and sections use '## '"
                                .to_string()
                        } else {
                            format!(
                                "a level-{d} heading here would end this part of the review; \
                                 use {} or deeper inside it",
                                "#".repeat(depth)
                            )
                        },
                    ));
                }
                if d == depth {
                    out.parts.push(Part {
                        line: n,
                        title: heading_text(l),
                        body: Vec::new(),
                    });
                    continue;
                }
            }
        }
        match out.parts.last_mut() {
            Some(p) => p.body.push((n, l)),
            None => out.preamble.push((n, l)),
        }
    }
    Ok(out)
}

fn heading_text(l: &str) -> String {
    l.trim_start().trim_start_matches('#').trim().to_string()
}

fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn free_text(lines: &[Line]) -> String {
    lines.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n")
}

/// Splits a section into its `###` parts; text before the first part (but for blank lines
/// and comments) is an error that says what belongs there.
fn subsections<'a>(lines: &[Line<'a>], hint: &str) -> Result<Parts<'a>, ParseError> {
    let parts = split_headings(lines, 3)?;
    if let Some(&(n, _)) = strip_comments(&parts.preamble)?
        .iter()
        .find(|(_, l)| !l.trim().is_empty())
    {
        return Err(ParseError::at(n, hint));
    }
    Ok(parts)
}

/// Drops HTML comments (possibly spanning lines) from structured sections.
fn strip_comments<'a>(lines: &[Line<'a>]) -> Result<Vec<Line<'a>>, ParseError> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    for &(n, l) in lines {
        let t = l.trim();
        if open.is_some() {
            if t.contains("-->") {
                open = None;
            }
            continue;
        }
        if t.starts_with("<!--") {
            if !t.contains("-->") {
                open = Some(n);
            }
            continue;
        }
        out.push((n, l));
    }
    if let Some(n) = open {
        return Err(ParseError::at(
            n,
            "this HTML comment is never closed with -->",
        ));
    }
    Ok(out)
}

/// A list item: its marker line, its text (with wrapped lines joined) and its fields.
struct Item {
    line: usize,
    text: String,
    fields: Vec<(usize, String, String)>,
}

/// Parses a list of items. `ordered` lists use `1.` markers, others `-` or `*`.
fn items(
    lines: &[Line],
    ordered: bool,
    what: &str,
    example: &str,
) -> Result<Vec<Item>, ParseError> {
    let lines = strip_comments(lines)?;
    let mut out: Vec<Item> = Vec::new();
    for (n, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let indent = l.len() - l.trim_start().len();
        let t = l.trim_start();
        if indent < 2 {
            let rest = if ordered {
                let digits = t.chars().take_while(char::is_ascii_digit).count();
                (digits > 0)
                    .then(|| &t[digits..])
                    .and_then(|r| r.strip_prefix(". ").or_else(|| r.strip_prefix(") ")))
            } else {
                t.strip_prefix("- ").or_else(|| t.strip_prefix("* "))
            };
            let rest = rest.ok_or_else(|| {
                ParseError::at(
                    n,
                    format!("expected {what} as a list item, like: {example}"),
                )
            })?;
            out.push(Item {
                line: n,
                text: rest.trim().to_string(),
                fields: Vec::new(),
            });
            continue;
        }
        let item = out.last_mut().ok_or_else(|| {
            ParseError::at(
                n,
                format!("indented text before the first {what}; expected: {example}"),
            )
        })?;
        if let Some(field) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            let (k, v) = field.split_once(':').ok_or_else(|| {
                ParseError::at(
                    n,
                    format!("expected a field as '- key: value' under the {what}"),
                )
            })?;
            item.fields
                .push((n, k.trim().to_ascii_lowercase(), v.trim().to_string()));
        } else if item.fields.is_empty() {
            item.text.push(' ');
            item.text.push_str(t.trim());
        } else {
            return Err(ParseError::at(
                n,
                format!(
                    "text after the fields of a {what}; wrapped text belongs before the fields"
                ),
            ));
        }
    }
    Ok(out)
}

fn no_fields(item: &Item, what: &str) -> Result<(), ParseError> {
    match item.fields.first() {
        Some((n, k, _)) => Err(ParseError::at(
            *n,
            format!("a {what} has no fields, but this one has {k:?}"),
        )),
        None => Ok(()),
    }
}

fn timeline(lines: &[Line]) -> Result<Vec<TimelineEntry>, ParseError> {
    const EXAMPLE: &str = "- 2024-03-01T14:02:00Z — what happened";
    let mut out = Vec::new();
    for item in items(lines, false, "timeline entry", EXAMPLE)? {
        let mut words = item.text.splitn(2, ' ');
        let first = words.next().unwrap_or("");
        let mut rest = words.next().unwrap_or("").trim_start();
        // "2024-03-01 14:02" spreads the time over two words.
        let mut stamp = first.to_string();
        if first.len() == 10 {
            if let Some((clock, after)) = rest.split_once(' ').or(Some((rest, ""))) {
                if clock.len() >= 4 && clock.chars().all(|c| c.is_ascii_digit() || c == ':') {
                    stamp = format!("{first} {clock}");
                    rest = after.trim_start();
                }
            }
        }
        let at = parse_instant(&stamp).map_err(|m| {
            ParseError::at(
                item.line,
                format!("timeline entry: {m}; write entries as: {EXAMPLE}"),
            )
        })?;
        for sep in ["— ", "– ", "- ", ": "] {
            if let Some(r) = rest.strip_prefix(sep) {
                rest = r;
                break;
            }
        }
        if rest.trim().is_empty() {
            return Err(ParseError::at(
                item.line,
                "timeline entry has a time but no text",
            ));
        }
        let mut known = String::new();
        for (n, k, v) in &item.fields {
            match k.as_str() {
                "known" | "known then" => known = v.clone(),
                _ => {
                    return Err(ParseError::at(
                        *n,
                        format!("unknown field {k:?} of a timeline entry (expected: known)"),
                    ));
                }
            }
        }
        out.push(TimelineEntry {
            at,
            text: rest.trim().to_string(),
            known,
        });
    }
    Ok(out)
}

fn factors(lines: &[Line]) -> Result<Vec<Factor>, ParseError> {
    let parts = subsections(
        lines,
        "each contributing factor starts with a heading like '### F1. What the factor is'",
    )?;
    let mut out = Vec::new();
    for part in parts.parts {
        let title = strip_factor_number(&part.title);
        if title.is_empty() {
            return Err(ParseError::at(part.line, "factor heading has no title"));
        }
        let inner = split_headings(&part.body, 4)?;
        // Fields: the leading '- key: value' lines; the description is what follows.
        let mut level = None;
        let mut category = None;
        // The fields are the first run of non-blank lines; a blank line ends them.
        let first = inner
            .preamble
            .iter()
            .position(|(_, l)| !l.trim().is_empty())
            .unwrap_or(inner.preamble.len());
        let desc_start = inner.preamble[first..]
            .iter()
            .position(|(_, l)| l.trim().is_empty())
            .map_or(inner.preamble.len(), |p| first + p);
        for &(n, l) in &inner.preamble[first..desc_start] {
            let t = l.trim();
            let (k, v) = t
                .strip_prefix("- ")
                .or_else(|| t.strip_prefix("* "))
                .and_then(|f| f.split_once(':'))
                .ok_or_else(|| {
                    ParseError::at(
                        n,
                        "expected a factor field as '- level: …' or '- category: …'; \
                         leave a blank line between the fields and the description",
                    )
                })?;
            let k = k.trim().to_ascii_lowercase();
            let v = v.trim();
            match k.as_str() {
                "level" => {
                    level = Some(
                        v.parse::<FactorLevel>()
                            .map_err(|e| ParseError::at(n, e.message))?,
                    )
                }
                "category" => {
                    category = Some(
                        v.parse::<FactorCategory>()
                            .map_err(|e| ParseError::at(n, e.message))?,
                    )
                }
                _ => {
                    return Err(ParseError::at(
                        n,
                        format!("unknown field {k:?} of a factor (expected: level, category)"),
                    ));
                }
            }
        }
        let missing = |what: &str| {
            ParseError::at(
                part.line,
                format!("factor {title:?} has no '- {what}: …' line under its heading"),
            )
        };
        let level = level.ok_or_else(|| missing("level"))?;
        let category = category.ok_or_else(|| missing("category"))?;
        let description = free_text(&inner.preamble[desc_start..]);
        let mut whys = Vec::new();
        for (k, sub) in inner.parts.iter().enumerate() {
            if fold(&sub.title) != fold(WHY_HEADING) && fold(&sub.title) != "whys" {
                return Err(ParseError::at(
                    sub.line,
                    format!(
                        "unknown heading {:?} in a factor (expected '#### {WHY_HEADING}')",
                        sub.title
                    ),
                ));
            }
            if k > 0 {
                return Err(ParseError::at(sub.line, "a factor has one why-chain"));
            }
            for item in items(&sub.body, true, "why", "1. Why did …? Because …")? {
                no_fields(&item, "why")?;
                whys.push(item.text);
            }
        }
        out.push(Factor {
            title,
            level,
            category,
            description,
            whys,
        });
    }
    Ok(out)
}

fn strip_factor_number(title: &str) -> String {
    let t = title.trim();
    if let Some(rest) = t.strip_prefix(['F', 'f']) {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            let after = &rest[digits..];
            if let Some(r) = after
                .strip_prefix(". ")
                .or_else(|| after.strip_prefix(": "))
            {
                return r.trim().to_string();
            }
        }
    }
    t.to_string()
}

fn lessons(lines: &[Line]) -> Result<Vec<Lesson>, ParseError> {
    let parts = subsections(
        lines,
        "lessons go under '### What went well', '### What went wrong' or '### Where we got lucky'",
    )?;
    let mut out = Vec::new();
    for part in parts.parts {
        let kind: LessonKind = part.title.parse().map_err(|_| {
            ParseError::at(
                part.line,
                format!(
                    "unknown lessons heading {:?} (expected: What went well, What went wrong, Where we got lucky)",
                    part.title
                ),
            )
        })?;
        for item in items(&part.body, false, "lesson", "- what we learned")? {
            no_fields(&item, "lesson")?;
            out.push(Lesson {
                kind,
                text: item.text,
            });
        }
    }
    Ok(out)
}

fn actions(lines: &[Line]) -> Result<Vec<ActionItem>, ParseError> {
    const EXAMPLE: &str = "- [ ] Add a schema check to the deploy pipeline";
    let mut out = Vec::new();
    for item in items(lines, false, "action item", EXAMPLE)? {
        let (ticked, rest) = if let Some(r) = item.text.strip_prefix("[ ] ") {
            (Some(false), r)
        } else if let Some(r) = item
            .text
            .strip_prefix("[x] ")
            .or_else(|| item.text.strip_prefix("[X] "))
        {
            (Some(true), r)
        } else {
            (None, item.text.as_str())
        };
        let (id, title) = match rest.split_once(": ") {
            Some((head, tail)) if head.parse::<ActionId>().is_ok() && head.contains('-') => {
                (head.parse::<ActionId>().ok(), tail)
            }
            _ => (None, rest),
        };
        let label = id.map_or_else(|| format!("action {title:?}"), |id| id.to_string());
        let mut kind = None;
        let mut owner = None;
        let mut due = None;
        let mut status = None;
        let mut link = None;
        let mut opened = None;
        let mut closed = None;
        let mut worked = None;
        let date = |n: usize, v: &str| -> Result<Date, ParseError> {
            if v.len() == 10 {
                if let Ok(d) = v.parse::<Date>() {
                    return Ok(d);
                }
            }
            Err(ParseError::at(
                n,
                format!("{label}: {v:?} is not a date (expected YYYY-MM-DD, like 2024-03-31)"),
            ))
        };
        for (n, k, v) in &item.fields {
            let n = *n;
            let v = v.as_str();
            let bad = |e: debrief_core::InvalidValue| {
                ParseError::at(n, format!("{label}: {}", e.message))
            };
            match k.as_str() {
                "kind" => kind = Some(v.parse::<ActionKind>().map_err(bad)?),
                "owner" | "owner team" | "team" => owner = Some(v.to_string()),
                "due" => due = Some(date(n, v)?),
                "status" => status = Some(v.parse::<ActionStatus>().map_err(bad)?),
                "link" => link = Some(v.to_string()),
                "opened" => opened = Some(date(n, v)?),
                "closed" => closed = Some(date(n, v)?),
                "worked" => {
                    worked = Some(match v.to_ascii_lowercase().as_str() {
                        "yes" | "true" => true,
                        "no" | "false" => false,
                        _ => {
                            return Err(ParseError::at(
                                n,
                                format!("{label}: worked is {v:?}; write yes or no"),
                            ));
                        }
                    })
                }
                _ => {
                    return Err(ParseError::at(
                        n,
                        format!(
                            "{label}: unknown field {k:?} (expected: kind, owner, due, status, link, opened, closed, worked)"
                        ),
                    ));
                }
            }
        }
        let status = match (status, ticked) {
            (Some(s), Some(t)) if s.is_closed() != t => {
                return Err(ParseError::at(
                    item.line,
                    if t {
                        format!(
                            "{label}: the box is ticked but its status is {s}; untick it or set status: done"
                        )
                    } else {
                        format!(
                            "{label}: the box is not ticked but its status is {s}; tick it or change the status"
                        )
                    },
                ));
            }
            (Some(s), _) => s,
            (None, Some(true)) => ActionStatus::Done,
            (None, _) => ActionStatus::Open,
        };
        let kind = kind.ok_or_else(|| {
            ParseError::at(
                item.line,
                format!(
                    "{label} has no '  - kind: …' field (one of: {})",
                    ActionKind::names()
                ),
            )
        })?;
        out.push(ActionItem {
            id,
            title: title.trim().to_string(),
            kind,
            owner,
            due,
            status,
            link,
            opened,
            closed,
            worked,
        });
    }
    Ok(out)
}
