//! Editing one dead letter and retrying it, against the real broker: the edited copy reaches
//! the queue it died in with Warren's replay mark; the original leaves the DLQ only once the
//! copy is confirmed (a returned copy leaves it where it was); the other dead letters stay, in
//! their order; the audit log has both bodies' SHA-256 and the changed header names but no
//! body; a dry run, invalid JSON, an unknown id and a read-only environment change nothing.

mod common;

use common::*;
use futures_util::StreamExt;
use lapin::types::{AMQPValue, FieldTable};
use lapin::Channel;
use serde_json::json;
use sha2::{Digest, Sha256};
use warren_core::audit::AuditLog;
use warren_core::deadletters::edit::{edit_preview, edit_retry, DiffChange, EditRequest};
use warren_core::deadletters::xdeath::REPLAY_COUNT;
use warren_core::messages::{BodyFormat, MessageBody};
use warren_core::Error;

const DLQ: &str = "failed";
const ORIGIN: &str = "work";

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The origin queue, and `failed` (classic, or quorum with `dlq_args`) holding five dead
/// letters from it: ids `0`..`4`, bodies `original-body-<i>`, each with a `trace` header.
async fn five_dead_letters(t: &TestVhost, dlq_args: FieldTable) -> Channel {
    let ch = t.channel().await;
    declare_durable(&ch, ORIGIN, FieldTable::default()).await;
    declare_durable(&ch, DLQ, dlq_args).await;
    ch.confirm_select(Default::default()).await.unwrap();
    dead_letters_into(&ch, 5).await;
    ch
}

/// `n` such dead letters into the existing `failed`.
async fn dead_letters_into(ch: &Channel, n: usize) {
    for i in 0..n {
        let mut props = dead_from(ORIGIN).with_message_id(i.to_string().into());
        let mut h = props.headers().clone().unwrap();
        h.insert(
            "trace".into(),
            AMQPValue::LongString(format!("t{i}").into()),
        );
        props = props.with_headers(h);
        publish(ch, DLQ, format!("original-body-{i}").as_bytes(), props).await;
    }
    ch.wait_for_confirms().await.unwrap();
    assert_eq!(settled_depth(ch, DLQ).await, n as u32);
}

fn edit_of_2(vhost: &str) -> EditRequest {
    let mut set_headers = serde_json::Map::new();
    set_headers.insert("tenant".into(), json!("acme"));
    EditRequest {
        vhost: vhost.into(),
        queue: DLQ.into(),
        id: "2".into(),
        body: Some(MessageBody {
            format: BodyFormat::Json,
            content: r#"{"fixed":"edited-body-marker","amount":2}"#.into(),
        }),
        set_headers,
        remove_headers: vec!["trace".into()],
        insist: false,
    }
}

/// Every message of `q` in order: (id, delivery). Drains it.
async fn drained(ch: &Channel, q: &str) -> Vec<(String, lapin::message::Delivery)> {
    let n = settled_depth(ch, q).await as usize;
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let mut c = consume(ch, q, &format!("drain-{q}"), 1000, true).await;
    while out.len() < n {
        let d = c.next().await.unwrap().unwrap();
        out.push((message_id(&d), d));
    }
    out
}

fn ids(v: &[(String, lapin::message::Delivery)]) -> Vec<&str> {
    v.iter().map(|(id, _)| id.as_str()).collect()
}

async fn the_edited_copy_reaches_its_origin(prefix: &str, dlq_args: FieldTable) {
    let t = TestVhost::new(prefix).await;
    let ch = five_dead_letters(&t, dlq_args).await;
    let req = edit_of_2(&t.name);
    let r = edit_retry(&local(), &guest(), &req).await.unwrap();
    assert!(r.retried && !r.dry_run);
    let p = &r.preview;
    assert_eq!(p.destination.as_deref(), Some(ORIGIN));
    assert_eq!(p.position, 2);
    assert_eq!(p.changed_headers, vec!["tenant", "trace"]);
    assert!(p.body_changed);
    let pretty = "{\n  \"fixed\": \"edited-body-marker\",\n  \"amount\": 2\n}";

    let arrived = drained(&ch, ORIGIN).await;
    assert_eq!(ids(&arrived), vec!["2"], "the edited copy, once");
    let d = &arrived[0].1;
    assert_eq!(d.data, pretty.as_bytes(), "JSON stored pretty-printed");
    let h = d.properties.headers().clone().unwrap();
    assert_eq!(
        h.inner().get("tenant"),
        Some(&AMQPValue::LongString("acme".into()))
    );
    assert!(!h.contains_key("trace"), "the removed header is gone");
    assert!(h.contains_key("x-death"), "the death record stays");
    assert_eq!(
        h.inner().get(REPLAY_COUNT),
        Some(&AMQPValue::LongLongInt(1))
    );
    assert!(!h.contains_key("x-delivery-count"));

    // (3.10's quorum queues put a given-back message behind those never delivered; the search
    // takes every message of a DLQ up to 65535 at once, so giving them all back keeps the order
    // there too.)
    let left = drained(&ch, DLQ).await;
    assert_eq!(
        ids(&left),
        vec!["0", "1", "3", "4"],
        "the others stay, in order"
    );
    assert_eq!(left[0].1.data, b"original-body-0", "untouched");

    let mine: Vec<_> = AuditLog::open_default()
        .read()
        .unwrap()
        .into_iter()
        .filter(|r| r.vhost.as_deref() == Some(t.name.as_str()) && r.action == "dlq.edit_retry")
        .collect();
    let ok = mine.iter().find(|r| r.outcome == "ok").expect("audited");
    assert_eq!(ok.counts["original_sha256"], json!(sha(b"original-body-2")));
    assert_eq!(ok.counts["edited_sha256"], json!(sha(pretty.as_bytes())));
    assert_eq!(ok.counts["changed_headers"], json!(["tenant", "trace"]));
    assert_eq!(ok.targets, [DLQ]);
    let all = serde_json::to_string(&mine).unwrap();
    assert!(
        !all.contains("edited-body-marker") && !all.contains("original-body"),
        "never a body: {all}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edited_copy_reaches_its_origin_and_only_the_original_leaves_a_classic_dlq() {
    the_edited_copy_reaches_its_origin("warren-test-edit", FieldTable::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edited_copy_reaches_its_origin_and_only_the_original_leaves_a_quorum_dlq() {
    let args = table(&[queue_type("quorum")]);
    the_edited_copy_reaches_its_origin("warren-test-edit-qq", args).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_the_broker_returns_leaves_the_original_in_the_dlq() {
    let t = TestVhost::new("warren-test-edit-gone").await;
    let ch = five_dead_letters(&t, FieldTable::default()).await;
    ch.queue_delete(ORIGIN.into(), Default::default())
        .await
        .unwrap();
    match edit_retry(&local(), &guest(), &edit_of_2(&t.name)).await {
        Err(e @ Error::Unroutable { .. }) => {
            assert!(
                e.to_string().contains("the original stays in `failed`"),
                "{e}"
            )
        }
        other => panic!("expected an unroutable copy, got {other:?}"),
    }
    let left = drained(&ch, DLQ).await;
    assert_eq!(
        ids(&left),
        vec!["0", "1", "2", "3", "4"],
        "nothing acked, nothing moved"
    );
    assert_eq!(left[2].1.data, b"original-body-2", "the original, unedited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_shows_the_diff_and_changes_nothing() {
    let t = TestVhost::new("warren-test-edit-dry").await;
    let ch = five_dead_letters(&t, FieldTable::default()).await;
    let p = edit_preview(&local(), &guest(), &edit_of_2(&t.name))
        .await
        .unwrap();
    assert_eq!(p.original_body.content, "original-body-2");
    assert_eq!(p.original_body.format, BodyFormat::Text);
    assert_eq!(p.edited_body.format, BodyFormat::Json);
    let removed: Vec<_> = p
        .diff
        .iter()
        .filter(|l| l.change == DiffChange::Removed)
        .collect();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].text, "original-body-2");
    assert!(p
        .diff
        .iter()
        .any(|l| l.change == DiffChange::Added && l.text.contains("edited-body-marker")));
    assert_eq!(p.changed_headers, vec!["tenant", "trace"]);
    assert_eq!(p.original_sha256, sha(b"original-body-2"));
    // Found by its key just as well; no edit: an unchanged body.
    let by_key = EditRequest {
        id: p.key.clone(),
        body: None,
        set_headers: Default::default(),
        remove_headers: vec![],
        ..edit_of_2(&t.name)
    };
    let same = edit_preview(&local(), &guest(), &by_key).await.unwrap();
    assert_eq!(same.position, 2);
    assert!(!same.body_changed && same.changed_headers.is_empty());
    assert_eq!(same.edited_sha256, same.original_sha256);

    assert_eq!(depth(&ch, ORIGIN).await, 0);
    let left = drained(&ch, DLQ).await;
    assert_eq!(ids(&left), vec!["0", "1", "2", "3", "4"]);
    let audited = AuditLog::open_default()
        .read()
        .unwrap()
        .into_iter()
        .any(|r| r.vhost.as_deref() == Some(t.name.as_str()));
    assert!(!audited, "a dry run is no change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_json_an_unknown_message_and_a_read_only_environment_change_nothing() {
    let t = TestVhost::new("warren-test-edit-refused").await;
    let ch = five_dead_letters(&t, FieldTable::default()).await;
    let mut bad = edit_of_2(&t.name);
    bad.body = Some(MessageBody {
        format: BodyFormat::Json,
        content: r#"{"fixed": }"#.into(),
    });
    match edit_retry(&local(), &guest(), &bad).await {
        Err(Error::InvalidArgument(m)) => assert!(m.contains("not valid JSON"), "{m}"),
        other => panic!("expected invalid JSON, got {other:?}"),
    }
    let unknown = EditRequest {
        id: "no-such-message".into(),
        ..edit_of_2(&t.name)
    };
    match edit_retry(&local(), &guest(), &unknown).await {
        Err(Error::MessageNotFound { read, .. }) => assert_eq!(read, 5),
        other => panic!("expected not found, got {other:?}"),
    }
    match edit_retry(&read_only(), &guest(), &edit_of_2(&t.name)).await {
        Err(Error::ReadOnly(id)) => assert_eq!(id, "local"),
        other => panic!("expected a read-only refusal, got {other:?}"),
    }
    assert_eq!(depth(&ch, ORIGIN).await, 0);
    let left = drained(&ch, DLQ).await;
    assert_eq!(ids(&left), vec!["0", "1", "2", "3", "4"]);
    assert_eq!(left[2].1.data, b"original-body-2");
}

/// The broker closes a channel that nacks "up to" a tag it no longer holds: the last message
/// of the DLQ (nothing held after it) must still end cleanly, the others given back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_message_of_the_dlq_is_retried_and_the_rest_given_back() {
    let t = TestVhost::new("warren-test-edit-last").await;
    let ch = five_dead_letters(&t, FieldTable::default()).await;
    let last = EditRequest {
        id: "4".into(),
        ..edit_of_2(&t.name)
    };
    let within = std::time::Duration::from_secs(30);
    let r = tokio::time::timeout(within, edit_retry(&local(), &guest(), &last))
        .await
        .expect("the retry ends")
        .unwrap();
    assert!(r.retried);
    assert_eq!(ids(&drained(&ch, DLQ).await), vec!["0", "1", "2", "3"]);
    assert_eq!(ids(&drained(&ch, ORIGIN).await), vec!["4"]);
    // Alone in the DLQ: the same.
    dead_letters_into(&ch, 1).await;
    let only = EditRequest {
        id: "0".into(),
        ..edit_of_2(&t.name)
    };
    let r = tokio::time::timeout(within, edit_retry(&local(), &guest(), &only))
        .await
        .expect("the retry ends")
        .unwrap();
    assert!(r.retried);
    assert_eq!(depth(&ch, DLQ).await, 0);
    assert_eq!(ids(&drained(&ch, ORIGIN).await), vec!["0"]);
}
