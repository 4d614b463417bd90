//! Masking: a message becomes a sequence of tokens with its variable parts replaced by `<*>`.
//!
//! The masked text is the key the miner groups by, so masking must be fast (it runs once a
//! line) and must not depend on anything but the message: the same message always masks to
//! the same key. Tokens are split at whitespace; inside a token, segments between
//! delimiters (`= : , ; ( ) [ ] { } < > " '`) are masked on their own, so `uid=0` becomes
//! `uid=<*>` and `rhost=10.0.0.1` becomes `rhost=<*>`.
//!
//! A segment is a variable when it holds a digit (numbers, ids, IPs, hex, durations, versions
//! of things), when it is a path (`/var/lib/x`, `C:\x`), or a URL or e-mail address (then the
//! whole token is), or when a token is one quoted value (`"alt0"`, `'bob'`). User masks
//! (regular expressions from the config file) run first, on the whole message.

use std::cell::RefCell;

use regex::Regex;

use crate::shape_cache::ShapeCache;

/// The text that stands for a variable in a template.
pub const VAR: &str = "<*>";

/// Masks messages. Cheap to share between threads.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    extra: Vec<Regex>,
}

/// Where a variable was found in the message, as a byte range.
pub type Span = (usize, usize);

impl Masker {
    /// A masker with the built-in rules and, first, the given extra patterns.
    pub fn new(extra: Vec<Regex>) -> Masker {
        Masker { extra }
    }

    /// Whether the config added patterns of its own.
    pub fn has_extra(&self) -> bool {
        !self.extra.is_empty()
    }

    /// Writes the masked form of `message` into `out` (cleared first): tokens joined by one
    /// space, variables as `<*>`. When `spans` is given, the byte ranges of the variables in
    /// `message` are pushed to it in order.
    pub fn mask_into(&self, message: &str, out: &mut String, mut spans: Option<&mut Vec<Span>>) {
        out.clear();
        if let Some(s) = spans.as_deref_mut() {
            s.clear();
        }
        if self.extra.is_empty() {
            if spans.is_none() && message.len() <= SHAPE_CACHE_MAX {
                mask_cached(message, out);
            } else {
                mask_plain(message, 0, out, spans);
            }
            return;
        }
        // User masks: cut the message at their matches, mask the pieces between them.
        let mut hits: Vec<Span> = Vec::new();
        for re in &self.extra {
            for m in re.find_iter(message) {
                if m.start() < m.end() {
                    hits.push((m.start(), m.end()));
                }
            }
        }
        hits.sort_unstable();
        let mut at = 0;
        for (start, end) in hits {
            if start < at {
                continue; // overlaps an earlier match
            }
            mask_plain(&message[at..start], at, out, spans.as_deref_mut());
            push_var_token(out, message, start, end);
            if let Some(s) = spans.as_deref_mut() {
                s.push((start, end));
            }
            at = end;
        }
        mask_plain(&message[at..], at, out, spans);
    }

    /// The masked form of `message`, a convenience for tests and one-off calls.
    pub fn mask(&self, message: &str) -> String {
        let mut out = String::new();
        self.mask_into(message, &mut out, None);
        out
    }
}

/// Messages longer than this are masked without the cache (it holds at most
/// `SHAPE_CACHE_SLOTS` of them, so its memory stays small).
const SHAPE_CACHE_MAX: usize = 512;
const SHAPE_CACHE_SLOTS: usize = 1024;

thread_local! {
    /// Recently masked messages by shape: the built-in masking looks at digits only as
    /// digits, never at their values.
    static SHAPE_CACHE: RefCell<ShapeCache<()>> = RefCell::new(ShapeCache::new(SHAPE_CACHE_SLOTS));
}

/// Masks `message` through the shape cache.
fn mask_cached(message: &str, out: &mut String) {
    SHAPE_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some((key, (), _)) = c.find(message) {
            out.push_str(key);
            return;
        }
        mask_plain(message, 0, out, None);
        c.store(out, ());
    })
}

/// After a user mask matched at `start..end`, writes `<*>` as its own token unless it sits
/// inside a word (then it joins the word, as `id=<*>`).
fn push_var_token(out: &mut String, message: &str, start: usize, _end: usize) {
    let glued = message[..start]
        .chars()
        .next_back()
        .is_some_and(|c| !c.is_whitespace());
    if !glued && !out.is_empty() {
        out.push(' ');
    }
    out.push_str(VAR);
}

const fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'=' | b':'
            | b','
            | b';'
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'<'
            | b'>'
            | b'"'
            | b'\''
    )
}

fn mask_plain(text: &str, base: usize, out: &mut String, mut spans: Option<&mut Vec<Span>>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    // Whether the output ends with a token that is exactly `<*>`: worked out once from
    // what is already written, then kept up to date token by token.
    let mut prev_var = ends_with_var_token(out);
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if start == i {
            break;
        }
        let token = &text[start..i];
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        if prev_var {
            // A unit after a number belongs to it (`5 ms`, `12.5 KB,`).
            let (core, trail) = split_trail(token);
            if is_unit(core) {
                out.pop(); // the space
                out.push_str(trail);
                if let Some(last) = spans.as_deref_mut().and_then(|s| s.last_mut()) {
                    last.1 = base + start + core.len();
                }
                prev_var = trail.is_empty();
                continue;
            }
            // A run of variables is one variable (`delete <*> <*> <*>` → `delete <*>`).
            if token_is_plain_var(token) {
                out.pop();
                if let Some(last) = spans.as_deref_mut().and_then(|s| s.last_mut()) {
                    last.1 = base + i;
                }
                continue;
            }
        }
        if is_date_word(token) && next_is_date_part(&text[i..]) {
            out.push_str(VAR);
            if let Some(s) = spans.as_deref_mut() {
                s.push((base + start, base + i));
            }
            prev_var = true;
            continue;
        }
        let at = out.len();
        mask_token(token, base + start, out, spans.as_deref_mut());
        prev_var = &out[at..] == VAR;
    }
}

/// Bytes that send a token down the slow path: digits, delimiters, `/`, `\\`, `@`.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_digit() || is_delim(b) || b == b'/' || b == b'\\' || b == b'@';
        c += 1;
    }
    t
};

fn mask_token(token: &str, base: usize, out: &mut String, spans: Option<&mut Vec<Span>>) {
    let b = token.as_bytes();
    // Fast path: most words have no digit, no delimiter and no slash.
    if !b.iter().any(|&c| SPECIAL[c as usize]) {
        out.push_str(token);
        return;
    }
    if let Some(cut) = word_then_number(token) {
        // `core.2275`, `node-246`, `blk_38865`: the word stays, the number is masked.
        out.push_str(&token[..cut]);
        out.push_str(VAR);
        if let Some(s) = spans {
            s.push((base + cut, base + token.len()));
        }
        return;
    }
    if whole_token_var(token) {
        let (lead, core, trail) = trim_punct(token);
        out.push_str(lead);
        out.push_str(VAR);
        out.push_str(trail);
        if let Some(s) = spans {
            s.push((base + lead.len(), base + lead.len() + core.len()));
        }
        return;
    }
    if let Some(inner) = quoted_value(token) {
        let q = &token[..1];
        out.push_str(q);
        out.push_str(VAR);
        out.push_str(&token[1 + inner.len()..]);
        if let Some(s) = spans {
            s.push((base + 1, base + 1 + inner.len()));
        }
        return;
    }
    let mut spans = spans;
    let mut seg_start = 0;
    let mut last_var = false;
    for (j, &c) in b
        .iter()
        .enumerate()
        .chain(std::iter::once((b.len(), &b' ')))
    {
        if j == b.len() || is_delim(c) {
            let seg = &token[seg_start..j];
            if !seg.is_empty() {
                if is_var_segment(seg) {
                    if !last_var {
                        out.push_str(VAR);
                    }
                    if let Some(s) = spans.as_deref_mut() {
                        match s.last_mut() {
                            Some(prev) if last_var && prev.1 + 1 >= base + seg_start => {
                                prev.1 = base + j;
                            }
                            _ => s.push((base + seg_start, base + j)),
                        }
                    }
                    last_var = true;
                } else {
                    out.push_str(seg);
                    last_var = false;
                }
            }
            if j < b.len() {
                // A lone ':' or '.' between two variables (10.0.0.1:8080) stays inside one.
                let glue = last_var
                    && matches!(c, b':' | b',')
                    && b.get(j + 1).is_some_and(|n| n.is_ascii_digit());
                if !glue {
                    out.push(c as char);
                    last_var = false;
                }
            }
            seg_start = j + 1;
        }
    }
}

/// Whether the output so far ends with a token that is exactly `<*>`.
fn ends_with_var_token(out: &str) -> bool {
    let t = out.trim_end_matches(' ');
    t.ends_with(VAR) && {
        let before = &t[..t.len() - VAR.len()];
        before.is_empty() || before.ends_with(' ')
    }
}

/// A token that masks to exactly `<*>` on its own: a number, an address, a hex id, a path.
fn token_is_plain_var(token: &str) -> bool {
    let b = token.as_bytes();
    if b.first().is_some_and(u8::is_ascii_digit)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b':' | b'-' | b'_'))
    {
        return true;
    }
    let (lead, _, trail) = trim_punct(token);
    lead.is_empty() && trail.is_empty() && whole_token_var(token)
}

fn split_trail(token: &str) -> (&str, &str) {
    let core = token.trim_end_matches([',', ';', ')', ']', '.', ':']);
    (core, &token[core.len()..])
}

/// Units of size and time that follow a number.
fn is_unit(word: &str) -> bool {
    matches!(
        word,
        "B" | "KB"
            | "MB"
            | "GB"
            | "TB"
            | "PB"
            | "KiB"
            | "MiB"
            | "GiB"
            | "TiB"
            | "kB"
            | "ms"
            | "us"
            | "µs"
            | "ns"
            | "s"
            | "sec"
            | "secs"
            | "min"
            | "mins"
            | "h"
            | "hrs"
    )
}

/// A weekday or month name as dates write them (`Sun`, `Jul`, `July`).
fn is_date_word(token: &str) -> bool {
    const WORDS: [&str; 19] = [
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    if !token.as_bytes().first().is_some_and(u8::is_ascii_uppercase) || token.len() > 10 {
        return false;
    }
    let t = token.trim_end_matches([',', '.']);
    t.len() >= 3
        && WORDS.iter().any(|w| t.starts_with(w))
        && t.len() <= 9
        && t.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Whether the text after a weekday or month name goes on with a date: a number or
/// another date word.
fn next_is_date_part(rest: &str) -> bool {
    let next = rest.split_ascii_whitespace().next().unwrap_or("");
    next.as_bytes().first().is_some_and(u8::is_ascii_digit) || is_date_word(next)
}

/// Hex digits in groups (`FF:EA:01:3c`, UUIDs, IPv6, long hashes) with at least one digit.
fn is_hex_token(core: &str) -> bool {
    let b = core.as_bytes();
    let mut digits = 0;
    let mut seps = 0;
    for &c in b {
        if c.is_ascii_digit() {
            digits += 1;
        } else if matches!(c, b':' | b'-' | b'.') {
            seps += 1;
        } else if !c.is_ascii_hexdigit() {
            return false;
        }
    }
    digits > 0 && (seps > 0 || b.len() >= 8) && seps < b.len()
}

/// Where the number starts in a token that is a word, one `.`, `-` or `_`, and a number
/// (`core.2275`, `node-246`); `None` for any other token.
fn word_then_number(token: &str) -> Option<usize> {
    let b = token.as_bytes();
    let word = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if word < 2 || word + 1 >= b.len() || !matches!(b[word], b'.' | b'-' | b'_') {
        return None;
    }
    let digits = &b[word + 1..];
    let digits = digits.strip_prefix(b"-").unwrap_or(digits);
    (!digits.is_empty() && digits.iter().all(u8::is_ascii_digit)).then_some(word + 1)
}

/// A URL, an e-mail address, a path or a hex token: the whole token is one variable.
fn whole_token_var(token: &str) -> bool {
    let (_, core, _) = trim_punct(token);
    if core.len() < 2 {
        return false;
    }
    if is_hex_token(core) {
        return true;
    }
    if core.contains("://") {
        return true;
    }
    if let Some(at) = core.find('@') {
        let (user, host) = (&core[..at], &core[at + 1..]);
        if !user.is_empty() && host.contains('.') && !host.contains('@') && !user.contains('[') {
            return true;
        }
    }
    let b = core.as_bytes();
    // Unix path with at least two parts, or a Windows path.
    (b[0] == b'/' && core[1..].contains('/'))
        || (b.len() > 3 && b[1] == b':' && b[2] == b'\\' && b[0].is_ascii_alphabetic())
}

/// The value of a token that is one quoted value: `"alt0"`, `'bob',`.
fn quoted_value(token: &str) -> Option<&str> {
    let b = token.as_bytes();
    let q = *b.first()?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let close = token[1..].find(q as char)? + 1;
    let rest = &token[close + 1..];
    if close < 2 || !rest.bytes().all(|c| c.is_ascii_punctuation()) {
        return None;
    }
    Some(&token[1..close])
}

/// Splits leading and trailing brackets and punctuation off a token.
fn trim_punct(token: &str) -> (&str, &str, &str) {
    let b = token.as_bytes();
    let lead = b
        .iter()
        .take_while(|c| matches!(c, b'(' | b'[' | b'{' | b'<' | b'"' | b'\''))
        .count();
    let trail = b[lead..]
        .iter()
        .rev()
        .take_while(|c| {
            matches!(
                c,
                b')' | b']' | b'}' | b'>' | b'"' | b'\'' | b',' | b';' | b'.' | b':'
            )
        })
        .count();
    // ASCII bytes at both ends: the cuts fall on character boundaries.
    let core_end = b.len() - trail;
    (&token[..lead], &token[lead..core_end], &token[core_end..])
}

fn is_var_segment(seg: &str) -> bool {
    let b = seg.as_bytes();
    b.iter().any(u8::is_ascii_digit) || (b.len() > 1 && (b[0] == b'/' || b[0] == b'\\'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    fn m(s: &str) -> String {
        Masker::default().mask(s)
    }

    /// Masking without the shape cache.
    fn uncached(s: &str) -> String {
        let mut out = String::new();
        mask_plain(s, 0, &mut out, None);
        out
    }

    use crate::testing::{digits, loghub_logs, with_digits};

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// What the shape cache rests on: masking sees digits, not their values.
        #[test]
        fn messages_that_differ_only_in_digit_values_mask_the_same(
            message in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[0-9]{1,10}").unwrap(),
                    proptest::string::string_regex("[a-fA-Z]{1,6}").unwrap(),
                    proptest::string::string_regex("[ .:,;=/\\@()\\[\\]{}<>\"'_#x-]{1,2}").unwrap(),
                    proptest::prelude::Just("blk_".to_string()),
                    proptest::prelude::Just("://".to_string()),
                    proptest::prelude::Just(" ms".to_string()),
                    proptest::prelude::Just(" Jun ".to_string()),
                    proptest::prelude::Just("0x".to_string()),
                ],
                0..14,
            ).prop_map(|v| v.concat()),
            digits in proptest::collection::vec(0u8..10, 1..20),
        ) {
            let other = with_digits(&message, &digits);
            proptest::prop_assert_eq!(uncached(&message), uncached(&other), "{} / {}", message, other);
            // and the cache answers as masking does, hit or miss
            proptest::prop_assert_eq!(m(&message), uncached(&message));
            proptest::prop_assert_eq!(m(&other), uncached(&other));
        }
    }

    #[test]
    fn loghub_messages_with_other_digits_mask_the_same() {
        let Some(logs) = loghub_logs() else { return };
        let mut seed = 7u64;
        let mut checked = 0;
        for (_, log) in &logs {
            for line in log.lines() {
                let other = with_digits(line, &digits(&mut seed, 16));
                assert_eq!(uncached(line), uncached(&other), "{line:?} / {other:?}");
                assert_eq!(m(&other), uncached(&other));
                checked += 1;
            }
        }
        println!("{checked} lines checked");
    }

    #[test]
    fn masks_numbers_ids_and_addresses() {
        assert_eq!(
            m("PacketResponder 1 for block blk_38865049064139660 terminating"),
            "PacketResponder <*> for block blk_<*> terminating"
        );
        assert_eq!(
            m("block blk_-69522 on node-246"),
            "block blk_<*> on node-<*>"
        );
        assert_eq!(
            m("Received connection request /10.10.34.11:45307"),
            "Received connection request <*>"
        );
        assert_eq!(
            m(
                "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4"
            ),
            "authentication failure; logname= uid=<*> euid=<*> tty=NODEVssh ruser= rhost=<*>"
        );
        assert_eq!(m("took 35ms (0x7f3a)"), "took <*> (<*>)");
        assert_eq!(
            m("connect to 10.0.0.1:5432 failed"),
            "connect to <*> failed"
        );
    }

    #[test]
    fn masks_paths_urls_mail_and_quoted_values() {
        assert_eq!(
            m("workerEnv.init() ok /etc/httpd/conf/workers2.properties"),
            "workerEnv.init() ok <*>"
        );
        assert_eq!(m("GET https://example.org/a?b=c done"), "GET <*> done");
        assert_eq!(m("mail from bob@example.org."), "mail from <*>.");
        assert_eq!(m("user \"bob\" not found"), "user \"<*>\" not found");
        assert_eq!(m("open 'x': no such file"), "open '<*>': no such file");
    }

    #[test]
    fn words_and_whitespace() {
        assert_eq!(m("  Connection   refused\t"), "Connection refused");
        assert_eq!(m(""), "");
        assert_eq!(
            m("org.apache.hadoop.Foo: started"),
            "org.apache.hadoop.Foo: started"
        );
    }

    #[test]
    fn spans_point_at_the_variables() {
        let msg = "retry 3 of 5 to 10.0.0.1:80";
        let mut out = String::new();
        let mut spans = Vec::new();
        Masker::default().mask_into(msg, &mut out, Some(&mut spans));
        let vars: Vec<&str> = spans.iter().map(|&(a, b)| &msg[a..b]).collect();
        assert_eq!(vars, ["3", "5", "10.0.0.1:80"]);
        assert_eq!(out, "retry <*> of <*> to <*>");
    }

    #[test]
    fn user_masks_run_first() {
        let masker = Masker::new(vec![Regex::new(r"\bpod-[a-z]+\b").unwrap()]);
        assert_eq!(masker.mask("deleted pod-abcde now"), "deleted <*> now");
    }
}
