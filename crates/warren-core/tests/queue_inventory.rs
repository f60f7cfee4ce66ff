//! The paged inventory and the filter language against the real broker: a vhost of its own
//! with 2,000 queues of mixed types and depths; each filter's result is compared with the names
//! computed independently from how the test built them.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use lapin::options::{BasicConsumeOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::BasicProperties;
use warren_core::broker::management::ManagementClient;
use warren_core::queues::inventory::{load_inventory, Inventory, InventoryOptions};
use warren_core::queues::{parse, RowIndex};

const WORKERS: usize = 40;
const REALMS: usize = 50;

struct Spec {
    name: String,
    kind: &'static str,
    depth: u32,
    consumed: bool,
}

/// 40 workers × 50 realms; every 40th queue is quorum, every 200th (offset 1) a stream; classic
/// queues hold `i % 5` messages; five queues get a consumer.
fn specs() -> Vec<Spec> {
    (0..WORKERS * REALMS)
        .map(|i| {
            let kind = if i % 40 == 0 {
                "quorum"
            } else if i % 200 == 1 {
                "stream"
            } else {
                "classic"
            };
            Spec {
                name: format!("w{}.r{}", i % WORKERS, i / WORKERS),
                kind,
                depth: if kind == "classic" { (i % 5) as u32 } else { 0 },
                consumed: kind == "classic" && i % 400 == 7,
            }
        })
        .collect()
}

fn expect(specs: &[Spec], pred: impl Fn(&Spec) -> bool) -> BTreeSet<String> {
    specs
        .iter()
        .filter(|s| pred(s))
        .map(|s| s.name.clone())
        .collect()
}

/// The names a query selects, through the window's index and row by row (they must agree).
fn run(inv: &Inventory, q: &str) -> BTreeSet<String> {
    let query = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let by_row: BTreeSet<String> = inv
        .rows
        .iter()
        .filter(|r| query.matches(r, 0))
        .map(|r| r.name.clone())
        .collect();
    let index = RowIndex::new(&inv.rows);
    let by_index: BTreeSet<String> = query
        .select(&index, 0)
        .into_iter()
        .map(|i| inv.rows[i as usize].name.clone())
        .collect();
    assert_eq!(by_row, by_index, "index and row-by-row disagree on {q}");
    by_row
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_queues_are_listed_in_pages_and_filtered_exactly() {
    let test_vhost = TestVhost::new("warren-test-inventory").await;
    let (vhost, conn) = (test_vhost.name.clone(), &test_vhost.conn);
    let specs = specs();
    let env = local();
    let ch = conn.create_channel().await.unwrap();
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    for s in &specs {
        let mut args = table(&[queue_type(s.kind)]);
        if s.kind == "classic" && s.depth == 4 {
            args.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString("dlx".into()),
            );
        }
        declare_durable(&ch, &s.name, args).await;
        for n in 0..s.depth {
            publish(
                &ch,
                &s.name,
                format!("{n}").as_bytes(),
                BasicProperties::default(),
            )
            .await;
        }
    }
    ch.wait_for_confirms().await.unwrap();
    let consumer_ch = conn.create_channel().await.unwrap();
    let mut consumers = vec![];
    for s in specs.iter().filter(|s| s.consumed) {
        // A consumer that never acks: its queue shows consumers=1 and its messages as unacked.
        // Held until the end: dropping a lapin consumer cancels it.
        consumers.push(
            consumer_ch
                .basic_consume(
                    s.name.as_str().into(),
                    "".into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap(),
        );
    }

    let client = ManagementClient::new(&env, guest()).unwrap();
    let opts = InventoryOptions {
        vhost: Some(vhost.clone()),
        ..Default::default()
    };
    // The management API's counts lag the broker by a stats interval (5 s), and each counter
    // catches up on its own: wait until every queue shows exactly what the test made.
    let expected_messages: u64 = specs.iter().map(|s| s.depth as u64).sum();
    let by_name: std::collections::HashMap<&str, &Spec> =
        specs.iter().map(|s| (s.name.as_str(), s)).collect();
    let settled = |inv: &Inventory| {
        inv.rows.len() == specs.len()
            && inv.rows.iter().all(|r| {
                let s = by_name[r.name.as_str()];
                r.messages == s.depth as u64
                    && r.consumers == u64::from(s.consumed)
                    && r.messages_unacknowledged == if s.consumed { s.depth as u64 } else { 0 }
            })
    };
    let mut inv = Inventory::default();
    for _ in 0..60 {
        inv = load_inventory(&client, &opts).await.unwrap();
        if settled(&inv) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(!inv.partial, "{:?}", inv.errors);
    assert_eq!(inv.total, specs.len() as u64);
    assert_eq!(inv.rows.len(), specs.len());
    assert_eq!(
        inv.rows.iter().map(|r| r.messages).sum::<u64>(),
        expected_messages
    );

    // Small pages, many in flight: the same rows.
    let small = load_inventory(
        &client,
        &InventoryOptions {
            vhost: Some(vhost.clone()),
            page_size: 90,
            pages_in_flight: 6,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        small.rows.iter().map(|r| &r.name).collect::<Vec<_>>(),
        inv.rows.iter().map(|r| &r.name).collect::<Vec<_>>()
    );

    assert_eq!(
        run(&inv, "w3."),
        expect(&specs, |s| s.name.starts_with("w3."))
    );
    assert_eq!(
        run(&inv, "type:quorum"),
        expect(&specs, |s| s.kind == "quorum")
    );
    assert_eq!(
        run(&inv, "-type:classic"),
        expect(&specs, |s| s.kind != "classic")
    );
    assert_eq!(
        run(&inv, "messages>=3 type:classic"),
        expect(&specs, |s| s.kind == "classic" && s.depth >= 3)
    );
    assert_eq!(run(&inv, "consumers>0"), expect(&specs, |s| s.consumed));
    assert_eq!(
        run(&inv, "consumers=0 messages>0 unacked=0"),
        expect(&specs, |s| !s.consumed && s.depth > 0)
    );
    assert_eq!(
        run(&inv, "unacked>0"),
        expect(&specs, |s| s.consumed && s.depth > 0)
    );
    assert_eq!(
        run(&inv, "dlx:yes"),
        expect(&specs, |s| s.kind == "classic" && s.depth == 4)
    );
    assert_eq!(
        run(&inv, r"/^w1[0-9]\.r4[0-9]$/"),
        expect(&specs, |s| {
            let (w, r) = s.name.split_once('.').unwrap();
            w.len() == 3 && w.starts_with("w1") && r.len() == 3 && r.starts_with("r4")
        })
    );
    assert_eq!(
        run(&inv, "w5.* | type:stream"),
        expect(&specs, |s| s.name.starts_with("w5.") || s.kind == "stream")
    );
    assert_eq!(run(&inv, &format!("vhost:{vhost}")).len(), specs.len());
    assert_eq!(
        run(&inv, "*.r7 OR *.r8"),
        expect(&specs, |s| s.name.ends_with(".r7")
            || s.name.ends_with(".r8"))
    );

    // Listing every vhost includes these queues too.
    let all = load_inventory(&client, &InventoryOptions::default())
        .await
        .unwrap();
    assert!(all.rows.iter().filter(|r| r.vhost == vhost).count() == specs.len());

    drop(consumers);
    let _ = conn.close(200, "done".into()).await;
}
