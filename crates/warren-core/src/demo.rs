//! `warren demo seed|clean`: a realistic topology in a vhost of its own, so a new user sees
//! something real at once — workers partitioned per realm (`<worker>.<realm>`), unpartitioned
//! queues, dead-letter exchanges and queues, an uneven backlog with one clearly heaviest realm,
//! and dead letters with the reasons `rejected`, `expired` and `maxlen`.
//!
//! Seeding recreates the demo vhost from scratch, so running it twice gives the same broker
//! state. Requires the `administrator` tag (it creates a vhost). Modifies state.

use std::time::Duration;

use lapin::options::{
    BasicGetOptions, BasicPublishOptions, BasicRejectOptions, ConfirmSelectOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, ExchangeKind};
use rabbitmq_http_client::requests::{Permissions, VirtualHostParams};
use secrecy::SecretString;
use serde::Serialize;
use ts_rs::TS;

use crate::audit::Action;
use crate::broker::admin::Admin;
use crate::broker::{amqp, BrokerError, BrokerErrorKind};
use crate::environment::Environment;
use crate::error::Result;
use crate::guard::{guarded, WriteToken};

pub const DEFAULT_VHOST: &str = "warren-demo";

pub const WORKERS: [&str; 40] = [
    "billing",
    "invoicing",
    "payments",
    "email",
    "sms",
    "push",
    "reports",
    "exports",
    "imports",
    "search-index",
    "thumbnails",
    "transcode",
    "audit",
    "webhooks",
    "notifications",
    "crm-sync",
    "erp-sync",
    "inventory",
    "pricing",
    "orders",
    "shipping",
    "returns",
    "fraud-check",
    "kyc",
    "ledger",
    "payouts",
    "tax",
    "analytics",
    "recommendations",
    "geocoding",
    "scheduler",
    "cleanup",
    "backup",
    "archive",
    "ocr",
    "pdf-render",
    "translation",
    "chat",
    "presence",
    "metrics",
];

/// Realms with their backlog weight: `acme` is by far the heaviest.
pub const REALMS: [(&str, u32); 12] = [
    ("acme", 12),
    ("globex", 4),
    ("initech", 3),
    ("umbrella", 2),
    ("hooli", 1),
    ("stark", 1),
    ("wayne", 1),
    ("wonka", 1),
    ("tyrell", 1),
    ("cyberdyne", 1),
    ("soylent", 1),
    ("oscorp", 1),
];

pub const UNPARTITIONED: [&str; 20] = [
    "healthcheck",
    "cron-scheduler",
    "global-audit",
    "cache-invalidation",
    "mail-bounces",
    "sitemap-builder",
    "feature-flags",
    "currency-rates",
    "license-check",
    "usage-rollup",
    "search-reindex",
    "gdpr-erasure",
    "status-page",
    "sso-sync",
    "dns-updater",
    "cert-renewal",
    "log-shipper",
    "billing-cycle",
    "warehouse-etl",
    "partner-feed",
];

/// Worker queues dead-letter into `dlx` → `dlq-all`; payments workers into `dlx.payments` →
/// `dlq-payments`, as teams that own their failures set it up.
pub const DLQ_ALL: &str = "dlq-all";
pub const DLQ_PAYMENTS: &str = "dlq-payments";
const DLX: &str = "dlx";
const DLX_PAYMENTS: &str = "dlx.payments";
const WORK_EXCHANGE: &str = "work";
/// `thumbnails.*` queues are capped: publishing past the cap dead-letters with reason `maxlen`.
const CAPPED_WORKER: &str = "thumbnails";
const CAP: u32 = 20;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DemoReport {
    pub vhost: String,
    pub queues: u32,
    /// Messages left in the worker and unpartitioned queues.
    pub messages: u32,
    /// Messages in the dead-letter queues.
    pub dead_lettered: u32,
}

/// Backlog of one worker queue: a per-worker base times the realm's weight, so realm totals
/// differ clearly and some queues stay empty.
pub fn backlog(worker_index: usize, realm_weight: u32) -> u32 {
    let base = [0, 1, 2, 3, 4][(worker_index * 7 + 3) % 5];
    base * realm_weight * 3 / 2
}

fn dlx_of(worker: &str) -> &'static str {
    if worker == "payments" || worker == "payouts" {
        DLX_PAYMENTS
    } else {
        DLX
    }
}

fn other(e: lapin::Error, what: &str) -> BrokerError {
    BrokerError::new(BrokerErrorKind::Other, format!("demo seed: {what}: {e}"))
}

/// Build the demo topology in `vhost` (recreated from scratch). Modifies state.
/// Needs the `administrator` tag (it creates a vhost).
pub async fn seed(env: &Environment, password: SecretString, vhost: &str) -> Result<DemoReport> {
    let action = Action::new(
        "demo.seed",
        Some(vhost),
        vec![vhost.to_string()],
        serde_json::Value::Null,
    );
    let counts = |r: &DemoReport| serde_json::json!({ "queues": r.queues, "messages": r.messages, "dead_lettered": r.dead_lettered });
    guarded(env, action, counts, |gate| async move {
        build(&gate, env, password, vhost).await
    })
    .await
}

async fn build(
    gate: &WriteToken,
    env: &Environment,
    password: SecretString,
    vhost: &str,
) -> Result<DemoReport> {
    // Recreating may first delete a big demo vhost (e.g. one seeded with --extra-queues).
    delete_vhost_emptied(gate, env, &password, vhost).await?;
    let admin = Admin::with_timeout(env, &password, crate::broker::BULK_TIMEOUT).await?;
    admin
        .write(gate, "create the demo vhost", |c| async move {
            c.create_vhost(&VirtualHostParams {
                name: vhost,
                description: Some("Warren demo topology (warren demo seed)"),
                tags: Some(vec!["warren-demo"]),
                default_queue_type: None,
                tracing: false,
            })
            .await
        })
        .await?;
    admin
        .write(
            gate,
            "grant permissions on the demo vhost",
            |c| async move {
                c.declare_permissions(&Permissions {
                    user: &env.username,
                    vhost,
                    configure: ".*",
                    read: ".*",
                    write: ".*",
                })
                .await
            },
        )
        .await?;

    let conn = amqp::connect_to_write(gate, env, &password, Some(vhost), "demo seed").await?;
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| other(e, "open a channel"))?;
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| other(e, "enable confirms"))?;

    declare_topology(&ch).await?;

    let mut queues = 0u32;
    let mut expected_dead = 0u32;
    let mut seq = 0u64;
    for (wi, worker) in WORKERS.iter().enumerate() {
        for (realm, weight) in REALMS {
            let queue = format!("{worker}.{realm}");
            queues += 1;
            let n = backlog(wi, weight);
            // Expiring messages first, in empty queues: they reach the head at once and are
            // dead-lettered with reason `expired`.
            if n == 0 && (wi + realm.len()) % 2 == 0 {
                for _ in 0..4 {
                    publish(&ch, &queue, realm, worker, &mut seq, Some("1")).await?;
                    expected_dead += 1;
                }
            }
            let total = if *worker == CAPPED_WORKER { n + 8 } else { n };
            for _ in 0..total {
                publish(&ch, &queue, realm, worker, &mut seq, None).await?;
            }
            if *worker == CAPPED_WORKER {
                expected_dead += total.saturating_sub(CAP);
            }
        }
    }
    for (i, q) in UNPARTITIONED.iter().enumerate() {
        queues += 1;
        for _ in 0..(i as u32 % 4) * 5 {
            publish(&ch, q, "-", q, &mut seq, None).await?;
        }
    }
    ch.wait_for_confirms()
        .await
        .map_err(|e| other(e, "wait for confirms"))?;

    // Reject a few messages from the head of some queues: reason `rejected`.
    for (wi, worker) in WORKERS
        .iter()
        .enumerate()
        .filter(|(wi, w)| wi % 3 == 0 || dlx_of(w) == DLX_PAYMENTS)
    {
        for (realm, weight) in REALMS.iter().take(4) {
            let queue = format!("{worker}.{realm}");
            let take = backlog(wi, *weight).min(if *worker == CAPPED_WORKER { 0 } else { 6 });
            for _ in 0..take {
                if let Some(m) = ch
                    .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: false })
                    .await
                    .map_err(|e| other(e, "get a message to reject"))?
                {
                    m.delivery
                        .acker
                        .reject(BasicRejectOptions { requeue: false })
                        .await
                        .map_err(|e| other(e, "reject"))?;
                    expected_dead += 1;
                }
            }
        }
    }

    // Dead-lettering is asynchronous: wait until the DLQs hold every expected dead letter.
    let mut dead_lettered = 0;
    for _ in 0..100 {
        dead_lettered = dlq_depth(&ch).await?;
        if dead_lettered >= expected_dead {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut messages = 0;
    for worker in WORKERS {
        for (realm, _) in REALMS {
            messages += depth(&ch, &format!("{worker}.{realm}")).await?;
        }
    }
    for q in UNPARTITIONED {
        messages += depth(&ch, q).await?;
    }
    let _ = conn.close(200, "demo seeded".into()).await;
    Ok(DemoReport {
        vhost: vhost.to_string(),
        queues: queues + 2,
        messages,
        dead_lettered,
    })
}

/// Add `count` empty queues to the seeded vhost, named like partitioned workers with many
/// realms (`billing.tenant-0042`), to try Warren at the scale of a big fleet. Modifies state
/// (through the gate).
/// Needs configure permission on the vhost (no user tag).
pub async fn add_bulk_queues(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    count: u32,
) -> Result<u32> {
    let action = Action::new(
        "demo.extra_queues",
        Some(vhost),
        vec![vhost.to_string()],
        serde_json::json!({ "count": count }),
    );
    let counts = |n: &u32| serde_json::json!({ "queues": n });
    guarded(env, action, counts, |gate| async move {
        declare_bulk_queues(&gate, env, password, vhost, count).await
    })
    .await
}

async fn declare_bulk_queues(
    gate: &WriteToken,
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    count: u32,
) -> Result<u32> {
    let conn = amqp::connect_to_write(gate, env, password, Some(vhost), "demo bulk queues").await?;
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| other(e, "open a channel"))?;
    let name = |i: u32| {
        format!(
            "{}.tenant-{:04}",
            WORKERS[i as usize % WORKERS.len()],
            i / WORKERS.len() as u32
        )
    };
    // `nowait` declares stream without a round trip each; the passive declare of the last one
    // at the end waits until the broker has processed them all.
    let opts = QueueDeclareOptions {
        durable: true,
        nowait: true,
        ..Default::default()
    };
    for i in 0..count {
        ch.queue_declare(name(i).as_str().into(), opts, FieldTable::default())
            .await
            .map_err(|e| other(e, "declare a bulk queue"))?;
    }
    if count > 0 {
        amqp::passive(&ch, &name(count - 1))
            .await
            .map_err(|e| other(e, "check the bulk queues"))?;
    }
    let _ = conn.close(200, "bulk queues declared".into()).await;
    Ok(count)
}

async fn declare_topology(ch: &Channel) -> Result<()> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    for (name, kind) in [
        (DLX, ExchangeKind::Fanout),
        (DLX_PAYMENTS, ExchangeKind::Fanout),
        (WORK_EXCHANGE, ExchangeKind::Direct),
    ] {
        ch.exchange_declare(name.into(), kind, durable, FieldTable::default())
            .await
            .map_err(|e| other(e, "declare an exchange"))?;
    }
    let qopts = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    for (dlq, dlx) in [(DLQ_ALL, DLX), (DLQ_PAYMENTS, DLX_PAYMENTS)] {
        ch.queue_declare(dlq.into(), qopts, FieldTable::default())
            .await
            .map_err(|e| other(e, "declare a DLQ"))?;
        ch.queue_bind(
            dlq.into(),
            dlx.into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| other(e, "bind a DLQ"))?;
    }
    for worker in WORKERS {
        for (realm, _) in REALMS {
            let queue = format!("{worker}.{realm}");
            let mut args = FieldTable::default();
            args.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString(dlx_of(worker).into()),
            );
            if worker == CAPPED_WORKER {
                args.insert("x-max-length".into(), AMQPValue::LongLongInt(CAP as i64));
            }
            declare_and_bind(ch, &queue, qopts, args).await?;
        }
    }
    for q in UNPARTITIONED {
        declare_and_bind(ch, q, qopts, FieldTable::default()).await?;
    }
    Ok(())
}

async fn declare_and_bind(
    ch: &Channel,
    queue: &str,
    opts: QueueDeclareOptions,
    args: FieldTable,
) -> Result<()> {
    ch.queue_declare(queue.into(), opts, args)
        .await
        .map_err(|e| other(e, "declare a queue"))?;
    ch.queue_bind(
        queue.into(),
        WORK_EXCHANGE.into(),
        queue.into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .map_err(|e| other(e, "bind a queue"))?;
    Ok(())
}

async fn publish(
    ch: &Channel,
    queue: &str,
    realm: &str,
    worker: &str,
    seq: &mut u64,
    expiration: Option<&str>,
) -> Result<()> {
    *seq += 1;
    let body = serde_json::json!({
        "job": format!("{worker}-job"),
        "realm": realm,
        "seq": *seq,
        "payload": {"attempt": 1, "priority": (*seq % 3)},
    });
    let mut headers = FieldTable::default();
    headers.insert(
        "x-realm".into(),
        AMQPValue::LongString(LongString::from(realm)),
    );
    let mut props = BasicProperties::default()
        .with_content_type(ShortString::from("application/json"))
        .with_message_id(ShortString::from(format!("demo-{seq}")))
        .with_delivery_mode(2)
        .with_timestamp(1_764_000_000 + *seq)
        .with_headers(headers);
    if let Some(ms) = expiration {
        props = props.with_expiration(ShortString::from(ms));
    }
    ch.basic_publish(
        WORK_EXCHANGE.into(),
        queue.into(),
        BasicPublishOptions::default(),
        body.to_string().as_bytes(),
        props,
    )
    .await
    .map_err(|e| other(e, "publish"))?;
    Ok(())
}

/// Exact depth (the management API's counts lag a few seconds).
async fn depth(ch: &Channel, queue: &str) -> Result<u32> {
    Ok(amqp::passive_depth(ch, queue)
        .await
        .map_err(|e| other(e, "read a queue depth"))?)
}

async fn dlq_depth(ch: &Channel) -> Result<u32> {
    Ok(depth(ch, DLQ_ALL).await? + depth(ch, DLQ_PAYMENTS).await?)
}

/// Remove the demo vhost and everything in it. Modifies state.
/// Needs the `administrator` tag (it deletes a vhost).
pub async fn clean(env: &Environment, password: SecretString, vhost: &str) -> Result<()> {
    let action = Action::new(
        "demo.clean",
        Some(vhost),
        vec![vhost.to_string()],
        serde_json::Value::Null,
    );
    guarded(
        env,
        action,
        |_| serde_json::Value::Null,
        |gate| async move { delete_vhost_emptied(&gate, env, &password, vhost).await },
    )
    .await
}

/// Delete a vhost, its queues first. One `DELETE /api/vhosts/V` of 10,000 queues outlasts the
/// management listener's own 60 s limit on RabbitMQ 4.x (the request is cut, and on 4.3 the
/// deletion stalls half-way); queue deletes pipelined over AMQP take seconds, after which the
/// vhost goes at once. A vhost that does not exist is not an error.
async fn delete_vhost_emptied(
    gate: &WriteToken,
    env: &Environment,
    password: &SecretString,
    vhost: &str,
) -> Result<()> {
    use futures_util::stream::{self, StreamExt};
    let client = crate::broker::management::ManagementClient::with_timeout(
        env,
        password.clone(),
        crate::broker::BULK_TIMEOUT,
    )?;
    let path = format!(
        "queues/{}?disable_stats=true&columns=name",
        percent_encoding::utf8_percent_encode(vhost, percent_encoding::NON_ALPHANUMERIC)
    );
    #[derive(serde::Deserialize)]
    struct Named {
        name: String,
    }
    let names: Vec<Named> = match client.get_json(&path).await {
        Ok((names, _)) => names,
        Err(e) if e.kind == BrokerErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    if !names.is_empty() {
        let conn = amqp::connect_to_write(gate, env, password, Some(vhost), "demo clean").await?;
        let ch = conn.create_channel().await.map_err(|e| {
            BrokerError::new(BrokerErrorKind::Other, format!("open a channel: {e}"))
        })?;
        let failed = stream::iter(names)
            .map(|q| {
                let ch = ch.clone();
                async move {
                    ch.queue_delete(q.name.as_str().into(), Default::default())
                        .await
                        .err()
                        .map(|e| format!("{}: {e}", q.name))
                }
            })
            .buffer_unordered(64)
            .filter_map(|e| async move { e })
            .collect::<Vec<_>>()
            .await;
        let _ = conn.close(200, "demo clean".into()).await;
        if let Some(first) = failed.first() {
            return Err(BrokerError::new(
                BrokerErrorKind::Other,
                format!(
                    "delete the queues of vhost `{vhost}`: {} failed, e.g. {first}",
                    failed.len()
                ),
            )
            .into());
        }
    }
    Admin::with_timeout(env, password, crate::broker::BULK_TIMEOUT)
        .await?
        .write(gate, "delete the demo vhost", |c| async move {
            c.delete_vhost(vhost, true).await
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acme_is_clearly_the_heaviest_realm() {
        let total = |w: u32| (0..WORKERS.len()).map(|i| backlog(i, w)).sum::<u32>();
        let acme = total(REALMS[0].1);
        let next = total(REALMS[1].1);
        assert!(acme > 2 * next, "acme {acme} vs globex {next}");
        let all: u32 = REALMS.iter().map(|(_, w)| total(*w)).sum();
        assert!(
            (2000..6000).contains(&all),
            "a few thousand messages, got {all}"
        );
    }
}
