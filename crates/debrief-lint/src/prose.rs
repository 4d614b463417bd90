//! The prose of a document: its sentences, where each one is in the source, and which
//! section of a review it is in. Code blocks, inline code, front matter, HTML and URLs are
//! not prose; `<!-- debrief-lint off [RULE…] -->` and `<!-- debrief-lint on [RULE…] -->`
//! comments switch rules off and on from where they stand.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use regex::Regex;
use std::sync::LazyLock;

/// The kind of section a sentence is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Narrative and analysis: what happened and why.
    Analysis,
    /// Plans: action items, next steps, follow-ups; "should" there states what will be done.
    Plans,
}

/// One sentence of prose.
#[derive(Debug, Clone)]
pub struct Sentence {
    /// The sentence, with inline code as `CODE` padded to its length and URLs blanked.
    pub text: String,
    /// For each byte of `text`, the byte of the source it came from.
    pub source: Vec<usize>,
    pub section: Section,
}

/// A switch of rules off or on, at a byte of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switch {
    pub at: usize,
    pub on: bool,
    /// The rules switched; empty for every rule.
    pub rules: Vec<String>,
}

/// A document's sentences and rule switches.
#[derive(Debug, Clone, Default)]
pub struct Prose {
    pub sentences: Vec<Sentence>,
    pub switches: Vec<Switch>,
}

impl Prose {
    /// Whether `rule` is switched off at source byte `at`.
    pub fn is_off(&self, rule: &str, at: usize) -> bool {
        let mut off = false;
        for s in self.switches.iter().take_while(|s| s.at <= at) {
            if s.rules.is_empty() || s.rules.iter().any(|r| r == rule) {
                off = !s.on;
            }
        }
        off
    }
}

static PLAN_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(action\s+items?|actions|follow[- ]?ups?|next\s+steps|remediations?|to-?dos?|action\s+plan|what\s+we\s*(will|'ll)\s+do|tasks|corrective\s+actions|preventive\s+actions|improvements)\b",
    )
    .expect("valid")
});

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(https?|ftp)://[^\s<>)\]]+|\bwww\.[^\s<>)\]]+").expect("valid")
});

static SWITCH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<!--\s*debrief-lint\s+(off|on)\b([^>]*?)-->").expect("valid"));

/// A block of prose being gathered: text and where each byte came from.
#[derive(Default)]
struct Block {
    text: String,
    source: Vec<usize>,
}

impl Block {
    fn push(&mut self, text: &str, source_start: usize, source_len: usize) {
        // When the event's text is the source's (no escapes or entities), each byte maps to
        // its own; otherwise to the start of the run.
        let same = text.len() == source_len;
        if same {
            self.source.extend(source_start..source_start + text.len());
        } else {
            self.source
                .extend(std::iter::repeat_n(source_start, text.len()));
        }
        self.text.push_str(text);
    }
}

/// The prose of Markdown `text`.
pub fn markdown(text: &str) -> Prose {
    let mut prose = Prose::default();
    let options = Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS;
    let mut block = Block::default();
    let mut skip = 0usize; // inside code blocks and front matter
    let mut heading: Option<String> = None;
    let mut section = Section::Analysis;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::MetadataBlock(_)) => skip += 1,
            Event::End(TagEnd::CodeBlock | TagEnd::MetadataBlock(_)) => {
                skip = skip.saturating_sub(1)
            }
            Event::Start(Tag::Heading { .. }) => {
                flush(&mut prose, &mut block, section);
                heading = Some(String::new());
            }
            Event::End(TagEnd::Heading(_)) => {
                let title = heading.take().unwrap_or_default();
                // The heading itself is prose of the section it opens.
                section = if PLAN_HEADING.is_match(&title) {
                    Section::Plans
                } else {
                    Section::Analysis
                };
                flush(&mut prose, &mut block, section);
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_)
                | TagEnd::FootnoteDefinition,
            ) => flush(&mut prose, &mut block, section),
            Event::Text(t) if skip == 0 => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
                block.push(&t, range.start, range.len());
            }
            Event::Code(c) if skip == 0 => {
                // Inline code is a name, not prose: a placeholder of its length.
                let stand_in: String = "CODE".chars().cycle().take(c.len().max(4)).collect();
                block.push(&stand_in, range.start, range.len());
            }
            Event::SoftBreak | Event::HardBreak if skip == 0 => {
                block.push(" ", range.start, 1);
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                for caps in SWITCH.captures_iter(&h) {
                    let rules = caps[2]
                        .split([',', ' '])
                        .filter(|r| !r.is_empty())
                        .map(str::to_string)
                        .collect();
                    prose.switches.push(Switch {
                        at: range.start,
                        on: &caps[1] == "on",
                        rules,
                    });
                }
            }
            _ => {}
        }
    }
    flush(&mut prose, &mut block, section);
    prose
}

/// The prose of plain `text`: paragraphs split at blank lines, all analysis.
pub fn plain(text: &str) -> Prose {
    let mut prose = Prose::default();
    let mut block = Block::default();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            flush(&mut prose, &mut block, Section::Analysis);
        } else {
            let body = line.trim_end_matches(['\n', '\r']);
            block.push(body, at, body.len());
            block.push(" ", at + body.len(), 1);
        }
        at += line.len();
    }
    flush(&mut prose, &mut block, Section::Analysis);
    prose
}

/// Cuts the gathered block into sentences.
fn flush(prose: &mut Prose, block: &mut Block, section: Section) {
    let Block { mut text, source } = std::mem::take(block);
    if text.trim().is_empty() {
        return;
    }
    // URLs are not prose: blanked, keeping every byte where it was.
    let urls: Vec<(usize, usize)> = URL.find_iter(&text).map(|m| (m.start(), m.end())).collect();
    if !urls.is_empty() {
        let mut bytes = text.into_bytes();
        for (a, b) in urls {
            for byte in &mut bytes[a..b] {
                *byte = b' ';
            }
        }
        // Whole characters were replaced by spaces: still UTF-8.
        text = String::from_utf8(bytes).unwrap_or_default();
    }
    for (a, b) in sentence_spans(&text) {
        let piece = &text[a..b];
        let lead = piece.len() - piece.trim_start().len();
        let trail = piece.len() - piece.trim_end().len();
        let (a, b) = (a + lead, b - trail);
        if a < b {
            prose.sentences.push(Sentence {
                text: text[a..b].to_string(),
                source: source[a..b].to_vec(),
                section,
            });
        }
    }
}

/// Words after which a full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "etc", "vs", "mr", "ms", "mrs", "dr", "approx", "fig", "no", "cf", "inc", "ltd",
    "jr", "sr", "st", "al",
];

/// Where the sentences of `text` are: a `.`, `!` or `?` (and any closing quotes or
/// brackets) followed by a space and an upper-case letter, a digit or a quote ends one.
fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if matches!(b[i], b'.' | b'!' | b'?') {
            let mut j = i + 1;
            while j < b.len() && matches!(b[j], b'"' | b'\'' | b')' | b']' | b'.' | b'!' | b'?') {
                j += 1;
            }
            let spaced = j < b.len() && b[j].is_ascii_whitespace();
            let mut k = j;
            while k < b.len() && b[k].is_ascii_whitespace() {
                k += 1;
            }
            let next_opens = k >= b.len()
                || b[k].is_ascii_uppercase()
                || b[k].is_ascii_digit()
                || matches!(b[k], b'"' | b'\'' | b'(' | b'[' | b'*' | b'-')
                || b[k] >= 0x80;
            let word_start = text[..i]
                .rfind(|c: char| c.is_whitespace() || c == '(')
                .map_or(0, |p| crate::subject::after_char(text, p));
            let word = text[word_start..i].to_ascii_lowercase();
            let abbreviation = b[i] == b'.' && ABBREVIATIONS.contains(&word.as_str());
            if (spaced || k >= b.len()) && next_opens && !abbreviation {
                spans.push((start, j));
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    if start < b.len() {
        spans.push((start, b.len()));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(p: &Prose) -> Vec<&str> {
        p.sentences.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn code_front_matter_html_and_urls_are_not_prose() {
        let md = "---\ntitle: human error\n---\n\n# Summary\n\nThe deploy stalled. See https://example.com/human-error for \
                  `human error` notes.\n\n```\nhuman error in code\n```\n\n    indented human error\n\n<div>human error</div>\n";
        let p = markdown(md);
        let all = texts(&p).join(" | ");
        assert!(!all.contains("human"), "{all}");
        assert!(all.contains("The deploy stalled."), "{all}");
    }

    #[test]
    fn sentences_split_but_not_at_abbreviations_and_map_back_to_the_source() {
        let md = "Intro line.\n\nWe paged the on-call, e.g. Sam. It took 3 minutes! Then \"we\" waited?\n";
        let p = markdown(md);
        assert_eq!(
            texts(&p),
            [
                "Intro line.",
                "We paged the on-call, e.g. Sam.",
                "It took 3 minutes!",
                "Then \"we\" waited?"
            ]
        );
        let s = &p.sentences[2];
        let at = s.source[0];
        assert_eq!(&md[at..at + 2], "It");
    }

    #[test]
    fn headings_set_the_section() {
        let md = "# Analysis\n\nThe team should have tested it.\n\n## Action items\n\n- The team should test it.\n\n## Timeline\n\nA thing.\n";
        let p = markdown(md);
        let sections: Vec<(&str, Section)> = p
            .sentences
            .iter()
            .map(|s| (s.text.as_str(), s.section))
            .collect();
        assert!(sections.contains(&("The team should have tested it.", Section::Analysis)));
        assert!(sections.contains(&("The team should test it.", Section::Plans)));
        assert!(sections.contains(&("A thing.", Section::Analysis)));
    }

    #[test]
    fn switches_turn_rules_off_and_on() {
        let md = "One.\n\n<!-- debrief-lint off human-error -->\n\nTwo.\n\n<!-- debrief-lint on -->\n\nThree.\n";
        let p = markdown(md);
        let at = |t: &str| md.find(t).unwrap();
        assert!(!p.is_off("human-error", at("One")));
        assert!(p.is_off("human-error", at("Two")));
        assert!(!p.is_off("careless", at("Two")));
        assert!(!p.is_off("human-error", at("Three")));
    }

    #[test]
    fn plain_text_is_split_at_blank_lines() {
        let p = plain("First one. Second one\ngoes on.\n\nThird.\n");
        assert_eq!(texts(&p), ["First one.", "Second one goes on.", "Third."]);
    }

    proptest::proptest! {
        /// Any text at all gives sentences whose bytes come from the source in order.
        #[test]
        fn sentences_map_into_the_source(md in "[a-zA-Z .,!?`#*\\-\n\"'<>/:]{0,200}") {
            let p = markdown(&md);
            for s in &p.sentences {
                proptest::prop_assert_eq!(s.text.len(), s.source.len());
                proptest::prop_assert!(s.source.iter().all(|&at| at < md.len().max(1)));
                proptest::prop_assert!(s.source.windows(2).all(|w| w[0] <= w[1]));
            }
        }
    }
}
