//! Who consumes a realm: the connections (with their client properties — the library, its
//! version, the host and the connection name a worker instance gives itself), their channels and
//! the consumers on the realm's queues, so an admin sees which worker instances serve a client
//! and which of its queues nobody serves.
//!
//! Reads `GET /api/consumers/{vhost}` and `GET /api/connections` (`management` tag; a user
//! without `monitoring` sees only its own connections). Does not modify state.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::broker::management::ManagementClient;
use crate::environment::Environment;
use crate::error::Result;
use crate::queues::QueueRow;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct RealmConsumer {
    pub queue: String,
    pub channel: String,
    pub consumer_tag: String,
    #[ts(type = "number")]
    pub prefetch_count: u64,
    pub ack_required: bool,
    pub active: bool,
}

/// One client connection and what it consumes of the realm.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct ConsumerConnection {
    pub name: String,
    pub vhost: String,
    pub user: String,
    pub peer: String,
    /// The `connection_name` the client gave itself (often host + worker + pid).
    pub client_name: Option<String>,
    /// Client library, version and platform from its properties, e.g. `RabbitMQ Java 5.20 / Java 21`.
    pub client: Option<String>,
    pub channels: u32,
    pub consumers: Vec<RealmConsumer>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct RealmConsumers {
    /// Sorted by how many of the realm's queues each connection consumes, most first.
    pub connections: Vec<ConsumerConnection>,
    /// Queues of the realm with no consumer at all.
    pub unserved: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ApiConsumer {
    queue: ApiQueueRef,
    channel_details: ApiChannel,
    consumer_tag: String,
    prefetch_count: u64,
    ack_required: Option<bool>,
    active: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ApiQueueRef {
    name: String,
    vhost: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ApiChannel {
    name: String,
    connection_name: String,
    peer_host: String,
    peer_port: u64,
    user: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ApiConnection {
    name: String,
    client_properties: serde_json::Map<String, Value>,
}

fn describe_client(props: &serde_json::Map<String, Value>) -> Option<String> {
    let s = |k: &str| {
        props
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let product = s("product")?;
    let mut out = product.to_string();
    if let Some(v) = s("version") {
        out.push(' ');
        out.push_str(v);
    }
    if let Some(p) = s("platform") {
        out.push_str(" / ");
        out.push_str(p);
    }
    Some(out)
}

/// Group the broker's consumers on `queues` by connection (pure; see `realm_consumers`).
fn assemble(
    queues: &[&QueueRow],
    consumers: Vec<ApiConsumer>,
    connections: Vec<ApiConnection>,
) -> RealmConsumers {
    let wanted: HashSet<(&str, &str)> = queues
        .iter()
        .map(|q| (q.vhost.as_str(), q.name.as_str()))
        .collect();
    let props: BTreeMap<String, serde_json::Map<String, Value>> = connections
        .into_iter()
        .map(|c| (c.name, c.client_properties))
        .collect();
    let mut by_conn: BTreeMap<String, (ConsumerConnection, BTreeSet<String>)> = BTreeMap::new();
    let mut served: HashSet<(String, String)> = HashSet::new();
    for c in consumers {
        if !wanted.contains(&(c.queue.vhost.as_str(), c.queue.name.as_str())) {
            continue;
        }
        served.insert((c.queue.vhost.clone(), c.queue.name.clone()));
        let ch = &c.channel_details;
        let entry = by_conn
            .entry(ch.connection_name.clone())
            .or_insert_with(|| {
                let p = props.get(&ch.connection_name);
                (
                    ConsumerConnection {
                        name: ch.connection_name.clone(),
                        vhost: c.queue.vhost.clone(),
                        user: ch.user.clone(),
                        peer: format!("{}:{}", ch.peer_host, ch.peer_port),
                        client_name: p
                            .and_then(|p| p.get("connection_name"))
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        client: p.and_then(describe_client),
                        channels: 0,
                        consumers: Vec::new(),
                    },
                    BTreeSet::new(),
                )
            });
        entry.1.insert(ch.name.clone());
        entry.0.consumers.push(RealmConsumer {
            queue: c.queue.name.clone(),
            channel: ch.name.clone(),
            consumer_tag: c.consumer_tag,
            prefetch_count: c.prefetch_count,
            ack_required: c.ack_required.unwrap_or(true),
            active: c.active.unwrap_or(true),
        });
    }
    let mut connections: Vec<ConsumerConnection> = by_conn
        .into_values()
        .map(|(mut c, channels)| {
            c.channels = channels.len() as u32;
            c.consumers.sort_by(|a, b| a.queue.cmp(&b.queue));
            c
        })
        .collect();
    connections.sort_by(|a, b| {
        b.consumers
            .len()
            .cmp(&a.consumers.len())
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut unserved: Vec<String> = queues
        .iter()
        .filter(|q| !served.contains(&(q.vhost.clone(), q.name.clone())))
        .map(|q| q.name.clone())
        .collect();
    unserved.sort();
    RealmConsumers {
        connections,
        unserved,
    }
}

/// The connections, channels and consumers serving `queues` (a realm's, from `queues_of`).
/// Does not modify state.
/// Needs the `management` tag (`monitoring` to see other users' connections).
pub async fn realm_consumers(
    env: &Environment,
    password: SecretString,
    queues: &[&QueueRow],
) -> Result<RealmConsumers> {
    let client = ManagementClient::new(env, password)?;
    let vhosts: BTreeSet<&str> = queues.iter().map(|q| q.vhost.as_str()).collect();
    let mut consumers = Vec::new();
    for vhost in vhosts {
        let v = utf8_percent_encode(vhost, NON_ALPHANUMERIC).to_string();
        let (mut page, _): (Vec<ApiConsumer>, _) =
            client.get_json(&format!("consumers/{v}")).await?;
        consumers.append(&mut page);
    }
    let connections: Vec<ApiConnection> = if consumers.is_empty() {
        Vec::new()
    } else {
        client
            .get_json("connections?columns=name,client_properties")
            .await?
            .0
    };
    Ok(assemble(queues, consumers, connections))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn consumers_are_grouped_by_connection_with_client_properties() {
        let qs = [
            QueueRow::named("/", "billing.acme"),
            QueueRow::named("/", "mail.acme"),
            QueueRow::named("/", "sms.acme"),
        ];
        let refs: Vec<&QueueRow> = qs.iter().collect();
        let consumers: Vec<ApiConsumer> = serde_json::from_value(json!([
            {"queue": {"name": "billing.acme", "vhost": "/"}, "consumer_tag": "a",
             "prefetch_count": 10, "ack_required": true,
             "channel_details": {"name": "c1 (1)", "connection_name": "c1", "peer_host": "10.0.0.5", "peer_port": 5000, "user": "svc"}},
            {"queue": {"name": "mail.acme", "vhost": "/"}, "consumer_tag": "b",
             "channel_details": {"name": "c1 (2)", "connection_name": "c1", "user": "svc"}},
            {"queue": {"name": "mail.acme", "vhost": "/"}, "consumer_tag": "c",
             "channel_details": {"name": "c2 (1)", "connection_name": "c2", "user": "svc"}},
            {"queue": {"name": "billing.globex", "vhost": "/"}, "consumer_tag": "d",
             "channel_details": {"name": "c3 (1)", "connection_name": "c3", "user": "svc"}}
        ]))
        .unwrap();
        let connections: Vec<ApiConnection> = serde_json::from_value(json!([
            {"name": "c1", "client_properties": {"product": "pika", "version": "1.3.2", "platform": "Python 3.11", "connection_name": "billing-worker-7"}},
            {"name": "c2", "client_properties": {}}
        ]))
        .unwrap();
        let r = assemble(&refs, consumers, connections);
        assert_eq!(r.connections.len(), 2);
        let c1 = &r.connections[0];
        assert_eq!(
            (c1.name.as_str(), c1.channels, c1.consumers.len()),
            ("c1", 2, 2)
        );
        assert_eq!(c1.client.as_deref(), Some("pika 1.3.2 / Python 3.11"));
        assert_eq!(c1.client_name.as_deref(), Some("billing-worker-7"));
        assert_eq!(c1.peer, "10.0.0.5:5000");
        assert_eq!(r.connections[1].client, None);
        assert_eq!(r.unserved, ["sms.acme"]);
    }
}
