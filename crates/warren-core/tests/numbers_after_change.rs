//! Numbers that agree after an action, against the real broker: a group's replay counts its
//! group (not the whole DLQ) in its progress and report, and the refresh right after it shows
//! what is left in the DLQ and what arrived at the origin, although the management API's
//! figures still trail; the demo from the window fills only an empty vhost.

mod common;

use std::time::Duration;

use common::*;
use lapin::types::FieldTable;
use warren_core::deadletters::replay::{ReplayRequest, Target};
use warren_core::progress::{Progress, ScopeProgress};
use warren_core::{Environment, Error, Session};

fn group(vhost: &str, filter: &str, discard: bool, expected: Option<u64>) -> ReplayRequest {
    ReplayRequest {
        vhost: vhost.to_string(),
        queue: "failed".into(),
        target: Target::Origin,
        filter: filter.into(),
        keys: None,
        discard,
        expected,
    }
}

async fn messages_of(s: &Session, queue: &str) -> u64 {
    let inventory = s.refresh("local", |_| {}).await.expect("refresh");
    inventory
        .rows
        .iter()
        .find(|r| r.name == queue)
        .unwrap_or_else(|| panic!("{queue} in the inventory"))
        .messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_replay_counts_its_group_and_the_refresh_after_it_counts_what_left() {
    let t = TestVhost::new("warren-test-numbers").await;
    let ch = t.channel().await;
    dlx_into(&ch, "failed", FieldTable::default()).await;
    for q in ["a", "b"] {
        declare_durable(&ch, q, FieldTable::default()).await;
    }
    fill_dead_letters(&ch, "a", "failed", 35).await;
    fill_dead_letters(&ch, "b", "failed", 165).await;
    let dir = tempfile::tempdir().unwrap();
    let s = session_on(&dir, scoped_to(&t.name));
    // Let the management API catch up, so it has the DLQ at 200 before the replay.
    let mut before = 0;
    for _ in 0..40 {
        before = messages_of(&s, "failed").await;
        if before == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        before, 200,
        "the management API never showed the 200 dead letters"
    );

    // The group of `a`: 35 of the 200, the plan's count not given (counted on the way).
    let mut last: Option<Progress> = None;
    let r = s
        .dlq_replay(
            "local",
            &group(&t.name, "origin:a", false, None),
            "j1",
            |p| last = Some(p),
        )
        .await
        .expect("replay");
    assert_eq!(
        (
            r.total,
            r.read,
            r.in_scope,
            r.replayed,
            r.kept,
            r.out_of_scope
        ),
        (200, 200, 35, 35, 165, 165),
        "{r:?}"
    );
    let last = last.expect("progress");
    assert_eq!((last.done, last.total), (200, 200), "read 200 of 200");
    assert_eq!(
        last.scope,
        Some(ScopeProgress {
            matched: 35,
            acted: 35,
            expected: None
        }),
        "35 of the group replayed, not 200 of 200"
    );
    // At once (the management API still trails by its statistics interval): what is left.
    assert_eq!(
        messages_of(&s, "failed").await,
        165,
        "the DLQ after 35 left"
    );
    assert_eq!(messages_of(&s, "a").await, 35, "the origin got its 35");
    let dlqs = s.dlq_list("local", None).await.expect("dlq list");
    assert_eq!(dlqs.find(&t.name, "failed").map(|q| q.messages), Some(165));

    // The other group, discarded, with the count the window showed for it.
    let mut last: Option<Progress> = None;
    let r = s
        .dlq_replay(
            "local",
            &group(&t.name, "origin:b", true, Some(165)),
            "j2",
            |p| last = Some(p),
        )
        .await
        .expect("discard");
    assert_eq!((r.read, r.in_scope, r.discarded), (165, 165, 165), "{r:?}");
    assert_eq!(
        last.and_then(|p| p.scope),
        Some(ScopeProgress {
            matched: 165,
            acted: 165,
            expected: Some(165)
        })
    );
    assert_eq!(messages_of(&s, "failed").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_from_the_window_fills_an_empty_vhost_and_nothing_else() {
    let v = Vhost::new("warren-test-demo-window");
    let dir = tempfile::tempdir().unwrap();
    let s = session_on(&dir, scoped_to(&v.name));
    let report = s.demo_seed("local").await.expect("seed an empty vhost");
    assert_eq!(report.vhost, v.name);
    assert!(
        report.queues > 400 && report.dead_lettered > 0,
        "{report:?}"
    );
    let inventory = s.refresh("local", |_| {}).await.unwrap();
    assert_eq!(
        inventory.rows.len() as u32,
        report.queues,
        "every demo queue in the vhost the environment shows"
    );
    let messages: u64 = inventory.rows.iter().map(|r| r.messages).sum();
    assert_eq!(
        messages,
        u64::from(report.messages + report.dead_lettered),
        "the counts right after the seed are the broker's, not the management API's zeros"
    );

    let again = s.demo_seed("local").await.unwrap_err();
    assert!(
        matches!(&again, Error::InvalidArgument(m) if m.contains("already holds") && m.contains(&v.name)),
        "a vhost with queues is never recreated: {again}"
    );

    let ro_dir = tempfile::tempdir().unwrap();
    let ro = session_on(
        &ro_dir,
        Environment {
            read_only: true,
            ..scoped_to(&v.name)
        },
    );
    assert!(matches!(
        ro.demo_seed("local").await,
        Err(Error::ReadOnly(_))
    ));
}
