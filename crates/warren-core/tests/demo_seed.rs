//! `demo seed` against the real broker: the promised topology, dead letters with all three
//! reasons, one clearly heaviest realm, idempotent, and refused on read-only environments.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use lapin::options::{BasicGetOptions, BasicNackOptions};
use lapin::types::AMQPValue;
use warren_core::demo::{self, DLQ_ALL, DLQ_PAYMENTS, REALMS, UNPARTITIONED, WORKERS};
use warren_core::Error;

/// Reasons of the dead letters in a DLQ, read without removing them (nack + requeue).
async fn reasons(ch: &lapin::Channel, q: &str, n: u32) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut held = vec![];
    for _ in 0..n {
        let Some(m) = ch
            .basic_get(q.into(), BasicGetOptions { no_ack: false })
            .await
            .unwrap()
        else {
            break;
        };
        let headers = m.delivery.properties.headers().clone().unwrap_or_default();
        if let Some(AMQPValue::FieldArray(deaths)) = headers.inner().get("x-death") {
            for d in deaths.as_slice() {
                if let AMQPValue::FieldTable(t) = d {
                    if let Some(AMQPValue::LongString(r)) = t.inner().get("reason") {
                        out.insert(r.to_string());
                    }
                }
            }
        }
        held.push(m);
    }
    for m in held {
        m.delivery
            .acker
            .nack(BasicNackOptions {
                multiple: false,
                requeue: true,
            })
            .await
            .unwrap();
    }
    out
}

async fn vhost_names() -> Vec<String> {
    let vhosts = admin().list_vhosts().await.unwrap();
    vhosts.into_iter().map(|v| v.name).collect()
}

#[tokio::test]
async fn seeding_builds_the_partitioned_topology_with_dead_letters_and_is_idempotent() {
    let vhost = unique("warren-test-demo");
    let _cleanup = VhostGuard(vhost.clone());
    let env = local();
    let first = demo::seed(&env, guest(), &vhost).await.expect("seed");
    assert_eq!(
        first.queues as usize,
        WORKERS.len() * REALMS.len() + UNPARTITIONED.len() + 2
    );
    assert!(first.messages > 2000, "{first:?}");
    assert!(
        (100..1000).contains(&first.dead_lettered),
        "some hundreds of dead letters: {first:?}"
    );

    let conn = connect_as_warren(&vhost, "test").await;
    let ch = conn.create_channel().await.unwrap();

    // Per-realm totals computed independently from the broker's exact counts.
    let mut per_realm: BTreeMap<&str, u32> = BTreeMap::new();
    for w in WORKERS {
        for (r, _) in REALMS {
            *per_realm.entry(r).or_default() += depth(&ch, &format!("{w}.{r}")).await;
        }
    }
    let mut ranked: Vec<_> = per_realm.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1));
    assert_eq!(*ranked[0].0, "acme", "{ranked:?}");
    assert!(
        *ranked[0].1 > 2 * *ranked[1].1,
        "acme is clearly the heaviest: {ranked:?}"
    );

    let dead = depth(&ch, DLQ_ALL).await + depth(&ch, DLQ_PAYMENTS).await;
    assert_eq!(dead, first.dead_lettered);
    let seen = reasons(&ch, DLQ_ALL, 1000).await;
    for reason in ["rejected", "expired", "maxlen"] {
        assert!(
            seen.contains(reason),
            "no `{reason}` dead letter in {seen:?}"
        );
    }
    assert!(
        depth(&ch, DLQ_PAYMENTS).await > 0,
        "payments workers dead-letter into their own DLQ"
    );
    let _ = conn.close(200, "done".into()).await;

    let second = demo::seed(&env, guest(), &vhost).await.expect("seed again");
    assert_eq!(
        (second.queues, second.messages, second.dead_lettered),
        (first.queues, first.messages, first.dead_lettered)
    );

    demo::clean(&env, guest(), &vhost).await.unwrap();
    assert!(!vhost_names().await.contains(&vhost));
}

#[tokio::test]
async fn seeding_a_read_only_environment_is_refused_and_changes_nothing() {
    let vhost = unique("warren-test-demo-ro");
    let err = demo::seed(&read_only(), guest(), &vhost).await.unwrap_err();
    assert!(matches!(err, Error::ReadOnly(_)), "{err}");
    assert!(!vhost_names().await.contains(&vhost));
}
