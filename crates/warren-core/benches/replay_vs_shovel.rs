//! Replay throughput against the broker's own shovel, one run on the same broker:
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

fn main() {
    let total: u32 = std::env::var("WARREN_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        // `local` pointed at `WARREN_TEST_BROKER` when set; the vhost goes when the run ends.
        let env = common::local();
        let password = common::guest();
        let bench_vhost = common::TestVhost::new("warren-bench-replay").await;
        let (vhost, conn) = (bench_vhost.name.clone(), &bench_vhost.conn);
        let ch = conn.create_channel().await.unwrap();
        ch.confirm_select(ConfirmSelectOptions::default()).await.unwrap();
        dlx_into(&ch, DLQ, FieldTable::default()).await;
        for q in ORIGINS {
            declare_durable(&ch, q, dead_lettering()).await;
        }
        declare_durable(&ch, "bench.moved", FieldTable::default()).await;

        // Warren's replay to origin, one way and then the other, each on a freshly filled DLQ.
        let mut window = None;
        if let Some(w) = std::env::var("WARREN_BENCH_WINDOW").ok().and_then(|v| v.parse().ok()) {
            window = Some(w);
        }
        let mut timed = Vec::new();
        for broker_path in [true, false] {
            fill(&ch, total).await;
            let n = depth(&ch, DLQ).await;
            let mut options = ReplayOptions { broker_path, ..Default::default() };
            if let Some(w) = window {
                options.window = w;
            }
            let t = Instant::now();
            let report = replay(&env, &password, &vhost, DLQ, &options, |_| {}, || false).await.expect("replay");
            let secs = t.elapsed().as_secs_f64();
            assert_eq!(report.replayed, u64::from(n), "{report:?}");
            assert_eq!(report.path, if broker_path { ReplayPath::Broker } else { ReplayPath::Client }, "{report:?}");
            assert_eq!(depth(&ch, DLQ).await, 0);
            let mut back = 0;
            for q in ORIGINS {
                back += depth(&ch, q).await;
                ch.queue_purge(q.into(), QueuePurgeOptions::default()).await.unwrap();
            }
            assert_eq!(back, n, "every message back in an origin");
            timed.push((n, secs));
        }

        fill(&ch, total).await;
        let n = depth(&ch, DLQ).await;
        let t = Instant::now();
        let moved = move_messages(&env, &password, &vhost, DLQ, "bench.moved", |_| {}, || false).await.expect("shovel");
        let shovel_secs = t.elapsed().as_secs_f64();
        assert_eq!(moved.moved, u64::from(n));

        // The same move by a local shovel, where the broker has them.
        ch.queue_purge("bench.moved".into(), QueuePurgeOptions::default()).await.unwrap();
        fill(&ch, total).await;
        let local_n = depth(&ch, DLQ).await;
        let uri = format!("amqp:///{}", vhost.replace('%', "%25").replace('/', "%2F"));
        let value = serde_json::json!({
            "src-protocol": "local", "src-uri": uri, "src-queue": DLQ, "src-delete-after": "queue-length",
            "dest-protocol": "local", "dest-uri": uri, "dest-queue": "bench.moved", "ack-mode": "on-confirm",
        });
        let t = Instant::now();
        let param = rabbitmq_http_client::requests::RuntimeParameterDefinition {
            name: "bench-local-move",
            vhost: &vhost,
            component: "shovel",
            value: value.as_object().cloned().unwrap(),
        };
        let local_secs = match common::admin().upsert_runtime_parameter(&param).await {
            Ok(()) => {
                while depth(&ch, DLQ).await > 0 || depth(&ch, "bench.moved").await < local_n {
                    assert!(t.elapsed().as_secs() < 300, "the local shovel stalled");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                Some(t.elapsed().as_secs_f64())
            }
            Err(_) => None,
        };

        let shovel_rate = f64::from(n) / shovel_secs;
        let (broker_n, broker_secs) = timed[0];
        let (client_n, client_secs) = timed[1];
        let broker_rate = f64::from(broker_n) / broker_secs;
        let client_rate = f64::from(client_n) / client_secs;
        println!("broker line                  {}", warren_test_support::broker_line());
        println!("messages                     {n} (each run; {} origins)", ORIGINS.len());
        println!("broker shovel (move to one)  {shovel_rate:>9.0} msg/s  ({shovel_secs:.2} s)");
        println!("warren replay, broker path   {broker_rate:>9.0} msg/s  ({broker_secs:.2} s, each message to its own origin)  {:>5.2}x shovel  (target >= 1.0)", broker_rate / shovel_rate);
        println!("warren replay, client path   {client_rate:>9.0} msg/s  ({client_secs:.2} s, each message to its own origin)  {:>5.2}x shovel", client_rate / shovel_rate);
        match local_secs {
            Some(secs) => {
                let rate = f64::from(local_n) / secs;
                println!("local shovel (move to one)   {rate:>9.0} msg/s  ({secs:.2} s)  {:>5.2}x shovel; broker path {:.2}x this", rate / shovel_rate, broker_rate / rate);
            }
            None => println!("local shovel (move to one)   (this broker has no local shovels)"),
        }
        let _ = conn.close(200, "bench done".into()).await;
    });
}
