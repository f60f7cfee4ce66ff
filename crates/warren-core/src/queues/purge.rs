//! Purging queues: their messages go, the queues stay. Goes through the gate (read-only refused,
//! audited); a dry run only lists what would be purged. Uses AMQP `queue.purge`, which reports exactly how
//! many messages each queue lost. Requires read permission on the queues. Modifies state.

use std::collections::BTreeMap;

use lapin::options::QueuePurgeOptions;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::row::QueueRow;
use crate::audit::Action;
use crate::broker::amqp;
use crate::environment::Environment;
use crate::error::Result;
use crate::guard::{guarded, WriteToken};

/// A queue named by the window (vhost and name).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QueueRef {
    pub vhost: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PurgedQueue {
    pub vhost: String,
    pub name: String,
    /// Messages removed (in a dry run: the depth the inventory last saw).
    #[ts(type = "number")]
    pub messages: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FailedQueue {
    pub vhost: String,
    pub name: String,
    pub error: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PurgeReport {
    pub dry_run: bool,
    pub purged: Vec<PurgedQueue>,
    pub failed: Vec<FailedQueue>,
}

/// The rows of `targets` in `inventory` (they carry each queue's type: a stream is never
/// purged), or bare rows for queues it does not hold.
pub fn rows_of(inventory: Option<&super::Inventory>, targets: &[QueueRef]) -> Vec<QueueRow> {
    targets
        .iter()
        .map(|t| {
            inventory
                .and_then(|i| {
                    i.rows
                        .iter()
                        .find(|r| r.vhost == t.vhost && r.name == t.name)
                })
                .cloned()
                .unwrap_or_else(|| QueueRow::named(&t.vhost, &t.name))
        })
        .collect()
}

/// Purge `targets` (rows from an inventory); `dry_run`: only list them with their last seen
/// depth. One AMQP connection per vhost; a queue that fails (gone, no permission, a stream:
/// purge does not apply to streams) is reported and the others still proceed. Requires read
/// permission on the queues. Modifies state (through the gate) unless `dry_run`.
pub async fn purge(
    env: &Environment,
    password: &SecretString,
    targets: &[QueueRow],
    dry_run: bool,
) -> Result<PurgeReport> {
    if dry_run {
        let purged = targets
            .iter()
            .map(|r| PurgedQueue {
                vhost: r.vhost.clone(),
                name: r.name.clone(),
                messages: r.messages,
            })
            .collect();
        return Ok(PurgeReport {
            dry_run,
            purged,
            failed: vec![],
        });
    }
    let action = Action::new(
        "queues.purge",
        targets.first().map(|t| t.vhost.as_str()),
        targets
            .iter()
            .map(|t| format!("{}/{}", t.vhost, t.name))
            .collect(),
        serde_json::json!({}),
    );
    let counts = |r: &PurgeReport| {
        serde_json::json!({
            "purged_queues": r.purged.len(),
            "messages": r.purged.iter().map(|p| p.messages).sum::<u64>(),
            "failed_queues": r.failed.len(),
        })
    };
    guarded(env, action, counts, |gate| async move {
        purge_queues(&gate, env, password, targets).await
    })
    .await
}

async fn purge_queues(
    gate: &WriteToken,
    env: &Environment,
    password: &SecretString,
    targets: &[QueueRow],
) -> Result<PurgeReport> {
    let mut by_vhost: BTreeMap<&str, Vec<&QueueRow>> = BTreeMap::new();
    for t in targets {
        by_vhost.entry(t.vhost.as_str()).or_default().push(t);
    }
    let mut report = PurgeReport {
        dry_run: false,
        purged: vec![],
        failed: vec![],
    };
    for (vhost, rows) in by_vhost {
        let fail_all = |report: &mut PurgeReport, error: String| {
            for r in &rows {
                report.failed.push(FailedQueue {
                    vhost: r.vhost.clone(),
                    name: r.name.clone(),
                    error: error.clone(),
                });
            }
        };
        let conn = match amqp::connect_to_write(gate, env, password, Some(vhost), "purge").await {
            Ok(c) => c,
            Err(e) => {
                fail_all(&mut report, e.message);
                continue;
            }
        };
        let mut channel = conn.create_channel().await.ok();
        for r in &rows {
            if r.queue_type == "stream" {
                report.failed.push(FailedQueue {
                    vhost: r.vhost.clone(),
                    name: r.name.clone(),
                    error: crate::Error::NotForStreams {
                        action: "purge".into(),
                        vhost: r.vhost.clone(),
                        queue: r.name.clone(),
                    }
                    .to_string(),
                });
                continue;
            }
            // A failed purge closes the channel (AMQP channel error): open a fresh one.
            if channel.as_ref().is_none_or(|c| !c.status().connected()) {
                channel = conn.create_channel().await.ok();
            }
            let Some(ch) = &channel else {
                report.failed.push(FailedQueue {
                    vhost: r.vhost.clone(),
                    name: r.name.clone(),
                    error: "cannot open an AMQP channel".into(),
                });
                continue;
            };
            match ch
                .queue_purge(r.name.as_str().into(), QueuePurgeOptions::default())
                .await
            {
                Ok(count) => report.purged.push(PurgedQueue {
                    vhost: r.vhost.clone(),
                    name: r.name.clone(),
                    messages: u64::from(count),
                }),
                Err(e) => report.failed.push(FailedQueue {
                    vhost: r.vhost.clone(),
                    name: r.name.clone(),
                    error: e.to_string(),
                }),
            }
        }
        let _ = conn.close(200, "purge done".into()).await;
    }
    Ok(report)
}
