//! Shared set-up for integration tests against a real RabbitMQ, guest/guest. Each test makes its
//! own vhost/users and removes them.
//!
//! The broker is chosen by `WARREN_TEST_BROKER=LINE=MANAGEMENT_URL,AMQP_URL`, e.g.
//! `4.3=http://127.0.0.1:15674,amqp://127.0.0.1:5674` (`scripts/brokers env 4.3` prints it);
//! unset, it is the system's 3.10 on 127.0.0.1 (management 15672, AMQP 5672).
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use rabbitmq_http_client::api::Client;
use rabbitmq_http_client::requests::{Permissions, UserParams, VirtualHostParams};
use secrecy::SecretString;
use warren_core::Environment;

pub const DEFAULT_BROKER: &str = "3.10=http://127.0.0.1:15672,amqp://127.0.0.1:5672";

/// One broker line under test.
#[derive(Debug, Clone)]
pub struct Broker {
    /// "3.10", "4.0", "4.3": what `scripts/brokers` calls the line.
    pub line: String,
    /// Without a trailing slash, e.g. `http://127.0.0.1:15674`.
    pub management_url: String,
    pub amqp_url: String,
}

impl Broker {
    pub fn parse(spec: &str) -> Result<Broker, String> {
        let bad = || {
            format!("WARREN_TEST_BROKER={spec:?}: expected LINE=MANAGEMENT_URL,AMQP_URL, e.g. {DEFAULT_BROKER}")
        };
        let (line, urls) = spec.trim().split_once('=').ok_or_else(bad)?;
        let (management, amqp) = urls.split_once(',').ok_or_else(bad)?;
        let (line, management, amqp) = (line.trim(), management.trim(), amqp.trim());
        if line.is_empty() || !management.starts_with("http") || !amqp.starts_with("amqp") {
            return Err(bad());
        }
        Ok(Broker {
            line: line.to_string(),
            management_url: management.trim_end_matches('/').to_string(),
            amqp_url: amqp.trim_end_matches('/').to_string(),
        })
    }
}

/// The broker the tests run against (`WARREN_TEST_BROKER`, else the local 3.10).
pub fn broker() -> &'static Broker {
    static B: OnceLock<Broker> = OnceLock::new();
    B.get_or_init(|| {
        let spec = std::env::var("WARREN_TEST_BROKER")
            .ok()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_BROKER.to_string());
        Broker::parse(&spec).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// "3.10", "4.0" or "4.3", for assertions that differ between lines.
pub fn broker_line() -> &'static str {
    &broker().line
}

/// True on RabbitMQ 4.x.
pub fn is_4x() -> bool {
    broker_line().starts_with('4')
}

/// `http://127.0.0.1:15672`: the management API's base, without a trailing slash.
pub fn management_url() -> &'static str {
    &broker().management_url
}

/// `amqp://127.0.0.1:5672`, without a vhost.
pub fn amqp_url() -> &'static str {
    &broker().amqp_url
}

fn port_of(url: &str) -> u16 {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_port = rest.split('/').next().unwrap_or_default();
    let host_port = host_port.rsplit('@').next().unwrap_or_default();
    host_port
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {url}"))
}

pub fn management_port() -> u16 {
    port_of(management_url())
}

pub fn amqp_port() -> u16 {
    port_of(amqp_url())
}

/// `amqp://guest:guest@HOST:PORT/<vhost>` for a raw lapin connection.
pub fn amqp_uri_for(vhost: &str) -> String {
    let (scheme, rest) = amqp_url().split_once("://").unwrap();
    format!(
        "{scheme}://guest:guest@{rest}/{}",
        percent_encoding::utf8_percent_encode(vhost, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// The built-in `local` environment, pointed at the broker under test.
pub fn local() -> Environment {
    let mut env = Environment::local_default();
    env.management_urls = vec![management_url().to_string()];
    env.amqp_urls = vec![amqp_url().to_string()];
    env
}

pub fn guest() -> SecretString {
    SecretString::from("guest")
}

pub fn admin() -> Client<&'static str, &'static str, &'static str> {
    static API: OnceLock<String> = OnceLock::new();
    warren_core::broker::tls::install_crypto_provider();
    Client::new(
        API.get_or_init(|| format!("{}/api", management_url()))
            .as_str(),
        "guest",
        "guest",
    )
}

/// `rabbitmqctl ARGS…` against the broker under test's node (`scripts/brokers ctl LINE …`:
/// the system's rabbitmqctl for 3.10, the chroot's for 4.x). Exact counts, `stop_app`/`start_app`.
/// Panics when it fails; returns its stdout.
pub fn rabbitmqctl(args: &[&str]) -> String {
    let out = rabbitmqctl_output(args);
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?} on {}: {}{}",
        broker_line(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `rabbitmqctl` as [`rabbitmqctl`], whatever its exit status.
pub fn rabbitmqctl_output(args: &[&str]) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/brokers");
    std::process::Command::new(script)
        .arg("ctl")
        .arg(broker_line())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{script}: {e}"))
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
            "{}/api/vhosts/{}",
            management_url(),
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
