//! The token shapes the header scanner asks about, written by hand.
//!
//! Each function answers exactly what the regular expression in its comment answers: the
//! tests hold every function against its pattern on generated tokens. The scanner asks
//! these questions for every token of every line whose layout it has not seen, and a
//! compiled pattern costs far more per call on a short token than a loop over its bytes.
//! Patterns with `\w` or `\s` are Unicode-aware; the hand forms read ASCII and leave a
//! token with other characters to the pattern.

use std::sync::LazyLock;

use regex::Regex;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid token pattern")
}

/// `\w` on ASCII.
fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

/// `^-?[0-9]+$`
pub fn number(t: &str) -> bool {
    let b = t.as_bytes();
    digits(b.strip_prefix(b"-").unwrap_or(b))
}

/// `^[A-Za-z]*[a-z][A-Za-z]*$`: letters only, one lower-case at least.
pub fn plain(t: &str) -> bool {
    let b = t.as_bytes();
    b.iter().all(u8::is_ascii_alphabetic) && b.iter().any(u8::is_ascii_lowercase)
}

/// `^[0-9]{1,3}$`
pub fn pri(t: &str) -> bool {
    t.len() <= 3 && digits(t.as_bytes())
}

/// `^[0-9]+\.[0-9]+$`
pub fn uptime(t: &str) -> bool {
    match t.split_once('.') {
        Some((a, b)) => digits(a.as_bytes()) && digits(b.as_bytes()),
        None => false,
    }
}

/// `^[0-9]+(?:#[0-9]+)?:$`
pub fn pid_colon(t: &str) -> bool {
    let Some(t) = t.strip_suffix(':') else {
        return false;
    };
    match t.split_once('#') {
        Some((a, b)) => digits(a.as_bytes()) && digits(b.as_bytes()),
        None => digits(t.as_bytes()),
    }
}

static PROG: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9_.\-/()@]+\[[\w.\-:]*\]:$"));

/// `^[A-Za-z0-9_.\-/()@]+\[[\w.\-:]*\]:$`: `prog[pid]:`
pub fn prog(t: &str) -> bool {
    if !t.is_ascii() {
        return PROG.is_match(t);
    }
    let Some(t) = t.strip_suffix("]:") else {
        return false;
    };
    let Some((name, inner)) = t.split_once('[') else {
        return false;
    };
    !name.is_empty()
        && name
            .bytes()
            .all(|b| word(b) || matches!(b, b'.' | b'-' | b'/' | b'(' | b')' | b'@'))
        && inner
            .bytes()
            .all(|b| word(b) || matches!(b, b'.' | b'-' | b':'))
}

static LOC: LazyLock<Regex> = LazyLock::new(|| re(r"^[\w.\-/]+\.[A-Za-z]{1,5}:[0-9]+[:\]]?$"));

/// `^[\w.\-/]+\.[A-Za-z]{1,5}:[0-9]+[:\]]?$`: `file.py:42`
pub fn loc(t: &str) -> bool {
    // It ends with a digit, or a digit and `:` or `]`.
    let b = t.as_bytes();
    let end = match b.last() {
        Some(b':' | b']') => b.len() - 1,
        _ => b.len(),
    };
    if end == 0 || !b[end - 1].is_ascii_digit() {
        return false;
    }
    if !t.is_ascii() {
        return LOC.is_match(t);
    }
    let t = t
        .strip_suffix(':')
        .or_else(|| t.strip_suffix(']'))
        .unwrap_or(t);
    let Some((head, line)) = t.rsplit_once(':') else {
        return false;
    };
    let Some((path, ext)) = head.rsplit_once('.') else {
        return false;
    };
    digits(line.as_bytes())
        && (1..=5).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphabetic())
        && !path.is_empty()
        && path
            .bytes()
            .all(|b| word(b) || matches!(b, b'.' | b'-' | b'/'))
}

static LEVEL_LOGGER: LazyLock<Regex> = LazyLock::new(|| re(r"^([A-Z]{3,}):([\w.$\-]+):"));

/// `^([A-Z]{3,}):([\w.$\-]+):`, Python's `ERROR:root:`: the end of the match and the
/// level word.
pub fn level_logger(t: &str) -> Option<(usize, &str)> {
    let b = t.as_bytes();
    let upper = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    if upper < 3 || b.get(upper) != Some(&b':') {
        return None;
    }
    if !t.is_ascii() {
        let caps = LEVEL_LOGGER.captures(t)?;
        return Some((caps.get(0)?.end(), caps.get(1)?.as_str()));
    }
    let start = upper + 1;
    let run = b[start..]
        .iter()
        .take_while(|&&c| word(c) || matches!(c, b'.' | b'$' | b'-'))
        .count();
    (run > 0 && b.get(start + run) == Some(&b':')).then(|| (start + run + 1, &t[..upper]))
}

static PID_BRACKET: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(?:pid[ :=]?\s*[0-9]+.*|#?[0-9]+)$"));

/// `(?i)^(?:pid[ :=]?\s*[0-9]+.*|#?[0-9]+)$`: `1234`, `#1234`, `pid 1234:tid 5678`
pub fn pid_bracket(t: &str) -> bool {
    let b = t.as_bytes();
    if digits(b.strip_prefix(b"#").unwrap_or(b)) {
        return true;
    }
    if b.len() < 4 || !b[..3].eq_ignore_ascii_case(b"pid") {
        return false;
    }
    if !t.is_ascii() {
        return PID_BRACKET.is_match(t);
    }
    let mut i = 3;
    if matches!(b[i], b' ' | b':' | b'=') {
        i += 1;
    }
    // `\s` on ASCII: space, tab, `\n`, vertical tab, form feed, `\r`.
    while i < b.len() && (b[i] == b'\x0b' || b[i].is_ascii_whitespace()) {
        i += 1;
    }
    b.get(i).is_some_and(u8::is_ascii_digit) && !b[i..].contains(&b'\n')
}

static DOTTED: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z_][\w$\-]*(?:\.[\w$\-]+)+$"));
static LOGGER_CHARS: LazyLock<Regex> = LazyLock::new(|| re(r"^[\w.$/:\-<>#@]+$"));

/// `\w` on ASCII, `$` and `-`: what the parts of a dotted logger name are made of.
fn logger_part(b: u8) -> bool {
    word(b) || b == b'$' || b == b'-'
}

/// `^[A-Za-z_][\w$\-]*(?:\.[\w$\-]+)+$`: parts of word characters, `$` and `-` joined by
/// dots, at least two, the first starting with a letter or `_`.
pub fn dotted(t: &str) -> bool {
    if !t.is_ascii() {
        return DOTTED.is_match(t);
    }
    let b = t.as_bytes();
    b.first()
        .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
        && b.contains(&b'.')
        && b.split(|&c| c == b'.')
            .all(|part| !part.is_empty() && part.iter().all(|&c| logger_part(c)))
}

/// `^[\w.$/:\-<>#@]+$`
pub fn logger_chars(t: &str) -> bool {
    if !t.is_ascii() {
        return LOGGER_CHARS.is_match(t);
    }
    !t.is_empty() && t.bytes().all(|c| word(c) || b".$/:-<>#@".contains(&c))
}

/// `^[A-Za-z][a-z0-9]+(?:[A-Z][a-z0-9]*)+$`: a letter, then a lower-case letter or digit,
/// then letters and digits with an upper-case letter among them.
pub fn camel(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 3
        && b[0].is_ascii_alphabetic()
        && (b[1].is_ascii_lowercase() || b[1].is_ascii_digit())
        && b[1..].iter().all(u8::is_ascii_alphanumeric)
        && b[2..].iter().any(u8::is_ascii_uppercase)
}

/// `^[a-z0-9][a-z0-9.\-_]*$`
pub fn hostlike(t: &str) -> bool {
    let b = t.as_bytes();
    b.first()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && b.iter().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'_')
        })
}

/// `^[A-Za-z0-9_.\-/()@]*[A-Za-z0-9_)]:$`
pub fn name_colon(t: &str) -> bool {
    let Some(name) = t.as_bytes().strip_suffix(b":") else {
        return false;
    };
    let Some((&last, rest)) = name.split_last() else {
        return false;
    };
    (last.is_ascii_alphanumeric() || matches!(last, b'_' | b')'))
        && rest
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"_.-/()@".contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Tokens made of the bytes the patterns care about.
    fn token() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("pid".to_string()),
            Just("PID".to_string()),
            Just("ERROR".to_string()),
            Just("root".to_string()),
            Just(".py".to_string()),
            Just("é".to_string()),
            Just("ǅ".to_string()),
            Just("\u{2003}".to_string()),
            "[a-zA-Z0-9]{1,4}",
            "[0-9]{1,4}",
            "[a-z]{1,3}",
            "[A-Z]{1,4}",
            "[ \\t\\n\\x0b.:#=\\-_/()@\\[\\]$<>]{1,2}",
        ];
        proptest::collection::vec(piece, 0..7).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn each_shape_answers_as_its_pattern(t in token()) {
            let pat = |p: &str| re(p).is_match(&t);
            prop_assert_eq!(number(&t), pat(r"^-?[0-9]+$"), "number {:?}", t);
            prop_assert_eq!(plain(&t), pat(r"^[A-Za-z]*[a-z][A-Za-z]*$"), "plain {:?}", t);
            prop_assert_eq!(pri(&t), pat(r"^[0-9]{1,3}$"), "pri {:?}", t);
            prop_assert_eq!(dotted(&t), DOTTED.is_match(&t), "dotted {:?}", t);
            prop_assert_eq!(logger_chars(&t), LOGGER_CHARS.is_match(&t), "logger_chars {:?}", t);
            prop_assert_eq!(camel(&t), pat(r"^[A-Za-z][a-z0-9]+(?:[A-Z][a-z0-9]*)+$"), "camel {:?}", t);
            prop_assert_eq!(hostlike(&t), pat(r"^[a-z0-9][a-z0-9.\-_]*$"), "hostlike {:?}", t);
            prop_assert_eq!(name_colon(&t), pat(r"^[A-Za-z0-9_.\-/()@]*[A-Za-z0-9_)]:$"), "name_colon {:?}", t);
            prop_assert_eq!(uptime(&t), pat(r"^[0-9]+\.[0-9]+$"), "uptime {:?}", t);
            prop_assert_eq!(pid_colon(&t), pat(r"^[0-9]+(?:#[0-9]+)?:$"), "pid_colon {:?}", t);
            prop_assert_eq!(prog(&t), PROG.is_match(&t), "prog {:?}", t);
            prop_assert_eq!(loc(&t), LOC.is_match(&t), "loc {:?}", t);
            prop_assert_eq!(pid_bracket(&t), PID_BRACKET.is_match(&t), "pid_bracket {:?}", t);
            let want = LEVEL_LOGGER
                .captures(&t)
                .map(|c| (c.get(0).unwrap().end(), c.get(1).unwrap().as_str().to_string()));
            prop_assert_eq!(
                level_logger(&t).map(|(e, w)| (e, w.to_string())),
                want,
                "level_logger {:?}",
                t
            );
        }
    }

    #[test]
    fn shapes_of_real_tokens() {
        assert!(prog("sshd(pam_unix)[19939]:"));
        assert!(!prog("sshd:"));
        assert!(loc("server.go:42]"));
        assert!(loc("nova/compute/manager.py:1234:"));
        assert!(!loc("10.0.0.1:8080"));
        assert_eq!(level_logger("ERROR:root:boom"), Some((11, "ERROR")));
        assert!(pid_bracket("pid 1234:tid 5678"));
        assert!(pid_bracket("#12"));
        assert!(uptime("12.345678"));
        assert!(pid_colon("1234#5:"));
        assert!(plain("Connection"));
        assert!(!plain("ERROR"));
    }
}
