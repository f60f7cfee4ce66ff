//! Against the real broker: a vhost of its own with 10,000 queues (created here, removed at the
//! end, also on a panic). Measured in the same run, alternating, median of several rounds:
//!   - Warren's complete inventory (pages of 500, `columns=`, a few pages in flight);
//!   - Warren's first view (the first page, which the window shows while the rest loads);
//!   - one unpaginated `GET /api/queues/<vhost>` with every column, parsed: what tools that do
//!     not page do. Target: inventory ≤ 0.3× of it.
//!
//! Run with `cargo bench -p warren-core --bench inventory_10k` (needs the local broker with
//! the management plugin; `WARREN_BENCH_QUEUES` changes the count, `WARREN_BENCH_IN_FLIGHT`
//! the pages in flight).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use lapin::types::FieldTable;
use lapin::BasicProperties;
use serde_json::Value;
use warren_core::broker::management::ManagementClient;
use warren_core::queues::inventory::{
    load_inventory, load_inventory_observed, InventoryOptions, LoadEvent,
};
use warren_test_support::{declare_durable, enc, publish};

const ROUNDS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let count: usize = std::env::var("WARREN_BENCH_QUEUES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let vhost = common::TestVhost::new("warren-bench-inventory").await;
    let ch = vhost.conn.create_channel().await.unwrap();
    let started = Instant::now();
    for i in 0..count {
        let name = format!("worker-{}.realm-{}", i % 100, i / 100);
        declare_durable(&ch, &name, FieldTable::default()).await;
        // Some depth, so the listing carries real counters.
        if i % 10 == 0 {
            publish(&ch, &name, b"x", BasicProperties::default()).await;
        }
    }
    eprintln!("created {count} queues in {}", ms(started.elapsed()));

    let env = common::local();
    let client = ManagementClient::new(&env, common::guest()).unwrap();
    let mut opts = InventoryOptions {
        vhost: Some(vhost.name.clone()),
        ..Default::default()
    };
    if let Some(n) = std::env::var("WARREN_BENCH_IN_FLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        opts.pages_in_flight = n;
    }
    // The management database lists new queues a few seconds late.
    for _ in 0..120 {
        if load_inventory(&client, &opts).await.unwrap().rows.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let unpaginated_path = format!("queues/{}", enc(&vhost.name));

    let (mut paged, mut first, mut whole) = (vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let mut first_view = None;
        let inv = load_inventory_observed(&client, &opts, |e| {
            if let LoadEvent::FirstPage { .. } = e {
                first_view = Some(t.elapsed());
            }
        })
        .await
        .unwrap();
        paged.push(t.elapsed());
        first.push(first_view.expect("the first page is reported"));
        assert_eq!(inv.rows.len(), count, "the inventory must be complete");
        assert!(!inv.partial);

        let t = Instant::now();
        let (all, _) = client
            .get_json::<Vec<Value>>(&unpaginated_path)
            .await
            .unwrap();
        whole.push(t.elapsed());
        assert_eq!(all.len(), count);
    }
    let (paged, first, whole) = (median(paged), median(first), median(whole));
    let ratio = paged.as_secs_f64() / whole.as_secs_f64();
    println!("inventory of {count} queues, median of {ROUNDS} rounds:");
    println!("  unpaginated GET /api/queues (all columns): {}", ms(whole));
    println!(
        "  Warren, complete paged inventory:          {}  ratio {ratio:.2} (target <= 0.30: {})",
        ms(paged),
        if ratio <= 0.3 { "met" } else { "NOT met" }
    );
    println!(
        "  Warren, first view (first page of 500):    {}  ratio {:.2}",
        ms(first),
        first.as_secs_f64() / whole.as_secs_f64()
    );
}
