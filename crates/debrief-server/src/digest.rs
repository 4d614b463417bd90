//! The digest written out: Markdown, and HTML that reads well in a mail client (one column
//! at most 640 px wide, tables for layout, every style inline, no script, no image, no
//! external sheet). `debrief digest`, `GET /api/v1/digest` and the `/digest` page use these.

use std::fmt::Write as _;

use debrief_core::time::{format_time, utc_date};
use debrief_store::{Digest, DigestReview};

use crate::web::esc;

/// Where links point: the server's address as readers reach it (`--base-url`), or nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct Links<'a>(pub Option<&'a str>);

impl Links<'_> {
    fn url(&self, path: &str) -> Option<String> {
        self.0.map(|b| format!("{}{path}", b.trim_end_matches('/')))
    }
}

/// Markdown's special characters in running text, escaped.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Where a retro of the digest stands: open, or closed with what it decided.
fn retro_state(r: &debrief_store::DigestRetro) -> String {
    match r.closed {
        Some(c) if r.actions.is_empty() => format!("closed {c} with no action item"),
        Some(c) => format!(
            "closed {c}, decided {}",
            plural(r.actions.len(), "action item", "action items")
        ),
        None => "still open".into(),
    }
}

fn day(t: jiff::Timestamp) -> String {
    utc_date(t).to_string()
}

/// The one-line count of what the digest holds.
fn headline(d: &Digest) -> String {
    let mut parts = vec![
        plural(d.published.len(), "review published", "reviews published"),
        plural(d.new_incidents.len(), "new incident", "new incidents"),
        plural(
            d.overdue.len(),
            "overdue action item",
            "overdue action items",
        ),
    ];
    if !d.problems.is_empty() {
        parts.push(plural(
            d.problems.len(),
            "problem came back",
            "problems came back",
        ));
    }
    if !d.rising_signals.is_empty() {
        parts.push(plural(
            d.rising_signals.len(),
            "rising weak signal",
            "rising weak signals",
        ));
    }
    parts.join(" · ")
}

/// " in checkout, payments", or nothing.
fn services_text(services: &[String]) -> String {
    if services.is_empty() {
        String::new()
    } else {
        format!(" in {}", services.join(", "))
    }
}

/// How an experiment stands, said as learning: a refuted hypothesis taught something.
fn experiment_state(e: &debrief_store::DigestExperiment) -> String {
    use debrief_core::ExperimentOutcome as O;
    match e.outcome {
        Some(O::Refuted) => "hypothesis refuted: learned something".into(),
        Some(O::Confirmed) => "hypothesis confirmed".into(),
        Some(O::Inconclusive) => "inconclusive".into(),
        Some(O::Aborted) => "stopped by its abort criteria".into(),
        None => e.status.to_string(),
    }
}

fn review_facts(r: &DigestReview) -> String {
    let mut facts = vec![r.severity.to_string()];
    if !r.services.is_empty() {
        facts.push(r.services.join(", "));
    }
    if let Some(s) = r.started {
        facts.push(format!("started {}", day(s)));
    }
    facts.join(" · ")
}

fn factor_line(r: &DigestReview) -> String {
    if r.factor_levels.is_empty() {
        return "no contributing factors yet".into();
    }
    let levels: Vec<String> = r
        .factor_levels
        .iter()
        .map(|(l, n)| format!("{n} {l}"))
        .collect();
    format!("factors: {}", levels.join(", "))
}

fn actions_line(r: &DigestReview) -> String {
    if r.actions_total == 0 {
        "no action items".into()
    } else {
        format!(
            "action items: {} of {} open",
            r.actions_open, r.actions_total
        )
    }
}

/// The digest as Markdown.
pub fn markdown(d: &Digest, links: Links) -> String {
    let link = |text: &str, path: &str| match links.url(path) {
        Some(u) => format!("[{}](<{u}>)", md(text)),
        None => md(text),
    };
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Learning digest, {} to {}\n\n{}\n",
        day(d.from),
        day(d.until),
        headline(d)
    );

    let _ = writeln!(o, "## Reviews published\n");
    if d.published.is_empty() {
        let _ = writeln!(o, "No review was published in these days.\n");
    }
    for r in &d.published {
        let id = r.id.to_string();
        let _ = writeln!(
            o,
            "### {}: {}\n\n{}\n",
            link(&id, &format!("/incidents/{id}")),
            md(&r.title),
            md(&review_facts(r))
        );
        if !r.summary.is_empty() {
            let _ = writeln!(o, "{}\n", md(&r.summary));
        }
        for l in &r.lessons {
            let _ = writeln!(o, "- **{}:** {}", l.kind.label(), md(&l.text));
        }
        if !r.lessons.is_empty() {
            o.push('\n');
        }
        let _ = writeln!(o, "{}; {}.\n", factor_line(r), actions_line(r));
    }

    if !d.new_incidents.is_empty() {
        let _ = writeln!(o, "## New incidents\n");
        for r in &d.new_incidents {
            let id = r.id.to_string();
            let _ = write!(
                o,
                "- {}: {} ({}; review {})",
                link(&id, &format!("/incidents/{id}")),
                md(&r.title),
                md(&review_facts(r)),
                r.review
            );
            if !r.summary.is_empty() {
                let _ = write!(o, ": {}", md(&r.summary));
            }
            o.push('\n');
        }
        o.push('\n');
    }

    if !d.rising_signals.is_empty() {
        let _ = writeln!(o, "## Rising weak signals\n");
        for s in &d.rising_signals {
            let _ = writeln!(
                o,
                "- {} {}{}: `{}`, {} in these days ({} in the baseline before)",
                s.trend,
                s.kind,
                md(&services_text(&s.services)),
                s.template.replace('`', "'"),
                s.count,
                s.baseline_count
            );
        }
        o.push('\n');
    }

    let _ = writeln!(o, "## Overdue action items\n");
    if d.overdue.is_empty() {
        let _ = writeln!(o, "None: every open item is within its due date.\n");
    }
    for a in &d.overdue {
        let id = a.action.id.map(|i| i.to_string()).unwrap_or_default();
        let inc = a.source.to_string();
        let _ = writeln!(
            o,
            "- {}: {} (owner {}, due {}), from {}: {}",
            id,
            md(&a.action.title),
            md(a.action.owner.as_deref().unwrap_or("none")),
            a.action.due.map(|d| d.to_string()).unwrap_or_default(),
            link(&inc, &format!("/{}", a.source.path())),
            md(&a.source_title)
        );
    }
    if !d.overdue.is_empty() {
        o.push('\n');
    }

    if !d.problems.is_empty() {
        let _ = writeln!(o, "## Problems that came back\n");
        for p in &d.problems {
            let pid = p.id.to_string();
            let new: Vec<String> = p.new_incidents.iter().map(|i| i.to_string()).collect();
            let _ = writeln!(
                o,
                "- {}: {}: {} in all, new: {}; {} open",
                link(&pid, &format!("/problems#{pid}")),
                md(&p.title),
                plural(p.incidents, "incident", "incidents"),
                new.join(", "),
                plural(p.open_actions, "action item", "action items")
            );
        }
        o.push('\n');
    }

    if !d.experiments.is_empty() {
        let _ = writeln!(o, "## Experiments\n");
        for e in &d.experiments {
            let id = e.id.to_string();
            let _ = write!(
                o,
                "- {}: {} ({}; {}). Hypothesis: {}",
                link(&id, &format!("/experiments/{id}")),
                md(&e.title),
                e.kind.label(),
                experiment_state(e),
                md(&e.hypothesis)
            );
            if !e.learnings.is_empty() {
                let _ = write!(o, " Learned: {}", md(&e.learnings));
            }
            o.push('\n');
        }
        o.push('\n');
    }

    if !d.launches.is_empty() {
        let _ = writeln!(o, "## Launches and their pre-mortems\n");
        for l in &d.launches {
            let id = l.id.to_string();
            let _ = writeln!(
                o,
                "- {}: {} (launch {}): {} ({} mitigated); {} foreseen, {} surprises",
                link(&id, &format!("/premortems/{id}")),
                md(&l.title),
                l.launch,
                plural(l.foresight.risks, "risk", "risks"),
                l.foresight.mitigated,
                plural(l.foresight.foreseen, "incident", "incidents"),
                l.foresight.surprises
            );
        }
        o.push('\n');
    }

    if !d.retros.is_empty() {
        let _ = writeln!(o, "## Retrospectives\n");
        for r in &d.retros {
            let id = r.id.to_string();
            let _ = writeln!(
                o,
                "- {}: {}{} (held {}): {}; {}",
                link(&id, &format!("/retros/{id}")),
                md(&r.title),
                r.team
                    .as_deref()
                    .map(|t| format!(", {}", md(t)))
                    .unwrap_or_default(),
                r.held,
                plural(r.items, "item", "items"),
                retro_state(r)
            );
            for a in &r.actions {
                let _ = writeln!(
                    o,
                    "  - {}: {} (owner {}, {})",
                    a.id.map(|i| i.to_string()).unwrap_or_default(),
                    md(&a.title),
                    md(a.owner.as_deref().unwrap_or("none")),
                    a.status
                );
            }
        }
        o.push('\n');
    }

    if !d.on_this_day.is_empty() {
        let _ = writeln!(o, "## On this day\n");
        for a in &d.on_this_day {
            let id = a.id.to_string();
            let _ = writeln!(
                o,
                "- {}: {}: {} ({}, {})",
                plural(a.years_ago as usize, "year ago", "years ago"),
                link(&id, &format!("/incidents/{id}")),
                md(&a.title),
                a.severity,
                day(a.started)
            );
        }
        o.push('\n');
    }

    let _ = writeln!(
        o,
        "## Failure bows\n\nA few minutes in the meeting to tell a failure or a near miss and what \
         it taught: no blame, and thanks for telling.\n"
    );
    let b = &d.bows;
    let mut n = 0;
    for v in &b.volunteered {
        n += 1;
        let _ = writeln!(o, "{n}. Volunteered: {}", md(&v.text));
    }
    for r in &b.near_miss_reports {
        n += 1;
        let _ = write!(
            o,
            "{n}. Near miss reported {}: {}",
            r.reported_on,
            md(&r.what)
        );
        if !r.made_possible.is_empty() {
            let _ = write!(o, " Made possible by: {}", md(&r.made_possible));
        }
        if !r.stopped_it.is_empty() {
            let _ = write!(o, " Stopped by: {}", md(&r.stopped_it));
        }
        o.push('\n');
    }
    for (id, title) in &b.near_miss_incidents {
        n += 1;
        let s = id.to_string();
        let _ = writeln!(
            o,
            "{n}. Near miss {}: {}",
            link(&s, &format!("/incidents/{s}")),
            md(title)
        );
    }
    if n == 0 {
        let _ = writeln!(
            o,
            "Nobody has volunteered yet. Offer one with `debrief bow add \"…\"`, or report a near miss."
        );
    }
    while o.ends_with("\n\n") {
        o.pop();
    }
    o
}

// Colours and type for mail: inline on each element, since many clients drop <style>.
const FONT: &str = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const H2: &str = "margin:28px 0 8px;font-size:17px;color:#1f2933;border-bottom:1px solid #d9e2ec;padding-bottom:4px";
const P: &str = "margin:6px 0;font-size:14px;line-height:1.5;color:#1f2933";
const MUTED: &str = "color:#616e7c;font-size:13px";
const LI: &str = "margin:4px 0;font-size:14px;line-height:1.5;color:#1f2933";
const A: &str = "color:#0b69a3;text-decoration:underline";

/// The digest's content as an HTML fragment with every style inline (the `/digest` page
/// shows it; [`html`] wraps it for mail).
pub fn html_body(d: &Digest, links: Links) -> String {
    let link = |text: &str, path: &str| match links.url(path) {
        Some(u) => format!("<a href=\"{}\" style=\"{A}\">{}</a>", esc(&u), esc(text)),
        None => format!("<strong>{}</strong>", esc(text)),
    };
    let mut o = String::new();
    let _ = write!(
        o,
        "<h1 style=\"margin:0 0 4px;font-size:22px;color:#102a43\">Learning digest</h1>\
         <p style=\"{MUTED};margin:0 0 12px\">{} to {} · {}</p>",
        day(d.from),
        day(d.until),
        esc(&headline(d))
    );

    let _ = write!(o, "<h2 style=\"{H2}\">Reviews published</h2>");
    if d.published.is_empty() {
        let _ = write!(
            o,
            "<p style=\"{P}\">No review was published in these days.</p>"
        );
    }
    for r in &d.published {
        let id = r.id.to_string();
        let _ = write!(
            o,
            "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" \
             style=\"border-collapse:collapse;margin:10px 0\"><tr>\
             <td style=\"border-left:4px solid #3e7bfa;padding:4px 0 4px 12px\">\
             <p style=\"margin:0;font-size:15px;font-weight:bold;color:#102a43\">{}: {}</p>\
             <p style=\"{MUTED};margin:2px 0 6px\">{}</p>",
            link(&id, &format!("/incidents/{id}")),
            esc(&r.title),
            esc(&review_facts(r))
        );
        if !r.summary.is_empty() {
            let _ = write!(o, "<p style=\"{P}\">{}</p>", esc(&r.summary));
        }
        if !r.lessons.is_empty() {
            let _ = write!(o, "<ul style=\"margin:6px 0;padding-left:20px\">");
            for l in &r.lessons {
                let _ = write!(
                    o,
                    "<li style=\"{LI}\"><strong>{}:</strong> {}</li>",
                    esc(l.kind.label()),
                    esc(&l.text)
                );
            }
            o.push_str("</ul>");
        }
        let _ = write!(
            o,
            "<p style=\"{MUTED};margin:4px 0 0\">{}; {}.</p></td></tr></table>",
            esc(&factor_line(r)),
            esc(&actions_line(r))
        );
    }

    if !d.new_incidents.is_empty() {
        let _ = write!(
            o,
            "<h2 style=\"{H2}\">New incidents</h2><ul style=\"margin:6px 0;padding-left:20px\">"
        );
        for r in &d.new_incidents {
            let id = r.id.to_string();
            let _ = write!(
                o,
                "<li style=\"{LI}\">{}: {} <span style=\"{MUTED}\">({}; review {})</span>",
                link(&id, &format!("/incidents/{id}")),
                esc(&r.title),
                esc(&review_facts(r)),
                r.review
            );
            if !r.summary.is_empty() {
                let _ = write!(o, "<br>{}", esc(&r.summary));
            }
            o.push_str("</li>");
        }
        o.push_str("</ul>");
    }

    if !d.rising_signals.is_empty() {
        let _ = write!(
            o,
            "<h2 style=\"{H2}\">Rising weak signals</h2><ul style=\"margin:6px 0;padding-left:20px\">"
        );
        for s in &d.rising_signals {
            let _ = write!(
                o,
                "<li style=\"{LI}\"><strong>{} {}</strong>{}: \
                 <code style=\"font-family:Menlo,Consolas,monospace;font-size:12px;background:#f0f4f8;padding:1px 3px;word-break:break-all\">{}</code> \
                 <span style=\"{MUTED}\">{} in these days, {} in the baseline before</span></li>",
                s.trend,
                esc(&s.kind),
                esc(&services_text(&s.services)),
                esc(&s.template),
                s.count,
                s.baseline_count
            );
        }
        o.push_str("</ul>");
    }

    let _ = write!(o, "<h2 style=\"{H2}\">Overdue action items</h2>");
    if d.overdue.is_empty() {
        let _ = write!(
            o,
            "<p style=\"{P}\">None: every open item is within its due date.</p>"
        );
    } else {
        o.push_str("<ul style=\"margin:6px 0;padding-left:20px\">");
        for a in &d.overdue {
            let inc = a.source.to_string();
            let _ = write!(
                o,
                "<li style=\"{LI}\"><strong>{}</strong> {} <span style=\"{MUTED}\">owner {}, \
                 due <span style=\"color:#ab091e\">{}</span>, from {}: {}</span></li>",
                a.action.id.map(|i| i.to_string()).unwrap_or_default(),
                esc(&a.action.title),
                esc(a.action.owner.as_deref().unwrap_or("none")),
                a.action.due.map(|d| d.to_string()).unwrap_or_default(),
                link(&inc, &format!("/{}", a.source.path())),
                esc(&a.source_title)
            );
        }
        o.push_str("</ul>");
    }

    if !d.problems.is_empty() {
        let _ = write!(
            o,
            "<h2 style=\"{H2}\">Problems that came back</h2><ul style=\"margin:6px 0;padding-left:20px\">"
        );
        for p in &d.problems {
            let pid = p.id.to_string();
            let new: Vec<String> = p.new_incidents.iter().map(|i| i.to_string()).collect();
            let _ = write!(
                o,
                "<li style=\"{LI}\">{}: {} <span style=\"{MUTED}\">{} in all, new: {}; {} open</span></li>",
                link(&pid, &format!("/problems#{pid}")),
                esc(&p.title),
                plural(p.incidents, "incident", "incidents"),
                esc(&new.join(", ")),
                plural(p.open_actions, "action item", "action items")
            );
        }
        o.push_str("</ul>");
    }

    if !d.experiments.is_empty() {
        let _ = write!(
            o,
            "<h2 style=\"{H2}\">Experiments</h2><ul style=\"margin:6px 0;padding-left:20px\">"
        );
        for e in &d.experiments {
            let id = e.id.to_string();
            let _ = write!(
                o,
                "<li style=\"{LI}\">{}: {} <span style=\"{MUTED}\">({}; {})</span><br>\
                 <span style=\"{MUTED}\">Hypothesis:</span> {}",
                link(&id, &format!("/experiments/{id}")),
                esc(&e.title),
                esc(e.kind.label()),
                esc(&experiment_state(e)),
                esc(&e.hypothesis)
            );
            if !e.learnings.is_empty() {
                let _ = write!(
                    o,
                    "<br><span style=\"{MUTED}\">Learned:</span> {}",
                    esc(&e.learnings)
                );
            }
            o.push_str("</li>");
        }
        o.push_str("</ul>");
    }

    if !d.launches.is_empty() {
        let _ = write!(
            o,
            "<h2 style=\"{H2}\">Launches and their pre-mortems</h2><ul style=\"margin:6px 0;padding-left:20px\">"
        );
        for l in &d.launches {
            let id = l.id.to_string();
            let _ = write!(
                o,
                "<li style=\"{LI}\">{}: {} <span style=\"{MUTED}\">(launch {}): {} ({} mitigated); {} foreseen, {} surprises</span></li>",
                link(&id, &format!("/premortems/{id}")),
                esc(&l.title),
                l.launch,
                plural(l.foresight.risks, "risk", "risks"),
                l.foresight.mitigated,
                plural(l.foresight.foreseen, "incident", "incidents"),
                l.foresight.surprises
            );
        }
        o.push_str("</ul>");
    }

    if !d.retros.is_empty() {
        let _ = write!(
            o,
            "<h2 style=\"{H2}\">Retrospectives</h2><ul style=\"margin:6px 0;padding-left:20px\">"
        );
        for r in &d.retros {
            let id = r.id.to_string();
            let _ = write!(
                o,
                "<li style=\"{LI}\">{}: {} <span style=\"{MUTED}\">{}(held {}): {}; {}</span>",
                link(&id, &format!("/retros/{id}")),
                esc(&r.title),
                r.team
                    .as_deref()
                    .map(|t| format!("{}, ", esc(t)))
                    .unwrap_or_default(),
                r.held,
                plural(r.items, "item", "items"),
                retro_state(r)
            );
            if !r.actions.is_empty() {
                o.push_str("<ul style=\"margin:4px 0;padding-left:18px\">");
                for a in &r.actions {
                    let _ = write!(
                        o,
                        "<li style=\"{LI}\"><strong>{}</strong> {} <span style=\"{MUTED}\">owner {}, {}</span></li>",
                        a.id.map(|i| i.to_string()).unwrap_or_default(),
                        esc(&a.title),
                        esc(a.owner.as_deref().unwrap_or("none")),
                        a.status
                    );
                }
                o.push_str("</ul>");
            }
            o.push_str("</li>");
        }
        o.push_str("</ul>");
    }

    if !d.on_this_day.is_empty() {
        let _ = write!(
            o,
            "<h2 style=\"{H2}\">On this day</h2><ul style=\"margin:6px 0;padding-left:20px\">"
        );
        for a in &d.on_this_day {
            let id = a.id.to_string();
            let _ = write!(
                o,
                "<li style=\"{LI}\"><span style=\"{MUTED}\">{}:</span> {}: {} <span style=\"{MUTED}\">({}, {})</span></li>",
                plural(a.years_ago as usize, "year ago", "years ago"),
                link(&id, &format!("/incidents/{id}")),
                esc(&a.title),
                a.severity,
                day(a.started)
            );
        }
        o.push_str("</ul>");
    }

    let _ = write!(
        o,
        "<h2 style=\"{H2}\">Failure bows</h2><p style=\"{MUTED}\">A few minutes in the meeting \
         to tell a failure or a near miss and what it taught: no blame, and thanks for telling.</p>"
    );
    let b = &d.bows;
    let mut items = String::new();
    for v in &b.volunteered {
        let _ = write!(
            items,
            "<li style=\"{LI}\"><strong>Volunteered:</strong> {}</li>",
            esc(&v.text)
        );
    }
    for r in &b.near_miss_reports {
        let _ = write!(
            items,
            "<li style=\"{LI}\"><strong>Near miss reported {}:</strong> {}",
            r.reported_on,
            esc(&r.what)
        );
        if !r.made_possible.is_empty() {
            let _ = write!(
                items,
                "<br><span style=\"{MUTED}\">Made possible by:</span> {}",
                esc(&r.made_possible)
            );
        }
        if !r.stopped_it.is_empty() {
            let _ = write!(
                items,
                "<br><span style=\"{MUTED}\">Stopped by:</span> {}",
                esc(&r.stopped_it)
            );
        }
        items.push_str("</li>");
    }
    for (id, title) in &b.near_miss_incidents {
        let s = id.to_string();
        let _ = write!(
            items,
            "<li style=\"{LI}\"><strong>Near miss</strong> {}: {}</li>",
            link(&s, &format!("/incidents/{s}")),
            esc(title)
        );
    }
    if items.is_empty() {
        let _ = write!(
            o,
            "<p style=\"{P}\">Nobody has volunteered yet. Offer one with \
             <code>debrief bow add \"…\"</code>, or report a near miss.</p>"
        );
    } else {
        let _ = write!(
            o,
            "<ol style=\"margin:6px 0;padding-left:20px\">{items}</ol>"
        );
    }
    o
}

/// The digest as a whole HTML document for mail.
pub fn html(d: &Digest, links: Links) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"generator\" content=\"debrief\">\
         <title>Learning digest, {} to {}</title></head>\
         <body style=\"margin:0;padding:0;background:#f5f7fa\">\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" \
         style=\"background:#f5f7fa\"><tr><td align=\"center\" style=\"padding:16px 8px\">\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" \
         style=\"max-width:640px;background:#ffffff;border:1px solid #d9e2ec;border-radius:6px\">\
         <tr><td style=\"padding:20px 24px;{FONT};color:#1f2933\">{}\
         <p style=\"{MUTED};margin:28px 0 0\">Written by debrief on {}.</p>\
         </td></tr></table></td></tr></table></body></html>\n",
        day(d.from),
        day(d.until),
        html_body(d, links),
        format_time(d.until)
    )
}
