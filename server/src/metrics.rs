//! What `/metrics` reports, in Prometheus's text format: every name the
//! server records is written here once.

use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// The process's recorder, installed on first call; the handle `/metrics`
/// renders. Servers sharing a process (tests) share it.
pub fn install() -> PrometheusHandle {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = || {
                PrometheusBuilder::new()
                    .set_buckets(&[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
                    .unwrap_or_else(|_| PrometheusBuilder::new())
            };
            match builder().install_recorder() {
                Ok(handle) => handle,
                // Another recorder is installed: this one renders nothing
                // the macros record, but answers.
                Err(_) => builder().build_recorder().handle(),
            }
        })
        .clone()
}

/// Optimistic appends that found the head moved (another server appended
/// in between) and were done again under the account's lock.
pub fn append_raced() {
    metrics::counter!("groupgate_appends_raced_total").increment(1);
}

/// Events appended to the log by this server.
pub fn appended(n: usize) {
    metrics::counter!("groupgate_events_appended_total").increment(u64::try_from(n).unwrap_or(u64::MAX));
}

/// Events this server applied from the log (its own and others').
pub fn applied(n: usize) {
    metrics::counter!("groupgate_events_applied_total").increment(u64::try_from(n).unwrap_or(u64::MAX));
}

/// How long one append transaction took, from lock to commit.
pub fn append_latency(d: Duration) {
    metrics::histogram!("groupgate_append_seconds").record(d.as_secs_f64());
}

/// How long applying one event took.
pub fn apply_latency(d: Duration) {
    metrics::histogram!("groupgate_apply_seconds").record(d.as_secs_f64());
}

/// The accounts this process holds now.
pub fn accounts_loaded(n: usize) {
    metrics::gauge!("groupgate_accounts_loaded").set(n as f64);
}

/// The notice streams open now.
pub fn subscribers(delta: f64) {
    metrics::gauge!("groupgate_stream_subscribers").increment(delta);
}

/// Events in the log that this server has not applied yet, over the
/// accounts it holds, as last seen.
pub fn log_lag(events: u64) {
    metrics::gauge!("groupgate_log_lag_events").set(events as f64);
}

/// A snapshot or a replica found wrong: by checksum, by replay, or an
/// event answering differently on replay (`what`).
pub fn verification_failed(what: &'static str) {
    metrics::counter!("groupgate_verification_failures_total", "what" => what).increment(1);
}

/// Events since the newest verified snapshot of an account this server
/// loaded or verified.
pub fn snapshot_age(events: u64) {
    metrics::histogram!("groupgate_snapshot_age_events").record(events as f64);
}
