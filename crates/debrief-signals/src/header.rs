//! Finding the message in a plain-text log line.
//!
//! A line starts with a header (timestamps, a level, a host, a pid, a thread in brackets,
//! `prog[pid]:`, `logger.Name:`, separators like `-` and `|`) and goes on with its message.
//! There are no per-format rules here: the scanner reads the line token by token, gives
//! each token a class (time, level, number, bracket group, separator, program, logger,
//! source location, word) and keeps a leading run of them as the header. Weak tokens
//! (numbers, words, bracket groups) only become header when a strong token (a time, a
//! level, a program or a logger) follows them within a few tokens, so a message that merely
//! starts with a number or a word keeps it.
//!
//! Two standard shapes that a token run cannot express are read whole: logfmt lines
//! (`time=… level=… msg="…"`) and RFC 5424 syslog (`<165>1 2003-10-11T22:14:15.003Z host app
//! procid msgid [sd] msg`). A container runtime prefix (`<time> stdout F <line>`) is taken
//! off and the inner line read again.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;
use regex::{Captures, Regex};

use crate::record::{Level, Record};
use crate::shape_cache::{ShapeCache, digit_as_zero};

mod patterns;
mod shapes;

// ---------------------------------------------------------------------------------------
// Timestamps
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeKind {
    /// `2015-10-18 18:01:47,978`, `2023-10-01T12:00:00.123+02:00`, `2023/10/01 12:00:00`
    Iso,
    /// `2005-06-03-15.42.50.675872`
    Db2,
    /// `20171223-22:15:29:606`
    Compact,
    /// `20171223T221529Z`
    IsoBasic,
    /// `081109 203615`
    YyMmDd,
    /// `17/06/09 20:10:40` (yy/mm/dd, else mm/dd/yy)
    Slash2,
    /// `10/01/2023 12:00:00`
    Slash4,
    /// `10/Oct/2000:13:55:36 -0700`, `18-Oct-2015 18:01:47.978`, `01 Oct 2023 12:00:00`
    Clf,
    /// `Jun 14 15:16:01`, `Sun Dec 04 04:47:44 2005`, `Oct 01, 2023 12:00:00`
    Ctime,
    /// `I1001 12:00:00.123456` (glog / klog; the letter is the level)
    Glog,
    /// `10-01 12:00:00.123` (Android logcat)
    MmDd,
    /// `2005.06.03` (a date alone)
    IsoDate,
    /// `12:00:00.123` (a time alone: header, but no timestamp)
    TimeOnly,
    /// `1117838570`, `1445144423722`
    Epoch,
}

const MON: &str = "(?P<mon>[Jj]an|[Ff]eb|[Mm]ar|[Aa]pr|[Mm]ay|[Jj]un|[Jj]ul|[Aa]ug|[Ss]ep|[Oo]ct|[Nn]ov|[Dd]ec|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)";
const DOW: &str = "(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|MON|TUE|WED|THU|FRI|SAT|SUN),? )?";
const HMS: &str =
    "(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?(?:[.,](?P<frac>[0-9]{1,9}))?";
const OFF: &str = "(?:[ \t]?(?P<off>Z|[+-][0-9]{2}(?::?[0-9]{2})?|UTC|GMT))?";

/// A time pattern, compiled the first time it has to run: hand readers
/// (`header/patterns.rs`) stand in for all but ctime's, so most runs never compile them.
struct TimePattern {
    kind: TimeKind,
    text: String,
    re: std::sync::OnceLock<Regex>,
}

impl TimePattern {
    fn regex(&self) -> &Regex {
        self.re
            .get_or_init(|| Regex::new(&self.text).expect("valid time pattern"))
    }
}

static TIME_PATTERNS: LazyLock<Vec<TimePattern>> = LazyLock::new(|| {
    let list: Vec<(TimeKind, String)> = vec![
        (
            TimeKind::Iso,
            ["^(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{2})[-/.](?P<d>[0-9]{2})(?:T| +)", HMS, OFF].concat(),
        ),
        (
            TimeKind::Db2,
            "^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})-(?P<h>[0-9]{2})\\.(?P<mi>[0-9]{2})\\.(?P<s>[0-9]{2})(?:\\.(?P<frac>[0-9]{1,9}))?"
                .to_string(),
        ),
        (
            TimeKind::Compact,
            "^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})-(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{1,2}):(?P<s>[0-9]{1,2})(?:[:.](?P<ms>[0-9]{1,3}))?"
                .to_string(),
        ),
        (
            TimeKind::IsoBasic,
            [
                "^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})T(?P<h>[0-9]{2})(?P<mi>[0-9]{2})(?P<s>[0-9]{2})(?:[.,](?P<frac>[0-9]{1,9}))?",
                OFF,
            ]
            .concat(),
        ),
        (
            TimeKind::YyMmDd,
            "^(?P<y2>[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2}) (?P<h>[0-9]{2})(?P<mi>[0-9]{2})(?P<s>[0-9]{2})"
                .to_string(),
        ),
        (TimeKind::Slash2, ["^(?P<a>[0-9]{2})/(?P<b>[0-9]{2})/(?P<c>[0-9]{2}) ", HMS].concat()),
        (
            TimeKind::Slash4,
            ["^(?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2})/(?P<y>[0-9]{4})[ :]", HMS, OFF].concat(),
        ),
        (
            TimeKind::Clf,
            ["^(?P<d>[0-9]{1,2})[-/ ]", MON, "[-/ ](?P<y>[0-9]{4})[: T]", HMS, OFF].concat(),
        ),
        (
            TimeKind::Ctime,
            [
                "^",
                DOW,
                MON,
                " +(?P<d>[0-9]{1,2}),? (?:(?P<y>[0-9]{4}) )?",
                HMS,
                "(?: (?P<y2b>(?:19|20)[0-9]{2}))?",
                OFF,
            ]
            .concat(),
        ),
        (
            TimeKind::Glog,
            "^(?P<lvl>[IWEFD])(?P<m>[0-9]{2})(?P<d>[0-9]{2}) (?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2})(?:\\.(?P<frac>[0-9]{1,9}))?"
                .to_string(),
        ),
        (TimeKind::MmDd, ["^(?P<m>[0-9]{2})-(?P<d>[0-9]{2}) ", HMS].concat()),
        (
            TimeKind::IsoDate,
            "^(?P<y>[0-9]{4})(?P<sep1>[-/.])(?P<m>[0-9]{2})(?P<sep2>[-/.])(?P<d>[0-9]{2})".to_string(),
        ),
        (TimeKind::TimeOnly, ["^", HMS].concat()),
        (
            TimeKind::Epoch,
            "^(?P<ep>[12][0-9]{9}(?:[0-9]{3})?)(?:\\.(?P<frac>[0-9]{1,9}))?".to_string(),
        ),
    ];
    list.into_iter()
        .map(|(kind, text)| TimePattern {
            kind,
            text,
            re: std::sync::OnceLock::new(),
        })
        .collect()
});

/// The first three letters (lower-cased) a ctime / syslog time can start with.
const CTIME_HEADS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "mon",
    "tue", "wed", "thu", "fri", "sat", "sun",
];

/// The named parts of the time patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Y,
    M,
    D,
    H,
    Mi,
    S,
    Frac,
    Ms,
    Off,
    Mon,
    Lvl,
    Y2,
    Y2b,
    A,
    B,
    C,
    Ep,
    Sep1,
    Sep2,
}

impl Part {
    const COUNT: usize = 19;

    fn from_name(name: &str) -> Option<Part> {
        Some(match name {
            "y" => Part::Y,
            "m" => Part::M,
            "d" => Part::D,
            "h" => Part::H,
            "mi" => Part::Mi,
            "s" => Part::S,
            "frac" => Part::Frac,
            "ms" => Part::Ms,
            "off" => Part::Off,
            "mon" => Part::Mon,
            "lvl" => Part::Lvl,
            "y2" => Part::Y2,
            "y2b" => Part::Y2b,
            "a" => Part::A,
            "b" => Part::B,
            "c" => Part::C,
            "ep" => Part::Ep,
            "sep1" => Part::Sep1,
            "sep2" => Part::Sep2,
            _ => return None,
        })
    }
}

/// Where each part of a matched time is, as byte ranges of the text the time starts.
/// Lines of the same shape (the same bytes, digits aside) have their parts at the same
/// places, so a line's time can be read again from these ranges without a pattern.
/// A part that did not match is `(u16::MAX, u16::MAX)` (times sit at a line's start, so
/// their parts are far below that).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parts([(u16, u16); Part::COUNT]);

impl Parts {
    const ABSENT: (u16, u16) = (u16::MAX, u16::MAX);
    /// No part found yet.
    const NONE: Parts = Parts([Parts::ABSENT; Part::COUNT]);

    fn from_captures(re: &Regex, caps: &Captures<'_>) -> Parts {
        let mut parts = Parts::NONE;
        for (i, name) in re.capture_names().enumerate() {
            if let (Some(part), Some(m)) = (name.and_then(Part::from_name), caps.get(i)) {
                if let (Ok(a), Ok(b)) = (u16::try_from(m.start()), u16::try_from(m.end())) {
                    parts.0[part as usize] = (a, b);
                }
            }
        }
        parts
    }

    fn has(&self, part: Part) -> bool {
        self.0[part as usize] != Parts::ABSENT
    }

    fn get<'t>(&self, text: &'t str, part: Part) -> Option<&'t str> {
        let (a, b) = self.0[part as usize];
        if (a, b) == Parts::ABSENT {
            return None;
        }
        text.get(usize::from(a)..usize::from(b))
    }

    #[inline]
    fn num(&self, text: &str, part: Part) -> Option<i64> {
        let (a, b) = self.0[part as usize];
        if (a, b) == Parts::ABSENT {
            return None;
        }
        // Bytes, not a `str` slice: a range that cuts a character holds no digit there.
        let digits = text.as_bytes().get(usize::from(a)..usize::from(b))?;
        if digits.is_empty() || digits.len() > 18 {
            return None;
        }
        let mut v = 0i64;
        for &c in digits {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v * 10 + i64::from(d);
        }
        Some(v)
    }
}

/// A time found at the start of a text.
#[derive(Debug, Clone, Copy)]
struct TimeMatch {
    /// Bytes consumed.
    end: usize,
    /// `None` for a time of day alone.
    ts: Option<Timestamp>,
    /// glog's level letter.
    level: Option<Level>,
    kind: TimeKind,
    /// Where the pattern's parts were: how to read the same time from a line of the same
    /// shape.
    parts: Parts,
}

/// What reading a time found, and whether the answer depended on the digits' values (a
/// pattern that matched but whose values were out of range, an epoch that starts with a
/// digit no epoch has): then a line of the same shape may read differently.
struct TimeRead {
    found: Option<TimeMatch>,
    value_dependent: bool,
}

/// May a time end here? (end of text, whitespace or a closing / separating character)
fn boundary_ok(s: &str, end: usize) -> bool {
    match s.as_bytes().get(end) {
        None => true,
        Some(b) => matches!(b, b' ' | b'\t' | b'|' | b']' | b')' | b',' | b';' | b':'),
    }
}

/// Nanoseconds from the digits of a decimal fraction (`978` → 978_000_000).
fn frac_nanos(digits: Option<&str>) -> i32 {
    const SCALE: [i32; 10] = [
        1_000_000_000,
        100_000_000,
        10_000_000,
        1_000_000,
        100_000,
        10_000,
        1_000,
        100,
        10,
        1,
    ];
    let Some(d) = digits else { return 0 };
    // Digits past the ninth are dropped; a byte that is no digit counts as 9.
    let d = &d.as_bytes()[..d.len().min(9)];
    let v = d.iter().fold(0i32, |v, &c| {
        v * 10 + i32::from(c.wrapping_sub(b'0').min(9))
    });
    v * SCALE[d.len()]
}

fn offset_seconds(off: Option<&str>) -> i32 {
    let Some(o) = off else { return 0 };
    if matches!(o, "Z" | "UTC" | "GMT") || o.len() < 3 {
        return 0;
    }
    let sign = if o.starts_with('-') { -1 } else { 1 };
    // `+02`, `+0200`, `+02:00`: the digits after the sign, the colon aside.
    let mut digits = o[1..]
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|d| i32::from(d - b'0'));
    let mut two = || Some(digits.next()? * 10 + digits.next()?);
    let hh = two().unwrap_or(0);
    let mm = two().unwrap_or(0);
    sign * (hh * 3600 + mm * 60)
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_number(name: &str) -> Option<i64> {
    let i = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name))?;
    Some(i as i64 + 1)
}

/// Whether `m` is a month name as the patterns write it (`MON`): `[Jj]an` or `JAN`.
fn month_name(m: &[u8]) -> bool {
    m.len() == 3
        && MONTHS.iter().any(|name| {
            let n = name.as_bytes();
            (m[0].eq_ignore_ascii_case(&n[0]) && m[1..] == n[1..])
                || m.iter().zip(n).all(|(a, b)| *a == b.to_ascii_uppercase())
        })
}

fn two_digit_year(yy: i64) -> i64 {
    if yy < 70 { 2000 + yy } else { 1900 + yy }
}

/// A civil day (year, month, day) and the second it starts at (UTC).
type DayStart = ((i64, i64, i64), i64);

thread_local! {
    /// The last day a time was built on, and the timestamp of its first second: lines of a
    /// log come a day at a time, and the calendar sums cost more than the rest.
    static LAST_DAY: std::cell::Cell<Option<DayStart>> = const { std::cell::Cell::new(None) };
}

/// The timestamp of a civil time at an offset, `None` when it is no valid time.
#[allow(clippy::too_many_arguments)]
fn build_ts(
    y: i64,
    mo: i64,
    d: i64,
    h: i64,
    mi: i64,
    sec: i64,
    nanos: i32,
    off: i32,
) -> Option<Timestamp> {
    // What `DateTime::new` and `Offset::from_seconds` check of the time of day.
    if !(0..=23).contains(&h) || !(0..=59).contains(&mi) || !(0..=59).contains(&sec.min(59)) {
        return None;
    }
    if !(0..=999_999_999).contains(&nanos) {
        return None;
    }
    Offset::from_seconds(off).ok()?;
    let day = (y, mo, d);
    let midnight = match LAST_DAY.get() {
        Some((last, first)) if last == day => Some(first),
        _ => {
            let first = build_ts_civil(y, mo, d, 0, 0, 0, 0, 0).map(|t| t.as_second());
            if let Some(first) = first {
                LAST_DAY.set(Some((day, first)));
            }
            first
        }
    };
    match midnight {
        Some(first) => Timestamp::new(
            first + h * 3600 + mi * 60 + sec.min(59) - i64::from(off),
            nanos,
        )
        .ok(),
        // A day whose first second is out of range may still hold times in range.
        None => build_ts_civil(y, mo, d, h, mi, sec, nanos, off),
    }
}

/// [`build_ts`] through the calendar every time.
#[allow(clippy::too_many_arguments)]
fn build_ts_civil(
    y: i64,
    mo: i64,
    d: i64,
    h: i64,
    mi: i64,
    sec: i64,
    nanos: i32,
    off: i32,
) -> Option<Timestamp> {
    let dt = DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(sec.min(59)).ok()?,
        nanos,
    )
    .ok()?;
    Offset::from_seconds(off).ok()?.to_timestamp(dt).ok()
}

/// Reads the parts of one pattern's match. `None` sends the caller on to the next pattern.
fn decode(
    kind: TimeKind,
    parts: &Parts,
    s: &str,
    end: usize,
    default_year: i16,
) -> Option<TimeMatch> {
    let (ts, level) = decode_time(kind, parts, s, end, default_year)?;
    Some(TimeMatch {
        end,
        ts,
        level,
        kind,
        parts: *parts,
    })
}

/// What [`decode`] reads: the time (`None` for a time of day alone) and glog's level.
fn decode_time(
    kind: TimeKind,
    parts: &Parts,
    s: &str,
    end: usize,
    default_year: i16,
) -> Option<(Option<Timestamp>, Option<Level>)> {
    let frac = parts.get(s, Part::Frac);
    match kind {
        TimeKind::Epoch => {
            // An epoch number is a field of its own: it ends at whitespace, a pipe or a bracket.
            if let Some(b) = s.as_bytes().get(end) {
                if !matches!(b, b' ' | b'\t' | b'|' | b']') {
                    return None;
                }
            }
            let ep = parts.get(s, Part::Ep)?;
            let v: i64 = ep.parse().ok()?;
            let secs = if ep.len() == 13 { v / 1000 } else { v };
            if !(946_684_800..=4_102_444_800).contains(&secs) {
                return None;
            }
            let ts = if ep.len() == 13 {
                Timestamp::from_millisecond(v).ok()?
            } else {
                Timestamp::new(v, frac_nanos(frac)).ok()?
            };
            return Some((Some(ts), None));
        }
        TimeKind::TimeOnly => {
            let h = parts.num(s, Part::H)?;
            let mi = parts.num(s, Part::Mi)?;
            let sec = parts.num(s, Part::S)?;
            if h > 23 || mi > 59 || sec > 60 {
                return None;
            }
            return Some((None, None));
        }
        _ => {}
    }
    let h = parts.num(s, Part::H).unwrap_or(0);
    let mi = parts.num(s, Part::Mi).unwrap_or(0);
    let sec = parts.num(s, Part::S).unwrap_or(0);
    let nanos = match parts.num(s, Part::Ms) {
        Some(ms) => i32::try_from(ms).ok()?.checked_mul(1_000_000)?,
        None => frac_nanos(frac),
    };
    let off = offset_seconds(parts.get(s, Part::Off));
    let mut level = None;
    let (y, mo, d) = match kind {
        TimeKind::Iso | TimeKind::Db2 | TimeKind::Compact | TimeKind::IsoBasic => (
            parts.num(s, Part::Y)?,
            parts.num(s, Part::M)?,
            parts.num(s, Part::D)?,
        ),
        TimeKind::IsoDate => {
            if parts.get(s, Part::Sep1)? != parts.get(s, Part::Sep2)? {
                return None;
            }
            (
                parts.num(s, Part::Y)?,
                parts.num(s, Part::M)?,
                parts.num(s, Part::D)?,
            )
        }
        TimeKind::YyMmDd => (
            two_digit_year(parts.num(s, Part::Y2)?),
            parts.num(s, Part::M)?,
            parts.num(s, Part::D)?,
        ),
        TimeKind::Slash2 => {
            let (a, b, c) = (
                parts.num(s, Part::A)?,
                parts.num(s, Part::B)?,
                parts.num(s, Part::C)?,
            );
            if (1..=12).contains(&b) && (1..=31).contains(&c) {
                (two_digit_year(a), b, c)
            } else {
                (two_digit_year(c), a, b)
            }
        }
        TimeKind::Slash4 => {
            let (a, b) = (parts.num(s, Part::A)?, parts.num(s, Part::B)?);
            let y = parts.num(s, Part::Y)?;
            if a <= 12 { (y, a, b) } else { (y, b, a) }
        }
        TimeKind::Clf => (
            parts.num(s, Part::Y)?,
            month_number(parts.get(s, Part::Mon)?)?,
            parts.num(s, Part::D)?,
        ),
        TimeKind::Ctime => {
            let y = parts
                .num(s, Part::Y)
                .or_else(|| parts.num(s, Part::Y2b))
                .unwrap_or(i64::from(default_year));
            (
                y,
                month_number(parts.get(s, Part::Mon)?)?,
                parts.num(s, Part::D)?,
            )
        }
        TimeKind::Glog => {
            level = match parts.get(s, Part::Lvl)? {
                "I" => Some(Level::Info),
                "W" => Some(Level::Warn),
                "E" => Some(Level::Error),
                "F" => Some(Level::Fatal),
                _ => Some(Level::Debug),
            };
            (
                i64::from(default_year),
                parts.num(s, Part::M)?,
                parts.num(s, Part::D)?,
            )
        }
        TimeKind::MmDd => {
            parts.get(s, Part::S)?;
            (
                i64::from(default_year),
                parts.num(s, Part::M)?,
                parts.num(s, Part::D)?,
            )
        }
        TimeKind::Epoch | TimeKind::TimeOnly => return None,
    };
    let ts = if kind == TimeKind::IsoDate {
        build_ts(y, mo, d, 0, 0, 0, 0, 0)?
    } else {
        build_ts(y, mo, d, h, mi, sec, nanos, off)?
    };
    Some((Some(ts), level))
}

/// The time `s` starts with, in any of the shapes above.
fn match_time_at(s: &str, default_year: i16) -> Option<TimeMatch> {
    read_time(s, default_year).found
}

/// The time `s` starts with, and whether the answer depended on the digits' values.
fn read_time(s: &str, default_year: i16) -> TimeRead {
    let bytes = s.as_bytes();
    let none = TimeRead {
        found: None,
        value_dependent: false,
    };
    let Some(&first) = bytes.first() else {
        return none;
    };
    let starts_alpha = first.is_ascii_alphabetic();
    if !first.is_ascii_digit() && !starts_alpha {
        return none;
    }
    // glog: a level letter, four digits and a space; ctime: a month or weekday name and a
    // space or comma. What the patterns ask first, asked without them.
    let glog_ok = matches!(first, b'I' | b'W' | b'E' | b'F' | b'D')
        && bytes.len() > 5
        && bytes[1..5].iter().all(u8::is_ascii_digit)
        && bytes[5] == b' ';
    let ctime_ok = starts_alpha && matches!(bytes.get(3), Some(b' ' | b',')) && {
        let head = [
            bytes[0].to_ascii_lowercase(),
            bytes[1].to_ascii_lowercase(),
            bytes[2].to_ascii_lowercase(),
        ];
        CTIME_HEADS.iter().any(|h| h.as_bytes() == head.as_slice())
    };
    // The shape of the start (how many digits, then which byte) rules most patterns out
    // before any regex runs; each test admits everything its pattern could match.
    let nd = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let nb = bytes.get(nd).copied().unwrap_or(0);
    let mut value_dependent = false;
    if ctime_ok {
        // Ctime is the first pattern a text starting with a letter may match.
        match ctime_fast(s, default_year) {
            Ok(m) => {
                return TimeRead {
                    found: Some(m),
                    value_dependent: false,
                };
            }
            Err(by_value) => value_dependent |= by_value,
        }
    }
    // Every pattern but glog's and ctime's starts with a digit.
    if nd == 0 && !glog_ok && !ctime_ok {
        return TimeRead {
            found: None,
            value_dependent,
        };
    }
    let mut read = time_by_patterns(s, default_year, nd, nb, glog_ok, ctime_ok);
    read.value_dependent |= value_dependent;
    read
}

/// The plain syslog and ctime shapes (`Jun 14 15:16:01`, `Sun Dec 04 04:47:44 2005`) read
/// by hand: where the Ctime pattern's parts are, then the pattern's own decoding. An error
/// when anything is unusual (a comma, a year before the time, a zone after it: the
/// pattern then decides); `Err(true)` when the shape is right but the values are no time.
fn ctime_fast(s: &str, default_year: i16) -> Result<TimeMatch, bool> {
    const DAYS: [&[u8]; 14] = [
        b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun", b"MON", b"TUE", b"WED", b"THU",
        b"FRI", b"SAT", b"SUN",
    ];
    let b = s.as_bytes();
    let digits_at = |i: usize| {
        b[i.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut parts = Parts::NONE;
    let mut set = |part: Part, a: usize, e: usize| -> Result<(), bool> {
        parts.0[part as usize] = (
            u16::try_from(a).map_err(|_| false)?,
            u16::try_from(e).map_err(|_| false)?,
        );
        Ok(())
    };
    let mut i = 0;
    if b.len() > 4 && DAYS.contains(&&b[..3]) && b[3] == b' ' {
        i = 4;
    }
    if !month_name(b.get(i..i + 3).ok_or(false)?) {
        return Err(false);
    }
    set(Part::Mon, i, i + 3)?;
    i += 3;
    let spaces = b[i..].iter().take_while(|&&c| c == b' ').count();
    if spaces == 0 {
        return Err(false);
    }
    i += spaces;
    let nd = digits_at(i);
    if !(1..=2).contains(&nd) || b.get(i + nd) != Some(&b' ') {
        return Err(false);
    }
    set(Part::D, i, i + nd)?;
    i += nd + 1;
    let nh = digits_at(i);
    if !(1..=2).contains(&nh) || b.get(i + nh) != Some(&b':') {
        return Err(false);
    }
    set(Part::H, i, i + nh)?;
    i += nh + 1;
    if digits_at(i) != 2 {
        return Err(false);
    }
    set(Part::Mi, i, i + 2)?;
    i += 2;
    if b.get(i) == Some(&b':') {
        if digits_at(i + 1) != 2 {
            return Err(false);
        }
        set(Part::S, i + 1, i + 3)?;
        i += 3;
    }
    if matches!(b.get(i), Some(b'.' | b',')) {
        let nf = digits_at(i + 1);
        if !(1..=9).contains(&nf) || digits_at(i + 1 + nf) > 0 {
            return Err(false);
        }
        set(Part::Frac, i + 1, i + 1 + nf)?;
        i += 1 + nf;
    }
    let rest = &b[i..];
    if rest.len() >= 5
        && rest[0] == b' '
        && (rest[1..3] == *b"19" || rest[1..3] == *b"20")
        && rest[3..5].iter().all(u8::is_ascii_digit)
    {
        set(Part::Y2b, i + 1, i + 5)?;
        i += 5;
    } else if trailing_year_like(&s[i..]) {
        return Err(false);
    }
    // A zone after the time, or anything but a plain boundary: the pattern decides.
    let after = &b[i..];
    let after = after
        .strip_prefix(b" ")
        .or_else(|| after.strip_prefix(b"\t"))
        .unwrap_or(after);
    if after
        .first()
        .is_some_and(|c| matches!(c, b'Z' | b'+' | b'-'))
        || after.starts_with(b"UTC")
        || after.starts_with(b"GMT")
        || !boundary_ok(s, i)
    {
        return Err(false);
    }
    decode(TimeKind::Ctime, &parts, s, i, default_year).ok_or(true)
}

fn time_by_patterns(
    s: &str,
    default_year: i16,
    nd: usize,
    nb: u8,
    glog_ok: bool,
    ctime_ok: bool,
) -> TimeRead {
    let bytes = s.as_bytes();
    let mut value_dependent = false;
    for pattern in TIME_PATTERNS.iter() {
        let kind = pattern.kind;
        let wanted = match kind {
            TimeKind::Ctime => ctime_ok,
            TimeKind::Glog => glog_ok,
            TimeKind::Iso | TimeKind::Db2 | TimeKind::IsoDate => {
                nd == 4 && matches!(nb, b'-' | b'/' | b'.')
            }
            TimeKind::Compact | TimeKind::IsoBasic => nd == 8 && matches!(nb, b'-' | b'T'),
            TimeKind::YyMmDd => nd == 6 && nb == b' ',
            TimeKind::Slash2 => nd == 2 && nb == b'/',
            TimeKind::Slash4 => (1..=2).contains(&nd) && nb == b'/',
            TimeKind::Clf => (1..=2).contains(&nd) && matches!(nb, b'-' | b'/' | b' '),
            TimeKind::MmDd => nd == 2 && nb == b'-',
            TimeKind::TimeOnly => (1..=2).contains(&nd) && nb == b':',
            TimeKind::Epoch => {
                // The pattern wants an epoch to start with 1 or 2: a value, not a shape.
                value_dependent |= (nd == 10 || nd == 13) && !matches!(bytes[0], b'1' | b'2');
                nd == 10 || nd == 13
            }
        };
        if !wanted {
            continue;
        }
        let found = match patterns::reader(kind) {
            Some(read) => read(s),
            None => {
                let re = pattern.regex();
                re.captures(s)
                    .and_then(|caps| Some((caps.get(0)?.end(), Parts::from_captures(re, &caps))))
            }
        };
        let Some((mut end, mut parts)) = found else {
            continue;
        };
        if !boundary_ok(s, end) {
            // `2020-01-01 12:00:00 Zookeeper`: the `Z` was no offset.
            if !parts.has(Part::Off) {
                continue;
            }
            end = usize::from(parts.0[Part::Off as usize].0);
            if end > 0 && matches!(bytes[end - 1], b' ' | b'\t') {
                end -= 1;
            }
            parts.0[Part::Off as usize] = Parts::ABSENT;
            if !boundary_ok(s, end) {
                continue;
            }
        }
        // A ctime's trailing year must start with 19 or 20: a value, not a shape.
        if kind == TimeKind::Ctime && !parts.has(Part::Y2b) && trailing_year_like(&s[end..]) {
            value_dependent = true;
        }
        match decode(kind, &parts, s, end, default_year) {
            Some(m) => {
                return TimeRead {
                    found: Some(m),
                    value_dependent,
                };
            }
            None => value_dependent = true,
        }
    }
    TimeRead {
        found: None,
        value_dependent,
    }
}

/// A time read at `base` of a line, to be read again on lines of the same shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TimeCheck {
    base: usize,
    /// Where the time ends, from `base`.
    end: usize,
    kind: TimeKind,
    parts: Parts,
    /// Where the time of day is, when the rest of the time fixes the timestamp's day: then
    /// a time that differs from the last one read only there is that one's day plus its
    /// time of day ([`TimeCheck::read_memo`]).
    clock: Option<Clock>,
}

/// Where a time's time of day is and how to read it without its pattern: two digits each
/// of hours, minutes and seconds, then the digits of a fraction of a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Clock {
    /// The bytes the time of day spans, from the time's start: every other part of the
    /// time lies outside them.
    span: (usize, usize),
    /// Where the hours, minutes and seconds start; `None` for a date alone.
    hms: Option<[usize; 3]>,
    /// Where the fraction's digits are, and how many nanoseconds one unit of them is.
    frac: Option<(usize, usize, i32)>,
}

impl Clock {
    /// Where the time of day of a time of `kind` with `parts` that ends at `end` is, when
    /// every other part lies outside it, its hours, minutes and seconds have two digits
    /// each and the time is no longer than [`MEMO_MAX`]. A date alone has an empty one at
    /// its end; an epoch and a time of day alone have none.
    fn of(kind: TimeKind, parts: &Parts, end: usize) -> Option<Clock> {
        if matches!(kind, TimeKind::Epoch | TimeKind::TimeOnly) || end > MEMO_MAX {
            return None;
        }
        if kind == TimeKind::IsoDate {
            return Some(Clock {
                span: (end, end),
                hms: None,
                frac: None,
            });
        }
        let at = |p: Part| {
            let (a, b) = parts.0[p as usize];
            ((a, b) != Parts::ABSENT).then_some((usize::from(a), usize::from(b)))
        };
        let (h, mi, sec) = (at(Part::H)?, at(Part::Mi)?, at(Part::S)?);
        if [h, mi, sec].iter().any(|&(a, b)| b != a + 2) || !(h.1 <= mi.0 && mi.1 <= sec.0) {
            return None;
        }
        let frac = match (at(Part::Ms), at(Part::Frac)) {
            (Some((a, b)), None) if (1..=3).contains(&(b - a)) => Some((a, b, 1_000_000)),
            (None, Some((a, b))) if (1..=9).contains(&(b - a)) => {
                Some((a, b, 10i32.pow(9 - (b - a) as u32)))
            }
            (None, None) => None,
            _ => return None,
        };
        if frac.is_some_and(|(a, _, _)| a < sec.1) {
            return None;
        }
        let span = (h.0, frac.map_or(sec.1, |(_, b, _)| b));
        let clock = [Part::H, Part::Mi, Part::S, Part::Frac, Part::Ms];
        let apart = parts.0.iter().enumerate().all(|(i, &(pa, pb))| {
            clock.iter().any(|&p| p as usize == i)
                || (pa, pb) == Parts::ABSENT
                || usize::from(pb) <= span.0
                || usize::from(pa) >= span.1
        });
        (apart && span.1 <= end).then_some(Clock {
            span,
            hms: Some([h.0, mi.0, sec.0]),
            frac,
        })
    }

    /// The seconds since midnight and the nanoseconds of `time`, as `decode_time` and
    /// `build_ts` read and check them; `None` when they are no digits or out of range.
    fn read(&self, time: &[u8]) -> Option<(i64, i32)> {
        let Some([h, mi, sec]) = self.hms else {
            return Some((0, 0));
        };
        let two = |i: usize| {
            let (a, b) = (
                time.get(i)?.wrapping_sub(b'0'),
                time.get(i + 1)?.wrapping_sub(b'0'),
            );
            (a < 10 && b < 10).then(|| i64::from(a * 10 + b))
        };
        let (h, mi, sec) = (two(h)?, two(mi)?, two(sec)?);
        if h > 23 || mi > 59 {
            return None;
        }
        let nanos = match self.frac {
            Some((a, b, unit)) => {
                let mut v = 0i32;
                for &c in time.get(a..b)? {
                    let d = c.wrapping_sub(b'0');
                    if d > 9 {
                        return None;
                    }
                    v = v * 10 + i32::from(d);
                }
                v * unit
            }
            None => 0,
        };
        Some((h * 3600 + mi * 60 + sec.min(59), nanos))
    }
}

/// The longest time [`TimeMemo`] keeps.
const MEMO_MAX: usize = 40;

/// The last time a [`TimeCheck`] read in full: its bytes, and its timestamp's second less
/// its time of day (the day's first second, at the time's offset).
#[derive(Debug, Clone, Copy)]
struct TimeMemo {
    /// How many of `bytes` hold the time; 0 before the first.
    len: usize,
    bytes: [u8; MEMO_MAX],
    default_year: i16,
    day: i64,
}

impl Default for TimeMemo {
    fn default() -> TimeMemo {
        TimeMemo {
            len: 0,
            bytes: [0; MEMO_MAX],
            default_year: 0,
            day: 0,
        }
    }
}

impl TimeCheck {
    fn new(base: usize, m: &TimeMatch) -> TimeCheck {
        TimeCheck {
            base,
            end: m.end,
            kind: m.kind,
            parts: m.parts,
            clock: Clock::of(m.kind, &m.parts, m.end),
        }
    }

    /// [`TimeCheck::read`], through `memo`: when the time's bytes are those of the last time
    /// read in full but for its time of day, everything but that is as it was, and what
    /// `decode_time` makes of it is `build_ts`'s sum on the same day.
    fn read_memo(
        &self,
        s: &str,
        default_year: i16,
        memo: &RefCell<TimeMemo>,
    ) -> Option<Option<Timestamp>> {
        let (Some(clock), Some(time)) = (
            &self.clock,
            s.as_bytes().get(self.base..self.base + self.end),
        ) else {
            return self.read(s, default_year);
        };
        let (a, b) = clock.span;
        {
            let m = memo.borrow();
            if m.len == time.len()
                && m.default_year == default_year
                && time[..a] == m.bytes[..a]
                && time[b..] == m.bytes[b..m.len]
            {
                if let Some((since_midnight, nanos)) = clock.read(time) {
                    return Some(Some(Timestamp::new(m.day + since_midnight, nanos).ok()?));
                }
            }
        }
        let read = self.read(s, default_year)?;
        if let (Some(ts), Some((since_midnight, _))) = (read, clock.read(time)) {
            // A timestamp before 1970 may have had its second moved by its nanoseconds.
            if ts.as_second() > 0 {
                let mut bytes = [0; MEMO_MAX];
                bytes[..time.len()].copy_from_slice(time);
                memo.replace(TimeMemo {
                    len: time.len(),
                    bytes,
                    default_year,
                    day: ts.as_second() - since_midnight,
                });
            }
        }
        Some(read)
    }

    /// Reads the time of a line of the same shape (`Some(None)`: a time of day alone);
    /// `None` when it does not read the same.
    fn read(&self, s: &str, default_year: i16) -> Option<Option<Timestamp>> {
        let text = s.get(self.base..)?;
        let parts = &self.parts;
        let fits = match self.kind {
            // What the patterns ask of digits' values, not only of their places.
            TimeKind::Epoch => parts
                .get(text, Part::Ep)
                .is_some_and(|e| matches!(e.as_bytes().first(), Some(b'1' | b'2'))),
            TimeKind::Ctime => parts
                .get(text, Part::Y2b)
                .is_none_or(|y| y.starts_with("19") || y.starts_with("20")),
            _ => true,
        };
        if !fits {
            return None;
        }
        // A time's parts end where the time ends.
        Some(decode_time(self.kind, parts, text, self.end, default_year)?.0)
    }
}

/// ` 2005`-like: a space and four digits, which a ctime pattern may take for its year.
fn trailing_year_like(rest: &str) -> bool {
    let b = rest.as_bytes();
    b.len() >= 5 && b[0] == b' ' && b[1..5].iter().all(u8::is_ascii_digit)
}

/// Reads a timestamp in the usual log shapes; a time without offset is UTC, a time
/// without year takes `default_year`. Accepts RFC 3339 / ISO 8601 with `T` or space and `,`
/// or `.` fractions, `2005-06-03-15.42.50.675872`, `17/06/09 20:10:40`, `081109 203615`,
/// `Jun 14 15:16:01`, `Sun Dec 04 04:47:44 2005`, `20171223-22:15:29:606`,
/// `10/Oct/2000:13:55:36 -0700`, glog's `I1001 12:00:00.123456`, and epoch seconds (10
/// digits) or milliseconds (13 digits). Surrounding brackets are allowed.
pub fn parse_timestamp(text: &str, default_year: i16) -> Option<Timestamp> {
    let mut t = text.trim();
    if t.len() >= 2
        && (t.starts_with('[') || t.starts_with('('))
        && (t.ends_with(']') || t.ends_with(')'))
    {
        t = t[1..t.len() - 1].trim();
    }
    if let Some(m) = match_time_at(t, default_year) {
        if m.end == t.len() {
            if let Some(ts) = m.ts {
                return Some(ts);
            }
        }
    }
    t.parse::<Timestamp>().ok()
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid header pattern")
}

/// `kernel:`, `1.4.1:` (a syslog tag without pid)
/// `nova.osapi_compute.wsgi.server`, `c.e.demo.DemoApplication`
/// A container runtime (CRI) prefix after the first time: ` stdout F `.
static CRI: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[ \t]+(?:stdout|stderr)[ \t]+[FP](?:[ \t]+|$)"));

const SEPS: &[&str] = &[
    "-", "--", "---", "|", ":", "::", ">", ">>", "->", "=>", "*", "~",
];
const MAX_PENDING: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Time,
    Pri,
    Level,
    LevelLogger,
    Sep,
    Stop,
    Num,
    Prog,
    Loc,
    PidColon,
    Colon,
    Word,
    Bracket,
    Pid,
}

#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    kind: Kind,
    end: usize,
    text: &'a str,
    ts: Option<Timestamp>,
    level: Option<Level>,
    date_only: bool,
    epoch: bool,
    /// For a time: how to read it again on a line of the same shape.
    check: Option<TimeCheck>,
    /// Reading this token as a time depended on its digits' values.
    value_dependent: bool,
}

impl<'a> Tok<'a> {
    fn new(kind: Kind, end: usize, text: &'a str) -> Tok<'a> {
        Tok {
            kind,
            end,
            text,
            ts: None,
            level: None,
            date_only: false,
            epoch: false,
            check: None,
            value_dependent: false,
        }
    }

    /// A time token ending at `end`; the time was read from the line's byte `base`.
    fn time(end: usize, text: &'a str, m: &TimeMatch, base: usize) -> Tok<'a> {
        Tok {
            kind: Kind::Time,
            end,
            text,
            ts: m.ts,
            level: m.level,
            date_only: m.kind == TimeKind::IsoDate,
            epoch: m.kind == TimeKind::Epoch,
            check: Some(TimeCheck::new(base, m)),
            value_dependent: false,
        }
    }

    fn with_level(kind: Kind, end: usize, text: &'a str, level: Level) -> Tok<'a> {
        Tok {
            level: Some(level),
            ..Tok::new(kind, end, text)
        }
    }

    fn is_plain(&self) -> bool {
        self.kind == Kind::Word && shapes::plain(self.text)
    }

    /// A level written loud: `[warn]`, `<INFO>`, `ERROR`, `WARNING:`.
    fn loud_level(&self) -> bool {
        self.text.starts_with('[')
            || self.text.starts_with('<')
            || is_upper(self.text.trim_end_matches(':'))
    }
}

/// Every cased letter upper-case, and at least one.
fn is_upper(s: &str) -> bool {
    s.chars().any(char::is_uppercase) && !s.chars().any(char::is_lowercase)
}

/// A logger name: dotted, `$`, path, underscore, or CamelCase.
fn loggerish(name: &str) -> bool {
    let Some(first) = name.chars().next() else {
        return false;
    };
    if !(first.is_alphabetic() || first == '_') {
        return false;
    }
    if name.contains(['.', '$', '/', '_', '#']) || name.contains("::") {
        return shapes::logger_chars(name);
    }
    shapes::camel(name)
}

fn dotted_logger(name: &str) -> bool {
    shapes::dotted(name)
        || (name.contains('$')
            && shapes::logger_chars(name)
            && name.chars().next().is_some_and(char::is_alphabetic))
}

/// `s[i]` opens a bracket; the index after its matching close.
fn read_bracket(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let open = *b.get(i)?;
    let close = match open {
        b'[' => b']',
        b'(' => b')',
        b'<' => b'>',
        _ => return None,
    };
    // Brackets are looked for within 512 bytes of the opening one, by jumps.
    let window = &b[i..b.len().min(i + 513)];
    let mut depth = 0i32;
    for j in memchr::memchr2_iter(open, close, window) {
        if window[j] == open {
            depth += 1;
        } else {
            depth -= 1;
            if depth == 0 {
                return Some(i + j + 1);
            }
        }
    }
    None
}

fn skip_ws(s: &str, mut i: usize) -> usize {
    let b = s.as_bytes();
    while i < b.len() && matches!(b[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// `sshd(pam_unix)[19939]:` → `sshd(pam_unix)`
fn prog_name(t: &str) -> &str {
    let t = t.strip_suffix(':').unwrap_or(t);
    match t.find('[') {
        Some(k) if k > 0 => &t[..k],
        _ => t,
    }
}

fn letter_level(letter: &str) -> Option<Level> {
    Some(match letter {
        "V" => Level::Trace,
        "D" => Level::Debug,
        "I" => Level::Info,
        "W" => Level::Warn,
        "E" => Level::Error,
        "F" | "A" => Level::Fatal,
        _ => return None,
    })
}

/// The token at `i` (a non-blank byte).
fn next_token(s: &str, i: usize, default_year: i16, pipe_mode: bool) -> Tok<'_> {
    let mut value_dependent = false;
    let mut tok = token_at(s, i, default_year, pipe_mode, &mut value_dependent);
    tok.value_dependent = value_dependent;
    tok
}

fn token_at<'s>(
    s: &'s str,
    i: usize,
    default_year: i16,
    pipe_mode: bool,
    value_dependent: &mut bool,
) -> Tok<'s> {
    let rest = &s[i..];
    let c = rest.as_bytes()[0];
    let read = read_time(rest, default_year);
    *value_dependent |= read.value_dependent;
    if let Some(m) = read.found {
        return Tok::time(i + m.end, &rest[..m.end], &m, i);
    }
    if c == b'[' || c == b'<' {
        if let Some(e) = read_bracket(s, i) {
            let whole = &s[i..e];
            let inner = s[i + 1..e - 1].trim();
            if c == b'<' {
                if shapes::pri(inner) {
                    let p: u32 = inner.parse().unwrap_or(0);
                    if let Some(lv) = Level::from_syslog_priority((p & 7) as u8) {
                        return Tok::with_level(Kind::Pri, e, whole, lv);
                    }
                }
                if !inner.contains(' ') {
                    if let Some(lv) = Level::from_word(inner) {
                        return Tok::with_level(Kind::Level, e, whole, lv);
                    }
                }
            } else {
                // `[warn]`, `[ INFO]`, Apache 2.4's `[core:error]`
                let last = inner.rsplit(':').next().unwrap_or("").trim();
                if !last.is_empty() && !last.contains(' ') {
                    if let Some(lv) = Level::from_word(last) {
                        return Tok::with_level(Kind::Level, e, whole, lv);
                    }
                }
                // `[Sun Dec 04 04:47:44 2005]`, Ruby's `[2023-10-01T12:00:00.123456 #1234]`
                let read = read_time(inner, default_year);
                *value_dependent |= read.value_dependent;
                if let Some(m) = read.found {
                    let tail = inner[m.end..].trim();
                    if tail.is_empty() || shapes::pid_bracket(tail) {
                        let base = inner.as_ptr() as usize - s.as_ptr() as usize;
                        return Tok::time(e, whole, &m, base);
                    }
                }
                // the kernel's uptime `[   12.345678]`
                if shapes::uptime(inner) {
                    return Tok::new(Kind::Time, e, whole);
                }
                if shapes::pid_bracket(inner) {
                    return Tok::new(Kind::Pid, e, whole);
                }
                return Tok::new(Kind::Bracket, e, whole);
            }
        }
    }
    let b = s.as_bytes();
    let mut j = i;
    while j < b.len() && b[j] != b' ' && b[j] != b'\t' && !(pipe_mode && b[j] == b'|') {
        j += 1;
    }
    if j == i {
        // a pipe in pipe mode
        return Tok::new(Kind::Sep, i + 1, &s[i..i + 1]);
    }
    let t = &s[i..j];
    plain_token(t, j).unwrap_or_else(|| punctuated_token(t, i, j))
}

/// A token of letters and digits only (most words of headers and messages): a number, a
/// level or a word, as [`punctuated_token`] reads it, without its other questions (each
/// of them needs punctuation). `None` for any other token.
fn plain_token(t: &str, j: usize) -> Option<Tok<'_>> {
    if !t.bytes().all(|x| x.is_ascii_alphanumeric()) {
        return None;
    }
    if t.bytes().all(|x| x.is_ascii_digit()) {
        return Some(Tok::new(Kind::Num, j, t));
    }
    if t.len() >= 3 && t.bytes().all(|x| x.is_ascii_alphabetic()) && is_upper(t) {
        if let Some(lv) = Level::from_word(t) {
            return Some(Tok::with_level(Kind::Level, j, t, lv));
        }
    }
    Some(Tok::new(Kind::Word, j, t))
}

/// The token `t` at `i..j` of its line, by its shape.
fn punctuated_token(t: &str, i: usize, j: usize) -> Tok<'_> {
    if SEPS.contains(&t) {
        return Tok::new(Kind::Sep, j, t);
    }
    let base = t.strip_suffix(':').unwrap_or(t);
    if base.len() >= 3
        && base.bytes().all(|x| x.is_ascii_alphabetic())
        && (is_upper(base) || t.ends_with(':'))
    {
        if let Some(lv) = Level::from_word(base) {
            return Tok::with_level(Kind::Level, j, t, lv);
        }
    }
    if let Some((end, word)) = shapes::level_logger(t) {
        if let Some(lv) = Level::from_word(word) {
            return Tok::with_level(Kind::LevelLogger, i + end, &t[..end], lv);
        }
    }
    if t.starts_with(['"', '\'', '{']) {
        return Tok::new(Kind::Stop, j, t);
    }
    if shapes::number(t) {
        return Tok::new(Kind::Num, j, t);
    }
    if shapes::prog(t) {
        return Tok::new(Kind::Prog, j, t);
    }
    if shapes::loc(t) {
        return Tok::new(Kind::Loc, j, t);
    }
    if shapes::pid_colon(t) {
        return Tok::new(Kind::PidColon, j, t);
    }
    if t.ends_with(':') && t.len() > 1 {
        return Tok::new(Kind::Colon, j, t);
    }
    Tok::new(Kind::Word, j, t)
}

/// Pending tokens that cannot be header: quoted text, `key=value`, prose punctuation, a
/// token ending in `:` that was not taken as program or logger.
fn has_bad(pending: &[Tok<'_>]) -> bool {
    pending.iter().any(|p| match p.kind {
        Kind::Stop | Kind::Colon | Kind::Loc | Kind::PidColon => true,
        Kind::Word => p.text.contains(['=', '(', ')', ',', ';', '"', '\'']),
        _ => false,
    })
}

fn plain_count(pending: &[Tok<'_>]) -> usize {
    pending.iter().filter(|p| p.is_plain()).count()
}

/// The result of scanning one line's header.
struct Scan {
    time: Option<Timestamp>,
    level: Option<Level>,
    service: Option<String>,
    /// Byte offset where the message starts (0: no header).
    committed: usize,
    /// How to split a line of the same shape without scanning it again.
    layout: Option<Layout>,
}

/// What a scan decided, and on which bytes it decided it. A line whose bytes up to the
/// scan's horizon have the same shape (the same bytes, digits aside) gets the same
/// decisions: the same header length, level and field positions. Its times are read
/// again from the same places by their recipes (no pattern runs), and if one does not read
/// as it did, the line is scanned in full. A scan whose decisions hung on digits' values
/// (a priority, a date out of range) leaves no layout. Lines of one file share a shape, so
/// most lines skip the scan.
#[derive(Debug, Clone)]
struct Layout {
    shape: Vec<u8>,
    committed: usize,
    level: Option<Level>,
    service: Option<(usize, usize)>,
    /// Every time the scan read, to be read again.
    checks: Vec<TimeCheck>,
    /// The last time each of `checks` read in full.
    memos: Vec<RefCell<TimeMemo>>,
    /// Bracket groups the scan read as nothing but brackets (`[req-9a3f… - - -]`): their
    /// letters and digits are [`WILD`] in the shape, and each is read again to check that it
    /// still is a plain bracket group ending at the same byte.
    opaque: Vec<(usize, usize)>,
    /// Which of `checks` is the line's time.
    time: Option<usize>,
    /// Tokens past the header that the scan asked one question of, answered no: asked again.
    probes: Vec<Probe>,
    /// Words the scan read: their letters and digits are [`WILD`] in the shape, and each is
    /// read again to check that it still is a word of the same letters' kinds.
    soft: Vec<Soft>,
    /// The shape with the words' letters kept, when there are words.
    exact: Option<Vec<u8>>,
}

/// A word the scan read (a host, a node name, the first words of a message). What the scan
/// decides of a word hangs on its punctuation, which the shape keeps, and on a few kinds of
/// its letters ([`word_letters`]); a layout asks those again instead of keeping the letters,
/// so `R02-M1-NB-C:J12-U11` and `R17-M0-N4-I:J18-U01` share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Soft {
    start: usize,
    end: usize,
    pipe_mode: bool,
    letters: u8,
}

/// What the scan asks of a word's letters and digits, beyond where they are: whether they
/// are all letters, whether one is lower-case, one upper-case, and whether the first is a
/// letter (plain words, host names and dotted logger names are told apart by nothing else).
fn word_letters(t: &str) -> u8 {
    let b = t.as_bytes();
    let (mut all_alpha, mut lower, mut upper) = (true, false, false);
    for &c in b {
        all_alpha &= c.is_ascii_alphabetic();
        lower |= c.is_ascii_lowercase();
        upper |= c.is_ascii_uppercase();
    }
    let first_alpha = b.first().is_some_and(u8::is_ascii_alphabetic);
    u8::from(all_alpha) | u8::from(lower) << 1 | u8::from(upper) << 2 | u8::from(first_alpha) << 3
}

/// A token the scanner read only to ask one question of (is it a separator that closes a
/// logger, a kernel uptime, a loud level?), when the answer was no and did not hang on its
/// digits' values. A layout keeps the question instead of the token's bytes: lines that
/// differ there (most often in the first word of their message) share the layout, and each
/// gets the question asked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Probe {
    at: usize,
    pipe_mode: bool,
    ask: Ask,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    /// `-`, `:`, `--` or `|` after a logger name.
    Closing,
    /// The kernel's `[   12.345678]`.
    Uptime,
    /// `ERROR`, `[warn]`, `<INFO>`.
    LoudLevel,
}

impl Ask {
    /// Whether a token starting with byte `first` may answer yes: a separator that closes a
    /// logger starts with `-`, `:` or `|`; a level with a bracket or an ASCII letter (every
    /// way `next_token` makes a level); an uptime or a time of day alone with `[` or a digit.
    fn may_be_yes(self, first: Option<u8>) -> bool {
        match (self, first) {
            (_, None) => false,
            (Ask::Closing, Some(b)) => matches!(b, b'-' | b':' | b'|'),
            (Ask::Uptime, Some(b)) => b == b'[' || b.is_ascii_digit(),
            (Ask::LoudLevel, Some(b)) => b == b'[' || b == b'<' || b.is_ascii_alphabetic(),
        }
    }

    fn yes(self, tok: &Tok<'_>) -> bool {
        match self {
            Ask::Closing => tok.kind == Kind::Sep && matches!(tok.text, "-" | ":" | "--" | "|"),
            Ask::Uptime => tok.kind == Kind::Time && tok.ts.is_none(),
            Ask::LoudLevel => tok.kind == Kind::Level && tok.loud_level(),
        }
    }
}

/// The bytes of `s` up to `horizon`, and the byte after (or 0xff at the end of the line),
/// with every digit as `0`.
fn shape(s: &str, horizon: usize) -> Vec<u8> {
    let b = s.as_bytes();
    let n = horizon + 1;
    let mut out: Vec<u8> = b[..n.min(b.len())]
        .iter()
        .map(|&c| digit_as_zero(c))
        .collect();
    if b.len() < n {
        out.push(0xff);
    }
    out
}

/// In a shape: any ASCII letter or digit (a byte UTF-8 text never holds).
const WILD: u8 = 0xfe;

/// In a shape: the first byte of a probed token when it was not `[` (the only thing the
/// scan asked of that byte): any byte but `[` and whitespace (a byte UTF-8 never holds).
const NOT_BRACKET: u8 = 0xfd;

/// Whether the line byte `b` fits the shape byte `want`.
fn fits_byte(want: u8, b: u8) -> bool {
    fits_body_byte(want, b) || (want == NOT_BRACKET && !matches!(b, b'[' | b' ' | b'\t'))
}

/// [`fits_byte`] for any byte of a shape but its last: [`NOT_BRACKET`] is only ever a
/// shape's last byte.
fn fits_body_byte(want: u8, b: u8) -> bool {
    want == digit_as_zero(b) || (want == WILD && b.is_ascii_alphanumeric())
}

/// Whether `line` has the shape `shape`: what [`shape`] would make of it, compared
/// without making it.
fn fits_shape(shape: &[u8], line: &[u8]) -> bool {
    let Some((&last, body)) = shape.split_last() else {
        return false;
    };
    let Some(head) = line.get(..body.len()) else {
        return false;
    };
    // Lines of one file differ most near the end of the header (logger names, levels):
    // look there first.
    let tail = body.len().saturating_sub(8);
    if !body[tail..]
        .iter()
        .zip(&head[tail..])
        .all(|(&want, &b)| fits_body_byte(want, b))
    {
        return false;
    }
    // No early exit, so that the loop runs on whole vectors.
    let fits = body
        .iter()
        .zip(head)
        .fold(true, |acc, (&want, &b)| acc & fits_body_byte(want, b));
    fits && match line.get(body.len()) {
        Some(&b) => fits_byte(last, b),
        None => last == 0xff,
    }
}

impl Layout {
    /// Whether `line` has this layout's shape.
    fn fits(&self, line: &[u8]) -> bool {
        fits_shape(&self.shape, line)
    }

    /// Splits a line of this layout's shape, or `None` when its time does not read the same.
    fn apply<'s>(&self, s: &'s str, default_year: i16) -> Option<Record<'s>> {
        for &(start, end) in &self.opaque {
            let tok = next_token(s, start, default_year, false);
            if tok.kind != Kind::Bracket || tok.end != end || tok.value_dependent {
                return None;
            }
        }
        for p in &self.probes {
            if !p.ask.may_be_yes(s.as_bytes().get(p.at).copied()) {
                continue;
            }
            let tok = next_token(s, p.at, default_year, p.pipe_mode);
            if p.ask.yes(&tok) {
                return None;
            }
        }
        // A line with the very words of the scan's line needs them read no more.
        let same_words = self.soft.is_empty()
            || self
                .exact
                .as_deref()
                .is_some_and(|e| fits_shape(e, s.as_bytes()));
        for w in self.soft.iter().filter(|_| !same_words) {
            let tok = next_token(s, w.start, default_year, w.pipe_mode);
            if tok.kind != Kind::Word
                || tok.end != w.end
                || tok.value_dependent
                || word_letters(tok.text) != w.letters
            {
                return None;
            }
        }
        self.apply_checked(s, default_year)
    }

    /// [`Layout::apply`] for a line known to read its bracket groups and probes as the layout
    /// did: a line of the same shape to its end (probes never hang on digits' values).
    fn apply_checked<'s>(&self, s: &'s str, default_year: i16) -> Option<Record<'s>> {
        let mut time = None;
        for (k, check) in self.checks.iter().enumerate() {
            let ts = check.read_memo(s, default_year, &self.memos[k])?;
            if self.time == Some(k) {
                time = Some(ts?);
            }
        }
        let message = if self.committed == 0 {
            s
        } else {
            trim_message(s.get(self.committed..)?)
        };
        Some(Record {
            time,
            level: self.level,
            service: match self.service {
                Some((a, b)) => Some(s.get(a..b)?.into()),
                None => None,
            },
            message: message.into(),
            count: 1,
        })
    }
}

/// `m` without surrounding whitespace, as `str::trim`: spaces and tabs are stepped over by
/// byte, and a message whose first and last other bytes are printable ASCII (most) is not
/// looked at again.
fn trim_message(m: &str) -> &str {
    let b = m.as_bytes();
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let start = b.iter().position(|c| !blank(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !blank(c)).map_or(start, |i| i + 1);
    let printable = |c: &u8| *c > b' ' && *c < 0x7f;
    if start < end && printable(&b[start]) && printable(&b[end - 1]) {
        // Spaces and tabs are one byte each: the cuts fall on character boundaries.
        &m[start..end]
    } else {
        m.trim()
    }
}

/// Layouts kept per thread (lines of a file alternate between a few header shapes).
const LAYOUTS: usize = 16;

thread_local! {
    /// The layouts of this thread's recent lines, most recently used first.
    static LAYOUTS_SEEN: RefCell<Vec<Rc<Layout>>> = const { RefCell::new(Vec::new()) };
}

struct Scanner<'a> {
    s: &'a str,
    default_year: i16,
    committed: usize,
    pending: Vec<Tok<'a>>,
    time: Option<Timestamp>,
    time_date_only: bool,
    level: Option<Level>,
    service: Option<String>,
    seen_time: bool,
    seen_level: bool,
    pipe_mode: bool,
    terminated: bool,
    /// How far the scanner looked: the end of the last token it read.
    horizon: std::cell::Cell<usize>,
    /// A token whose meaning depends on its digits' values (a syslog priority) was read.
    value_dependent: std::cell::Cell<bool>,
    /// Every time read so far, and which of them is the line's time.
    checks: std::cell::RefCell<Vec<TimeCheck>>,
    /// Plain bracket groups read so far.
    opaque: std::cell::RefCell<Vec<(usize, usize)>>,
    time_at: Option<TimeCheck>,
    /// Where the service name is in the line; `None` with a service means not a slice.
    service_span: Option<(usize, usize)>,
    /// Questions asked of tokens past the header and answered no.
    probes: Vec<Probe>,
    /// Words read so far.
    soft: std::cell::RefCell<Vec<Soft>>,
    /// Stop as soon as no later token can change what the scan decided (off only in tests,
    /// which check that it changes nothing).
    early_exit: bool,
}

impl<'a> Scanner<'a> {
    fn new(s: &'a str, default_year: i16) -> Scanner<'a> {
        Scanner {
            s,
            default_year,
            committed: 0,
            pending: Vec::new(),
            time: None,
            time_date_only: false,
            level: None,
            service: None,
            seen_time: false,
            seen_level: false,
            pipe_mode: false,
            terminated: false,
            horizon: std::cell::Cell::new(0),
            value_dependent: std::cell::Cell::new(false),
            checks: std::cell::RefCell::new(Vec::new()),
            opaque: std::cell::RefCell::new(Vec::new()),
            time_at: None,
            service_span: None,
            probes: Vec::new(),
            soft: std::cell::RefCell::new(Vec::new()),
            early_exit: true,
        }
    }

    fn token(&self, i: usize) -> Tok<'a> {
        let tok = next_token(self.s, i, self.default_year, self.pipe_mode);
        self.horizon.set(self.horizon.get().max(tok.end));
        self.note(&tok, self.pipe_mode);
        if tok.kind == Kind::Pri {
            self.value_dependent.set(true);
        }
        tok
    }

    /// Remembers what a layout must check again on a line of the same shape.
    fn note(&self, tok: &Tok<'a>, pipe_mode: bool) {
        if tok.value_dependent {
            self.value_dependent.set(true);
        }
        // One-letter words are levels to logcat: their letter stays in the shape.
        if tok.kind == Kind::Word && tok.text.len() > 1 && !tok.value_dependent {
            let word = Soft {
                start: tok.end - tok.text.len(),
                end: tok.end,
                pipe_mode,
                letters: word_letters(tok.text),
            };
            let mut soft = self.soft.borrow_mut();
            if !soft.contains(&word) {
                soft.push(word);
            }
        }
        if let Some(check) = tok.check {
            let mut checks = self.checks.borrow_mut();
            if !checks.contains(&check) {
                checks.push(check);
            }
        }
        if tok.kind == Kind::Bracket {
            let span = (tok.end - tok.text.len(), tok.end);
            let mut opaque = self.opaque.borrow_mut();
            if !opaque.contains(&span) {
                opaque.push(span);
            }
        }
    }

    /// Asks `ask` of the token at `i`. A yes makes it a token like every other; a no leaves
    /// it out of the layout's shape, which keeps the question instead.
    fn probe(&mut self, i: usize, pipe_mode: bool, ask: Ask) -> Option<Tok<'a>> {
        let tok = next_token(self.s, i, self.default_year, pipe_mode);
        if ask.yes(&tok) || tok.value_dependent || !self.early_exit {
            self.horizon.set(self.horizon.get().max(tok.end));
            self.note(&tok, pipe_mode);
        } else {
            self.probes.push(Probe {
                at: i,
                pipe_mode,
                ask,
            });
        }
        ask.yes(&tok).then_some(tok)
    }

    /// Whether no token after the pending ones can change what the scan decided: the
    /// scan may stop here. Each branch of [`Scanner::run`] was read for what it needs of
    /// the pending tokens to commit, or to change anything else; a test scans every Loghub
    /// line and many made-up ones both ways.
    fn settled(&self) -> bool {
        if !self.early_exit || self.pipe_mode {
            return false;
        }
        let p = &self.pending;
        // A word (or anything but a field) among the pending tokens: a separator cannot
        // close them as fields, nor a logger name follow only brackets.
        let not_fields = p
            .iter()
            .any(|t| !matches!(t.kind, Kind::Bracket | Kind::Num | Kind::Pid | Kind::Sep));
        let words = p.iter().filter(|t| t.kind != Kind::Sep).count();
        let bad = has_bad(p);
        match (self.seen_time, self.seen_level) {
            // Times and levels end the header now; a program, file location or logger
            // needs at most two words before it.
            (_, true) => not_fields && (words > 2 || bad),
            // A program, location or `host prog:` needs at most two words before it, a
            // second time none that is plain, a level at most one plain word and no bad one.
            (true, false) => not_fields && words > 2 && (plain_count(p) > 1 || p.len() > 4 || bad),
            // Before any time or level, a plain word first rules out both; nothing else can
            // open a header after something pending.
            (false, false) => !p.is_empty() && (bad || p.len() > 5 || p[0].is_plain()),
        }
    }

    fn commit(&mut self, end: usize) {
        self.committed = end;
        self.pending.clear();
    }

    fn set_time(&mut self, tok: &Tok<'a>) {
        let Some(ts) = tok.ts else { return };
        if self.time.is_none() || (self.time_date_only && !tok.date_only) {
            self.time = Some(ts);
            self.time_date_only = tok.date_only;
            self.time_at = tok.check;
        }
    }

    fn set_service(&mut self, name: &str) {
        if self.service.is_none() && !name.is_empty() {
            self.service = Some(name.to_string());
            // Safe pointer arithmetic: is `name` a slice of the line, and where?
            let at = (name.as_ptr() as usize).wrapping_sub(self.s.as_ptr() as usize);
            if at <= self.s.len() && name.len() <= self.s.len() - at {
                self.service_span = Some((at, at + name.len()));
            }
        }
    }

    fn finish(self) -> Scan {
        let checks = self.checks.take();
        let time_index = self
            .time
            .and(self.time_at)
            .and_then(|t| checks.iter().position(|c| *c == t));
        let layout = (!self.value_dependent.get()
            && (self.service.is_none() || self.service_span.is_some())
            && (self.time.is_none() || time_index.is_some()))
        .then(|| {
            // Whitespace after the last token read was skipped and the byte after it looked at.
            // After a program or logger name the scan looked at the next byte (is it a
            // bracket?) and asked questions of the token there (probes), nothing more.
            let horizon = self.horizon.get().max(self.committed);
            let next = skip_ws(self.s, self.committed);
            let mut shape = if self.terminated && horizon <= next {
                let mut shape = shape(self.s, next);
                if let Some(first) = shape.last_mut().filter(|b| !matches!(**b, b'[' | 0xff)) {
                    *first = NOT_BRACKET;
                }
                shape
            } else {
                shape(self.s, skip_ws(self.s, horizon) + 1)
            };
            let opaque = self.opaque.take();
            let line = self.s.as_bytes();
            for &(start, end) in &opaque {
                for k in start + 1..end.saturating_sub(1).min(shape.len()) {
                    if line[k].is_ascii_alphanumeric() {
                        shape[k] = WILD;
                    }
                }
            }
            let soft = self.soft.take();
            let exact = (!soft.is_empty()).then(|| shape.clone());
            for w in &soft {
                for k in w.start..w.end.min(shape.len()) {
                    if line[k].is_ascii_alphanumeric() {
                        shape[k] = WILD;
                    }
                }
            }
            Layout {
                shape,
                committed: self.committed,
                level: self.level,
                service: self.service_span,
                time: time_index,
                memos: vec![Default::default(); checks.len()],
                checks,
                opaque,
                probes: self.probes,
                soft,
                exact,
            }
        });
        Scan {
            time: self.time,
            level: self.level,
            service: self.service,
            committed: self.committed,
            layout,
        }
    }

    fn run(&mut self, allow_cri: bool) {
        let s = self.s;
        let n = s.len();
        let b = s.as_bytes();
        let mut i = 0usize;
        loop {
            i = skip_ws(s, i);
            if i >= n {
                break;
            }
            let tok = self.token(i);
            match tok.kind {
                Kind::Time => {
                    if self.seen_level {
                        break;
                    }
                    if !self.pending.is_empty() {
                        let pc = plain_count(&self.pending);
                        if has_bad(&self.pending) || self.pending.len() > 5 {
                            break;
                        }
                        if self.seen_time {
                            if pc > 0 || self.pending.len() > 3 {
                                break;
                            }
                        } else if pc > (if tok.epoch { 5 } else { 1 })
                            || (pc > 0 && self.pending[0].is_plain())
                        {
                            break;
                        }
                    }
                    self.set_time(&tok);
                    if let Some(lv) = tok.level {
                        self.level = Some(lv);
                        self.seen_level = true;
                    }
                    self.seen_time = true;
                    self.commit(tok.end);
                    i = tok.end;
                    if b.get(i) == Some(&b'|') {
                        self.pipe_mode = true;
                    }
                    // pids and sequence numbers right after a time
                    loop {
                        let j = skip_ws(s, i);
                        if j >= n {
                            break;
                        }
                        let t2 = self.token(j);
                        if !matches!(t2.kind, Kind::Num | Kind::Pid) {
                            break;
                        }
                        if !tok.epoch {
                            let j2 = skip_ws(s, t2.end);
                            if j2 < n {
                                let t3 = self.token(j2);
                                if matches!(t3.kind, Kind::Word | Kind::Stop | Kind::Colon) {
                                    break;
                                }
                            }
                        }
                        self.commit(t2.end);
                        i = t2.end;
                    }
                    if allow_cri {
                        if let Some(m) = CRI.find(&s[i..]) {
                            let start = i + m.end();
                            let inner =
                                scan_with(&s[start..], self.default_year, false, self.early_exit);
                            // Decided on bytes past the horizon: never reuse this layout.
                            self.value_dependent.set(true);
                            if self.time.is_none() {
                                self.time = inner.time;
                            }
                            self.level = inner.level;
                            self.service = inner.service;
                            self.committed = start + inner.committed;
                            self.pending.clear();
                            return;
                        }
                    }
                }
                Kind::Pri => {
                    if !self.pending.is_empty() || self.committed != 0 {
                        break;
                    }
                    self.level = tok.level;
                    self.commit(tok.end);
                    i = tok.end;
                }
                Kind::Level | Kind::LevelLogger => {
                    if self.seen_level {
                        break;
                    }
                    let loud = tok.loud_level();
                    if !self.pending.is_empty() {
                        if has_bad(&self.pending) || self.pending.len() > 4 {
                            break;
                        }
                        let pc = plain_count(&self.pending);
                        if pc > 1 || (pc > 0 && !self.seen_time) {
                            break;
                        }
                        if tok.kind == Kind::Level && !loud {
                            break;
                        }
                        // the word right before the level names the component (`- myapp - INFO`)
                        let mut word = None;
                        for p in self.pending.iter().rev() {
                            if p.kind == Kind::Word {
                                word = Some(p.text);
                                break;
                            }
                            if p.kind != Kind::Sep {
                                break;
                            }
                        }
                        if let Some(w) = word {
                            self.set_service(w);
                        }
                    } else if tok.kind == Kind::Level
                        && !self.seen_time
                        && self.committed == 0
                        && !loud
                    {
                        // `error: ...` opening a line is prose more often than a header
                        break;
                    }
                    self.level = tok.level;
                    self.seen_level = true;
                    self.commit(tok.end);
                    i = tok.end;
                    if tok.kind == Kind::LevelLogger {
                        let name = tok.text.split(':').nth(1).unwrap_or("");
                        self.set_service(name);
                        self.terminated = true;
                        break;
                    }
                    if b.get(i) == Some(&b'|') {
                        self.pipe_mode = true;
                    }
                    // a thread or pid in brackets right after the level
                    let j = skip_ws(s, i);
                    if j < n && b[j] == b'[' {
                        let t2 = self.token(j);
                        let thread = t2.kind == Kind::Bracket
                            && !t2.text[1..t2.text.len() - 1]
                                .trim()
                                .contains(char::is_whitespace);
                        if t2.kind == Kind::Pid || thread {
                            self.commit(t2.end);
                            i = t2.end;
                        }
                    }
                }
                Kind::Sep => {
                    let end = tok.end;
                    if self.pending.is_empty() {
                        if self.committed != 0 {
                            self.commit(end);
                        } else {
                            self.pending.push(tok);
                        }
                    } else if tok.text == "|" && self.pipe_mode {
                        let word = self
                            .pending
                            .iter()
                            .find(|p| p.kind == Kind::Word)
                            .map(|p| p.text);
                        if let Some(w) = word {
                            self.set_service(w);
                        }
                        self.commit(end);
                    } else if (self.seen_time || self.seen_level)
                        && self.pending.iter().all(|p| {
                            matches!(p.kind, Kind::Bracket | Kind::Num | Kind::Pid | Kind::Sep)
                        })
                    {
                        self.commit(end);
                    } else {
                        self.pending.push(tok);
                        if self.settled() {
                            break;
                        }
                    }
                    i = end;
                }
                Kind::Prog => {
                    let words = self.pending.iter().filter(|p| p.kind != Kind::Sep).count();
                    if words > 2
                        || has_bad(&self.pending)
                        || !(self.seen_time || self.seen_level || self.pending.is_empty())
                    {
                        break;
                    }
                    self.set_service(prog_name(tok.text));
                    self.commit(tok.end);
                    self.terminated = true;
                    break;
                }
                Kind::Loc => {
                    if (self.seen_time || self.seen_level)
                        && self.pending.len() <= 2
                        && !has_bad(&self.pending)
                    {
                        self.commit(tok.end);
                        self.terminated = true;
                    }
                    break;
                }
                Kind::PidColon => {
                    if self.seen_level && self.pending.is_empty() {
                        self.commit(tok.end);
                        self.terminated = true;
                    }
                    break;
                }
                Kind::Colon => {
                    let name = &tok.text[..tok.text.len() - 1];
                    if self.seen_level {
                        let only_fields = self.pending.iter().all(|p| {
                            matches!(p.kind, Kind::Bracket | Kind::Sep | Kind::Num | Kind::Pid)
                        });
                        if only_fields && loggerish(name) {
                            self.set_service(name);
                            self.commit(tok.end);
                            self.terminated = true;
                        }
                        break;
                    }
                    if self.seen_time {
                        let words: Vec<Tok<'a>> = self
                            .pending
                            .iter()
                            .filter(|p| p.kind != Kind::Sep)
                            .copied()
                            .collect();
                        if words.is_empty() && dotted_logger(name) {
                            self.set_service(name);
                            self.commit(tok.end);
                            self.terminated = true;
                            break;
                        }
                        // syslog: `host prog:` / `host prog version:`
                        let host_prog = (1..=2).contains(&words.len())
                            && words[0].kind == Kind::Word
                            && shapes::hostlike(words[0].text)
                            && words
                                .iter()
                                .all(|w| matches!(w.kind, Kind::Word | Kind::Num))
                            && shapes::name_colon(tok.text);
                        if host_prog {
                            let svc = if words.len() == 2 {
                                words[1].text
                            } else {
                                name
                            };
                            self.set_service(svc);
                            self.commit(tok.end);
                            self.terminated = true;
                        }
                    }
                    break;
                }
                Kind::Word | Kind::Num | Kind::Bracket | Kind::Pid => {
                    if tok.kind == Kind::Word {
                        // a dotted logger without colon after a level, then a bracket or a separator
                        let only_brackets = self
                            .pending
                            .iter()
                            .all(|p| matches!(p.kind, Kind::Bracket | Kind::Pid));
                        // A plain name counts too when a dash follows it: `WARN checkout - msg`.
                        let plain_name = tok
                            .text
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'$'));
                        if self.seen_level
                            && only_brackets
                            && (dotted_logger(tok.text) || plain_name)
                        {
                            let j = skip_ws(s, tok.end);
                            if j < n {
                                let t2 = self.token(j);
                                let dash = t2.kind == Kind::Sep && matches!(t2.text, "-" | "--");
                                let closes = if dotted_logger(tok.text) {
                                    matches!(t2.kind, Kind::Bracket | Kind::Pid)
                                        || (t2.kind == Kind::Sep && t2.text != "*")
                                } else {
                                    dash
                                };
                                if closes {
                                    self.set_service(tok.text);
                                    self.commit(t2.end);
                                    self.terminated = true;
                                    let j3 = skip_ws(s, t2.end);
                                    if j3 < n {
                                        if let Some(t3) =
                                            self.probe(j3, self.pipe_mode, Ask::Closing)
                                        {
                                            self.commit(t3.end);
                                        }
                                    }
                                    break;
                                }
                            }
                        }
                        // logcat's one-letter level: `I ActivityManager: ...`
                        if !self.seen_level && self.seen_time && tok.text.len() == 1 {
                            if let Some(lv) = letter_level(tok.text) {
                                let j = skip_ws(s, tok.end);
                                let only_nums = self
                                    .pending
                                    .iter()
                                    .all(|p| matches!(p.kind, Kind::Num | Kind::Pid));
                                if j < n && only_nums {
                                    let t2 = self.token(j);
                                    if matches!(t2.kind, Kind::Colon | Kind::Prog) {
                                        self.level = Some(lv);
                                        self.seen_level = true;
                                        self.set_service(prog_name(t2.text).trim());
                                        self.commit(t2.end);
                                        self.terminated = true;
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    i = tok.end;
                    self.pending.push(tok);
                    if self.pending.len() > MAX_PENDING || self.settled() {
                        break;
                    }
                }
                Kind::Stop => break,
            }
        }
        if self.terminated {
            // after a program or logger: a kernel uptime, then a loud level, are still header
            let j = skip_ws(s, self.committed);
            if j < n && b[j] == b'[' {
                if let Some(t2) = self.probe(j, false, Ask::Uptime) {
                    self.commit(t2.end);
                }
            }
            if !self.seen_level {
                let j = skip_ws(s, self.committed);
                if j < n {
                    if let Some(t2) = self.probe(j, false, Ask::LoudLevel) {
                        self.level = t2.level;
                        self.commit(t2.end);
                    }
                }
            }
        }
    }
}

fn scan(s: &str, default_year: i16, allow_cri: bool) -> Scan {
    scan_with(s, default_year, allow_cri, true)
}

/// [`scan`], with the early exit on or off.
fn scan_with(s: &str, default_year: i16, allow_cri: bool, early_exit: bool) -> Scan {
    let mut scanner = Scanner::new(s, default_year);
    scanner.early_exit = early_exit;
    scanner.run(allow_cri);
    scanner.finish()
}

// ---------------------------------------------------------------------------------------
// logfmt and RFC 5424
// ---------------------------------------------------------------------------------------

static LOGFMT_PAIR: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^([A-Za-z_][\w.\-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?:\s+|$)"#));
static RFC5424: LazyLock<Regex> =
    LazyLock::new(|| re(r"^<([0-9]{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) "));

const LOGFMT_TIME: &[&str] = &[
    "time",
    "ts",
    "timestamp",
    "@timestamp",
    "t",
    "date",
    "datetime",
];
const LOGFMT_LEVEL: &[&str] = &["level", "lvl", "severity", "loglevel", "log.level"];
const LOGFMT_MSG: &[&str] = &["msg", "message"];
const LOGFMT_SERVICE: &[&str] = &[
    "logger",
    "component",
    "service",
    "app",
    "module",
    "source",
    "caller",
];

fn unquote(v: &str) -> String {
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        let mut out = String::with_capacity(v.len());
        let mut chars = v[1..v.len() - 1].chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        out
    } else {
        v.to_string()
    }
}

/// `time=2023-10-01T12:00:00Z level=info msg="Started" port=8080`: message `Started
/// port=8080` (the other pairs stay, as the message's variables).
fn logfmt(s: &str, default_year: i16) -> Option<Record<'static>> {
    let mut pairs: Vec<(&str, &str, &str)> = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        let caps = LOGFMT_PAIR.captures(&s[pos..])?;
        let whole = caps.get(0)?;
        if whole.end() == 0 {
            return None;
        }
        pairs.push((
            caps.get(1)?.as_str(),
            caps.get(2)?.as_str(),
            whole.as_str().trim(),
        ));
        pos += whole.end();
    }
    let has = |list: &[&str]| {
        pairs
            .iter()
            .any(|(k, _, _)| list.contains(&k.to_ascii_lowercase().as_str()))
    };
    if pairs.len() < 2 || !has(LOGFMT_MSG) || !(has(LOGFMT_TIME) || has(LOGFMT_LEVEL)) {
        return None;
    }
    let mut record = Record::new("");
    let mut msg: Option<String> = None;
    let mut extra: Vec<&str> = Vec::new();
    for &(k, v, raw) in &pairs {
        let key = k.to_ascii_lowercase();
        let key = key.as_str();
        if LOGFMT_TIME.contains(&key) {
            if record.time.is_none() {
                record.time = parse_timestamp(&unquote(v), default_year);
            }
        } else if LOGFMT_LEVEL.contains(&key) {
            if record.level.is_none() {
                record.level = Level::from_word(&unquote(v));
            }
        } else if LOGFMT_MSG.contains(&key) && msg.is_none() {
            msg = Some(unquote(v));
        } else if LOGFMT_SERVICE.contains(&key) {
            if key != "caller" && record.service.is_none() {
                let name = unquote(v);
                if !name.is_empty() {
                    record.service = Some(name.into());
                }
            }
        } else {
            extra.push(raw);
        }
    }
    let mut message = msg.unwrap_or_default();
    for raw in extra {
        message.push(' ');
        message.push_str(raw);
    }
    record.message = message.trim().to_string().into();
    Some(record)
}

/// `<165>1 2003-10-11T22:14:15.003Z host app procid msgid [sd…] message`
fn rfc5424(s: &str, default_year: i16) -> Option<Record<'_>> {
    let caps = RFC5424.captures(s)?;
    let mut pos = caps.get(0)?.end();
    if s[pos..].starts_with('-') {
        pos += 1;
    } else {
        while s.as_bytes().get(pos) == Some(&b'[') {
            pos = read_bracket(s, pos)?;
        }
    }
    let pri: u32 = caps.get(1)?.as_str().parse().ok()?;
    let app = caps.get(4)?.as_str();
    Some(Record {
        time: parse_timestamp(caps.get(2)?.as_str(), default_year),
        level: Level::from_syslog_priority((pri & 7) as u8),
        service: (app != "-").then_some(app.into()),
        message: s[pos..].trim().trim_start_matches('\u{feff}').into(),
        count: 1,
    })
}

// ---------------------------------------------------------------------------------------
// The entry point
// ---------------------------------------------------------------------------------------

/// Splits a plain-text log line into its header fields and its message (count 1). A line
/// without a recognisable header comes back whole as the message (only a trailing line end
/// removed).
pub fn split_header(line: &str, default_year: i16) -> Record<'_> {
    let s = trim_line_end(line);
    if let Some(r) = special_shape(s, default_year) {
        return r;
    }
    split_plain(s, default_year).0
}

/// `line` without the line ends it may still carry.
fn trim_line_end(line: &str) -> &str {
    let mut s = line;
    while let Some(rest) = s.strip_suffix(['\r', '\n']) {
        s = rest;
    }
    s
}

/// The shapes read whole: logfmt and RFC 5424.
fn special_shape(s: &str, default_year: i16) -> Option<Record<'_>> {
    // Forty bytes: a fold, not a search that sets itself up for long texts.
    let head = &s.as_bytes()[..s.len().min(40)];
    if head.iter().fold(false, |seen, &b| seen | (b == b'=')) {
        if let Some(r) = logfmt(s.trim(), default_year) {
            return Some(r);
        }
    }
    if s.starts_with('<') {
        if let Some(r) = rfc5424(s, default_year) {
            return Some(r);
        }
    }
    None
}

/// Splits a line by token runs (through the layouts of recent lines), and gives the layout
/// that decided it when there is one.
fn split_plain(s: &str, default_year: i16) -> (Record<'_>, Option<Rc<Layout>>) {
    let fast = LAYOUTS_SEEN.with(|m| {
        let layouts = &mut *m.borrow_mut();
        let at = layouts.iter().position(|x| x.fits(s.as_bytes()))?;
        let r = layouts[at].apply(s, default_year)?;
        let hit = layouts.remove(at);
        layouts.insert(0, Rc::clone(&hit));
        Some((r, hit))
    });
    if let Some((r, layout)) = fast {
        return (r, Some(layout));
    }
    let sc = scan(s, default_year, true);
    let layout = sc.layout.map(Rc::new);
    if let Some(layout) = &layout {
        LAYOUTS_SEEN.with(|m| {
            let l = &mut *m.borrow_mut();
            l.retain(|x| x.shape != layout.shape);
            l.insert(0, Rc::clone(layout));
            l.truncate(LAYOUTS);
        });
    }
    let message = if sc.committed == 0 {
        s
    } else {
        s[sc.committed..].trim()
    };
    let record = Record {
        time: sc.time,
        level: sc.level,
        service: sc.service.map(Into::into),
        message: message.into(),
        count: 1,
    };
    (record, layout)
}

/// Lines longer than this skip the line cache (which holds at most `LINE_CACHE_SLOTS`).
const LINE_CACHE_MAX: usize = 512;
/// Enough for the shapes one log keeps coming back to; not so many that a benchmark made of
/// one sample repeated (`mixed_1M.log` is `all_2k.log`, 3,594 shapes, fifty times) is
/// measured by the repetition instead of by the lines (docs/BENCHMARKS.md).
const LINE_CACHE_SLOTS: usize = 1024;

thread_local! {
    /// Recent lines by shape, with the layout that split them and the masked form of their
    /// message. How a line splits depends on its digits' values only where a layout reads
    /// its times again, and masking does not depend on them at all, so a line of a cached
    /// shape needs only its times read.
    static LINE_CACHE: RefCell<ShapeCache<Rc<Layout>>> =
        RefCell::new(ShapeCache::new(LINE_CACHE_SLOTS));
}

/// Splits a line as [`split_header`] does and writes the masked form of its message into
/// `key` with `mask`, which must depend on digits only as digits (the built-in masking
/// does; user patterns may not, so their callers use [`split_header`]).
pub fn split_and_key<'l>(
    line: &'l str,
    default_year: i16,
    key: &mut String,
    mask: &dyn Fn(&str, &mut String),
) -> Record<'l> {
    split_and_key_then(line, default_year, key, mask, with_key_copied)
}

/// A `then` for [`split_and_key_then`] that leaves the key in the buffer, copied there
/// when the line cache held it, and gives the record.
pub fn with_key_copied<'l>(
    record: Record<'l>,
    key: &mut String,
    cached: Option<&str>,
    _stamp: u64,
) -> Record<'l> {
    if let Some(cached) = cached {
        key.clear();
        key.push_str(cached);
    }
    record
}

/// [`split_and_key`] without copying a key the line cache holds: `then` gets the record,
/// the key buffer, the cached key when the line's shape was in the cache (the buffer is
/// then left as it was; otherwise the buffer holds the key), and the stamp that stands for
/// this key and no other (`ShapeCache::find`; 0 when the line went past the cache).
pub fn split_and_key_then<'l, T>(
    line: &'l str,
    default_year: i16,
    key: &mut String,
    mask: &dyn Fn(&str, &mut String),
    then: impl FnOnce(Record<'l>, &mut String, Option<&str>, u64) -> T,
) -> T {
    let s = trim_line_end(line);
    if s.len() > LINE_CACHE_MAX {
        let r = special_shape(s, default_year).unwrap_or_else(|| split_plain(s, default_year).0);
        mask(&r.message, key);
        return then(r, key, None, 0);
    }
    LINE_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some((cached, layout, stamp)) = c.find(s) {
            if let Some(r) = layout.apply_checked(s, default_year) {
                return then(r, key, Some(cached), stamp);
            }
        }
        // Whether a line is logfmt or RFC 5424 hangs on its shape only (where its `=`,
        // quotes, brackets and spaces are, its keys' letters; a priority's value is read but
        // never asked), and a cached shape is one that was neither: so the shapes are looked
        // for only in lines the cache does not know.
        if let Some(r) = special_shape(s, default_year) {
            mask(&r.message, key);
            return then(r, key, None, 0);
        }
        let (r, layout) = split_plain(s, default_year);
        mask(&r.message, key);
        let stamp = match layout {
            Some(layout) => c.store(key, layout),
            None => 0,
        };
        then(r, key, None, stamp)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn split(line: &str) -> Record<'_> {
        split_header(line, 2005)
    }

    #[test]
    fn timestamps_in_the_usual_shapes() {
        let cases = [
            ("2015-10-18 18:01:47,978", "2015-10-18T18:01:47.978Z"),
            ("2017-05-16 00:00:00.008", "2017-05-16T00:00:00.008Z"),
            ("2023-10-01T12:00:00+02:00", "2023-10-01T10:00:00Z"),
            (
                "2023-10-01T12:00:00.123456789Z",
                "2023-10-01T12:00:00.123456789Z",
            ),
            ("2005-06-03-15.42.50.675872", "2005-06-03T15:42:50.675872Z"),
            ("17/06/09 20:10:40", "2017-06-09T20:10:40Z"),
            ("081109 203615", "2008-11-09T20:36:15Z"),
            ("Jun 14 15:16:01", "2005-06-14T15:16:01Z"),
            ("Sun Dec 04 04:47:44 2005", "2005-12-04T04:47:44Z"),
            ("20171223-22:15:29:606", "2017-12-23T22:15:29.606Z"),
            ("10/Oct/2000:13:55:36 -0700", "2000-10-10T20:55:36Z"),
            ("1117838570", "2005-06-03T22:42:50Z"),
            ("1445144423722", "2015-10-18T05:00:23.722Z"),
            ("[2023-10-01T12:00:00Z]", "2023-10-01T12:00:00Z"),
        ];
        for (text, want) in cases {
            assert_eq!(parse_timestamp(text, 2005), Some(ts(want)), "{text}");
        }
        assert_eq!(parse_timestamp("12:00:00", 2005), None);
        assert_eq!(parse_timestamp("not a time", 2005), None);
        assert_eq!(parse_timestamp("2023-02-30 10:00:00", 2005), None);
    }

    #[test]
    fn hadoop_java_line() {
        let r = split(
            "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster for application appattempt_1445144423722_0020_000001",
        );
        assert_eq!(r.time, Some(ts("2015-10-18T18:01:47.978Z")));
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(
            r.service.as_deref(),
            Some("org.apache.hadoop.mapreduce.v2.app.MRAppMaster")
        );
        assert_eq!(
            r.message,
            "Created MRAppMaster for application appattempt_1445144423722_0020_000001"
        );
        assert_eq!(r.count, 1);
    }

    #[test]
    fn hdfs_pid_level_logger() {
        let r = split(
            "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating",
        );
        assert_eq!(r.time, Some(ts("2008-11-09T20:36:15Z")));
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.service.as_deref(), Some("dfs.DataNode$PacketResponder"));
        assert_eq!(
            r.message,
            "PacketResponder 1 for block blk_38865049064139660 terminating"
        );
    }

    #[test]
    fn spark_short_date() {
        let r = split(
            "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]",
        );
        assert_eq!(r.time, Some(ts("2017-06-09T20:10:40Z")));
        assert_eq!(
            r.service.as_deref(),
            Some("executor.CoarseGrainedExecutorBackend")
        );
        assert_eq!(r.message, "Registered signal handlers for [TERM, HUP, INT]");
    }

    #[test]
    fn zookeeper_separators_and_thread() {
        let r = split(
            "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200",
        );
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.message, "Notification time out: 3200");
    }

    #[test]
    fn apache_brackets() {
        let r = split("[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6");
        assert_eq!(r.time, Some(ts("2005-12-04T04:47:44Z")));
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.message, "mod_jk child workerEnv in error state 6");
        // a client bracket with spaces is part of the message
        let r = split(
            "[Sun Dec 04 05:15:09 2005] [error] [client 222.166.160.184] Directory index forbidden by rule: /var/www/html/",
        );
        assert_eq!(
            r.message,
            "[client 222.166.160.184] Directory index forbidden by rule: /var/www/html/"
        );
    }

    #[test]
    fn syslog_program_and_pid() {
        let r = split(
            "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0",
        );
        assert_eq!(r.time, Some(ts("2005-06-14T15:16:01Z")));
        assert_eq!(r.service.as_deref(), Some("sshd(pam_unix)"));
        assert_eq!(r.message, "authentication failure; logname= uid=0");
        let r = split(
            "Jul 27 14:41:57 combo kernel:  BIOS-e820: 0000000000000000 - 00000000000a0000 (usable)",
        );
        assert_eq!(r.service.as_deref(), Some("kernel"));
        assert_eq!(
            r.message,
            "BIOS-e820: 0000000000000000 - 00000000000a0000 (usable)"
        );
    }

    #[test]
    fn bgl_epoch_and_columns() {
        let r = split(
            "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected",
        );
        assert_eq!(r.time, Some(ts("2005-06-03T22:42:50Z")));
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.message, "instruction cache parity error corrected");
    }

    #[test]
    fn hpc_epoch_after_fields() {
        let r =
            split("2566692 1897 boot_cmd success 1073991950 1 Command has completed successfully");
        assert_eq!(r.time, Some(ts("2004-01-13T11:05:50Z")));
        assert_eq!(r.message, "Command has completed successfully");
    }

    #[test]
    fn healthapp_pipes() {
        let r = split("20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579");
        assert_eq!(r.time, Some(ts("2017-12-23T22:15:29.606Z")));
        assert_eq!(r.service.as_deref(), Some("Step_LSC"));
        assert_eq!(r.message, "onStandStepChanged 3579");
    }

    #[test]
    fn openstack_file_prefix_pid_logger_context() {
        let r = split(
            "nova-compute.log.1.2017-05-16_13:55:31 2017-05-16 00:14:47.447 2931 INFO nova.compute.manager [req-699eeadf-6db8-44a4-8521-1ab4e8a53b53 113d3a99 54fadb41 - - -] [instance: faf974ea-cba5-4e1b-93f4-3a3bc606006f] Terminating instance",
        );
        assert_eq!(r.time, Some(ts("2017-05-16T00:14:47.447Z")));
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.service.as_deref(), Some("nova.compute.manager"));
        assert_eq!(
            r.message,
            "[instance: faf974ea-cba5-4e1b-93f4-3a3bc606006f] Terminating instance"
        );
    }

    #[test]
    fn common_log_format() {
        let r = split(
            r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
        );
        assert_eq!(r.time, Some(ts("2000-10-10T20:55:36Z")));
        assert_eq!(r.message, r#""GET /apache_pb.gif HTTP/1.0" 200 2326"#);
    }

    #[test]
    fn epoch_millis_in_header_position() {
        let r = split("1700000000123 GET /health 200");
        assert_eq!(r.time, Some(ts("2023-11-14T22:13:20.123Z")));
        assert_eq!(r.message, "GET /health 200");
    }

    #[test]
    fn other_common_shapes() {
        let r = split(
            "2023-10-01 12:00:00.123  INFO 12345 --- [           main] c.e.demo.DemoApplication                 : Started DemoApplication in 1.2 seconds",
        );
        assert_eq!(r.service.as_deref(), Some("c.e.demo.DemoApplication"));
        assert_eq!(r.message, "Started DemoApplication in 1.2 seconds");

        let r = split("2023-10-01 12:00:00,123 - myapp.db - ERROR - Connection refused");
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.message, "Connection refused");

        let r = split("I1001 12:00:00.123456    1234 server.go:123] Starting server");
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.time, Some(ts("2005-10-01T12:00:00.123456Z")));
        assert_eq!(r.message, "Starting server");

        let r = split(
            "2023/10/01 12:00:00 [error] 1234#1234: *5 connect() failed (111: Connection refused)",
        );
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.message, "*5 connect() failed (111: Connection refused)");

        let r = split("10-01 12:00:00.123  1234  5678 I ActivityManager: Start proc 4321");
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.service.as_deref(), Some("ActivityManager"));
        assert_eq!(r.message, "Start proc 4321");

        let r = split(
            "2023-10-01T12:00:00.123456789Z stdout F 2023-10-01 12:00:00,001 WARN [main] org.foo.Bar: slow query",
        );
        assert_eq!(r.level, Some(Level::Warn));
        assert_eq!(r.message, "slow query");

        let r = split("ERROR:root:Something bad happened");
        assert_eq!(r.level, Some(Level::Error));
        assert_eq!(r.service.as_deref(), Some("root"));
        assert_eq!(r.message, "Something bad happened");
    }

    #[test]
    fn logfmt_and_rfc5424() {
        let r = split(r#"time="2023-10-01T12:00:00Z" level=info msg="Started server" port=8080"#);
        assert_eq!(r.time, Some(ts("2023-10-01T12:00:00Z")));
        assert_eq!(r.level, Some(Level::Info));
        assert_eq!(r.message, "Started server port=8080");

        let r = split(
            r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event log entry"#,
        );
        assert_eq!(r.time, Some(ts("2003-10-11T22:14:15.003Z")));
        assert_eq!(r.level, Some(Level::Notice));
        assert_eq!(r.service.as_deref(), Some("evntslog"));
        assert_eq!(r.message, "An application event log entry");
    }

    #[test]
    fn lines_without_header_stay_whole() {
        for line in [
            "just a plain message",
            "\tat com.foo.Bar.baz(Bar.java:42)",
            "Caused by: java.lang.NullPointerException",
            "java.lang.RuntimeException: boom",
            "panic: runtime error: index out of range",
            "Backup started at 2023-10-01 12:00:00 ok",
            "",
        ] {
            let r = split(line);
            assert_eq!(r.message, line);
            assert_eq!(r.time, None);
        }
        assert_eq!(split("plain\r\n").message, "plain");
        // a number opening the message stays when no header follows it
        assert_eq!(
            split("2023-10-01 12:00:00 3 blocks missing").message,
            "3 blocks missing"
        );
    }

    /// Minimal RFC 4180 reader (quotes, doubled quotes, newlines inside quotes).
    fn read_csv(text: &str) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        let mut row = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if quoted {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        field.push('"');
                        chars.next();
                    } else {
                        quoted = false;
                    }
                } else {
                    field.push(c);
                }
                continue;
            }
            match c {
                '"' => quoted = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\r' => {}
                '\n' => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                _ => field.push(c),
            }
        }
        if !field.is_empty() || !row.is_empty() {
            row.push(field);
            rows.push(row);
        }
        rows
    }

    /// Forgets the layouts and lines of this thread.
    fn clear_memo() {
        LAYOUTS_SEEN.with(|x| x.borrow_mut().clear());
        LINE_CACHE.with(|c| *c.borrow_mut() = ShapeCache::new(LINE_CACHE_SLOTS));
    }

    #[test]
    fn the_layout_shortcut_decides_as_a_full_scan_in_any_order() {
        let lines = [
            "Nov 21 14:00:00 web-1 payments[5100]: Charged order 90001 for 100 cents",
            "Nov 21 14:00:05 web-1 payments[5100]: WARN Retrying charge (attempt 2 of 5)",
            "Nov 21 14:00:06 web-1 payments[5100]:   ERROR declined",
            "Nov 21 14:00:07 web-1 payments[5100]: [  12.345678] kernel says hi",
            "2024-03-01T14:02:00.123Z WARN  checkout - Retrying connect",
            "2024-03-01T14:02:01.123Z WARN  checkout - done",
            "2024-03-01T14:02:02.123Z INFO  checkout: done",
            "<13>Nov 21 14:00:05 web-1 app: hello",
            "<11>Nov 21 14:00:05 web-1 app: hello",
        ];
        let full: Vec<Record> = lines
            .iter()
            .map(|l| {
                clear_memo();
                split_header(l, 2026)
            })
            .collect();
        for first in 0..lines.len() {
            clear_memo();
            for k in 0..lines.len() {
                let i = (first + k) % lines.len();
                assert_eq!(
                    split_header(lines[i], 2026),
                    full[i],
                    "{} after {}",
                    lines[i],
                    lines[first]
                );
            }
        }
        assert_eq!(full[1].level, Some(Level::Warn));
        assert_eq!(full[1].message, "Retrying charge (attempt 2 of 5)");
    }

    /// Header shapes of many systems, for the shortcut tests.
    const SHAPES: &[&str] = &[
        "Nov 21 14:00:00 web-1 payments[5100]: Charged order 90001 for 100 cents",
        "Jun  9 06:06:20 combo syslogd 1.4.1: restart.",
        "<13>Nov 21 14:00:05 web-1 app: hello",
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
        "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected",
        "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating",
        "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster",
        "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
        "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b] 10.11.10.1 \"GET /v2/servers HTTP/1.1\" status: 200",
        "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers",
        "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200",
        "134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change",
        "I1001 12:00:00.123456    1234 server.go:42] Listening",
        "10-01 12:00:00.123  1234  5678 W ActivityManager: Slow operation",
        "2024-03-01T14:02:00.123+02:00 WARN checkout - Retrying connect",
        "1445144423722 INFO worker started",
        "10/Oct/2000:13:55:36 -0700 GET /index.html 200",
        "12:00:00.123 [main] DEBUG app - tick",
        "Sun Dec 04 04:47:44 2005 client denied",
        "2024-03-01 14:02:00 INFO [req-1a2b3c abc] [instance: 9f8e] VM Started",
        "2024-03-01 14:02:00 INFO [main] app: [info] started",
        "2024-03-01 14:02:00 [abc] [dec 04 04:47:44] x",
        "[Sun Dec 04 04:47:44 2005] [abcde] app started",
        "time=2024-03-01T14:02:00Z level=info msg=\"retry 3 of 5\" port=8080",
        "ts=1709301720 lvl=warn msg=slow k9=v2 x=\"a \\\"q\\\" 7\"",
        "<165>1 2003-10-11T22:14:15.003Z host app 123 ID47 - started",
    ];

    use crate::testing::{digits, loghub_logs, with_digits};

    /// `line` with some of its ASCII letters replaced: the k-th letter becomes the letter
    /// `picks[k]` (same case) when that is below 26, and stays otherwise.
    fn with_letters(line: &str, picks: &[u8]) -> String {
        let mut k = 0;
        line.chars()
            .map(|c| {
                if !c.is_ascii_alphabetic() || picks.is_empty() {
                    return c;
                }
                k += 1;
                let p = picks[(k - 1) % picks.len()];
                match (p < 26, c.is_ascii_uppercase()) {
                    (false, _) => c,
                    (true, true) => char::from(b'A' + p),
                    (true, false) => char::from(b'a' + p),
                }
            })
            .collect()
    }

    /// Splits `variant` after `first` left its layout, and in full.
    fn shortcut_and_full<'v>(first: &str, variant: &'v str) -> (Record<'v>, Record<'v>) {
        clear_memo();
        split_header(first, 2026);
        let shortcut = split_header(variant, 2026);
        clear_memo();
        let full = split_header(variant, 2026);
        // The line cache too: `first` leaves its line, then `variant` (the same shape when
        // only digits changed) is split and keyed through it.
        let masker = crate::mask::Masker::default();
        let mask = |m: &str, k: &mut String| masker.mask_into(m, k, None);
        clear_memo();
        let mut key = String::new();
        split_and_key(first, 2026, &mut key, &mask);
        let cached = split_and_key(variant, 2026, &mut key, &mask);
        assert_eq!(cached, full, "line cache: {variant:?} after {first:?}");
        assert_eq!(
            key,
            masker.mask(&full.message),
            "line cache key: {variant:?}"
        );
        (shortcut, full)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// A line of the same shape (other digits, in or out of range) splits through a
        /// layout exactly as a full scan splits it.
        #[test]
        fn the_layout_shortcut_reads_other_digits_as_a_full_scan(
            which in 0..SHAPES.len(),
            digits in proptest::collection::vec(0u8..10, 1..40),
        ) {
            let line = SHAPES[which];
            let variant = with_digits(line, &digits);
            let (shortcut, full) = shortcut_and_full(line, &variant);
            proptest::prop_assert_eq!(shortcut, full, "{} after {}", variant, line);
        }

        /// The same with letters changed too (a bracket group whose letters changed may
        /// have become a level, a time or a pid).
        #[test]
        fn the_layout_shortcut_reads_other_letters_as_a_full_scan(
            which in 0..SHAPES.len(),
            digits in proptest::collection::vec(0u8..10, 1..40),
            picks in proptest::collection::vec(0u8..40, 1..60),
        ) {
            let line = SHAPES[which];
            let variant = with_letters(&with_digits(line, &digits), &picks);
            let (shortcut, full) = shortcut_and_full(line, &variant);
            proptest::prop_assert_eq!(shortcut, full, "{} after {}", variant, line);
        }
    }

    /// `line` with digits set: each edit `(k, d)` makes its k-th digit (counted modulo the
    /// number of digits) `d`.
    fn with_digits_set(line: &str, edits: &[(usize, u8)]) -> String {
        let mut b = line.as_bytes().to_vec();
        let at: Vec<usize> = (0..b.len()).filter(|&i| b[i].is_ascii_digit()).collect();
        for &(k, d) in edits.iter().filter(|_| !at.is_empty()) {
            b[at[k % at.len()]] = b'0' + d;
        }
        String::from_utf8(b).expect("digits for digits")
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// Lines of one shape in a row, each a few digits away from the one before (most
        /// often in its time: seconds, minutes, hours, days, in range or not), split through
        /// the layout and the memo of its last time as a full scan splits them, keys too.
        #[test]
        fn lines_in_a_row_read_their_times_as_a_full_scan(
            which in 0..SHAPES.len(),
            edits in proptest::collection::vec(
                proptest::collection::vec((0usize..24, 0u8..10), 0..4),
                1..10,
            ),
        ) {
            let line = SHAPES[which];
            let mut variants = Vec::new();
            let mut current = line.to_string();
            for e in &edits {
                current = with_digits_set(&current, e);
                variants.push(current.clone());
            }
            let full: Vec<Record<'static>> = variants
                .iter()
                .map(|v| {
                    clear_memo();
                    split_header(v, 2026).into_owned()
                })
                .collect();
            clear_memo();
            split_header(line, 2026);
            for (v, want) in variants.iter().zip(&full) {
                proptest::prop_assert_eq!(&split_header(v, 2026), want, "layout: {} after {}", v, line);
            }
            let masker = crate::mask::Masker::default();
            let mask = |m: &str, k: &mut String| masker.mask_into(m, k, None);
            clear_memo();
            let mut key = String::new();
            split_and_key(line, 2026, &mut key, &mask);
            for (v, want) in variants.iter().zip(&full) {
                let got = split_and_key(v, 2026, &mut key, &mask);
                proptest::prop_assert_eq!(&got, want, "line cache: {} after {}", v, line);
                proptest::prop_assert_eq!(&key, &masker.mask(&want.message));
            }
        }
    }

    /// `line` with its k-th ASCII letter or digit replaced by the pick: below 26 a
    /// lower-case letter, below 52 an upper-case one, below 62 a digit, else unchanged.
    fn with_letter_kinds(line: &str, picks: &[u8]) -> String {
        let mut k = 0;
        line.chars()
            .map(|c| {
                if !c.is_ascii_alphanumeric() || picks.is_empty() {
                    return c;
                }
                k += 1;
                match picks[(k - 1) % picks.len()] {
                    p @ 0..26 => char::from(b'a' + p),
                    p @ 26..52 => char::from(b'A' + p - 26),
                    p @ 52..62 => char::from(b'0' + p - 52),
                    _ => c,
                }
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1500))]
        /// Words whose letters change case or become digits (a host name that is no longer
        /// one, a word that became a level) split through a layout as a full scan.
        #[test]
        fn the_layout_shortcut_reads_words_of_other_letters_as_a_full_scan(
            which in 0..SHAPES.len(),
            token in 0usize..12,
            picks in proptest::collection::vec(0u8..70, 1..20),
        ) {
            // One token changed, so that the rest of the line still fits the layout.
            let line = SHAPES[which];
            let variant = line
                .split(' ')
                .enumerate()
                .map(|(k, t)| if k == token { with_letter_kinds(t, &picks) } else { t.to_string() })
                .collect::<Vec<_>>()
                .join(" ");
            let (shortcut, full) = shortcut_and_full(line, &variant);
            proptest::prop_assert_eq!(shortcut, full, "{} after {}", variant, line);
        }
    }

    #[test]
    fn a_word_whose_letters_make_it_something_else_is_scanned_again() {
        for (first, variant) in [
            // no longer a host name
            (
                "Jun 14 15:16:01 combo logrotate: ALERT exited abnormally",
                "Jun 14 15:16:01 COMBO logrotate: ALERT exited abnormally",
            ),
            // no longer a dotted logger name
            (
                "2024-03-01 14:02:00 INFO com.acme.Foo - started",
                "2024-03-01 14:02:00 INFO 0om.acme.Foo - started",
            ),
            // now a level
            (
                "2024-03-01 14:02:00 KERNEL boot started now",
                "2024-03-01 14:02:00 NOTICE boot started now",
            ),
            // no longer a plain word before an epoch
            ("foo 1117838570 started", "f0o 1117838570 started"),
        ] {
            let (shortcut, full) = shortcut_and_full(first, variant);
            assert_eq!(shortcut, full, "{variant} after {first}");
            let (_, plain) = shortcut_and_full(first, first);
            assert_ne!(
                (plain.level, plain.service.is_some(), plain.message.len()),
                (full.level, full.service.is_some(), full.message.len()),
                "{variant} must split otherwise than {first}"
            );
        }
    }

    #[test]
    fn a_bracket_group_whose_letters_make_it_something_else_is_scanned_again() {
        for (first, variant) in [
            (
                "2024-03-01 14:02:00 [abcde] x",
                "2024-03-01 14:02:00 [error] x",
            ),
            (
                "2024-03-01 14:02:00 [abcd] x",
                "2024-03-01 14:02:00 [WARN] x",
            ),
            (
                "2024-03-01 14:02:00 [abc 1234] x",
                "2024-03-01 14:02:00 [pid 1234] x",
            ),
            (
                "Jan 01 14:02:00 [abc 04 04:47:44 2005] x",
                "Jan 01 14:02:00 [Dec 04 04:47:44 2005] x",
            ),
        ] {
            let (shortcut, full) = shortcut_and_full(first, variant);
            assert_eq!(shortcut, full, "{variant} after {first}");
            let (_, plain) = shortcut_and_full(first, first);
            assert_ne!(plain, full, "{variant} must split otherwise than {first}");
        }
    }

    /// Tokens of every kind the scanner tells apart, to make up lines and messages from.
    const VOCAB: &[&str] = &[
        "ERROR",
        "WARN:",
        "warn",
        "info:",
        "[warn]",
        "<INFO>",
        "[core:error]",
        "-",
        "--",
        ":",
        "|",
        "*",
        "->",
        "[  12.345678]",
        "[main]",
        "[pid 12]",
        "[12]",
        "[abc def]",
        "<13>",
        "foo.bar.Baz",
        "foo.bar.Baz:",
        "app:",
        "App:",
        "prog[12]:",
        "sshd(pam_unix)[19939]:",
        "file.go:42",
        "file.py:42]",
        "12",
        "1234:",
        "0x1f",
        "x=1",
        "\"q\"",
        "'q'",
        "{",
        "hello",
        "world",
        "Hello",
        "a",
        "I",
        "W",
        "E",
        "2024-03-01",
        "14:02:00",
        "2024-03-01 14:02:00",
        "2024-03-01T14:02:00.123Z",
        "Jun 14 15:16:01",
        "1117838570",
        "081109 203615",
        "17/06/09 20:10:40",
        "(uid=0)",
        "a,b",
        "combo",
        "node-12",
        "INFO:app:",
        "stdout F",
        "Sun Dec 04 04:47:44 2005",
        "12:00:00.123",
        "2005-06-03-15.42.50.675872",
        "done.",
        "INFO",
        "DEBUG",
        "checkout",
        "Step_LSC",
    ];

    fn vocab_line(picks: &[usize], tabs: &[bool]) -> String {
        let mut line = String::new();
        for (k, &p) in picks.iter().enumerate() {
            if k > 0 {
                line.push_str(if tabs.get(k).copied().unwrap_or(false) {
                    "\t"
                } else {
                    " "
                });
            }
            line.push_str(VOCAB[p % VOCAB.len()]);
        }
        line
    }

    fn scan_result(
        s: &str,
        early_exit: bool,
    ) -> (Option<Timestamp>, Option<Level>, Option<String>, usize) {
        let sc = scan_with(s, 2026, true, early_exit);
        (sc.time, sc.level, sc.service, sc.committed)
    }

    #[test]
    fn the_early_exit_decides_as_a_scan_to_the_end_on_loghub_lines() {
        let Some(logs) = loghub_logs() else { return };
        for (name, log) in &logs {
            for line in log.lines() {
                let s = trim_line_end(line);
                assert_eq!(scan_result(s, true), scan_result(s, false), "{name}: {s:?}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Stopping as soon as nothing later can change the scan's decisions changes none.
        #[test]
        fn the_early_exit_decides_as_a_scan_to_the_end(
            picks in proptest::collection::vec(0usize..1000, 1..14),
            tabs in proptest::collection::vec(proptest::bool::weighted(0.1), 0..14),
        ) {
            let line = vocab_line(&picks, &tabs);
            proptest::prop_assert_eq!(scan_result(&line, true), scan_result(&line, false), "{:?}", line);
        }

        /// A layout whose scan asked questions of the message's first token (a closing
        /// separator, an uptime, a loud level) splits lines with other messages as a full scan.
        #[test]
        fn the_layout_shortcut_reads_other_messages_as_a_full_scan(
            which in 0..SHAPES.len(),
            picks in proptest::collection::vec(0usize..1000, 1..6),
        ) {
            let line = SHAPES[which];
            clear_memo();
            let header = &line[..skip_ws(line, scan(line, 2026, true).committed)];
            let variant = format!("{header}{}", vocab_line(&picks, &[]));
            let (shortcut, full) = shortcut_and_full(line, &variant);
            proptest::prop_assert_eq!(shortcut, full, "{} after {}", variant, line);
        }
    }

    #[test]
    fn the_layout_shortcut_reads_loghub_lines_with_other_digits_as_a_full_scan() {
        let Some(logs) = loghub_logs() else { return };
        let mut seed = 0x9e37_79b9_u64;
        let mut checked = 0;
        for (name, log) in &logs {
            for line in log.lines().step_by(7) {
                let digits = digits(&mut seed, 24);
                let variant = with_digits(line, &digits);
                let (shortcut, full) = shortcut_and_full(line, &variant);
                assert_eq!(shortcut, full, "{name}: {variant:?} after {line:?}");
                let picks: Vec<u8> = digits.iter().map(|d| d * 4 + 1).collect();
                let variant = with_letters(&variant, &picks);
                let (shortcut, full) = shortcut_and_full(line, &variant);
                assert_eq!(shortcut, full, "{name}: {variant:?} after {line:?}");
                checked += 1;
            }
        }
        println!("{checked} variants checked");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The hand-read ctime finds what the pattern finds, parts and all.
        #[test]
        fn the_ctime_shortcut_reads_as_the_pattern_does(
            pieces in (
                proptest::prop_oneof![
                    proptest::prelude::Just(""), proptest::prelude::Just("Sun "),
                    proptest::prelude::Just("SUN "), proptest::prelude::Just("Sun, "),
                    proptest::prelude::Just("sun "),
                ],
                proptest::prop_oneof![
                    proptest::prelude::Just("Jun"), proptest::prelude::Just("JUN"),
                    proptest::prelude::Just("jun"), proptest::prelude::Just("jUN"),
                    proptest::prelude::Just("Feb"), proptest::prelude::Just("Mon"),
                ],
                proptest::prop_oneof![
                    8 => proptest::string::string_regex(" {1,2}[0-9]{1,2} ").unwrap(),
                    1 => proptest::string::string_regex("[ ]{0,3}[0-9]{0,3}[ ,]{0,2}").unwrap(),
                ],
                proptest::prop_oneof![
                    8 => proptest::string::string_regex("[0-9]{1,2}:[0-9]{2}").unwrap(),
                    1 => proptest::string::string_regex("([0-9]{4} )?[0-9]{0,3}:[0-9]{1,3}").unwrap(),
                ],
                proptest::prop_oneof![
                    8 => proptest::string::string_regex("(:[0-9]{2})?([.,][0-9]{1,3})?").unwrap(),
                    1 => proptest::string::string_regex("(:[0-9]{1,3})?([.,][0-9]{0,10})?").unwrap(),
                ],
                proptest::string::string_regex("( (19|20|21)[0-9]{1,3})?").unwrap(),
                proptest::string::string_regex("([ \\t]?(Z|[+-][0-9]{2}|UTC|GMT|Zoo))?").unwrap(),
                proptest::string::string_regex("[ \\]|:;x0-]{0,2}").unwrap(),
            ),
        ) {
            let (a, b, c, d, e, f, g, h) = pieces;
            let pieces = [a.to_string(), b.to_string(), c, d, e, f, g, h];
            let text = pieces.concat();
            let slow = time_by_patterns(&text, 2024, 0, 0, false, true);
            match ctime_fast(&text, 2024) {
                Ok(fast) => {
                    let slow = slow.found.expect("the pattern reads it too");
                    proptest::prop_assert_eq!(
                        (fast.end, fast.ts, fast.kind, fast.parts),
                        (slow.end, slow.ts, slow.kind, slow.parts),
                        "{:?}", text
                    );
                }
                Err(true) => proptest::prop_assert!(slow.found.is_none(), "{:?}", text),
                Err(false) => {}
            }
        }
    }

    #[test]
    fn the_ctime_shortcut_reads_syslog_and_ctime() {
        for text in [
            "Jun 14 15:16:01 combo",
            "Sun Dec 04 04:47:44 2005]",
            "Jun  9 06:06:20 x",
        ] {
            let fast = ctime_fast(text, 2024).unwrap_or_else(|e| panic!("{text}: {e}"));
            let slow = time_by_patterns(text, 2024, 0, 0, false, true)
                .found
                .unwrap();
            assert_eq!(
                (fast.end, fast.ts, fast.parts),
                (slow.end, slow.ts, slow.parts)
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        /// Times built from the day's first second are the times the calendar gives, on
        /// the same day as the time before or another, valid or not, at the range's ends.
        #[test]
        fn times_built_by_the_day_are_the_calendars(
            y in proptest::prop_oneof![0i64..=9999, proptest::prelude::Just(9999i64), proptest::prelude::Just(0i64), -1i64..=10001],
            mo in -1i64..=13,
            d in -1i64..=32,
            h in -1i64..=24,
            mi in -1i64..=60,
            sec in -1i64..=61,
            nanos in proptest::prop_oneof![0i32..=999_999_999, proptest::prelude::Just(1_000_000_000i32), proptest::prelude::Just(-1i32)],
            off in proptest::prop_oneof![-100_000i32..=100_000, -93_599i32..=93_599, proptest::prelude::Just(0i32)],
            same_day in proptest::bool::ANY,
        ) {
            if same_day {
                build_ts(y, mo, d, 12, 0, 0, 0, 0);
            }
            proptest::prop_assert_eq!(
                build_ts(y, mo, d, h, mi, sec, nanos, off),
                build_ts_civil(y, mo, d, h, mi, sec, nanos, off)
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Tokens of letters and digits read the same by the short way as by every question.
        #[test]
        fn plain_tokens_read_as_every_question_reads_them(
            t in proptest::prop_oneof![
                "[A-Za-z0-9]{1,12}",
                "(?i)(info|warn|warning|error|err|debug|fatal|notice|trace|crit)[0-9]?",
            ],
        ) {
            let fast = plain_token(&t, t.len()).expect("letters and digits");
            let slow = punctuated_token(&t, 0, t.len());
            proptest::prop_assert_eq!(
                (fast.kind, fast.end, fast.text, fast.level),
                (slow.kind, slow.end, slow.text, slow.level)
            );
        }
    }

    proptest::proptest! {
        /// Messages are trimmed as `str::trim` trims them.
        #[test]
        fn messages_trim_as_str_trim(m in "[ \t\u{0b}\u{0c}\u{3000}\u{a0}a-z.é]{0,8}") {
            proptest::prop_assert_eq!(trim_message(&m), m.trim());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// A question that the first byte says cannot be answered yes is answered no.
        #[test]
        fn probes_answer_no_where_their_first_byte_says_so(
            picks in proptest::collection::vec(0usize..1000, 1..4),
            pipe_mode in proptest::bool::ANY,
        ) {
            let line = vocab_line(&picks, &[]);
            let tok = next_token(&line, 0, 2026, pipe_mode);
            for ask in [Ask::Closing, Ask::Uptime, Ask::LoudLevel] {
                if ask.yes(&tok) {
                    proptest::prop_assert!(ask.may_be_yes(line.as_bytes().first().copied()), "{:?} {:?}", ask, line);
                }
            }
        }
    }

    proptest::proptest! {
        /// Nanoseconds from a fraction's digits as first written: nine places, a missing
        /// one as `0`, a byte that is no digit as 9.
        #[test]
        fn fractions_read_as_nine_places(digits in "[0-9a.]{0,12}") {
            let mut v = 0i32;
            for k in 0..9 {
                let c = digits.as_bytes().get(k).copied().unwrap_or(b'0');
                v = v * 10 + i32::from(c.wrapping_sub(b'0').min(9));
            }
            proptest::prop_assert_eq!(frac_nanos(Some(&digits)), v, "{:?}", digits);
        }
    }

    /// `read_bracket` as it was written first, a byte at a time: the reference.
    fn read_bracket_by_byte(s: &str, i: usize) -> Option<usize> {
        let b = s.as_bytes();
        let open = *b.get(i)?;
        let close = match open {
            b'[' => b']',
            b'(' => b')',
            b'<' => b'>',
            _ => return None,
        };
        let mut depth = 0i32;
        let mut j = i;
        while j < b.len() && j - i <= 512 {
            if b[j] == open {
                depth += 1;
            } else if b[j] == close {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            j += 1;
        }
        None
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Brackets found by jumps are the brackets found byte by byte, near the 512-byte
        /// reach too.
        #[test]
        fn brackets_are_found_as_byte_by_byte(
            text in "[\\[\\]()<>a ]{0,40}",
            pad in 0usize..600,
            at in 0usize..8,
        ) {
            let s = format!("{}{}{}", &text[..text.len().min(4)], "x".repeat(pad), text);
            for i in [0, at.min(s.len())] {
                proptest::prop_assert_eq!(read_bracket(&s, i), read_bracket_by_byte(&s, i), "{:?} at {}", s, i);
            }
        }
    }

    #[test]
    fn offsets_and_month_names() {
        for (off, secs) in [
            ("Z", 0),
            ("UTC", 0),
            ("+02", 7200),
            ("-0700", -25200),
            ("+05:30", 19800),
            ("+1", 0),
            ("+023", 7200),
        ] {
            assert_eq!(offset_seconds(Some(off)), secs, "{off}");
        }
        assert_eq!(month_number("Jan"), Some(1));
        assert_eq!(month_number("DEC"), Some(12));
        assert_eq!(month_number("sEp"), Some(9));
        assert_eq!(month_number("Juni"), None);
    }

    #[test]
    fn times_at_the_end_of_the_range_are_the_calendars() {
        for (d, h, off) in [
            (30, 23, 0),
            (31, 0, 18_000),
            (31, 23, 93_599),
            (30, 21, -3_600),
        ] {
            let civil = build_ts_civil(9999, 12, d, h, 30, 0, 0, off);
            assert_eq!(
                build_ts(9999, 12, d, h, 30, 0, 0, off),
                civil,
                "9999-12-{d} {h}:30 {off}"
            );
        }
        assert!(build_ts(9999, 12, 31, 0, 30, 0, 0, 18_000).is_some());
    }

    #[test]
    fn loghub_messages_match_content() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/loghub");
        if !dir.is_dir() {
            println!("skipping: {} not found", dir.display());
            return;
        }
        // Floors slightly below what the Python prototype measured (see the report).
        let floors = [
            ("Apache", 0.99),
            ("BGL", 0.99),
            ("HDFS", 0.99),
            ("HPC", 0.99),
            ("Hadoop", 0.99),
            ("HealthApp", 0.99),
            ("Linux", 0.97),
            ("OpenStack", 0.99),
            ("Spark", 0.99),
            ("Zookeeper", 0.99),
        ];
        let mut failures = Vec::new();
        for (system, floor) in floors {
            let log = dir.join(system).join(format!("{system}_2k.log"));
            let csv = dir
                .join(system)
                .join(format!("{system}_2k.log_structured_corrected.csv"));
            let (Ok(log), Ok(csv)) = (std::fs::read(&log), std::fs::read(&csv)) else {
                println!("skipping {system}: files missing");
                continue;
            };
            let log = String::from_utf8_lossy(&log);
            let csv = String::from_utf8_lossy(&csv);
            let rows = read_csv(csv.trim_start_matches('\u{feff}'));
            let header = &rows[0];
            let content = header
                .iter()
                .position(|h| h == "Content")
                .expect("Content column");
            let mut total = 0usize;
            let mut equal = 0usize;
            let mut shown = 0;
            for (line, row) in log.lines().zip(rows.iter().skip(1)) {
                let Some(want) = row.get(content) else {
                    continue;
                };
                total += 1;
                let got = split_header(line, 2005);
                // The layout shortcut must decide exactly as a full scan does.
                clear_memo();
                let full = split_header(line, 2005);
                assert_eq!(got, full, "{system}: the shortcut differs on {line:?}");
                if got.message.trim() == want.trim() {
                    equal += 1;
                } else if shown < 3 {
                    shown += 1;
                    println!(
                        "{system}: {line:?}\n    got  {:?}\n    want {:?}",
                        got.message, want
                    );
                }
            }
            let share = equal as f64 / total.max(1) as f64;
            println!("{system}: {equal}/{total} = {share:.4}");
            if share < floor {
                failures.push(format!("{system}: {share:.4} < {floor}"));
            }
        }
        assert!(failures.is_empty(), "below floor: {failures:?}");
    }
}
