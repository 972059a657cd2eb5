//! Scenario bytes → the scenario runner: never a panic, whatever the file.
#![no_main]

use groupgate_scenario::Scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(scenario) = serde_json::from_slice::<Scenario>(data) {
        let _ = scenario.run();
    }
});
