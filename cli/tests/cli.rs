//! `routecheck` as CI runs it: exit status, explained failures, the JUnit
//! report read back and checked against the schema's element and attribute
//! names, JSON lines, the trace, malformed files that do not stop the run.

// Test code may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn routecheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_routecheck")).args(args).output().unwrap()
}

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A directory with a broken copy of a passing scenario (one agent left
/// out of an `expect_visible`), a file that is not a scenario, and a
/// passing one.
fn broken_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("routecheck-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let original = std::fs::read_to_string(suite().join("r05_unassigned_agents.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&original).unwrap();
    let steps = doc["steps"].as_array_mut().unwrap();
    let step = steps.iter_mut().find(|s| s.get("expect_visible").is_some()).unwrap();
    let agents = step["expect_visible"]["agents"].as_array_mut().unwrap();
    assert!(agents.pop().is_some(), "the copy must lose an agent");
    std::fs::write(dir.join("a_broken.json"), serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    std::fs::write(dir.join("sub/b_not_a_scenario.json"), r#"{"account": {"groups": [{"id": 7}]}}"#).unwrap();
    std::fs::write(dir.join("sub/c_passes.json"), original).unwrap();
    std::fs::write(dir.join("sub/ignored.txt"), "not json, and not a .json file").unwrap();
    dir
}

#[test]
fn the_suite_passes_with_status_0() {
    let out = routecheck(&[suite().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let last = text(&out).lines().last().unwrap().to_string();
    assert!(last.ends_with("passed, 0 failed"), "{last}");
    let n: usize = last.split_whitespace().next().unwrap().parse().unwrap();
    assert!(n >= 60, "{last}");
}

#[test]
fn a_broken_copy_fails_with_an_explanation_naming_the_rule_and_the_run_goes_on() {
    let dir = broken_dir("explain");
    let out = routecheck(&[dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out);
    let lines: Vec<&str> = said.lines().collect();
    // Sorted, recursive, only .json files: the broken one, the malformed
    // one (which did not stop the run), the passing one.
    assert!(lines[0].contains("a_broken.json: FAILED step"), "{said}");
    assert!(
        said.contains("b_not_a_scenario.json: FAILED does not match the scenario format at `account.groups[0].id`"),
        "{said}"
    );
    assert!(said.contains("c_passes.json: ok"), "{said}");
    assert!(!said.contains("ignored.txt"));
    assert_eq!(*lines.last().unwrap(), "1 passed, 2 failed");
    // The explanation: the visitor's group and its source, every agent with
    // its decision and rule — the unassigned agent's by R5.
    assert!(said.contains("g1: group en, from its page_tag (R2)"), "{said}");
    assert!(said.contains("anna: sees g1 — R4"), "{said}");
    assert!(said.contains("uma: sees g1 — R5 (unassigned_agents: see_all; uma is in no group)"), "{said}");
}

#[test]
fn the_junit_report_reads_back_with_the_schema_s_names() {
    let dir = broken_dir("junit");
    let report = dir.join("report.xml");
    let out = routecheck(&["--junit", report.to_str().unwrap(), dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&report).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    // The JUnit XML schema the common reporters read (Jenkins' junit-10.xsd,
    // as GitLab and GitHub's reporters take it): these elements, with
    // these attributes.
    let allowed: &[(&str, &[&str])] = &[
        ("testsuites", &["name", "tests", "failures", "errors", "time", "disabled"]),
        (
            "testsuite",
            &[
                "name",
                "tests",
                "failures",
                "errors",
                "time",
                "skipped",
                "timestamp",
                "hostname",
                "id",
                "package",
                "disabled",
                "file",
            ],
        ),
        ("testcase", &["name", "classname", "time", "file", "assertions", "status", "line"]),
        ("failure", &["message", "type"]),
        ("error", &["message", "type"]),
    ];
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        let (_, attrs) =
            allowed.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("element <{name}> is not JUnit's"));
        for a in node.attributes() {
            assert!(attrs.contains(&a.name()), "<{name} {}> is not JUnit's", a.name());
        }
    }
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suite = root.children().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(
        (suite.attribute("tests"), suite.attribute("failures"), suite.attribute("errors")),
        (Some("3"), Some("1"), Some("1"))
    );
    let cases: Vec<_> = suite.children().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 3);
    assert_eq!(cases[0].attribute("name"), Some("a_broken.json"));
    let failure = cases[0].children().find(|n| n.has_tag_name("failure")).unwrap();
    assert!(failure.attribute("message").unwrap().starts_with("step "));
    assert!(failure.text().unwrap().contains("— R5"), "the explanation is in the failure");
    assert!(cases[1].children().any(|n| n.has_tag_name("error")));
    assert_eq!(cases[2].children().filter(|n| n.is_element()).count(), 0, "a passing case is empty");
}

#[test]
fn json_lines_and_the_trace_tell_each_file() {
    let dir = broken_dir("json");
    let trace = dir.join("trace.txt");
    let out = routecheck(&["--format", "json", "--trace", trace.to_str().unwrap(), dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out);
    let objects: Vec<serde_json::Value> = said.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(objects.len(), 3);
    assert_eq!(objects[0]["passed"], false);
    assert!(objects[0]["step"].is_u64());
    assert!(objects[0]["written"]["expect_visible"].is_object());
    assert!(objects[0]["explanation"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("R5")));
    assert!(objects[1]["error"].as_str().unwrap().contains("account.groups[0].id"));
    assert_eq!(objects[2]["passed"], true);
    // The trace: every step with its notices.
    let story = std::fs::read_to_string(trace).unwrap();
    assert!(story.contains("step 0 at 0: {\"visit\""), "{story}");
    assert!(story.contains("  ✗ expected"), "{story}");
    let r31 = suite().join("r31_notices_serving.json");
    let trace = dir.join("r31.txt");
    let out = routecheck(&["--trace", trace.to_str().unwrap(), r31.to_str().unwrap()]);
    assert!(out.status.success());
    let story = std::fs::read_to_string(trace).unwrap();
    assert!(story.contains("  → {\"chat_held\": {\"visitor\": \"v1\", \"agent\": \"anna\"}}"), "{story}");
}

#[test]
fn usage_errors_exit_2_and_help_documents_every_option() {
    for args in [&[][..], &["--bogus", "x"], &["--format", "xml", "x"], &["--junit"]] {
        let out = routecheck(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage"), "{args:?}");
    }
    let help = text(&routecheck(&["--help"]));
    for option in [
        "--junit FILE",
        "--format FORMAT",
        "--trace FILE",
        "--explain",
        "--quiet",
        "--help",
        "--version",
        "EXIT STATUS",
    ] {
        assert!(help.contains(option), "--help does not document {option}");
    }
    // Every option comes with an example.
    assert_eq!(help.matches("\n                             routecheck ").count(), 4);
}

#[test]
fn availability_and_candidates_are_explained_with_the_chain_s_hours() {
    let dir = std::env::temp_dir().join(format!("routecheck-hours-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let original = std::fs::read_to_string(suite().join("r30_a_closed_group_falls_back_to_an_open_one.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&original).unwrap();
    // The first availability expectation turned around: `cz` is closed,
    // online only through the night shift.
    let step = doc["steps"].as_array_mut().unwrap().iter_mut().find(|s| s.get("expect_online").is_some()).unwrap();
    let was = step["expect_online"]["online"].as_bool().unwrap();
    step["expect_online"]["online"] = serde_json::Value::Bool(!was);
    std::fs::write(dir.join("online.json"), serde_json::to_string(&doc).unwrap()).unwrap();
    let out = routecheck(&[dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out);
    assert!(said.contains("group cz: closed by its schedule (R30); its page online"), "{said}");
    assert!(said.contains("group ph: open; its page online"), "{said}");
    assert!(said.contains("bob: online, 0 chats held"), "{said}");
}

#[test]
fn explain_tells_every_expectation_s_decisions() {
    let file = suite().join("r05_unassigned_agents.json");
    let out = routecheck(&["--explain", file.to_str().unwrap()]);
    assert!(out.status.success());
    let said = text(&out);
    assert!(said.contains("r05_unassigned_agents.json: ok"), "{said}");
    // A passing expectation, explained: who sees the visitor, and by which rule.
    assert!(said.contains("    step 2 at 2: {\"expect_visible\""), "{said}");
    assert!(said.contains("      · revision 1 (the latest): who sees g1"), "{said}");
    assert!(said.contains("— R5"), "{said}");
}

/// A reader that goes away (`routecheck DIR | head -1`) ends the output
/// quietly: no panic, no message, and the run still finishes every file —
/// the exit status and the JUnit report cover them all.
#[test]
fn a_closed_standard_output_ends_the_output_quietly() {
    let dir = broken_dir("pipe");
    let junit = dir.join("report.xml");
    // The read end is closed before the program starts, so its very first
    // write fails with a broken pipe, whatever the timing.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_routecheck"))
        .args(["--explain", "--junit", junit.to_str().unwrap(), dir.to_str().unwrap()])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "nothing on standard error: {stderr}");
    // The broken copy and the malformed file still fail the run.
    assert_eq!(out.status.code(), Some(1));
    let report = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(report.matches("<testcase ").count(), 3, "{report}");
    // Help and version, too.
    for flag in ["--help", "--version"] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_routecheck")).arg(flag).stdout(writer).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{flag}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{flag}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
