//! Hot paths of the queue and realm screens: filtering 50,000 rows (every keystroke), parsing
//! one page of 500 queues from the management API (every refresh), summing realms and
//! suggesting a template. Targets: ≤ 2 ms per filter, ≤ 1 ms per page, ≤ 5 ms per summary,
//! ≤ 50 ms per suggestion. Run with `cargo bench -p warren-core --bench queues`.

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use std::hint::black_box;
use warren_core::queues::{parse, QueueRow, RowIndex};

/// The demo's first ten workers (its payments and billing among them, which the regex picks).
const WORKERS: &[&str] = warren_core::demo::WORKERS.split_at(10).0;

fn item(i: usize) -> Value {
    json!({
        "name": format!("{}.worker.realm-{}", WORKERS[i % WORKERS.len()], i / WORKERS.len()),
        "vhost": if i.is_multiple_of(3) { "/" } else { "prod" },
        "type": if i.is_multiple_of(17) { "quorum" } else { "classic" },
        "state": "running", "durable": true, "exclusive": false, "auto_delete": false,
        "messages": (i * 7919) % 5000, "messages_ready": (i * 7919) % 4000, "messages_unacknowledged": i % 13,
        "consumers": i % 4, "consumer_utilisation": 0.5, "memory": 10_000 + i * 13,
        "message_stats": {"publish_details": {"rate": (i % 50) as f64 / 10.0}, "deliver_get_details": {"rate": 1.0}},
        "policy": if i.is_multiple_of(5) { json!("ha-all") } else { Value::Null },
        "arguments": {"x-dead-letter-exchange": "dlx", "x-queue-type": "classic"},
        "node": "rabbit@node-1", "idle_since": "2026-11-25 21:30:01"
    })
}

fn rows(n: usize) -> Vec<QueueRow> {
    (0..n).map(|i| QueueRow::from_api(&item(i))).collect()
}

fn filter(c: &mut Criterion) {
    let rows = rows(50_000);
    let index = RowIndex::new(&rows);
    for (name, q) in [
        (
            "predicates",
            "messages>1000 consumers=0 type:classic -policy:ha-*",
        ),
        ("regex", r"/^(billing|payments)\.worker\.realm-1\d*$/"),
        ("words", "billing realm-12"),
    ] {
        let query = parse(q).unwrap();
        // What the window runs on every keystroke: the columnar index (built once per refresh).
        c.bench_function(&format!("filter 50k rows: {name}"), |b| {
            b.iter(|| {
                black_box(&query)
                    .select(black_box(&index), 1_795_642_201)
                    .len()
            })
        });
        // The row-at-a-time baseline, measured in the same run for the ratio.
        c.bench_function(&format!("filter 50k rows row by row: {name}"), |b| {
            b.iter(|| {
                black_box(&rows)
                    .iter()
                    .filter(|r| query.matches(r, 1_795_642_201))
                    .count()
            })
        });
    }
    c.bench_function("index 50k rows (once per refresh)", |b| {
        b.iter(|| RowIndex::new(black_box(&rows)).len())
    });
}

#[derive(serde::Deserialize)]
struct Page {
    items: Vec<warren_core::queues::row::ApiQueue>,
}

fn page(c: &mut Criterion) {
    let body = serde_json::to_vec(&json!({ "items": (0..500).map(item).collect::<Vec<_>>(), "page_count": 1, "total_count": 500 })).unwrap();
    c.bench_function("parse one page of 500 queues", |b| {
        b.iter(|| {
            let page: Page = serde_json::from_slice(black_box(&body)).unwrap();
            page.items.into_iter().map(QueueRow::from).count()
        })
    });
}

/// The realm views: 50,000 queues summed into realms, workers and cells (target ≤ 5 ms), and a
/// template suggested from 50,000 names (target ≤ 50 ms).
fn realms(c: &mut Criterion) {
    let mut rows = rows(50_000);
    let names: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.vhost.clone(), r.name.clone()))
        .collect();
    let names: Vec<(&str, &str)> = names
        .iter()
        .map(|(v, n)| (v.as_str(), n.as_str()))
        .collect();
    c.bench_function("suggest a realm template from 50k names", |b| {
        b.iter(|| warren_core::realms::suggest(black_box(&names)))
    });
    let template =
        warren_core::realms::RealmTemplate::parse("{worker}.worker.realm-{realm}").unwrap();
    warren_core::queues::map_rows(Some(&template), &mut rows);
    assert!(rows.iter().all(|r| r.realm.is_some()));
    // The window sums through the filter index it already built for this refresh.
    let index = RowIndex::new(&rows);
    c.bench_function("sum 50k queues into realms, workers and cells", |b| {
        b.iter(|| {
            warren_core::realms::aggregate::summarize_index(black_box(&index))
                .cells
                .len()
        })
    });
    c.bench_function(
        "apply a realm template to 50k queues (once per refresh)",
        |b| b.iter(|| warren_core::queues::map_rows(Some(&template), black_box(&mut rows))),
    );
}

criterion_group!(benches, filter, page, realms);
criterion_main!(benches);
