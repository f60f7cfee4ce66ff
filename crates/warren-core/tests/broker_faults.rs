//! Broker misbehaviour a real broker will not produce on demand: HTTP 500s, truncated JSON, a
//! slow answer, a node that stops answering half-way through a listing. A stub HTTP server on
//! loopback plays the management API (the only place mocks are allowed: faults). Warren must
//! give a clear error, mark partial results, and keep working.

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
