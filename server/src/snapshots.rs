//! Snapshots: an appending server writes the saved account (R32) every N
//! events with its SHA-256; any server then verifies it by loading the
//! previous verified snapshot (or the account's start), replaying the log
//! up to the new one's number and comparing the saved accounts byte for
//! byte. Only verified snapshots whose checksum still holds are loaded; a
//! wrong one is marked bad, reported, and never used. Once a snapshot is
//! verified, what the one before it covers is pruned after the retention
//! period (events) or at once (older snapshots).

use std::time::Duration;

use deadpool_postgres::Pool;

use crate::db;
use crate::error::ServerError;
use crate::replica::Replica;

/// Verifies up to `limit` snapshots written but not yet verified, oldest
/// first, and prunes behind each verified one. Returns how many were
/// looked at.
///
/// # Errors
///
/// The database's error.
pub async fn verify_pending(pool: &Pool, limit: i64, retention: Duration) -> Result<usize, ServerError> {
    let pending = {
        let client = pool.get().await?;
        db::unverified_snapshots(&client, limit).await?
    };
    for (account, seq) in &pending {
        match verify(pool, account, *seq).await {
            Ok(Some(true)) => {
                let client = pool.get().await?;
                let pruned = db::prune(&client, account, retention).await?;
                tracing::info!(account = %account, seq, pruned, "snapshot verified");
            }
            Ok(Some(false)) => {}
            Ok(None) => tracing::warn!(account = %account, seq, "a snapshot could not be verified yet"),
            Err(e) => tracing::warn!(account = %account, seq, error = %e, "verifying a snapshot failed"),
        }
    }
    Ok(pending.len())
}

/// Verifies the snapshot of `account` at `seq` and marks it: `Some(true)`
/// verified, `Some(false)` bad, `None` when it cannot be told (the events
/// before it are gone, the account or the snapshot is gone).
///
/// # Errors
///
/// The database's error.
pub async fn verify(pool: &Pool, account: &str, seq: u64) -> Result<Option<bool>, ServerError> {
    let client = pool.get().await?;
    let Some(row) = db::account(&client, account).await? else { return Ok(None) };
    let snaps = db::snapshots(&client, account).await?;
    let Some(target) = snaps.iter().find(|s| s.seq == seq) else { return Ok(None) };
    if !crate::keys::same_hash(&crate::keys::hash(&target.saved), &target.checksum) {
        return mark_bad(&client, account, seq, "its checksum fails").await;
    }
    // The newest verified snapshot before it whose checksum holds, or the
    // account's start.
    let base = snaps
        .iter()
        .find(|s| s.seq < seq && s.verified && crate::keys::same_hash(&crate::keys::hash(&s.saved), &s.checksum));
    let mut replica = match base {
        Some(base) => {
            let saved: groupgate::Saved = serde_json::from_str(&base.saved)
                .map_err(|e| ServerError::Stored(format!("snapshot {}: {e}", base.seq)))?;
            let account = groupgate::Account::from_saved(saved)
                .map_err(|e| ServerError::Stored(format!("snapshot {}: {e}", base.seq)))?;
            Replica { account, seq: base.seq }
        }
        None => Replica::start(&row)?,
    };
    while replica.seq < seq {
        let rows = db::read_log(&client, account, replica.seq, Some(seq), 1_000).await?;
        if rows.first().is_none_or(|r| r.seq != replica.seq + 1) {
            return Ok(None);
        }
        for r in &rows {
            if let Err(e) = replica.apply_logged(r) {
                return mark_bad(&client, account, seq, &format!("the replay before it fails: {e}")).await;
            }
        }
    }
    let replayed = serde_json::to_string(&replica.account.save()).map_err(|e| ServerError::Stored(e.to_string()))?;
    if replayed != target.saved {
        return mark_bad(&client, account, seq, "the replay from the one before it gives another account").await;
    }
    db::mark_snapshot(&client, account, seq, true).await?;
    Ok(Some(true))
}

async fn mark_bad(
    client: &deadpool_postgres::Object,
    account: &str,
    seq: u64,
    why: &str,
) -> Result<Option<bool>, ServerError> {
    crate::metrics::verification_failed("snapshot");
    tracing::error!(account, seq, why, "a snapshot is wrong: marked bad, never loaded");
    db::mark_snapshot(client, account, seq, false).await?;
    Ok(Some(false))
}
