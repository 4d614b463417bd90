//! Drawings for the incident page, as SVG written on the server: the timeline, and the
//! contributing factors as a fishbone (Ishikawa) diagram. No script; every text escaped.

use std::fmt::Write;

use debrief_core::{FactorCategory, Incident};

use crate::web::esc;

/// Text cut to `max` characters for a label.
fn label(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        esc(text)
    } else {
        esc(&format!(
            "{}…",
            text.chars().take(max - 1).collect::<String>()
        ))
    }
}

/// The fishbone: the spine leads to the incident (the head); each category of factor is a
/// bone, above or below the spine, with its factors written along it. Categories with no
/// factor are drawn faint, as questions not yet asked.
pub fn fishbone(i: &Incident) -> String {
    let cats = FactorCategory::ALL;
    let per_side = cats.len().div_ceil(2);
    let bone_w = 190.0;
    let width = 60.0 + per_side as f64 * bone_w + 200.0;
    let max_factors = cats
        .iter()
        .map(|c| i.factors.iter().filter(|f| f.category == *c).count())
        .max()
        .unwrap_or(0)
        .max(1);
    let half = 40.0 + max_factors as f64 * 18.0;
    let height = 2.0 * half + 40.0;
    let spine_y = height / 2.0;
    let head_x = width - 190.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"fishbone\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" \
         aria-label=\"Fishbone diagram of the contributing factors\" \
         xmlns=\"http://www.w3.org/2000/svg\" font-family=\"system-ui,sans-serif\" font-size=\"12\">\
         <line x1=\"20\" y1=\"{spine_y:.0}\" x2=\"{head_x:.0}\" y2=\"{spine_y:.0}\" stroke=\"#1b1f24\" stroke-width=\"3\"/>\
         <rect x=\"{head_x:.0}\" y=\"{:.0}\" width=\"180\" height=\"50\" rx=\"6\" fill=\"#fff4e5\" stroke=\"#b35c00\"/>\
         <text x=\"{:.0}\" y=\"{:.0}\" font-weight=\"600\">{}</text>",
        spine_y - 25.0,
        head_x + 8.0,
        spine_y + 4.0,
        label(&i.title, 26)
    );
    for (n, cat) in cats.iter().enumerate() {
        let above = n % 2 == 0;
        let slot = n / 2;
        let x_end = 60.0 + (slot as f64 + 1.0) * bone_w;
        let x_start = x_end - 70.0;
        let y_tip = if above {
            spine_y - half + 10.0
        } else {
            spine_y + half - 10.0
        };
        let factors: Vec<_> = i.factors.iter().filter(|f| f.category == *cat).collect();
        let (stroke, fill) = if factors.is_empty() {
            ("#c9ced6", "#8c959f")
        } else {
            ("#1b1f24", "#1b1f24")
        };
        let _ = write!(
            s,
            "<line x1=\"{x_start:.0}\" y1=\"{y_tip:.0}\" x2=\"{x_end:.0}\" y2=\"{spine_y:.0}\" stroke=\"{stroke}\" stroke-width=\"2\"/>\
             <text x=\"{:.0}\" y=\"{:.0}\" font-weight=\"600\" fill=\"{fill}\">{}</text>",
            x_start - 40.0,
            if above { y_tip - 6.0 } else { y_tip + 16.0 },
            esc(cat.label())
        );
        for (k, f) in factors.iter().enumerate() {
            let y = if above {
                y_tip + 18.0 + k as f64 * 18.0
            } else {
                y_tip - 10.0 - k as f64 * 18.0
            };
            let _ = write!(
                s,
                "<text x=\"{:.0}\" y=\"{y:.0}\"><title>{}</title>{}</text>",
                x_start - 100.0 + 10.0,
                esc(&f.title),
                label(&f.title, 28)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// The timeline: a line from the first to the last moment, with the incident's start,
/// detection, mitigation and resolution, and each timeline entry, as marks along it.
pub fn timeline(i: &Incident) -> Option<String> {
    let mut marks: Vec<(jiff::Timestamp, String, &str)> = Vec::new();
    for (t, name) in [
        (i.started, "started"),
        (i.detected, "detected"),
        (i.mitigated, "mitigated"),
        (i.resolved, "resolved"),
    ] {
        if let Some(t) = t {
            marks.push((t, name.to_string(), "#b35c00"));
        }
    }
    for e in &i.timeline {
        marks.push((e.at, e.text.clone(), "#0b57d0"));
    }
    if marks.is_empty() {
        return None;
    }
    marks.sort_by_key(|m| m.0);
    let first = marks[0].0;
    let last = marks[marks.len() - 1].0;
    let span = (last - first).as_secs().max(1) as f64;
    let width = 900.0;
    let height = 60.0 + marks.len() as f64 * 18.0;
    // The axis takes the left two thirds, so the latest marks keep room for a label.
    let x = |t: jiff::Timestamp| 20.0 + (t - first).as_secs() as f64 / span * (width * 2.0 / 3.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"timeline\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" \
         aria-label=\"Timeline\" xmlns=\"http://www.w3.org/2000/svg\" \
         font-family=\"system-ui,sans-serif\" font-size=\"12\">\
         <line x1=\"20\" y1=\"30\" x2=\"{:.0}\" y2=\"30\" stroke=\"#1b1f24\" stroke-width=\"2\"/>",
        20.0 + width * 2.0 / 3.0
    );
    for (n, (t, text, colour)) in marks.iter().enumerate() {
        let mx = x(*t);
        let y = 52.0 + n as f64 * 18.0;
        // Each label starts at its mark and is cut to the room left (about 6.5 px a
        // character); the whole text is in its tooltip and in the list below the drawing.
        let (tx, anchor) = (mx + 4.0, "start");
        let room = (((width - tx - 10.0) / 6.5) as usize)
            .saturating_sub(20)
            .max(8);
        let _ = write!(
            s,
            "<circle cx=\"{mx:.0}\" cy=\"30\" r=\"5\" fill=\"{colour}\"/>\
             <line x1=\"{mx:.0}\" y1=\"35\" x2=\"{mx:.0}\" y2=\"{:.0}\" stroke=\"#d0d7de\"/>\
             <text x=\"{tx:.0}\" y=\"{y:.0}\" text-anchor=\"{anchor}\"><title>{}</title>{} {}</text>",
            y - 4.0,
            esc(text),
            debrief_core::time::format_time(*t)
                .trim_end_matches('Z')
                .replace('T', " "),
            label(text, room)
        );
    }
    s.push_str("</svg>");
    Some(s)
}

/// A rate as a small bar chart: one bar per count, scaled to the largest, with the counts
/// in its title (read out by screen readers and shown on hover).
pub fn sparkline(rate: &[u64]) -> String {
    let bar = 5.0;
    let gap = 1.0;
    let height = 24.0;
    let width = rate.len() as f64 * (bar + gap);
    let max = rate.iter().copied().max().unwrap_or(0).max(1) as f64;
    let mut s = format!(
        "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" role=\"img\"><title>lines per bar, oldest first: {}</title>",
        rate.iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (n, &count) in rate.iter().enumerate() {
        let h = if count == 0 {
            0.0
        } else {
            (count as f64 / max * (height - 1.0)).max(1.5)
        };
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar}\" height=\"{h:.1}\" fill=\"#cf222e\"/>",
            n as f64 * (bar + gap),
            height - h
        );
    }
    let _ = write!(
        s,
        "<line x1=\"0\" y1=\"{height}\" x2=\"{width}\" y2=\"{height}\" stroke=\"#8c959f\"/></svg>"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use debrief_core::{Factor, FactorLevel, Severity};

    #[test]
    fn drawings_escape_their_text_and_name_every_category() {
        let mut i = Incident::new("<script>alert(1)</script>", Severity::Sev2);
        i.factors.push(Factor {
            title: "Loader \"accepts\" <unknown> keys".into(),
            level: FactorLevel::Technical,
            category: FactorCategory::Tooling,
            description: String::new(),
            whys: Vec::new(),
        });
        let svg = fishbone(&i);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;unknown&gt;"));
        for c in FactorCategory::ALL {
            assert!(svg.contains(&esc(c.label())), "{}", c.label());
        }
        assert!(timeline(&i).is_none());
        i.started = Some("2026-03-01T14:00:00Z".parse().unwrap());
        i.timeline.push(debrief_core::TimelineEntry {
            at: "2026-03-01T14:05:00Z".parse().unwrap(),
            text: "<b>alert</b> fires".into(),
            known: String::new(),
        });
        let t = timeline(&i).unwrap();
        assert!(t.contains("&lt;b&gt;alert") && !t.contains("<b>"), "{t}");
        assert_eq!(t.matches("<circle").count(), 2);
    }

    #[test]
    fn sparkline_bars_scale_to_the_largest_count() {
        let svg = super::sparkline(&[0, 5, 10]);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("height=\"0.0\""), "{svg}");
        assert!(svg.contains("height=\"23.0\""), "{svg}");
        assert!(svg.contains("<title>lines per bar, oldest first: 0 5 10</title>"));
    }
}
