//! The conformance suite: every file of `tests/scenarios/` through the same
//! runner as `routecheck` (`cli/`), plus the runner's handling of
//! malformed and failing files.

// Test code: helpers outside #[test] fns may unwrap and index too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../cli/src/check.rs"]
mod check;

use std::collections::BTreeSet;
use std::path::PathBuf;

use groupgate::Change;
use groupgate::event::EVENTS;
use groupgate_scenario::{EXPECTATIONS, Scenario};

fn suite() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

#[test]
fn the_conformance_suite_passes() {
    let summary = check::run_all(&[suite()]);
    for line in &summary.lines {
        println!("{line}");
    }
    assert_eq!(summary.failed, 0, "{}", summary.lines.join("\n"));
    assert!(summary.passed >= 25, "{}", summary.total());
}

fn suite_files() -> Vec<(String, Scenario)> {
    check::collect(&[suite()])
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), serde_json::from_str(&text).unwrap())
        })
        .collect()
}

#[test]
fn the_suite_uses_every_step_and_expectation_kind() {
    let used: BTreeSet<&str> =
        suite_files().iter().flat_map(|(_, s)| s.steps.iter().map(|st| st.action.key()).collect::<Vec<_>>()).collect();
    let every = [EVENTS, Change::KEYS, &["save_and_load"], EXPECTATIONS].concat();
    let missing: Vec<&&str> = every.iter().filter(|a| !used.contains(**a)).collect();
    assert!(missing.is_empty(), "never used: {missing:?}");
    let with_error = suite_files().iter().filter(|(_, s)| s.steps.iter().any(|st| st.expect_error.is_some())).count();
    assert!(with_error >= 5);
    assert!(suite_files().iter().any(|(_, s)| s.expect_invalid.is_some()));
}

#[test]
fn the_suite_covers_every_rule() {
    let names: Vec<String> = suite_files().into_iter().map(|(n, s)| format!("{n} {}", s.description)).collect();
    for rule in 1..=25 {
        let file = format!("r{rule:02}_");
        let cited = format!("R{rule}");
        let covered = names
            .iter()
            .any(|n| n.starts_with(&file) || n.contains(&format!("{cited}:")) || n.contains(&format!("{cited}/")));
        assert!(covered, "no scenario for {cited}");
    }
    assert!(names.iter().any(|n| n.starts_with("00_seed_walkthrough")));
}

#[test]
fn a_wrong_expectation_fails_with_the_step_and_both_values() {
    let text = std::fs::read_to_string(suite().join("r04_members.json")).unwrap();
    let broken = text.replacen(
        r#""anna",
          "cleo""#,
        r#""cleo""#,
        1,
    );
    assert_ne!(broken, text, "the fixture changed: update this test");
    let why = check::check_text(&broken).unwrap_err();
    assert!(why.starts_with("step 2 {\"expect_visible\""), "{why}");
    assert!(why.ends_with(r#"expected ["cleo"], found ["anna", "cleo"]"#), "{why}");
}

#[test]
fn malformed_files_say_where_and_why() {
    let cases = [
        (r#"{"account": {"plan": "pro"}, "steps": ["#, "not valid JSON", "line 1 column"),
        (
            r#"{"account": {"plan": "pro", "groups": [{"id": "en", "fallbak": "de"}]}}"#,
            "unknown field `fallbak`",
            "column",
        ),
        (
            r#"{"account": {"plan": "pro"}, "steps": [{"teleport": {"visitor": "v1"}}]}"#,
            "unknown step `teleport`",
            "column",
        ),
        (
            r#"{"account": {"plan": "pro"}, "steps": [{"route": {"visitor": "v"}, "leave": {"visitor": "v"}}]}"#,
            "exactly one action, found `route` and `leave`",
            "column",
        ),
        (r#"{"account": {"plan": "pro"}, "steps": [{}]}"#, "a step needs one action", "column"),
        (r#"{"account": {"plan": "gold"}}"#, "unknown variant `gold`", "column"),
        (r#"{"account": {}, "steps": [{"expect_load": {"agent": "a", "chats": -1}}]}"#, "invalid value", "column"),
        (
            r#"{"account": {}, "steps": [{"expect_queue": [], "expect_error": "x"}]}"#,
            "not allowed on `expect_queue`",
            "",
        ),
        (
            r#"{"account": {}, "steps": [{"transfer": {"visitor": "v"}}]}"#,
            "exactly one of `to_group` and `to_agent`",
            "",
        ),
        (
            r#"{"account": {}, "steps": [{"expect_claim": {"agent": "a", "visitor": "v", "allowed": false}}]}"#,
            "needs a `reason`",
            "",
        ),
        (r#"{"account": {}, "expect_invalid": [], "steps": [{"expect_queue": []}]}"#, "must have no steps", ""),
        (r#"{"steps": []}"#, "missing field `account`", "column"),
        // Valid JSON of the wrong type for a named value: a format error
        // that names the field, never "not valid JSON".
        (
            r#"{"account": {"plan": null}}"#,
            "at `account.plan`: invalid type: null, expected a Plan name, one of `free`, `standard`, `pro`",
            "line 1 column 25",
        ),
        (
            r#"{"account": {"groups": [{"id": "A"}], "agents": [{"id": "a", "groups": ["A"], "tiers": {"A": 1}}]}}"#,
            "at `account.agents[0].tiers.A`: invalid type: integer `1`, expected a Tier name",
            "line 1 column",
        ),
        (
            r#"{"account": {}, "steps": [{"set_status": {"agent": "a", "status": 3}}]}"#,
            // The event names its step and field itself, whatever reads it.
            "`set_status.status`: invalid type: integer `3`, expected a Status name",
            "line 1 column",
        ),
        (r#"{"account": {}} {"#, "not valid JSON: trailing characters", "line 1 column"),
        // R26: a step whose clock would pass 2^53 − 1 ms (start + i + the
        // advances so far; the last millisecond itself is allowed, below).
        (
            r#"{"account": {"start": 9007199254740990}, "steps": [{"expect_queue": []}, {"advance": 1}, {"expect_queue": []}]}"#,
            "step 1: its clock, 9007199254740990 (start) + 1 + 1 (advanced) = 9007199254740992 ms, passes 2^53 − 1 ms",
            "",
        ),
        (
            r#"{"account": {}, "steps": [{"advance": 9007199254740991}, {"advance": 9007199254740991}]}"#,
            "step 1: its clock, 0 (start) + 1 + 18014398509481982 (advanced)",
            "",
        ),
        ("\u{0}\u{1}", "not valid JSON", ""),
    ];
    for (text, why, position) in cases {
        let err = check::check_text(text).unwrap_err();
        assert!(err.contains(why), "{text}: {err}");
        assert!(err.contains(position), "{text}: no position in {err}");
    }
    // The clock's last millisecond is a step's clock like any other.
    let last = r#"{"account": {"start": 9007199254740989}, "steps": [{"advance": 1}, {"expect_next_deadline": null}]}"#;
    assert_eq!(check::check_text(last), Ok(()));
}

#[test]
fn a_bad_file_does_not_stop_the_run() {
    let dir = std::env::temp_dir().join(format!("groupgate-routecheck-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    std::fs::write(dir.join("a_bad.json"), "{").unwrap();
    std::fs::write(dir.join("nested/b_good.json"), r#"{"account": {}, "steps": [{"expect_queue": []}]}"#).unwrap();
    std::fs::write(dir.join("c_ignored.txt"), "not a scenario").unwrap();
    let summary = check::run_all(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!((summary.passed, summary.failed), (1, 1), "{:?}", summary.lines);
    assert!(summary.lines[0].contains("a_bad.json: FAILED not valid JSON"));
    assert!(summary.lines[1].ends_with("b_good.json: ok"));
    assert_eq!(summary.total(), "1 passed, 1 failed");
}

#[test]
fn expected_errors_must_match_exactly() {
    let text = r#"{"account": {"groups": [{"id": "en"}], "agents": [{"id": "anna", "groups": ["en"]}]},
                   "steps": [{"visit": {"visitor": "v1", "page_group": "en"}},
                             {"claim": {"agent": "anna", "visitor": "v1"}},
                             {"release": {"visitor": "v2"}, "expect_error": "unknown_visitor"},
                             {"expect_holder": {"visitor": "v1", "agent": "anna"}}]}"#;
    assert_eq!(check::check_text(text), Ok(()));
    let wrong = text.replace("unknown_visitor", "no_chat");
    let why = check::check_text(&wrong).unwrap_err();
    assert!(why.contains("expected error `no_chat`, found error `unknown_visitor`"), "{why}");
}

#[test]
fn the_guide_example_scenario_passes() {
    let blocks = guide_json_blocks();
    assert_eq!(check::check_text(&blocks[0]), Ok(()));
}

/// The JSON blocks of the guide (`docs/GUIDE.md`), in order.
fn guide_json_blocks() -> Vec<String> {
    let guide = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/GUIDE.md")).unwrap();
    guide.split("```json\n").skip(1).map(|rest| rest[..rest.find("```").unwrap()].to_string()).collect()
}

#[test]
fn the_guide_configuration_json_loads_and_differs_from_a_scenario_account_as_documented() {
    let blocks = guide_json_blocks();
    let config: groupgate::Config = serde_json::from_str(&blocks[1]).unwrap();
    assert_eq!(config.groups().len(), 2);
    assert_eq!(config.groups()[1].fallback().unwrap(), "support-en");
    assert_eq!(config.agents().next().unwrap().tier_in("support-en"), Some(groupgate::Tier::First));
    // The scenario's `account` carries statuses: not a `Config`, but the
    // `Config` is a valid `account`.
    let scenario: serde_json::Value = serde_json::from_str(&blocks[0]).unwrap();
    let err = serde_json::from_value::<groupgate::Config>(scenario["account"].clone()).unwrap_err();
    assert!(err.to_string().contains("unknown field `status`"), "{err}");
    let account: groupgate_scenario::AccountFile = serde_json::from_str(&blocks[1]).unwrap();
    assert_eq!(account.builder().build().unwrap(), config);
}
