//! Times and dates as people type them, and as debrief writes them.
//!
//! debrief keeps instants in UTC to the second and writes them in RFC 3339
//! (`2024-03-01T14:02:00Z`); dates are `YYYY-MM-DD`. A time given without an offset is taken
//! as UTC. Nothing here reads the clock: functions that accept relative input ("2h ago",
//! "+7d") take the current instant from the caller.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::InvalidValue;

/// Truncates an instant to whole seconds, the precision debrief stores.
pub fn to_seconds(ts: Timestamp) -> Timestamp {
    Timestamp::from_second(ts.as_second()).expect("a whole second of a valid timestamp is valid")
}

/// The canonical text of an instant: `2024-03-01T14:02:00Z`.
pub fn format_time(ts: Timestamp) -> String {
    to_seconds(ts).to_string()
}

/// Parses an instant written as RFC 3339 (`2024-03-01T14:02:00Z`, `…+02:00`), as a date and
/// time without offset (`2024-03-01 14:02`, taken as UTC), as `now`, or as a span before now
/// (`15m ago`, `2h ago`, `3d ago`).
pub fn parse_time(input: &str, now: Timestamp) -> Result<Timestamp, InvalidValue> {
    let s = input.trim();
    if s.eq_ignore_ascii_case("now") {
        return Ok(to_seconds(now));
    }
    if let Some(span) = s.strip_suffix("ago").or_else(|| s.strip_suffix("AGO")) {
        let d = parse_span(span.trim()).ok_or_else(|| bad_time(input))?;
        return now
            .checked_sub(d)
            .map(to_seconds)
            .map_err(|_| bad_time(input));
    }
    parse_absolute(s).ok_or_else(|| bad_time(input))
}

fn parse_absolute(s: &str) -> Option<Timestamp> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(to_seconds(ts));
    }
    if s.len() > 10 {
        if let Ok(dt) = s.parse::<DateTime>() {
            return dt
                .to_zoned_datetime(TimeZone::UTC)
                .ok()
                .map(|z| to_seconds(z.timestamp()));
        }
    }
    None
}

fn bad_time(input: &str) -> InvalidValue {
    InvalidValue::new(format!(
        "invalid time {input:?} (expected RFC 3339 like 2024-03-01T14:02:00Z, \
         a UTC date and time like \"2024-03-01 14:02\", \"now\", or \"2h ago\")"
    ))
}

/// Parses a span: a whole number and a unit, `s`, `m`, `h`, `d` or `w` (`90m`, `24h`, `7d`).
pub fn parse_span(s: &str) -> Option<SignedDuration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 7 * 86_400,
        _ => return None,
    };
    Some(SignedDuration::from_secs(n.checked_mul(secs)?))
}

/// Parses the start of a period for `--since`: a span back from now (`7d`, `24h`) or an
/// absolute date (`2024-03-01`, midnight UTC) or time.
pub fn parse_since(input: &str, now: Timestamp) -> Result<Timestamp, InvalidValue> {
    let s = input.trim();
    if let Some(d) = parse_span(s) {
        return now
            .checked_sub(d)
            .map(to_seconds)
            .map_err(|_| bad_since(input));
    }
    if let Ok(date) = s.parse::<Date>() {
        if s.len() == 10 {
            return date
                .to_zoned_datetime(TimeZone::UTC)
                .map(|z| z.timestamp())
                .map_err(|_| bad_since(input));
        }
    }
    parse_time(s, now).map_err(|_| bad_since(input))
}

fn bad_since(input: &str) -> InvalidValue {
    InvalidValue::new(format!(
        "invalid --since {input:?} (expected a span like 24h, 7d or 2w, a date like 2024-03-01, \
         or an RFC 3339 time)"
    ))
}

/// Parses a calendar date: `YYYY-MM-DD`, `today`, or a span ahead of today (`+7d`, `+2w`).
pub fn parse_date(input: &str, today: Date) -> Result<Date, InvalidValue> {
    let s = input.trim();
    if s.eq_ignore_ascii_case("today") {
        return Ok(today);
    }
    if let Some(rest) = s.strip_prefix('+') {
        if let Some(d) = parse_span(rest) {
            let days = d.as_secs() / 86_400;
            if d.as_secs() % 86_400 == 0 {
                if let Ok(date) = today.checked_add(jiff::Span::new().days(days)) {
                    return Ok(date);
                }
            }
        }
    }
    if s.len() == 10 {
        if let Ok(date) = s.parse::<Date>() {
            return Ok(date);
        }
    }
    Err(InvalidValue::new(format!(
        "invalid date {input:?} (expected YYYY-MM-DD like 2024-03-31, \"today\", or +7d / +2w)"
    )))
}

/// A span of minutes as a person reads it: `45m`, `6.5h`, `12.0d`.
pub fn minutes_text(minutes: i64) -> String {
    if minutes < 120 {
        format!("{minutes}m")
    } else if minutes < 48 * 60 {
        format!("{:.1}h", minutes as f64 / 60.0)
    } else {
        format!("{:.1}d", minutes as f64 / 1440.0)
    }
}

/// The UTC calendar date of an instant.
pub fn utc_date(ts: Timestamp) -> Date {
    ts.to_zoned_datetime(TimeZone::UTC).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-23T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn times_parse_to_utc_seconds() {
        let cases = [
            ("2024-03-01T14:02:00Z", "2024-03-01T14:02:00Z"),
            ("2024-03-01T16:02:00+02:00", "2024-03-01T14:02:00Z"),
            ("2024-03-01T14:02:00.987Z", "2024-03-01T14:02:00Z"),
            ("2024-03-01 14:02", "2024-03-01T14:02:00Z"),
            ("2024-03-01T14:02:05", "2024-03-01T14:02:05Z"),
            ("now", "2026-11-23T12:00:00Z"),
            ("90m ago", "2026-11-23T10:30:00Z"),
            ("2d ago", "2026-11-21T12:00:00Z"),
        ];
        for (input, want) in cases {
            let got = parse_time(input, now()).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(format_time(got), want, "{input}");
        }
    }

    #[test]
    fn bad_times_say_what_is_expected() {
        for input in [
            "yesterday-ish",
            "2024-13-01T00:00:00Z",
            "2024-03-01",
            "",
            "5 parsecs ago",
        ] {
            let err = parse_time(input, now()).unwrap_err();
            assert!(err.message.starts_with("invalid time"), "{input}: {err}");
        }
    }

    #[test]
    fn since_takes_spans_and_dates() {
        assert_eq!(
            format_time(parse_since("7d", now()).unwrap()),
            "2026-11-16T12:00:00Z"
        );
        assert_eq!(
            format_time(parse_since("2024-03-01", now()).unwrap()),
            "2024-03-01T00:00:00Z"
        );
        assert!(parse_since("last tuesday", now()).is_err());
    }

    #[test]
    fn dates_parse_strictly() {
        let today = utc_date(now());
        assert_eq!(
            parse_date("2024-03-31", today).unwrap().to_string(),
            "2024-03-31"
        );
        assert_eq!(parse_date("+7d", today).unwrap().to_string(), "2026-11-30");
        assert_eq!(parse_date("+2w", today).unwrap().to_string(), "2026-12-07");
        assert_eq!(parse_date("today", today).unwrap(), today);
        for input in ["2024-02-30", "next week", "2024-3-1", "+5h", "31/03/2024"] {
            assert!(parse_date(input, today).is_err(), "{input}");
        }
    }
}
