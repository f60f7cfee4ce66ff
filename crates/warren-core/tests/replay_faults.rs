//! Replays under hostile input and faults: names no AMQP broker can carry (over 255 bytes) are
//! refused or kept, never a panic; a broker restarted mid-replay loses nothing, the reported
//! bound covers every duplicate, and a second run finishes the job.

mod common;

use common::*;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongString};
use lapin::BasicProperties;
use warren_core::deadletters::browse;
use warren_core::deadletters::replay::{replay, ReplayOptions, Target};

/// A message that looks dead-lettered from `origin` (its own x-death header), published
/// straight into `dlq`.
fn dead_from(origin: &str) -> BasicProperties {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_longer_than_amqp_allows_are_refused_or_kept_never_a_panic() {
    let t = TestVhost::new("warren-test-long-names").await;
    let ch = t.conn.create_channel().await.unwrap();
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    ch.queue_declare("dlq".into(), durable, FieldTable::default())
        .await
        .unwrap();
    ch.queue_declare("ok".into(), durable, FieldTable::default())
        .await
        .unwrap();
    let long = "q".repeat(300);
    for origin in [long.as_str(), "ok", long.as_str(), "ok"] {
        ch.basic_publish(
            "".into(),
            "dlq".into(),
            BasicPublishOptions::default(),
            origin.as_bytes(),
            dead_from(origin),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    }

    // Arguments: a clear error naming the limit.
    let e = browse::browse(
        &local(),
        &guest(),
        &t.name,
        &long,
        10,
        None,
        "classic",
        None,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("300 bytes") && e.contains("255"), "{e}");
    let to_long = ReplayOptions {
        target: Target::Queue { name: long.clone() },
        ..Default::default()
    };
    let e = replay(
        &local(),
        &guest(),
        &t.name,
        "dlq",
        &to_long,
        |_| {},
        || false,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("target queue name") && e.contains("255"), "{e}");
    assert_eq!(
        depth(&ch, "dlq").await,
        4,
        "a refused replay touches nothing"
    );

    // Messages: the ones whose origin cannot exist stay, the rest go home.
    let report = replay(
        &local(),
        &guest(),
        &t.name,
        "dlq",
        &ReplayOptions::default(),
        |_| {},
        || false,
    )
    .await
    .unwrap();
    assert_eq!(
        (report.replayed, report.name_too_long, report.kept),
        (2, 2, 2),
        "{report:?}"
    );
    assert!(report.stopped.is_none());
    assert_eq!(depth(&ch, "dlq").await, 2);
    assert_eq!(depth(&ch, "ok").await, 2);
    // And again: the same messages stay, nothing duplicates.
    let again = replay(
        &local(),
        &guest(),
        &t.name,
        "dlq",
        &ReplayOptions::default(),
        |_| {},
        || false,
    )
    .await
    .unwrap();
    assert_eq!((again.replayed, again.name_too_long), (0, 2));
    assert_eq!(depth(&ch, "dlq").await, 2);
}

/// Tests that stop and start the broker's node run only when the run owns that broker
/// (`WARREN_TEST_OWN_BROKER=1`, set by scripts/test-all for a 4.x node nothing else uses then).
fn own_broker() -> bool {
    let own = std::env::var("WARREN_TEST_OWN_BROKER").is_ok_and(|v| v == "1");
    if !own {
        println!("skipped: restarts the broker; set WARREN_TEST_OWN_BROKER=1 on a broker nothing else uses");
    }
    own
}

async fn wait_for_broker() -> lapin::Connection {
    for _ in 0..120 {
        if let Ok(c) = lapin::Connection::connect(&amqp_uri_for("/"), Default::default()).await {
            return c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    panic!("the broker did not come back within 60 s");
}

/// `n` persistent dead letters from `origin`, message ids 0..n, straight into `dlq`.
async fn fill(ch: &lapin::Channel, origin: &str, dlq: &str, n: usize) {
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    for i in 0..n {
        ch.basic_publish(
            "".into(),
            dlq.into(),
            BasicPublishOptions::default(),
            format!("m{i}").as_bytes(),
            dead_from(origin)
                .with_delivery_mode(2)
                .with_message_id(i.to_string().into()),
        )
        .await
        .unwrap();
    }
    ch.wait_for_confirms().await.unwrap();
}

/// Message ids in `q` and how often each is there (drained).
async fn ids_in(conn: &lapin::Connection, q: &str) -> std::collections::BTreeMap<String, u64> {
    use futures_util::StreamExt;
    let ch = conn.create_channel().await.unwrap();
    let n = depth(&ch, q).await;
    let mut out = std::collections::BTreeMap::new();
    if n == 0 {
        return out;
    }
    ch.basic_qos(1000, Default::default()).await.unwrap();
    let mut c = ch
        .basic_consume(
            q.into(),
            "count".into(),
            lapin::options::BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    for _ in 0..n {
        let d = c.next().await.unwrap().unwrap();
        let id = d
            .properties
            .message_id()
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        *out.entry(id).or_default() += 1;
    }
    let _ = ch.close(200, "counted".into()).await;
    out
}

async fn restart_mid_replay(dlq_type: &str) {
    const N: usize = 20_000;
    let t = TestVhost::new("warren-test-restart").await;
    let ch = t.conn.create_channel().await.unwrap();
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString(dlq_type.into()),
    );
    ch.queue_declare("dlq".into(), durable, args).await.unwrap();
    ch.queue_declare("origin".into(), durable, FieldTable::default())
        .await
        .unwrap();
    fill(&ch, "origin", "dlq", N).await;
    let options = ReplayOptions {
        window: 400,
        ..Default::default()
    };
    let restarted = std::sync::atomic::AtomicBool::new(false);
    let first = replay(
        &local(),
        &guest(),
        &t.name,
        "dlq",
        &options,
        |p| {
            if p.done > 2_000 && !restarted.swap(true, std::sync::atomic::Ordering::SeqCst) {
                rabbitmqctl(&["stop_app"]);
                rabbitmqctl(&["start_app"]);
            }
        },
        || false,
    )
    .await
    .unwrap();
    assert!(
        restarted.load(std::sync::atomic::Ordering::SeqCst),
        "the broker was restarted"
    );
    assert!(first.stopped.is_some(), "{first:?}");
    let conn = wait_for_broker().await;
    let vconn = lapin::Connection::connect(&amqp_uri_for(&t.name), Default::default())
        .await
        .unwrap();
    let vch = vconn.create_channel().await.unwrap();
    // Quorum queues' counts settle after a restart: wait until two readings agree.
    let mut last = (u32::MAX, u32::MAX);
    for _ in 0..40 {
        let now = (depth(&vch, "dlq").await, depth(&vch, "origin").await);
        if now == last {
            break;
        }
        last = now;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let (left, arrived) = last;
    assert!(
        (left + arrived) as usize >= N,
        "nothing lost: {left} left + {arrived} arrived < {N}"
    );
    let in_both = (left + arrived) as u64 - N as u64;
    assert!(
        in_both <= first.possible_duplicates,
        "{in_both} in both places, bound {}",
        first.possible_duplicates
    );

    let second = replay(
        &local(),
        &guest(),
        &t.name,
        "dlq",
        &options,
        |_| {},
        || false,
    )
    .await
    .unwrap();
    assert!(second.stopped.is_none(), "{second:?}");
    assert_eq!(depth(&vch, "dlq").await, 0);
    let ids = ids_in(&vconn, "origin").await;
    assert_eq!(ids.len(), N, "every message arrived");
    let duplicates: u64 = ids.values().map(|n| n - 1).sum();
    assert!(
        duplicates + second.deduplicated <= first.possible_duplicates,
        "{duplicates} duplicates + {} skipped > bound {}",
        second.deduplicated,
        first.possible_duplicates
    );
    println!(
        "# broker restarted mid-replay ({dlq_type} DLQ, {}): bound {}, {in_both} in both places, {} skipped by the rerun, {duplicates} duplicates left",
        broker_line(),
        first.possible_duplicates,
        second.deduplicated
    );
    drop(conn);
}

/// One test for both queue types: two restarts at once would confuse both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restarted_mid_replay_loses_nothing_and_the_bound_holds() {
    if own_broker() {
        restart_mid_replay("classic").await;
        restart_mid_replay("quorum").await;
    }
}
