//! Guard rails against the real broker: every mutating core function refuses a read-only
//! environment and leaves the broker as it was, and every action (done or refused) lands in
//! the audit log with an intact hash chain. (scripts/test-all points `WARREN_DATA_DIR` at a
//! temporary folder; records are told apart here by this test's own vhost.)

mod common;

use common::*;
use lapin::BasicProperties;
use warren_core::audit::AuditLog;
use warren_core::deadletters::jsonl;
use warren_core::deadletters::replay::{replay, ReplayOptions};
use warren_core::demo;
use warren_core::queues::move_messages::move_messages;
use warren_core::queues::purge::purge;
use warren_core::queues::QueueRow;
use warren_core::realms::policy::{self, PolicyPlan};
use warren_core::Error;

fn refused<T: std::fmt::Debug>(what: &str, r: warren_core::Result<T>) {
    match r {
        Err(Error::ReadOnly(id)) => assert_eq!(id, "local", "{what}"),
        other => panic!("{what}: expected a read-only refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutating_action_refuses_a_read_only_environment_and_is_audited() {
    let t = TestVhost::new("warren-test-guard").await;
    let ch = t.confirming_channel().await;
    for q in ["work", "failed"] {
        declare_transient(&ch, q).await;
    }
    for i in 0..5 {
        publish(
            &ch,
            "work",
            format!("{i}").as_bytes(),
            BasicProperties::default(),
        )
        .await;
    }
    ch.wait_for_confirms().await.unwrap();
    let ro = read_only();
    let pw = guest();
    let work = vec![QueueRow::named(&t.name, "work")];
    let plan = PolicyPlan {
        name: "warren-realm-x".into(),
        vhosts: vec![t.name.clone()],
        pattern: "^work$".into(),
        priority: 1,
        definition: serde_json::from_value(serde_json::json!({"max-length": 1})).unwrap(),
        queues: vec![format!("{}/work", t.name)],
        overrides: vec![],
        loses_to: vec![],
    };
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "{\"body_base64\": \"aGk=\"}\n").unwrap();

    refused("purge", purge(&ro, &pw, &work, false).await);
    refused(
        "move",
        move_messages(&ro, &pw, &t.name, "work", "failed", |_| {}, || false).await,
    );
    refused("policy apply", policy::apply(&ro, &pw, &plan).await);
    refused(
        "policy remove",
        policy::remove(&ro, &pw, &t.name, "warren-realm-x").await,
    );
    refused(
        "replay",
        replay(
            &ro,
            &pw,
            &t.name,
            "work",
            &ReplayOptions::default(),
            |_| {},
            || false,
        )
        .await,
    );
    let discard = ReplayOptions {
        discard: true,
        ..Default::default()
    };
    refused(
        "discard",
        replay(&ro, &pw, &t.name, "work", &discard, |_| {}, || false).await,
    );
    refused(
        "import",
        jsonl::import(&ro, &pw, &t.name, "work", file.path()).await,
    );
    refused("demo seed", demo::seed(&ro, pw.clone(), &t.name).await);
    refused(
        "demo bulk queues",
        demo::add_bulk_queues(&ro, &pw, &t.name, 3).await,
    );
    refused("demo clean", demo::clean(&ro, pw.clone(), &t.name).await);

    // The broker is as it was: the vhost, its two queues, their messages, no policy.
    assert_eq!(depth(&ch, "work").await, 5);
    assert_eq!(depth(&ch, "failed").await, 0);
    let queues = admin().list_queues_in(&t.name).await.unwrap();
    assert_eq!(queues.len(), 2);
    assert!(admin().list_policies_in(&t.name).await.unwrap().is_empty());

    // Done for real, a purge is audited with its counts.
    purge(&local(), &pw, &work, false).await.unwrap();

    let log = AuditLog::open_default();
    let mine: Vec<_> = log
        .read()
        .unwrap()
        .into_iter()
        .filter(|r| r.vhost.as_deref() == Some(t.name.as_str()))
        .collect();
    let refusals: Vec<&str> = mine
        .iter()
        .filter(|r| r.outcome == "refused")
        .map(|r| r.action.as_str())
        .collect();
    for action in [
        "queues.purge",
        "queues.move",
        "realms.policy.apply",
        "realms.policy.remove",
        "dlq.replay",
        "dlq.discard",
        "dlq.import",
        "demo.seed",
        "demo.clean",
    ] {
        assert!(
            refusals.contains(&action),
            "{action} refused and audited: {refusals:?}"
        );
    }
    let done = mine
        .iter()
        .find(|r| r.action == "queues.purge" && r.outcome == "ok")
        .expect("the purge is audited");
    assert_eq!(done.counts["messages"], 5);
    assert_eq!(done.targets, [format!("{}/work", t.name)]);
    assert_eq!(done.environment, "local");
    assert!(!done.os_user.is_empty() && !done.host.is_empty() && !done.hash.is_empty());
    assert!(
        serde_json::to_string(&mine)
            .unwrap()
            .find("guest")
            .is_none(),
        "no password in the log"
    );
    assert!(log.verify().unwrap().ok);
}
