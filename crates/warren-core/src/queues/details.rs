//! What the queue drawer shows beyond the inventory row: the queue's bindings and its consumers
//! (which channel and connection, with what prefetch), read from the management API.
//!
//! Requires the `management` tag and access to the vhost. Does not modify state.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::broker::management::ManagementClient;
use crate::environment::Environment;
use crate::error::Result;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct QueueBinding {
    /// The exchange (empty: the default exchange).
    pub source: String,
    pub routing_key: String,
    #[ts(type = "Record<string, unknown>")]
    pub arguments: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct QueueConsumer {
    pub consumer_tag: String,
    pub channel: String,
    pub connection: String,
    pub peer: String,
    pub user: String,
    #[ts(type = "number")]
    pub prefetch_count: u64,
    pub ack_required: bool,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct QueueDetails {
    pub bindings: Vec<QueueBinding>,
    pub consumers: Vec<QueueConsumer>,
}

fn s(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Needs the `management` tag. Does not modify state.
pub async fn queue_details(
    env: &Environment,
    password: SecretString,
    vhost: &str,
    queue: &str,
) -> Result<QueueDetails> {
    let client = ManagementClient::new(env, password)?;
    let v = utf8_percent_encode(vhost, NON_ALPHANUMERIC).to_string();
    let q = utf8_percent_encode(queue, NON_ALPHANUMERIC).to_string();
    let (bindings, _): (Vec<Value>, _) =
        client.get_json(&format!("queues/{v}/{q}/bindings")).await?;
    // The per-vhost consumer list: the API has no per-queue one.
    let (consumers, _): (Vec<Value>, _) = client.get_json(&format!("consumers/{v}")).await?;
    Ok(QueueDetails {
        bindings: bindings
            .iter()
            .map(|b| QueueBinding {
                source: s(b, "source"),
                routing_key: s(b, "routing_key"),
                arguments: b
                    .get("arguments")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            })
            .collect(),
        consumers: consumers
            .iter()
            .filter(|c| {
                c.get("queue")
                    .map(|q| s(q, "name") == queue)
                    .unwrap_or(false)
            })
            .map(|c| {
                let ch = c.get("channel_details").cloned().unwrap_or(Value::Null);
                let peer = format!(
                    "{}:{}",
                    s(&ch, "peer_host"),
                    ch.get("peer_port").and_then(Value::as_u64).unwrap_or(0)
                );
                QueueConsumer {
                    consumer_tag: s(c, "consumer_tag"),
                    channel: s(&ch, "name"),
                    connection: s(&ch, "connection_name"),
                    peer,
                    user: s(&ch, "user"),
                    prefetch_count: c.get("prefetch_count").and_then(Value::as_u64).unwrap_or(0),
                    ack_required: c
                        .get("ack_required")
                        .and_then(Value::as_bool)
                        .unwrap_or(true),
                    active: c.get("active").and_then(Value::as_bool).unwrap_or(true),
                }
            })
            .collect(),
    })
}
