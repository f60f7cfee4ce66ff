//! Shared set-up for integration tests against the real RabbitMQ on 127.0.0.1 (management on
//! 15672, AMQP on 5672, guest/guest). Each test makes its own vhost/users and removes them.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use rabbitmq_http_client::api::Client;
use rabbitmq_http_client::requests::{Permissions, UserParams, VirtualHostParams};
use secrecy::SecretString;
use warren_core::Environment;

pub fn local() -> Environment {
    Environment::local_default()
}

pub fn guest() -> SecretString {
    SecretString::from("guest")
}

pub fn admin() -> Client<&'static str, &'static str, &'static str> {
    warren_core::broker::tls::install_crypto_provider();
    Client::new("http://127.0.0.1:15672/api", "guest", "guest")
}

/// A name unique to this test process and call, so parallel tests never share a resource.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

pub async fn create_vhost(name: &str) {
    admin()
        .create_vhost(&VirtualHostParams {
            name,
            description: None,
            tags: None,
            default_queue_type: None,
            tracing: false,
        })
        .await
        .expect("create test vhost");
    admin()
        .declare_permissions(&Permissions {
            user: "guest",
            vhost: name,
            configure: ".*",
            read: ".*",
            write: ".*",
        })
        .await
        .expect("grant guest on test vhost");
}

pub async fn delete_vhost(name: &str) {
    admin()
        .delete_vhost(name, true)
        .await
        .expect("delete test vhost");
}

/// A user with the given tags (comma-separated, may be empty) and the given password.
pub async fn create_user(name: &str, password: &str, tags: &str) {
    let salt = rabbitmq_http_client::password_hashing::salt();
    let hash = rabbitmq_http_client::password_hashing::base64_encoded_salted_password_hash_sha256(
        &salt, password,
    );
    admin()
        .create_user(&UserParams {
            name,
            password_hash: &hash,
            tags,
        })
        .await
        .expect("create test user");
}

pub async fn grant(user: &str, vhost: &str) {
    admin()
        .declare_permissions(&Permissions {
            user,
            vhost,
            configure: ".*",
            read: ".*",
            write: ".*",
        })
        .await
        .expect("grant permissions");
}

pub async fn delete_user(name: &str) {
    admin()
        .delete_user(name, true)
        .await
        .expect("delete test user");
}

/// Deletes its vhost when dropped, also when the test panics half-way (a failed test must not
/// leave thousands of queues behind). Drop cannot await, so it asks curl.
pub struct VhostGuard(pub String);

impl Drop for VhostGuard {
    fn drop(&mut self) {
        let url = format!(
            "http://127.0.0.1:15672/api/vhosts/{}",
            percent_encoding::utf8_percent_encode(&self.0, percent_encoding::NON_ALPHANUMERIC)
        );
        let _ = std::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-u",
                "guest:guest",
                "-X",
                "DELETE",
                &url,
            ])
            .status();
    }
}

/// Exact depth of a queue via a passive declare (the management API's counts lag).
pub async fn depth(ch: &lapin::Channel, q: &str) -> u32 {
    use lapin::options::QueueDeclareOptions;
    ch.queue_declare(
        q.into(),
        QueueDeclareOptions {
            passive: true,
            ..Default::default()
        },
        lapin::types::FieldTable::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("queue {q}: {e}"))
    .message_count()
}

/// A fresh vhost for one test (guest may use it), an AMQP connection to it, and its removal
/// when the test ends, passed or not.
pub struct TestVhost {
    pub name: String,
    pub conn: lapin::Connection,
    _cleanup: VhostGuard,
}

impl TestVhost {
    pub async fn new(prefix: &str) -> TestVhost {
        let name = unique(prefix);
        create_vhost(&name).await;
        let cleanup = VhostGuard(name.clone());
        let conn = warren_core::broker::amqp::connect(&local(), &guest(), Some(&name), prefix)
            .await
            .expect("connect to the test vhost");
        TestVhost {
            name,
            conn,
            _cleanup: cleanup,
        }
    }
}
