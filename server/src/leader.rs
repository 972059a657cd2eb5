//! Deadlines (R26) in a service with no client allowed to move a clock:
//! every process beats its heart in `gg_servers` (alive for 3 s, renewed
//! every second), and every 200 ms takes the accounts whose next deadline
//! the database's clock has reached and that no live process leads, and
//! appends to each an `advance` event — stamped, like every event, with the
//! database's clock, so it processes exactly the deadlines due by then and
//! none early, whatever this machine's own clock says. Its id names the
//! deadline (`deadline-<instant>`), so two processes that both believe they
//! lead append it once. When a process dies its accounts pass to another
//! within the 3 s its heartbeat lasts plus one scan.

use std::sync::Arc;
use std::time::Duration;

use groupgate::Event;
use tokio::task::JoinSet;

use crate::db;
use crate::registry::{Item, Registry};

/// How long a heartbeat keeps a process the leader of its accounts.
pub const LEASE: Duration = Duration::from_secs(3);
/// How often due deadlines are looked for.
pub const SCAN: Duration = Duration::from_millis(200);
/// Advances appended at once by one server.
const MAX_CONCURRENT_ADVANCES: usize = 2;

/// Beats the heart of server `me` and appends the advances of the
/// deadlines due in the accounts it leads, until the task is dropped.
pub async fn run(registry: Arc<Registry>, me: String) {
    let mut tick = tokio::time::interval(SCAN);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut beats = 0u32;
    loop {
        tick.tick().await;
        if beats == 0 {
            match registry.pool().get().await {
                Ok(client) => {
                    if let Err(e) = db::heartbeat(&client, &me, LEASE).await {
                        tracing::warn!(error = %e, "heartbeat failed");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "heartbeat: no connection"),
            }
        }
        beats = (beats + 1) % 5;
        if let Err(e) = fire_due(&registry, &me).await {
            tracing::warn!(error = %e, "looking for due deadlines failed");
        }
    }
}

/// Appends the advance of every due deadline this server leads (or takes
/// over), a task per account, two at a time. Returns how many were due.
///
/// # Errors
///
/// The database's error.
pub async fn fire_due(registry: &Arc<Registry>, me: &str) -> Result<usize, crate::ServerError> {
    let due = {
        let client = registry.pool().get().await?;
        let (now, due) = db::take_due(&client, me, 0, 500).await?;
        // The advances below are stamped from this reading or a later
        // one, so a deadline found due is not found early by its append.
        registry.observe_db_clock(now);
        due
    };
    let n = due.len();
    let mut tasks = JoinSet::new();
    for d in due {
        // A few at a time: a server taking over many accounts at once (a
        // leader died) must leave its pool to the clients' requests.
        if tasks.len() >= MAX_CONCURRENT_ADVANCES {
            tasks.join_next().await;
        }
        let registry = registry.clone();
        tasks.spawn(async move {
            let loaded = match registry.get(&d.account).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(account = %d.account, error = e.body(), "a due account did not load");
                    return;
                }
            };
            let event = Event::AdvanceBy(0);
            let body = serde_json::to_string(&event).unwrap_or_default();
            let item = Item { id: format!("deadline-{}", d.at), event, body, not_before: Some(d.at) };
            if let Err(e) = registry.append(&loaded, vec![item]).await {
                tracing::warn!(account = %d.account, at = d.at, error = e.body(), "a deadline's advance failed");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(n)
}
