//! The inventory matrix: against the real broker (`WARREN_TEST_BROKER`, default the local 3.10),
//! a vhost of its own with N queues (created over AMQP on several channels at once, removed at
//! the end, also on a panic), and each inventory strategy measured against one unpaginated
//! `GET /api/queues/<vhost>` with every column, parsed (the baseline), alternating in every
//! round; medians. Prints, per strategy, the complete load and the first rows, each as a ratio
//! of the baseline. Targets: the chosen (`auto`) inventory ≤ 0.30×, first rows ≤ 0.05×. Then
//! the first rows of a warm open: the last `auto` load kept (`queues::last_known`) and read back.
//!
//! `cargo bench -p warren-core --bench inventory_matrix`; environment:
//!   WARREN_TEST_BROKER       the line (`scripts/brokers env 4.3`)
//!   WARREN_BENCH_COUNTS      queue counts, e.g. `10000,50000` (default 10000)
//!   WARREN_BENCH_ROUNDS      rounds per count (default 3)
//!   WARREN_BENCH_PROMETHEUS  the Prometheus URL (default: management port + 20, the layout
//!                            of scripts/brokers: 15692, 15693, 15694)
//!   WARREN_BENCH_STRATEGIES  a subset, e.g. `unpaginated,totals_prometheus`
//!   WARREN_BENCH_EARLY       0: no early first page racing the whole load (default 1)
//! CI runs none of this (it is a bench, and 50,000 queues take minutes to create).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use lapin::options::{BasicPublishOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::BasicProperties;
use serde_json::Value;
use warren_core::broker::management::ManagementClient;
use warren_core::broker::prometheus::PrometheusClient;
use warren_core::queues::inventory::{
    load_inventory_observed, InventoryOptions, LoadEvent, Strategy,
};
use warren_core::queues::last_known::LastKnownInventories;
use warren_test_support::{enc, management_port};

const CHANNELS: usize = 16;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .collect()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

/// Queue `i`: every 50th quorum (a replica log each: kept few), every 500th (offset 7) a stream
/// on 4.x; every 10th classic queue holds a message.
fn kind(i: usize) -> &'static str {
    if i.is_multiple_of(50) {
        "quorum"
    } else if i % 500 == 7 && warren_test_support::is_4x() {
        "stream"
    } else {
        "classic"
    }
}

async fn create(vhost: &common::TestVhost, count: usize) {
    let started = Instant::now();
    let tasks = (0..CHANNELS).map(|c| async move {
        let ch = vhost.conn.create_channel().await.unwrap();
        for i in (c..count).step_by(CHANNELS) {
            let name = format!("worker-{}.realm-{}", i % 100, i / 100);
            let mut args = FieldTable::default();
            let k = kind(i);
            if k != "classic" {
                args.insert("x-queue-type".into(), AMQPValue::LongString(k.into()));
            }
            ch.queue_declare(
                name.as_str().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                args,
            )
            .await
            .unwrap();
            if i % 10 == 3 {
                ch.basic_publish(
                    "".into(),
                    name.as_str().into(),
                    BasicPublishOptions::default(),
                    b"x",
                    BasicProperties::default(),
                )
                .await
                .unwrap();
            }
        }
    });
    join_all(tasks).await;
    eprintln!("created {count} queues in {}", ms(started.elapsed()));
}

async fn run() {
    let counts: Vec<usize> = env_list("WARREN_BENCH_COUNTS", "10000")
        .iter()
        .map(|c| c.parse().expect("WARREN_BENCH_COUNTS: numbers"))
        .collect();
    let rounds: usize = std::env::var("WARREN_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let strategies: Vec<Strategy> = {
        let names = env_list(
            "WARREN_BENCH_STRATEGIES",
            "auto,paged,unpaginated,totals,totals_prometheus,definitions_prometheus",
        );
        [Strategy::Auto]
            .into_iter()
            .chain(Strategy::ALL)
            .filter(|s| names.iter().any(|n| n == s.as_str()))
            .collect()
    };
    let mut env = common::local();
    env.prometheus_url = Some(
        std::env::var("WARREN_BENCH_PROMETHEUS")
            .unwrap_or_else(|_| format!("http://127.0.0.1:{}", management_port() + 20)),
    );
    let client =
        ManagementClient::with_timeout(&env, common::guest(), Duration::from_secs(300)).unwrap();
    let prometheus = PrometheusClient::new(&env, Duration::from_secs(300)).unwrap();
    println!(
        "line {}, Prometheus {}",
        warren_test_support::broker_line(),
        prometheus.base()
    );
    for count in counts {
        let vhost = common::TestVhost::new("warren-bench-matrix").await;
        create(&vhost, count).await;
        let early = std::env::var("WARREN_BENCH_EARLY").map_or(true, |v| v != "0");
        let opts = |strategy| InventoryOptions {
            vhost: Some(vhost.name.clone()),
            strategy,
            prometheus: Some(prometheus.clone()),
            early_first_page: early,
            ..Default::default()
        };
        // The management database and the Prometheus tables list new queues seconds late.
        for _ in 0..240 {
            let listed = load_inventory_observed(&client, &opts(Strategy::Totals), |_| {})
                .await
                .map(|i| i.rows.len())
                .unwrap_or(0);
            let scraped = prometheus
                .queue_metrics(Some(&vhost.name), false)
                .await
                .map(|m| m.queues.values().filter(|s| s.has_gauges).count())
                .unwrap_or(0);
            if listed >= count && scraped >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        // The baseline through a plain client: a full listing of 50,000 queues keeps the
        // connection silent for longer than Warren's client allows (10 s), and that limit is
        // not what is measured here.
        let full_url = format!(
            "{}/api/queues/{}",
            warren_test_support::management_url(),
            enc(&vhost.name)
        );
        let plain = reqwest::Client::builder()
            .timeout(Duration::from_secs(900))
            .build()
            .unwrap();
        let mut whole = vec![];
        let mut complete: Vec<Vec<Duration>> = vec![vec![]; strategies.len()];
        let mut first: Vec<Vec<Duration>> = vec![vec![]; strategies.len()];
        // How often the first rows were every name without figures (the definitions first).
        let mut names_first = vec![0u32; strategies.len()];
        let mut chosen = None;
        let mut last_auto = None;
        let mut baseline_failed = false;
        for _ in 0..rounds {
            let t = Instant::now();
            // At 50,000 queues 4.3 closed the connection at 60 s without an answer: the
            // baseline is then the time it gave up after, and every ratio an upper bound.
            let answer = async {
                plain
                    .get(&full_url)
                    .basic_auth("guest", Some("guest"))
                    .send()
                    .await?
                    .error_for_status()?
                    .json::<Vec<Value>>()
                    .await
            };
            match answer.await {
                Ok(all) => assert_eq!(all.len(), count),
                Err(e) => {
                    eprintln!(
                        "the full GET gave up after {}: {e} (ratios below are upper bounds)",
                        ms(t.elapsed())
                    );
                    baseline_failed = true;
                }
            }
            whole.push(t.elapsed());
            for (i, s) in strategies.iter().enumerate() {
                let t = Instant::now();
                let mut first_rows = None;
                let inv = match load_inventory_observed(&client, &opts(*s), |e| {
                    if let LoadEvent::FirstPage {
                        figures_pending, ..
                    } = e
                    {
                        first_rows.get_or_insert((t.elapsed(), figures_pending));
                    }
                })
                .await
                {
                    Ok(inv) => inv,
                    Err(e) => {
                        eprintln!("{}: {e}", s.as_str());
                        continue;
                    }
                };
                // A strategy that gives up on part of the queues (pages timing out) is
                // reported, not timed: its figure would flatter it.
                if inv.partial || inv.rows.len() != count {
                    eprintln!(
                        "{}: {} of {count} queues (partial: {})",
                        s.as_str(),
                        inv.rows.len(),
                        inv.errors.first().map_or("", String::as_str)
                    );
                    continue;
                }
                complete[i].push(t.elapsed());
                let (at, names) = first_rows.unwrap_or((t.elapsed(), false));
                first[i].push(at);
                names_first[i] += u32::from(names);
                if *s == Strategy::Auto {
                    chosen = inv.strategy;
                    last_auto = Some(std::sync::Arc::new(inv));
                }
            }
        }
        let base = median(whole);
        println!(
            "\n{count} queues, line {}, median of {rounds}: full GET /api/queues/<vhost> {}{}",
            warren_test_support::broker_line(),
            ms(base),
            if baseline_failed {
                " (did not answer: ratios are upper bounds)"
            } else {
                ""
            }
        );
        println!(
            "  {:<24} {:>10} {:>7} {:>10} {:>7}",
            "strategy", "complete", "ratio", "first", "ratio"
        );
        for (i, s) in strategies.iter().enumerate() {
            if complete[i].is_empty() {
                println!("  {:<24} failed or partial (see above)", s.as_str());
                continue;
            }
            let (c, f) = (median(complete[i].clone()), median(first[i].clone()));
            let label = match (s, chosen) {
                (Strategy::Auto, Some(c)) => format!("auto ({})", c.as_str()),
                _ => s.as_str().to_string(),
            };
            println!(
                "  {label:<24} {:>10} {:>6.2}x {:>10} {:>6.2}x{}{}",
                ms(c),
                c.as_secs_f64() / base.as_secs_f64(),
                ms(f),
                f.as_secs_f64() / base.as_secs_f64(),
                if names_first[i] > 0 {
                    format!("  (names first in {} of {rounds})", names_first[i])
                } else {
                    String::new()
                },
                if s.complete() { "" } else { "  (incomplete)" }
            );
        }
        // A window opened again shows the rows it kept from its last complete load
        // (`queues::last_known`) while it reads the broker: first rows of a warm open.
        if let Some(inv) = last_auto {
            let dir = tempfile::tempdir().unwrap();
            let kept = LastKnownInventories::at(dir.path().to_path_buf());
            assert!(
                kept.save("bench", "bench", inv, 0),
                "a complete load is kept"
            );
            while !kept.path_for("bench").exists() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let bytes = std::fs::metadata(kept.path_for("bench")).map_or(0, |m| m.len());
            let mut reads = vec![];
            for _ in 0..rounds {
                let t = Instant::now();
                let back = kept.load("bench", "bench").await.expect("kept rows");
                assert_eq!(back.rows.len(), count);
                reads.push(t.elapsed());
            }
            let f = median(reads);
            println!(
                "  {:<24} {:>10} {:>7} {:>10} {:>6.2}x  (a warm open: the last load's rows, {:.1} MB on disk, marked with their age)",
                "last known (warm open)",
                "—",
                "",
                ms(f),
                f.as_secs_f64() / base.as_secs_f64(),
                bytes as f64 / 1e6
            );
        }
        let t = Instant::now();
        drop(vhost);
        eprintln!("deleted the vhost in {}", ms(t.elapsed()));
    }
}
