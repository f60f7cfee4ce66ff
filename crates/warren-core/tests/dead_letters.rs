//! Dead-letter discovery, browsing and per-realm attribution against the real broker with the
//! demo topology (whose worker queues dead-letter through fanout exchanges into two shared DLQs),
//! and the consumers of a realm with real client connections.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use lapin::options::{BasicConsumeOptions, BasicGetOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::ConnectionProperties;
use warren_core::deadletters::{self, Wiring};
use warren_core::demo::{self, DLQ_ALL, DLQ_PAYMENTS, REALMS, WORKERS};
use warren_core::queues::QueueRow;
use warren_core::realms::consumers::realm_consumers;
use warren_core::realms::queues_of;

/// The origin queue of every message of `queue`, read with another client: basic.get without
/// acks (held until the channel closes, so each message is read once), `x-first-death-queue`.
async fn origins_by_basic_get(conn: &lapin::Connection, queue: &str) -> BTreeMap<String, u64> {
    let ch = conn.create_channel().await.unwrap();
    let mut out = BTreeMap::new();
    while let Some(m) = ch
        .basic_get(queue.into(), BasicGetOptions { no_ack: false })
        .await
        .unwrap()
    {
        let origin = m
            .delivery
            .properties
            .headers()
            .as_ref()
            .and_then(|h| h.inner().get("x-first-death-queue").cloned())
            .and_then(|v| match v {
                AMQPValue::LongString(s) => Some(s.to_string()),
                _ => None,
            })
            .expect("a dead letter names its first death queue");
        *out.entry(origin).or_default() += 1;
    }
    ch.close(200, "counted".into()).await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_dlqs_are_found_browsed_in_place_and_split_per_realm() {
    let vhost = unique("warren-test-dlq");
    let _cleanup = VhostGuard(vhost.clone());
    let report = demo::seed(&local(), guest(), &vhost).await.expect("seed");
    assert!(report.dead_lettered > 0);
    // The management API's counters settle a stats interval after the seed.
    let mut inventory = mapped_inventory(&vhost, None).await;
    for _ in 0..60 {
        let listed: u64 = inventory
            .rows
            .iter()
            .filter(|r| r.name == DLQ_ALL || r.name == DLQ_PAYMENTS)
            .map(|r| r.messages)
            .sum();
        if listed == u64::from(report.dead_lettered) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        inventory = mapped_inventory(&vhost, None).await;
    }

    // Discovery: both DLQs wired, fed by exactly the queues that name their exchanges.
    let topology = deadletters::discover(&local(), guest(), &inventory.rows)
        .await
        .unwrap();
    let all = topology.find(&vhost, DLQ_ALL).expect("dlq-all found");
    let payments = topology
        .find(&vhost, DLQ_PAYMENTS)
        .expect("dlq-payments found");
    assert_eq!(all.wiring, Wiring::Wired);
    assert_eq!(payments.feeders.len(), 2 * REALMS.len());
    assert!(payments.feeders.iter().all(|f| f.starts_with("pay")));
    assert_eq!(all.feeders.len(), (WORKERS.len() - 2) * REALMS.len());
    assert!(topology.unrouted.is_empty(), "{:?}", topology.unrouted);

    // Browse: 50 messages decoded, the queue's depth unchanged, and a second read sees them
    // again, now flagged redelivered (the cost the window states).
    let conn = connect_as_warren(&vhost, "test").await;
    let ch = conn.create_channel().await.unwrap();
    let before = depth(&ch, DLQ_ALL).await;
    let (env, password) = (local(), guest());
    let browse_50 =
        || deadletters::browse(&env, &password, &vhost, DLQ_ALL, 50, None, "classic", None);
    let b = browse_50().await.unwrap();
    assert_eq!((b.read, b.depth), (50.min(before), u64::from(before)));
    assert_eq!(
        depth(&ch, DLQ_ALL).await,
        before,
        "browsing removes nothing"
    );
    assert!(b
        .messages
        .iter()
        .all(|m| !m.deaths.is_empty() && m.origin.is_some()));
    assert!(b
        .messages
        .iter()
        .all(|m| ["rejected", "expired", "maxlen"].contains(&m.reason.as_deref().unwrap())));
    assert_eq!(b.groups.iter().map(|g| g.count).sum::<u32>(), b.read);
    assert!(b.cost.contains("redelivered"));
    let again = browse_50().await.unwrap();
    assert!(again.messages.iter().all(|m| m.redelivered));
    assert_eq!(
        again.messages.iter().map(|m| &m.key).collect::<Vec<_>>(),
        b.messages.iter().map(|m| &m.key).collect::<Vec<_>>(),
        "the same messages, in the same order"
    );

    // Per realm: without a scan the shared DLQs stay unattributed; with one, each realm's
    // count equals an independent count of the messages' first-death queues.
    let (_, cheap) =
        deadletters::realm_dead_letters(&local(), guest(), &inventory.rows, false, 10_000, false)
            .await
            .unwrap();
    assert!(cheap.realms.is_empty());
    assert_eq!(cheap.unattributed, cheap.total);
    assert_eq!(cheap.shared.len(), 2);
    let (_, scanned) =
        deadletters::realm_dead_letters(&local(), guest(), &inventory.rows, true, 10_000, false)
            .await
            .unwrap();
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for dlq in [DLQ_ALL, DLQ_PAYMENTS] {
        for (origin, n) in origins_by_basic_get(&conn, dlq).await {
            let realm = origin.rsplit('.').next().unwrap().to_string();
            *expected.entry(realm).or_default() += n;
        }
    }
    let got: BTreeMap<String, u64> = scanned
        .realms
        .iter()
        .map(|k| (k.key.clone(), k.messages))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        got.values().sum::<u64>() + scanned.unattributed,
        scanned.total
    );
    let _ = conn.close(200, "done".into()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consumers_of_a_realm_are_its_connections_with_their_client_names() {
    let t = TestVhost::new("warren-test-realm-consumers").await;
    let ch = t.channel().await;
    for q in [
        "billing.acme",
        "mail.acme",
        "sms.acme",
        "billing.globex",
        "mail.globex",
    ] {
        declare_transient(&ch, q).await;
    }
    let worker = |name: &'static str| {
        let vhost = t.name.clone();
        async move {
            let uri = amqp_uri_for(&vhost);
            lapin::Connection::connect(
                &uri,
                ConnectionProperties::default().with_connection_name(name.into()),
            )
            .await
            .unwrap()
        }
    };
    let acme_worker = worker("acme-worker-1").await;
    let globex_worker = worker("globex-worker-1").await;
    let mut consumers = Vec::new();
    for (conn, queue) in [
        (&acme_worker, "billing.acme"),
        (&acme_worker, "mail.acme"),
        (&globex_worker, "billing.globex"),
    ] {
        let c = conn.create_channel().await.unwrap();
        let consumer = c
            .basic_consume(
                queue.into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        consumers.push((c, consumer));
    }

    let mut rows: Vec<QueueRow> = vec![];
    let mut report = Default::default();
    // The management API lists consumers once the channels' stats arrive.
    for _ in 0..40 {
        rows = mapped_inventory(&t.name, None).await.rows;
        let acme = queues_of(&rows, "acme", None);
        report = realm_consumers(&local(), guest(), &acme).await.unwrap();
        // Consumers and connections are listed from separate stats: wait for both.
        let consumers: usize = report.connections.iter().map(|c| c.consumers.len()).sum();
        if consumers == 2 && report.connections.iter().all(|c| c.client_name.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(report.connections.len(), 1, "{report:?}");
    let c = &report.connections[0];
    assert_eq!(c.client_name.as_deref(), Some("acme-worker-1"));
    assert_eq!(c.channels, 2);
    assert_eq!(
        c.consumers
            .iter()
            .map(|k| k.queue.as_str())
            .collect::<Vec<_>>(),
        ["billing.acme", "mail.acme"]
    );
    assert!(c.client.as_deref().unwrap_or_default().contains("lapin"));
    assert_eq!(report.unserved, ["sms.acme"]);
    // The worker filter narrows to one queue.
    let billing = queues_of(&rows, "acme", Some("billing"));
    let only = realm_consumers(&local(), guest(), &billing).await.unwrap();
    assert_eq!(only.connections[0].consumers.len(), 1);
    drop(consumers);
    let _ = acme_worker.close(200, "done".into()).await;
    let _ = globex_worker.close(200, "done".into()).await;
}
