//! Hostile input (R23, R24): every case gets a clear, typed error or works,
//! and nothing panics.

// Test code: helpers outside #[test] fns may unwrap and index too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use groupgate::{
    Account, AgentId, AgentSpec, Change, ConfigBuilder, ErrorCode, GroupId, GroupSpec, IdError, Status, VisitorId,
};

const HOSTILE: [&str; 6] = ["", "\u{0}", "a\u{1b}[31mred", "\u{85}", "line\nbreak", "\u{7f}"];

#[test]
fn r23_ids_at_the_length_boundary() {
    let at = "g".repeat(64);
    let over = "g".repeat(65);
    assert!(GroupId::new(&at).is_ok());
    assert!(matches!(GroupId::new(&over), Err(IdError::TooLong { len: 65, .. })));
    assert!(matches!(AgentId::new(&"a".repeat(10_000)), Err(IdError::TooLong { len: 10_000, .. })));
    let err = ConfigBuilder::new().group(GroupSpec::new(over)).build().unwrap_err();
    assert_eq!(err.code(), "invalid_id");
    assert!(err.to_string().contains("65 bytes"));
}

#[test]
fn r23_control_characters_and_empty_ids_are_rejected_everywhere() {
    for bad in HOSTILE {
        assert!(VisitorId::new(bad).is_err(), "{bad:?}");
        let err = ConfigBuilder::new()
            .group(GroupSpec::new("en").fallback(bad))
            .agent(AgentSpec::new(bad).member(bad))
            .build()
            .unwrap_err();
        assert!(err.codes().all(|c| c == "invalid_id"), "{err}");
        assert_eq!(err.problems().len(), 3, "{err}");
        // Messages escape what they show: no raw control character leaks out.
        assert!(!err.to_string().chars().any(|c| c.is_control()), "{err:?}");
    }
}

#[test]
fn hostile_lookups_are_unknown_ids_never_a_panic() {
    let mut account = Account::new(
        ConfigBuilder::new().group(GroupSpec::new("en")).agent(AgentSpec::new("anna")).build().unwrap(),
        0,
    );
    let huge = "x".repeat(10_000);
    for bad in HOSTILE.iter().copied().chain([huge.as_str()]) {
        // Text that cannot be an id names nothing: unknown, checked in the
        // order the event looks its ids up (R23's settled reading; the
        // scenario format's "simply unknown").
        assert_eq!(account.claim(bad, bad).unwrap_err().code(), "unknown_agent");
        assert_eq!(account.claim("anna", bad).unwrap_err().code(), "unknown_visitor");
        assert_eq!(account.claim("bob", bad).unwrap_err().code(), "unknown_agent");
        assert_eq!(account.release(bad).unwrap_err().code(), "unknown_visitor");
        assert_eq!(account.set_status(bad, Status::Online).unwrap_err().kind(), groupgate::ErrorKind::NotFound);
        // Stored ids are checked.
        assert_eq!(account.visit(bad, None).unwrap_err().code(), "invalid_id");
        assert!(account.visible_agents(bad).is_empty());
        assert!(account.dashboard(bad).is_empty());
        assert!(!account.sees(bad, bad).is_visible());
        assert!(!account.is_online(Some(bad)));
        account.visit("v1", None).unwrap();
        assert_eq!(account.select_group("v1", bad).unwrap_err().code(), "group_selection_disabled");
        let msg = account.release(bad).unwrap_err().to_string();
        assert!(msg.len() < 400, "shortened: {} bytes", msg.len());
        assert!(!msg.chars().any(char::is_control), "escaped: {msg:?}");
    }
    // An id that names nothing is not found, and the error holds it as written.
    let err = account.release("ghost").unwrap_err();
    assert_eq!(err, groupgate::ActionError::Unknown(groupgate::UnknownId::Visitor("ghost".into())));
    assert_eq!(err.kind(), groupgate::ErrorKind::NotFound);
}

#[test]
fn json_with_invalid_utf8_or_bad_numbers_is_a_clear_error() {
    let bytes: &[u8] = b"{\"groups\": [{\"id\": \"\xff\xfe\"}]}";
    assert!(serde_json::from_slice::<groupgate::Config>(bytes).is_err());
    for (json, needle) in [
        (r#"{"agents": [{"id": "a", "chat_limit": -1}]}"#, "-1"),
        (r#"{"agents": [{"id": "a", "chat_limit": 4294967296}]}"#, "4294967296"),
        (r#"{"plan": "gold"}"#, "gold"),
        (r#"{"groups": [{"id": "a\u0000b"}]}"#, "control character"),
        (r#"{"policy": {"routing": "random"}}"#, "random"),
    ] {
        let err = serde_json::from_str::<groupgate::Config>(json).unwrap_err().to_string();
        assert!(err.contains(needle), "{json}: {err}");
    }
    let max = r#"{"agents": [{"id": "a", "chat_limit": 4294967295}]}"#;
    let config: groupgate::Config = serde_json::from_str(max).unwrap();
    assert_eq!(config.agents().next().unwrap().chat_limit(), Some(u32::MAX));
}

#[test]
fn deeply_nested_json_is_refused_without_overflowing_the_stack() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(serde_json::from_str::<groupgate::Config>(&deep).is_err());
}

#[test]
fn many_groups_and_an_agent_in_every_group_work() {
    let n = 100_000;
    let mut b = ConfigBuilder::new();
    let mut everywhere = AgentSpec::new("omni");
    for i in 0..n {
        b = b.group(GroupSpec::new(format!("g{i}")));
        everywhere = everywhere.member(format!("g{i}"));
    }
    let mut account = Account::new(b.agent(everywhere).build().unwrap(), 0);
    account.visit("v1", Some(&format!("g{}", n - 1))).unwrap();
    assert_eq!(account.visible_agents("v1"), ["omni"]);
    // A failed change on the big account loses nothing.
    let err = account.apply(&Change::AddGroup(GroupSpec::new("g7"))).unwrap_err();
    assert_eq!(err.code(), "duplicate_group");
    assert_eq!(account.snapshot().config().groups().len(), n);
}

#[test]
fn hostile_changes_are_refused_and_lose_nothing() {
    let mut account = Account::new(
        ConfigBuilder::new().group(GroupSpec::new("en")).agent(AgentSpec::new("anna").member("en")).build().unwrap(),
        0,
    );
    account.set_status("anna", Status::Online).unwrap();
    account.visit("v1", Some("en")).unwrap();
    account.claim("anna", "v1").unwrap();
    let before = account.clone();
    let huge = "g".repeat(10_000);
    let changes = [
        Change::AddGroup(GroupSpec::new(huge.clone())),
        Change::AddGroup(GroupSpec::new("")),
        Change::AddGroup(GroupSpec::new("x").fallback(huge.clone())),
        Change::AddAgent(AgentSpec::new("a".repeat(65))),
        Change::AddAgent(AgentSpec::new("bob").member("\u{0}")),
        Change::AddGroup(GroupSpec::new("x").fallback("x")),
    ];
    for change in &changes {
        let err = account.apply(change).unwrap_err();
        assert!(["invalid_id", "fallback_cycle"].contains(&err.code()), "{err}");
        assert!(err.to_string().len() < 500, "short message: {err}");
    }
    assert_eq!(account, before, "R24: nothing lost");
    assert_eq!(account.holder("v1").unwrap(), "anna");
}

#[test]
fn huge_json_configurations_work_or_fail_cleanly() {
    let groups: Vec<String> = (0..50_000).map(|i| format!(r#"{{"id": "g{i}"}}"#)).collect();
    let agents: Vec<String> = (0..5_000).map(|i| format!(r#"{{"id": "a{i}", "groups": ["g{}"]}}"#, i * 7)).collect();
    let json = format!(r#"{{"groups": [{}], "agents": [{}]}}"#, groups.join(","), agents.join(","));
    assert!(json.len() > 1_000_000);
    let config: groupgate::Config = serde_json::from_str(&json).unwrap();
    assert_eq!((config.groups().len(), config.agents().len()), (50_000, 5_000));
    // The same size with one bad id anywhere: one error naming it.
    let bad = json.replacen(r#""g49999""#, r#""""#, 1);
    let err = serde_json::from_str::<groupgate::Config>(&bad).unwrap_err().to_string();
    assert!(err.contains("invalid group id: id is empty"), "{err}");
}

#[test]
fn limits_at_the_edges_of_u32_work() {
    let config = ConfigBuilder::new()
        .group(GroupSpec::new("en").chat_limit(u32::MAX))
        .agent(AgentSpec::new("anna").member("en").chat_limit(u32::MAX))
        .agent(AgentSpec::new("zero").member("en").chat_limit(0))
        .build()
        .unwrap();
    let mut account = Account::new(config, 0);
    account.set_status("anna", Status::Online).unwrap();
    account.set_status("zero", Status::Online).unwrap();
    account.visit("v1", Some("en")).unwrap();
    assert!(account.can_claim("anna", "v1").is_allowed());
    assert_eq!(account.can_claim("zero", "v1").reason().map(|r| r.code()), Some("at_capacity"));
    assert!(account.is_online(Some("en")));
}
