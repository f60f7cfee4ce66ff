//! AMQP connections of an environment (lapin on tokio): node URLs tried in order, credentials
//! from the keyring, a bounded connect time, and failures turned into `BrokerError`s.

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::uri::AMQPUri;
use lapin::{Connection, ConnectionProperties};
use secrecy::{ExposeSecret, SecretString};

use super::{
    classify_transport, error_chain, none_reachable, tls, BrokerError, BrokerErrorKind,
    CONNECT_TIMEOUT,
};
use crate::environment::{validate_url, Environment};
use crate::guard::WriteToken;

/// The whole AMQP handshake (TCP, TLS, SASL, vhost) must finish within this.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Open a connection to the first node that accepts one. `vhost` overrides the URL's vhost.
/// Needs a user with access to that vhost. Does not modify state.
/// An AMQP connection for a change to the broker: only with the gate's token. (lapin's channels
/// cannot be restricted, so a connection opened with `connect` could publish too; every write
/// path opens its connection here, which is what review checks.)
/// Needs access to the vhost (no user tag). The caller modifies state.
pub async fn connect_to_write(
    _gate: &WriteToken,
    env: &Environment,
    password: &SecretString,
    vhost: Option<&str>,
    purpose: &str,
) -> Result<Connection, BrokerError> {
    connect(env, password, vhost, purpose).await
}

/// Needs access to the vhost (no user tag). Does not modify state.
pub async fn connect(
    env: &Environment,
    password: &SecretString,
    vhost: Option<&str>,
    purpose: &str,
) -> Result<Connection, BrokerError> {
    let tls_config = tls::amqp_tls_config(&env.tls)?;
    let mut first_error: Option<BrokerError> = None;
    for raw in &env.amqp_urls {
        let shown = validate_url(raw, &["amqp", "amqps"])
            .map_err(|m| BrokerError::new(BrokerErrorKind::Other, m))?;
        // Through the environment's jump host, if any (the URL shown stays the broker's).
        let reached = match &env.ssh {
            Some(jump) => super::tunnel::local_url(&env.id, Some(jump), &shown, env.tls.verify)
                .await?
                .to_string(),
            None => raw.trim().to_string(),
        };
        let mut uri: AMQPUri = reached.parse().map_err(|e: String| {
            BrokerError::new(
                BrokerErrorKind::Other,
                format!("`{shown}` is not a valid AMQP URL: {e}"),
            )
        })?;
        uri.authority.userinfo.username = env.username.clone();
        uri.authority.userinfo.password = password.expose_secret().to_string();
        if let Some(v) = vhost {
            uri.vhost = v.to_string();
        }
        uri.query.connection_timeout = Some(CONNECT_TIMEOUT.as_millis() as u64);
        let vhost_shown = uri.vhost.clone();
        let properties = ConnectionProperties::default()
            .with_connection_name(format!("warren: {purpose}").into());
        let builder = lapin::DefaultConnectionBuilder::new()
            .map_err(|e| {
                BrokerError::new(
                    BrokerErrorKind::Other,
                    format!("no async runtime for AMQP: {e}"),
                )
            })?
            .with_uri(uri)
            .with_properties(properties)
            .with_tls_config(tls_config.clone());
        let attempt = tokio::time::timeout(HANDSHAKE_TIMEOUT, builder.connect()).await;
        let error = match attempt {
            Ok(Ok(conn)) => return Ok(conn),
            Ok(Err(e)) => classify(&e, shown.as_str(), &env.username, &vhost_shown),
            Err(_) => BrokerError::new(
                BrokerErrorKind::Timeout,
                format!("no AMQP answer from {shown} within {} s: the host is unreachable, a firewall drops the traffic, or it is not an AMQP port", HANDSHAKE_TIMEOUT.as_secs()),
            ),
        };
        // Credentials and vhost rights are the cluster's answer: another node says the same.
        if !matches!(
            error.kind,
            BrokerErrorKind::Unreachable
                | BrokerErrorKind::Timeout
                | BrokerErrorKind::Dns
                | BrokerErrorKind::TlsMismatch
        ) {
            return Err(error);
        }
        first_error.get_or_insert(error);
    }
    let Some(e) = first_error else {
        return Err(BrokerError::new(
            BrokerErrorKind::Other,
            format!("environment `{}` has no AMQP URL: add one in its settings (`warren env edit {} --amqp-url URL`)", env.id, env.id),
        ));
    };
    Err(none_reachable(e, env.amqp_urls.len()))
}

fn classify(e: &lapin::Error, endpoint: &str, username: &str, vhost: &str) -> BrokerError {
    let chain = error_chain(e);
    let upper = chain.to_uppercase();
    if upper.contains("ACCESS_REFUSED") && upper.contains("LOGIN")
        || upper.contains("AUTHENTICATION FAILURE")
    {
        BrokerError::new(
            BrokerErrorKind::WrongCredentials,
            format!("wrong user name or password for `{username}` at {endpoint} (the broker refused the AMQP login). Re-enter the password in the environment's settings"),
        )
    } else if upper.contains("NOT_ALLOWED")
        || upper.contains("ACCESS_REFUSED") && upper.contains("VHOST")
    {
        BrokerError::new(
            BrokerErrorKind::VhostAccessRefused,
            format!("user `{username}` may not open vhost `{vhost}` at {endpoint}: grant it permissions on that vhost, or pick another vhost"),
        )
    } else if upper.contains("INVALIDPROTOCOLVERSION")
        || upper.contains("PARSING")
        || upper.contains("INVALID PROTOCOL")
    {
        BrokerError::new(
            BrokerErrorKind::NotRabbitmq,
            format!("{endpoint} does not speak AMQP 0-9-1: is this the AMQP port (usually 5672, or 5671 for amqps)?"),
        )
    } else {
        classify_transport(&chain, endpoint)
    }
}

/// AMQP 0-9-1 carries queue names, exchange names and routing keys as short strings of at most
/// 255 bytes, and lapin panics on a longer one: every name is checked here before it reaches
/// lapin, whether it comes from an argument, a file or a message's headers.
pub const SHORT_STRING_MAX: usize = 255;

/// `Ok` when `name` fits an AMQP short string; else an error naming `what` and the length.
pub fn check_name(what: &str, name: &str) -> Result<(), BrokerError> {
    if name.len() > SHORT_STRING_MAX {
        let start: String = name.chars().take(40).collect();
        return Err(BrokerError::new(
            BrokerErrorKind::Refused,
            format!(
                "the {what} `{start}…` is {} bytes long; AMQP allows at most {SHORT_STRING_MAX}, so no broker can have one: check the name",
                name.len()
            ),
        ));
    }
    Ok(())
}

/// Exact depth by a passive declare on a channel of its own (a missing queue closes it; the
/// management API's counts lag a few seconds). Needs access to the vhost (no user tag). Does
/// not modify state.
pub async fn queue_depth(conn: &Connection, vhost: &str, queue: &str) -> Result<u64, BrokerError> {
    check_name("queue name", queue)?;
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| BrokerError::new(BrokerErrorKind::Other, format!("open a channel: {e}")))?;
    let depth = passive_depth(&ch, queue).await.map_err(|_| {
        BrokerError::new(
            BrokerErrorKind::Refused,
            format!("there is no queue `{queue}` in vhost `{vhost}`"),
        )
    })?;
    let _ = ch.close(200, "ok".into()).await;
    Ok(u64::from(depth))
}

/// How long Warren waits for messages it gave back to count in their queue's depth again.
pub const GIVE_BACK_SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// Wait, at most `within`, until `queue` counts at least `at_least` ready messages again.
///
/// Why: a requeue (a nack, or a channel closing over unacked deliveries) is queued at the
/// queue process behind a depth read, which the broker answers first (it is a priority call).
/// A read just after Warren gave messages back could then see the queue without them: a
/// replay started at once would take the queue for empty, or stop short. A queue with
/// consumers (a worker queue peeked) is not waited for: they take messages meanwhile, so the
/// count says nothing about what Warren gave back. Anyone else may consume too, so this gives
/// up after `within` rather than wait for a count that never comes.
pub async fn wait_until_counted(
    conn: &Connection,
    queue: &str,
    at_least: u64,
    within: std::time::Duration,
) {
    let Ok(ch) = conn.create_channel().await else {
        return;
    };
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match passive(&ch, queue).await {
            Ok(q) if u64::from(q.message_count()) < at_least && q.consumer_count() == 0 => {}
            _ => break,
        }
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = ch.close(200, "ok".into()).await;
}

/// A passive declare of `queue` on `ch`: its depth and consumer count, exact and now (a
/// missing queue closes the channel). Modifies nothing.
pub async fn passive(ch: &lapin::Channel, queue: &str) -> Result<lapin::Queue, lapin::Error> {
    let options = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    ch.queue_declare(queue.into(), options, FieldTable::default())
        .await
}

/// A queue's depth by a passive declare on `ch` (a missing queue closes the channel).
pub async fn passive_depth(ch: &lapin::Channel, queue: &str) -> Result<u32, lapin::Error> {
    Ok(passive(ch, queue).await?.message_count())
}

/// Consume `queue` with manual acks and at most `prefetch` unacked deliveries.
pub async fn consume(
    ch: &lapin::Channel,
    queue: &str,
    consumer_tag: &str,
    prefetch: u16,
) -> Result<lapin::Consumer, lapin::Error> {
    ch.basic_qos(prefetch, lapin::options::BasicQosOptions::default())
        .await?;
    ch.basic_consume(
        queue.into(),
        consumer_tag.into(),
        lapin::options::BasicConsumeOptions::default(),
        FieldTable::default(),
    )
    .await
}
