//! Business hours (R30): a schedule's weekly hours and dated exceptions in
//! an IANA time zone, checked when built, and whether it is open at an
//! instant.
//!
//! The time-zone database is the one built into the library (`jiff`'s
//! bundled copy of the IANA database, [`TIME_ZONE_DATABASE`]), never the
//! system's, so every machine gives the same answers (R25).

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{TimeZone, TimeZoneDatabase};

use crate::error::{ErrorCode, ErrorKind};

/// The version of the IANA time-zone database built into the library.
pub const TIME_ZONE_DATABASE: &str = "2026f";

/// The last instant schedules are evaluated at, 9999-12-31T23:59:59.999Z
/// (R26): later instants answer as it does, and no change follows it.
pub const LAST_EVALUATED: u64 = 253_402_300_799_999;

/// How far ahead the next change is looked for: 366 days (R30).
pub(crate) const HORIZON: u64 = 366 * DAY;

const DAY: u64 = 24 * 60 * 60 * 1000;

/// The day names of `weekly`, Monday first.
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A schedule as the admin writes it (R30): a time zone, hours per day of
/// the week, and dated days whose hours replace their weekday's. Checked by
/// [`Hours::new`].
///
/// Serde: `{"id": "office-cz", "time_zone": "Europe/Prague", "weekly":
/// {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}, "exceptions": [{"date":
/// "2026-12-24", "hours": []}]}`; `exceptions` may be left out.
///
/// ```
/// use groupgate::ScheduleSpec;
/// let office = ScheduleSpec::new("office-cz", "Europe/Prague")
///     .day("mon", &[("08:00", "12:00"), ("13:00", "17:00")])
///     .exception("2026-12-24", &[]);
/// assert_eq!(office.weekly["mon"].len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct ScheduleSpec {
    /// The schedule's id (R23's id rules).
    pub id: String,
    /// An IANA time zone name, exactly as the database spells it.
    pub time_zone: String,
    /// Per day name (`mon` … `sun`), intervals [start, end) of wall-clock
    /// times `HH:MM`; a day left out is closed. Required in the serde form.
    pub weekly: IndexMap<String, Vec<[String; 2]>>,
    /// Dated days whose intervals replace their weekday's.
    #[cfg_attr(feature = "serde", serde(default))]
    pub exceptions: Vec<ExceptionSpec>,
}

/// A dated day's hours, replacing its weekday's (an empty list: closed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct ExceptionSpec {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// Its intervals, as in `weekly`.
    pub hours: Vec<[String; 2]>,
}

impl ExceptionSpec {
    /// A dated day (`YYYY-MM-DD`) with its intervals.
    ///
    /// ```
    /// let eve = groupgate::ExceptionSpec::new("2026-12-24", vec![["08:00".into(), "12:00".into()]]);
    /// assert_eq!(eve.hours.len(), 1);
    /// ```
    pub fn new(date: impl Into<String>, hours: Vec<[String; 2]>) -> Self {
        ExceptionSpec { date: date.into(), hours }
    }
}

fn intervals(hours: &[(&str, &str)]) -> Vec<[String; 2]> {
    hours.iter().map(|(s, e)| [(*s).to_string(), (*e).to_string()]).collect()
}

impl ScheduleSpec {
    /// A schedule closed every day, in `time_zone`.
    pub fn new(id: impl Into<String>, time_zone: impl Into<String>) -> Self {
        ScheduleSpec { id: id.into(), time_zone: time_zone.into(), ..ScheduleSpec::default() }
    }

    /// Sets a day's hours (`day`: `mon` … `sun`).
    #[must_use]
    pub fn day(mut self, day: &str, hours: &[(&str, &str)]) -> Self {
        self.weekly.insert(day.to_string(), intervals(hours));
        self
    }

    /// Adds a dated day's hours (`date`: `YYYY-MM-DD`).
    #[must_use]
    pub fn exception(mut self, date: &str, hours: &[(&str, &str)]) -> Self {
        self.exceptions.push(ExceptionSpec { date: date.to_string(), hours: intervals(hours) });
        self
    }
}

/// What is wrong with a schedule (R23), naming the part.
///
/// ```
/// use groupgate::{ErrorCode, Hours, ScheduleSpec};
/// let bad = ScheduleSpec::new("s", "Mars/Olympus").day("mon", &[("17:00", "08:00")]);
/// let problems = Hours::new(&bad).unwrap_err();
/// let codes: Vec<&str> = problems.iter().map(|p| p.code()).collect();
/// assert_eq!(codes, ["unknown_time_zone", "invalid_hours"]);
/// assert_eq!(problems[1].to_string(), "invalid hours: `mon`: 17:00–08:00 does not start before it ends");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HoursError {
    /// No zone of that exact name in [`TIME_ZONE_DATABASE`].
    #[error("unknown time zone `{0}`")]
    UnknownTimeZone(String),
    /// A day name, date or time that is malformed, or intervals that are
    /// empty, reversed or overlapping; the message says which.
    #[error("invalid hours: {0}")]
    InvalidHours(String),
}

/// `unknown_time_zone` or `invalid_hours` (kind invalid).
impl ErrorCode for HoursError {
    fn code(&self) -> &'static str {
        match self {
            HoursError::UnknownTimeZone(_) => "unknown_time_zone",
            HoursError::InvalidHours(_) => "invalid_hours",
        }
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}

/// A day's intervals as milliseconds of the day, [start, end), sorted.
type Day = Vec<(u32, u32)>;

/// A checked schedule: open or closed at any instant, and when that next
/// changes. Built once; answering reads the zone's offset at the instant.
///
/// ```
/// use groupgate::{Hours, ScheduleSpec};
/// let office = Hours::new(&ScheduleSpec::new("office", "Europe/Prague").day("mon", &[("08:00", "17:00")])).unwrap();
/// let monday_9_prague = 1_795_420_800_000; // 2026-11-23T08:00:00Z
/// assert!(office.is_open_at(monday_9_prague));
/// assert_eq!(office.next_change_after(monday_9_prague), Some(1_795_420_800_000 + 8 * 3_600_000)); // 17:00
/// ```
#[derive(Debug, Clone)]
pub struct Hours {
    tz: TimeZone,
    /// Monday first.
    weekly: [Day; 7],
    /// By day number (days since 1970-01-01 in wall-clock dates).
    exceptions: BTreeMap<i64, Day>,
    /// Whether the weekly hours alone never open or close: closed all
    /// week, or open all week (touching intervals included). Then only the
    /// days around exceptions can hold a change, and looking for the next
    /// one skips to them.
    constant: bool,
}

/// `HH:MM` as minutes of the day: hours 00–23 (24 only in `24:00`, and only
/// where `end` allows it), minutes 00–59.
fn minutes(text: &str, end: bool) -> Option<u32> {
    let b = text.as_bytes();
    if b.len() != 5 || b.get(2) != Some(&b':') || !b.iter().enumerate().all(|(i, c)| i == 2 || c.is_ascii_digit()) {
        return None;
    }
    let h = u32::from(b.first()? - b'0') * 10 + u32::from(b.get(1)? - b'0');
    let m = u32::from(b.get(3)? - b'0') * 10 + u32::from(b.get(4)? - b'0');
    match (h, m) {
        (24, 0) if end => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// `YYYY-MM-DD`, a real day.
fn date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i32> {
        let part = b.get(r)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |n, c| n * 10 + i32::from(c - b'0')))
    };
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    Date::new(i16::try_from(y).ok()?, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// Checks one list of intervals, named `what` in problems.
fn day(what: &str, list: &[[String; 2]], problems: &mut Vec<HoursError>) -> Day {
    let mut out: Day = Vec::new();
    let bad = |why: String| HoursError::InvalidHours(format!("`{what}`: {why}"));
    for [s, e] in list {
        match (minutes(s, false), minutes(e, true)) {
            (Some(a), Some(b)) if a < b => out.push((a * 60_000, b * 60_000)),
            (Some(_), Some(_)) => problems.push(bad(format!("{s}–{e} does not start before it ends"))),
            (None, _) => problems.push(bad(format!("`{s}` is no start time HH:MM"))),
            (_, None) => problems.push(bad(format!("`{e}` is no end time HH:MM"))),
        }
    }
    out.sort_unstable();
    for pair in out.windows(2) {
        if let [(_, end), (start, _)] = pair {
            if start < end {
                problems.push(bad("intervals overlap".to_string()));
                break;
            }
        }
    }
    out
}

impl Hours {
    /// Checks a schedule and compiles it (the id is checked with the
    /// configuration).
    ///
    /// # Errors
    ///
    /// Every problem found, in this order: the time zone
    /// (`unknown_time_zone`), then each day of `weekly` and each exception
    /// in order (`invalid_hours`: a key that is no day name, a malformed
    /// time or date, an interval that does not start before it ends,
    /// overlapping intervals, a date given twice).
    pub fn new(spec: &ScheduleSpec) -> Result<Hours, Vec<HoursError>> {
        let mut problems = Vec::new();
        let db = TimeZoneDatabase::bundled();
        // The database looks names up ignoring case; R30 wants the exact name.
        let known = db.available().any(|n| n.as_str() == spec.time_zone);
        let tz = db.get(&spec.time_zone).ok().filter(|_| known);
        if tz.is_none() {
            problems.push(HoursError::UnknownTimeZone(spec.time_zone.clone()));
        }
        let mut weekly: [Day; 7] = Default::default();
        for (name, list) in &spec.weekly {
            let hours = day(name, list, &mut problems);
            match DAYS.iter().position(|d| d == name).and_then(|i| weekly.get_mut(i)) {
                Some(slot) => *slot = hours,
                None => problems.push(HoursError::InvalidHours(format!("`{name}` is no day name (mon … sun)"))),
            }
        }
        let mut exceptions = BTreeMap::new();
        for e in &spec.exceptions {
            let hours = day(&e.date, &e.hours, &mut problems);
            match date(&e.date) {
                None => problems.push(HoursError::InvalidHours(format!("`{}` is no date YYYY-MM-DD", e.date))),
                Some(d) => {
                    if exceptions.insert(day_number(d), hours).is_some() {
                        problems.push(HoursError::InvalidHours(format!("`{}` is given twice", e.date)));
                    }
                }
            }
        }
        // Intervals of one day never overlap, so the week is open
        // throughout exactly when they add up to the whole week.
        let open: u64 = weekly.iter().flatten().map(|(s, e)| u64::from(e - s)).sum();
        let constant = open == 0 || open == 7 * DAY;
        match tz {
            Some(tz) if problems.is_empty() => Ok(Hours { tz, weekly, exceptions, constant }),
            _ => Err(problems),
        }
    }

    /// The intervals of the wall-clock date with day number `d`: its
    /// exception's, or its weekday's.
    fn hours_of(&self, d: i64) -> &[(u32, u32)] {
        match self.exceptions.get(&d) {
            Some(h) => h,
            // 1970-01-01 was a Thursday (3, Monday being 0).
            None => self.weekly.get(usize::try_from((d + 3).rem_euclid(7)).unwrap_or(0)).map_or(&[], Vec::as_slice),
        }
    }

    /// The zone's offset from UTC at `at`, in milliseconds. Past the last
    /// instant the time-zone library represents (late on 9999-12-30) the
    /// offset it has then holds.
    fn offset_at(&self, at: u64) -> i64 {
        let ms = i64::try_from(at).unwrap_or(i64::MAX).min(Timestamp::MAX.as_millisecond());
        let ts = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::MAX);
        i64::from(self.tz.to_offset(ts).seconds()) * 1000
    }

    /// Whether the schedule is open at `at` (milliseconds since the epoch):
    /// its wall-clock time in the zone lies in an interval of its wall-clock
    /// date's hours (R30). Instants after [`LAST_EVALUATED`] answer as it
    /// does. Cost: one offset lookup in the zone and a look at the day's
    /// intervals.
    pub fn is_open_at(&self, at: u64) -> bool {
        let at = at.min(LAST_EVALUATED);
        let wall = i64::try_from(at).unwrap_or(0) + self.offset_at(at);
        let ms = u32::try_from(wall.rem_euclid(DAY_MS)).unwrap_or(0);
        self.hours_of(wall.div_euclid(DAY_MS)).iter().any(|(s, e)| *s <= ms && ms < *e)
    }

    /// The first instant in (`at`, `at` + 366 days] at which the schedule
    /// opens or closes, none after [`LAST_EVALUATED`] (R30). Cost: the
    /// zone's offset changes in that window, then for each day looked at —
    /// from the day before `at`'s until the change: a few days for weekly
    /// hours, up to a year for a schedule open on one date — its interval
    /// boundaries, each checked with [`Self::is_open_at`].
    pub fn next_change_after(&self, at: u64) -> Option<u64> {
        self.next_change_between(at, at.saturating_add(HORIZON))
    }

    /// The first instant in (`at`, `end`] at which the schedule opens or
    /// closes, none after [`LAST_EVALUATED`]. Cost: as
    /// [`Self::next_change_after`], for the days up to the change or `end`;
    /// a schedule whose weekly hours never change looks only at the days
    /// around its exceptions.
    pub(crate) fn next_change_between(&self, at: u64, end: u64) -> Option<u64> {
        if at >= LAST_EVALUATED || end <= at {
            return None;
        }
        let open = self.is_open_at(at);
        let end = end.min(LAST_EVALUATED);
        let (from, to) = (i64::try_from(at).ok()?, i64::try_from(end).ok()?);
        // The offsets in effect around the window, and the instants they
        // change at.
        let mut offsets = vec![self.offset_at(at.saturating_sub(2 * DAY))];
        let mut pending: BTreeSet<i64> = BTreeSet::new();
        let start = Timestamp::from_millisecond(from - 2 * DAY_MS).unwrap_or(Timestamp::UNIX_EPOCH);
        for t in self.tz.following(start) {
            let ms = t.timestamp().as_millisecond();
            if ms > to + 2 * DAY_MS {
                break;
            }
            pending.insert(ms);
            let off = i64::from(t.offset().seconds()) * 1000;
            if !offsets.contains(&off) {
                offsets.push(off);
            }
        }
        // Candidates: every change of offset, and every instant a boundary
        // of a day's intervals has as wall-clock time under one of those
        // offsets (some are not wall-clock times that occur; each is
        // checked). The state is constant between consecutive candidates,
        // so the first after `at` at which it differs is the change.
        let mut d = (from + offsets.iter().copied().min().unwrap_or(0)).div_euclid(DAY_MS) - 1;
        let last = (to + offsets.iter().copied().max().unwrap_or(0)).div_euclid(DAY_MS) + 1;
        loop {
            for (s, e) in self.hours_of(d) {
                for b in [s, e] {
                    for off in &offsets {
                        pending.insert(d * DAY_MS + i64::from(*b) - off);
                    }
                }
            }
            // No boundary of a later date falls before this: offsets are
            // less than 26 hours.
            let safe = (d + 1) * DAY_MS - 26 * 3_600_000;
            let done = d >= last;
            while let Some(&c) = pending.first() {
                if c >= safe && !done {
                    break;
                }
                pending.pop_first();
                if c > to {
                    return None;
                }
                let Ok(c) = u64::try_from(c) else { continue };
                if c > at && self.is_open_at(c) != open {
                    return Some(c);
                }
            }
            if done {
                return None;
            }
            d = self.next_day(d).min(last);
        }
    }

    /// The next day after `d` whose boundaries may be a change: the next
    /// day, or for weekly hours that never change, the next day next to or
    /// on an exception (`i64::MAX` when there is none).
    fn next_day(&self, d: i64) -> i64 {
        if !self.constant {
            return d + 1;
        }
        self.exceptions
            .range(d..)
            .next()
            .map_or(i64::MAX, |(&e, _)| [e - 1, e, e + 1].into_iter().find(|&x| x > d).unwrap_or(e + 1))
    }
}

/// Milliseconds in a day, signed.
const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 of a date.
fn day_number(d: Date) -> i64 {
    days_from_civil(i64::from(d.year()), i64::from(d.month()), i64::from(d.day()))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
