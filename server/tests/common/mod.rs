//! What the server's tests share: a database from `GROUPGATE_PG` (the
//! tests say they were skipped without one), servers started in this
//! process on free ports, an HTTP client, and a reader of notice streams.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use groupgate_server::ServeOptions;
use groupgate_server::serve::Running;
use serde_json::{Value, json};

/// The admin token the test servers take.
pub const ADMIN: &str = "test-admin-token";

/// The database to test against, or `None` (the test is skipped).
pub fn database() -> Option<String> {
    let url = std::env::var("GROUPGATE_PG").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("skipped: set GROUPGATE_PG to a PostgreSQL connection string (.ci/run does)");
    }
    url
}

/// A server's options for tests: a free port, few connections.
pub fn options(url: &str) -> ServeOptions {
    ServeOptions {
        database_url: url.to_string(),
        listen: "127.0.0.1:0".parse().unwrap(),
        admin_token: Some(ADMIN.to_string()),
        name: None,
        db_connections: 4,
        max_connections: 1_000,
        max_subscribers: 100,
        request_timeout_ms: 10_000,
        header_timeout_ms: 30_000,
        snapshot_every: 1_000,
        idle_secs: 300,
        retention_secs: 7 * 86_400,
    }
}

/// A server with the test options.
pub async fn server(url: &str) -> Running {
    groupgate_server::serve::start(options(url)).await.unwrap()
}

/// An account id no earlier run used.
pub fn fresh_id(prefix: &str) -> String {
    let key = groupgate_server::keys::new_key();
    format!("{prefix}-{}", &key[3..15])
}

/// A client of one server.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

/// A status and a JSON body (`Value::Null` when it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Api {
    pub fn new(server: &Running) -> Api {
        Api { base: format!("http://{}", server.addr), http: reqwest::Client::new() }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<String>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body);
        }
        let response = req.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        Answer { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), headers }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(reqwest::Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(reqwest::Method::POST, path, token, Some(body.to_string())).await
    }

    /// Creates an account with `config` (a scenario file's `account`);
    /// gives its key.
    pub async fn create(&self, id: &str, config: Value) -> String {
        let a = self.post("/v1/accounts", Some(ADMIN), json!({"id": id, "config": config})).await;
        assert_eq!(a.status, 201, "{a:?}");
        assert_eq!(a.body["id"], id);
        a.body["key"].as_str().unwrap().to_string()
    }

    /// Sends one event; gives the answer.
    pub async fn event(&self, account: &str, key: &str, id: &str, event: Value) -> Answer {
        self.post(&format!("/v1/accounts/{account}/events"), Some(key), json!({"id": id, "event": event})).await
    }
}

/// One message of a notice stream.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub data: Value,
}

/// A notice stream being read.
pub struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    /// Opens `/notices` (with `query`, and `Last-Event-ID` when given).
    pub async fn open(api: &Api, account: &str, key: &str, query: &str, last_id: Option<&str>) -> Stream {
        let mut req = api.http.get(format!("{}/v1/accounts/{account}/notices{query}", api.base)).bearer_auth(key);
        if let Some(id) = last_id {
            req = req.header("last-event-id", id);
        }
        let response = req.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        Stream { response, buffer: String::new() }
    }

    /// The next `n` messages, waiting at most `within` for them all.
    pub async fn take(&mut self, n: usize, within: Duration) -> Vec<Message> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + within;
        while out.len() < n {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut data) = (None, None);
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ").or_else(|| line.strip_prefix("id:")) {
                        id = Some(v.to_string());
                    }
                    if let Some(v) = line.strip_prefix("data: ").or_else(|| line.strip_prefix("data:")) {
                        data = Some(serde_json::from_str(v).unwrap());
                    }
                }
                if let (Some(id), Some(data)) = (id, data) {
                    out.push(Message { id, data });
                }
                if out.len() == n {
                    return out;
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => panic!("the stream gave {} of {n} messages in time: {out:?}", out.len()),
            }
        }
        out
    }
}
