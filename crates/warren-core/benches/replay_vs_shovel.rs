//! Replay throughput against the broker's own shovel, on the same broker, in rounds:
//!
//! 1. fill a DLQ with 100,000 small dead-lettered messages from 4 origin queues (TTL 0, so each
//!    expires into the DLQ carrying its origin in x-death);
//! 2. time Warren's replay to origin on the broker path (a shovel through a temporary exchange
//!    bound per routing key; every message back to the queue it died in);
//! 3. refill, and time the client path (Warren reads and publishes each message);
//! 4. refill, and time the broker's shovel moving them all to one queue (what the management
//!    UI's "Move messages" does, and Warren's `queues move`);
//! 5. where the broker has local shovels (4.3), refill and time one moving them all to one
//!    queue (the fastest move the broker offers; not what its "Move messages" uses);
//! 6. print the rates and the ratios to the shovel of step 4. Target: the broker path ≥ 1.0×.
//!
//! One run of each proves little: the shovel's own rate swings by a third between runs on this
//! machine (2026-12-08, 4.3, 50,000: 9.1–15.6k msg/s), and single-run ratios of the same code
//! spread 0.95–1.36×. So the steps run in `WARREN_BENCH_ROUNDS` rounds (3 unless set), their
//! order turned by one each round, each ratio taken within its round; the figure is the median.
//!
//! Run: `cargo bench -p warren-core --bench replay_vs_shovel` (or `scripts/bench-replay`), with
//! RabbitMQ, its management and shovel plugins on 127.0.0.1 (guest/guest; another broker line with
//! `WARREN_TEST_BROKER`, see crates/warren-test-support). Uses a vhost of its
//! own, deleted at the end. `WARREN_BENCH_MESSAGES` changes the count.

use std::time::Instant;

use lapin::options::{ConfirmSelectOptions, QueuePurgeOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel};
use warren_core::deadletters::replay::{replay, ReplayOptions, ReplayPath};
use warren_core::queues::move_messages::move_messages;

#[path = "../tests/common/mod.rs"]
mod common;

use common::{dead_lettering, declare_durable, depth, dlx_into, publish};

const ORIGINS: [&str; 4] = ["billing.acme", "billing.globex", "mail.acme", "mail.globex"];
const DLQ: &str = "bench.dlq";

async fn fill(ch: &Channel, total: u32) {
    let per = total / ORIGINS.len() as u32;
    let props = BasicProperties::default()
        .with_expiration("0".into())
        .with_delivery_mode(2);
    let mut n = 0;
    for q in ORIGINS {
        for i in 0..per {
            publish(ch, q, format!("{{\"job\":{i}}}").as_bytes(), props.clone()).await;
            n += 1;
            if n % 5000 == 0 {
                ch.wait_for_confirms().await.expect("confirms");
            }
        }
    }
    ch.wait_for_confirms().await.expect("confirms");
    while depth(ch, DLQ).await < per * ORIGINS.len() as u32 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// One timed step: its messages and seconds.
type Timed = (u32, f64);

/// Warren's replay to origin on a freshly filled DLQ, by the broker path or the client path.
async fn replay_step(b: &Bench<'_>, broker_path: bool) -> Timed {
    fill(b.ch, b.total).await;
    let n = depth(b.ch, DLQ).await;
    let mut options = ReplayOptions {
        broker_path,
        ..Default::default()
    };
    if let Some(w) = b.window {
        options.window = w;
    }
    let t = Instant::now();
    let report = replay(
        &b.env,
        &b.password,
        b.vhost,
        DLQ,
        &options,
        |_| {},
        || false,
    )
    .await
    .expect("replay");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.replayed, u64::from(n), "{report:?}");
    assert_eq!(
        report.path,
        if broker_path {
            ReplayPath::Broker
        } else {
            ReplayPath::Client
        },
        "{report:?}"
    );
    assert_eq!(depth(b.ch, DLQ).await, 0);
    let mut back = 0;
    for q in ORIGINS {
        back += depth(b.ch, q).await;
        b.ch.queue_purge(q.into(), QueuePurgeOptions::default())
            .await
            .unwrap();
    }
    assert_eq!(back, n, "every message back in an origin");
    (n, secs)
}

/// The broker's "Move messages" shovel (Warren's `queues move`) into one queue.
async fn shovel_step(b: &Bench<'_>) -> Timed {
    fill(b.ch, b.total).await;
    let n = depth(b.ch, DLQ).await;
    let t = Instant::now();
    let moved = move_messages(
        &b.env,
        &b.password,
        b.vhost,
        DLQ,
        "bench.moved",
        |_| {},
        || false,
    )
    .await
    .expect("shovel");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(moved.moved, u64::from(n));
    b.ch.queue_purge("bench.moved".into(), QueuePurgeOptions::default())
        .await
        .unwrap();
    (n, secs)
}

/// The same move by a local shovel; `None` where the broker has none.
async fn local_step(b: &Bench<'_>, round: usize) -> Option<Timed> {
    fill(b.ch, b.total).await;
    let n = depth(b.ch, DLQ).await;
    let uri = format!(
        "amqp:///{}",
        b.vhost.replace('%', "%25").replace('/', "%2F")
    );
    let value = serde_json::json!({
        "src-protocol": "local", "src-uri": uri, "src-queue": DLQ, "src-delete-after": "queue-length",
        "dest-protocol": "local", "dest-uri": uri, "dest-queue": "bench.moved", "ack-mode": "on-confirm",
    });
    let name = format!("bench-local-move-{round}");
    let param = rabbitmq_http_client::requests::RuntimeParameterDefinition {
        name: &name,
        vhost: b.vhost,
        component: "shovel",
        value: value.as_object().cloned().unwrap(),
    };
    let t = Instant::now();
    let timed = match common::admin().upsert_runtime_parameter(&param).await {
        Ok(()) => {
            while depth(b.ch, DLQ).await > 0 || depth(b.ch, "bench.moved").await < n {
                assert!(t.elapsed().as_secs() < 300, "the local shovel stalled");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            Some((n, t.elapsed().as_secs_f64()))
        }
        Err(_) => None,
    };
    // Without messages the DLQ still holds nothing a later round could miss.
    b.ch.queue_purge(DLQ.into(), QueuePurgeOptions::default())
        .await
        .unwrap();
    b.ch.queue_purge("bench.moved".into(), QueuePurgeOptions::default())
        .await
        .unwrap();
    timed
}

/// What every step needs.
struct Bench<'a> {
    env: warren_core::environment::Environment,
    password: secrecy::SecretString,
    vhost: &'a str,
    ch: &'a Channel,
    total: u32,
    window: Option<u16>,
}

fn rate((n, secs): Timed) -> f64 {
    f64::from(n) / secs
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

fn main() {
    let total: u32 = std::env::var("WARREN_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rounds: usize = std::env::var("WARREN_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        // `local` pointed at `WARREN_TEST_BROKER` when set; the vhost goes when the run ends.
        let bench_vhost = common::TestVhost::new("warren-bench-replay").await;
        let (vhost, conn) = (bench_vhost.name.clone(), &bench_vhost.conn);
        let ch = conn.create_channel().await.unwrap();
        ch.confirm_select(ConfirmSelectOptions::default()).await.unwrap();
        dlx_into(&ch, DLQ, FieldTable::default()).await;
        for q in ORIGINS {
            declare_durable(&ch, q, dead_lettering()).await;
        }
        declare_durable(&ch, "bench.moved", FieldTable::default()).await;
        let b = Bench {
            env: common::local(),
            password: common::guest(),
            vhost: &vhost,
            ch: &ch,
            total,
            window: std::env::var("WARREN_BENCH_WINDOW").ok().and_then(|v| v.parse().ok()),
        };

        println!("broker line                  {}", warren_test_support::broker_line());
        println!("messages                     {total} (each run; {} origins), {rounds} round(s)", ORIGINS.len());
        // Per round: the shovel's rate, and the others' ratios to it.
        let (mut shovel, mut broker, mut client, mut local) = (vec![], vec![], vec![], vec![]);
        for round in 0..rounds {
            let (mut s, mut bp, mut cp, mut lo) = (None, None, None, None);
            for step in 0..4 {
                match (step + round) % 4 {
                    0 => s = Some(shovel_step(&b).await),
                    1 => bp = Some(replay_step(&b, true).await),
                    2 => cp = Some(replay_step(&b, false).await),
                    _ => lo = local_step(&b, round).await,
                }
            }
            let s = rate(s.unwrap());
            let (bp, cp) = (rate(bp.unwrap()), rate(cp.unwrap()));
            let lo = lo.map(rate);
            println!(
                "round {}: shovel {s:>6.0} msg/s; broker path {:.2}x, client path {:.2}x{}",
                round + 1,
                bp / s,
                cp / s,
                lo.map(|l| format!(", local shovel {:.2}x", l / s)).unwrap_or_default()
            );
            shovel.push(s);
            broker.push(bp / s);
            client.push(cp / s);
            if let Some(l) = lo {
                local.push((l / s, bp / l));
            }
        }
        let s = median(shovel.clone());
        println!("medians of {rounds} round(s), each ratio within its round:");
        println!("broker shovel (move to one)  {s:>9.0} msg/s  (its rounds: {})", shovel.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(", "));
        println!("warren replay, broker path   {:>5.2}x shovel  (target >= 1.0; each message to its own origin; rounds: {})", median(broker.clone()), ratios(&broker));
        println!("warren replay, client path   {:>5.2}x shovel  (each message to its own origin; rounds: {})", median(client.clone()), ratios(&client));
        if local.is_empty() {
            println!("local shovel (move to one)   (this broker has no local shovels)");
        } else {
            let vs_shovel: Vec<f64> = local.iter().map(|l| l.0).collect();
            let broker_vs: Vec<f64> = local.iter().map(|l| l.1).collect();
            println!("local shovel (move to one)   {:>5.2}x shovel; broker path {:.2}x this  (rounds: {})", median(vs_shovel.clone()), median(broker_vs), ratios(&vs_shovel));
        }
        let _ = conn.close(200, "bench done".into()).await;
    });
}

fn ratios(v: &[f64]) -> String {
    v.iter()
        .map(|r| format!("{r:.2}x"))
        .collect::<Vec<_>>()
        .join(", ")
}
