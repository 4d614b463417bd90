//! Public post-mortem collections as JSON lines (one object a line: `id, source, company,
//! date, categories, title, summary, body, url, license`, and optionally `impact`), read into
//! incidents so their lessons can be searched beside the organization's own.
//!
//! Each record becomes a resolved incident with a draft review: its title (or the company
//! and the first words of the summary when it has none), the summary, the impact when given
//! as text, the body as notes, and where it came from (URL, collection, licence, record id)
//! at the end of the notes. Nothing is invented: severity is left at SEV3 and the record's
//! categories are not turned into factors.

use debrief_core::{Incident, Severity, Status};
use serde::Deserialize;

#[derive(Deserialize)]
struct Record {
    id: Option<String>,
    source: Option<String>,
    company: Option<String>,
    date: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    body: Option<String>,
    impact: Option<serde_json::Value>,
    url: Option<String>,
    license: Option<String>,
}

/// Why a line could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{line}: {message}")]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

fn text(v: Option<String>) -> String {
    v.map(|s| s.trim().to_string()).unwrap_or_default()
}

/// Reads every line of `input`; returns the incidents, or every line that is not a record.
/// Empty lines are skipped.
pub fn read(input: &str) -> Result<Vec<Incident>, Vec<LineError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) => match incident(r) {
                Ok(i) => out.push(i),
                Err(message) => errors.push(LineError {
                    line: n + 1,
                    message,
                }),
            },
            Err(e) => errors.push(LineError {
                line: n + 1,
                message: format!("not a post-mortem record: {e}"),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn incident(r: Record) -> Result<Incident, String> {
    let summary = text(r.summary);
    let body = text(r.body);
    let company = text(r.company);
    let title = match text(r.title) {
        t if !t.is_empty() => t,
        _ if !summary.is_empty() => {
            let gist = debrief_core::text::one_line(&summary, 90);
            if company.is_empty() {
                gist
            } else {
                format!("{company}: {gist}")
            }
        }
        _ => return Err("the record has neither a title nor a summary".into()),
    };
    let mut i = Incident::new(debrief_core::text::one_line(&title, 200), Severity::Sev3);
    i.status = Status::Resolved;
    i.summary = summary;
    if let Some(serde_json::Value::String(impact)) = r.impact {
        i.impact = impact.trim().to_string();
    }
    i.started = match text(r.date) {
        d if d.is_empty() => None,
        d => {
            // A year or a month alone (collections often know no more) is its first day.
            let day = match d.len() {
                4 => format!("{d}-01-01"),
                7 => format!("{d}-01"),
                _ => d.get(..10).unwrap_or(&d).to_string(),
            };
            Some(
                format!("{day}T00:00:00Z")
                    .parse()
                    .map_err(|e| format!("date {d:?} is not YYYY-MM-DD, YYYY-MM or YYYY: {e}"))?,
            )
        }
    };
    let mut source = String::from("Source:");
    for (label, value) in [
        ("", text(r.url)),
        ("collection", text(r.source)),
        ("licence", text(r.license)),
        ("record", text(r.id)),
    ] {
        if !value.is_empty() {
            if label.is_empty() {
                source.push_str(&format!(" {value}"));
            } else {
                source.push_str(&format!(" ({label} {value})"));
            }
        }
    }
    i.notes = if body.is_empty() {
        source
    } else {
        format!("{}\n\n{source}", demote_headings(&body))
    };
    Ok(i)
}

/// The body's headings moved two levels down (`#` → `###`), so they sit inside the review's
/// notes instead of ending it; underlined (setext) headings become `###` too. Code blocks
/// are left alone.
fn demote_headings(body: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut fence: Option<&str> = None;
    for line in body.lines() {
        let trimmed = line.trim_start();
        if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
            out.push(line.to_string());
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
            out.push(line.to_string());
            continue;
        }
        let hashes = trimmed.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes)
            && trimmed[hashes..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace)
        {
            let level = (hashes + 2).min(6);
            out.push(format!("{}{}", "#".repeat(level), &trimmed[hashes..]));
            continue;
        }
        let underline = !trimmed.is_empty()
            && trimmed.len() >= 2
            && (trimmed.trim_end().chars().all(|c| c == '=')
                || trimmed.trim_end().chars().all(|c| c == '-'));
        let previous_is_text = out
            .last()
            .is_some_and(|p| !p.trim().is_empty() && !p.trim_start().starts_with('#'));
        if underline && previous_is_text {
            let heading = out.pop().unwrap_or_default();
            out.push(format!("### {}", heading.trim()));
            continue;
        }
        out.push(line.to_string());
    }
    // A code block left open would swallow the rest of the review.
    if let Some(f) = fence {
        out.push(f.to_string());
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_become_resolved_drafts_with_their_source() {
        let input = r#"{"id": "x-1", "source": "some/list", "company": "Acme", "date": null, "title": null, "summary": "A bad config took every router down. It stayed down for an hour.", "body": null, "url": "https://example.org/pm", "license": "MIT"}

{"id": "x-2", "company": "Beta", "date": "2021-03-04", "title": "DNS outage", "summary": "", "body": "Long text.", "impact": "All users", "url": null, "license": null}"#;
        let got = read(input).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].title,
            "Acme: A bad config took every router down. It stayed down for an hour."
        );
        assert_eq!(got[0].status, Status::Resolved);
        assert_eq!(
            got[0].notes,
            "Source: https://example.org/pm (collection some/list) (licence MIT) (record x-1)"
        );
        assert_eq!(got[1].started.unwrap().to_string(), "2021-03-04T00:00:00Z");
        assert_eq!(got[1].impact, "All users");
        assert!(
            got[1]
                .notes
                .starts_with("Long text.\n\nSource: (record x-2)")
        );
    }

    #[test]
    fn headings_move_inside_the_notes() {
        let body = "# Title\n\nText\n## Part\n```\n# not a heading\n```\nSetext\n======\n#hashtag\n\n---\nend";
        assert_eq!(
            demote_headings(body),
            "### Title\n\nText\n#### Part\n```\n# not a heading\n```\n### Setext\n#hashtag\n\n---\nend"
        );
        assert_eq!(demote_headings("a\n~~~\ncode"), "a\n~~~\ncode\n~~~");
    }

    #[test]
    fn bad_lines_are_all_reported_with_their_numbers() {
        let errors = read("{\"title\": \"ok\", \"date\": \"2019-06\"}\nnot json\n{\"id\": \"z\"}\n{\"title\": \"x\", \"date\": \"soon\"}").unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4]);
        assert!(errors[1].message.contains("neither a title nor a summary"));
        assert!(errors[2].message.contains("not YYYY-MM-DD"));
        let partial = read(
            "{\"title\": \"a\", \"date\": \"2019\"}\n{\"title\": \"b\", \"date\": \"2019-06\"}",
        )
        .unwrap();
        assert_eq!(
            partial[0].started.unwrap().to_string(),
            "2019-01-01T00:00:00Z"
        );
        assert_eq!(
            partial[1].started.unwrap().to_string(),
            "2019-06-01T00:00:00Z"
        );
    }
}
