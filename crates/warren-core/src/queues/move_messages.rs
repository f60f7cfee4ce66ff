//! Move every message of one queue to another with a broker-side shovel, as the management UI's
//! "Move messages" does: `src-delete-after: queue-length` (only what is there when it starts, so
//! it ends even while producers keep publishing) and `ack-mode: on-confirm` (a message leaves the
//! source only after the destination confirmed it). The shovel deletes itself when done.
//!
//! Requires the shovel plugin and the `policymaker` (or `administrator`) tag. Modifies state.

use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use rabbitmq_http_client::requests::RuntimeParameterDefinition;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;

use crate::audit::{self, Action};
use crate::broker::admin::{admin_client, admin_error};
use crate::broker::{amqp, BrokerError, BrokerErrorKind};
use crate::environment::Environment;
use crate::error::Result;
use crate::guard::ensure_writable;
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
    let pending = audit::start(env, action);
    let result = shovel(env, password, vhost, from, to, on_progress, cancelled).await;
    pending.finish(
        &result,
        |r| serde_json::json!({ "moved": r.moved, "cancelled": r.cancelled }),
    );
    result
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

async fn shovel(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    from: &str,
    to: &str,
    mut on_progress: impl FnMut(Progress),
    cancelled: impl Fn() -> bool,
) -> Result<MoveReport> {
    ensure_writable(env)?;
    if from == to {
        return Err(crate::Error::InvalidArgument(format!(
            "`{from}` cannot be moved into itself: pick another destination queue"
        )));
    }
    refuse_stream(env, password, vhost, from).await?;
    let conn = amqp::connect(env, password, Some(vhost), "move messages").await?;
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
    let admin = admin_client(env, password)?;
    let started = Instant::now();
    admin
        .upsert_runtime_parameter(&RuntimeParameterDefinition {
            name: &shovel,
            vhost,
            component: "shovel",
            value: value.as_object().cloned().unwrap_or_default(),
        })
        .await
        .map_err(|e| {
            let mut e = admin_error("start the shovel", e);
            e.message.push_str(" (moving needs the rabbitmq_shovel plugin and the `policymaker` or `administrator` tag)");
            e
        })?;
    // Done when the shovel removed itself (src-delete-after); progress is what left the source.
    let mut done = 0;
    let mut last_change = Instant::now();
    let mut stopped = false;
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if cancelled() {
            let _ = admin
                .clear_runtime_parameter("shovel", vhost, &shovel, true)
                .await;
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
        });
        let gone = match admin.get_runtime_parameter("shovel", vhost, &shovel).await {
            Err(rabbitmq_http_client::error::Error::NotFound) => true,
            Err(rabbitmq_http_client::error::Error::ClientErrorResponse {
                status_code, ..
            }) => status_code.as_u16() == 404,
            _ => false,
        };
        if gone {
            done = total;
            break;
        }
        if last_change.elapsed() > STALL_LIMIT {
            // A shovel that cannot reach its destination retries forever: stop it and say so.
            let _ = admin
                .clear_runtime_parameter("shovel", vhost, &shovel, true)
                .await;
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
