//! What changes between RabbitMQ lines (3.10, 4.0, 4.3), against the broker the common harness
//! picks (`WARREN_TEST_BROKER`, `scripts/brokers env LINE`): quorum delivery limits and what a
//! browse costs against them, members and leaders, 4.3's delayed retry and at-least-once
//! dead-lettering counters, `x-last-death-*`, Warren's replay counter as the loop guard,
//! deprecated features, and streams kept away from purge, move and browse. A check that needs
//! a line's feature says so and passes on a line without it; everything else runs everywhere.

mod common;

use std::time::Duration;

use common::*;
use lapin::options::{BasicNackOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel};
use warren_core::broker::management::ManagementClient;
use warren_core::deadletters::browse::{browse_queue, Browse, BrowseOptions};
use warren_core::deadletters::replay::ReplayOptions;
use warren_core::deprecations::{check_deprecations, DeprecationSeverity};
use warren_core::queues::inventory::{load_inventory, InventoryOptions};
use warren_core::queues::move_messages::move_messages;
use warren_core::queues::purge::purge;
use warren_core::queues::{parse, QueueRow};
use warren_core::Error;

fn quorum() -> (&'static str, AMQPValue) {
    queue_type("quorum")
}

/// `n` messages `m0…` (ids the same), each confirmed before the next.
async fn publish_confirmed(ch: &Channel, q: &str, n: usize) {
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .ok();
    for i in 0..n {
        let props = BasicProperties::default().with_message_id(format!("m{i}").into());
        publish(ch, q, format!("m{i}").as_bytes(), props)
            .await
            .await
            .unwrap();
    }
}

fn header_int(d: &lapin::message::Delivery, k: &str) -> Option<i64> {
    d.properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(k).cloned())
        .and_then(|v| warren_core::deadletters::xdeath::as_int(&v))
}

/// Read everything and give it back: `mode` 0 nacks while still consuming, then closes (what
/// Warren's browse did); 1 cancels, then nacks (what it does now); 2 cancels and closes.
/// Returns each message's (`x-delivery-count`, `x-acquired-count`) as delivered.
async fn read_and_give_back(
    conn: &lapin::Connection,
    q: &str,
    mode: u8,
) -> Vec<(Option<i64>, Option<i64>)> {
    use futures_util::StreamExt;
    let ch = conn.create_channel().await.unwrap();
    let mut c = consume(&ch, q, "probe", 100, false).await;
    let mut out = vec![];
    let mut last = 0;
    while let Ok(Some(Ok(d))) = tokio::time::timeout(Duration::from_millis(800), c.next()).await {
        out.push((
            header_int(&d, "x-delivery-count"),
            header_int(&d, "x-acquired-count"),
        ));
        last = d.delivery_tag;
    }
    if mode >= 1 {
        ch.basic_cancel("probe".into(), Default::default())
            .await
            .unwrap();
    }
    if last > 0 && mode != 2 {
        ch.basic_nack(
            last,
            BasicNackOptions {
                multiple: true,
                requeue: true,
            },
        )
        .await
        .unwrap();
    }
    ch.close(200, "done".into()).await.ok();
    out
}

async fn inventory(vhost: &str) -> Vec<QueueRow> {
    let client = ManagementClient::new(&local(), guest()).unwrap();
    let opts = InventoryOptions {
        vhost: Some(vhost.to_string()),
        ..Default::default()
    };
    load_inventory(&client, &opts).await.unwrap().rows
}

/// The inventory once every quorum queue's statistics arrived (4.0 rows lack
/// `delivery_limit`, `members` and `leader` for the first seconds after a declare).
async fn settled_inventory(vhost: &str) -> Vec<QueueRow> {
    for _ in 0..60 {
        let rows = inventory(vhost).await;
        let ready = rows.iter().filter(|r| r.queue_type == "quorum").all(|r| {
            r.leader.is_some()
                && (!is_4x()
                    || r.delivery_limit.is_some()
                    || r.arguments.contains_key("x-delivery-limit"))
        });
        if ready {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("the quorum queues' statistics never arrived");
}

/// `local`'s browse of the first `limit` messages of `queue`.
async fn browse_head(
    vhost: &str,
    queue: &str,
    limit: u32,
    insist: bool,
) -> warren_core::Result<Browse> {
    let opts = BrowseOptions { limit, insist };
    browse_queue(&local(), &guest(), vhost, queue, None, &opts).await
}

fn row<'a>(rows: &'a [QueueRow], name: &str) -> &'a QueueRow {
    rows.iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no row {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quorum_rows_carry_their_delivery_limit_members_and_leader() {
    let t = TestVhost::new("lines-rows").await;
    let ch = t.channel().await;
    declare_durable(&ch, "classic", FieldTable::default()).await;
    declare_durable(&ch, "qq", table(&[quorum()])).await;
    declare_durable(
        &ch,
        "qq3",
        table(&[quorum(), ("x-delivery-limit", AMQPValue::LongInt(3))]),
    )
    .await;
    declare_durable(&ch, "stream", table(&[queue_type("stream")])).await;
    let rows = settled_inventory(&t.name).await;

    let classic = row(&rows, "classic");
    assert_eq!(classic.delivery_limit, None);
    assert!(classic.members.is_empty() && classic.leader.is_none());
    // The 4.0 default of 20; 3.x has no limit unless one is set.
    let expected_default = if is_4x() { Some(20) } else { None };
    assert_eq!(row(&rows, "qq").delivery_limit, expected_default);
    assert_eq!(row(&rows, "qq3").delivery_limit, Some(3));
    for q in ["qq", "qq3"] {
        let r = row(&rows, q);
        assert_eq!(r.members.len(), 1, "{q}: {:?}", r.members);
        assert_eq!(r.leader.as_ref(), Some(&r.members[0]));
        assert_eq!(r.online, r.members);
    }
    assert_eq!(row(&rows, "stream").queue_type, "stream");

    // The JSON contract of `warren queues --json`: the keys are there, null where they do not apply.
    let json = serde_json::to_value(classic).unwrap();
    for key in ["delivery_limit", "members", "leader"] {
        assert!(json.get(key).is_some(), "key {key} in {json}");
    }
    assert!(json["delivery_limit"].is_null() && json["leader"].is_null());
    let json = serde_json::to_value(row(&rows, "qq3")).unwrap();
    assert_eq!(json["delivery_limit"], 3);

    let select = |q: &str| -> Vec<String> {
        let query = parse(q).unwrap();
        rows.iter()
            .filter(|r| query.matches(r, 0))
            .map(|r| r.name.clone())
            .collect()
    };
    assert_eq!(select("delivery_limit<5"), vec!["qq3"]);
    assert_eq!(select("type:stream"), vec!["stream"]);
    let leader = row(&rows, "qq").leader.clone().unwrap();
    assert_eq!(
        select(&format!("leader:{leader} type:quorum")),
        vec!["qq", "qq3"]
    );

    // 4.3: delayed retry and at-least-once dead-lettering counters.
    if line_at_least(4, 3) {
        let qq = row(&rows, "qq");
        assert_eq!(qq.delayed_retry.as_deref(), Some("disabled"));
        assert_eq!((qq.messages_delayed, qq.messages_dlx), (Some(0), Some(0)));
        assert_eq!(select("messages_delayed>=0"), vec!["qq", "qq3"]);
        assert!(select("messages_dlx>0").is_empty());
    } else {
        skip("delayed_retry and messages_delayed are 4.3 quorum queue fields");
        assert!(rows
            .iter()
            .all(|r| r.messages_delayed.is_none() && r.delayed_retry.is_none()));
        assert!(select("messages_delayed>=0").is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4_3_delayed_retry_queue_states_its_setting() {
    if !line_at_least(4, 3) {
        return skip("delayed retry arrived in 4.3");
    }
    let t = TestVhost::new("lines-delayed").await;
    let ch = t.channel().await;
    declare_durable(
        &ch,
        "retry",
        table(&[
            quorum(),
            (
                "x-delayed-retry-type",
                AMQPValue::LongString("failed".into()),
            ),
            ("x-delayed-retry-min", AMQPValue::LongInt(1000)),
            ("x-delayed-retry-max", AMQPValue::LongInt(5000)),
        ]),
    )
    .await;
    let rows = settled_inventory(&t.name).await;
    assert_eq!(
        row(&rows, "retry").delayed_retry.as_deref(),
        Some("failed (min: 1000ms, max: 5000ms)")
    );
}

/// Measured: a consumer that nacks while still consuming gets the messages straight back and
/// the channel's close returns them again: two counts per read up to 4.2. Cancelling first
/// makes it one (and none on 4.3, where a nack is no failed delivery).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn giving_messages_back_after_cancelling_counts_one_read_and_none_on_4_3() {
    let t = TestVhost::new("lines-counts").await;
    let ch = t.channel().await;
    for mode in [0u8, 1] {
        let q = format!("qq{mode}");
        declare_durable(&ch, &q, table(&[quorum()])).await;
        publish_confirmed(&ch, &q, 1).await;
        read_and_give_back(&t.conn, &q, mode).await;
        let seen = read_and_give_back(&t.conn, &q, mode).await;
        let count = seen[0].0.unwrap_or(0);
        let expected = match (mode, line_at_least(4, 3)) {
            (0, false) => 2,
            (0, true) => 1,
            (_, false) => 1,
            (_, true) => 0,
        };
        assert_eq!(
            count,
            expected,
            "mode {mode} on {}: {seen:?}",
            broker_line()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browse_tells_reads_left_and_refuses_one_read_from_the_limit_unless_insisted() {
    let t = TestVhost::new("lines-limit").await;
    let ch = t.channel().await;
    declare_durable(
        &ch,
        "failed",
        table(&[quorum(), ("x-delivery-limit", AMQPValue::LongInt(3))]),
    )
    .await;
    publish_confirmed(&ch, "failed", 2).await;
    assert_eq!(settled_depth(&ch, "failed").await, 2);
    let browse = |insist| browse_head(&t.name, "failed", 10, insist);

    let first = browse(false).await.unwrap();
    assert_eq!(
        (first.read, first.queue_type.as_str(), first.delivery_limit),
        (2, "quorum", Some(3))
    );
    if line_at_least(4, 3) {
        // A browse is no failed delivery on 4.3: it never runs into the limit.
        assert!(!first.read_counts);
        for _ in 0..5 {
            let b = browse(false).await.unwrap();
            assert_eq!(b.read, 2);
            assert!(b
                .messages
                .iter()
                .all(|m| m.reads_left.is_none() && m.delivery_count.is_none()));
        }
        assert!(
            first.cost.contains("does not count a browse"),
            "{}",
            first.cost
        );
        return skip("4.3 counts no browse against the delivery limit: nothing to refuse");
    }
    assert!(first.read_counts);
    // 3.10 hands a basic.get delivery `x-delivery-count: 0`, 4.0 no header.
    assert_eq!(first.messages[0].delivery_count.unwrap_or(0), 0);
    assert_eq!(first.messages[0].reads_left, Some(2));
    let second = browse(false).await.unwrap();
    assert_eq!(second.messages[0].delivery_count, Some(1));
    assert_eq!(second.messages[0].reads_left, Some(1));

    // The head has been given back twice: one more read leaves it at its limit. Refused, and
    // finding that out read the head alone.
    let refused = browse(false).await.unwrap_err();
    assert!(
        matches!(refused, Error::NearDeliveryLimit { limit: 3, .. }),
        "{refused}"
    );
    assert_eq!(refused.kind(), "near_delivery_limit");
    assert!(refused.to_string().contains("insist"), "{refused}");
    assert_eq!(
        settled_depth(&ch, "failed").await,
        2,
        "a refusal loses nothing"
    );

    // Insisting reads anyway and says what it cost. Whether the refused look at the head
    // counted depends on the broker (measured: 3.10 and 4.0 may drop a nack that a channel
    // close follows at once), so the head is at 2 or 3: at 3 this read drops it, at 2 the next.
    let mut dropped = 0;
    for attempt in 0..2 {
        let insisted = browse(true).await.unwrap();
        let counts: Vec<u64> = insisted
            .messages
            .iter()
            .map(|m| m.delivery_count.unwrap_or(0))
            .collect();
        assert!(
            counts.iter().any(|c| *c >= 2),
            "attempt {attempt}: {counts:?}"
        );
        let at_limit = counts.iter().filter(|c| **c >= 3).count() as u32;
        assert_eq!(insisted.dropped_by_read, at_limit, "{counts:?}");
        for m in &insisted.messages {
            let expected = 3u64.saturating_sub(m.delivery_count.unwrap_or(0) + 1);
            assert_eq!(m.reads_left, Some(expected), "{counts:?}");
        }
        if at_limit > 0 {
            assert!(
                insisted.cost.contains("at their delivery limit"),
                "{}",
                insisted.cost
            );
            dropped = at_limit;
            break;
        }
    }
    assert!(
        dropped >= 1,
        "a message at its limit is dropped by the next read, and said so"
    );
    assert_eq!(settled_depth(&ch, "failed").await, 2 - dropped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4_0_quorum_queue_without_a_setting_has_the_default_limit_of_20() {
    if !is_4x() {
        return skip("3.x quorum queues have no default delivery limit");
    }
    let t = TestVhost::new("lines-default").await;
    let ch = t.channel().await;
    declare_durable(&ch, "failed", table(&[quorum()])).await;
    publish_confirmed(&ch, "failed", 1).await;
    settled_depth(&ch, "failed").await;
    // Right after the declare: the row may not say it yet, the browse still knows.
    let b = browse_head(&t.name, "failed", 5, false).await.unwrap();
    assert_eq!(b.delivery_limit, Some(20));
    let expected_left = if line_at_least(4, 3) { None } else { Some(19) };
    assert_eq!(b.messages[0].reads_left, expected_left);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_are_listed_but_never_purged_moved_or_browsed() {
    let t = TestVhost::new("lines-stream").await;
    let ch = t.channel().await;
    declare_durable(&ch, "events", table(&[queue_type("stream")])).await;
    publish_confirmed(&ch, "events", 3).await;
    let rows = inventory(&t.name).await;
    let stream = row(&rows, "events").clone();
    assert_eq!(stream.queue_type, "stream");

    let report = purge(&local(), &guest(), &[stream], false).await.unwrap();
    assert!(report.purged.is_empty());
    assert!(
        report.failed[0].error.contains("is a stream"),
        "{:?}",
        report.failed
    );

    let e = browse_head(&t.name, "events", 5, true).await.unwrap_err();
    assert_eq!(e.kind(), "not_for_streams", "{e}");

    let e = move_messages(
        &local(),
        &guest(),
        &t.name,
        "events",
        "elsewhere",
        |_| {},
        || false,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), "not_for_streams", "{e}");
    assert!(
        e.to_string().contains("move does not apply to streams"),
        "{e}"
    );
}

/// A classic origin whose messages expire at once into `failed`: every message routed there
/// comes back dead-lettered.
async fn dying_origin(ch: &Channel) {
    dlx_into(ch, "failed", FieldTable::default()).await;
    let mut expiring = dead_lettering();
    expiring.insert("x-message-ttl".into(), AMQPValue::LongInt(0));
    declare_durable(ch, "work", expiring).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_origin_comes_from_x_last_death_where_the_broker_sets_it() {
    let t = TestVhost::new("lines-origin").await;
    let ch = t.channel().await;
    dying_origin(&ch).await;
    publish_confirmed(&ch, "work", 1).await;
    for _ in 0..40 {
        if depth(&ch, "failed").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b = browse_head(&t.name, "failed", 5, false).await.unwrap();
    let m = &b.messages[0];
    assert_eq!(m.origin.as_deref(), Some("work"));
    assert_eq!(m.reason.as_deref(), Some("expired"));
    if is_4x() {
        assert_eq!(
            m.headers.get("x-last-death-queue"),
            Some(&serde_json::json!("work"))
        );
        assert_eq!(
            m.headers.get("x-last-death-reason"),
            Some(&serde_json::json!("expired"))
        );
    } else {
        skip("3.10 sets only x-first-death-* (x-last-death-* arrived in 3.12)");
        assert!(m.headers.get("x-last-death-queue").is_none());
    }
}

/// The loop guard is Warren's own counter: replayed `max` times and dead-lettered again each
/// time, the message then stays in the DLQ (on 4.x the broker's `x-death` count cannot be the
/// guard: it ignores the `x-death` a client republishes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replay_counter_stops_a_message_that_keeps_dying() {
    const MAX: u32 = 3;
    let t = TestVhost::new("lines-loop").await;
    let ch = t.channel().await;
    dying_origin(&ch).await;
    publish_confirmed(&ch, "work", 1).await;
    let back_in_the_dlq = || async {
        for _ in 0..80 {
            if depth(&ch, "failed").await == 1 && depth(&ch, "work").await == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the message never came back to the DLQ");
    };
    back_in_the_dlq().await;
    let options = ReplayOptions {
        max_replays: MAX,
        ..Default::default()
    };
    for run in 1..=MAX {
        let r = replay_unattended(&t.name, "failed", &options).await;
        assert_eq!((r.replayed, r.loop_guarded), (1, 0), "run {run}: {r:?}");
        back_in_the_dlq().await;
        let b = browse_head(&t.name, "failed", 1, false).await.unwrap();
        let m = &b.messages[0];
        assert_eq!(m.replay.as_ref().map(|r| r.count), Some(run), "run {run}");
        assert_eq!(m.origin.as_deref(), Some("work"), "run {run}");
        println!(
            "{} after replay {run}: x-death {:?}, first {:?}, last {:?}",
            broker_line(),
            m.deaths
                .iter()
                .map(|d| (d.queue.as_str(), d.count))
                .collect::<Vec<_>>(),
            m.first_death,
            m.last_death
        );
    }
    let r = replay_unattended(&t.name, "failed", &options).await;
    assert_eq!((r.replayed, r.loop_guarded, r.kept), (0, 1, 1), "{r:?}");
    assert_eq!(
        depth(&ch, "failed").await,
        1,
        "the guarded message stays in the DLQ"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deprecated_features_in_use_are_reported_on_every_line() {
    let t = TestVhost::new("lines-deprecated").await;
    let ch = t.channel().await;
    let policy = serde_json::json!({"pattern": "^mirrored$", "apply-to": "queues", "definition": {"ha-mode": "all"}});
    let status = put_policy(&t.name, "ha-all", &policy);
    // A transient, non-exclusive queue: deprecated in 4.x, which reports it in use.
    declare_transient(&ch, "transient").await;

    let report = check_deprecations(&local(), guest()).await.unwrap();
    let mirroring: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.subject == format!("policy ha-all in vhost {}", t.name))
        .collect();
    if is_4x() {
        assert!(report.broker_checked);
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.feature == "transient_nonexcl_queues"
                    && f.severity == DeprecationSeverity::InUseAndDeprecated),
            "{report:?}"
        );
        println!("{}: an ha-mode policy PUT answered {status}", broker_line());
        if (200..300).contains(&status) {
            assert_eq!(mirroring[0].severity, DeprecationSeverity::NoEffect);
        } else {
            assert!(mirroring.is_empty());
        }
    } else {
        skip("3.x has no deprecated-features API (404): only Warren's own checks run");
        assert!(!report.broker_checked, "{report:?}");
        assert!((200..300).contains(&status), "ha policy: {status}");
        assert_eq!(mirroring.len(), 1, "{report:?}");
        assert_eq!(mirroring[0].severity, DeprecationSeverity::BreaksOnUpgrade);
        assert!(mirroring[0].message.contains("will break on upgrade"));
    }
}
