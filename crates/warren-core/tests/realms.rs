//! Realm totals against the real broker with the demo topology: the suggested template maps the
//! demo's `<worker>.<realm>` queues, and the sums per realm and per worker equal sums computed
//! independently here from the broker's own per-queue listing (another client, split by the
//! demo's known worker and realm names, not by the template).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use warren_core::broker::management::ManagementClient;
use warren_core::demo::{self, REALMS, WORKERS};
use warren_core::queues::inventory::{load_inventory, InventoryOptions};
use warren_core::realms::{map_inventory, rank, summarize, Metric};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realm_and_worker_sums_match_the_brokers_per_queue_numbers() {
    let vhost = unique("warren-test-realms");
    let _cleanup = VhostGuard(vhost.clone());
    let report = demo::seed(&local(), guest(), &vhost).await.expect("seed");
    let expected_total = u64::from(report.messages + report.dead_lettered);

    // The management API's counters settle a stats interval after the seed.
    let mut listing = vec![];
    for _ in 0..60 {
        listing = admin().list_queues_in(&vhost).await.unwrap();
        if listing.iter().map(|q| q.message_count).sum::<u64>() == expected_total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let client = ManagementClient::new(&local(), guest()).unwrap();
    let opts = InventoryOptions {
        vhost: Some(vhost.clone()),
        ..Default::default()
    };
    let mut inventory = load_inventory(&client, &opts).await.unwrap();
    map_inventory(None, &mut inventory).unwrap();
    assert_eq!(
        inventory.realm_template.as_deref(),
        Some("{worker}.{realm}"),
        "the suggestion for the demo"
    );

    // Independently: (queues, messages, consumers) per realm and per worker from the listing.
    let mut by_realm: BTreeMap<String, (u32, u64, u64)> = BTreeMap::new();
    let mut by_worker: BTreeMap<String, (u32, u64, u64)> = BTreeMap::new();
    for q in &listing {
        let Some((w, r)) = WORKERS.iter().find_map(|w| {
            let realm = q.name.strip_prefix(w)?.strip_prefix('.')?;
            REALMS
                .iter()
                .any(|(r, _)| *r == realm)
                .then_some((*w, realm))
        }) else {
            continue;
        };
        for (map, key) in [(&mut by_realm, r), (&mut by_worker, w)] {
            let e = map.entry(key.to_string()).or_default();
            e.0 += 1;
            e.1 += q.message_count;
            e.2 += u64::from(q.consumer_count);
        }
    }
    assert_eq!(by_realm.len(), REALMS.len());

    let summary = summarize(&inventory.rows);
    let ours =
        |groups: &[warren_core::realms::aggregate::Group]| -> BTreeMap<String, (u32, u64, u64)> {
            groups
                .iter()
                .map(|g| {
                    (
                        g.key.clone(),
                        (g.totals.queues, g.totals.messages, g.totals.consumers),
                    )
                })
                .collect()
        };
    assert_eq!(ours(&summary.realms), by_realm);
    assert_eq!(ours(&summary.workers), by_worker);
    assert_eq!(
        summary.total.messages,
        listing.iter().map(|q| q.message_count).sum::<u64>()
    );
    assert_eq!(
        summary.unpartitioned.queues as usize,
        listing.len() - WORKERS.len() * REALMS.len()
    );
    assert_eq!(
        rank(&summary.realms, Metric::Messages, Some(1))[0].key,
        "acme",
        "the demo's heaviest realm"
    );
}
