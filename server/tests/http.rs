//! The HTTP contract (`SERVICE.md`) end to end: every endpoint, every error
//! status it names, and authentication across two accounts, against
//! servers started in this process on a real PostgreSQL (`GROUPGATE_PG`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::Duration;

use common::{ADMIN, Api, Stream, database, fresh_id, options, server};
use reqwest::Method;
use serde_json::{Value, json};

fn shop() -> Value {
    json!({
        "policy": {"routing": "least_busy"},
        "groups": [{"id": "en"}, {"id": "de"}],
        "agents": [
            {"id": "anna", "groups": ["en"]},
            {"id": "bob", "groups": ["de"], "status": "away"}
        ],
        "contact_form": {"group_selection": true}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_create_delete_and_rotate_keys() {
    let Some(url) = database() else { return };
    let s = server(&url).await;
    let api = Api::new(&s);
    let id = fresh_id("admin");
    let body = json!({"id": id, "config": shop()});

    // Without the admin token, or with a wrong one: 401, nothing made.
    assert_eq!(api.post("/v1/accounts", None, body.clone()).await.status, 401);
    let wrong = api.post("/v1/accounts", Some("not-the-token"), body.clone()).await;
    assert_eq!((wrong.status, wrong.body["code"].as_str()), (401, Some("unauthorized")));

    let key = api.create(&id, shop()).await;
    assert!(key.starts_with("gg_"));
    let again = api.post("/v1/accounts", Some(ADMIN), body).await;
    assert_eq!((again.status, again.body["code"].as_str()), (409, Some("account_exists")));

    // Every configuration problem at once (R23), in the errors' form.
    let invalid = json!({"groups": [{"id": "en", "fallback": "zz"}, {"id": "en"}],
                         "agents": [{"id": "anna", "groups": ["nowhere"]}]});
    let bad = api.post("/v1/accounts", Some(ADMIN), json!({"id": fresh_id("bad"), "config": invalid})).await;
    assert_eq!(bad.status, 422, "{bad:?}");
    let mut codes: Vec<&str> =
        bad.body["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    codes.sort_unstable();
    assert_eq!(codes, ["duplicate_group", "unknown_group", "unknown_group"]);
    assert_eq!(bad.body["kind"], "invalid");
    let bad_id = api.post("/v1/accounts", Some(ADMIN), json!({"id": "", "config": shop()})).await;
    assert_eq!((bad_id.status, bad_id.body["code"].as_str()), (422, Some("invalid_id")));
    let not_json = api.send(Method::POST, "/v1/accounts", Some(ADMIN), Some("{".into())).await;
    assert_eq!((not_json.status, not_json.body["code"].as_str()), (422, Some("invalid_request")));

    // A new key: the old one stops working at once.
    let path = format!("/v1/accounts/{id}/keys");
    assert_eq!(api.post(&path, None, json!({})).await.status, 401);
    let rotated = api.post(&path, Some(ADMIN), json!({})).await;
    assert_eq!(rotated.status, 201, "{rotated:?}");
    let new_key = rotated.body["key"].as_str().unwrap().to_string();
    assert_ne!(new_key, key);
    assert_eq!(api.get(&format!("/v1/accounts/{id}/queue"), &key).await.status, 401);
    assert_eq!(api.get(&format!("/v1/accounts/{id}/queue"), &new_key).await.status, 200);
    assert_eq!(api.post("/v1/accounts/nobody-here/keys", Some(ADMIN), json!({})).await.status, 404);

    // Deleted: its key no longer opens anything; deleting again is 404.
    let path = format!("/v1/accounts/{id}");
    assert_eq!(api.send(Method::DELETE, &path, None, None).await.status, 401);
    assert_eq!(api.send(Method::DELETE, &path, Some(ADMIN), None).await.status, 204);
    assert_eq!(api.get(&format!("/v1/accounts/{id}/queue"), &new_key).await.status, 401);
    let gone = api.send(Method::DELETE, &path, Some(ADMIN), None).await;
    assert_eq!((gone.status, gone.body["code"].as_str()), (404, Some("unknown_account")));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_open_their_own_account_only() {
    let Some(url) = database() else { return };
    let s = server(&url).await;
    let api = Api::new(&s);
    let (a, b) = (fresh_id("two-a"), fresh_id("two-b"));
    let (key_a, key_b) = (api.create(&a, shop()).await, api.create(&b, shop()).await);
    let visit = json!({"visit": {"visitor": "v1", "page_group": "en"}});
    assert_eq!(api.event(&a, &key_a, "e1", visit.clone()).await.status, 200);
    // Another account's key: 403, on events, reads and streams alike.
    for (account, key) in [(&a, &key_b), (&b, &key_a)] {
        assert_eq!(api.event(account, key, "x", visit.clone()).await.status, 403);
        assert_eq!(api.get(&format!("/v1/accounts/{account}/visitors/v1"), key).await.status, 403);
        assert_eq!(api.get(&format!("/v1/accounts/{account}/notices"), key).await.status, 403);
    }
    // No key, an empty one, or one that is nobody's: 401.
    let path = format!("/v1/accounts/{a}/queue");
    assert_eq!(api.send(Method::GET, &path, None, None).await.status, 401);
    assert_eq!(api.get(&path, "gg_0000").await.status, 401);
    // A key of an existing account on one that does not exist: 403, so a
    // key says nothing about which accounts exist.
    assert_eq!(api.get("/v1/accounts/nobody-here/queue", &key_a).await.status, 403);
    // b saw nothing of a's event.
    assert_eq!(api.get(&format!("/v1/accounts/{b}/visitors/v1"), &key_b).await.status, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_answered_once_per_id_and_refused_when_malformed() {
    let Some(url) = database() else { return };
    let s = server(&url).await;
    let api = Api::new(&s);
    let id = fresh_id("events");
    let key = api.create(&id, shop()).await;
    let visit = json!({"visit": {"visitor": "v1", "page_group": "en"}});

    let first = api.event(&id, &key, "e1", visit.clone()).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["seq"], 1);
    assert_eq!(first.body["ok"], true);
    assert_eq!(first.body["outcome"], json!({"visited": "new"}));
    assert_eq!(first.body["notices"][0]["notice"], json!({"visitor_entered": {"visitor": "v1", "group": "en"}}));
    assert_eq!(first.body["notices"][0]["at"], first.body["at"]);
    // The same id and event: the same answer, not a second event.
    let retry = api.event(&id, &key, "e1", visit.clone()).await;
    assert_eq!((retry.status, &retry.body), (200, &first.body));
    // The same id with another event: 409.
    let other = api.event(&id, &key, "e1", json!({"leave": {"visitor": "v1"}})).await;
    assert_eq!((other.status, other.body["code"].as_str()), (409, Some("event_id_conflict")));
    assert_eq!(other.body["event_id"], "e1");

    // A refused event is in the log like any other, with its error's data.
    let refused = api.event(&id, &key, "e2", json!({"release": {"visitor": "v1", "agent": "anna"}})).await;
    assert_eq!(refused.status, 200);
    assert_eq!((refused.body["seq"].as_u64(), refused.body["ok"].as_bool()), (Some(2), Some(false)));
    assert_eq!(refused.body["error"]["code"], "no_chat");
    assert_eq!(refused.body["error"]["kind"], "conflict");
    // Times are the database's and never go back.
    assert!(refused.body["at"].as_u64() >= first.body["at"].as_u64());

    // The client's errors are the client's: 422 naming what is wrong.
    let long_id = "x".repeat(129);
    for bad_id in ["", long_id.as_str(), "tab\there", "ünïcode"] {
        let a = api.event(&id, &key, bad_id, visit.clone()).await;
        assert_eq!((a.status, a.body["code"].as_str()), (422, Some("invalid_event_id")), "{bad_id:?}");
    }
    let typed = api.event(&id, &key, "e3", json!({"claim": {"agent": "anna", "visitor": 7}})).await;
    assert_eq!(typed.status, 422);
    assert!(typed.body["message"].as_str().unwrap().contains("claim.visitor"), "{typed:?}");
    let advance = api.event(&id, &key, "e4", json!({"advance": 60_000})).await;
    assert_eq!((advance.status, advance.body["code"].as_str()), (422, Some("not_allowed")));
    let extra = api
        .post(&format!("/v1/accounts/{id}/events"), Some(&key), json!({"id": "e5", "account": "x", "event": visit}))
        .await;
    assert_eq!((extra.status, extra.body["code"].as_str()), (422, Some("invalid_request")));
    // Over 1 MiB: 413, whatever it holds.
    let huge = format!(r#"{{"id": "e6", "event": {{"visit": {{"visitor": "{}"}}}}}}"#, "v".repeat(1 << 20));
    let big = api.send(Method::POST, &format!("/v1/accounts/{id}/events"), Some(&key), Some(huge)).await;
    assert_eq!(big.status, 413);
    // None of these reached the log.
    let next = api.get(&format!("/v1/accounts/{id}/saved"), &key).await;
    assert_eq!(next.body["seq"], 2);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_appended_and_answered_in_order() {
    let Some(url) = database() else { return };
    let s = server(&url).await;
    let api = Api::new(&s);
    let id = fresh_id("batch");
    let key = api.create(&id, shop()).await;
    let path = format!("/v1/accounts/{id}/events:batch");
    let a = api.event(&id, &key, "before", json!({"visit": {"visitor": "v0"}})).await;
    assert_eq!(a.status, 200, "{a:?}");
    let batch = json!({"events": [
        {"id": "b1", "event": {"visit": {"visitor": "v1", "page_group": "en"}}},
        {"id": "b2", "event": {"route": {"visitor": "v1"}}},
        // The same id twice in one batch: one event, answered twice.
        {"id": "b1", "event": {"visit": {"visitor": "v1", "page_group": "en"}}},
        // An id already in the log with another event: that item only.
        {"id": "before", "event": {"leave": {"visitor": "v0"}}},
        {"id": "b3", "event": {"claim": {"agent": "bob", "visitor": "v1"}}}
    ]});
    let answered = api.post(&path, Some(&key), batch.clone()).await;
    assert_eq!(answered.status, 200, "{answered:?}");
    let answers = answered.body["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 5);
    let seqs: Vec<Value> = answers.iter().map(|a| a["seq"].clone()).collect();
    assert_eq!(seqs, [json!(2), json!(3), json!(2), Value::Null, json!(4)]);
    assert_eq!(answers[0], answers[2]);
    assert_eq!(answers[1]["outcome"]["routed"]["agent"], "anna");
    assert_eq!(answers[3]["status"], 409);
    assert_eq!(answers[3]["error"]["code"], "event_id_conflict");
    // bob is away and not in "en": the claim is refused, in the log.
    assert_eq!((answers[4]["ok"].as_bool(), answers[4]["error"]["code"].as_str()), (Some(false), Some("not_in_group")));
    // The batch again: the same answers.
    let again = api.post(&path, Some(&key), batch).await;
    assert_eq!(again.body, answered.body);
    // Too many, or one bad event: the whole batch is refused, naming it.
    let many: Vec<Value> =
        (0..1_001).map(|i| json!({"id": format!("m{i}"), "event": {"visit": {"visitor": "v9"}}})).collect();
    let over = api.post(&path, Some(&key), json!({"events": many})).await;
    assert_eq!((over.status, over.body["code"].as_str()), (422, Some("too_many_events")));
    let one_bad = api
        .post(&path, Some(&key), json!({"events": [{"id": "ok", "event": {"visit": {"visitor": "v9"}}}, {"id": "", "event": {"visit": {"visitor": "v9"}}}]}))
        .await;
    assert_eq!(one_bad.status, 422);
    assert!(one_bad.body["message"].as_str().unwrap().starts_with("events[1]"), "{one_bad:?}");
    assert_eq!(api.get(&format!("/v1/accounts/{id}/saved"), &key).await.body["seq"], 4);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_answer_after_the_log_position_asked_for() {
    let Some(url) = database() else { return };
    let s = server(&url).await;
    let api = Api::new(&s);
    let id = fresh_id("reads");
    let key = api.create(&id, shop()).await;
    api.event(&id, &key, "1", json!({"visit": {"visitor": "v1", "page_group": "en"}})).await;
    api.event(&id, &key, "2", json!({"visit": {"visitor": "v2", "page_group": "de"}})).await;
    api.event(&id, &key, "3", json!({"route": {"visitor": "v2"}})).await;
    let last = api.event(&id, &key, "4", json!({"route": {"visitor": "v1"}})).await;
    let seq = last.body["seq"].as_u64().unwrap();
    let (api, key) = (&api, &key);
    let get = |path: &str| {
        let full = format!("/v1/accounts/{id}{path}?after={seq}");
        async move { api.get(&full, key).await }
    };

    let v1 = get("/visitors/v1").await;
    assert_eq!(v1.status, 200);
    assert_eq!(v1.headers["groupgate-seq"], "4");
    assert_eq!((v1.body["group"].as_str(), v1.body["source"].as_str()), (Some("en"), Some("page_tag")));
    assert_eq!(v1.body["holder"], "anna");
    let v2 = get("/visitors/v2").await.body;
    assert_eq!((v2["queued"].as_bool(), v2["queue_position"].as_u64()), (Some(true), Some(0)));
    assert_eq!(get("/visitors/v1/visible-agents").await.body, json!({"agents": ["anna"]}));
    // Ungrouped visitors are seen by every member by default (R6).
    assert_eq!(get("/visitors/v2/candidates").await.body["agents"], json!([]));
    let claim = get("/visitors/v1/claim/bob").await.body;
    assert_eq!((claim["allowed"].as_bool(), claim["reason"].as_str()), (Some(false), Some("not_in_group")));
    let anna = get("/agents/anna").await.body;
    assert_eq!((anna["status"].as_str(), anna["load"].as_u64()), (Some("online"), Some(1)));
    assert_eq!(get("/agents/anna/dashboard").await.body, json!({"visitors": ["v1"]}));
    assert_eq!(get("/queue").await.body, json!({"queue": ["v2"]}));
    let pages = get("/availability").await.body["pages"].clone();
    assert_eq!(pages.as_array().unwrap().len(), 3, "en, de, the ungrouped page");
    assert_eq!(pages[1], json!({"group": "de", "online": false}));
    let one = api.get(&format!("/v1/accounts/{id}/availability?visitor=v1"), key).await.body;
    assert_eq!(one, json!({"visitor": "v1", "online": true}));
    let hours = get("/hours").await.body["groups"].clone();
    assert_eq!(hours[0]["group"], "en");
    assert_eq!(get("/config").await.body["groups"][1]["id"], "de");
    let saved = get("/saved").await.body;
    assert_eq!(saved["seq"], 4);
    assert_eq!(saved["saved"]["visitors"].as_array().unwrap().len(), 2);
    assert_eq!(get("/next-deadline").await.body, json!({"at": null}));

    // Unknown ids: 404 with the id.
    let nobody = get("/visitors/nobody").await;
    assert_eq!(
        (nobody.status, nobody.body["code"].as_str(), nobody.body["visitor"].as_str()),
        (404, Some("unknown_visitor"), Some("nobody"))
    );
    for path in
        ["/visitors/nobody/visible-agents", "/visitors/nobody/candidates", "/agents/nobody", "/agents/nobody/dashboard"]
    {
        assert_eq!(get(path).await.status, 404, "{path}");
    }
    assert_eq!(api.get(&format!("/v1/accounts/{id}/availability?visitor=nobody"), key).await.status, 404);
    // A position the log has not reached: 504 after 2 s.
    let ahead = api.get(&format!("/v1/accounts/{id}/queue?after={}", seq + 10), key).await;
    assert_eq!((ahead.status, ahead.body["code"].as_str()), (504, Some("timeout")));
    assert_eq!(api.get("/v1/no-such-route", key).await.status, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notice_stream_gives_every_notice_in_log_order_and_resumes() {
    let Some(url) = database() else { return };
    let s = server(&url).await;
    let api = Api::new(&s);
    let id = fresh_id("stream");
    let key = api.create(&id, shop()).await;
    // One event before the stream opens, the rest after: all of them come.
    api.event(&id, &key, "1", json!({"visit": {"visitor": "v1", "page_group": "en"}})).await;
    let mut stream = Stream::open(&api, &id, &key, "", None).await;
    api.event(&id, &key, "2", json!({"route": {"visitor": "v1"}})).await;
    api.event(&id, &key, "3", json!({"release": {"visitor": "v1", "agent": "anna"}})).await;
    let got = stream.take(3, Duration::from_secs(5)).await;
    let ids: Vec<&str> = got.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["1.0", "2.0", "3.0"]);
    assert_eq!(got[1].data["notice"], json!({"chat_held": {"visitor": "v1", "agent": "anna"}}));
    assert_eq!(got[2].data["notice"], json!({"chat_closed": {"visitor": "v1", "agent": "anna"}}));
    assert_eq!(got[2].data["seq"], 3);
    assert!(got[2].data["at"].as_u64().is_some());

    // Two notices in one event; resuming after the first gives the second.
    api.event(&id, &key, "4", json!({"leave": {"visitor": "v1"}})).await;
    let mut resumed = Stream::open(&api, &id, &key, "", Some("3.0")).await;
    let rest = resumed.take(1, Duration::from_secs(5)).await;
    assert_eq!(rest[0].id, "4.0");
    assert_eq!(rest[0].data["notice"], json!({"visitor_left": {"visitor": "v1"}}));
    let mut after = Stream::open(&api, &id, &key, "?after=3", None).await;
    assert_eq!(after.take(1, Duration::from_secs(5)).await[0].id, "4.0");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_fire_by_the_database_clock_and_reach_the_stream() {
    let Some(url) = database() else { return };
    let s = server(&url).await;
    let api = Api::new(&s);
    let id = fresh_id("deadline");
    let mut config = shop();
    config["policy"]["answer_timeout"] = json!(500);
    let key = api.create(&id, config).await;
    let mut stream = Stream::open(&api, &id, &key, "", None).await;
    api.event(&id, &key, "1", json!({"visit": {"visitor": "v1", "page_group": "en"}})).await;
    let routed = api.event(&id, &key, "2", json!({"route": {"visitor": "v1"}})).await;
    let at = routed.body["at"].as_u64().unwrap();
    let next = api.get(&format!("/v1/accounts/{id}/next-deadline?after=2"), &key).await;
    assert_eq!(next.body["at"].as_u64(), Some(at + 500));
    // Nobody answers: anna misses it (R27), at the deadline's own time.
    let got = stream.take(4, Duration::from_secs(5)).await;
    assert_eq!(got[2].data["notice"], json!({"chat_unheld": {"visitor": "v1", "agent": "anna", "why": "missed"}}));
    assert_eq!(got[2].data["at"].as_u64(), Some(at + 500));
    assert_eq!(got[3].data["notice"], json!({"status_changed": {"agent": "anna", "status": "away"}}));
    // The advance is in the log under the deadline's id, appended once.
    let saved = api.get(&format!("/v1/accounts/{id}/saved?after=3"), &key).await;
    assert_eq!(saved.body["seq"], 3);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_log() {
    let Some(url) = database() else { return };
    let (s1, s2) = (server(&url).await, server(&url).await);
    let (api1, api2) = (Api::new(&s1), Api::new(&s2));
    let id = fresh_id("shared");
    let key = api1.create(&id, shop()).await;
    let mut stream = Stream::open(&api2, &id, &key, "", None).await;
    let a = api1.event(&id, &key, "1", json!({"visit": {"visitor": "v1", "page_group": "en"}})).await;
    let b = api2.event(&id, &key, "2", json!({"route": {"visitor": "v1"}})).await;
    assert_eq!((a.body["seq"].as_u64(), b.body["seq"].as_u64()), (Some(1), Some(2)));
    // Read your own writes on the other server.
    let seen = api1.get(&format!("/v1/accounts/{id}/visitors/v1?after=2"), &key).await;
    assert_eq!(seen.body["holder"], "anna");
    // A retry at the other server: the same answer.
    let retry = api2.event(&id, &key, "1", json!({"visit": {"visitor": "v1", "page_group": "en"}})).await;
    assert_eq!(retry.body, a.body);
    let got = stream.take(2, Duration::from_secs(5)).await;
    assert_eq!((got[0].id.as_str(), got[1].id.as_str()), ("1.0", "2.0"));
    // Both copies are the same account.
    let saved1 = api1.get(&format!("/v1/accounts/{id}/saved?after=2"), &key).await.body;
    let saved2 = api2.get(&format!("/v1/accounts/{id}/saved?after=2"), &key).await.body;
    assert_eq!(saved1, saved2);
    s1.stop().await;
    s2.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_routes_answer() {
    let Some(url) = database() else { return };
    let s = server(&url).await;
    let api = Api::new(&s);
    let health = api.send(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, 200);
    let ready = api.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status, 200);
    let id = fresh_id("ops");
    let key = api.create(&id, shop()).await;
    api.event(&id, &key, "1", json!({"visit": {"visitor": "v1"}})).await;
    let text = api.http.get(format!("{}/metrics", api.base)).send().await.unwrap().text().await.unwrap();
    for name in ["groupgate_events_appended_total", "groupgate_append_seconds", "groupgate_accounts_loaded"] {
        assert!(text.contains(name), "{name} in {text}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_creates_rotates_and_deletes_accounts() {
    let Some(url) = database() else { return };
    let s = server(&url).await;
    let api = Api::new(&s);
    let id = fresh_id("cli");
    let config = std::env::temp_dir().join(format!("{id}.json"));
    std::fs::write(&config, shop().to_string()).unwrap();
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_groupgate-server"))
            .args(args)
            .env("GROUPGATE_DATABASE_URL", &url)
            .env("GROUPGATE_LOG", "error")
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let (ok, key) =
        cli(&["account", "create", &id, "--config", config.to_str().unwrap(), "--start", "2026-12-07T09:00:00Z"]);
    assert!(ok && key.starts_with("gg_"), "{key}");
    // The key works over HTTP, and the account's clock starts where asked.
    let visited = api.event(&id, &key, "1", json!({"visit": {"visitor": "v1"}})).await;
    assert_eq!(visited.status, 200);
    assert!(visited.body["at"].as_u64().unwrap() >= 1_796_634_000_000);
    let (ok, _) = cli(&["account", "create", &id, "--config", config.to_str().unwrap()]);
    assert!(!ok, "an id taken is refused");
    let (ok, new_key) = cli(&["account", "rotate-key", &id]);
    assert!(ok && new_key != key);
    // The server forgets the old key when told (the key channel).
    let mut refused = false;
    for _ in 0..50 {
        if api.get(&format!("/v1/accounts/{id}/queue"), &key).await.status == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "the old key still works");
    assert_eq!(api.get(&format!("/v1/accounts/{id}/queue"), &new_key).await.status, 200);
    let (ok, _) = cli(&["account", "delete", &id]);
    assert!(ok);
    let (ok, _) = cli(&["account", "delete", &id]);
    assert!(!ok, "deleting twice fails");
    let _ = std::fs::remove_file(config);
    s.stop().await;
}

/// Appends to one account alternating between two servers: each server's
/// copy is behind the log every other time, so its one-statement append
/// finds the log moved and goes again under the lock. Every event is
/// numbered once, in order; retries of old ids (past the server's memory
/// of recent ones) and of new ones get their first answers; both copies
/// end the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_alternating_between_servers_are_numbered_once_in_order() {
    let Some(url) = database() else { return };
    let (s1, s2) = (server(&url).await, server(&url).await);
    let apis = [Api::new(&s1), Api::new(&s2)];
    let id = fresh_id("alternate");
    let key = apis[0].create(&id, shop()).await;
    let mut first = Vec::new();
    for n in 0..80u64 {
        let event = json!({"visit": {"visitor": format!("v{n}"), "page_group": "en"}});
        let a = apis[(n % 2) as usize].event(&id, &key, &format!("e{n}"), event).await;
        assert_eq!(a.status, 200, "{a:?}");
        assert_eq!(a.body["seq"].as_u64(), Some(n + 1), "{a:?}");
        first.push(a.body);
    }
    for n in [0u64, 1, 2, 77, 78, 79] {
        for api in &apis {
            let event = json!({"visit": {"visitor": format!("v{n}"), "page_group": "en"}});
            let again = api.event(&id, &key, &format!("e{n}"), event).await;
            assert_eq!(again.body, first[n as usize], "the retry of e{n} at {}", api.base);
        }
    }
    // A new event after the retries is the 81st, at either server.
    let next = apis[1].event(&id, &key, "e80", json!({"visit": {"visitor": "v80", "page_group": "en"}})).await;
    assert_eq!(next.body["seq"], 81, "{next:?}");
    let path = format!("/v1/accounts/{id}/saved?after=81");
    let saved = [apis[0].get(&path, &key).await, apis[1].get(&path, &key).await];
    assert_eq!((saved[0].status, saved[1].status), (200, 200), "{saved:?}");
    let saved = [&saved[0].body, &saved[1].body];
    assert_eq!(saved[0], saved[1]);
    s1.stop().await;
    s2.stop().await;
}

/// A connection that sends nothing is closed once the header timeout
/// passes; a notice stream, which is being written, outlives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_and_streams_are_not() {
    use tokio::io::AsyncReadExt;
    let Some(url) = database() else { return };
    let mut opts = options(&url);
    opts.header_timeout_ms = 300;
    let s = groupgate_server::serve::start(opts).await.unwrap();
    let api = Api::new(&s);
    let id = fresh_id("idle");
    let key = api.create(&id, shop()).await;
    let mut stream = Stream::open(&api, &id, &key, "", None).await;

    let mut idle = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(_)) | Ok(Err(_))),
        "an idle connection was still open after 5 s with a 300 ms header timeout"
    );
    if let Ok(Ok(n)) = read {
        // Closed (0 bytes), or closed after an error status.
        let more = tokio::time::timeout(Duration::from_secs(2), idle.read(&mut buf)).await;
        assert!(n == 0 || matches!(more, Ok(Ok(0)) | Ok(Err(_))), "the idle connection stayed open");
    }

    // The stream opened before the idle connection has lived past the
    // timeout and still delivers.
    tokio::time::sleep(Duration::from_millis(500)).await;
    api.event(&id, &key, "1", json!({"visit": {"visitor": "v1", "page_group": "en"}})).await;
    let got = stream.take(1, Duration::from_secs(5)).await;
    assert_eq!(got[0].data["notice"], json!({"visitor_entered": {"visitor": "v1", "group": "en"}}));
    s.stop().await;
}

/// A leader that stops beating its heart: the deadlines of its accounts
/// pass to another server once its lease (3 s) runs out, within 5 s of
/// when they fell due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_leaders_deadlines_are_taken_over_within_five_seconds() {
    let Some(url) = database() else { return };
    let s1 = server(&url).await;
    let api1 = Api::new(&s1);
    let id = fresh_id("takeover");
    let mut config = shop();
    config["policy"]["answer_timeout"] = json!(500);
    let key = api1.create(&id, config).await;
    // s1 fires a first deadline, and so leads the account.
    let mut stream1 = Stream::open(&api1, &id, &key, "", None).await;
    api1.event(&id, &key, "1", json!({"visit": {"visitor": "v1", "page_group": "en"}})).await;
    api1.event(&id, &key, "2", json!({"route": {"visitor": "v1"}})).await;
    let first = stream1.take(4, Duration::from_secs(5)).await;
    assert_eq!(first[2].data["notice"]["chat_unheld"]["why"], "missed", "{first:?}");
    let online = api1.event(&id, &key, "3", json!({"set_status": {"agent": "anna", "status": "online"}})).await;
    let after = online.body["seq"].as_u64().unwrap();

    // s2 holds the account; s1 stops (its heartbeat row stays, alive for
    // up to 3 s more), then a chat is routed with nobody answering.
    let s2 = server(&url).await;
    let api2 = Api::new(&s2);
    let mut stream2 = Stream::open(&api2, &id, &key, &format!("?after={after}"), None).await;
    s1.stop().await;
    api2.event(&id, &key, "4", json!({"visit": {"visitor": "v2", "page_group": "en"}})).await;
    let routed = api2.event(&id, &key, "5", json!({"route": {"visitor": "v2"}})).await;
    let due = routed.body["at"].as_u64().unwrap() + 500;
    let got = stream2.take(4, Duration::from_secs(10)).await;
    let arrived = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    assert_eq!(got[2].data["notice"], json!({"chat_unheld": {"visitor": "v2", "agent": "anna", "why": "missed"}}));
    assert_eq!(got[2].data["at"].as_u64(), Some(due));
    // The database runs on this machine: its clock is this one's.
    let late = arrived.saturating_sub(due);
    assert!(late <= 5_000, "the deadline reached the stream {late} ms after it fell due");
    eprintln!("takeover: the deadline fired {late} ms after it fell due, its leader stopped");
    s2.stop().await;
}
