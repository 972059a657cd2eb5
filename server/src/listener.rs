//! Notifications: one connection per process, outside the pool, listening
//! to `gg_keys` (a key changed somewhere) and to the channel of each
//! account this process holds (`gg_a<num>`: its log grew, or it was
//! deleted) — so an append wakes only the processes holding that account.
//! When the connection breaks it is made again, every channel listened to
//! again, every held account woken (a notification may have been missed)
//! and every cached key forgotten.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::registry::{Listen, Registry};

/// Runs the listener until the task is dropped.
pub async fn run(
    config: tokio_postgres::Config,
    registry: Arc<Registry>,
    mut changes: mpsc::UnboundedReceiver<Listen>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match session(&config, &registry, &mut changes).await {
            Ok(()) => return,
            Err(e) => tracing::warn!(error = %e, "the notification connection broke; connecting again"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// One connection's life; `Ok` when there is nothing more to listen for.
async fn session(
    config: &tokio_postgres::Config,
    registry: &Arc<Registry>,
    changes: &mut mpsc::UnboundedReceiver<Listen>,
) -> Result<(), String> {
    let (client, mut connection) = config.connect(NoTls).await.map_err(|e| e.to_string())?;
    let (notes_tx, mut notes) = mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if notes_tx.send(n).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "the notification connection failed");
                    break;
                }
            }
        }
    });
    let mut channels = vec!["gg_keys".to_string()];
    channels.extend(registry.channels().into_iter().map(|n| format!("gg_a{n}")));
    let listen: String = channels.iter().map(|c| format!("LISTEN {c};")).collect();
    client.batch_execute(&listen).await.map_err(|e| e.to_string())?;
    registry.keys_changed();
    loop {
        tokio::select! {
            change = changes.recv() => {
                let statement = match change {
                    Some(Listen::Add(n)) => format!("LISTEN gg_a{n}"),
                    Some(Listen::Remove(n)) => format!("UNLISTEN gg_a{n}"),
                    None => return Ok(()),
                };
                client.batch_execute(&statement).await.map_err(|e| e.to_string())?;
            }
            note = notes.recv() => {
                let Some(note) = note else { break };
                let channel = note.channel();
                if channel == "gg_keys" {
                    registry.keys_changed();
                } else if let Some(num) = channel.strip_prefix("gg_a").and_then(|n| n.parse::<i64>().ok()) {
                    registry.notified(num, note.payload());
                }
            }
        }
    }
    driver.abort();
    Err("the connection ended".into())
}
