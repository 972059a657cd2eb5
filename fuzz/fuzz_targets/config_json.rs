//! Configuration bytes → serde → build: never a panic, malformed hours
//! included (R30); a configuration that builds survives a round trip
//! unchanged (R24), compiles, and answers for its business hours.
#![no_main]

use groupgate::{Account, Config};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(config) = serde_json::from_slice::<Config>(data) else { return };
    let json = serde_json::to_string(&config).expect("a built configuration serializes");
    let back: Config = serde_json::from_str(&json).expect("and reads back");
    assert_eq!(back, config, "R24 round trip");
    // Business hours (R30) at the epoch, on a Monday morning in 2026, and
    // at the last instant schedules are evaluated: each group open or
    // closed, a next change after the clock and within the horizon.
    for start in [0, 1_795_417_200_000, groupgate::LAST_EVALUATED] {
        let account = Account::new(config.clone(), start);
        for agent in account.snapshot().config().agents() {
            let _ = account.dashboard(agent.id().as_str());
        }
        let _ = account.form_choices();
        for group in account.snapshot().config().groups() {
            let hours = account.group_hours(group.id().as_str()).expect("a configured group has hours");
            if let Some(next) = hours.next_change() {
                assert!(next > start && next - start <= 366 * 86_400_000, "next change {next} after {start}");
            }
        }
        if let Some(next) = account.next_deadline() {
            assert!(next > start, "deadline {next} at start {start}");
        }
    }
});
