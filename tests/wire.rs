//! The serde forms of decisions, results and errors: every field written,
//! reasons as codes, rules as ids — what a host sends on unchanged.

// Test code may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use groupgate::{
    Account, AgentSpec, Change, ConfigBuilder, GroupSpec, Policy, Reason, Routing, Status, TransferTarget,
};
use serde_json::{Value, json};

fn to(v: impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap()
}

fn account(routing: Routing) -> Account {
    let mut policy = Policy::default();
    policy.routing = routing;
    let mut de = GroupSpec::new("de");
    de.fallback = Some("en".into());
    let mut account = Account::new(
        ConfigBuilder::new()
            .policy(policy)
            .group(GroupSpec::new("en"))
            .group(de)
            .agent(AgentSpec::new("anna").member("en"))
            .agent(AgentSpec::new("bob").member("en"))
            .group_selection(true)
            .build()
            .unwrap(),
        0,
    );
    account.set_status("anna", Status::Online).unwrap();
    account
}

#[test]
fn decisions_read_as_objects_with_codes_and_rules() {
    let mut a = account(Routing::Broadcast);
    a.visit("v1", Some("xx")).unwrap();
    a.visit("v2", Some("de")).unwrap();
    // v1's tag names no group: ungrouped, visible to members by default (R6).
    assert_eq!(to(a.sees("anna", "v1")), json!({"visible": true, "reason": null, "rule": "R6"}));
    assert_eq!(to(a.sees("zoe", "v1")), json!({"visible": false, "reason": "unknown_agent", "rule": "R4"}));
    assert_eq!(
        to(a.effective_group("v1").unwrap()),
        json!({"group": null, "source": null, "unknown": [{"source": "page_tag", "id": "xx"}]})
    );
    // "de" has nobody: its chats fall back to "en" (R17).
    assert_eq!(to(a.candidates("v2")), json!({"group": "en", "moved": true, "agents": ["anna"]}));
    // Routed, the chat moves to "en" and waits for a claim (broadcast).
    a.route("v2").unwrap();
    assert_eq!(
        to(a.can_claim("bob", "v2")),
        json!({"allowed": false, "reason": "agent_offline", "rule": "R11", "holder": null})
    );
    a.claim("anna", "v2").unwrap();
    assert_eq!(
        to(a.can_claim("bob", "v2")),
        json!({"allowed": false, "reason": "already_claimed", "rule": "R13", "holder": "anna"})
    );
}

#[test]
fn results_read_as_objects() {
    let mut a = account(Routing::LeastBusy);
    a.visit("v1", Some("en")).unwrap();
    let routed = a.route("v1").unwrap();
    assert_eq!(to(&routed), json!({"agent": "anna", "offered": [], "group": "en", "moved": false, "queued": false}));
    a.visit("v2", None).unwrap();
    let claimed = a.claim("anna", "v2").unwrap();
    assert_eq!(to(claimed), json!({"version": claimed.version(), "changed": true}));
    let report = a.apply(&Change::RemoveAgent { agent: "anna".parse().unwrap() }).unwrap();
    // Her chats go back to the queue, oldest visitor first (R14); every
    // page loses its only online agent.
    assert_eq!(
        to(&report),
        json!({
            "revision": 2,
            "visibility_changed": [],
            "availability": [
                {"group": "en", "online": false},
                {"group": "de", "online": false},
                {"group": null, "online": false}
            ],
            "requeued": ["v1", "v2"],
            "hours_changed": []
        })
    );
    // R30: a schedule that closes a group, as the report and the group's hours say it.
    a.apply(&Change::SetSchedule(groupgate::ScheduleSpec::new("never", "UTC"))).unwrap();
    let patch = groupgate::GroupPatch::new("de").schedule(Some("never"));
    let report = a.apply(&Change::UpdateGroup(patch)).unwrap();
    assert_eq!(to(&report)["hours_changed"], json!([{"group": "de", "open": false}]));
    assert_eq!(to(a.group_hours("de").unwrap()), json!({"open": false, "next_change": null}));
}

#[test]
fn errors_read_as_code_kind_and_message() {
    let mut a = account(Routing::Broadcast);
    let err = a.release("v9").unwrap_err();
    assert_eq!(
        to(&err),
        json!({"code": "unknown_visitor", "kind": "not_found", "message": "unknown visitor `v9`", "visitor": "v9"})
    );
    let err = a.apply(&Change::RemoveGroup { group: "zz".parse().unwrap() }).unwrap_err();
    assert_eq!(
        to(&err),
        json!({"code": "unknown_group", "kind": "not_found", "message": "unknown group `zz`", "group": "zz"})
    );
    let mut saved = a.save();
    saved.format = 7;
    let err = Account::from_saved(saved).unwrap_err();
    assert_eq!((to(&err)["code"].clone(), to(&err)["format"].clone()), (json!("unsupported_version"), json!(7)));
}

/// Errors carry their data beside code, kind and message: the holder of a
/// claimed chat, the agent and visitor of `not_holder` (R38), and every
/// problem of a configuration, each with its code and ids (R23).
#[test]
fn errors_carry_their_data() {
    let mut a = account(Routing::Broadcast);
    a.set_status("anna", Status::Online).unwrap();
    a.set_status("bob", Status::Online).unwrap();
    a.visit("v1", None).unwrap();
    a.claim("anna", "v1").unwrap();
    let err = a.claim("bob", "v1").unwrap_err();
    assert_eq!((to(&err)["code"].clone(), to(&err)["holder"].clone()), (json!("already_claimed"), json!("anna")));
    let err = a.release_as(Some("bob"), "v1").unwrap_err();
    assert_eq!(
        to(&err),
        json!({"code": "not_holder", "kind": "forbidden",
               "message": "agent `bob` does not hold the chat of visitor `v1`", "agent": "bob", "visitor": "v1"})
    );
    let err = ConfigBuilder::new()
        .group(GroupSpec::new("en").fallback("xx"))
        .group(GroupSpec::new("en"))
        .agent(AgentSpec::new("anna").member("de"))
        .build()
        .unwrap_err();
    let json = to(&err);
    assert_eq!((json["code"].clone(), json["kind"].clone()), (json!("duplicate_group"), json!("invalid")));
    let problems: Vec<(String, Value)> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut ids = p.as_object().unwrap().clone();
            let code = ids.remove("code").unwrap().as_str().unwrap().to_string();
            assert!(ids.remove("message").unwrap().is_string());
            assert_eq!(ids.remove("kind").unwrap(), "invalid");
            (code, Value::Object(ids))
        })
        .collect();
    assert_eq!(
        problems,
        [
            // By code in R23's order; of one code, in the configuration's
            // order: groups before agents.
            ("duplicate_group".to_string(), json!({"group": "en"})),
            ("unknown_group".to_string(), json!({"group": "en", "fallback": "xx"})),
            ("unknown_group".to_string(), json!({"agent": "anna", "group": "de"})),
        ]
    );
}

#[test]
fn reasons_and_targets_read_back() {
    for r in Reason::ALL {
        let text = serde_json::to_string(r).unwrap();
        assert_eq!(text, format!("\"{}\"", r.code()));
        assert_eq!(serde_json::from_str::<Reason>(&text).unwrap(), *r);
    }
    assert!(serde_json::from_str::<Reason>("\"gold\"").is_err());
    for (target, text) in [
        (TransferTarget::Group("de".parse().unwrap()), r#"{"to_group":"de"}"#),
        (TransferTarget::Agent("bob".parse().unwrap()), r#"{"to_agent":"bob"}"#),
    ] {
        assert_eq!(serde_json::to_string(&target).unwrap(), text);
        assert_eq!(serde_json::from_str::<TransferTarget>(text).unwrap(), target);
    }
}

/// A timed event applied (R26, R31, R33): the clock it ran at, `ok`, the
/// outcome or the error, and the notices — those of the deadlines before it
/// at their own instants, then its own at its time.
#[test]
fn applied_events_read_as_time_outcome_and_timed_notices() {
    let mut policy = Policy::default();
    policy.routing = Routing::LeastBusy;
    policy.answer_timeout = Some(10_000);
    let config =
        ConfigBuilder::new().policy(policy).agent(AgentSpec::new("anna")).agent(AgentSpec::new("bob")).build().unwrap();
    let mut a = Account::new(config, 1_000);
    a.set_status("anna", Status::Online).unwrap();
    let event = |text: &str| serde_json::from_str::<groupgate::Event>(text).unwrap();
    let visited = a.apply_event_at(2_000, &event(r#"{"visit": {"visitor": "v1"}}"#));
    assert_eq!(
        to(&visited),
        json!({"at": 2_000, "ok": true, "outcome": {"visited": "new"},
               "notices": [{"at": 2_000, "notice": {"visitor_entered": {"visitor": "v1", "group": null}}}]})
    );
    let routed = a.apply_event_at(3_000, &event(r#"{"route": {"visitor": "v1"}}"#));
    assert_eq!(
        to(&routed),
        json!({"at": 3_000, "ok": true,
               "outcome": {"routed": {"agent": "anna", "offered": [], "group": null, "moved": false, "queued": false}},
               "notices": [{"at": 3_000, "notice": {"chat_held": {"visitor": "v1", "agent": "anna"}}}]})
    );
    // Anna's answer deadline (13,000) passes before bob's status at 20,000:
    // the chat goes back to the queue (bob is still away), anna goes away,
    // and then bob's status serves it.
    let status = a.apply_event_at(20_000, &event(r#"{"set_status": {"agent": "bob", "status": "online"}}"#));
    assert_eq!(
        to(&status),
        json!({"at": 20_000, "ok": true, "outcome": "done", "notices": [
            {"at": 13_000, "notice": {"chat_unheld": {"visitor": "v1", "agent": "anna", "why": "missed"}}},
            {"at": 13_000, "notice": {"status_changed": {"agent": "anna", "status": "away"}}},
            {"at": 13_000, "notice": {"chat_queued": {"visitor": "v1", "group": null, "offered": []}}},
            {"at": 13_000, "notice": {"availability_changed": {"group": null, "online": false}}},
            {"at": 20_000, "notice": {"chat_held": {"visitor": "v1", "agent": "bob"}}},
            {"at": 20_000, "notice": {"availability_changed": {"group": null, "online": true}}}
        ]})
    );
    // Refused: the error in its form, no notices of its own; the clock stays
    // where it is for an earlier time.
    let refused = a.apply_event_at(5_000, &event(r#"{"release": {"visitor": "v1", "agent": "anna"}}"#));
    assert_eq!(
        to(&refused),
        json!({"at": 20_000, "ok": false,
               "error": {"code": "not_holder", "kind": "forbidden",
                         "message": "agent `anna` does not hold the chat of visitor `v1`",
                         "agent": "anna", "visitor": "v1"},
               "notices": []})
    );
}
