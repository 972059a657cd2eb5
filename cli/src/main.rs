//! `routecheck`: runs scenario files (the format of `SCENARIO-FORMAT.md`)
//! against groupgate and says which hold, explaining the ones that do not.
//! Run `routecheck --help` for the options.

mod check;
mod report;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use check::{Options, Outcome};

const HELP: &str = "\
routecheck — checks routing rules written as groupgate scenario files

USAGE:
    routecheck [OPTIONS] PATH...

Each PATH is a scenario file, or a directory searched recursively for
*.json files (run in sorted order). Every file runs, whatever the others
do; a file that cannot be read or is not a scenario fails, saying where
and why. A failing step is explained from the library's own decisions:
each agent involved with its decision, reason code and rule, the
visitor's effective group and where it comes from, the revision used.

OPTIONS:
    --junit FILE         Also write a JUnit XML report to FILE: one test case
                         per scenario file, failures with their explanation.
                             routecheck --junit report.xml scenarios/
    --format FORMAT      `text` (default): a line per file, the explanation
                         indented below a failure, then the total.
                         `json`: one JSON object per file, a line each.
                             routecheck --format json scenarios/ > results.jsonl
    --trace FILE         Write every step of every file to FILE, with the
                         notices it produced: the story of each scenario.
                             routecheck --trace story.txt scenarios/r27_missed.json
    --explain            Explain every expectation, not only a failing one:
                         in the trace, or without --trace, every step with
                         its notices and explanations below each file's line.
                             routecheck --explain scenarios/r05_unassigned.json
    --quiet              Text format: print only failing files and the total.
    -h, --help           Print this help.
    -V, --version        Print the version.

EXIT STATUS:
    0 every file passed; 1 some file failed; 2 the command line is wrong
    (or a report could not be written). When standard output is closed
    early (`routecheck scenarios/ | head -1`), the rest of the output is
    dropped without a word and every file still runs: the exit status and
    the --junit and --trace reports cover them all.
";

/// Standard output that goes quiet once its reader has gone: a closed pipe
/// (`routecheck … | head -1`) is no error to report, and the run goes on.
struct Out {
    stdout: std::io::StdoutLock<'static>,
    gone: bool,
}

impl Out {
    fn new() -> Self {
        Out { stdout: std::io::stdout().lock(), gone: false }
    }

    /// Writes one line; once a write fails, writes nothing more.
    fn line(&mut self, text: std::fmt::Arguments<'_>) {
        if !self.gone && writeln!(self.stdout, "{text}").is_err() {
            self.gone = true;
        }
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        if !self.gone {
            let _ = self.stdout.flush();
        }
    }
}

/// What the command line asks for.
struct Args {
    paths: Vec<PathBuf>,
    junit: Option<PathBuf>,
    json: bool,
    trace: Option<PathBuf>,
    explain: bool,
    quiet: bool,
}

enum Parsed {
    Run(Args),
    Exit(ExitCode),
}

fn parse(mut raw: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut args = Args { paths: Vec::new(), junit: None, json: false, trace: None, explain: false, quiet: false };
    let mut only_paths = false;
    while let Some(arg) = raw.next() {
        if only_paths || !arg.starts_with('-') || arg == "-" {
            args.paths.push(PathBuf::from(arg));
            continue;
        }
        let mut value = |name: &str| raw.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--" => only_paths = true,
            "-h" | "--help" => {
                Out::new().line(format_args!("{}", HELP.trim_end()));
                return Ok(Parsed::Exit(ExitCode::SUCCESS));
            }
            "-V" | "--version" => {
                Out::new().line(format_args!("routecheck {}", env!("CARGO_PKG_VERSION")));
                return Ok(Parsed::Exit(ExitCode::SUCCESS));
            }
            "--junit" => args.junit = Some(PathBuf::from(value("--junit")?)),
            "--trace" => args.trace = Some(PathBuf::from(value("--trace")?)),
            "--format" => match value("--format")?.as_str() {
                "text" => args.json = false,
                "json" => args.json = true,
                other => return Err(format!("--format {other}: use `text` or `json`")),
            },
            "--explain" => args.explain = true,
            "--quiet" => args.quiet = true,
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    if args.paths.is_empty() {
        return Err("no scenario file or directory given".into());
    }
    Ok(Parsed::Run(args))
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Exit(code)) => return code,
        Err(why) => {
            eprintln!("routecheck: {why}\nusage: routecheck [OPTIONS] PATH...   (routecheck --help for more)");
            return ExitCode::from(2);
        }
    };
    // `--explain` without `--trace` tells the story on standard output.
    let story = args.explain && args.trace.is_none() && !args.json;
    let opts = Options { trace: args.trace.is_some() || story, explain_all: args.explain };
    let mut results = Vec::new();
    let (mut passed, mut failed) = (0, 0);
    let mut out = Out::new();
    for path in check::collect(&args.paths) {
        let result = check::run_file(&path, opts);
        if result.outcome == Outcome::Passed {
            passed += 1;
        } else {
            failed += 1;
        }
        if args.json {
            out.line(format_args!("{}", report::json_line(&result)));
        } else if !(args.quiet && result.outcome == Outcome::Passed) {
            out.line(format_args!("{}: {}", path.display(), result.outcome.line()));
            if story {
                for line in &result.trace {
                    out.line(format_args!("    {line}"));
                }
            } else if let Outcome::Failed { explanation, .. } = &result.outcome {
                for line in explanation {
                    out.line(format_args!("    {line}"));
                }
            }
        }
        results.push(result);
    }
    if !args.json {
        out.line(format_args!("{passed} passed, {failed} failed"));
    }
    drop(out);
    let mut written = true;
    if let Some(file) = &args.junit {
        written &= write(file, &report::junit(&results));
    }
    if let Some(file) = &args.trace {
        written &= write(file, &report::trace(&results));
    }
    match (written, failed) {
        (false, _) => ExitCode::from(2),
        (true, 0) => ExitCode::SUCCESS,
        (true, _) => ExitCode::FAILURE,
    }
}

fn write(file: &PathBuf, text: &str) -> bool {
    match std::fs::write(file, text) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("routecheck: cannot write {}: {e}", file.display());
            false
        }
    }
}
