//! Finding, reading and running scenario files: shared by the `routecheck`
//! example and the conformance test, so both run the files the same way.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use groupgate::scenario::Scenario;

/// The outcome of a run over many files.
#[derive(Debug, Default)]
pub struct Summary {
    /// One line per file, in the order run.
    pub lines: Vec<String>,
    /// Files that passed.
    pub passed: usize,
    /// Files that failed (including unreadable or malformed ones).
    pub failed: usize,
}

impl Summary {
    /// The last line: `N passed, M failed`.
    pub fn total(&self) -> String {
        format!("{} passed, {} failed", self.passed, self.failed)
    }
}

/// Every file to run: files as given, directories recursively (only `.json`
/// files), each directory's entries in sorted order.
pub fn collect(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out);
        } else {
            out.push(path.clone());
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        out.push(dir.to_path_buf()); // reported as unreadable when run
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Reads a scenario: a text that is not JSON says so; JSON that does not
/// match the format says which field is wrong (as a path from the top, like
/// `account.agents[0].tiers.en`), what is wrong with it, and the line and
/// column.
pub fn parse(text: &str) -> Result<Scenario, String> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let scenario: Result<Scenario, _> = serde_path_to_error::deserialize(&mut reader);
    let scenario = scenario.map_err(|e| {
        let path = e.path().to_string();
        let e = e.into_inner();
        match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => format!("not valid JSON: {e}"),
            _ if path == "." => format!("does not match the scenario format: {e}"),
            _ => format!("does not match the scenario format at `{path}`: {e}"),
        }
    })?;
    reader.end().map_err(|e| format!("not valid JSON: {e}"))?;
    Ok(scenario)
}

/// Parses and runs one scenario text; `Err` says where and why it failed.
pub fn check_text(text: &str) -> Result<(), String> {
    let scenario = parse(text)?;
    // `save_and_load` steps go through JSON text, as the format says.
    let through_json = |saved: &groupgate::Saved| {
        let text = serde_json::to_string(saved).map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    };
    let Some(failure) = scenario.run_saving_through(through_json).failure else { return Ok(()) };
    let written = failure.written.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default());
    Err(match (failure.step, written) {
        (Some(i), Some(step)) => {
            format!("step {i} {step}: expected {}, found {}", failure.expected, failure.found)
        }
        _ => format!("account: expected {}, found {}", failure.expected, failure.found),
    })
}

/// Runs every file; never stops early.
pub fn run_all(paths: &[PathBuf]) -> Summary {
    let mut summary = Summary::default();
    for path in collect(paths) {
        let result =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read: {e}")).and_then(|t| check_text(&t));
        match result {
            Ok(()) => {
                summary.passed += 1;
                summary.lines.push(format!("{}: ok", path.display()));
            }
            Err(why) => {
                summary.failed += 1;
                summary.lines.push(format!("{}: FAILED {why}", path.display()));
            }
        }
    }
    summary
}
