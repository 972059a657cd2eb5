//! Snapshots (SERVICE.md, operations): written every N events with their
//! checksum, verified by replay from the previous one before use; one
//! corrupted in the database, or written wrong with a good checksum, is
//! never loaded and is reported; the log behind verified snapshots is
//! pruned after the retention period.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::Duration;

use common::{Api, database, fresh_id, options};
use serde_json::json;

/// Waits until the account's snapshots at `seqs` are all verified or bad.
async fn settled(pool: &deadpool_postgres::Pool, account: &str, seqs: &[i64]) -> Vec<(i64, bool, bool)> {
    for _ in 0..100 {
        let client = pool.get().await.unwrap();
        let rows = client
            .query("SELECT seq, verified, bad FROM gg_snapshots WHERE account = $1 ORDER BY seq", &[&account])
            .await
            .unwrap();
        let got: Vec<(i64, bool, bool)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
        if seqs.iter().all(|s| got.iter().any(|(seq, v, b)| seq == s && (*v || *b))) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the snapshots at {seqs:?} of {account} were not verified in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_are_verified_before_use_and_wrong_ones_never_load() {
    let Some(url) = database() else { return };
    let mut opts = options(&url);
    opts.snapshot_every = 5;
    opts.retention_secs = 0;
    let s = groupgate_server::serve::start(opts.clone()).await.unwrap();
    let api = Api::new(&s);
    let id = fresh_id("snap");
    let key =
        api.create(&id, json!({"policy": {"routing": "least_busy"}, "agents": [{"id": "anna"}, {"id": "bob"}]})).await;
    for i in 0..12 {
        let event = match i % 3 {
            0 => json!({"visit": {"visitor": format!("v{i}")}}),
            1 => json!({"route": {"visitor": format!("v{}", i - 1)}}),
            _ => json!({"release": {"visitor": format!("v{}", i - 2)}}),
        };
        assert_eq!(api.event(&id, &key, &format!("e{i}"), event).await.status, 200);
    }
    let pool = groupgate_server::db::pool(&url, 2).unwrap();
    let got = settled(&pool, &id, &[5, 10]).await;
    // Both verified; the one at 5, behind the newest, is pruned with the
    // events up to it (retention 0 here).
    assert!(got.iter().any(|&(seq, verified, bad)| seq == 10 && verified && !bad), "{got:?}");
    let client = pool.get().await.unwrap();
    // Pruning follows the verification that allows it.
    let mut oldest: i64 = 0;
    for _ in 0..100 {
        oldest = client.query_one("SELECT min(seq) FROM gg_events WHERE account = $1", &[&id]).await.unwrap().get(0);
        if oldest != 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(oldest, 6, "events up to the second newest verified snapshot are pruned");
    let want = api.get(&format!("/v1/accounts/{id}/saved?after=12"), &key).await.body;
    s.stop().await;

    // The newest snapshot corrupted in the database: its checksum fails, so
    // a fresh server marks it bad, reports it, and loads from the one
    // before it and the log after that — the same account.
    client
        .execute(
            "UPDATE gg_snapshots SET saved = replace(saved, 'anna', 'anne') WHERE account = $1 AND seq = 10",
            &[&id],
        )
        .await
        .unwrap();
    let s = groupgate_server::serve::start(opts.clone()).await.unwrap();
    let api = Api::new(&s);
    let loaded = api.get(&format!("/v1/accounts/{id}/saved?after=12"), &key).await;
    assert_eq!(loaded.status, 200, "{loaded:?}");
    assert_eq!(loaded.body, want);
    let bad: bool =
        client.query_one("SELECT bad FROM gg_snapshots WHERE account = $1 AND seq = 10", &[&id]).await.unwrap().get(0);
    assert!(bad, "the corrupted snapshot is marked bad");
    let text = api.http.get(format!("{}/metrics", api.base)).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("groupgate_verification_failures_total"), "{text}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_snapshot_with_a_good_checksum_is_found_by_replay() {
    let Some(url) = database() else { return };
    let mut opts = options(&url);
    opts.snapshot_every = 4;
    let s = groupgate_server::serve::start(opts.clone()).await.unwrap();
    let api = Api::new(&s);
    let id = fresh_id("replay");
    let key = api.create(&id, json!({"agents": [{"id": "anna"}]})).await;
    for i in 0..3 {
        api.event(&id, &key, &format!("e{i}"), json!({"visit": {"visitor": format!("v{i}")}})).await;
    }
    // Before the server writes its own at 4, a diverged replica's snapshot
    // arrives: a valid saved account, with a checksum that holds, of
    // another account state (one visitor fewer).
    let pool = groupgate_server::db::pool(&url, 2).unwrap();
    let client = pool.get().await.unwrap();
    api.event(&id, &key, "e3", json!({"leave": {"visitor": "v2"}})).await;
    let right = api.get(&format!("/v1/accounts/{id}/saved?after=4"), &key).await.body["saved"].to_string();
    let settled_rows = settled(&pool, &id, &[4]).await;
    assert!(settled_rows.iter().any(|&(seq, verified, _)| seq == 4 && verified), "{settled_rows:?}");
    let mut wrong: serde_json::Value = serde_json::from_str(&right).unwrap();
    wrong["visitors"].as_array_mut().unwrap().pop();
    let wrong = wrong.to_string();
    let checksum = groupgate_server::keys::hash(&wrong);
    for i in 4..8 {
        api.event(&id, &key, &format!("e{i}"), json!({"visit": {"visitor": format!("w{i}")}})).await;
    }
    client
        .execute(
            "INSERT INTO gg_snapshots (account, seq, saved, checksum) VALUES ($1, 7, $2, $3)",
            &[&id, &wrong, &checksum],
        )
        .await
        .unwrap();
    let rows = settled(&pool, &id, &[7, 8]).await;
    assert!(rows.iter().any(|&(seq, _, bad)| seq == 7 && bad), "the wrong snapshot is bad: {rows:?}");
    assert!(rows.iter().any(|&(seq, verified, _)| seq == 8 && verified), "the right one is verified: {rows:?}");
    s.stop().await;
    // A fresh server loads from the verified snapshot and agrees with a
    // replay of the whole log.
    let s = groupgate_server::serve::start(opts).await.unwrap();
    let api = Api::new(&s);
    let saved = api.get(&format!("/v1/accounts/{id}/saved?after=8"), &key).await;
    assert_eq!(saved.status, 200);
    assert_eq!(saved.body["saved"]["visitors"].as_array().unwrap().len(), 6);
    s.stop().await;
}
