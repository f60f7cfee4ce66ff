//! Purging against the real broker: exact counts, only the chosen queues, nothing on a dry run,
//! and a refusal by the core on a read-only environment.

mod common;

use common::*;
use lapin::options::ConfirmSelectOptions;
use lapin::BasicProperties;
use warren_core::queues::purge::purge;
use warren_core::queues::QueueRow;
use warren_core::Error;

fn row(vhost: &str, name: &str) -> QueueRow {
    QueueRow::named(vhost, name)
}

#[tokio::test]
async fn purge_empties_exactly_the_chosen_queues_and_a_read_only_environment_is_refused() {
    let test_vhost = TestVhost::new("warren-test-purge").await;
    let (vhost, conn) = (test_vhost.name.clone(), &test_vhost.conn);
    let env = local();
    let ch = conn.create_channel().await.unwrap();
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    for (q, n) in [("a", 5), ("b", 7), ("keep", 3)] {
        declare_transient(&ch, q).await;
        for _ in 0..n {
            publish(&ch, q, b"m", BasicProperties::default()).await;
        }
    }
    ch.wait_for_confirms().await.unwrap();
    let targets = vec![row(&vhost, "a"), row(&vhost, "b")];

    let dry = purge(&env, &guest(), &targets, true).await.unwrap();
    assert!(dry.dry_run);
    assert_eq!(dry.purged.len(), 2);
    assert_eq!(
        (depth(&ch, "a").await, depth(&ch, "b").await),
        (5, 7),
        "a dry run changed the broker"
    );

    let refused = purge(&read_only(), &guest(), &targets, false)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::ReadOnly(_)), "{refused}");
    assert_eq!(
        (depth(&ch, "a").await, depth(&ch, "b").await),
        (5, 7),
        "a read-only environment was changed"
    );

    let mut with_missing = targets.clone();
    with_missing.push(row(&vhost, "does-not-exist"));
    let report = purge(&env, &guest(), &with_missing, false).await.unwrap();
    let counts: Vec<_> = report
        .purged
        .iter()
        .map(|p| (p.name.as_str(), p.messages))
        .collect();
    assert_eq!(counts, vec![("a", 5), ("b", 7)]);
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0].error.contains("NOT_FOUND") || report.failed[0].error.contains("404"),
        "{:?}",
        report.failed
    );
    assert_eq!(
        (
            depth(&ch, "a").await,
            depth(&ch, "b").await,
            depth(&ch, "keep").await
        ),
        (0, 0, 3)
    );
    let _ = conn.close(200, "done".into()).await;
}
