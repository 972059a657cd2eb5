//! Loading a saved account (R32) refuses every inconsistency it names, with
//! `corrupt_state` or `unsupported_version`, and never loads half of one.

// Test code may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use groupgate::{
    Account, AgentSpec, Change, ConfigBuilder, ErrorCode, GroupSpec, Policy, Routing, SAVED_FORMAT, Saved, Status,
};

/// An account with a held chat, a queued chat, a stale dashboard and a
/// chat that was closed (so a version apart from the arrival).
fn busy() -> Account {
    let mut policy = Policy::default();
    policy.routing = Routing::LeastBusy;
    let mut account = Account::new(
        ConfigBuilder::new()
            .policy(policy)
            .group(GroupSpec::new("en"))
            .agent(AgentSpec::new("anna").member("en").chat_limit(1))
            .agent(AgentSpec::new("bob"))
            .build()
            .unwrap(),
        0,
    );
    account.set_status("anna", Status::Online).unwrap();
    for v in ["v1", "v2", "v3"] {
        account.visit(v, Some("en")).unwrap();
    }
    account.route("v1").unwrap();
    account.advance_to(2).unwrap();
    account.route("v2").unwrap(); // waits, entered at 2
    account.claim("anna", "v3").unwrap_err();
    account
        .apply(&Change::Assign {
            agent: "bob".parse().unwrap(),
            group: "en".parse().unwrap(),
            tier: Default::default(),
        })
        .unwrap();
    account.visit("v4", None).unwrap();
    account.route("v4").unwrap();
    account.release("v4").unwrap();
    account.advance_to(5).unwrap();
    account
}

fn json(saved: &Saved) -> serde_json::Value {
    serde_json::to_value(saved).unwrap()
}

fn wait(entered: u64, since: u64) -> serde_json::Value {
    serde_json::json!({"entered": entered, "since": since})
}

fn load(value: serde_json::Value) -> Result<Account, String> {
    let saved: Saved = serde_json::from_value(value).map_err(|e| format!("parse: {e}"))?;
    Account::from_saved(saved).map_err(|e| format!("{}: {e}", e.code()))
}

#[test]
fn a_saved_account_loads_equal_and_its_json_says_what_it_holds() {
    let account = busy();
    let saved = json(&account.save());
    // The parts the test below breaks are there, as described.
    assert_eq!(saved["visitors"][0]["holder"], "anna");
    assert!(saved["visitors"][1]["queued"]["entered"].as_u64().is_some());
    assert!(saved["shown"][0]["revision"] == 1, "bob's dashboard shows revision 1: {saved}");
    assert!(saved["visitors"][3]["version"].as_u64().is_some());
    assert_eq!(load(saved).unwrap(), account);
}

#[test]
fn every_inconsistency_is_refused_by_name() {
    let base = json(&busy().save());
    let broken = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        edit(&mut v);
        load(v).unwrap_err()
    };
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("unsupported_version: saved account format 2", Box::new(|v| v["format"] = (SAVED_FORMAT + 1).into())),
        ("not older than the latest", Box::new(|v| v["shown"][0]["revision"] = 5.into())),
        (
            "no dashboard shows it",
            Box::new(|v| {
                v["agents"][0]["loaded"] = 2.into();
                v["agents"][1]["loaded"] = 2.into();
            }),
        ),
        ("which is not saved", Box::new(|v| v["agents"][0]["loaded"] = 9.into())),
        ("not the configuration's", Box::new(|v| v["agents"].as_array_mut().unwrap().reverse())),
        ("not the configuration's", Box::new(|v| drop(v["agents"].as_array_mut().unwrap().pop()))),
        ("out of arrival order", Box::new(|v| v["visitors"].as_array_mut().unwrap().swap(0, 1))),
        (
            "saved twice",
            Box::new(|v| {
                let first = v["visitors"][0].clone();
                let mut again = first;
                again["arrival"] = 99.into();
                v["next"] = 200.into();
                v["visitors"].as_array_mut().unwrap().push(again);
            }),
        ),
        ("both held and queued", Box::new(|v| v["visitors"][0]["queued"] = wait(0, 0))),
        ("which is no agent", Box::new(|v| v["visitors"][0]["holder"] = "zoe".into())),
        (
            "since 1 is not between its entry, 2, and the clock, 5",
            Box::new(|v| v["visitors"][1]["queued"] = wait(2, 1)),
        ),
        (
            "since 6 is not between its entry, 2, and the clock, 5",
            Box::new(|v| v["visitors"][1]["queued"] = wait(2, 6)),
        ),
        ("arrival 10000 is not below next", Box::new(|v| v["visitors"][3]["arrival"] = 10_000.into())),
        ("version 1000 is not below next", Box::new(|v| v["visitors"][3]["version"] = 1000.into())),
    ];
    for (want, edit) in &cases {
        let got = broken(edit.as_ref());
        let code = if want.starts_with("unsupported") { "unsupported_version" } else { "corrupt_state" };
        assert!(got.starts_with(code) && got.contains(want), "expected {code} naming {want:?}, got {got:?}");
    }
}

#[test]
fn text_that_is_no_saved_account_fails_to_parse_and_never_panics() {
    let base = serde_json::to_string(&busy().save()).unwrap();
    // Every prefix, and a few substitutions, of a real saved account.
    for end in (0..base.len()).step_by(7) {
        if let Ok(saved) = serde_json::from_str::<Saved>(&base[..end]) {
            let _ = Account::from_saved(saved);
        }
    }
    for (from, to) in [("\"anna\"", "\"\""), ("\"en\"", "\"a\\u0007\""), ("true", "1"), ("\"online\"", "\"gold\"")] {
        let text = base.replacen(from, to, 1);
        assert!(serde_json::from_str::<Saved>(&text).is_err(), "{from} → {to} parsed");
    }
}

/// The fuzz target's seeds are saved accounts that load (the fuzzer starts
/// from valid ones); the one with deadlines fires them at their times.
#[test]
fn the_fuzz_seeds_load_and_the_deadlines_fire_on_time() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/saved_account");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let saved: groupgate::Saved = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let deadlines = saved.deadlines.clone();
        let mut account = groupgate::Account::from_saved(saved).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Some(first) = deadlines.first() else { continue };
        assert_eq!(account.next_deadline(), Some(first.at()), "{}", path.display());
        account.advance_to(first.at() - 1).unwrap();
        assert!(account.notices().is_empty(), "nothing is due before {}", first.at());
        account.advance_to(first.at()).unwrap();
        assert!(!account.notices().is_empty(), "the deadline at {} fired", first.at());
        assert_ne!(account.next_deadline(), Some(first.at()));
    }
}

/// R29, R32: overflow instants are not saved; they follow from the saved
/// waits and the groups' settings, so a loaded account moves a waiting chat
/// on at the same time, and a wait already past its instant is corrupt.
#[test]
fn overflow_instants_follow_the_saved_waits() {
    let mut account = Account::new(
        ConfigBuilder::new()
            .group(GroupSpec::new("en").fallback("de").overflow_after(5_000))
            .group(GroupSpec::new("de"))
            .agent(AgentSpec::new("anna").member("de"))
            .build()
            .unwrap(),
        0,
    );
    account.visit("v1", Some("en")).unwrap();
    account.advance_to(2).unwrap();
    account.route("v1").unwrap(); // nobody online: waits in en from 2
    account.advance_to(3).unwrap();
    let saved = json(&account.save());
    assert_eq!(saved["visitors"][0]["queued"], wait(2, 2));
    assert!(saved.get("deadlines").is_none(), "overflow instants are not listed: {saved}");
    let mut loaded = load(saved.clone()).unwrap();
    assert_eq!(loaded, account);
    assert_eq!(loaded.next_deadline(), Some(5_002));
    loaded.advance_to(5_001).unwrap();
    assert!(loaded.notices().is_empty());
    loaded.advance_to(5_002).unwrap();
    assert_eq!(loaded.effective_group("v1").unwrap().group().unwrap().as_str(), "de");
    let mut past = saved;
    past["config"]["groups"][0]["overflow_after"] = 1.into();
    let err = load(past).unwrap_err();
    assert!(err.contains("corrupt_state") && err.contains("its overflow at 3 is not after the clock, 3"), "{err}");
}

/// Settled R26: a deadline after 2^53 − 1 ms is never set, so a saved
/// account that lists one is inconsistent; one at the clock's last
/// millisecond loads.
#[test]
fn a_saved_deadline_past_the_end_of_the_clock_is_refused() {
    let mut policy = Policy::default();
    policy.routing = Routing::LeastBusy;
    policy.answer_timeout = Some(10);
    let config = ConfigBuilder::new().policy(policy).agent(AgentSpec::new("anna")).build().unwrap();
    let mut account = Account::new(config, 0);
    account.set_status("anna", Status::Online).unwrap();
    account.visit("v1", None).unwrap();
    account.route("v1").unwrap();
    let mut saved = json(&account.save());
    assert_eq!(saved["deadlines"][0]["answer"]["at"], 10, "{saved}");
    saved["deadlines"][0]["answer"]["at"] = groupgate::MAX_INSTANT.into();
    let last = load(saved.clone()).unwrap();
    assert_eq!(last.next_deadline(), Some(groupgate::MAX_INSTANT));
    saved["deadlines"][0]["answer"]["at"] = (groupgate::MAX_INSTANT + 1).into();
    let err = load(saved).unwrap_err();
    assert!(err.starts_with("corrupt_state") && err.contains("past the end of the clock"), "{err}");
}

/// `corrupt_state` says as data which check failed and for whom, so a host
/// can act on it without reading the message.
#[test]
fn a_corrupt_account_names_the_check_and_the_id_as_data() {
    use groupgate::{CorruptCheck, LoadError};
    let base = json(&busy().save());
    let check = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = base.clone();
        edit(&mut v);
        let saved: Saved = serde_json::from_value(v).unwrap();
        match Account::from_saved(saved) {
            Err(LoadError::Corrupt(why)) => (why.check(), why.id().map(str::to_string)),
            other => panic!("expected corrupt_state, got {other:?}"),
        }
    };
    assert_eq!(
        check(&|v| v["visitors"][0]["queued"] = wait(0, 0)),
        (CorruptCheck::HeldAndQueued, Some("v1".to_string()))
    );
    assert_eq!(
        check(&|v| v["visitors"].as_array_mut().unwrap().swap(0, 1)),
        (CorruptCheck::ArrivalOrder, Some("v1".to_string()))
    );
    assert_eq!(
        check(&|v| v["agents"][0]["loaded"] = 9.into()),
        (CorruptCheck::RevisionNotSaved, Some("anna".to_string()))
    );
    assert_eq!(check(&|v| v["agents"].as_array_mut().unwrap().reverse()), (CorruptCheck::AgentsMismatch, None));
    assert_eq!(CorruptCheck::DeadlinePastEnd.as_str(), "deadline_past_end");
}
