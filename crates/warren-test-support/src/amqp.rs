//! Raw AMQP (lapin, not Warren's code) for setting a broker up and counting what is in it:
//! queues and the usual dead-letter wiring, publishes, exact depths by passive declare, messages
//! that look dead-lettered, and the message ids a queue holds.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongString};
use lapin::{BasicProperties, Channel, Connection, Consumer, ExchangeKind, PublisherConfirm};

use crate::broker::amqp_uri_for;

/// The fanout exchange [`dlx_into`] makes and [`dead_lettering`] queues name.
pub const DLX: &str = "dlx";

/// A raw connection to `vhost` as guest.
pub async fn connect(vhost: &str) -> Connection {
    Connection::connect(&amqp_uri_for(vhost), Default::default())
        .await
        .unwrap_or_else(|e| panic!("connect to vhost {vhost}: {e}"))
}

/// Queue arguments from `(key, value)` pairs.
pub fn table(pairs: &[(&str, AMQPValue)]) -> FieldTable {
    let mut t = FieldTable::default();
    for (k, v) in pairs {
        t.insert((*k).into(), v.clone());
    }
    t
}

/// `x-queue-type` for a queue argument table.
pub fn queue_type(kind: &str) -> (&'static str, AMQPValue) {
    ("x-queue-type", AMQPValue::LongString(kind.into()))
}

/// The arguments of a queue that dead-letters into [`DLX`].
pub fn dead_lettering() -> FieldTable {
    table(&[("x-dead-letter-exchange", AMQPValue::LongString(DLX.into()))])
}

pub async fn declare_durable(ch: &Channel, q: &str, args: FieldTable) {
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    ch.queue_declare(q.into(), durable, args)
        .await
        .unwrap_or_else(|e| panic!("declare {q}: {e}"));
}

/// A non-durable, non-exclusive queue without arguments.
pub async fn declare_transient(ch: &Channel, q: &str) {
    ch.queue_declare(
        q.into(),
        QueueDeclareOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("declare {q}: {e}"));
}

/// A durable fanout exchange [`DLX`] feeding the durable queue `dlq` (made with `dlq_args`).
pub async fn dlx_into(ch: &Channel, dlq: &str, dlq_args: FieldTable) {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    ch.exchange_declare(
        DLX.into(),
        ExchangeKind::Fanout,
        durable,
        FieldTable::default(),
    )
    .await
    .unwrap();
    declare_durable(ch, dlq, dlq_args).await;
    ch.queue_bind(
        dlq.into(),
        DLX.into(),
        "".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
}

/// Publishes to `q` through the default exchange; the broker's confirm, to await or not.
pub async fn publish(
    ch: &Channel,
    q: &str,
    body: &[u8],
    props: BasicProperties,
) -> PublisherConfirm {
    ch.basic_publish(
        "".into(),
        q.into(),
        BasicPublishOptions::default(),
        body,
        props,
    )
    .await
    .unwrap_or_else(|e| panic!("publish to {q}: {e}"))
}

/// Exact depth of a queue via a passive declare (the management API's counts lag).
pub async fn depth(ch: &Channel, q: &str) -> u32 {
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    ch.queue_declare(q.into(), passive, FieldTable::default())
        .await
        .unwrap_or_else(|e| panic!("queue {q}: {e}"))
        .message_count()
}

/// A depth once two readings a moment apart agree (dead letters, requeues and quorum counts
/// settle asynchronously).
pub async fn settled_depth(ch: &Channel, q: &str) -> u32 {
    let mut last = depth(ch, q).await;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = depth(ch, q).await;
        if now == last {
            return now;
        }
        last = now;
    }
    last
}

/// Properties of a message that looks dead-lettered (`rejected`) from `origin`: its own x-death
/// header, as the broker would have written it.
pub fn dead_from(origin: &str) -> BasicProperties {
    let mut death = FieldTable::default();
    death.insert("queue".into(), AMQPValue::LongString(origin.into()));
    death.insert("reason".into(), AMQPValue::LongString("rejected".into()));
    death.insert("exchange".into(), AMQPValue::LongString("".into()));
    death.insert("count".into(), AMQPValue::LongLongInt(1));
    death.insert(
        "routing-keys".into(),
        AMQPValue::FieldArray(FieldArray::from(vec![AMQPValue::LongString(
            LongString::from(origin),
        )])),
    );
    let mut headers = FieldTable::default();
    headers.insert(
        "x-death".into(),
        AMQPValue::FieldArray(FieldArray::from(vec![AMQPValue::FieldTable(death)])),
    );
    BasicProperties::default().with_headers(headers)
}

/// `n` persistent dead letters from `origin`, message ids and bodies `0..n` / `m0..`, published
/// straight into `dlq` and confirmed.
pub async fn fill_dead_letters(ch: &Channel, origin: &str, dlq: &str, n: usize) {
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    for i in 0..n {
        let props = dead_from(origin)
            .with_delivery_mode(2)
            .with_message_id(i.to_string().into());
        publish(ch, dlq, format!("m{i}").as_bytes(), props).await;
    }
    ch.wait_for_confirms().await.unwrap();
}

/// A consumer of `q` tagged `tag`, with `prefetch` unacked deliveries at most; with `no_ack`,
/// what it receives is gone from the queue.
pub async fn consume(ch: &Channel, q: &str, tag: &str, prefetch: u16, no_ack: bool) -> Consumer {
    ch.basic_qos(prefetch, BasicQosOptions::default())
        .await
        .unwrap();
    let options = BasicConsumeOptions {
        no_ack,
        ..Default::default()
    };
    ch.basic_consume(q.into(), tag.into(), options, FieldTable::default())
        .await
        .unwrap_or_else(|e| panic!("consume {q}: {e}"))
}

/// A delivery's message id ("" without one).
pub fn message_id(d: &Delivery) -> String {
    d.properties
        .message_id()
        .as_ref()
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// Each message id in `q` and how often it is there. Drains the queue.
pub async fn message_ids(conn: &Connection, q: &str) -> BTreeMap<String, u64> {
    let ch = conn.create_channel().await.unwrap();
    let n = depth(&ch, q).await;
    let mut out = BTreeMap::new();
    if n == 0 {
        return out;
    }
    let mut c = consume(&ch, q, "count", 1000, true).await;
    for _ in 0..n {
        let d = c.next().await.unwrap().unwrap();
        *out.entry(message_id(&d)).or_default() += 1;
    }
    let _ = ch.close(200, "counted".into()).await;
    out
}
