//! Checks routing rules written as scenario files (`SCENARIO-FORMAT.md`).
//!
//! `cargo run -p routecheck -- FILE_OR_DIR...` (or `routecheck FILE_OR_DIR...` after `cargo install --path cli`) runs every `.json` file
//! given (directories recursively, in sorted order), prints one line per file
//! and then `N passed, M failed`. The exit status is 0 only when nothing failed.

mod check;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: routecheck FILE_OR_DIR...");
        return ExitCode::from(2);
    }
    let summary = check::run_all(&paths);
    for line in &summary.lines {
        println!("{line}");
    }
    println!("{}", summary.total());
    if summary.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
