//! The broker under test: `WARREN_TEST_BROKER=LINE=MANAGEMENT_URL,AMQP_URL`, e.g.
//! `4.3=http://127.0.0.1:15674,amqp://127.0.0.1:5674` (`scripts/brokers env 4.3` prints it);
//! unset, the system's 3.10 on 127.0.0.1 (management 15672, AMQP 5672). Also its node's
//! `rabbitmqctl`, and names unique to a test.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

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

/// True when the line under test is `major.minor` or later.
pub fn line_at_least(major: u32, minor: u32) -> bool {
    let mut parts = broker_line()
        .split('.')
        .map(|n| n.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (major, minor)
}

/// Says that a check does not apply to the line under test (the test still passes).
pub fn skip(why: &str) {
    println!("skipped on {}: {why}", broker_line());
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

/// `name` percent-encoded for a URL path segment or an AMQP URI's vhost.
pub fn enc(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `amqp://guest:guest@HOST:PORT/<vhost>` for a raw lapin connection.
pub fn amqp_uri_for(vhost: &str) -> String {
    let (scheme, rest) = amqp_url().split_once("://").unwrap();
    format!("{scheme}://guest:guest@{rest}/{}", enc(vhost))
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
