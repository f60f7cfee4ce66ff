//! Move every message of one queue to another with a broker-side shovel, as the management UI's
//! "Move messages" does: `src-delete-after: queue-length` (only what is there when it starts, so
//! it ends even while producers keep publishing) and `ack-mode: on-confirm` (a message leaves the
//! source only after the destination confirmed it). The shovel deletes itself when done.
//!
//! Requires the shovel plugin and the `policymaker` (or `administrator`) tag. Modifies state
//! (through the gate: refused on a read-only environment, audited).

use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use rabbitmq_http_client::requests::RuntimeParameterDefinition;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;

use crate::audit::Action;
use crate::broker::admin::Admin;
use crate::broker::{amqp, BrokerError, BrokerErrorKind};
use crate::environment::Environment;
use crate::error::Result;
use crate::guard::{guarded, WriteToken};
use crate::progress::Progress;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct MoveReport {
    pub vhost: String,
    pub from: String,
    pub to: String,
    #[ts(type = "number")]
    pub moved: u64,
    /// The shovel's name (`warren-move-…`), to find it in the broker while it runs.
    pub shovel: String,
    pub seconds: f64,
    /// Stopped on request before the end: `moved` messages are in `to`, the rest still in `from`.
    pub cancelled: bool,
}

/// How long a move may go without any message leaving the source before it is stopped.
const STALL_LIMIT: Duration = Duration::from_secs(60);

/// Start the shovel and report progress through `on_progress` until it has moved every message
/// the source held at the start. `from` must exist; `to` is declared by the shovel if missing.
/// When `cancelled()` turns true the shovel is deleted: what it moved stays moved (each message
/// left `from` only once `to` confirmed it), the rest stays in `from`.
/// Needs the shovel plugin and the `policymaker` tag. Modifies state (through the gate).
pub async fn move_messages(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    from: &str,
    to: &str,
    on_progress: impl FnMut(Progress),
    cancelled: impl Fn() -> bool,
) -> Result<MoveReport> {
    let action = Action::new(
        "queues.move",
        Some(vhost),
        vec![from.to_string()],
        serde_json::json!({ "to": to }),
    );
    let counts = |r: &MoveReport| serde_json::json!({ "moved": r.moved, "cancelled": r.cancelled });
    guarded(env, action, counts, |gate| async move {
        shovel(
            &gate,
            env,
            password,
            vhost,
            from,
            to,
            on_progress,
            cancelled,
        )
        .await
    })
    .await
}

/// A shovel consumes a stream from its next offset and removes nothing from it: moving one
/// does not apply. Asks the management API (`management` tag).
async fn refuse_stream(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
) -> Result<()> {
    let client = crate::broker::management::ManagementClient::new(env, password.clone())?;
    let path = format!(
        "queues/{}/{}",
        utf8_percent_encode(vhost, NON_ALPHANUMERIC),
        utf8_percent_encode(queue, NON_ALPHANUMERIC)
    );
    // Any other answer (no such queue, no permission) is for the AMQP side to report.
    let Ok((q, _)) = client.get_json::<serde_json::Value>(&path).await else {
        return Ok(());
    };
    if q.get("type").and_then(|t| t.as_str()) == Some("stream") {
        return Err(crate::Error::NotForStreams {
            action: "move".into(),
            vhost: vhost.into(),
            queue: queue.into(),
        });
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn shovel(
    gate: &WriteToken,
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    from: &str,
    to: &str,
    mut on_progress: impl FnMut(Progress),
    cancelled: impl Fn() -> bool,
) -> Result<MoveReport> {
    if from == to {
        return Err(crate::Error::InvalidArgument(format!(
            "`{from}` cannot be moved into itself: pick another destination queue"
        )));
    }
    refuse_stream(env, password, vhost, from).await?;
    let conn = amqp::connect_to_write(gate, env, password, Some(vhost), "move messages").await?;
    let total = amqp::queue_depth(&conn, vhost, from).await?;
    let shovel = format!(
        "warren-move-{}-{}",
        from.chars().take(40).collect::<String>(),
        std::process::id()
    );
    let uri = format!("amqp:///{}", utf8_percent_encode(vhost, NON_ALPHANUMERIC));
    let value = json!({
        "src-protocol": "amqp091", "src-uri": uri, "src-queue": from, "src-delete-after": "queue-length",
        "dest-protocol": "amqp091", "dest-uri": uri, "dest-queue": to,
        "ack-mode": "on-confirm",
    });
    let admin = Admin::new(env, password).await?;
    let started = Instant::now();
    let definition = value.as_object().cloned().unwrap_or_default();
    admin
        .write(gate, "start the shovel", |c| {
            let param = RuntimeParameterDefinition {
                name: &shovel,
                vhost,
                component: "shovel",
                value: definition.clone(),
            };
            async move { c.upsert_runtime_parameter(&param).await }
        })
        .await
        .map_err(|mut e| {
            e.message.push_str(" (moving needs the rabbitmq_shovel plugin and the `policymaker` or `administrator` tag)");
            e
        })?;
    let shovel_name = shovel.as_str();
    // Done when the shovel removed itself (src-delete-after); progress is what left the source.
    let mut done = 0;
    let mut last_change = Instant::now();
    let mut stopped = false;
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if cancelled() {
            stop_shovel(gate, &admin, vhost, &shovel).await;
            // Messages in flight at the stop go back to the source: count once the depth holds.
            let mut left = amqp::queue_depth(&conn, vhost, from).await.unwrap_or(total);
            for _ in 0..15 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let again = amqp::queue_depth(&conn, vhost, from).await.unwrap_or(total);
                if again == left {
                    break;
                }
                left = again;
            }
            done = total.saturating_sub(left);
            stopped = true;
            break;
        }
        let left = amqp::queue_depth(&conn, vhost, from).await.unwrap_or(total);
        let now_done = total.saturating_sub(left).max(done);
        if now_done != done {
            last_change = Instant::now();
        }
        done = now_done;
        let secs = started.elapsed().as_secs_f64();
        on_progress(Progress {
            done,
            total,
            rate: if secs > 0.0 { done as f64 / secs } else { 0.0 },
            scope: None,
        });
        let gone = matches!(
            admin
                .read("look at the shovel", |c| async move {
                    c.get_runtime_parameter("shovel", vhost, shovel_name).await
                })
                .await,
            Err(e) if e.kind == BrokerErrorKind::NotFound
        );
        if gone {
            done = total;
            break;
        }
        if last_change.elapsed() > STALL_LIMIT {
            // A shovel that cannot reach its destination retries forever: stop it and say so.
            stop_shovel(gate, &admin, vhost, &shovel).await;
            let _ = conn.close(200, "move stopped".into()).await;
            return Err(BrokerError::new(
                BrokerErrorKind::Other,
                format!("moving `{from}` to `{to}` made no progress for {} s, so Warren stopped its shovel `{shovel}` after {done} of {total} messages; nothing was lost (a message leaves `{from}` only once `{to}` confirmed it)", STALL_LIMIT.as_secs()),
            )
            .into());
        }
    }
    let _ = conn.close(200, "move done".into()).await;
    Ok(MoveReport {
        vhost: vhost.into(),
        from: from.into(),
        to: to.into(),
        moved: done,
        shovel,
        seconds: started.elapsed().as_secs_f64(),
        cancelled: stopped,
    })
}

/// Delete the shovel (a move that was cancelled or stalled); a failure leaves it to the broker's
/// `src-delete-after`, which ends it anyway.
async fn stop_shovel(gate: &WriteToken, admin: &Admin, vhost: &str, shovel: &str) {
    let _ = admin
        .write(gate, "stop the shovel", |c| async move {
            c.clear_runtime_parameter("shovel", vhost, shovel, true)
                .await
        })
        .await;
}
