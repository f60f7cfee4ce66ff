//! The fleet overview's time for N environments against the slowest single one (target:
//! ≤ 1.5×): 10 environments, the broker lines on this machine repeated, plus one whose port is
//! closed (refused at once) and one that accepts and never answers (costs the whole budget).
//! Each reachable environment is scoped to a vhost of its own holding `WARREN_BENCH_QUEUES`
//! queues (default 300) with messages, so the probe does its full work: overview, health checks,
//! inventory, dead-letter discovery.
//!
//! Run: `cargo bench -p warren-core --bench fleet`, with the lines `scripts/brokers env` lists
//! (`WARREN_BENCH_BROKERS` to choose: `3.10=http://…,amqp://… 4.3=…`, guest/guest). The vhosts
//! are deleted at the end.

use std::time::{Duration, Instant};

use lapin::options::{BasicPublishOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Connection, ConnectionProperties};
use secrecy::SecretString;
use warren_core::fleet::{probe, statuses, FleetOptions, Target};
use warren_core::Environment;

const BUDGET: Duration = Duration::from_secs(4);

struct Line {
    name: String,
    management: String,
    amqp: String,
}

fn lines() -> Vec<Line> {
    let spec = std::env::var("WARREN_BENCH_BROKERS").unwrap_or_else(|_| {
        let out = std::process::Command::new("scripts/brokers")
            .arg("env")
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .output()
            .expect("scripts/brokers env");
        String::from_utf8_lossy(&out.stdout).to_string()
    });
    spec.split_whitespace()
        .filter_map(|e| {
            let (name, urls) = e.split_once('=')?;
            let (management, amqp) = urls.split_once(',')?;
            Some(Line {
                name: name.into(),
                management: management.into(),
                amqp: amqp.into(),
            })
        })
        .collect()
}

fn env(id: &str, management: &str, amqp: &str, vhost: Option<&str>) -> Environment {
    let mut env = Environment::local_default();
    env.id = id.into();
    env.name = id.into();
    env.management_urls = vec![management.into()];
    env.amqp_urls = vec![amqp.into()];
    env.vhost = vhost.map(str::to_string);
    env.realm_template = Some("{worker}.{realm}".into());
    env
}

async fn api(http: &reqwest::Client, method: reqwest::Method, url: String) {
    let r = http
        .request(method, url.clone())
        .basic_auth("guest", Some("guest"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("management API");
    assert!(r.status().is_success(), "{url}: {}", r.status());
}

/// A vhost with `n` queues `worker{i%20}.realm{i}`, every tenth one a DLQ fed by the one
/// before, and a message in each.
async fn populate(http: &reqwest::Client, line: &Line, vhost: &str, n: usize) {
    let v = vhost.replace('/', "%2F");
    api(
        http,
        reqwest::Method::PUT,
        format!("{}/api/vhosts/{v}", line.management),
    )
    .await;
    let perm = format!("{}/api/permissions/{v}/guest", line.management);
    let r = http
        .put(perm)
        .basic_auth("guest", Some("guest"))
        .json(&serde_json::json!({"configure":".*","write":".*","read":".*"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let uri = format!("{}/{v}", line.amqp.trim_end_matches('/'));
    let conn = Connection::connect(&uri, ConnectionProperties::default())
        .await
        .expect("AMQP");
    let ch = conn.create_channel().await.unwrap();
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    for i in 0..n {
        let name = format!("worker{}.realm{}", i % 20, i / 20);
        let mut args = FieldTable::default();
        if i % 10 == 9 {
            let dlq = format!("{name}.dlq");
            ch.queue_declare(dlq.as_str().into(), durable, FieldTable::default())
                .await
                .unwrap();
            args.insert(
                "x-dead-letter-exchange".into(),
                AMQPValue::LongString("".into()),
            );
            args.insert(
                "x-dead-letter-routing-key".into(),
                AMQPValue::LongString(dlq.as_str().into()),
            );
        }
        ch.queue_declare(name.as_str().into(), durable, args)
            .await
            .unwrap();
        ch.basic_publish(
            "".into(),
            name.as_str().into(),
            BasicPublishOptions::default(),
            b"{}",
            BasicProperties::default(),
        )
        .await
        .unwrap();
    }
    let _ = conn.close(200, "populated".into()).await;
}

fn target(env: Environment) -> Target {
    Target {
        env,
        password: Ok(SecretString::from("guest")),
        loaded: None,
    }
}

fn main() {
    let queues: usize = std::env::var("WARREN_BENCH_QUEUES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    warren_core::broker::tls::install_crypto_provider();
    let lines = lines();
    assert!(
        !lines.is_empty(),
        "no broker line: start them with scripts/brokers up"
    );
    let vhost = format!("warren-bench-fleet-{}", std::process::id());
    let http = reqwest::Client::new();
    rt.block_on(async {
        for line in &lines {
            populate(&http, line, &vhost, queues).await;
        }
    });
    // Silent: bound, never accepted from.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hole_url = format!("http://127.0.0.1:{}", hole.local_addr().unwrap().port());
    let mut envs: Vec<Environment> = (0..8)
        .map(|i| {
            let l = &lines[i % lines.len()];
            env(
                &format!("{}-{i}", l.name),
                &l.management,
                &l.amqp,
                Some(&vhost),
            )
        })
        .collect();
    envs.push(env(
        "closed",
        "http://127.0.0.1:1",
        "amqp://127.0.0.1:1",
        None,
    ));
    envs.push(env("silent", &hole_url, "amqp://127.0.0.1:1", None));
    let opts = FleetOptions {
        budget: BUDGET,
        ..FleetOptions::default()
    };

    println!(
        "fleet bench: {} environments ({} reachable on lines {}, {queues} queues each; 1 closed port; 1 silent), budget {} s, parallel {}",
        envs.len(),
        envs.len() - 2,
        lines.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", "),
        BUDGET.as_secs(),
        opts.parallel
    );
    let mut ratios = vec![];
    for round in 1..=3 {
        let mut singles = vec![];
        for e in &envs {
            let t = Instant::now();
            let s = rt.block_on(probe(target(e.clone()), &opts));
            singles.push((e.id.clone(), t.elapsed(), s.error_kind.map(|k| k.as_str())));
        }
        let slowest = singles.iter().map(|s| s.1).max().unwrap();
        let sum: Duration = singles.iter().map(|s| s.1).sum();
        let reachable = singles
            .iter()
            .filter(|s| s.2.is_none())
            .map(|s| s.1)
            .max()
            .unwrap();
        let t = Instant::now();
        let all = rt.block_on(statuses(
            envs.iter().cloned().map(target).collect(),
            &opts,
            |_| {},
        ));
        let fleet = t.elapsed();
        assert_eq!(all.len(), envs.len());
        let ok = all.iter().filter(|s| s.error.is_none()).count();
        let ratio = fleet.as_secs_f64() / slowest.as_secs_f64();
        ratios.push(ratio);
        println!(
            "round {round}: fleet {:.0} ms ({ok} read) | slowest single {:.0} ms, slowest reachable {:.0} ms, sum of singles {:.0} ms | fleet / slowest single = {ratio:.2}x (target <= 1.5x)",
            fleet.as_secs_f64() * 1e3,
            slowest.as_secs_f64() * 1e3,
            reachable.as_secs_f64() * 1e3,
            sum.as_secs_f64() * 1e3,
        );
        // Without the silent one, the slowest is a reachable broker: the fleet still costs
        // about that one, not the sum.
        let answering: Vec<Target> = envs
            .iter()
            .filter(|e| e.id != "silent")
            .cloned()
            .map(target)
            .collect();
        let t = Instant::now();
        rt.block_on(statuses(answering, &opts, |_| {}));
        let without = t.elapsed();
        println!(
            "         without the silent one: fleet {:.0} ms | slowest single {:.0} ms | fleet / slowest = {:.2}x",
            without.as_secs_f64() * 1e3,
            reachable.as_secs_f64() * 1e3,
            without.as_secs_f64() / reachable.as_secs_f64()
        );
        for (id, took, err) in &singles {
            println!(
                "    {id:<10} {:>6.0} ms {}",
                took.as_secs_f64() * 1e3,
                err.unwrap_or("ok")
            );
        }
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "fleet / slowest single (median of 3): {:.2}x (target <= 1.5x)",
        ratios[1]
    );
    drop(hole);
    rt.block_on(async {
        for line in &lines {
            let v = vhost.replace('/', "%2F");
            api(
                &http,
                reqwest::Method::DELETE,
                format!("{}/api/vhosts/{v}", line.management),
            )
            .await;
        }
    });
}
