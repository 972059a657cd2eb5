//! Reports for CI and for people: JUnit XML, JSON lines, the trace.

use std::fmt::Write;

use crate::check::{FileResult, Outcome};

/// Text escaped for XML attributes and content.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            // XML 1.0 has no other control characters.
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML as GitLab, Jenkins and GitHub test reporters read it: one
/// `testsuite` named `routecheck`, one `testcase` per file (`name` the
/// file, `classname` its directory), a `failure` for a step that did not
/// hold (its message the step and the mismatch, its text the explanation)
/// and an `error` for a file that is not a scenario.
pub fn junit(results: &[FileResult]) -> String {
    let failures = results.iter().filter(|r| matches!(r.outcome, Outcome::Failed { .. })).count();
    let errors = results.iter().filter(|r| matches!(r.outcome, Outcome::Malformed(_))).count();
    let time: f64 = results.iter().map(|r| r.time.as_secs_f64()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let counts = format!("tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time:.3}\"", results.len());
    let _ = writeln!(out, "<testsuites name=\"routecheck\" {counts}>");
    let _ = writeln!(out, "  <testsuite name=\"routecheck\" {counts} skipped=\"0\">");
    for r in results {
        let name = r.path.file_name().map_or_else(|| r.path.display().to_string(), |n| n.to_string_lossy().into());
        let class = r.path.parent().map(|p| p.display().to_string()).unwrap_or_default();
        let head = format!(
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\"",
            xml(&name),
            xml(&class),
            xml(&r.path.display().to_string()),
            r.time.as_secs_f64()
        );
        match &r.outcome {
            Outcome::Passed => {
                let _ = writeln!(out, "{head}/>");
            }
            Outcome::Failed { explanation, .. } => {
                let _ = writeln!(out, "{head}>");
                let message = r.outcome.line();
                let message = message.trim_start_matches("FAILED ");
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"expectation\">{}</failure>",
                    xml(message),
                    xml(&explanation.join("\n"))
                );
                let _ = writeln!(out, "    </testcase>");
            }
            Outcome::Malformed(why) => {
                let _ = writeln!(out, "{head}>");
                let _ = writeln!(out, "      <error message=\"{}\" type=\"malformed\"/>", xml(why));
                let _ = writeln!(out, "    </testcase>");
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// One JSON object for a file: `file`, `passed`, `time_ms`, and for a
/// failure `step`, `written` (the step), `expected`, `found`,
/// `explanation`, or `error` for a file that is not a scenario.
pub fn json_line(r: &FileResult) -> String {
    let file = r.path.display().to_string();
    let time_ms = r.time.as_secs_f64() * 1000.0;
    let value = match &r.outcome {
        Outcome::Passed => serde_json::json!({"file": file, "passed": true, "time_ms": time_ms}),
        Outcome::Failed { step, written, expected, found, explanation } => {
            let written: Option<serde_json::Value> = written.as_deref().and_then(|w| serde_json::from_str(w).ok());
            serde_json::json!({
                "file": file, "passed": false, "time_ms": time_ms, "step": step, "written": written,
                "expected": expected, "found": found, "explanation": explanation,
            })
        }
        Outcome::Malformed(why) => serde_json::json!({"file": file, "passed": false, "time_ms": time_ms, "error": why}),
    };
    value.to_string()
}

/// Every file's steps with their notices, file by file.
pub fn trace(results: &[FileResult]) -> String {
    let mut out = String::new();
    for r in results {
        let _ = writeln!(out, "== {}: {}", r.path.display(), r.outcome.line());
        for line in &r.trace {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
    }
    out
}
