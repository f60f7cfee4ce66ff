//! Messages of any queue: reading them in place (`peek`: classic and quorum queues from their
//! head, streams from an offset) and publishing one by hand (`publish`). Also what a message
//! written by an operator is made of — its body, properties and headers as the window and the
//! CLI give them — which the dead-letter editor (`deadletters::edit`) shares.

pub mod peek;
pub mod publish;

pub use peek::{peek, Peek, PeekOptions, PeekedMessage, StreamOffset};
pub use publish::{publish, PublishReport, PublishRequest};

use std::collections::BTreeMap;

use base64::Engine;
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongString, ShortString};
use lapin::BasicProperties;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::error::{Error, Result};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// How a body written by an operator is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BodyFormat {
    /// JSON text: validated (an invalid document is refused, with where it breaks).
    Json,
    /// Text, sent as its UTF-8 bytes.
    Text,
    /// Base64 of arbitrary bytes (a binary body).
    Base64,
}

/// A message body as an operator writes it: `{ format: "json", content: "{\"a\": 1}" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MessageBody {
    pub format: BodyFormat,
    pub content: String,
}

impl MessageBody {
    /// The bytes to send. JSON is validated; with `pretty` it is stored pretty-printed (an
    /// edited dead letter), else as written (a published message).
    pub fn bytes(&self, pretty: bool) -> Result<Vec<u8>> {
        match self.format {
            BodyFormat::Text => Ok(self.content.as_bytes().to_vec()),
            BodyFormat::Base64 => B64
                .decode(self.content.trim().as_bytes())
                .map_err(|e| Error::InvalidArgument(format!("the body is not valid base64: {e}"))),
            BodyFormat::Json => {
                serde_json::from_str::<serde::de::IgnoredAny>(&self.content).map_err(|e| {
                    Error::InvalidArgument(format!(
                        "the body is not valid JSON: {e} (line {}, column {}); fix it, or send it as text",
                        e.line(),
                        e.column()
                    ))
                })?;
                if pretty {
                    Ok(pretty_json(&self.content).into_bytes())
                } else {
                    Ok(self.content.as_bytes().to_vec())
                }
            }
        }
    }

    /// Bytes as they are (sent as base64).
    pub fn binary(bytes: &[u8]) -> MessageBody {
        MessageBody {
            format: BodyFormat::Base64,
            content: B64.encode(bytes),
        }
    }

    /// The whole of `body` in the form an editor opens it in: pretty JSON when it parses as
    /// JSON, text when it is UTF-8, else base64.
    pub fn of(body: &[u8]) -> MessageBody {
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            if matches!(v, Value::Object(_) | Value::Array(_)) {
                let text = std::str::from_utf8(body).expect("JSON is UTF-8");
                return MessageBody {
                    format: BodyFormat::Json,
                    content: pretty_json(text),
                };
            }
        }
        match std::str::from_utf8(body) {
            Ok(t) if !t.chars().any(|c| c.is_control() && !c.is_whitespace()) => MessageBody {
                format: BodyFormat::Text,
                content: t.to_string(),
            },
            _ => MessageBody::binary(body),
        }
    }
}

/// Closing a channel or a connection waits at most this long: one the broker already closed
/// must not hang the command.
pub(crate) const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Close `conn`, waiting at most `CLOSE_WAIT` (the outcome is known by then; this is tidying).
pub(crate) async fn close_connection(conn: &lapin::Connection, why: &str) {
    let _ = tokio::time::timeout(CLOSE_WAIT, conn.close(200, why.into())).await;
}

/// Valid JSON `text` re-indented by two spaces, as `serde_json::to_string_pretty` lays it out
/// but keeping the document's own key order and number spellings (parsing into a `Value`
/// would sort the keys: an operator's edit must not reorder their message).
pub fn pretty_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty container stays `{}` / `[]`.
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.push(chars.next().expect("peeked"));
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// SHA-256 of `bytes`, lowercase hex: what the audit log keeps instead of a body.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The properties of a message published by hand (all optional; see `into_basic`).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export, optional_fields)]
pub struct MessageProperties {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    /// 1 transient, 2 persistent (the default when absent: a message typed by hand into a
    /// durable queue should survive a restart).
    pub delivery_mode: Option<u8>,
    pub priority: Option<u8>,
    pub correlation_id: Option<String>,
    pub reply_to: Option<String>,
    /// Per-message TTL in milliseconds, as AMQP carries it (a string of digits).
    pub expiration: Option<String>,
    pub message_id: Option<String>,
    /// Unix seconds.
    #[ts(optional, type = "number")]
    pub timestamp: Option<u64>,
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub kind: Option<String>,
    pub user_id: Option<String>,
    pub app_id: Option<String>,
}

impl MessageProperties {
    /// AMQP properties (headers apart). A value AMQP cannot carry is refused naming the field.
    pub fn into_basic(&self) -> Result<BasicProperties> {
        let short = |field: &str, v: &str| {
            ShortString::try_new(v).map_err(|_| {
                Error::InvalidArgument(format!(
                    "properties.{field} is {} bytes long; AMQP allows at most 255",
                    v.len()
                ))
            })
        };
        let mut p = BasicProperties::default().with_delivery_mode(self.delivery_mode.unwrap_or(2));
        if let Some(m) = self.delivery_mode.filter(|m| !matches!(m, 1 | 2)) {
            return Err(Error::InvalidArgument(format!(
                "properties.delivery_mode is 1 (transient) or 2 (persistent), not {m}"
            )));
        }
        if let Some(e) = &self.expiration {
            if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::InvalidArgument(format!(
                    "properties.expiration is a TTL in milliseconds (digits only), not `{e}`"
                )));
            }
        }
        macro_rules! set {
            ($field:ident, $with:ident) => {
                if let Some(v) = &self.$field {
                    p = p.$with(short(stringify!($field), v)?);
                }
            };
        }
        set!(content_type, with_content_type);
        set!(content_encoding, with_content_encoding);
        set!(correlation_id, with_correlation_id);
        set!(reply_to, with_reply_to);
        set!(expiration, with_expiration);
        set!(message_id, with_message_id);
        set!(user_id, with_user_id);
        set!(app_id, with_app_id);
        if let Some(v) = &self.kind {
            p = p.with_type(short("type", v)?);
        }
        if let Some(v) = self.priority {
            p = p.with_priority(v);
        }
        if let Some(v) = self.timestamp {
            p = p.with_timestamp(v);
        }
        Ok(p)
    }
}

/// A header value written by an operator, as JSON: a string is a string (`K=V` on the command
/// line), an integer a signed 64-bit integer, a fractional number a double, `true`/`false` a
/// boolean, `null` void, a list an array, an object a table — except an object of exactly
/// `{"type": …, "value": …}`, which is the typed form of a JSON Lines export (`jsonl::typed`)
/// and can say any AMQP type (`{"type": "timestamp", "value": 1764115200}`).
pub fn header_value(v: &Value, at: &str) -> Result<AMQPValue> {
    let typed = |m: &serde_json::Map<String, Value>| {
        m.len() == 2 && m.contains_key("type") && m.contains_key("value")
    };
    Ok(match v {
        Value::Null => AMQPValue::Void,
        Value::Bool(b) => AMQPValue::Boolean(*b),
        Value::String(s) => AMQPValue::LongString(LongString::from(s.as_str())),
        Value::Number(n) => match n.as_i64() {
            Some(i) => AMQPValue::LongLongInt(i),
            None => AMQPValue::Double(n.as_f64().unwrap_or_default()),
        },
        Value::Array(a) => AMQPValue::FieldArray(FieldArray::from(
            a.iter()
                .enumerate()
                .map(|(i, x)| header_value(x, &format!("{at}[{i}]")))
                .collect::<Result<Vec<_>>>()?,
        )),
        Value::Object(m) if typed(m) => {
            crate::deadletters::jsonl::untyped(v, at).map_err(Error::InvalidArgument)?
        }
        Value::Object(m) => AMQPValue::FieldTable(header_table(m, at)?),
    })
}

/// Headers from their JSON form (see `header_value`).
pub fn header_table(m: &serde_json::Map<String, Value>, at: &str) -> Result<FieldTable> {
    let mut inner = BTreeMap::new();
    for (k, v) in m {
        let key = ShortString::try_new(k.as_str()).map_err(|_| {
            Error::InvalidArgument(format!("{at}.{k}: a header name is at most 255 bytes"))
        })?;
        inner.insert(key, header_value(v, &format!("{at}.{k}"))?);
    }
    Ok(FieldTable::from(inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_are_validated_and_pretty_printed_only_when_asked() {
        let b = MessageBody {
            format: BodyFormat::Json,
            content: r#"{"a":1}"#.into(),
        };
        assert_eq!(b.bytes(false).unwrap(), br#"{"a":1}"#);
        assert_eq!(b.bytes(true).unwrap(), b"{\n  \"a\": 1\n}");
        let bad = MessageBody {
            format: BodyFormat::Json,
            content: r#"{"a":}"#.into(),
        };
        let e = bad.bytes(true).unwrap_err().to_string();
        assert!(e.contains("not valid JSON") && e.contains("line 1"), "{e}");
        let bin = MessageBody {
            format: BodyFormat::Base64,
            content: "AAH/".into(),
        };
        assert_eq!(bin.bytes(true).unwrap(), vec![0u8, 1, 255]);
    }

    #[test]
    fn pretty_json_keeps_key_order_and_matches_serde_layout() {
        let text = r#" {"z": 1, "a": [1, 2.50, {}], "e": [ ], "s": "x, {y}: \"q\""} "#;
        let pretty = pretty_json(text);
        assert_eq!(
            pretty,
            "{\n  \"z\": 1,\n  \"a\": [\n    1,\n    2.50,\n    {}\n  ],\n  \"e\": [],\n  \"s\": \"x, {y}: \\\"q\\\"\"\n}"
        );
        let sorted: Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&pretty).unwrap(), sorted);
        let plain = r#"{"b":{"c":[true,null]}}"#;
        let v: Value = serde_json::from_str(plain).unwrap();
        assert_eq!(
            pretty_json(plain),
            serde_json::to_string_pretty(&v).unwrap()
        );
    }

    #[test]
    fn an_editor_opens_json_as_pretty_json_text_as_text_and_bytes_as_base64() {
        assert_eq!(MessageBody::of(br#"{"a":1}"#).format, BodyFormat::Json);
        assert_eq!(MessageBody::of(b"hello").format, BodyFormat::Text);
        let b = MessageBody::of(&[0u8, 1, 255]);
        assert_eq!((b.format, b.content.as_str()), (BodyFormat::Base64, "AAH/"));
    }

    #[test]
    fn header_values_keep_strings_strings_and_accept_the_typed_form() {
        let m: serde_json::Map<String, Value> = serde_json::from_str(
            r#"{"s": "42", "n": 42, "f": 1.5, "b": true, "t": {"type": "timestamp", "value": 5}, "o": {"x": "y"}}"#,
        )
        .unwrap();
        let t = header_table(&m, "headers").unwrap();
        let get = |k: &str| t.inner().get(k).cloned().unwrap();
        assert_eq!(get("s"), AMQPValue::LongString("42".into()));
        assert_eq!(get("n"), AMQPValue::LongLongInt(42));
        assert_eq!(get("f"), AMQPValue::Double(1.5));
        assert_eq!(get("b"), AMQPValue::Boolean(true));
        assert_eq!(get("t"), AMQPValue::Timestamp(5));
        assert!(matches!(get("o"), AMQPValue::FieldTable(_)));
    }

    #[test]
    fn properties_amqp_cannot_carry_are_refused_by_name() {
        let p = MessageProperties {
            expiration: Some("soon".into()),
            ..Default::default()
        };
        assert!(p
            .into_basic()
            .unwrap_err()
            .to_string()
            .contains("expiration"));
        let p = MessageProperties {
            message_id: Some("x".repeat(300)),
            ..Default::default()
        };
        assert!(p
            .into_basic()
            .unwrap_err()
            .to_string()
            .contains("message_id"));
        let p = MessageProperties::default().into_basic().unwrap();
        assert_eq!(p.delivery_mode(), &Some(2));
    }
}
