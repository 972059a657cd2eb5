//! A host's loop around one account: events in as JSON lines, notices out as
//! JSON lines, the account saved on shutdown and loaded on start (R31–R33).
//!
//! ```sh
//! cargo run --example host                      # a built-in day, saved in the temp directory
//! cargo run --example host -- events.jsonl      # your events, one JSON object per line
//! ```
//!
//! Run it twice: the second run starts from where the first stopped (a
//! visitor who is already on the site is `Known`, chats are still held).

use std::error::Error;
use std::io::{BufRead, Write};

use groupgate::{Account, AgentSpec, ConfigBuilder, ErrorCode, Event, GroupSpec, Saved};

/// Where the account is kept between runs.
fn saved_path() -> std::path::PathBuf {
    std::env::temp_dir().join("groupgate-host-account.json")
}

/// A day at a small shop: two groups, three agents, visitors coming and
/// going. Configuration changes are events too (`assign`).
const DAY: &str = r#"
{"set_status": {"agent": "anna", "status": "online"}}
{"set_status": {"agent": "bob", "status": "online"}}
{"visit": {"visitor": "v1", "page_group": "en"}}
{"visit": {"visitor": "v2", "page_group": "de"}}
{"route": {"visitor": "v1"}}
{"claim": {"agent": "anna", "visitor": "v1"}}
{"claim": {"agent": "anna", "visitor": "v2"}}
{"route": {"visitor": "v2"}}
{"assign": {"agent": "carla", "group": "de"}}
{"transfer": {"visitor": "v1", "to_group": "de"}}
{"set_status": {"agent": "bob", "status": "offline"}}
{"release": {"visitor": "v2"}}
{"leave": {"visitor": "v2"}}
"#;

fn start() -> Result<Account, Box<dyn Error>> {
    if let Ok(text) = std::fs::read_to_string(saved_path()) {
        let saved: Saved = serde_json::from_str(&text)?;
        eprintln!("loaded {}: {} visitors on the site", saved_path().display(), saved.visitors.len());
        return Ok(Account::from_saved(saved)?);
    }
    let config = ConfigBuilder::new()
        .group(GroupSpec::new("en"))
        .group(GroupSpec::new("de"))
        .agent(AgentSpec::new("anna").member("en"))
        .agent(AgentSpec::new("bob").member("de"))
        .agent(AgentSpec::new("carla"))
        .build()?;
    Ok(Account::new(config))
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut account = start()?;
    let input: Box<dyn BufRead> = match std::env::args().nth(1) {
        Some(path) => Box::new(std::io::BufReader::new(std::fs::File::open(path)?)),
        None => Box::new(DAY.as_bytes()),
    };
    let mut out = std::io::stdout().lock();
    for (i, line) in input.lines().enumerate() {
        let (n, line) = (i + 1, line?);
        if line.trim().is_empty() {
            continue;
        }
        // Each event happens at the host's clock (R26), which stamps
        // assignments (R16); here, the line number.
        let at = u64::try_from(n)?;
        let event: Event = match serde_json::from_str(&line) {
            Ok(event) => event,
            Err(e) => {
                writeln!(out, r#"{{"line": {n}, "unreadable": {:?}}}"#, e.to_string())?;
                continue;
            }
        };
        match account.apply_event_at(at, &event) {
            Ok(notices) => {
                for notice in notices {
                    writeln!(out, "{}", serde_json::to_string(&notice)?)?;
                }
            }
            // Refused: nothing changed (R24); tell the sender why.
            Err(e) => writeln!(out, r#"{{"line": {n}, "refused": "{}", "why": {:?}}}"#, e.code(), e.to_string())?,
        }
    }
    // Shutdown: everything that decides later answers, as JSON (R32).
    std::fs::write(saved_path(), serde_json::to_string(&account.save())?)?;
    eprintln!(
        "saved {}: queue {:?}, anna holds {:?}",
        saved_path().display(),
        account.queue(),
        account.chats_of("anna")
    );
    Ok(())
}
