//! Saved-account bytes → serde → `Account::from_saved`: never a panic (R32);
//! an account that loads saves back to a value that loads equal, and
//! answers queries over all its agents and visitors.
#![no_main]

use groupgate::{Account, Saved};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(saved) = serde_json::from_slice::<Saved>(data) else { return };
    let Ok(account) = Account::from_saved(saved) else { return };
    let again = Account::from_saved(account.save()).expect("a saved account loads");
    assert_eq!(again, account, "R32 round trip");
    for agent in account.snapshot().config().agents() {
        let _ = account.dashboard(agent.id().as_str());
    }
    let visitors: Vec<String> = account.visitors().map(str::to_string).collect();
    for v in &visitors {
        let _ = account.candidates(v);
        let _ = account.visible_agents(v);
    }
    let _ = account.queue();
    let _ = account.notices();
});
