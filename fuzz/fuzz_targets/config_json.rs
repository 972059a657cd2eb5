//! Configuration bytes → serde → build: never a panic; a configuration that
//! builds survives a round trip unchanged (R24) and compiles.
#![no_main]

use groupgate::{Account, Config};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(config) = serde_json::from_slice::<Config>(data) else { return };
    let json = serde_json::to_string(&config).expect("a built configuration serializes");
    let back: Config = serde_json::from_str(&json).expect("and reads back");
    assert_eq!(back, config, "R24 round trip");
    let account = Account::new(config);
    for agent in account.snapshot().config().agents() {
        let _ = account.dashboard(agent.id().as_str());
    }
    let _ = account.form_choices();
});
