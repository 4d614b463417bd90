//! Writing an incident as a review document. The output is canonical: one incident has one
//! document, byte for byte, which is what makes round trips and diffs in git quiet.

use std::collections::BTreeMap;
use std::fmt::Write;

use debrief_core::{Incident, LessonKind, Severity};
use serde::Serialize;

use crate::{SECTIONS, WHY_HEADING};

/// The front matter as written: fields in a fixed order, empty ones left out.
#[derive(Serialize)]
struct FrontOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(rename = "type")]
    kind: &'a str,
    near_miss: bool,
    severity: &'a str,
    status: &'a str,
    review: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    services: &'a Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    started: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mitigated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detection: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", serialize_with = "numbers")]
    impact: &'a BTreeMap<String, f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    acknowledged: Vec<AckOut<'a>>,
}

/// An acknowledged lint finding, as written in front matter.
#[derive(Serialize)]
struct AckOut<'a> {
    finding: &'a str,
    reason: &'a str,
    at: String,
}

/// Impact numbers as a person writes them: `1200`, not `1200.0`, for whole values.
fn numbers<S: serde::Serializer>(map: &&BTreeMap<String, f64>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(map.len()))?;
    for (k, v) in map.iter() {
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            m.serialize_entry(k, &(*v as i64))?;
        } else {
            m.serialize_entry(k, v)?;
        }
    }
    m.end()
}

/// Writes the incident's whole review as Markdown with YAML front matter.
pub fn render(i: &Incident) -> String {
    let ts = |t: Option<jiff::Timestamp>| t.map(debrief_core::time::format_time);
    let front = FrontOut {
        id: i.id.map(|id| id.to_string()),
        kind: i.kind.as_str(),
        near_miss: i.near_miss,
        severity: i.severity.as_str(),
        status: i.status.as_str(),
        review: i.review.as_str(),
        services: &i.services,
        started: ts(i.started),
        detected: ts(i.detected),
        mitigated: ts(i.mitigated),
        resolved: ts(i.resolved),
        published: ts(i.published),
        detection: i.detection.map(|d| d.as_str()),
        impact: &i.impact_metrics,
        acknowledged: i
            .acknowledged
            .iter()
            .map(|a| AckOut {
                finding: &a.finding,
                reason: &a.reason,
                at: debrief_core::time::format_time(a.at),
            })
            .collect(),
    };
    let yaml = serde_yaml_ng::to_string(&front).expect("front matter of plain fields serializes");

    let mut out = String::new();
    out.push_str("---\n");
    out.push_str(&yaml);
    out.push_str("---\n\n");
    let _ = writeln!(out, "# {}\n", i.title);

    let free = |out: &mut String, text: &str| {
        if !text.is_empty() {
            out.push_str(text);
            out.push_str("\n\n");
        }
    };
    let [summary, impact, timeline, factors, lessons, actions, notes] = SECTIONS;

    let _ = writeln!(out, "## {summary}\n");
    free(&mut out, &i.summary);
    let _ = writeln!(out, "## {impact}\n");
    free(&mut out, &i.impact);

    let _ = writeln!(out, "## {timeline}\n");
    if !i.timeline.is_empty() {
        for e in &i.timeline {
            let _ = writeln!(
                out,
                "- {} — {}",
                debrief_core::time::format_time(e.at),
                e.text
            );
            if !e.known.is_empty() {
                let _ = writeln!(out, "  - known: {}", e.known);
            }
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## {factors}\n");
    for (n, f) in i.factors.iter().enumerate() {
        let _ = writeln!(out, "### F{}. {}\n", n + 1, f.title);
        let _ = writeln!(out, "- level: {}", f.level);
        let _ = writeln!(out, "- category: {}\n", f.category);
        free(&mut out, &f.description);
        if !f.whys.is_empty() {
            let _ = writeln!(out, "#### {WHY_HEADING}\n");
            for (k, w) in f.whys.iter().enumerate() {
                let _ = writeln!(out, "{}. {w}", k + 1);
            }
            out.push('\n');
        }
    }

    let _ = writeln!(out, "## {lessons}\n");
    for kind in LessonKind::ALL {
        let _ = writeln!(out, "### {}\n", kind.label());
        let mut any = false;
        for l in i.lessons.iter().filter(|l| l.kind == *kind) {
            let _ = writeln!(out, "- {}", l.text);
            any = true;
        }
        if any {
            out.push('\n');
        }
    }

    let _ = writeln!(out, "## {actions}\n");
    if !i.actions.is_empty() {
        for a in &i.actions {
            let mark = if a.status.is_closed() { "x" } else { " " };
            match a.id {
                Some(id) => {
                    let _ = writeln!(out, "- [{mark}] {id}: {}", a.title);
                }
                None => {
                    let _ = writeln!(out, "- [{mark}] {}", a.title);
                }
            }
            let _ = writeln!(out, "  - kind: {}", a.kind);
            if let Some(o) = &a.owner {
                let _ = writeln!(out, "  - owner: {o}");
            }
            if let Some(d) = a.due {
                let _ = writeln!(out, "  - due: {d}");
            }
            let _ = writeln!(out, "  - status: {}", a.status);
            if let Some(l) = &a.link {
                let _ = writeln!(out, "  - link: {l}");
            }
            if let Some(d) = a.opened {
                let _ = writeln!(out, "  - opened: {d}");
            }
            if let Some(d) = a.closed {
                let _ = writeln!(out, "  - closed: {d}");
            }
            if let Some(w) = a.worked {
                let _ = writeln!(out, "  - worked: {}", if w { "yes" } else { "no" });
            }
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## {notes}\n");
    free(&mut out, &i.notes);

    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// An empty review to start from: every section, with a comment on what goes in it. Comments
/// in the structured sections are skipped on import; in the free-text sections they are kept
/// as written, so delete them as you fill the section in.
pub fn template() -> String {
    let mut i = Incident::new("What failed, in a few words", Severity::Sev3);
    i.services = vec!["service-name".into()];
    i.started = Some("2024-01-01T00:00:00Z".parse().expect("valid literal"));
    let doc = render(&i);
    let hints: [(&str, &str); 7] = [
        (
            "## Summary\n",
            "<!-- What happened, in two or three sentences a newcomer understands. -->",
        ),
        (
            "## Impact\n",
            "<!-- Who and what was affected, for how long, how badly. Numbers go in the front\n     matter under `impact:`, for example `users_affected: 1200`. -->",
        ),
        (
            "## Timeline\n",
            "<!-- One line per event, in UTC, with what was known at the time:\n- 2024-01-01T00:00:00Z — Alert fires for checkout error rate.\n  - known: only checkout looked affected\n-->",
        ),
        (
            "## Contributing factors\n",
            "<!-- No single root cause: the conditions that together made this possible, at the\n     technical, process and organization levels. Levels: technical, process,\n     organization. Categories: tooling, process, people, environment, dependencies,\n     monitoring, management. Each factor looks like this:\n\n    ### F1. The deploy pipeline does not validate config against its schema\n\n    - level: process\n    - category: tooling\n\n    What it is and how it contributed.\n\n    #### Why-chain\n\n    1. Why did a bad value reach production? Nothing checked it before rollout.\n-->",
        ),
        (
            "## Lessons\n",
            "<!-- What went well, what went wrong, and where we got lucky: one item per line. -->",
        ),
        (
            "## Action items\n",
            "<!-- One item per change, owned by a team:\n- [ ] Validate config against its schema in the deploy pipeline\n  - kind: prevent\n  - owner: platform-team\n  - due: 2024-02-01\n  - link: https://tracker.example/PLAT-123\nKinds: prevent, mitigate, detect, process, documentation. -->",
        ),
        (
            "## Notes\n",
            "<!-- Anything else worth keeping with the review. -->",
        ),
    ];
    let mut out = doc;
    for (heading, hint) in hints {
        if let Some(at) = out.find(heading) {
            let insert_at = at + heading.len() + 1;
            if insert_at <= out.len() {
                out.insert_str(insert_at, &format!("{hint}\n\n"));
            } else {
                out.push_str(&format!("\n{hint}\n"));
            }
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}
