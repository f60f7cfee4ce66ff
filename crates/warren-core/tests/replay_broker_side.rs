//! The broker-side path of a replay to origin, against the real broker: a shovel moves the DLQ
//! through a temporary direct exchange bound per routing key, and whatever that exchange cannot
//! route on its own (a deleted origin, a key that names two origins, a key with a message at the
//! replay limit) goes through a holding queue and the client path. Every message ends in its
//! origin or back in the DLQ, never dropped, a cancel loses nothing, and the temporary
//! exchange, holding queue and shovels are gone afterwards.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use futures_util::StreamExt;
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, ExchangeKind};
use warren_core::deadletters::replay::{shovel_replays, ReplayOptions, ReplayPath, TEMP_PREFIX};
use warren_core::deadletters::xdeath;

const DLQ: &str = "failed";

fn broker_path() -> ReplayOptions {
    ReplayOptions {
        broker_path: true,
        ..Default::default()
    }
}

/// `n` messages per origin, published through `exchange` with `key` (the origin's name for the
/// default exchange) and TTL 0, so each dies into the DLQ at once; ids `<origin>-<i>`.
async fn dead_letter_via(
    ch: &Channel,
    exchange: &str,
    sends: &[(&str, &str)],
    n: usize,
    headers: FieldTable,
) {
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .ok();
    for i in 0..n {
        for (key, id) in sends {
            let props = BasicProperties::default()
                .with_message_id(format!("{id}-{i}").into())
                .with_expiration("0".into())
                .with_headers(headers.clone());
            ch.basic_publish(
                exchange.into(),
                (*key).into(),
                BasicPublishOptions::default(),
                format!("{id} {i}").as_bytes(),
                props,
            )
            .await
            .unwrap()
            .await
            .unwrap();
        }
    }
}

async fn wait_depth(ch: &Channel, q: &str, want: u32) {
    for _ in 0..400 {
        if depth(ch, q).await >= want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{q} never reached {want}");
}

/// A vhost with the DLQ and `origins` dead-lettering into it.
async fn vhost_with(prefix: &str, origins: &[&str]) -> (TestVhost, Channel) {
    let t = TestVhost::new(prefix).await;
    let ch = t.channel().await;
    dlx_into(&ch, DLQ, FieldTable::default()).await;
    for q in origins {
        declare_durable(&ch, q, dead_lettering()).await;
    }
    (t, ch)
}

/// No exchange, queue or shovel of the broker path is left in the vhost.
async fn assert_no_temp_objects(vhost: &str) {
    let a = admin();
    let xs: Vec<String> = a
        .list_exchanges_in(vhost)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.name)
        .filter(|n| n.starts_with(TEMP_PREFIX))
        .collect();
    let qs: Vec<String> = a
        .list_queues_in(vhost)
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.name)
        .filter(|n| n.starts_with(TEMP_PREFIX))
        .collect();
    let shovels = a
        .list_runtime_parameters_of_component_in("shovel", vhost)
        .await
        .map(|p| p.len())
        .unwrap_or(0);
    assert_eq!(
        (xs, qs, shovels),
        (vec![], vec![], 0),
        "temporary objects left"
    );
}

/// Each id in `q` with how often, and the deliveries' Warren replays by shovel.
async fn ids_and_marks(conn: &lapin::Connection, q: &str) -> (BTreeMap<String, u64>, Vec<u32>) {
    let ch = conn.create_channel().await.unwrap();
    let n = depth(&ch, q).await;
    let (mut ids, mut marks) = (BTreeMap::new(), vec![]);
    if n > 0 {
        let mut c = consume(&ch, q, "count", 1000, true).await;
        for _ in 0..n {
            let d = c.next().await.unwrap().unwrap();
            *ids.entry(message_id(&d)).or_default() += 1;
            marks.push(shovel_replays(d.properties.headers().as_ref()));
            assert!(
                !xdeath::deaths(d.properties.headers().as_ref())
                    .unwrap_or_default()
                    .is_empty(),
                "x-death kept"
            );
        }
    }
    let _ = ch.close(200, "counted".into()).await;
    (ids, marks)
}

fn expect_ids(prefix: &str, n: usize) -> BTreeMap<String, u64> {
    (0..n).map(|i| (format!("{prefix}-{i}"), 1)).collect()
}

#[tokio::test]
async fn every_message_goes_back_to_its_own_origin_through_the_broker() {
    const ORIGINS: [&str; 4] = ["billing.acme", "billing.globex", "mail.acme", "mail.globex"];
    let (t, ch) = vhost_with("warren-broker-replay", &ORIGINS).await;
    let sends: Vec<(&str, &str)> = ORIGINS.iter().map(|q| (*q, *q)).collect();
    dead_letter_via(&ch, "", &sends, 50, FieldTable::default()).await;
    wait_depth(&ch, DLQ, 200).await;

    let r = replay_unattended(&t.name, DLQ, &broker_path()).await;
    assert_eq!(r.path, ReplayPath::Broker, "{r:?}");
    assert_eq!((r.total, r.replayed, r.kept), (200, 200, 0), "{r:?}");
    assert!(
        r.path_note
            .as_deref()
            .unwrap()
            .contains("4 routing key(s) bound"),
        "{r:?}"
    );
    assert_eq!(depth(&ch, DLQ).await, 0);
    for q in ORIGINS {
        let (ids, marks) = ids_and_marks(&t.conn, q).await;
        assert_eq!(ids, expect_ids(q, 50), "{q}");
        assert!(
            marks.iter().all(|m| *m == 1),
            "one shovel record each: {marks:?}"
        );
    }
    assert_no_temp_objects(&t.name).await;
}

#[tokio::test]
async fn the_client_path_is_taken_for_a_group_and_when_not_asked() {
    let (t, ch) = vhost_with("warren-broker-replay-group", &["a", "b"]).await;
    dead_letter_via(&ch, "", &[("a", "a"), ("b", "b")], 5, FieldTable::default()).await;
    wait_depth(&ch, DLQ, 10).await;
    let group = ReplayOptions {
        scope: warren_core::deadletters::replay::Scope {
            filter: warren_core::deadletters::filter::DeadLetterFilter::parse("origin:a").unwrap(),
            ..Default::default()
        },
        ..broker_path()
    };
    let r = replay_unattended(&t.name, DLQ, &group).await;
    assert_eq!(r.path, ReplayPath::Client);
    assert!(
        r.path_note.as_deref().unwrap().contains("cannot filter"),
        "{r:?}"
    );
    assert_eq!((r.replayed, r.out_of_scope), (5, 5));
    let r = replay_unattended(&t.name, DLQ, &ReplayOptions::default()).await;
    assert_eq!((r.path, r.path_note.as_deref()), (ReplayPath::Client, None));
    assert_eq!(r.replayed, 5);
}

#[tokio::test]
async fn a_deleted_origins_messages_end_in_the_dlq_again() {
    let (t, ch) = vhost_with("warren-broker-replay-gone", &["a", "b", "gone"]).await;
    dead_letter_via(
        &ch,
        "",
        &[("a", "a"), ("b", "b"), ("gone", "gone")],
        20,
        FieldTable::default(),
    )
    .await;
    wait_depth(&ch, DLQ, 60).await;
    ch.queue_delete("gone".into(), Default::default())
        .await
        .unwrap();

    let r = replay_unattended(&t.name, DLQ, &broker_path()).await;
    assert_eq!(r.path, ReplayPath::Broker, "{r:?}");
    assert_eq!((r.replayed, r.unroutable, r.kept), (40, 20, 20), "{r:?}");
    assert_eq!(ids_and_marks(&t.conn, "a").await.0, expect_ids("a", 20));
    assert_eq!(ids_and_marks(&t.conn, "b").await.0, expect_ids("b", 20));
    let (back, marks) = ids_and_marks(&t.conn, DLQ).await;
    assert_eq!(back, expect_ids("gone", 20), "kept, not dropped");
    assert!(
        marks.iter().all(|m| *m == 0),
        "passing through the holding queue is no replay"
    );
    assert_no_temp_objects(&t.name).await;
}

#[tokio::test]
async fn a_key_of_two_origins_goes_through_the_holding_queue_and_still_lands_right() {
    let (t, ch) = vhost_with("warren-broker-replay-ambiguous", &["a", "q1", "q2"]).await;
    ch.exchange_declare(
        "work".into(),
        ExchangeKind::Direct,
        ExchangeDeclareOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    for q in ["q1", "q2"] {
        ch.queue_bind(
            q.into(),
            "work".into(),
            "k".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    }
    // Each publish to `work` lands in q1 and q2: two dead letters with key `k`, one id.
    dead_letter_via(&ch, "work", &[("k", "k")], 15, FieldTable::default()).await;
    dead_letter_via(&ch, "", &[("a", "a")], 15, FieldTable::default()).await;
    wait_depth(&ch, DLQ, 45).await;

    let r = replay_unattended(&t.name, DLQ, &broker_path()).await;
    assert_eq!(r.path, ReplayPath::Broker, "{r:?}");
    assert_eq!((r.replayed, r.kept), (45, 0), "{r:?}");
    let through_client: BTreeMap<_, _> = r
        .destinations
        .iter()
        .map(|d| (d.destination.as_str(), d.messages))
        .collect();
    assert_eq!(through_client.get("queue q1"), Some(&15), "{r:?}");
    assert_eq!(through_client.get("queue q2"), Some(&15), "{r:?}");
    assert_eq!(ids_and_marks(&t.conn, "q1").await.0, expect_ids("k", 15));
    assert_eq!(ids_and_marks(&t.conn, "q2").await.0, expect_ids("k", 15));
    assert_eq!(ids_and_marks(&t.conn, "a").await.0, expect_ids("a", 15));
    assert_eq!(depth(&ch, DLQ).await, 0);
    assert_no_temp_objects(&t.name).await;
}

#[tokio::test]
async fn messages_at_the_replay_limit_are_not_bound_and_stay() {
    let (t, ch) = vhost_with("warren-broker-replay-guard", &["a", "b"]).await;
    let mut at_limit = FieldTable::default();
    at_limit.insert(xdeath::REPLAY_COUNT.into(), AMQPValue::LongLongInt(2));
    dead_letter_via(&ch, "", &[("a", "a")], 10, FieldTable::default()).await;
    dead_letter_via(&ch, "", &[("a", "tired")], 3, at_limit).await;
    dead_letter_via(&ch, "", &[("b", "b")], 10, FieldTable::default()).await;
    wait_depth(&ch, DLQ, 23).await;

    let options = ReplayOptions {
        max_replays: 2,
        ..broker_path()
    };
    let r = replay_unattended(&t.name, DLQ, &options).await;
    assert_eq!(r.path, ReplayPath::Broker, "{r:?}");
    assert_eq!((r.replayed, r.loop_guarded), (20, 3), "{r:?}");
    assert!(
        r.path_note
            .as_deref()
            .unwrap()
            .contains("1 routing key(s) bound"),
        "only b: {r:?}"
    );
    assert_eq!(ids_and_marks(&t.conn, "a").await.0, expect_ids("a", 10));
    assert_eq!(ids_and_marks(&t.conn, DLQ).await.0, expect_ids("tired", 3));
    // b went the broker way: its one shovel record counts as a replay next time.
    let (_, marks) = ids_and_marks(&t.conn, "b").await;
    assert_eq!(marks, vec![1; 10]);
    assert_no_temp_objects(&t.name).await;
}

#[tokio::test]
async fn a_cancel_mid_way_loses_nothing() {
    const N: usize = 15_000;
    let (t, ch) = vhost_with("warren-broker-replay-cancel", &["a", "b"]).await;
    let sends = [("a", "a"), ("b", "b")];
    // Unconfirmed bulk publish, then wait for the depth (quicker than confirming each).
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .ok();
    for i in 0..N / 2 {
        for (q, id) in sends {
            let props = BasicProperties::default()
                .with_message_id(format!("{id}-{i}").into())
                .with_expiration("0".into());
            publish(&ch, q, b"x", props).await;
        }
    }
    ch.wait_for_confirms().await.unwrap();
    wait_depth(&ch, DLQ, N as u32).await;

    let stop = AtomicBool::new(false);
    let r = replay_as_local(
        &t.name,
        DLQ,
        &broker_path(),
        |p| {
            if p.done > 0 && p.done < p.total {
                stop.store(true, Ordering::SeqCst);
            }
        },
        || stop.load(Ordering::SeqCst),
    )
    .await;
    assert_eq!(r.path, ReplayPath::Broker, "{r:?}");
    assert!(r.cancelled, "{r:?}");
    assert!(r.replayed < N as u64, "stopped before the end: {r:?}");
    let mut all: BTreeMap<String, u64> = BTreeMap::new();
    for q in ["a", "b", DLQ] {
        for (id, n) in ids_and_marks(&t.conn, q).await.0 {
            *all.entry(id).or_default() += n;
        }
    }
    assert_eq!(all.len(), N, "every message is somewhere");
    let duplicates: u64 = all.values().map(|n| n - 1).sum();
    // A stopped shovel's unconfirmed window may be both delivered and back in the DLQ.
    assert!(duplicates <= 2 * 1000, "{duplicates} duplicates");
    assert_no_temp_objects(&t.name).await;
}

#[tokio::test]
async fn a_later_client_path_copy_folds_the_shovel_record_into_its_count() {
    let (t, ch) = vhost_with("warren-broker-replay-fold", &["a"]).await;
    dead_letter_via(&ch, "", &[("a", "a")], 5, FieldTable::default()).await;
    wait_depth(&ch, DLQ, 5).await;
    let r = replay_unattended(&t.name, DLQ, &broker_path()).await;
    assert_eq!((r.path, r.replayed), (ReplayPath::Broker, 5), "{r:?}");
    // They die again (a TTL on the way back), then go the client way.
    let ids = {
        let c = t.channel().await;
        let mut consumer = consume(&c, "a", "again", 10, false).await;
        let mut ids = vec![];
        for _ in 0..5 {
            let d = consumer.next().await.unwrap().unwrap();
            ids.push(message_id(&d));
            c.basic_reject(
                d.delivery_tag,
                lapin::options::BasicRejectOptions { requeue: false },
            )
            .await
            .unwrap();
        }
        ids
    };
    assert_eq!(ids.len(), 5);
    wait_depth(&ch, DLQ, 5).await;
    let r = replay_unattended(&t.name, DLQ, &ReplayOptions::default()).await;
    assert_eq!((r.path, r.replayed), (ReplayPath::Client, 5), "{r:?}");
    let c = t.channel().await;
    let mut consumer = consume(&c, "a", "count", 10, true).await;
    for _ in 0..5 {
        let d = consumer.next().await.unwrap().unwrap();
        let h = d.properties.headers().as_ref();
        assert_eq!(shovel_replays(h), 0, "folded into the header");
        assert_eq!(xdeath::replay_mark(h).map(|m| m.count), Some(2));
    }
}

/// Two replays by the broker path, the messages dying again in between (fresh dead letters of
/// the same key beside them), count two on every line: the AMQP 0-9-1 shovel adds a second
/// `x-shovelled` record; a local shovel's one mark would be replaced, so a run that reads one
/// takes the AMQP 0-9-1 shovel, which adds its record and keeps the mark.
#[tokio::test]
async fn a_second_broker_path_replay_counts_two() {
    let (t, ch) = vhost_with("warren-broker-replay-twice", &["a"]).await;
    dead_letter_via(&ch, "", &[("a", "a")], 5, FieldTable::default()).await;
    wait_depth(&ch, DLQ, 5).await;
    let r = replay_unattended(&t.name, DLQ, &broker_path()).await;
    assert_eq!((r.path, r.replayed), (ReplayPath::Broker, 5), "{r:?}");
    let first_kind = if warren_test_support::line_at_least(4, 3) {
        "local"
    } else {
        "amqp091"
    };
    assert_eq!(r.shovel.as_deref(), Some(first_kind), "the report names it");
    let c = t.channel().await;
    let mut consumer = consume(&c, "a", "again", 10, false).await;
    for _ in 0..5 {
        let d = consumer.next().await.unwrap().unwrap();
        let h = d.properties.headers().as_ref();
        assert_eq!(xdeath::replay_mark(h).map(|m| m.count), Some(1));
        // 4.3 moves them with a local shovel (no AMQP frames); older lines cannot.
        let local = h.is_some_and(|h| h.contains_key(xdeath::LOCAL_SHOVEL_MARK));
        assert_eq!(
            local,
            warren_test_support::line_at_least(4, 3),
            "a local shovel?"
        );
        c.basic_reject(
            d.delivery_tag,
            lapin::options::BasicRejectOptions { requeue: false },
        )
        .await
        .unwrap();
    }
    let _ = c.close(200, "rejected".into()).await;
    wait_depth(&ch, DLQ, 5).await;
    dead_letter_via(&ch, "", &[("a", "fresh")], 5, FieldTable::default()).await;
    wait_depth(&ch, DLQ, 10).await;

    let r = replay_unattended(&t.name, DLQ, &broker_path()).await;
    assert_eq!((r.path, r.replayed), (ReplayPath::Broker, 10), "{r:?}");
    assert_eq!(
        r.shovel.as_deref(),
        Some("amqp091"),
        "an earlier local mark read: the AMQP 0-9-1 shovel keeps it"
    );
    let c = t.channel().await;
    let mut consumer = consume(&c, "a", "count", 20, true).await;
    let mut counts = BTreeMap::new();
    for _ in 0..10 {
        let d = consumer.next().await.unwrap().unwrap();
        let id = message_id(&d);
        let count = xdeath::replay_mark(d.properties.headers().as_ref()).map_or(0, |m| m.count);
        counts.insert(id, count);
    }
    let expected: BTreeMap<String, u32> = (0..5)
        .flat_map(|i| [(format!("a-{i}"), 2), (format!("fresh-{i}"), 1)])
        .collect();
    assert_eq!(counts, expected, "replays counted per message");
    assert_no_temp_objects(&t.name).await;
}

#[tokio::test]
async fn a_key_past_the_head_is_learned_from_the_holding_queue_and_bound() {
    let (t, ch) = vhost_with("warren-broker-replay-learn", &["a", "b"]).await;
    // The DLQ in blocks: the head read (500) sees only `a`.
    dead_letter_via(&ch, "", &[("a", "a")], 700, FieldTable::default()).await;
    dead_letter_via(&ch, "", &[("b", "b")], 700, FieldTable::default()).await;
    wait_depth(&ch, DLQ, 1400).await;
    let r = replay_unattended(&t.name, DLQ, &broker_path()).await;
    assert_eq!(
        (r.path, r.replayed, r.kept),
        (ReplayPath::Broker, 1400, 0),
        "{r:?}"
    );
    assert!(
        r.path_note
            .as_deref()
            .unwrap()
            .starts_with("2 routing key(s) bound"),
        "{r:?}"
    );
    assert_eq!(ids_and_marks(&t.conn, "a").await.0, expect_ids("a", 700));
    assert_eq!(ids_and_marks(&t.conn, "b").await.0, expect_ids("b", 700));
    assert_eq!(depth(&ch, DLQ).await, 0);
    assert_no_temp_objects(&t.name).await;
}
