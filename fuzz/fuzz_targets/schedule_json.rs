//! Schedule bytes (R30) → serde → `Hours::new`: never a panic; a schedule
//! that builds answers at any instant, and its next change, when there is
//! one, is after the instant, within 366 days, and really a change.
#![no_main]

use groupgate::{Hours, ScheduleSpec, LAST_EVALUATED};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The last 8 bytes, when there are enough, are the instant.
    let (text, at) = match data.len().checked_sub(8) {
        Some(cut) => {
            let (text, tail) = data.split_at(cut);
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(tail);
            (text, u64::from_le_bytes(bytes) % (LAST_EVALUATED + 1_000_000))
        }
        None => (data, 0),
    };
    let Ok(spec) = serde_json::from_slice::<ScheduleSpec>(text) else { return };
    let Ok(hours) = Hours::new(&spec) else { return };
    let open = hours.is_open_at(at);
    if let Some(next) = hours.next_change_after(at) {
        assert!(next > at && next <= at + 366 * 86_400_000 && next <= LAST_EVALUATED);
        assert_ne!(hours.is_open_at(next), open, "a change at {next} after {at}");
        assert_eq!(hours.is_open_at(next - 1), open, "no earlier change just before {next}");
    }
});
