//! A dead-lettered message as the window and `warren dlq show` present it: properties, headers
//! (as JSON, every AMQP type kept recognisable), the decoded `x-death` history, Warren's replay
//! mark, and the body as pretty JSON, text or hex — never more than a preview of a big body, so
//! a 10 MB message cannot freeze the window.

use lapin::types::{AMQPValue, FieldTable};
use lapin::BasicProperties;
use serde::Serialize;
use serde_json::{json, Map, Value};
use ts_rs::TS;

use super::framework::{self, DeadLetterKind, FrameworkFailure};
use super::xdeath::{self, Death, DeathSummary, ReplayMark};

/// At most this much of a body is shown.
pub const PREVIEW_BYTES: usize = 64 * 1024;
/// Bodies up to this size are parsed as JSON to pretty-print them.
const PRETTY_JSON_LIMIT: usize = 1024 * 1024;
/// A binary body's hex dump covers this much.
const HEX_BYTES: usize = 4 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BodyKind {
    Json,
    Text,
    Binary,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct BodyPreview {
    pub kind: BodyKind,
    /// Bytes in the whole body.
    #[ts(type = "number")]
    pub size: u64,
    /// Pretty JSON, the text, or a hex dump of the first bytes.
    pub preview: String,
    /// The preview covers only the start of the body.
    pub truncated: bool,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct DeadLetter {
    /// Position in the queue when it was read (0 = head).
    pub position: u32,
    /// Identifies this message in a selection (a hash of its id, body and first death), so a
    /// replay of "the selected messages" can recognise them when it reads the queue again.
    pub key: String,
    /// The delivery's exchange and routing key: where it was dead-lettered to.
    pub exchange: String,
    pub routing_key: String,
    pub redelivered: bool,
    #[ts(type = "Record<string, unknown>")]
    pub properties: Map<String, Value>,
    /// Headers other than `x-death`, as JSON.
    #[ts(type = "Record<string, unknown>")]
    pub headers: Map<String, Value>,
    pub deaths: Vec<Death>,
    /// A malformed `x-death` header: what is wrong and where.
    pub death_error: Option<String>,
    pub first_death: Option<DeathSummary>,
    pub last_death: Option<DeathSummary>,
    pub replay: Option<ReplayMark>,
    /// Who put it here: the broker's dead-lettering (it has `x-death`) or a framework's error
    /// handling (its failure headers, see `failure`).
    pub kind: DeadLetterKind,
    /// A framework's failure headers decoded (also on a broker dead letter that carries them).
    pub failure: Option<FrameworkFailure>,
    /// The queue it died in (newest death, else the framework's record of it), where "replay to
    /// origin" sends it; Spring through a named exchange: `exchange/routing-key`.
    pub origin: Option<String>,
    /// The broker's reason, or the framework's exception message.
    pub reason: Option<String>,
    /// The origin's realm and worker by the environment's template.
    pub realm: Option<String>,
    pub worker: Option<String>,
    /// Quorum queues: `x-delivery-count` as delivered (returns counted against the delivery
    /// limit before this read); `None` when the header is absent (never returned yet).
    #[ts(optional, type = "number")]
    pub delivery_count: Option<u64>,
    /// Quorum queues with a delivery limit, filled by a browse: how many more reads the
    /// message survives after this one (0: the next read drops or dead-letters it).
    #[ts(optional, type = "number")]
    pub reads_left: Option<u64>,
    pub body: BodyPreview,
}

/// An AMQP value as JSON. Strings and numbers map directly; the types JSON lacks are tagged
/// (`{"$bytes": "hex"}`, `{"$timestamp": n}`, `{"$decimal": "1.25"}`) so nothing reads as
/// something it is not.
pub fn value_json(v: &AMQPValue) -> Value {
    match v {
        AMQPValue::Boolean(b) => json!(b),
        AMQPValue::Float(f) => json!(f),
        AMQPValue::Double(f) => json!(f),
        AMQPValue::DecimalValue(d) => {
            json!({ "$decimal": format!("{}e-{}", d.value, d.scale) })
        }
        AMQPValue::ShortString(s) => json!(s.as_str()),
        AMQPValue::LongString(s) => match std::str::from_utf8(s.as_bytes()) {
            Ok(t) => json!(t),
            Err(_) => json!({ "$bytes": hex(s.as_bytes(), usize::MAX) }),
        },
        AMQPValue::FieldArray(a) => Value::Array(a.as_slice().iter().map(value_json).collect()),
        AMQPValue::Timestamp(t) => json!({ "$timestamp": t }),
        AMQPValue::FieldTable(t) => Value::Object(table_json(t)),
        AMQPValue::ByteArray(b) => json!({ "$bytes": hex(b.as_slice(), usize::MAX) }),
        AMQPValue::Void => Value::Null,
        other => xdeath::as_int(other).map_or(Value::Null, |i| json!(i)),
    }
}

pub fn table_json(t: &FieldTable) -> Map<String, Value> {
    t.inner()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), value_json(v)))
        .collect()
}

pub fn properties_json(p: &BasicProperties) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put(
        "content_type",
        p.content_type().as_ref().map(|s| json!(s.as_str())),
    );
    put(
        "content_encoding",
        p.content_encoding().as_ref().map(|s| json!(s.as_str())),
    );
    put("delivery_mode", p.delivery_mode().map(|v| json!(v)));
    put("priority", p.priority().map(|v| json!(v)));
    put(
        "correlation_id",
        p.correlation_id().as_ref().map(|s| json!(s.as_str())),
    );
    put("reply_to", p.reply_to().as_ref().map(|s| json!(s.as_str())));
    put(
        "expiration",
        p.expiration().as_ref().map(|s| json!(s.as_str())),
    );
    put(
        "message_id",
        p.message_id().as_ref().map(|s| json!(s.as_str())),
    );
    put("timestamp", p.timestamp().map(|v| json!(v)));
    put("type", p.kind().as_ref().map(|s| json!(s.as_str())));
    put("user_id", p.user_id().as_ref().map(|s| json!(s.as_str())));
    put("app_id", p.app_id().as_ref().map(|s| json!(s.as_str())));
    m
}

fn hex(bytes: &[u8], max: usize) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len().min(max) * 3);
    for (i, b) in bytes.iter().take(max).enumerate() {
        if i > 0 {
            s.push(if i % 16 == 0 { '\n' } else { ' ' });
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The longest prefix of `bytes` up to `max` that is valid UTF-8, if the whole prefix is text
/// (a multi-byte character cut by the limit is dropped, anything else invalid means binary).
fn text_prefix(bytes: &[u8], max: usize) -> Option<&str> {
    let head = &bytes[..bytes.len().min(max)];
    match std::str::from_utf8(head) {
        Ok(t) => Some(t),
        Err(e) if e.error_len().is_none() && head.len() < bytes.len() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).ok()
        }
        Err(_) => None,
    }
    .filter(|t| !t.chars().any(|c| c.is_control() && !c.is_whitespace()))
}

pub fn body_preview(body: &[u8]) -> BodyPreview {
    let size = body.len() as u64;
    if body.len() <= PRETTY_JSON_LIMIT && matches!(body.first(), Some(b'{' | b'[')) {
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            let pretty = serde_json::to_string_pretty(&v).unwrap_or_default();
            if pretty.len() <= PREVIEW_BYTES {
                return BodyPreview {
                    kind: BodyKind::Json,
                    size,
                    preview: pretty,
                    truncated: false,
                };
            }
        }
    }
    if let Some(t) = text_prefix(body, PREVIEW_BYTES) {
        return BodyPreview {
            kind: BodyKind::Text,
            size,
            truncated: t.len() < body.len(),
            preview: t.to_string(),
        };
    }
    BodyPreview {
        kind: BodyKind::Binary,
        size,
        truncated: body.len() > HEX_BYTES,
        preview: hex(body, HEX_BYTES),
    }
}

/// A stable key for a message: its id, its body and its first death (time and queue).
pub fn message_key(props: &BasicProperties, body: &[u8], deaths: &[Death]) -> String {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    if let Some(id) = props.message_id() {
        h.write(id.as_str().as_bytes());
    }
    h.write_u8(0);
    h.write(body);
    if let Some(d) = deaths.last() {
        h.write(d.queue.as_bytes());
        h.write_i64(d.time.unwrap_or(0));
    }
    format!("{:016x}", h.finish())
}

/// The queue a message died in most recently and why: `x-last-death-*` where the broker sets it
/// (3.12+, and on 4.x the only record a republished message's death is sure to update: 4.x
/// ignores an `x-death` a client publishes), else `x-death[0]`; with no death record, a
/// framework's failure headers (MassTransit's input address, NServiceBus's failed queue,
/// Spring's original exchange and key) and its exception message; neither, no origin.
/// The broker's record wins when a message carries both.
pub fn origin_of(headers: Option<&FieldTable>, deaths: &[Death]) -> Option<(String, String)> {
    xdeath::last_death(headers, deaths)
        .map(|d| (d.queue, d.reason))
        .or_else(|| {
            let f = framework::failure(headers)?;
            Some((f.origin()?, f.reason()))
        })
}

/// Which record decides the message's origin (see `origin_of`).
pub fn kind_of(headers: Option<&FieldTable>, deaths: &[Death]) -> DeadLetterKind {
    if xdeath::last_death(headers, deaths).is_some() {
        DeadLetterKind::Broker
    } else {
        framework::kind_of(headers).unwrap_or_default()
    }
}

/// Build the view of one delivery.
pub fn dead_letter(
    position: u32,
    exchange: &str,
    routing_key: &str,
    redelivered: bool,
    props: &BasicProperties,
    body: &[u8],
) -> DeadLetter {
    let headers = props.headers().as_ref();
    let (deaths, death_error) = match xdeath::deaths(headers) {
        Ok(d) => (d, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let mut header_map = headers.map(table_json).unwrap_or_default();
    header_map.remove("x-death");
    let origin = origin_of(headers, &deaths);
    DeadLetter {
        position,
        key: message_key(props, body, &deaths),
        exchange: exchange.to_string(),
        routing_key: routing_key.to_string(),
        redelivered,
        properties: properties_json(props),
        headers: header_map,
        first_death: xdeath::first_death(headers, &deaths),
        last_death: xdeath::last_death(headers, &deaths),
        replay: xdeath::replay_mark(headers),
        kind: kind_of(headers, &deaths),
        failure: framework::failure(headers),
        reason: origin.as_ref().map(|o| o.1.clone()),
        origin: origin.map(|o| o.0),
        realm: None,
        worker: None,
        delivery_count: headers
            .and_then(|h| h.inner().get("x-delivery-count"))
            .and_then(xdeath::as_int)
            .and_then(|c| u64::try_from(c).ok()),
        reads_left: None,
        deaths,
        death_error,
        body: body_preview(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadletters::xdeath::tests::{death_entry, headers_with};
    use lapin::types::{ByteArray, FieldArray, ShortString};

    #[test]
    fn the_origin_is_the_last_death_header_where_the_broker_sets_one() {
        // 4.x after a replay: the republished x-death is stale, x-last-death-* is the broker's.
        let mut h = headers_with(vec![death_entry("stale.origin", "expired", 1)]);
        for (k, v) in [
            ("x-last-death-queue", "billing.acme"),
            ("x-last-death-reason", "rejected"),
            ("x-last-death-exchange", "work"),
            ("x-delivery-count", ""),
        ] {
            let value = if v.is_empty() {
                AMQPValue::LongLongInt(3)
            } else {
                AMQPValue::LongString(v.into())
            };
            h.insert(k.into(), value);
        }
        let props = BasicProperties::default().with_headers(h);
        let m = dead_letter(0, "dlx", "billing.acme", true, &props, b"x");
        assert_eq!(m.origin.as_deref(), Some("billing.acme"));
        assert_eq!(m.reason.as_deref(), Some("rejected"));
        assert_eq!(m.delivery_count, Some(3));
        // 3.10: no x-last-death-*: x-death[0] as before.
        let h = headers_with(vec![death_entry("billing.acme", "expired", 1)]);
        let props = BasicProperties::default().with_headers(h);
        let m = dead_letter(0, "dlx", "", false, &props, b"x");
        assert_eq!(m.origin.as_deref(), Some("billing.acme"));
    }

    #[test]
    fn json_bodies_are_pretty_printed_and_big_ones_only_previewed() {
        let b = body_preview(br#"{"a":1,"b":[1,2]}"#);
        assert_eq!(b.kind, BodyKind::Json);
        assert!(b.preview.contains("\n  \"a\": 1"));
        let big = vec![b'x'; 10 * 1024 * 1024];
        let b = body_preview(&big);
        assert_eq!(
            (b.kind, b.size, b.truncated),
            (BodyKind::Text, 10 * 1024 * 1024, true)
        );
        assert_eq!(b.preview.len(), PREVIEW_BYTES);
    }

    #[test]
    fn binary_bodies_become_a_bounded_hex_dump() {
        let b = body_preview(&[0u8, 1, 2, 255]);
        assert_eq!(b.kind, BodyKind::Binary);
        assert_eq!(b.preview, "00 01 02 ff");
        let b = body_preview(&vec![0u8; 100_000]);
        assert!(b.truncated && b.preview.len() < 3 * HEX_BYTES);
    }

    #[test]
    fn a_multibyte_character_cut_by_the_limit_is_still_text() {
        let mut body = vec![b'a'; PREVIEW_BYTES - 1];
        body.extend_from_slice("é and more".as_bytes());
        assert_eq!(body_preview(&body).kind, BodyKind::Text);
    }

    #[test]
    fn headers_keep_types_recognisable() {
        let mut inner = FieldTable::default();
        inner.insert("n".into(), AMQPValue::LongInt(-3));
        let mut h = headers_with(vec![death_entry("billing.acme", "rejected", 1)]);
        h.insert("nested".into(), AMQPValue::FieldTable(inner));
        h.insert(
            "list".into(),
            AMQPValue::FieldArray(FieldArray::from(vec![
                AMQPValue::Boolean(true),
                AMQPValue::Void,
            ])),
        );
        h.insert(
            "raw".into(),
            AMQPValue::ByteArray(ByteArray::from(vec![1u8, 2])),
        );
        h.insert("at".into(), AMQPValue::Timestamp(5));
        let props = BasicProperties::default()
            .with_headers(h)
            .with_message_id(ShortString::from("m1"));
        let m = dead_letter(0, "dlx", "billing.acme", true, &props, b"{}");
        assert_eq!(m.headers["nested"], json!({"n": -3}));
        assert_eq!(m.headers["list"], json!([true, null]));
        assert_eq!(m.headers["raw"], json!({"$bytes": "01 02"}));
        assert_eq!(m.headers["at"], json!({"$timestamp": 5}));
        assert!(!m.headers.contains_key("x-death"));
        assert_eq!(m.origin.as_deref(), Some("billing.acme"));
        assert_eq!(m.reason.as_deref(), Some("rejected"));
        assert_eq!(m.properties["message_id"], json!("m1"));
        assert_eq!(m.delivery_count, None);
        // The key is stable and depends on the body.
        let again = dead_letter(3, "dlx", "x", false, &props, b"{}");
        let other = dead_letter(0, "dlx", "billing.acme", true, &props, b"[]");
        assert_eq!(m.key, again.key);
        assert_ne!(m.key, other.key);
    }
}
