//! Peeking at any queue and publishing a message, against the real broker: a peek of a classic
//! or quorum queue leaves every message where it was and respects a quorum delivery limit; a
//! stream is read by first, last, offset or time; a publish is confirmed and routed, an
//! unroutable one is an error, a read-only environment is refused, and the audit log has the
//! body's hash but never the body.

mod common;

use common::*;
use futures_util::StreamExt;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, ExchangeKind};
use serde_json::json;
use warren_core::audit::AuditLog;
use warren_core::broker::BrokerErrorKind;
use warren_core::messages::{
    peek, publish as warren_publish, BodyFormat, MessageBody, MessageProperties, Peek, PeekOptions,
    PublishRequest, StreamOffset,
};
use warren_core::Error;

fn quorum() -> (&'static str, AMQPValue) {
    queue_type("quorum")
}

/// Publish messages with ids `<prefix><i>` for `i` in `range` to `q`, confirmed.
async fn fill(ch: &Channel, q: &str, prefix: &str, range: std::ops::Range<usize>) {
    ch.confirm_select(Default::default()).await.ok();
    for i in range {
        let props = BasicProperties::default().with_message_id(format!("{prefix}{i}").into());
        publish(ch, q, format!("body {prefix}{i}").as_bytes(), props).await;
    }
    ch.wait_for_confirms().await.unwrap();
}

async fn peek_as_local(vhost: &str, q: &str, limit: u32, offset: Option<StreamOffset>) -> Peek {
    let opts = PeekOptions {
        limit,
        offset,
        insist: false,
    };
    peek(&local(), &guest(), vhost, q, None, &opts)
        .await
        .unwrap_or_else(|e| panic!("peek {q}: {e}"))
}

fn ids(p: &Peek) -> Vec<String> {
    p.messages
        .iter()
        .map(|m| {
            m.message.properties["message_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Every message of `q`, in order, by id (drains it).
async fn drained_ids(ch: &Channel, q: &str) -> Vec<String> {
    let n = settled_depth(ch, q).await as usize;
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let mut c = consume(ch, q, &format!("drain-{q}"), 1000, true).await;
    while out.len() < n {
        out.push(message_id(&c.next().await.unwrap().unwrap()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peeking_a_classic_or_quorum_queue_leaves_every_message_in_place() {
    let t = TestVhost::new("warren-test-peek").await;
    let ch = t.channel().await;
    declare_durable(&ch, "classic", FieldTable::default()).await;
    declare_durable(&ch, "qq", table(&[quorum()])).await;
    for q in ["classic", "qq"] {
        fill(&ch, q, "m", 0..5).await;
        assert_eq!(settled_depth(&ch, q).await, 5);
        let p = peek_as_local(&t.name, q, 3, None).await;
        assert_eq!(p.queue_type, if q == "qq" { "quorum" } else { "classic" });
        assert_eq!((p.read, p.depth, p.complete), (3, 5, false));
        assert_eq!(ids(&p), strings(&["m0", "m1", "m2"]), "the head, in order");
        assert!(p.messages.iter().all(|m| m.stream_offset.is_none()));
        assert_eq!(p.messages[0].message.body.preview, "body m0");
        assert!(
            p.cost.contains("redelivered"),
            "the cost is said: {}",
            p.cost
        );
        let all = peek_as_local(&t.name, q, 100, None).await;
        assert_eq!((all.read, all.complete), (5, true));
        let mut left = drained_ids(&ch, q).await;
        if q == "qq" && !is_4x() {
            // 3.10's quorum queues put a returned message behind those never delivered (4.x
            // keeps its place): the read head moves to the tail. Nothing is lost either way.
            assert_eq!(
                left,
                strings(&["m3", "m4", "m0", "m1", "m2"]),
                "3.10 quorum"
            );
            left.sort();
        }
        assert_eq!(
            left,
            strings(&["m0", "m1", "m2", "m3", "m4"]),
            "{q}: nothing removed, nothing reordered"
        );
    }
    // An offset is for streams only.
    fill(&ch, "classic", "m", 0..1).await;
    let opts = PeekOptions {
        limit: 5,
        offset: Some(StreamOffset::First),
        insist: false,
    };
    match peek(&local(), &guest(), &t.name, "classic", None, &opts).await {
        Err(Error::InvalidArgument(m)) => assert!(m.contains("only to streams"), "{m}"),
        other => panic!("expected a usage refusal, got {other:?}"),
    }
    assert_eq!(settled_depth(&ch, "classic").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peek_respects_a_quorum_delivery_limit() {
    let t = TestVhost::new("warren-test-peek-limit").await;
    let ch = t.channel().await;
    declare_durable(
        &ch,
        "qq",
        table(&[quorum(), ("x-delivery-limit", AMQPValue::LongInt(2))]),
    )
    .await;
    fill(&ch, "qq", "m", 0..2).await;
    assert_eq!(settled_depth(&ch, "qq").await, 2);
    let first = peek_as_local(&t.name, "qq", 10, None).await;
    assert_eq!(first.delivery_limit, Some(2));
    if line_at_least(4, 3) {
        assert!(!first.read_counts, "4.3 counts no read against the limit");
        peek_as_local(&t.name, "qq", 10, None).await;
        assert_eq!(settled_depth(&ch, "qq").await, 2);
        return skip("4.3 counts no peek against the delivery limit: nothing to refuse");
    }
    assert!(
        first.read_counts && first.cost.contains("limit of 2"),
        "{}",
        first.cost
    );
    // The head was given back once: the next read would take it to its limit.
    let opts = PeekOptions {
        limit: 10,
        offset: None,
        insist: false,
    };
    match peek(&local(), &guest(), &t.name, "qq", None, &opts).await {
        Err(Error::NearDeliveryLimit { limit, .. }) => assert_eq!(limit, 2),
        other => panic!("expected a delivery-limit refusal, got {other:?}"),
    }
    assert_eq!(
        settled_depth(&ch, "qq").await,
        2,
        "the refusal dropped nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_is_read_from_first_last_an_offset_or_a_time() {
    let t = TestVhost::new("warren-test-peek-stream").await;
    let ch = t.channel().await;
    declare_durable(&ch, "s", table(&[queue_type("stream")])).await;
    fill(&ch, "s", "s", 0..5).await;
    // Stream chunks carry their write time in ms; the offset takes seconds.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    fill(&ch, "s", "s", 5..10).await;

    let first = peek_as_local(&t.name, "s", 3, Some(StreamOffset::First)).await;
    assert_eq!(first.queue_type, "stream");
    assert_eq!(ids(&first), strings(&["s0", "s1", "s2"]));
    let offsets: Vec<_> = first.messages.iter().map(|m| m.stream_offset).collect();
    assert_eq!(offsets, vec![Some(0), Some(1), Some(2)]);
    assert!(
        first.cost.contains("removed and changed nothing"),
        "{}",
        first.cost
    );

    let last = peek_as_local(&t.name, "s", 3, Some(StreamOffset::Last)).await;
    assert_eq!(ids(&last), strings(&["s7", "s8", "s9"]), "the newest three");
    let default = peek_as_local(&t.name, "s", 4, None).await;
    assert_eq!(
        ids(&default),
        strings(&["s6", "s7", "s8", "s9"]),
        "a stream shows its newest by default"
    );
    assert_eq!(default.offset, Some(StreamOffset::Last));
    let everything = peek_as_local(&t.name, "s", 50, Some(StreamOffset::Last)).await;
    assert_eq!(everything.read, 10);
    assert!(everything.complete);

    let at = peek_as_local(&t.name, "s", 2, Some(StreamOffset::Offset { offset: 5 })).await;
    assert_eq!(ids(&at), strings(&["s5", "s6"]));
    assert_eq!(at.messages[0].stream_offset, Some(5));

    // The broker stamps stream chunks with its own clock; see `stream_second_of`.
    let (at, by_time) = stream_second_of(&t.name, since).await;
    assert_eq!(
        by_time,
        strings(&["s5", "s6", "s7", "s8", "s9"]),
        "the messages written since"
    );
    if at != since {
        eprintln!(
            "this broker's stream clock is {} s behind this machine's (ahead if negative): {since} here is {at} there",
            since - at
        );
    }
    // A time after the last write reads nothing, and says the time is the broker's.
    let later = peek_as_local(
        &t.name,
        "s",
        50,
        Some(StreamOffset::Timestamp {
            seconds: since + 366 * 86_400,
        }),
    )
    .await;
    assert_eq!(later.read, 0);
    assert!(
        later.cost.contains("by the broker's clock"),
        "{}",
        later.cost
    );
    // Reading removed nothing.
    let again = peek_as_local(&t.name, "s", 50, Some(StreamOffset::First)).await;
    assert_eq!(again.read, 10);
}

/// A direct exchange `orders` with the queue `paid` bound by key `paid`.
async fn orders(ch: &Channel) {
    ch.exchange_declare(
        "orders".into(),
        ExchangeKind::Direct,
        ExchangeDeclareOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    declare_durable(ch, "paid", FieldTable::default()).await;
    ch.queue_bind(
        "paid".into(),
        "orders".into(),
        "paid".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
}

fn request(vhost: &str, exchange: &str, key: &str, body: &str) -> PublishRequest {
    let mut headers = serde_json::Map::new();
    headers.insert("tenant".into(), json!("acme"));
    headers.insert("attempt".into(), json!(3));
    PublishRequest {
        vhost: vhost.into(),
        exchange: exchange.into(),
        routing_key: key.into(),
        properties: MessageProperties {
            content_type: Some("application/json".into()),
            message_id: Some("hand-1".into()),
            ..Default::default()
        },
        headers,
        body: MessageBody {
            format: BodyFormat::Json,
            content: body.into(),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_is_confirmed_routed_refused_when_unroutable_or_read_only_and_audited_without_its_body(
) {
    let t = TestVhost::new("warren-test-publish").await;
    let ch = t.channel().await;
    orders(&ch).await;
    let body = r#"{"order":"secret-order-body-7781"}"#;

    let r = warren_publish(
        &local(),
        &guest(),
        &request(&t.name, "orders", "paid", body),
    )
    .await
    .unwrap();
    assert!(r.confirmed && r.routed);
    assert_eq!(r.body_bytes, body.len() as u64);
    assert_eq!(r.body_sha256.len(), 64);
    let mut c = consume(&ch, "paid", "check", 10, true).await;
    let d = c.next().await.unwrap().unwrap();
    assert_eq!(d.data, body.as_bytes(), "JSON is sent as written");
    assert_eq!(
        d.properties.message_id().as_ref().unwrap().as_str(),
        "hand-1"
    );
    assert_eq!(
        d.properties.delivery_mode(),
        &Some(2),
        "persistent by default"
    );
    let h = d.properties.headers().clone().unwrap();
    assert_eq!(
        h.inner().get("tenant"),
        Some(&AMQPValue::LongString("acme".into()))
    );
    assert_eq!(h.inner().get("attempt"), Some(&AMQPValue::LongLongInt(3)));

    // Nothing bound to that key: the broker returns it, and that is an error.
    match warren_publish(
        &local(),
        &guest(),
        &request(&t.name, "orders", "refunded", body),
    )
    .await
    {
        Err(e @ Error::Unroutable { .. }) => {
            assert_eq!(e.kind(), "unroutable");
            assert!(
                e.to_string()
                    .contains("no queue is bound to exchange `orders`"),
                "{e}"
            );
        }
        other => panic!("expected unroutable, got {other:?}"),
    }
    match warren_publish(
        &local(),
        &guest(),
        &request(&t.name, "nowhere", "paid", body),
    )
    .await
    {
        Err(Error::Broker(e)) => assert_eq!(e.kind, BrokerErrorKind::NotFound, "{e:?}"),
        other => panic!("expected a missing exchange, got {other:?}"),
    }
    // Invalid JSON never reaches the broker.
    match warren_publish(
        &local(),
        &guest(),
        &request(&t.name, "orders", "paid", "{nope"),
    )
    .await
    {
        Err(Error::InvalidArgument(m)) => assert!(m.contains("not valid JSON"), "{m}"),
        other => panic!("expected invalid JSON, got {other:?}"),
    }
    match warren_publish(
        &read_only(),
        &guest(),
        &request(&t.name, "orders", "paid", body),
    )
    .await
    {
        Err(Error::ReadOnly(id)) => assert_eq!(id, "local"),
        other => panic!("expected a read-only refusal, got {other:?}"),
    }
    assert_eq!(
        depth(&ch, "paid").await,
        0,
        "only the first publish arrived"
    );

    let mine: Vec<_> = AuditLog::open_default()
        .read()
        .unwrap()
        .into_iter()
        .filter(|r| r.vhost.as_deref() == Some(t.name.as_str()) && r.action == "message.publish")
        .collect();
    let ok = mine
        .iter()
        .find(|r| r.outcome == "ok")
        .expect("the publish is audited");
    assert_eq!(ok.parameters["body_sha256"], json!(r.body_sha256));
    assert_eq!(ok.parameters["routing_key"], json!("paid"));
    assert_eq!(ok.targets, ["orders"]);
    assert!(
        mine.iter().any(|r| r.outcome == "refused"),
        "the read-only attempt too"
    );
    assert!(mine.iter().any(|r| r.outcome == "error"
        && r.error
            .as_deref()
            .unwrap_or("")
            .contains("no queue is bound")));
    let all = serde_json::to_string(&mine).unwrap();
    assert!(!all.contains("secret-order-body"), "never the body: {all}");
}

/// The messages of the stream `q` (ids `s0`..`s9`, `s5` written at least 1.5 s after `s4`) read
/// from `seconds` through Warren.
async fn read_from_time(vhost: &str, seconds: i64) -> Vec<String> {
    let read = peek_as_local(vhost, "s", 50, Some(StreamOffset::Timestamp { seconds })).await;
    let got = ids(&read);
    let all: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
    assert!(
        got.len() <= all.len() && got[..] == all[all.len() - got.len()..],
        "a read from a time gives the stream's tail, in order: {got:?}"
    );
    got
}

/// The second, by the broker's clock, that `since` (this machine's) names, and what a read from
/// it gives: `since` itself when the two clocks agree. They need not: a stream stamps its chunks
/// with the Erlang VM's clock, and a 3.x broker (OTP 25, "no time warp") keeps the clock it
/// started with when the machine's clock is stepped afterwards (a VM restored or re-dated, an
/// NTP step): on such a broker the read from `since` gives nothing, and reads from earlier
/// seconds (stepping back 8, 64, 512... s, then halving) find the second whose read is exactly
/// the second batch. Every read must be a tail of the stream, and exactly one band of seconds
/// may give the second batch, so Warren's conversion of the time is still what is tested.
async fn stream_second_of(vhost: &str, since: i64) -> (i64, Vec<String>) {
    // Five read: the second batch's second. More: too early; fewer: too late. Step away from
    // `since` (8, 64, 512… s) until a second on the other side brackets the batch, then halve.
    let mut probe = since;
    let mut got = read_from_time(vhost, probe).await;
    let backwards = got.len() < 5;
    let (mut early, mut late) = (None, None);
    let mut step = 8_i64;
    loop {
        match got.len() {
            5 => return (probe, got),
            n if n < 5 => late = Some(probe),
            _ => early = Some(probe),
        }
        probe = match (early, late) {
            (Some(e), Some(l)) if l - e > 1 => e + (l - e) / 2,
            (Some(e), Some(l)) => panic!("no second between {e} and {l} reads the second batch"),
            _ => {
                assert!(
                    step < 1 << 33,
                    "no second within 34 years of {since} reads the second batch"
                );
                let away = if backwards { -step } else { step };
                step *= 8;
                since + away
            }
        };
        got = read_from_time(vhost, probe).await;
    }
}
