//! Instants and durations as scenario files write them: whole milliseconds
//! since 1970-01-01T00:00:00Z, from 0 to 2^53 − 1, either as a number or
//! (instants) as RFC 3339 text with a UTC offset.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use groupgate::MAX_INSTANT;

/// An instant of a scenario file (R26), in milliseconds since the epoch.
/// Read from a number or from RFC 3339 text denoting a whole millisecond;
/// written as RFC 3339 in UTC with milliseconds.
///
/// ```
/// use groupgate_scenario::Instant;
/// let a: Instant = serde_json::from_str(r#""2026-11-23T09:00:00.250+01:00""#).unwrap();
/// let b: Instant = serde_json::from_str("1795420800250").unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "2026-11-23T08:00:00.250Z");
/// assert!(serde_json::from_str::<Instant>(r#""2026-11-23T08:00:00.0001Z""#).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(pub u64);

/// Days since 1970-01-01 of a date (a four-digit year, as RFC 3339 writes
/// them), by the time-zone library the engine itself uses; `None` for a day
/// the calendar does not have.
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let date = jiff::civil::Date::new(i16::try_from(y).ok()?, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()?;
    let epoch = jiff::civil::Date::new(1970, 1, 1).ok()?;
    Some(i64::from(epoch.until((jiff::Unit::Day, date)).ok()?.get_days()))
}

/// The date of a day number: the inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses RFC 3339 text (`2026-11-23T08:00:00Z`, `…T09:00:00.250+01:00`)
/// to milliseconds since the epoch.
fn parse_rfc3339(s: &str) -> Result<u64, String> {
    let bad = || format!("`{s}` is not an RFC 3339 instant with a UTC offset");
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Result<i64, String> {
        let part = b.get(from..from + len).ok_or_else(bad)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        part.iter().try_fold(0i64, |n, d| Ok(n * 10 + i64::from(d - b'0')))
    };
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt") && at(13, b":") && at(16, b":")) {
        return Err(bad());
    }
    let (y, mo, d, h, mi, sec) = (num(0, 4)?, num(5, 2)?, num(8, 2)?, num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59 {
        return Err(bad());
    }
    let mut i = 19;
    let mut millis = 0i64;
    if at(i, b".") {
        let rest = b.get(i + 1..).unwrap_or_default();
        let digits = rest.get(..rest.iter().take_while(|c| c.is_ascii_digit()).count()).unwrap_or_default();
        if digits.is_empty() {
            return Err(bad());
        }
        // A whole millisecond: digits past the third are zeros (any number
        // of them: the fraction is read digit by digit, never as a whole).
        let (kept, extra) = digits.split_at(digits.len().min(3));
        if extra.iter().any(|d| *d != b'0') {
            return Err(format!("`{s}` is not a whole millisecond"));
        }
        millis =
            kept.iter().chain(std::iter::repeat_n(&b'0', 3 - kept.len())).fold(0, |n, d| n * 10 + i64::from(d - b'0'));
        i += 1 + digits.len();
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if b.len() == i + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && at(i + 3, b":") => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            let minutes = oh * 60 + om;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return Err(bad()),
    };
    let days = days_from_civil(y, mo, d).ok_or_else(bad)?;
    let ms = ((days * 24 + h) * 60 + mi - offset) * 60_000 + sec * 1000 + millis;
    match u64::try_from(ms) {
        Ok(ms) if ms <= MAX_INSTANT => Ok(ms),
        _ => Err(format!("`{s}` is outside 1970-01-01T00:00:00Z and 2^53 − 1 ms")),
    }
}

impl std::str::FromStr for Instant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_rfc3339(s).map(Instant)
    }
}

/// RFC 3339 in UTC with milliseconds: `2026-11-23T08:00:00.000Z`.
impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = i64::try_from(self.0.min(MAX_INSTANT)).unwrap_or(0);
        let (days, rest) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
        let (y, m, d) = civil_from_days(days);
        let (h, mi, s, milli) = (rest / 3_600_000, rest / 60_000 % 60, rest / 1000 % 60, rest % 1000);
        write!(f, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
    }
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Either;
        impl Visitor<'_> for Either {
            type Value = Instant;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an instant: whole milliseconds from 0 to 2^53 − 1, or RFC 3339 text")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Instant, E> {
                if v <= MAX_INSTANT { Ok(Instant(v)) } else { Err(E::custom("an instant above 2^53 − 1 ms")) }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Instant, E> {
                u64::try_from(v).map_err(|_| E::custom("a negative instant")).and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Instant, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(Either)
    }
}

/// Checks a duration of a scenario file: whole milliseconds up to 2^53 − 1.
pub(super) fn check_duration(what: &str, ms: Option<u64>) -> Result<(), String> {
    match ms {
        Some(ms) if ms > MAX_INSTANT => Err(format!("`{what}` is {ms} ms, above 2^53 − 1")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{Instant, civil_from_days, days_from_civil};

    #[test]
    fn dates_round_trip_through_day_numbers() {
        for z in [-800_000, -1, 0, 1, 59, 365, 10_957, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), Some(z), "{y}-{m}-{d}");
        }
        assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
        assert_eq!(days_from_civil(2023, 2, 29), None);
    }

    #[test]
    fn rfc3339_offsets_and_fractions() {
        let p = |s: &str| s.parse::<Instant>();
        assert_eq!(p("1970-01-01T00:00:00Z"), Ok(Instant(0)));
        assert_eq!(p("1970-01-01T01:00:00.5+01:00"), Ok(Instant(500)));
        assert_eq!(p("2024-02-29T23:59:59.999000-00:30"), p("2024-03-01T00:29:59.999Z"));
        // Fractions of any length (a fuzzer's find: 28 digits overflowed).
        assert_eq!(p("1970-01-01T00:00:00.5000000000000000000000000000000Z"), Ok(Instant(500)));
        assert_eq!(p("1970-01-01T00:00:01.0Z"), Ok(Instant(1000)));
        assert_eq!(p("1970-01-01T00:00:00.05Z"), Ok(Instant(50)));
        let long = "2026-11-01T05:30:00.0055555555555555555555555550Z";
        assert_eq!(p(long), Err(format!("`{long}` is not a whole millisecond")));
        for bad in ["2023-02-29T00:00:00Z", "2026-11-23 08:00:00Z", "2026-11-23T08:00:00", "1969-12-31T23:59:59Z"] {
            assert!(p(bad).is_err(), "{bad}");
        }
        assert_eq!(Instant(1_764_000_000_000).to_string(), "2025-11-24T16:00:00.000Z");
    }
}
