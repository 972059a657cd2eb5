//! Finding, reading and running scenario files: shared by `routecheck` and
//! the conformance test, so both run the files the same way.
#![allow(dead_code)]

#[path = "explain.rs"]
mod explain;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use groupgate_scenario::{Scenario, Traced};

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every step held.
    Passed,
    /// A step (or the account) did not hold.
    Failed {
        /// The failing step's index; `None` for the account.
        step: Option<usize>,
        /// The step as written (JSON).
        written: Option<String>,
        /// What the file expected.
        expected: String,
        /// What the library answered.
        found: String,
        /// The library's decisions behind the answer.
        explanation: Vec<String>,
    },
    /// The file could not be read, or is not a scenario: where and why.
    Malformed(String),
}

impl Outcome {
    /// One line: `ok`, or what failed.
    pub fn line(&self) -> String {
        match self {
            Outcome::Passed => "ok".into(),
            Outcome::Failed { step: Some(i), written: Some(step), expected, found, .. } => {
                format!("FAILED step {i} {step}: expected {expected}, found {found}")
            }
            Outcome::Failed { expected, found, .. } => format!("FAILED account: expected {expected}, found {found}"),
            Outcome::Malformed(why) => format!("FAILED {why}"),
        }
    }
}

/// One file run.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// The file.
    pub path: PathBuf,
    /// What became of it.
    pub outcome: Outcome,
    /// How long it took.
    pub time: Duration,
    /// Every step with what it produced, when asked for.
    pub trace: Vec<String>,
}

/// What to collect beside the outcome.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Keep a trace of every step.
    pub trace: bool,
    /// Explain every expectation in the trace, not only a failing one.
    pub explain_all: bool,
}

/// The outcome of a run over many files.
#[derive(Debug, Default)]
pub struct Summary {
    /// One line per file, in the order run, with a failure's explanation
    /// indented below it.
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

/// Parses and runs one scenario text.
pub fn run_text(text: &str, opts: Options) -> (Outcome, Vec<String>) {
    let scenario = match parse(text) {
        Ok(s) => s,
        Err(why) => return (Outcome::Malformed(why), Vec::new()),
    };
    // `save_and_load` steps go through JSON text, as the format says.
    let through_json = |saved: &groupgate::Saved| {
        let text = serde_json::to_string(saved).map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    };
    let mut trace = Vec::new();
    let report = scenario.run_traced(through_json, |t: &Traced<'_>| {
        if opts.trace {
            let step = serde_json::to_string(t.step).unwrap_or_default();
            trace.push(format!("step {} at {}: {step}", t.index, t.account.clock()));
            trace.extend(t.notices.iter().map(|n| format!("  → {n}")));
            if opts.explain_all {
                trace.extend(explain::explain(t.account, t.step).iter().map(|l| format!("  · {l}")));
            }
        }
    });
    let Some(failure) = report.failure else { return (Outcome::Passed, trace) };
    // The run is deterministic: run again to the failing step and explain
    // it there (explaining every step as it goes would slow every file).
    let mut explanation = Vec::new();
    if let Some(failing) = failure.step {
        let _ = scenario.run_traced(through_json, |t: &Traced<'_>| {
            if t.index == failing {
                explanation = explain::explain(t.account, t.step);
            }
        });
    }
    if opts.trace {
        trace.push(format!("  ✗ expected {}, found {}", failure.expected, failure.found));
        if !opts.explain_all {
            trace.extend(explanation.iter().map(|l| format!("  · {l}")));
        }
    }
    let written = failure.written.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default());
    let outcome =
        Outcome::Failed { step: failure.step, written, expected: failure.expected, found: failure.found, explanation };
    (outcome, trace)
}

/// Parses and runs one scenario text; `Err` says where and why it failed.
pub fn check_text(text: &str) -> Result<(), String> {
    match run_text(text, Options::default()).0 {
        Outcome::Passed => Ok(()),
        failed => Err(failed.line().trim_start_matches("FAILED ").to_string()),
    }
}

/// Runs one file.
pub fn run_file(path: &Path, opts: Options) -> FileResult {
    let began = Instant::now();
    let (outcome, trace) = match std::fs::read_to_string(path) {
        Ok(text) => run_text(&text, opts),
        Err(e) => (Outcome::Malformed(format!("cannot read: {e}")), Vec::new()),
    };
    FileResult { path: path.to_path_buf(), outcome, time: began.elapsed(), trace }
}

/// Runs every file; never stops early.
pub fn run_all(paths: &[PathBuf]) -> Summary {
    let mut summary = Summary::default();
    for path in collect(paths) {
        let result = run_file(&path, Options::default());
        summary.lines.push(format!("{}: {}", path.display(), result.outcome.line()));
        match &result.outcome {
            Outcome::Passed => summary.passed += 1,
            Outcome::Failed { explanation, .. } => {
                summary.failed += 1;
                summary.lines.extend(explanation.iter().map(|l| format!("    {l}")));
            }
            Outcome::Malformed(_) => summary.failed += 1,
        }
    }
    summary
}
