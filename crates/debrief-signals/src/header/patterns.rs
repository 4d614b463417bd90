//! The time patterns of [`super::TIME_PATTERNS`], read by hand.
//!
//! Each reader finds exactly what its pattern's match finds: where the match ends and where
//! each named part is ([`Parts`]), or no match. A property test holds every reader against
//! its pattern on generated and mutated times. The header scanner asks for a time at every
//! token of a line whose layout it has not seen, and a pattern with captures costs far more
//! per call than a walk over a few bytes.
//!
//! The patterns are anchored, their repetitions count ASCII digits, and every run of digits
//! is followed by a byte that is no digit or by nothing but optional groups. So taking as
//! many digits as a repetition allows, and failing when what must follow does not, finds
//! what the patterns' leftmost-first search finds: giving digits back never helps.
//! Ctime (month and weekday names, commas, a year before or after the time) stays with its
//! pattern behind the hand reader `ctime_fast` for its common shapes.

use super::{Part, Parts, TimeKind, month_name};

/// Reads a time's pattern by hand: where the match ends and its parts, or no match.
pub(super) type Reader = fn(&str) -> Option<(usize, Parts)>;

/// The hand reader for `kind`'s pattern, when there is one.
pub(super) fn reader(kind: TimeKind) -> Option<Reader> {
    Some(match kind {
        TimeKind::Iso => iso,
        TimeKind::Db2 => db2,
        TimeKind::Compact => compact,
        TimeKind::IsoBasic => iso_basic,
        TimeKind::YyMmDd => yymmdd,
        TimeKind::Slash2 => slash2,
        TimeKind::Slash4 => slash4,
        TimeKind::Clf => clf,
        TimeKind::Glog => glog,
        TimeKind::MmDd => mmdd,
        TimeKind::IsoDate => iso_date,
        TimeKind::TimeOnly => time_only,
        TimeKind::Epoch => epoch,
        TimeKind::Ctime => return None,
    })
}

/// A position in the text being matched, and the parts found so far.
struct Cur<'s> {
    b: &'s [u8],
    i: usize,
    parts: Parts,
}

impl<'s> Cur<'s> {
    fn new(s: &'s str) -> Cur<'s> {
        Cur {
            b: s.as_bytes(),
            i: 0,
            parts: Parts::NONE,
        }
    }

    fn mark(&mut self, part: Part, a: usize, e: usize) {
        // As `Parts::from_captures`: a part past what `u16` holds is left out.
        if let (Ok(a), Ok(e)) = (u16::try_from(a), u16::try_from(e)) {
            self.parts.0[part as usize] = (a, e);
        }
    }

    fn digit_run(&self) -> usize {
        self.b[self.i..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    }

    /// `[0-9]{lo,hi}`, as many as there are up to `hi`.
    fn digits(&mut self, part: Option<Part>, lo: usize, hi: usize) -> Option<()> {
        let n = self.digit_run().min(hi);
        if n < lo {
            return None;
        }
        if let Some(part) = part {
            self.mark(part, self.i, self.i + n);
        }
        self.i += n;
        Some(())
    }

    /// One byte of `set`.
    fn one(&mut self, set: &[u8]) -> Option<u8> {
        let c = *self.b.get(self.i)?;
        if !set.contains(&c) {
            return None;
        }
        self.i += 1;
        Some(c)
    }

    /// One byte of `set`, as `part`.
    fn one_as(&mut self, part: Part, set: &[u8]) -> Option<()> {
        self.one(set)?;
        self.mark(part, self.i - 1, self.i);
        Some(())
    }

    /// `(?:[seps](?P<part>[0-9]{1,max}))?`
    fn fraction(&mut self, part: Part, seps: &[u8], max: usize) {
        let at = self.i;
        if self.one(seps).is_some() && self.digits(Some(part), 1, max).is_none() {
            self.i = at;
        }
    }

    /// `HMS`: `(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?(?:[.,](?P<frac>[0-9]{1,9}))?`
    fn hms(&mut self) -> Option<()> {
        self.digits(Some(Part::H), 1, 2)?;
        self.one(b":")?;
        self.digits(Some(Part::Mi), 2, 2)?;
        let at = self.i;
        if self.one(b":").is_some() && self.digits(Some(Part::S), 2, 2).is_none() {
            self.i = at;
        }
        self.fraction(Part::Frac, b".,", 9);
        Some(())
    }

    /// `OFF`: `(?:[ \t]?(?P<off>Z|[+-][0-9]{2}(?::?[0-9]{2})?|UTC|GMT))?`
    fn offset(&mut self) {
        let at = self.i;
        if matches!(self.b.get(self.i), Some(b' ' | b'\t')) {
            self.i += 1;
            if self.zone() {
                return;
            }
            self.i = at;
        }
        self.zone();
    }

    /// The offset itself at the cursor, taken as `off` when there is one.
    fn zone(&mut self) -> bool {
        let start = self.i;
        let rest = &self.b[start..];
        let len = if rest.starts_with(b"Z") {
            1
        } else if rest.starts_with(b"UTC") || rest.starts_with(b"GMT") {
            3
        } else if matches!(rest.first(), Some(b'+' | b'-'))
            && rest.len() >= 3
            && rest[1..3].iter().all(u8::is_ascii_digit)
        {
            let digits_at =
                |k: usize| rest.len() >= k + 2 && rest[k..k + 2].iter().all(u8::is_ascii_digit);
            if rest.get(3) == Some(&b':') && digits_at(4) {
                6
            } else if digits_at(3) {
                5
            } else {
                3
            }
        } else {
            return false;
        };
        self.mark(Part::Off, start, start + len);
        self.i += len;
        true
    }

    /// `[Jj]an|…|[Dd]ec|JAN|…|DEC` as `mon`.
    fn month(&mut self) -> Option<()> {
        if !month_name(self.b.get(self.i..self.i + 3)?) {
            return None;
        }
        self.mark(Part::Mon, self.i, self.i + 3);
        self.i += 3;
        Some(())
    }

    fn done(self) -> Option<(usize, Parts)> {
        Some((self.i, self.parts))
    }
}

/// `^(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{2})[-/.](?P<d>[0-9]{2})(?:T| +)` HMS OFF
fn iso(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.digits(Some(Part::Y), 4, 4)?;
    c.one(b"-/.")?;
    c.digits(Some(Part::M), 2, 2)?;
    c.one(b"-/.")?;
    c.digits(Some(Part::D), 2, 2)?;
    if c.one(b"T").is_none() {
        c.one(b" ")?;
        while c.one(b" ").is_some() {}
    }
    c.hms()?;
    c.offset();
    c.done()
}

/// `^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})-(?P<h>[0-9]{2})\.(?P<mi>[0-9]{2})\.(?P<s>[0-9]{2})(?:\.(?P<frac>[0-9]{1,9}))?`
fn db2(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.digits(Some(Part::Y), 4, 4)?;
    c.one(b"-")?;
    c.digits(Some(Part::M), 2, 2)?;
    c.one(b"-")?;
    c.digits(Some(Part::D), 2, 2)?;
    c.one(b"-")?;
    c.digits(Some(Part::H), 2, 2)?;
    c.one(b".")?;
    c.digits(Some(Part::Mi), 2, 2)?;
    c.one(b".")?;
    c.digits(Some(Part::S), 2, 2)?;
    c.fraction(Part::Frac, b".", 9);
    c.done()
}

/// `^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})-(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{1,2}):(?P<s>[0-9]{1,2})(?:[:.](?P<ms>[0-9]{1,3}))?`
fn compact(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.digits(Some(Part::Y), 4, 4)?;
    c.digits(Some(Part::M), 2, 2)?;
    c.digits(Some(Part::D), 2, 2)?;
    c.one(b"-")?;
    c.digits(Some(Part::H), 1, 2)?;
    c.one(b":")?;
    c.digits(Some(Part::Mi), 1, 2)?;
    c.one(b":")?;
    c.digits(Some(Part::S), 1, 2)?;
    c.fraction(Part::Ms, b":.", 3);
    c.done()
}

/// `^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})T(?P<h>[0-9]{2})(?P<mi>[0-9]{2})(?P<s>[0-9]{2})(?:[.,](?P<frac>[0-9]{1,9}))?` OFF
fn iso_basic(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.digits(Some(Part::Y), 4, 4)?;
    c.digits(Some(Part::M), 2, 2)?;
    c.digits(Some(Part::D), 2, 2)?;
    c.one(b"T")?;
    c.digits(Some(Part::H), 2, 2)?;
    c.digits(Some(Part::Mi), 2, 2)?;
    c.digits(Some(Part::S), 2, 2)?;
    c.fraction(Part::Frac, b".,", 9);
    c.offset();
    c.done()
}

/// `^(?P<y2>[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2}) (?P<h>[0-9]{2})(?P<mi>[0-9]{2})(?P<s>[0-9]{2})`
fn yymmdd(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.digits(Some(Part::Y2), 2, 2)?;
    c.digits(Some(Part::M), 2, 2)?;
    c.digits(Some(Part::D), 2, 2)?;
    c.one(b" ")?;
    c.digits(Some(Part::H), 2, 2)?;
    c.digits(Some(Part::Mi), 2, 2)?;
    c.digits(Some(Part::S), 2, 2)?;
    c.done()
}

/// `^(?P<a>[0-9]{2})/(?P<b>[0-9]{2})/(?P<c>[0-9]{2}) ` HMS
fn slash2(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.digits(Some(Part::A), 2, 2)?;
    c.one(b"/")?;
    c.digits(Some(Part::B), 2, 2)?;
    c.one(b"/")?;
    c.digits(Some(Part::C), 2, 2)?;
    c.one(b" ")?;
    c.hms()?;
    c.done()
}

/// `^(?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2})/(?P<y>[0-9]{4})[ :]` HMS OFF
fn slash4(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.digits(Some(Part::A), 1, 2)?;
    c.one(b"/")?;
    c.digits(Some(Part::B), 1, 2)?;
    c.one(b"/")?;
    c.digits(Some(Part::Y), 4, 4)?;
    c.one(b" :")?;
    c.hms()?;
    c.offset();
    c.done()
}

/// `^(?P<d>[0-9]{1,2})[-/ ]` MON `[-/ ](?P<y>[0-9]{4})[: T]` HMS OFF
fn clf(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.digits(Some(Part::D), 1, 2)?;
    c.one(b"-/ ")?;
    c.month()?;
    c.one(b"-/ ")?;
    c.digits(Some(Part::Y), 4, 4)?;
    c.one(b": T")?;
    c.hms()?;
    c.offset();
    c.done()
}

/// `^(?P<lvl>[IWEFD])(?P<m>[0-9]{2})(?P<d>[0-9]{2}) (?P<h>[0-9]{2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2})(?:\.(?P<frac>[0-9]{1,9}))?`
fn glog(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.one_as(Part::Lvl, b"IWEFD")?;
    c.digits(Some(Part::M), 2, 2)?;
    c.digits(Some(Part::D), 2, 2)?;
    c.one(b" ")?;
    c.digits(Some(Part::H), 2, 2)?;
    c.one(b":")?;
    c.digits(Some(Part::Mi), 2, 2)?;
    c.one(b":")?;
    c.digits(Some(Part::S), 2, 2)?;
    c.fraction(Part::Frac, b".", 9);
    c.done()
}

/// `^(?P<m>[0-9]{2})-(?P<d>[0-9]{2}) ` HMS
fn mmdd(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.digits(Some(Part::M), 2, 2)?;
    c.one(b"-")?;
    c.digits(Some(Part::D), 2, 2)?;
    c.one(b" ")?;
    c.hms()?;
    c.done()
}

/// `^(?P<y>[0-9]{4})(?P<sep1>[-/.])(?P<m>[0-9]{2})(?P<sep2>[-/.])(?P<d>[0-9]{2})`
fn iso_date(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.digits(Some(Part::Y), 4, 4)?;
    c.one_as(Part::Sep1, b"-/.")?;
    c.digits(Some(Part::M), 2, 2)?;
    c.one_as(Part::Sep2, b"-/.")?;
    c.digits(Some(Part::D), 2, 2)?;
    c.done()
}

/// `^` HMS
fn time_only(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    c.hms()?;
    c.done()
}

/// `^(?P<ep>[12][0-9]{9}(?:[0-9]{3})?)(?:\.(?P<frac>[0-9]{1,9}))?`
fn epoch(s: &str) -> Option<(usize, Parts)> {
    let mut c = Cur::new(s);
    if !matches!(c.b.first(), Some(b'1' | b'2')) {
        return None;
    }
    let n = c.digit_run();
    if n < 10 {
        return None;
    }
    let len = if n >= 13 { 13 } else { 10 };
    c.mark(Part::Ep, 0, len);
    c.i = len;
    c.fraction(Part::Frac, b".", 9);
    c.done()
}

#[cfg(test)]
mod tests {
    use super::super::TIME_PATTERNS;
    use super::*;

    /// What the pattern finds: where its match ends, and its parts.
    fn by_pattern(kind: TimeKind, s: &str) -> Option<(usize, Parts)> {
        let re = TIME_PATTERNS.iter().find(|p| p.kind == kind)?.regex();
        let caps = re.captures(s)?;
        Some((caps.get(0)?.end(), Parts::from_captures(re, &caps)))
    }

    /// One time of each shape (several for shapes with options), to mutate.
    const EXAMPLES: &[&str] = &[
        "2015-10-18 18:01:47,978 INFO",
        "2024-03-01T14:02:00.123+02:00 x",
        "2024/03/01  4:02 UTC",
        "2024.03.01 14:02:00 -0700",
        "2024-03-01T14:02:00Z",
        "2024-03-01 14:02:00\t+05:30]",
        "2005-06-03-15.42.50.675872 R02",
        "20171223-22:15:29:606|Step",
        "20171223-2:5:9.1",
        "20171223T221529.123Z",
        "20171223T221529 +0100",
        "081109 203615 148 INFO",
        "17/06/09 20:10:40 INFO",
        "10/01/2023 12:00:00 GMT",
        "1/2/2023:12:00",
        "10/Oct/2000:13:55:36 -0700] \"GET",
        "18-Oct-2015 18:01:47.978",
        "01 OCT 2023 12:00:00Z",
        "I1001 12:00:00.123456    1234",
        "10-01 12:00:00.123  1234",
        "2005.06.03 R02",
        "2005-06/03",
        "12:00:00.123 [main]",
        "1:02",
        "1117838570 2005.06.03",
        "1445144423722.5",
        "2117838570.123456789123",
    ];

    const ALPHABET: &[u8] =
        b"0123456789012345678901234567890123456789-/.:T ,+Z\tUTCGMJanFebOctIWEDx|]";

    fn check(s: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        for p in TIME_PATTERNS.iter() {
            if let Some(read) = reader(p.kind) {
                proptest::prop_assert_eq!(
                    read(s),
                    by_pattern(p.kind, s),
                    "{:?} on {:?}",
                    p.kind,
                    s
                );
            }
        }
        Ok(())
    }

    #[test]
    fn every_example_reads_as_its_pattern() {
        for s in EXAMPLES {
            check(s).unwrap();
        }
        // and the readers find them
        let found = EXAMPLES
            .iter()
            .filter(|s| {
                TIME_PATTERNS
                    .iter()
                    .any(|p| reader(p.kind).is_some_and(|read| read(s).is_some()))
            })
            .count();
        assert_eq!(found, EXAMPLES.len());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20000))]
        /// Times with bytes replaced, inserted or removed read as their patterns read them.
        #[test]
        fn mutated_times_read_as_their_patterns(
            which in 0..EXAMPLES.len(),
            edits in proptest::collection::vec((0usize..40, 0usize..ALPHABET.len(), 0u8..3), 0..4),
        ) {
            let mut b = EXAMPLES[which].as_bytes().to_vec();
            for (at, pick, op) in edits {
                let at = at % (b.len() + 1);
                match op {
                    0 if at < b.len() => b[at] = ALPHABET[pick],
                    1 => b.insert(at, ALPHABET[pick]),
                    _ if at < b.len() => { b.remove(at); }
                    _ => {}
                }
            }
            check(&String::from_utf8(b).expect("ASCII"))?;
        }

        /// So do strings of time-like bytes.
        #[test]
        fn time_like_bytes_read_as_the_patterns(
            picks in proptest::collection::vec(0usize..ALPHABET.len(), 0..30),
        ) {
            let s: String = picks.iter().map(|&p| char::from(ALPHABET[p])).collect();
            check(&s)?;
        }
    }
}
