//! Replaying dead letters against the real broker: every message back in its origin exactly
//! once, nothing lost when the broker closes the connection mid-way, unroutable messages kept,
//! selective replays touching only what was chosen, and messages byte-identical after the trip
//! (except Warren's replay header), from classic and quorum DLQs.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use futures_util::StreamExt;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, ByteArray, DecimalValue, FieldArray, FieldTable, LongString};
use lapin::{BasicProperties, Channel};
use warren_core::deadletters::filter::DeadLetterFilter;
use warren_core::deadletters::replay::{replay, ReplayOptions, Scope};
use warren_core::deadletters::xdeath::{REPLAY_COUNT, REPLAY_ID, REPLAY_TIME};
use warren_core::deadletters::{browse, plan};
use warren_core::queues::QueueRow;

const DLQ: &str = "failed";

/// A fanout DLX into `failed` (classic or quorum) and `origins` that dead-letter into it.
async fn topology(ch: &Channel, origins: &[&str], dlq_args: FieldTable) {
    dlx_into(ch, DLQ, dlq_args).await;
    for q in origins {
        declare_durable(ch, q, dead_lettering()).await;
    }
}

/// Publish `n` messages per origin with TTL 0: each expires at once into the DLQ (reason
/// `expired`), carrying its origin in x-death. Message ids are `<origin>-<i>`; the origins
/// alternate, so the DLQ interleaves them.
async fn dead_letter(ch: &Channel, origins: &[&str], n: usize) {
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .ok();
    for i in 0..n {
        for q in origins {
            let props = BasicProperties::default()
                .with_message_id(format!("{q}-{i}").into())
                .with_expiration("0".into());
            publish(ch, q, format!("{q} {i}").as_bytes(), props).await;
        }
    }
    ch.wait_for_confirms().await.unwrap();
    let want = (origins.len() * n) as u32;
    for _ in 0..200 {
        if depth(ch, DLQ).await >= want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the DLQ never reached {want}");
}

/// Drain a queue, returning each message's id (and the message).
async fn drain(ch: &Channel, q: &str) -> Vec<(String, lapin::message::Delivery)> {
    let n = depth(ch, q).await as usize;
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let mut c = consume(ch, q, &format!("drain-{q}"), 1000, true).await;
    while out.len() < n {
        let d = c.next().await.unwrap().unwrap();
        out.push((message_id(&d), d));
    }
    ch.basic_cancel(format!("drain-{q}").as_str().into(), Default::default())
        .await
        .unwrap();
    out
}

/// A vhost of its own where `n` messages of queue `q` have died into the DLQ.
async fn q_dead_lettered(prefix: &str, n: usize) -> (TestVhost, Channel) {
    let t = TestVhost::new(prefix).await;
    let ch = t.channel().await;
    topology(&ch, &["q"], FieldTable::default()).await;
    dead_letter(&ch, &["q"], n).await;
    (t, ch)
}

fn rows(vhost: &str, names: &[&str]) -> Vec<QueueRow> {
    names.iter().map(|n| QueueRow::named(vhost, n)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_go_back_to_their_own_origins_exactly_once() {
    let t = TestVhost::new("warren-test-replay").await;
    let ch = t.channel().await;
    let origins = ["billing.acme", "billing.globex", "mail.acme", "mail.globex"];
    topology(&ch, &origins, FieldTable::default()).await;
    dead_letter(&ch, &origins, 2500).await;

    let mut last = None;
    let report = replay_as_local(
        &t.name,
        DLQ,
        &ReplayOptions::default(),
        |p| last = Some(p),
        || false,
    )
    .await;
    assert_eq!(
        (report.total, report.replayed, report.kept),
        (10_000, 10_000, 0),
        "{report:?}"
    );
    assert!(report.stopped.is_none());
    assert_eq!(last.unwrap().done, 10_000, "the last progress says 100 %");
    assert_eq!(depth(&ch, DLQ).await, 0);
    let mut seen: HashMap<String, u32> = HashMap::new();
    for q in origins {
        let msgs = drain(&ch, q).await;
        assert_eq!(msgs.len(), 2500, "{q}");
        for (id, d) in msgs {
            assert!(id.starts_with(&format!("{q}-")), "{id} came back to {q}");
            let h = d.properties.headers().clone().unwrap();
            assert_eq!(
                h.inner().get(REPLAY_COUNT),
                Some(&AMQPValue::LongLongInt(1))
            );
            *seen.entry(id).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), 10_000);
    assert!(seen.values().all(|n| *n == 1), "every message exactly once");
    assert_eq!(report.destinations.len(), 4);
}

/// Close every replay connection of `vhost` from the broker's side (the management API).
fn kill_replay_connections(vhost: &str) -> usize {
    // The management API lists a new connection after a moment.
    for _ in 0..50 {
        let n = close_connections(vhost, "warren: replay");
        if n > 0 {
            return n;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_closed_by_the_broker_mid_replay_loses_nothing_and_a_second_run_finishes() {
    let t = TestVhost::new("warren-test-replay-kill").await;
    let ch = t.channel().await;
    let origins = ["a", "b"];
    topology(&ch, &origins, FieldTable::default()).await;
    dead_letter(&ch, &origins, 10_000).await;
    let options = ReplayOptions {
        window: 200,
        ..Default::default()
    };

    // At the first progress report the broker closes the replay's connection.
    let killed = AtomicBool::new(false);
    let report = replay_as_local(
        &t.name,
        DLQ,
        &options,
        |p| {
            if p.done > 0 && p.done < p.total && !killed.swap(true, Ordering::SeqCst) {
                assert!(
                    kill_replay_connections(&t.name) > 0,
                    "the replay connection was found"
                );
            }
        },
        || false,
    )
    .await;
    assert!(killed.load(Ordering::SeqCst));
    assert!(
        report
            .stopped
            .as_deref()
            .unwrap_or_default()
            .contains("Nothing is lost"),
        "{report:?}"
    );
    assert!(report.replayed < 20_000);

    // Every message is in the DLQ or its origin; duplicates only within the in-flight window.
    let count = |msgs: &[(String, lapin::message::Delivery)], seen: &mut BTreeMap<String, u64>| {
        for (id, _) in msgs {
            *seen.entry(id.clone()).or_default() += 1;
        }
    };
    let mut in_origins: BTreeMap<String, u64> = BTreeMap::new();
    for q in origins {
        count(&drain(&ch, q).await, &mut in_origins);
    }
    let left = depth(&ch, DLQ).await as usize;
    let distinct_in_origins = in_origins.len();
    assert!(
        distinct_in_origins + left >= 20_000,
        "none lost: {distinct_in_origins} replayed + {left} left"
    );
    // The bound is honest: at least the copies that are now in both places, at most the window.
    let in_both = distinct_in_origins + left - 20_000;
    assert!(
        in_both as u64 <= report.possible_duplicates,
        "{in_both} messages in both places, {} reported",
        report.possible_duplicates
    );
    // Unacked deliveries (the window) plus acks sent since the broker last proved it had
    // processed them (a few batches of window/8).
    assert!(
        report.possible_duplicates <= 2 * u64::from(options.window),
        "{report:?}"
    );

    // The second run moves the rest, skipping what the first one had already delivered.
    let second = replay_unattended(&t.name, DLQ, &options).await;
    assert!(second.stopped.is_none());
    assert_eq!(second.possible_duplicates, 0);
    assert_eq!(depth(&ch, DLQ).await, 0);
    for q in origins {
        count(&drain(&ch, q).await, &mut in_origins);
    }
    let duplicates = assert_rerun_within_bound(&in_origins, 20_000, &report, &second);
    println!(
        "# connection closed mid-replay: {in_both} in both places after the stop, bound {}, {} skipped by the rerun, {duplicates} duplicates left",
        report.possible_duplicates, second.deduplicated
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_whose_origin_is_gone_stay_in_the_dlq_as_unroutable() {
    let t = TestVhost::new("warren-test-replay-gone").await;
    let ch = t.channel().await;
    topology(&ch, &["alive", "gone"], FieldTable::default()).await;
    // Interleaved, so returns and confirms of both kinds share the broker's multiple-acks.
    dead_letter(&ch, &["alive", "gone"], 2000).await;
    ch.queue_delete("gone".into(), Default::default())
        .await
        .unwrap();

    let p = plan(
        &local(),
        &guest(),
        &t.name,
        DLQ,
        &ReplayOptions::default(),
        &rows(&t.name, &["alive", DLQ]),
        10_000,
    )
    .await
    .unwrap();
    let gone = p
        .destinations
        .iter()
        .find(|d| d.routing_key == "gone")
        .unwrap();
    assert!(!gone.exists && gone.messages == 2000);
    assert!(p.warnings.iter().any(|w| w.contains("do not exist")));
    assert_eq!(depth(&ch, DLQ).await, 4000, "planning moves nothing");

    let report = replay_unattended(&t.name, DLQ, &ReplayOptions::default()).await;
    assert_eq!(
        (report.replayed, report.unroutable, report.kept),
        (2000, 2000, 2000),
        "{report:?}"
    );
    assert_eq!(depth(&ch, DLQ).await, 2000);
    assert_eq!(depth(&ch, "alive").await, 2000);
    let kept = drain(&ch, DLQ).await;
    let mut ids: Vec<&str> = kept.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 2000, "each kept message once");
    assert!(kept.iter().all(|(id, d)| id.starts_with("gone-")
        && d.properties
            .headers()
            .as_ref()
            .unwrap()
            .inner()
            .get(REPLAY_COUNT)
            .is_none()));
    let arrived = drain(&ch, "alive").await;
    assert!(arrived.iter().all(|(id, _)| id.starts_with("alive-")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selective_replay_moves_only_what_was_chosen() {
    let t = TestVhost::new("warren-test-replay-select").await;
    let ch = t.channel().await;
    let origins = ["billing.acme", "billing.globex", "mail.acme"];
    topology(&ch, &origins, FieldTable::default()).await;
    dead_letter(&ch, &origins, 100).await;

    // By filter: only billing.acme's.
    let options = ReplayOptions {
        scope: Scope {
            filter: DeadLetterFilter::parse("origin:billing.acme reason:expired").unwrap(),
            ..Default::default()
        },
        ..Default::default()
    };
    let report = replay_unattended(&t.name, DLQ, &options).await;
    assert_eq!((report.replayed, report.out_of_scope), (100, 200));
    assert_eq!(depth(&ch, "billing.acme").await, 100);
    assert_eq!(depth(&ch, DLQ).await, 200);

    // By selection: three messages picked from a browse.
    let b = browse(&local(), &guest(), &t.name, DLQ, 200, None, "classic", None)
        .await
        .unwrap();
    let picked: Vec<_> = b
        .messages
        .iter()
        .filter(|m| m.origin.as_deref() == Some("mail.acme"))
        .take(3)
        .collect();
    let ids: Vec<String> = picked
        .iter()
        .map(|m| m.properties["message_id"].as_str().unwrap().to_string())
        .collect();
    let options = ReplayOptions {
        scope: Scope {
            keys: Some(picked.iter().map(|m| m.key.clone()).collect()),
            ..Default::default()
        },
        ..Default::default()
    };
    let report = replay_unattended(&t.name, DLQ, &options).await;
    assert_eq!(report.replayed, 3, "{report:?}");
    assert_eq!(depth(&ch, DLQ).await, 197);
    let moved: Vec<String> = drain(&ch, "mail.acme")
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(moved.len(), 3);
    for id in &ids {
        assert!(moved.contains(id), "{id} moved");
    }
    let rest = drain(&ch, DLQ).await;
    assert_eq!(rest.len(), 197);
    assert!(rest.iter().all(|(id, _)| !ids.contains(id)));
}

fn nested_headers() -> FieldTable {
    let mut inner = FieldTable::default();
    inner.insert("i8".into(), AMQPValue::ShortShortInt(-8));
    inner.insert("u16".into(), AMQPValue::ShortUInt(16));
    inner.insert("i32".into(), AMQPValue::LongInt(-32));
    inner.insert("f64".into(), AMQPValue::Double(1.5));
    inner.insert(
        "dec".into(),
        AMQPValue::DecimalValue(DecimalValue {
            scale: 2,
            value: 125,
        }),
    );
    inner.insert("ts".into(), AMQPValue::Timestamp(1_700_000_000));
    inner.insert(
        "bytes".into(),
        AMQPValue::ByteArray(ByteArray::from(vec![0u8, 255, 7])),
    );
    let mut h = FieldTable::default();
    h.insert(
        "nested".into(),
        AMQPValue::FieldArray(FieldArray::from(vec![
            AMQPValue::FieldTable(inner),
            AMQPValue::Boolean(true),
            AMQPValue::LongString(LongString::from(vec![0xffu8, 0x00, 0x80])),
        ])),
    );
    h.insert("trace".into(), AMQPValue::LongString("abc".into()));
    h
}

/// The headers without Warren's replay marks (and a quorum queue's delivery count, which the
/// broker adds to a redelivery and Warren leaves out of copies).
fn without_marks(p: &BasicProperties) -> BasicProperties {
    let mut h = p.headers().clone().unwrap_or_default();
    let inner: std::collections::BTreeMap<_, _> = h
        .inner()
        .iter()
        .filter(|(k, _)| {
            // The broker's counters of deliveries (and, 4.3+, acquisitions) change with every read.
            ![
                REPLAY_COUNT,
                REPLAY_ID,
                REPLAY_TIME,
                "x-delivery-count",
                "x-acquired-count",
            ]
            .contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    h = FieldTable::from(inner);
    p.clone().with_headers(h)
}

async fn byte_identical_round_trip(dlq_args: FieldTable, prefix: &str) {
    let t = TestVhost::new(prefix).await;
    let ch = t.channel().await;
    topology(&ch, &["work"], dlq_args).await;
    // `retry` dead-letters into `work`'s DLQ path twice: work → (expire) → retry → (expire) → failed.
    // (A dead-lettered message loses its expiration: `retry` expires it with a queue TTL.)
    let mut retry_args = dead_lettering();
    retry_args.insert("x-message-ttl".into(), AMQPValue::LongInt(0));
    declare_durable(&ch, "retry", retry_args).await;
    let first_hop = table(&[
        ("x-dead-letter-exchange", AMQPValue::LongString("".into())),
        (
            "x-dead-letter-routing-key",
            AMQPValue::LongString("retry".into()),
        ),
    ]);
    declare_durable(&ch, "twice", first_hop).await;
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .ok();

    let binary: Vec<u8> = (0..=255u8).collect();
    let big: Vec<u8> = (0..10 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let sends: Vec<(&str, &[u8], BasicProperties)> = vec![
        (
            "work",
            &binary,
            BasicProperties::default()
                .with_message_id("binary".into())
                .with_content_type("application/octet-stream".into()),
        ),
        (
            "work",
            &big,
            BasicProperties::default().with_message_id("big".into()),
        ),
        (
            "work",
            b"{\"a\":1}",
            BasicProperties::default()
                .with_message_id("nested".into())
                .with_headers(nested_headers())
                .with_priority(4)
                .with_correlation_id("c-1".into())
                .with_timestamp(1_700_000_123),
        ),
        (
            "twice",
            b"died twice",
            BasicProperties::default().with_message_id("twice".into()),
        ),
    ];
    for (q, body, props) in &sends {
        publish(&ch, q, body, props.clone().with_expiration("0".into())).await;
    }
    ch.wait_for_confirms().await.unwrap();
    for _ in 0..200 {
        if depth(&ch, DLQ).await >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(depth(&ch, DLQ).await, 4);
    // `retry` without its TTL, so the replayed message stays there to be compared.
    ch.queue_delete("retry".into(), Default::default())
        .await
        .unwrap();
    declare_durable(&ch, "retry", FieldTable::default()).await;

    // What the DLQ holds, as the broker delivers it (x-death added by the broker).
    let b = browse(&local(), &guest(), &t.name, DLQ, 10, None, "classic", None)
        .await
        .unwrap();
    let twice = b
        .messages
        .iter()
        .find(|m| m.properties["message_id"] == "twice")
        .unwrap();
    assert_eq!(twice.deaths.len(), 2, "died twice: {:?}", twice.deaths);
    assert_eq!(
        twice.origin.as_deref(),
        Some("retry"),
        "replayed to where it died last"
    );
    let big_view = b
        .messages
        .iter()
        .find(|m| m.properties["message_id"] == "big")
        .unwrap();
    assert!(big_view.body.truncated && big_view.body.size == 10 * 1024 * 1024);

    let before: HashMap<String, (BasicProperties, Vec<u8>)> = {
        // Read them once more with a raw consumer (not acked: they go back on channel close).
        let c2 = t.channel().await;
        let mut c = consume(&c2, DLQ, "peek", 10, false).await;
        let mut m = HashMap::new();
        for _ in 0..4 {
            let d = c.next().await.unwrap().unwrap();
            let id = d.properties.message_id().as_ref().unwrap().to_string();
            m.insert(id, (without_marks(&d.properties), d.data.clone()));
        }
        c2.close(200, "peeked".into()).await.unwrap();
        m
    };
    let report = replay_unattended(&t.name, DLQ, &ReplayOptions::default()).await;
    assert_eq!(report.replayed, 4, "{report:?}");
    let mut after = drain(&ch, "work").await;
    after.extend(drain(&ch, "retry").await);
    assert_eq!(after.len(), 4);
    for (id, d) in after {
        let (props, body) = &before[&id];
        assert_eq!(&d.data, body, "{id}: body byte-identical");
        assert_eq!(
            without_marks(&d.properties),
            *props,
            "{id}: properties and headers identical"
        );
        let h = d.properties.headers().clone().unwrap();
        assert!(h.contains_key(REPLAY_ID) && h.contains_key(REPLAY_TIME));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_big_nested_and_twice_dead_messages_are_byte_identical_after_replay_classic() {
    byte_identical_round_trip(FieldTable::default(), "warren-test-replay-bytes").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quorum_dlq_replays_the_same_way() {
    let args = table(&[queue_type("quorum")]);
    byte_identical_round_trip(args, "warren-test-replay-quorum").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loop_guard_keeps_messages_replayed_too_often_and_a_read_only_env_is_refused() {
    let (t, ch) = q_dead_lettered("warren-test-replay-guard", 10).await;
    let defaults = ReplayOptions::default();
    let refused = replay(
        &read_only(),
        &guest(),
        &t.name,
        DLQ,
        &defaults,
        |_| {},
        || false,
    )
    .await;
    assert!(refused.unwrap_err().to_string().contains("read-only"));
    assert_eq!(depth(&ch, DLQ).await, 10);

    // Replay, dead-letter again (TTL 0 on the way back is not set: expire them by hand).
    let options = ReplayOptions {
        max_replays: 1,
        ..Default::default()
    };
    let first = replay_unattended(&t.name, DLQ, &options).await;
    assert_eq!(first.replayed, 10);
    // Back into the DLQ: reject them all from q.
    let msgs = drain(&ch, "q").await;
    for (_, d) in &msgs {
        ch.basic_publish(
            "dlx".into(),
            "".into(),
            BasicPublishOptions::default(),
            &d.data,
            d.properties.clone(),
        )
        .await
        .unwrap();
    }
    ch.wait_for_confirms().await.unwrap();
    let second = replay_unattended(&t.name, DLQ, &options).await;
    assert_eq!(
        (second.replayed, second.loop_guarded, second.kept),
        (0, 10, 10),
        "{second:?}"
    );
    assert_eq!(depth(&ch, DLQ).await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_replay_stops_and_keeps_the_rest() {
    let (t, ch) = q_dead_lettered("warren-test-replay-cancel", 5000).await;
    let stop = AtomicBool::new(false);
    let options = ReplayOptions {
        window: 50,
        ..Default::default()
    };
    let report = replay_as_local(
        &t.name,
        DLQ,
        &options,
        |p| {
            if p.done > 0 {
                stop.store(true, Ordering::SeqCst);
            }
        },
        || stop.load(Ordering::SeqCst),
    )
    .await;
    assert!(report.cancelled);
    assert!(report.replayed > 0 && report.replayed < 5000, "{report:?}");
    assert_eq!(u64::from(depth(&ch, "q").await), report.replayed);
    assert_eq!(u64::from(depth(&ch, DLQ).await), 5000 - report.replayed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_file_published_back_gives_the_same_messages() {
    use warren_core::deadletters::jsonl;
    let t = TestVhost::new("warren-test-dlq-jsonl").await;
    let ch = t.channel().await;
    topology(&ch, &["a", "b"], FieldTable::default()).await;
    declare_transient(&ch, "copy").await;
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .ok();
    let binary: Vec<u8> = (0..=255u8).collect();
    let props = BasicProperties::default()
        .with_message_id("bin".into())
        .with_headers(nested_headers())
        .with_expiration("0".into());
    publish(&ch, "a", &binary, props).await;
    ch.wait_for_confirms().await.unwrap();
    dead_letter(&ch, &["a", "b"], 20).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dlq.jsonl");
    let only_b = DeadLetterFilter::parse("origin:b").unwrap();
    let r = jsonl::export(
        &local(),
        &guest(),
        &t.name,
        DLQ,
        1000,
        &Scope {
            filter: only_b,
            ..Default::default()
        },
        &path,
    )
    .await
    .unwrap();
    assert_eq!((r.exported, r.read), (20, 41));
    assert_eq!(depth(&ch, DLQ).await, 41, "exporting removes nothing");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let all = dir.path().join("all.jsonl");
    jsonl::export(
        &local(),
        &guest(),
        &t.name,
        DLQ,
        1000,
        &Scope::default(),
        &all,
    )
    .await
    .unwrap();
    let report = jsonl::import(&local(), &guest(), &t.name, "copy", &all)
        .await
        .unwrap();
    assert_eq!((report.published, report.refused), (41, 0));
    let originals: HashMap<String, (BasicProperties, Vec<u8>)> = drain(&ch, DLQ)
        .await
        .into_iter()
        .map(|(id, d)| (id, (without_marks(&d.properties), d.data)))
        .collect();
    let copies = drain(&ch, "copy").await;
    assert_eq!(copies.len(), 41);
    for (id, d) in copies {
        let (props, body) = &originals[&id];
        assert_eq!(&d.data, body, "{id}");
        assert_eq!(&without_marks(&d.properties), props, "{id}");
    }
    assert!(jsonl::import(&read_only(), &guest(), &t.name, "copy", &all)
        .await
        .unwrap_err()
        .to_string()
        .contains("read-only"));
}
