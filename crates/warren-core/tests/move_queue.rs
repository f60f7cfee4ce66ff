//! Moving messages with a broker-side shovel against the real broker: every message arrives,
//! progress reaches the total, and a read-only environment is refused before anything starts.

mod common;

use common::*;
use lapin::options::ConfirmSelectOptions;
use lapin::types::FieldTable;
use lapin::BasicProperties;
use warren_core::queues::move_messages::move_messages;
use warren_core::Error;

/// Durable queues `src` (holding `n` confirmed messages) and `dst` (empty), and the channel.
async fn src_and_dst(conn: &lapin::Connection, n: u32) -> lapin::Channel {
    let ch = conn.create_channel().await.unwrap();
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    for q in ["src", "dst"] {
        declare_durable(&ch, q, FieldTable::default()).await;
    }
    for i in 0..n {
        publish(&ch, "src", &i.to_be_bytes(), BasicProperties::default()).await;
    }
    ch.wait_for_confirms().await.unwrap();
    ch
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_queue_delivers_every_message_and_reports_progress() {
    let test_vhost = TestVhost::new("warren-test-move").await;
    let (vhost, conn) = (test_vhost.name.clone(), &test_vhost.conn);
    let env = local();
    let ch = src_and_dst(conn, 2000).await;

    let refused = move_messages(
        &read_only(),
        &guest(),
        &vhost,
        "src",
        "dst",
        |_| {},
        || false,
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, Error::ReadOnly(_)), "{refused}");
    assert_eq!(depth(&ch, "dst").await, 0);

    let mut seen = vec![];
    let report = move_messages(
        &env,
        &guest(),
        &vhost,
        "src",
        "dst",
        |p| seen.push(p),
        || false,
    )
    .await
    .unwrap();
    assert!(!report.cancelled);
    assert_eq!(report.moved, 2000);
    assert_eq!(
        (depth(&ch, "src").await, depth(&ch, "dst").await),
        (0, 2000)
    );
    let last = seen.last().expect("progress was reported");
    assert_eq!(last.total, 2000);
    assert!(
        seen.windows(2).all(|w| w[0].done <= w[1].done),
        "progress never goes back"
    );

    let missing = move_messages(
        &env,
        &guest(),
        &vhost,
        "no-such-queue",
        "dst",
        |_| {},
        || false,
    )
    .await
    .unwrap_err();
    assert!(
        missing.to_string().contains("no queue `no-such-queue`"),
        "{missing}"
    );
    let _ = conn.close(200, "done".into()).await;
}

/// A cancelled move removes its shovel and loses nothing: every message is in the source or
/// the destination (a message in flight at the stop may be in both: at least once, never lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_move_stops_its_shovel_and_loses_nothing() {
    let test_vhost = TestVhost::new("warren-test-move-cancel").await;
    let (vhost, conn) = (test_vhost.name.clone(), &test_vhost.conn);
    const TOTAL: u32 = 20_000;
    let ch = src_and_dst(conn, TOTAL).await;

    let report = move_messages(&local(), &guest(), &vhost, "src", "dst", |_| {}, || true)
        .await
        .unwrap();
    assert!(report.cancelled);
    let (src, dst) = (depth(&ch, "src").await, depth(&ch, "dst").await);
    assert!(src + dst >= TOTAL, "lost messages: {src} + {dst} < {TOTAL}");
    assert_eq!(
        u64::from(TOTAL - src.min(TOTAL)),
        report.moved,
        "moved is what left the source"
    );
    let shovels = admin()
        .list_runtime_parameters_of_component_in("shovel", &vhost)
        .await
        .unwrap();
    assert!(shovels.is_empty(), "the shovel must be gone: {shovels:?}");
    let _ = conn.close(200, "done".into()).await;
}
