//! Talking to a broker: the management HTTP API (`management.rs`), AMQP (`amqp.rs`), TLS set-up
//! shared by both (`tls.rs`), and the errors an operator can act on (`BrokerError`).

pub mod admin;
pub mod amqp;
pub mod management;
pub mod prometheus;
pub mod tls;
pub mod tunnel;

use serde::Serialize;
use ts_rs::TS;

/// What went wrong when talking to a broker, as a stable name the UI and scripts can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BrokerErrorKind {
    /// Nothing listens on the port (connection refused) or the host cannot be reached.
    Unreachable,
    /// No answer in time.
    Timeout,
    /// The host name does not resolve.
    Dns,
    /// The broker rejected the user name or password.
    WrongCredentials,
    /// The user exists but lacks the tag the management API needs.
    MissingManagementTag,
    /// The user may not open the environment's vhost over AMQP.
    VhostAccessRefused,
    /// Something answers on the port, but not the management API (404, plugin off, wrong path).
    ManagementNotEnabled,
    /// The server certificate failed verification (unknown CA, expired, wrong host name).
    TlsVerification,
    /// One side speaks TLS and the other does not (amqps:// on a plain port, or the reverse).
    TlsMismatch,
    /// The endpoint answers, but it is not RabbitMQ.
    NotRabbitmq,
    /// A CA bundle or client certificate/key file could not be read or parsed.
    TlsFiles,
    /// The broker refused the request for another reason (permissions, bad request...).
    Refused,
    /// The management API answers, but the thing asked for does not exist (a vhost, a queue).
    NotFound,
    /// The SSH jump host refused the login, the key, or its handshake failed.
    Ssh,
    /// The jump host's key is not in known_hosts (never trusted silently).
    HostKeyUnknown,
    /// The jump host's key differs from the one known_hosts records for it.
    HostKeyChanged,
    /// The broker or the connection failed in an unexpected way.
    Other,
}

impl BrokerErrorKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            BrokerErrorKind::Unreachable => "unreachable",
            BrokerErrorKind::Timeout => "timeout",
            BrokerErrorKind::Dns => "dns",
            BrokerErrorKind::WrongCredentials => "wrong_credentials",
            BrokerErrorKind::MissingManagementTag => "missing_management_tag",
            BrokerErrorKind::VhostAccessRefused => "vhost_access_refused",
            BrokerErrorKind::ManagementNotEnabled => "management_not_enabled",
            BrokerErrorKind::TlsVerification => "tls_verification",
            BrokerErrorKind::TlsMismatch => "tls_mismatch",
            BrokerErrorKind::NotRabbitmq => "not_rabbitmq",
            BrokerErrorKind::TlsFiles => "tls_files",
            BrokerErrorKind::Refused => "refused",
            BrokerErrorKind::NotFound => "not_found",
            BrokerErrorKind::Ssh => "ssh",
            BrokerErrorKind::HostKeyUnknown => "host_key_unknown",
            BrokerErrorKind::HostKeyChanged => "host_key_changed",
            BrokerErrorKind::Other => "other",
        }
    }
}

/// A broker error: its kind and a sentence naming the endpoint, the cause and what to do.
/// Built only from URLs without credentials, so it never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, TS)]
#[error("{message}")]
#[ts(export)]
pub struct BrokerError {
    pub kind: BrokerErrorKind,
    pub message: String,
}

impl BrokerError {
    pub fn new(kind: BrokerErrorKind, message: impl Into<String>) -> Self {
        BrokerError {
            kind,
            message: message.into(),
        }
    }
}

/// How long to wait for a TCP connect before saying the host is unreachable. An operator
/// clicking "Test connection" must get an answer within 5 s, never a hang.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(4);
/// The longest a connection test's request may take: an answer within 5 s, never a hang.
pub const TEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// A peer that accepted the connection but has sent nothing for this long is silent (a hung
/// node, a proxy holding the request): every request gives up then, even a long listing
/// (which keeps sending bytes while it is alive).
pub const SILENT_PEER: std::time::Duration = std::time::Duration::from_secs(10);
/// The longest a single management request may take.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);
/// Calls that delete many queues at once (a whole vhost).
pub const BULK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// The text of an error and all its sources, to classify errors that only say what they are in
/// a nested cause (hyper inside reqwest, io inside lapin, rustls inside both).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The environment lists no management URL (a config written by hand; the form requires one).
pub(crate) const NO_MANAGEMENT_URL: &str = "the environment has no management URL: add one in its settings (`warren env edit ID --management-url URL`)";

/// What a call that tried each of `nodes` node URLs in turn reports when none could be
/// reached: the first one's error, saying the others failed too.
pub(crate) fn none_reachable(mut first: BrokerError, nodes: usize) -> BrokerError {
    if nodes > 1 {
        first.message.push_str(&format!(
            " (the other {} node URL(s) failed too)",
            nodes - 1
        ));
    }
    first
}

/// Classify a transport-level failure (TCP, DNS, TLS) from the text of its error chain; both
/// reqwest and lapin bury the io/rustls cause several sources deep.
pub(crate) fn classify_transport(chain: &str, endpoint: &str) -> BrokerError {
    let lower = chain.to_lowercase();
    if lower.contains("connection refused") {
        BrokerError::new(
            BrokerErrorKind::Unreachable,
            format!("connection refused at {endpoint}: nothing listens on that port. Check the host and port, and that the broker (or its plugin) is running"),
        )
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
        || lower.contains("no address associated")
        || lower.contains("temporary failure in name resolution")
    {
        BrokerError::new(
            BrokerErrorKind::Dns,
            format!(
                "cannot resolve the host of {endpoint}: check the host name (DNS lookup failed)"
            ),
        )
    } else if lower.contains("invalidcertificate")
        || lower.contains("invalid peer certificate")
        || lower.contains("unknownissuer")
        || lower.contains("certificate verify failed")
        || lower.contains("notvalidforname")
        || lower.contains("certificate expired")
    {
        BrokerError::new(
            BrokerErrorKind::TlsVerification,
            format!("TLS verification failed for {endpoint}: the server certificate is not trusted ({}). Add its CA bundle to the environment's TLS settings, or fix the host name", short_tls_reason(chain)),
        )
    } else if lower.contains("invalid http version")
        || lower.contains("http/0.9")
        || lower.contains("invalid http")
    {
        let tls = endpoint.starts_with("https:");
        BrokerError::new(
            if tls { BrokerErrorKind::TlsMismatch } else { BrokerErrorKind::NotRabbitmq },
            format!("{endpoint} answers, but not with HTTP: is this the AMQP port instead of the management port (usually 15672)?"),
        )
    } else if lower.contains("invalidcontenttype")
        || lower.contains("corrupt message")
        || lower.contains("received corrupt")
        || lower.contains("wrong version number")
        || lower.contains("invalidmessage")
    {
        BrokerError::new(
            BrokerErrorKind::TlsMismatch,
            format!("TLS mismatch at {endpoint}: the client and the server disagree on TLS (https/amqps against a plain port, or the reverse). Check the URL scheme and port"),
        )
    } else if lower.contains("timed out")
        || lower.contains("timeout")
        || lower.contains("deadline has elapsed")
    {
        BrokerError::new(
            BrokerErrorKind::Timeout,
            format!("no answer from {endpoint} in time: the host is unreachable, a firewall drops the traffic, or the service there hangs"),
        )
    } else if lower.contains("no route to host")
        || lower.contains("network is unreachable")
        || lower.contains("host is unreachable")
    {
        BrokerError::new(
            BrokerErrorKind::Unreachable,
            format!("{endpoint} is unreachable (no route to host): check the address and your VPN"),
        )
    } else if lower.contains("connection reset")
        || lower.contains("unexpected eof")
        || lower.contains("connection closed before message completed")
    {
        BrokerError::new(
            BrokerErrorKind::NotRabbitmq,
            format!("{endpoint} closed the connection without answering: it is probably not the right port for this protocol"),
        )
    } else {
        BrokerError::new(
            BrokerErrorKind::Other,
            format!("cannot talk to {endpoint}: {chain}"),
        )
    }
}

fn short_tls_reason(chain: &str) -> String {
    let lower = chain.to_lowercase();
    if lower.contains("unknownissuer") {
        "unknown issuer".into()
    } else if lower.contains("notvalidforname") {
        "certificate not valid for this host name".into()
    } else if lower.contains("expired") {
        "certificate expired".into()
    } else {
        // Keep rustls's own words (e.g. "CaUsedAsEndEntity"): nothing in them is secret.
        chain
            .rsplit(": ")
            .next()
            .unwrap_or("invalid certificate")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_connections_are_unreachable() {
        let e = classify_transport("error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)", "http://h:1");
        assert_eq!(e.kind, BrokerErrorKind::Unreachable);
        assert!(e.message.contains("http://h:1"));
    }

    #[test]
    fn unknown_issuers_are_tls_verification_failures() {
        let e = classify_transport("invalid peer certificate: UnknownIssuer", "https://h");
        assert_eq!(e.kind, BrokerErrorKind::TlsVerification);
        assert!(e.message.contains("unknown issuer"));
    }

    #[test]
    fn dns_failures_say_so() {
        let e = classify_transport(
            "dns error: failed to lookup address information: Name or service not known",
            "http://nope",
        );
        assert_eq!(e.kind, BrokerErrorKind::Dns);
    }
}
