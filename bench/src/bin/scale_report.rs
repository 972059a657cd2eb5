//! Prints the medians of `cargo bench -p groupgate-bench --bench scale` from
//! criterion's results: for each axis (visitors, agents, groups, queue
//! length), one line per operation with the growth exponent between
//! consecutive sizes, `log(t2 / t1) / log(n2 / n1)` — 0 when the cost does
//! not grow along the axis, 1 when it grows linearly — and, below it, the
//! longest single run at each size (the thread's CPU time, as the bench
//! wrote it beside criterion's results).
//!
//! `cargo run -p groupgate-bench --bin scale_report [TARGET_DIR]`

use std::path::{Path, PathBuf};

fn median_ns(dir: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join("new/estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("median")?.get("point_estimate")?.as_f64()
}

/// The longest single run the bench timed, in nanoseconds.
fn longest_ns(dir: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join("longest.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("longest_ns")?.as_f64()
}

fn main() {
    let target = std::env::args_os().nth(1).map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let mut found = false;
    for (axis, title) in
        [("scale", "visitors"), ("scale_agents", "agents"), ("scale_groups", "groups"), ("scale_queue", "queued chats")]
    {
        let root = target.join("criterion").join(axis);
        if let Ok(ops) = std::fs::read_dir(&root) {
            found = true;
            println!("## by {title}");
            report(ops);
            println!();
        }
    }
    if !found {
        eprintln!("no results under {}: run `cargo bench -p groupgate-bench --bench scale` first", target.display());
        std::process::exit(2);
    }
}

fn report(ops: std::fs::ReadDir) {
    let mut ops: Vec<PathBuf> = ops.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    ops.sort();
    for op in ops.iter().filter(|p| p.file_name().is_some_and(|n| n != "report")) {
        let mut sizes: Vec<(f64, f64, Option<f64>)> = std::fs::read_dir(op)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let path = e.ok()?.path();
                let n: f64 = path.file_name()?.to_str()?.parse().ok()?;
                Some((n, median_ns(&path)?, longest_ns(&path)))
            })
            .collect();
        sizes.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut line = format!("{:<30}", op.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        let mut longest = format!("{:<30}", "  longest run");
        for (i, (n, t, worst)) in sizes.iter().enumerate() {
            line += &format!("  {n:>9}: {:>10.0} ns", t);
            if let Some((n0, t0, _)) = i.checked_sub(1).and_then(|j| sizes.get(j)) {
                line += &format!(" (exp {:+.2})", (t / t0).ln() / (n / n0).ln());
            }
            longest += &match worst {
                Some(w) => format!("  {n:>9}: {:>10.0} ns", w),
                None => format!("  {n:>9}: {:>10} ns", "-"),
            };
            if i > 0 {
                longest += &" ".repeat(11);
            }
        }
        println!("{line}");
        println!("{longest}");
    }
}
