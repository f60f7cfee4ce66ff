//! Replays under hostile input and faults: names no AMQP broker can carry (over 255 bytes) are
//! refused or kept, never a panic; a broker restarted mid-replay loses nothing, the reported
//! bound covers every duplicate, and a second run finishes the job.

mod common;

use common::*;
use lapin::types::FieldTable;
use warren_core::deadletters::browse;
use warren_core::deadletters::replay::{replay, ReplayOptions, Target};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_longer_than_amqp_allows_are_refused_or_kept_never_a_panic() {
    let t = TestVhost::new("warren-test-long-names").await;
    let ch = t.confirming_channel().await;
    declare_durable(&ch, "dlq", FieldTable::default()).await;
    declare_durable(&ch, "ok", FieldTable::default()).await;
    let long = "q".repeat(300);
    for origin in [long.as_str(), "ok", long.as_str(), "ok"] {
        publish(&ch, "dlq", origin.as_bytes(), dead_from(origin))
            .await
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
    let defaults = ReplayOptions::default();
    let replay_all = || replay_unattended(&t.name, "dlq", &defaults);
    let report = replay_all().await;
    assert_eq!(
        (report.replayed, report.name_too_long, report.kept),
        (2, 2, 2),
        "{report:?}"
    );
    assert!(report.stopped.is_none());
    assert_eq!(depth(&ch, "dlq").await, 2);
    assert_eq!(depth(&ch, "ok").await, 2);
    // And again: the same messages stay, nothing duplicates.
    let again = replay_all().await;
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

async fn restart_mid_replay(dlq_type: &str) {
    const N: usize = 20_000;
    let t = TestVhost::new("warren-test-restart").await;
    let ch = t.channel().await;
    declare_durable(&ch, "dlq", table(&[queue_type(dlq_type)])).await;
    declare_durable(&ch, "origin", FieldTable::default()).await;
    fill_dead_letters(&ch, "origin", "dlq", N).await;
    let options = ReplayOptions {
        window: 400,
        ..Default::default()
    };
    let restarted = std::sync::atomic::AtomicBool::new(false);
    let first = replay_as_local(
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
    .await;
    assert!(
        restarted.load(std::sync::atomic::Ordering::SeqCst),
        "the broker was restarted"
    );
    assert!(first.stopped.is_some(), "{first:?}");
    let conn = wait_for_broker().await;
    let vconn = connect(&t.name).await;
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

    let second = replay_unattended(&t.name, "dlq", &options).await;
    assert!(second.stopped.is_none(), "{second:?}");
    assert_eq!(depth(&vch, "dlq").await, 0);
    let ids = message_ids(&vconn, "origin").await;
    let duplicates = assert_rerun_within_bound(&ids, N, &first, &second);
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
