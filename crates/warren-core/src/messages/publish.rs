//! Publishing one message by hand to an exchange: properties, headers, a body given as JSON,
//! text or base64. With publisher confirms and `mandatory`: a message no queue receives comes
//! back and is an error, not a silent drop. Through the gate (refused on a read-only
//! environment, audited — with the body's SHA-256 and size, never the body).
//!
//! Requires write permission on the exchange. Modifies state.

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::Confirmation;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;

use super::{header_table, sha256_hex, MessageBody, MessageProperties};
use crate::audit::Action;
use crate::broker::{amqp, BrokerError, BrokerErrorKind};
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::guard::{guarded, WriteToken};

/// What to publish, as the window and `warren publish` give it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PublishRequest {
    pub vhost: String,
    /// The exchange; `""` is the default exchange (the routing key names a queue).
    pub exchange: String,
    pub routing_key: String,
    #[serde(default)]
    pub properties: MessageProperties,
    /// Headers as JSON (a string stays a string; see `messages::header_value` for the rest).
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    pub headers: serde_json::Map<String, Value>,
    /// JSON is validated and sent as written.
    pub body: MessageBody,
}

/// A message the broker confirmed and routed to at least one queue.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PublishReport {
    pub vhost: String,
    pub exchange: String,
    pub routing_key: String,
    /// The broker confirmed the message (publisher confirms).
    pub confirmed: bool,
    /// At least one queue received it (`mandatory`: an unroutable message is an error).
    pub routed: bool,
    #[ts(type = "number")]
    pub body_bytes: u64,
    /// SHA-256 of the body as sent (hex), as the audit log records it.
    pub body_sha256: String,
}

/// Publish `request` with confirms and `mandatory`. An unroutable message is `Unroutable`, a
/// nacked one a refusal. Requires write permission on the exchange. Modifies state (through
/// the gate: refused on a read-only environment, audited without the body).
pub async fn publish(
    env: &Environment,
    password: &SecretString,
    request: &PublishRequest,
) -> Result<PublishReport> {
    amqp::check_name("exchange name", &request.exchange)?;
    amqp::check_name("routing key", &request.routing_key)?;
    let body = request.body.bytes(false)?;
    let mut props = request.properties.into_basic()?;
    if !request.headers.is_empty() {
        props = props.with_headers(header_table(&request.headers, "headers")?);
    }
    let body_sha256 = sha256_hex(&body);
    let action = Action::new(
        "message.publish",
        Some(&request.vhost),
        vec![if request.exchange.is_empty() {
            "(default exchange)".to_string()
        } else {
            request.exchange.clone()
        }],
        json!({
            "exchange": request.exchange,
            "routing_key": request.routing_key,
            "properties": request.properties,
            "headers": request.headers.keys().collect::<Vec<_>>(),
            "body_bytes": body.len(),
            "body_sha256": body_sha256,
        }),
    );
    let counts = |r: &PublishReport| json!({ "confirmed": r.confirmed, "routed": r.routed });
    guarded(env, action, counts, |gate| async move {
        send(&gate, env, password, request, props, body, body_sha256).await
    })
    .await
}

async fn send(
    gate: &WriteToken,
    env: &Environment,
    password: &SecretString,
    request: &PublishRequest,
    props: lapin::BasicProperties,
    body: Vec<u8>,
    body_sha256: String,
) -> Result<PublishReport> {
    let vhost = request.vhost.as_str();
    let conn =
        amqp::connect_to_write(gate, env, password, Some(vhost), "publish a message").await?;
    let result = publish_confirmed(
        &conn,
        vhost,
        &request.exchange,
        &request.routing_key,
        props,
        &body,
        "",
    )
    .await;
    super::close_connection(&conn, "published").await;
    result?;
    Ok(PublishReport {
        vhost: vhost.to_string(),
        exchange: request.exchange.clone(),
        routing_key: request.routing_key.clone(),
        confirmed: true,
        routed: true,
        body_bytes: body.len() as u64,
        body_sha256,
    })
}

/// Publish one message on a fresh confirming channel of `conn` with `mandatory`, and wait for
/// the broker's answer: `Ok` only when it was confirmed and routed. `kept` ends the error
/// sentence of a refusal (what became of the message the caller holds). A missing exchange is
/// said as such.
pub(crate) async fn publish_confirmed(
    conn: &lapin::Connection,
    vhost: &str,
    exchange: &str,
    routing_key: &str,
    props: lapin::BasicProperties,
    body: &[u8],
    kept: &str,
) -> Result<()> {
    let failed = |what: &str, e: lapin::Error| -> Error {
        let text = e.to_string();
        if text.contains("NOT_FOUND") {
            BrokerError::new(
                BrokerErrorKind::NotFound,
                format!("there is no exchange `{exchange}` in vhost `{vhost}`{kept}"),
            )
            .into()
        } else if text.contains("ACCESS_REFUSED") {
            BrokerError::new(
                BrokerErrorKind::Refused,
                format!("the broker refused to let this user publish to exchange `{exchange}` in vhost `{vhost}` (it needs write permission on it){kept}: {text}"),
            )
            .into()
        } else {
            BrokerError::new(BrokerErrorKind::Other, format!("{what}: {text}{kept}")).into()
        }
    };
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| failed("open a channel", e))?;
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| failed("enable publisher confirms", e))?;
    let confirmation = ch
        .basic_publish(
            exchange.into(),
            routing_key.into(),
            BasicPublishOptions {
                mandatory: true,
                immediate: false,
            },
            body,
            props,
        )
        .await
        .map_err(|e| failed("publish", e))?
        .await
        .map_err(|e| failed("wait for the publisher confirm", e))?;
    let _ = tokio::time::timeout(super::CLOSE_WAIT, ch.close(200, "published".into())).await;
    match confirmation {
        Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
        Confirmation::Ack(Some(_)) => Err(Error::Unroutable {
            vhost: vhost.to_string(),
            exchange: exchange.to_string(),
            routing_key: routing_key.to_string(),
            kept: kept.to_string(),
        }),
        Confirmation::Nack(_) => Err(BrokerError::new(
            BrokerErrorKind::Refused,
            format!("the broker refused the message (publisher nack) at exchange `{exchange}` in vhost `{vhost}`{kept}"),
        )
        .into()),
    }
}
