//! Events (R33) as values: random runs written as a JSON event log, then
//! replayed from the log on a fresh account, must give the same answers,
//! the same notices (R31) and an equal account (R25). And every event and
//! configuration step of the conformance suite reads as an [`Event`].
//! Cases: 64 in a plain `cargo test`, 1,000 with `GROUPGATE_DEEP=1` (as
//! `.ci/run` runs it), or `PROPTEST_CASES` (see `common/cases.rs`).

// Test code: helpers outside #[test] fns may unwrap and index too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "common/cases.rs"]
mod cases;

use groupgate::{
    Account, AgentSpec, Change, ConfigBuilder, Event, GroupPatch, GroupSpec, Notice, Policy, PolicyPatch, Role,
    Routing, Status, Tier, TransferTarget,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

const VISITORS: [&str; 5] = ["v0", "v1", "v2", "v3", "v4"];
const AGENTS: [&str; 4] = ["a0", "a1", "a2", "ghost"];
const GROUPS: [&str; 4] = ["g0", "g1", "g2", "gx"];

fn account(routing: Routing) -> Account {
    let mut policy = Policy::default();
    policy.routing = routing;
    // Deadlines come due within a run (R27, R28): saved and loaded accounts
    // must fire them alike.
    policy.answer_timeout = Some(3);
    policy.offline_requeue_after = Some(2);
    // Chats waiting in g1 or g2 overflow to g0 after 4 ms (R29).
    let mut g1 = GroupSpec::new("g1").overflow_after(4);
    g1.fallback = Some("g0".into());
    let config = ConfigBuilder::new()
        .policy(policy)
        .group(GroupSpec::new("g0"))
        .group(g1)
        .group(GroupSpec::new("g2").chat_limit(1).fallback("g0").overflow_after(4))
        .agent(AgentSpec::new("a0").member("g0").chat_limit(2))
        .agent(AgentSpec::new("a1").member("g1").member_as("g2", Tier::First))
        .agent(AgentSpec::new("a2"))
        .group_selection(true)
        .build()
        .unwrap();
    Account::new(config, 0)
}

fn event() -> impl Strategy<Value = Event> {
    let v = (0..VISITORS.len()).prop_map(|i| VISITORS[i].parse().unwrap());
    let a = (0..AGENTS.len()).prop_map(|i| AGENTS[i].parse().unwrap());
    let g = (0..GROUPS.len()).prop_map(|i| GROUPS[i].parse().unwrap());
    let status = prop_oneof![Just(Status::Online), Just(Status::Away), Just(Status::Offline)];
    let change = prop_oneof![
        (a.clone(), g.clone()).prop_map(|(agent, group)| Change::Assign { agent, group, tier: Tier::Normal }),
        (a.clone(), g.clone()).prop_map(|(agent, group)| Change::Unassign { agent, group }),
        (a.clone(), any::<bool>()).prop_map(|(agent, enabled)| Change::SetEnabled { agent, enabled }),
        (a.clone(), proptest::option::of(0..3u32))
            .prop_map(|(agent, limit)| Change::UpdateAgent(groupgate::AgentPatch::new(agent).chat_limit(limit))),
        a.clone().prop_map(|agent| Change::UpdateAgent(groupgate::AgentPatch::new(agent).role(Role::Admin))),
        Just(Change::AddGroup(GroupSpec::new("g3"))),
        g.clone().prop_map(|group| Change::RemoveGroup { group }),
        Just(Change::SetPolicy(PolicyPatch { admins_see_all: Some(true), ..PolicyPatch::default() })),
        (g.clone(), proptest::option::of(0..6u64))
            .prop_map(|(group, wait)| Change::UpdateGroup(GroupPatch::new(group).overflow_after(wait))),
    ];
    // The agent a chat event names as acting (R38), or none.
    let by = proptest::option::of(a.clone());
    prop_oneof![
        4 => (v.clone(), proptest::option::weighted(0.8, g.clone())).prop_map(|(visitor, page_group)| Event::Visit(groupgate::event::Visit { visitor, page_group })),
        2 => (v.clone(), g.clone()).prop_map(|(visitor, group)| Event::SelectGroup(groupgate::event::SelectGroup { visitor, group })),
        1 => (v.clone(), a.clone()).prop_map(|(visitor, agent)| Event::PreferAgent(groupgate::event::AgentVisitor { visitor, agent })),
        4 => (a.clone(), v.clone()).prop_map(|(agent, visitor)| Event::Claim(groupgate::event::AgentVisitor { agent, visitor })),
        4 => v.clone().prop_map(|visitor| Event::Route(groupgate::event::VisitorOnly { visitor })),
        2 => (v.clone(), by.clone()).prop_map(|(visitor, agent)| Event::Release(groupgate::event::ChatAction { visitor, agent })),
        1 => (v.clone(), g.clone(), by.clone()).prop_map(|(visitor, g, agent)| Event::Transfer(groupgate::event::Transfer { visitor, to: TransferTarget::Group(g), agent })),
        1 => (v.clone(), a.clone(), by.clone()).prop_map(|(visitor, a, agent)| Event::Transfer(groupgate::event::Transfer { visitor, to: TransferTarget::Agent(a), agent })),
        1 => v.clone().prop_map(|visitor| Event::Leave(groupgate::event::VisitorOnly { visitor })),
        3 => (a.clone(), status).prop_map(|(agent, status)| Event::SetStatus(groupgate::event::SetStatus { agent, status })),
        1 => a.prop_map(|agent| Event::Refresh(groupgate::event::AgentOnly { agent })),
        2 => change.prop_map(Event::Change),
        2 => (v.clone(), by.clone()).prop_map(|(visitor, agent)| Event::Answer(groupgate::event::ChatAction { visitor, agent })),
        1 => (v, by).prop_map(|(visitor, agent)| Event::Decline(groupgate::event::ChatAction { visitor, agent })),
        1 => prop_oneof![0u64..6, 1_000u64..1_000_000].prop_map(Event::AdvanceBy),
    ]
}

/// What one event at `now` gave, as the JSON a host sends on: its time,
/// its outcome or error, and the notices of the deadlines due by then and
/// its own, each with its instant (R26, R31, R33).
fn outcome(account: &mut Account, now: u64, e: &Event) -> String {
    serde_json::to_string(&account.apply_event_at(now, e)).unwrap()
}

/// Every page's availability (R10): each group's, then the ungrouped page's.
fn pages(account: &Account) -> Vec<(Option<String>, bool)> {
    let groups: Vec<String> = account.snapshot().config().groups().iter().map(|g| g.id().to_string()).collect();
    let mut out: Vec<(Option<String>, bool)> =
        groups.into_iter().map(|g| (Some(g.clone()), account.is_online(Some(&g)))).collect();
    out.push((None, account.is_online(None)));
    out
}

proptest! {
    #![proptest_config(cases::config_for(cases::cases()))]

    #[test]
    fn a_replayed_event_log_gives_the_same_answers_notices_and_account(
        routing in prop_oneof![Just(Routing::Broadcast), Just(Routing::LeastBusy), Just(Routing::RoundRobin)],
        events in proptest::collection::vec(event(), 1..60),
    ) {
        let mut live = account(routing);
        let mut log: Vec<String> = Vec::new();
        let mut said = Vec::new();
        for (now, e) in events.iter().enumerate() {
            said.push(outcome(&mut live, now as u64, e));
            log.push(serde_json::to_string(e).unwrap());
        }
        let mut replica = account(routing);
        for (now, line) in log.iter().enumerate() {
            let e: Event = serde_json::from_str(line).unwrap();
            prop_assert_eq!(&e, &events[now], "the log line reads back as the event: {}", line);
            prop_assert_eq!(&outcome(&mut replica, now as u64, &e), &said[now], "event {}: {}", now, line);
        }
        prop_assert_eq!(&replica, &live);
        prop_assert_eq!(format!("{replica:?}"), format!("{live:?}"));
    }

    /// R32: an account saved as JSON and loaded at random points equals the
    /// one that goes on, and both give the same answers and notices to the
    /// rest of the run; saving the loaded account gives the same JSON.
    #[test]
    fn saved_and_loaded_accounts_go_on_alike(
        routing in prop_oneof![Just(Routing::Broadcast), Just(Routing::LeastBusy), Just(Routing::RoundRobin)],
        events in proptest::collection::vec(event(), 1..60),
        saves in proptest::collection::vec(any::<bool>(), 60),
    ) {
        let mut live = account(routing);
        let mut copy = account(routing);
        for (now, e) in events.iter().enumerate() {
            if saves[now] {
                let json = serde_json::to_string(&copy.save()).unwrap();
                copy = Account::from_saved(serde_json::from_str(&json).unwrap()).unwrap();
                prop_assert_eq!(&copy, &live, "loaded before event {}", now);
                prop_assert_eq!(serde_json::to_string(&copy.save()).unwrap(), json);
            }
            let (a, b) = (outcome(&mut live, now as u64, e), outcome(&mut copy, now as u64, e));
            prop_assert_eq!(a, b, "event {}: {:?}", now, e);
            prop_assert_eq!(live.dashboard("a0"), copy.dashboard("a0"));
            for a in AGENTS {
                prop_assert_eq!(live.chats_of(a), copy.chats_of(a));
            }
            for v in VISITORS {
                prop_assert_eq!(live.queue_position(v), copy.queue_position(v));
            }
            prop_assert_eq!(live.queue(), copy.queue());
            prop_assert_eq!(live.needs_refresh(), copy.needs_refresh());
        }
        prop_assert_eq!(&copy, &live);
    }

    /// R31: an event's `availability_changed` notices are exactly the pages
    /// whose `is_online` differs before and after it, in configuration order
    /// with the ungrouped page last (a group the event added compares with
    /// the ungrouped page before it; a group it removed is not reported).
    #[test]
    fn availability_notices_are_the_pages_that_changed(
        routing in prop_oneof![Just(Routing::Broadcast), Just(Routing::LeastBusy), Just(Routing::RoundRobin)],
        events in proptest::collection::vec(event(), 1..60),
    ) {
        let mut account = account(routing);
        for (now, e) in events.iter().enumerate() {
            account.advance_to(now as u64).unwrap();
            let before = pages(&account);
            // An advance's deadlines each report their own changes.
            if account.apply_event(e).is_err() {
                continue;
            }
            let notices = account.notices().into_iter().map(|n| n.notice);
            if matches!(e, Event::AdvanceBy(_)) {
                continue;
            }
            let after = pages(&account);
            // A page whose group does not exist is an ungrouped page (R3).
            let at = |pages: &[(Option<String>, bool)], page: &str| {
                pages.iter().find(|(p, _)| p.as_deref() == Some(page)).or(pages.last()).is_some_and(|(_, on)| *on)
            };
            let ungrouped = |pages: &[(Option<String>, bool)]| pages.last().is_some_and(|(_, on)| *on);
            let notice = |page: &Option<String>, online: bool| Notice::AvailabilityChanged {
                group: page.as_ref().map(|g| g.parse().unwrap()),
                online,
            };
            let mut want: Vec<Notice> = Vec::new();
            // The latest groups in order, then the ungrouped page; groups
            // the event removed are not reported (R31, settled).
            for (page, on) in after.iter().filter(|(p, _)| p.is_some()) {
                if at(&before, page.as_deref().unwrap()) != *on {
                    want.push(notice(page, *on));
                }
            }
            if ungrouped(&before) != ungrouped(&after) {
                want.push(notice(&None, ungrouped(&after)));
            }
            let got: Vec<Notice> = notices.filter(|n| matches!(n, Notice::AvailabilityChanged { .. })).collect();
            prop_assert_eq!(got, want, "event {}: {:?}", now, e);
        }
    }
}

/// Every event and change step of the scenario suite reads as one
/// `Event` (its `expect_error` aside) — ids that break R23 included, as
/// text — and writes back to the same event.
#[test]
fn the_suite_s_event_and_change_steps_read_as_events() {
    let expectation = |key: &str| key.starts_with("expect_");
    let mut read = 0;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for path in files {
        let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for step in file["steps"].as_array().into_iter().flatten() {
            let mut step = step.as_object().unwrap().clone();
            step.remove("expect_error");
            let key = step.keys().next().unwrap().clone();
            if expectation(&key) || key == "save_and_load" {
                continue;
            }
            let value = serde_json::Value::Object(step);
            let e: Event = serde_json::from_value(value.clone())
                .unwrap_or_else(|err| panic!("{}: {value} is no event: {err}", path.display()));
            assert_eq!(e.key(), key);
            let written = serde_json::to_value(&e).unwrap();
            assert_eq!(written.as_object().unwrap().keys().collect::<Vec<_>>(), [&key]);
            let again: Event = serde_json::from_value(written).unwrap();
            assert_eq!(again, e, "{}: {value}", path.display());
            read += 1;
        }
    }
    assert!(read > 250, "only {read} steps read");
}

/// A malformed event says which event and which field, and never "did not
/// match any variant".
#[test]
fn malformed_events_name_the_event_and_the_field() {
    let cases = [
        (
            r#"{"claim": {"agent": "anna", "visitor": 7}}"#,
            "`claim.visitor`: invalid type: integer `7`, expected a string",
        ),
        (r#"{"claim": {"agent": "anna"}}"#, "`claim`: missing field `visitor`"),
        (r#"{"route": {"visitor": "v1", "page": 1}}"#, "`route`: unknown field `page`"),
        (
            r#"{"update_group": {"group": "de", "chat_limit": "two"}}"#,
            "`update_group.chat_limit`: invalid type: string",
        ),
        (r#"{"assign": {"agent": "anna", "group": "en", "tier": "gold"}}"#, "`assign.tier`:"),
        (r#"{"add_group": {"id": "de", "fallback": 3}}"#, "`add_group.fallback`: invalid type: integer `3`"),
        (r#"{"set_plan": "gold"}"#, "`set_plan`:"),
        (r#"{"advance": -1}"#, "`advance`: invalid value: integer `-1`"),
        (
            r#"{"transfer": {"visitor": "v1", "to_group": "de", "to_agent": "bob"}}"#,
            "exactly one of `to_group` and `to_agent`",
        ),
        (r#"{"teleport": {"visitor": "v1"}}"#, "unknown event `teleport`, expected one of `visit`"),
        (r#"{"route": {"visitor": "v1"}, "leave": {"visitor": "v1"}}"#, "exactly one key, found `route` and `leave`"),
        (r#"{}"#, "an event needs one event key"),
        (r#"{"add_agent": {"id": "carl", "status": 3}}"#, "`add_agent.status`: invalid type: integer `3`"),
        (r#"{"add_agent": {"id": "carl", "mood": "fine"}}"#, "`add_agent`: unknown field `mood`"),
        (r#"{"add_agent": {"id": "carl", "status": "away", "status": "online"}}"#, "duplicate field `status`"),
    ];
    for (text, want) in cases {
        let err = serde_json::from_str::<Event>(text).unwrap_err().to_string();
        assert!(err.contains(want), "{text}: {err}");
        assert!(!err.contains("did not match any variant"), "{text}: {err}");
    }
}

/// Every change writes under its own key, the one `Change::key` gives, and
/// `Change::KEYS` lists exactly those.
#[test]
fn every_change_key_is_listed() {
    use groupgate::{AgentPatch, GroupPatch, Plan, PolicyPatch, ScheduleSpec};
    let every = [
        Change::AddGroup(GroupSpec::new("g")),
        Change::RemoveGroup { group: "g".into() },
        Change::AddAgent(groupgate::AgentSpec::new("a")),
        Change::RemoveAgent { agent: "a".into() },
        Change::Assign { agent: "a".into(), group: "g".into(), tier: Tier::First },
        Change::Unassign { agent: "a".into(), group: "g".into() },
        Change::SetEnabled { agent: "a".into(), enabled: false },
        Change::UpdateGroup(GroupPatch::new("g").chat_limit(None)),
        Change::UpdateAgent(AgentPatch::new("a").role(Role::Admin)),
        Change::SetPlan(Plan::Free),
        Change::SetPolicy(PolicyPatch::default()),
        Change::SetGroupSelection(true),
        Change::SetSchedule(ScheduleSpec::new("s", "UTC")),
        Change::RemoveSchedule { schedule: "s".into() },
    ];
    let keys: Vec<String> = every
        .iter()
        .map(|c| {
            let written = serde_json::to_value(c).unwrap();
            let key = written.as_object().unwrap().keys().next().unwrap().clone();
            assert_eq!(key, c.key());
            assert_eq!(serde_json::from_value::<Change>(written).unwrap(), *c);
            key
        })
        .collect();
    assert_eq!(keys, Change::KEYS);
}

/// R25, R32: two processes — each with its own hash keys — apply the same
/// JSON event log and save byte-identical JSON, equal to this process's.
/// The test runs itself twice as the child processes.
#[test]
fn two_processes_applying_one_log_save_the_same_bytes() {
    const CHILD: &str = "GROUPGATE_EVENTS_CHILD";
    let log: Vec<String> = {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let events = proptest::collection::vec(event(), 200).new_tree(&mut runner).unwrap().current();
        events.iter().map(|e| serde_json::to_string(e).unwrap()).collect()
    };
    let saved_after = |log: &[String]| {
        let mut account = account(Routing::LeastBusy);
        for (now, line) in log.iter().enumerate() {
            account.advance_to(now as u64).unwrap();
            let _ = account.apply_event(&serde_json::from_str(line).unwrap());
        }
        serde_json::to_string(&account.save()).unwrap()
    };
    if std::env::var_os(CHILD).is_some() {
        println!("SAVED {}", saved_after(&log));
        return;
    }
    let run_child = || {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "two_processes_applying_one_log_save_the_same_bytes", "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).unwrap();
        let saved = stdout.lines().find_map(|l| l.split_once("SAVED ").map(|(_, s)| s.to_string()));
        saved.expect("the child printed its save")
    };
    let (one, two) = (run_child(), run_child());
    assert_eq!(one, two, "two processes saved different bytes");
    assert_eq!(one, saved_after(&log), "a child saved other bytes than this process");
    assert!(one.contains("\"visitors\":[{"), "the log left visitors on the site: {one}");
}
