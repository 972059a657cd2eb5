//! A host's loop around many accounts (R26, R31–R33): timed events in as
//! lines `ACCOUNT {"at": ms, "event": {...}}`, what each did out as lines
//! `ACCOUNT {"at", "ok", "outcome" | "error", "notices"}`, one timer for
//! every account's deadlines, the accounts saved on shutdown and loaded on
//! the next start.
//!
//! ```sh
//! cargo run --example host                   # a built-in morning at two shops
//! cargo run --example host -- events.txt     # your events, one per line
//! ```
//!
//! Run it twice: the second run starts from where the first stopped (its
//! events, timed earlier than the saved clocks, happen at those clocks).

use std::collections::BTreeMap;
use std::error::Error;
use std::io::{BufRead, Write};
use std::path::PathBuf;

use groupgate::{
    Account, AgentSpec, Config, ConfigBuilder, Event, GroupSpec, NextDeadlines, Policy, Routing, Saved, Timed,
};

/// 2026-12-07, from 09:00:00Z: anna misses a chat at 09:00:32 (a deadline of
/// shop-cz, fired by the timer before shop-de's next event, its notices at
/// their own time); an agent may not close a chat it does not hold (R38).
const MORNING: &str = r#"
shop-cz {"at": 1796634000000, "event": {"set_status": {"agent": "anna", "status": "online"}}}
shop-cz {"at": 1796634000000, "event": {"set_status": {"agent": "bob", "status": "online"}}}
shop-de {"at": 1796634000000, "event": {"set_status": {"agent": "anna", "status": "online"}}}
shop-cz {"at": 1796634001000, "event": {"visit": {"visitor": "v1", "page_group": "cz"}}}
shop-cz {"at": 1796634002000, "event": {"route": {"visitor": "v1"}}}
shop-de {"at": 1796634003000, "event": {"visit": {"visitor": "v7", "page_group": "en"}}}
shop-de {"at": 1796634004000, "event": {"route": {"visitor": "v7"}}}
shop-de {"at": 1796634040000, "event": {"release": {"visitor": "v7", "agent": "anna"}}}
shop-cz {"at": 1796634041000, "event": {"answer": {"visitor": "v1", "agent": "bob"}}}
shop-de {"at": 1796634050000, "event": {"leave": {"visitor": "v7"}}}
"#;

/// Where the accounts are kept between runs, one file each.
fn dir() -> PathBuf {
    std::env::temp_dir().join("groupgate-host")
}

/// A new account's configuration: Czech chats fall back to English ones,
/// picked chats must be answered within 30 s.
fn config() -> Result<Config, Box<dyn Error>> {
    let mut policy = Policy::default();
    policy.routing = Routing::LeastBusy;
    policy.answer_timeout = Some(30_000);
    Ok(ConfigBuilder::new()
        .policy(policy)
        .group(GroupSpec::new("en"))
        .group(GroupSpec::new("cz").fallback("en"))
        .agent(AgentSpec::new("anna").member("cz"))
        .agent(AgentSpec::new("bob").member("en"))
        .build()?)
}

fn main() -> Result<(), Box<dyn Error>> {
    // Start: every saved account, its next deadline on the one timer.
    let mut accounts: BTreeMap<String, Account> = BTreeMap::new();
    let mut timers = NextDeadlines::new();
    let mut saved: Vec<PathBuf> = match std::fs::read_dir(dir()) {
        Ok(entries) => entries.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?,
        Err(_) => Vec::new(),
    };
    saved.sort();
    for path in saved.iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let id = path.file_stem().and_then(|s| s.to_str()).ok_or("an account file without a name")?;
        let account = Account::from_saved(serde_json::from_str::<Saved>(&std::fs::read_to_string(path)?)?)?;
        timers.set(id.to_string(), account.next_deadline());
        eprintln!("loaded {id}: clock {}, {} visitors", account.clock(), account.visitors().count());
        accounts.insert(id.to_string(), account);
    }

    let input: Box<dyn BufRead> = match std::env::args().nth(1) {
        Some(path) => Box::new(std::io::BufReader::new(std::fs::File::open(path)?)),
        None => Box::new(MORNING.as_bytes()),
    };
    let mut out = std::io::stdout().lock();
    for line in input.lines() {
        let line = line?;
        let Some((id, json)) = line.trim().split_once(' ') else { continue };
        let timed: Timed = match serde_json::from_str(json) {
            Ok(timed) => timed,
            Err(e) => {
                writeln!(out, "{id} {}", serde_json::json!({ "unreadable": e.to_string() }))?;
                continue;
            }
        };
        // The timer: a server sleeps until `timers.first()`; here time is
        // the events', so whatever fell due before this one fires first.
        // An advance is an event like any other (R33).
        for due in timers.due(timed.at) {
            let Some(account) = accounts.get_mut(&due) else { continue };
            let advanced = account.apply_event_at(timed.at, &Event::AdvanceBy(0));
            writeln!(out, "{due} {}", serde_json::to_string(&advanced)?)?;
            timers.set(due, account.next_deadline());
        }
        // A new account starts at its first event's time, not in 1970.
        if !accounts.contains_key(id) {
            accounts.insert(id.to_string(), Account::new(config()?, timed.at));
        }
        let Some(account) = accounts.get_mut(id) else { continue };
        let applied = account.apply_event_at(timed.at, &timed.event);
        writeln!(out, "{id} {}", serde_json::to_string(&applied)?)?;
        timers.set(id.to_string(), account.next_deadline());
    }

    // Shutdown: everything that decides later answers, one file each (R32).
    std::fs::create_dir_all(dir())?;
    for (id, account) in &accounts {
        std::fs::write(dir().join(format!("{id}.json")), serde_json::to_string(&account.save())?)?;
    }
    eprintln!("saved {} accounts in {}; next wake-up {:?}", accounts.len(), dir().display(), timers.first());
    Ok(())
}
