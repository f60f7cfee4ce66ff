//! Realm totals against the real broker with the demo topology: the suggested template maps the
//! demo's `<worker>.<realm>` queues, and the sums per realm and per worker equal sums computed
//! independently here from the broker's own per-queue listing (another client, split by the
//! demo's known worker and realm names, not by the template).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use warren_core::demo::{self, REALMS, WORKERS};
use warren_core::queues::purge::purge;
use warren_core::realms::{queues_of, rank, summarize, Metric};

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
    let inventory = mapped_inventory(&vhost, None).await;
    assert_eq!(
        inventory.realm_template.as_ref().map(|t| t.source()),
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

/// Purging one realm empties exactly its queues: every other queue keeps its exact depth
/// (passive declares, not the lagging management counters).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_a_realm_leaves_every_other_realm_untouched() {
    let vhost = unique("warren-test-realm-purge");
    let _cleanup = VhostGuard(vhost.clone());
    demo::seed(&local(), guest(), &vhost).await.expect("seed");
    let conn = connect_as_warren(&vhost, "test").await;
    let ch = conn.create_channel().await.unwrap();
    let inventory = mapped_inventory(&vhost, Some("{worker}.{realm}")).await;

    let mut before = BTreeMap::new();
    for r in &inventory.rows {
        before.insert(r.name.clone(), depth(&ch, &r.name).await);
    }
    let targets: Vec<_> = queues_of(&inventory.rows, "globex", None)
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(targets.len(), WORKERS.len());
    let held: u32 = targets.iter().map(|t| before[&t.name]).sum();
    assert!(held > 0, "the demo's globex queues hold messages");
    let report = purge(&local(), &guest(), &targets, false).await.unwrap();
    assert_eq!(
        report.purged.iter().map(|p| p.messages).sum::<u64>(),
        u64::from(held)
    );

    for r in &inventory.rows {
        let now = depth(&ch, &r.name).await;
        if r.realm.as_deref() == Some("globex") {
            assert_eq!(now, 0, "{} was purged", r.name);
        } else {
            assert_eq!(now, before[&r.name], "{} must be untouched", r.name);
        }
    }
    let _ = conn.close(200, "done".into()).await;
}

/// A realm policy's generated pattern matches exactly the realm's queues: the broker's own
/// `policy` field names it on every globex queue and on no other queue. It goes through the one
/// pipeline the window and the CLI share (`policy::run`), and its writes fail over: the
/// environment's first management URL is dead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_realm_policy_applies_to_exactly_the_realms_queues() {
    use warren_core::realms::policy::{self, PolicyRequest};
    let vhost = unique("warren-test-realm-policy");
    let _cleanup = VhostGuard(vhost.clone());
    demo::seed(&local(), guest(), &vhost).await.expect("seed");
    let inventory = mapped_inventory(&vhost, None).await;
    let mut request = PolicyRequest {
        realm: "globex".into(),
        worker: None,
        vhost: None,
        settings: vec!["max-length=100000".into()],
        priority: 10,
        apply: false,
    };
    let plan = policy::run(&local(), &guest(), &inventory, &request)
        .await
        .unwrap();
    assert_eq!(plan.queues.len(), WORKERS.len());

    request.apply = true;
    assert!(matches!(
        policy::run(&read_only(), &guest(), &inventory, &request).await,
        Err(warren_core::Error::ReadOnly(_))
    ));
    let mut failover = local();
    failover
        .management_urls
        .insert(0, "http://127.0.0.1:1".into());
    let applied = policy::run(&failover, &guest(), &inventory, &request)
        .await
        .unwrap();
    assert_eq!(applied.name, plan.name, "the same plan, computed again");

    let mut tagged = vec![];
    for _ in 0..40 {
        let listing = admin().list_queues_in(&vhost).await.unwrap();
        tagged = listing
            .iter()
            .filter(|q| q.policy.as_deref() == Some(plan.name.as_str()))
            .map(|q| q.name.clone())
            .collect::<Vec<_>>();
        if tagged.len() >= WORKERS.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tagged.sort();
    let mut expected: Vec<String> = WORKERS.iter().map(|w| format!("{w}.globex")).collect();
    expected.sort();
    assert_eq!(
        tagged, expected,
        "the broker applied the policy to exactly the realm's queues"
    );

    let ours = policy::list(&local(), &guest()).await.unwrap();
    assert!(ours.iter().any(|p| p.vhost == vhost && p.name == plan.name));
    assert!(policy::remove(&local(), &guest(), &vhost, "not-warrens")
        .await
        .is_err());
    policy::remove(&failover, &guest(), &vhost, &plan.name)
        .await
        .unwrap();
    assert!(!policy::list(&local(), &guest())
        .await
        .unwrap()
        .iter()
        .any(|p| p.vhost == vhost));
}

/// Two vhosts with the same realm names: a view over both keeps each vhost's `acme` apart, one
/// vhost's view and filter see only its queues, and its realms rank within it (the other
/// vhost's heavier `acme` does not outrank them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vhost_scope_keeps_realms_of_different_vhosts_apart() {
    use warren_core::session::cache::InventoryCache;
    let (shop, staging) = (
        TestVhost::new("warren-test-scope-shop").await,
        TestVhost::new("warren-test-scope-staging").await,
    );
    for (v, heavy) in [(&shop, "globex"), (&staging, "acme")] {
        let ch = v.confirming_channel().await;
        for w in ["billing", "email"] {
            for r in ["acme", "globex"] {
                let q = format!("{w}.{r}");
                warren_test_support::amqp::declare_durable(&ch, &q, Default::default()).await;
                let n = if r == heavy { 5 } else { 1 };
                for i in 0..n {
                    let body = format!("m{i}");
                    warren_test_support::amqp::publish(
                        &ch,
                        &q,
                        body.as_bytes(),
                        Default::default(),
                    )
                    .await
                    .await
                    .expect("confirmed");
                }
            }
        }
    }
    // The management API's counters settle a stats interval after the publishes.
    let cache = InventoryCache::default();
    let env = local();
    let mut summary = None;
    for _ in 0..60 {
        cache.refresh(&env, guest(), |_| {}).await.expect("refresh");
        let s = cache
            .realm_summary(&env.id, Some(&shop.name))
            .unwrap()
            .summary;
        // Both vhosts' counters must have settled: the view over both is read below.
        let other = cache
            .realm_summary(&env.id, Some(&staging.name))
            .unwrap()
            .summary;
        if s.total.messages == 12 && other.total.messages == 12 {
            summary = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let shop_view = summary.expect("both vhosts' counters settled at 12 messages");
    assert_eq!(
        rank(&shop_view.realms, Metric::Messages, None)
            .iter()
            .map(|g| (g.key.as_str(), g.vhost.as_deref(), g.totals.messages))
            .collect::<Vec<_>>(),
        [("globex", None, 10), ("acme", None, 2)],
        "ranked within shop"
    );
    let all = cache.realm_summary(&env.id, None).unwrap().summary;
    let acme: Vec<_> = all
        .realms
        .iter()
        .filter(|g| {
            g.key == "acme" && [&shop.name, &staging.name].contains(&g.vhost.as_ref().unwrap())
        })
        .map(|g| (g.vhost.clone().unwrap(), g.totals.messages))
        .collect();
    assert_eq!(acme.len(), 2, "acme of each vhost apart: {acme:?}");
    assert!(acme.contains(&(staging.name.clone(), 10)) && acme.contains(&(shop.name.clone(), 2)));
    let inventory = cache.loaded(&env.id).unwrap();
    let shown = cache.filter(&env.id, "acme", Some(&shop.name));
    assert_eq!(shown.indices.len(), 2);
    assert!(shown
        .indices
        .iter()
        .all(|i| inventory.rows[*i as usize].vhost == shop.name));
    assert_eq!(
        cache.filter(&env.id, "", Some(&staging.name)).indices.len(),
        4
    );
}
