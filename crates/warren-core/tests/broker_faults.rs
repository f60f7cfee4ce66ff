//! Broker misbehaviour a real broker will not produce on demand: HTTP 500s, truncated JSON, a
//! slow answer, a node that stops answering half-way through a listing. A stub HTTP server on
//! loopback plays the management API (the only place mocks are allowed: faults). Warren must
//! give a clear error, mark partial results, and keep working.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use warren_core::broker::management::ManagementClient;
use warren_core::broker::BrokerErrorKind;
use warren_core::queues::inventory::{load_inventory, InventoryOptions};
use warren_core::Environment;

/// How the stub answers the n-th request (0-based) for `path`.
type Behaviour = Arc<dyn Fn(u32, &str) -> Option<(u16, String, Duration)> + Send + Sync>;

/// Serve HTTP/1.1 on a free loopback port: each request gets the behaviour's status, body
/// (`None`: close the connection without answering) after its delay.
async fn stub(behaviour: Behaviour) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicU32::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let behaviour = behaviour.clone();
            let count = count.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let Ok(n) = sock.read(&mut buf).await else {
                    return;
                };
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let i = count.fetch_add(1, Ordering::SeqCst);
                let Some((status, body, delay)) = behaviour(i, &path) else {
                    return;
                };
                tokio::time::sleep(delay).await;
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(response.as_bytes()).await;
            });
        }
    });
    port
}

fn env(port: u16) -> Environment {
    let mut env = Environment::local_default();
    env.management_urls = vec![format!("http://127.0.0.1:{port}")];
    env
}

fn pw() -> SecretString {
    SecretString::from("guest")
}

fn page(names: &[&str], page_count: u32, total: u64) -> String {
    let items: Vec<String> = names
        .iter()
        .map(|n| format!(r#"{{"name":"{n}","vhost":"/","messages":1}}"#))
        .collect();
    format!(
        r#"{{"items":[{}],"page_count":{page_count},"total_count":{total},"page":1}}"#,
        items.join(",")
    )
}

#[tokio::test]
async fn an_http_500_is_a_clear_error() {
    let port = stub(Arc::new(|_, _| {
        Some((
            500,
            r#"{"error":"internal","reason":"boom"}"#.into(),
            Duration::ZERO,
        ))
    }))
    .await;
    let client = ManagementClient::new(&env(port), pw()).unwrap();
    let e = client
        .get_json::<serde_json::Value>("overview")
        .await
        .unwrap_err();
    assert!(e.message.contains("500"), "{}", e.message);
    assert!(!e.message.contains("guest"), "no secret in the error");
}

#[tokio::test]
async fn truncated_json_is_a_clear_error() {
    let port = stub(Arc::new(|_, _| {
        Some((200, r#"{"items":[{"name":"a","vho"#.into(), Duration::ZERO))
    }))
    .await;
    let client = ManagementClient::new(&env(port), pw()).unwrap();
    let e = load_inventory(&client, &InventoryOptions::default())
        .await
        .unwrap_err();
    let text = e.to_string().to_lowercase();
    assert!(
        text.contains("json") || text.contains("pars") || text.contains("decode"),
        "{text}"
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_with_a_clear_error() {
    let port = stub(Arc::new(|_, _| {
        Some((200, "{}".into(), Duration::from_secs(5)))
    }))
    .await;
    let client =
        ManagementClient::with_timeout(&env(port), pw(), Duration::from_millis(500)).unwrap();
    let e = client
        .get_json::<serde_json::Value>("overview")
        .await
        .unwrap_err();
    assert_eq!(e.kind, BrokerErrorKind::Timeout, "{}", e.message);
}

#[tokio::test]
async fn a_node_that_stops_answering_mid_listing_gives_a_partial_inventory_marked_so() {
    // Page 1 answers; every later request (and its retries) finds the connection closed.
    let port = stub(Arc::new(|_, path| {
        if path.contains("page=1&") {
            Some((200, page(&["a", "b"], 3, 6), Duration::ZERO))
        } else {
            None
        }
    }))
    .await;
    let client = ManagementClient::new(&env(port), pw()).unwrap();
    let opts = InventoryOptions {
        page_size: 2,
        strategy: warren_core::queues::inventory::Strategy::Paged,
        ..Default::default()
    };
    let inv = load_inventory(&client, &opts).await.unwrap();
    assert!(inv.partial, "{inv:?}");
    assert_eq!(inv.rows.len(), 2);
    assert_eq!(inv.failed_pages, [2, 3]);
    assert!(!inv.errors.is_empty());
    // And the next listing, once the node is back, is whole (the client keeps working).
    let port = stub(Arc::new(|_, path| {
        let p = if path.contains("page=1&") {
            page(&["a", "b"], 2, 4)
        } else {
            page(&["c", "d"], 2, 4)
        };
        Some((200, p, Duration::ZERO))
    }))
    .await;
    let client = ManagementClient::new(&env(port), pw()).unwrap();
    let inv = load_inventory(&client, &opts).await.unwrap();
    assert!(!inv.partial);
    assert_eq!(inv.rows.len(), 4);
}

/// A cluster in trouble, which a shared test broker cannot be put into: a memory alarm, a node
/// down, a quorum queue that would lose its majority. The health checks answer 503 with the
/// broker's JSON (shapes from rabbit_mgmt_wm_health_check_*), the card says each one, and the
/// environment is not ok though reachable.
#[tokio::test]
async fn the_fleet_card_names_each_failing_health_check() {
    use warren_core::fleet::{probe, FleetOptions, Target};
    let port = stub(Arc::new(|_, path| {
        let (status, body) = match path.split('?').next().unwrap_or(path) {
            "/api/overview" => (200, r#"{"rabbitmq_version":"4.3.6","erlang_version":"27","cluster_name":"prod-eu","queue_totals":{"messages":12,"messages_unacknowledged":2},"object_totals":{"queues":3}}"#),
            "/api/health/checks/alarms" => (503, r#"{"status":"failed","reason":"There are alarms in effect in the cluster","alarms":[{"resource":"memory","node":"rabbit@b"}]}"#),
            "/api/nodes" => (200, r#"[{"name":"rabbit@a","running":true},{"name":"rabbit@b","running":true},{"name":"rabbit@c","running":false}]"#),
            "/api/health/checks/node-is-quorum-critical" => (503, r#"{"status":"failed","reason":"There are quorum queues that would lose their quorum if the target node is shut down","queues":[{"name":"orders","readable_name":"queue 'orders' in vhost '/'","virtual_host":"/","type":"quorum"}]}"#),
            "/api/health/checks/virtual-hosts" => (200, r#"{"status":"ok"}"#),
            "/api/health/checks/protocol-listener/amqp" => (200, r#"{"status":"ok","protocols":["amqp"]}"#),
            "/api/deprecated-features/used" => (200, "[]"),
            "/api/policies" | "/api/operator-policies" => (200, "[]"),
            _ => (404, r#"{"error":"Object Not Found","reason":"Not Found"}"#),
        };
        Some((status, body.to_string(), Duration::ZERO))
    }))
    .await;
    let opts = FleetOptions {
        quick: true,
        ..FleetOptions::default()
    };
    let status = probe(
        Target {
            env: env(port),
            password: Ok(pw()),
            loaded: None,
        },
        &opts,
    )
    .await;
    assert!(status.error.is_none(), "reachable: {:?}", status.error);
    assert!(!status.ok, "unhealthy");
    assert_eq!(status.cluster_name.as_deref(), Some("prod-eu"));
    assert_eq!((status.queues, status.messages), (Some(3), Some(12)));
    assert_eq!((status.nodes.running, status.nodes.total), (2, 3));
    assert_eq!(status.alarms.len(), 1);
    assert_eq!(status.alarms[0].resource, "memory");
    let check = |prefix: &str| {
        status
            .checks
            .iter()
            .find(|c| c.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} in {:?}", status.checks))
            .clone()
    };
    assert!(!check("alarms").ok && check("alarms").detail.contains("memory on rabbit@b"));
    assert!(!check("nodes_running").ok && check("nodes_running").detail.contains("rabbit@c"));
    let quorum = check("quorum_critical:");
    assert!(
        !quorum.ok && quorum.detail.contains("orders in /"),
        "{quorum:?}"
    );
    assert!(check("virtual_hosts").ok && check("listener:amqp").ok);
    assert!(check("deprecated_features").ok);
    assert_eq!(status.dead_letters, None, "--quick reads no queue figures");
}

/// A node that accepts the connection and never answers costs its card the fleet's budget,
/// and says so; it is not an error of the whole fleet.
#[tokio::test]
async fn a_silent_node_costs_its_card_the_budget_and_says_timeout() {
    use warren_core::fleet::{statuses, FleetOptions, Target};
    // Bound, never accepted from: the kernel completes the handshake, nobody answers.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hole.local_addr().unwrap().port();
    let opts = FleetOptions {
        budget: Duration::from_secs(2),
        ..FleetOptions::default()
    };
    let mut heard = vec![];
    let found = statuses(
        vec![Target {
            env: env(port),
            password: Ok(pw()),
            loaded: None,
        }],
        &opts,
        |s| heard.push(s.id.clone()),
    )
    .await;
    assert_eq!(heard, ["local"]);
    assert_eq!(found[0].error_kind, Some(BrokerErrorKind::Timeout));
    assert!(found[0].error.as_deref().unwrap().contains("budget"));
    assert!(
        found[0].took_ms >= 1900 && found[0].took_ms < 6000,
        "{}",
        found[0].took_ms
    );
    drop(hole);
}

/// A broker of tens of thousands of queues says nothing until it has built the whole listing
/// (18–32 s measured on 4.3 at 50,000): longer than a silent peer is given. The inventory gives
/// its requests an allowance by the overview's queue count; a small broker keeps the usual one.
#[tokio::test]
async fn a_listing_of_a_big_broker_may_take_longer_than_a_silent_peer_is_given() {
    fn broker(queues: u64) -> Behaviour {
        Arc::new(move |_, path| {
            if path.starts_with("/api/overview") {
                let body = format!(r#"{{"object_totals":{{"queues":{queues}}}}}"#);
                Some((200, body, Duration::ZERO))
            } else {
                let body = r#"[{"name":"a","vhost":"/","messages":3}]"#.to_string();
                Some((200, body, Duration::from_secs(12)))
            }
        })
    }
    let (big, small) = (stub(broker(50_000)).await, stub(broker(100)).await);
    let opts = InventoryOptions {
        strategy: warren_core::queues::inventory::Strategy::Unpaginated,
        early_first_page: false,
        ..Default::default()
    };
    let (big_client, small_client) = (
        ManagementClient::new(&env(big), pw()).unwrap(),
        ManagementClient::new(&env(small), pw()).unwrap(),
    );
    let (big, small) = tokio::join!(
        load_inventory(&big_client, &opts),
        load_inventory(&small_client, &opts)
    );
    let big = big.expect("the big broker's listing is waited for");
    assert_eq!(big.rows.len(), 1);
    assert_eq!(big.rows[0].messages, 3);
    let e = small.expect_err("a small broker silent for 12 s is a hung one");
    assert_eq!(e.kind, BrokerErrorKind::Timeout, "{}", e.message);
}

/// A big broker's scrape takes seconds (7–17 s at 50,000 queues on 4.3) while its definitions
/// take a fraction of one: every queue's name is shown first, its figures marked pending, and
/// the whole load then has them. The slow scrape is the stub's part.
#[tokio::test]
async fn names_come_first_when_the_scrape_is_slow() {
    let management = stub(Arc::new(|_, path| {
        if path.starts_with("/api/definitions") {
            let body = r#"{"queues":[{"name":"billing.acme","vhost":"/","durable":true,"auto_delete":false,"arguments":{"x-queue-type":"quorum"}}],"policies":[{"vhost":"/","name":"dlx","pattern":"^billing\\.","apply-to":"queues","priority":0,"definition":{"dead-letter-exchange":"dlx"}}],"parameters":[]}"#;
            Some((200, body.to_string(), Duration::ZERO))
        } else {
            Some((200, r#"{"object_totals":{"queues":1}}"#.into(), Duration::ZERO))
        }
    }))
    .await;
    let scrape =
        "rabbitmq_identity_info{rabbitmq_node=\"rabbit@stub\",rabbitmq_cluster=\"stub\"} 1\n\
rabbitmq_detailed_queue_messages{vhost=\"/\",queue=\"billing.acme\"} 7\n\
rabbitmq_detailed_queue_messages_ready{vhost=\"/\",queue=\"billing.acme\"} 7\n\
rabbitmq_detailed_queue_messages_unacked{vhost=\"/\",queue=\"billing.acme\"} 0\n\
rabbitmq_detailed_queue_consumers{vhost=\"/\",queue=\"billing.acme\"} 2\n";
    let prometheus = stub(Arc::new(move |_, _| {
        Some((200, scrape.to_string(), Duration::from_millis(1500)))
    }))
    .await;
    let mut env = env(management);
    env.prometheus_url = Some(format!("http://127.0.0.1:{prometheus}"));
    let opts = InventoryOptions {
        vhost: Some("/".into()),
        strategy: warren_core::queues::inventory::Strategy::DefinitionsPrometheus,
        prometheus: Some(
            warren_core::broker::prometheus::PrometheusClient::new(&env, Duration::from_secs(10))
                .unwrap(),
        ),
        early_first_page: false,
        ..Default::default()
    };
    let client = ManagementClient::new(&env, pw()).unwrap();
    let (whole, first) = common::load_with_first_views(&client, &opts).await;
    assert_eq!(first.len(), 1);
    let common::FirstView {
        rows,
        figures_pending: pending,
        total,
    } = &first[0];
    assert!(*pending, "the names came 1.5 s before the figures");
    assert_eq!(*total, 1);
    assert_eq!(rows[0].name, "billing.acme");
    assert_eq!(rows[0].queue_type, "quorum");
    assert_eq!(
        rows[0].dead_letter_exchange.as_deref(),
        Some("dlx"),
        "the policy, computed"
    );
    assert_eq!((rows[0].messages, rows[0].state.as_str()), (0, ""));
    assert_eq!(whole.rows[0].messages, 7);
    assert_eq!(whole.rows[0].consumers, 2);
    assert_eq!(whole.rows[0].state, "running");
}
