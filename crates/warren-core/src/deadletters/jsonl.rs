//! Dead letters as JSON Lines: one message per line with its properties, its headers (every
//! AMQP value tagged with its type, so a file published back gives the same bytes on the wire)
//! and its body in base64. `export` reads a queue in place (see `browse` for the cost);
//! `import` publishes a file into a queue with publisher confirms. A malformed line is an error
//! naming its line and what is wrong; nothing is published from a file that does not parse.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

use base64::Engine;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{
    AMQPValue, ByteArray, DecimalValue, FieldArray, FieldTable, LongString, ShortString,
};
use lapin::{BasicProperties, Confirmation};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;

use super::browse::read_head;
use super::replay::{Scope, Selection};
use super::xdeath;
use crate::broker::{amqp, BrokerError, BrokerErrorKind};
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::guard::{guarded, WriteToken};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    #[serde(default)]
    pub exchange: String,
    #[serde(default)]
    pub routing_key: String,
    /// Properties other than headers, as `properties_json` gives them.
    #[serde(default)]
    pub properties: serde_json::Map<String, Value>,
    /// Headers, each value `{"type": …, "value": …}`.
    #[serde(default)]
    pub headers: serde_json::Map<String, Value>,
    pub body_base64: String,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("line {line}: {message}")]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

/// A value with its AMQP type, losslessly.
pub fn typed(v: &AMQPValue) -> Value {
    let (t, value) = match v {
        AMQPValue::Boolean(b) => ("bool", json!(b)),
        AMQPValue::ShortShortInt(i) => ("i8", json!(i)),
        AMQPValue::ShortShortUInt(i) => ("u8", json!(i)),
        AMQPValue::ShortInt(i) => ("i16", json!(i)),
        AMQPValue::ShortUInt(i) => ("u16", json!(i)),
        AMQPValue::LongInt(i) => ("i32", json!(i)),
        AMQPValue::LongUInt(i) => ("u32", json!(i)),
        AMQPValue::LongLongInt(i) => ("i64", json!(i)),
        AMQPValue::Float(f) => ("f32", json!(f)),
        AMQPValue::Double(f) => ("f64", json!(f)),
        AMQPValue::DecimalValue(d) => ("decimal", json!({"scale": d.scale, "value": d.value})),
        AMQPValue::ShortString(s) => ("short-string", json!(s.as_str())),
        AMQPValue::LongString(s) => match std::str::from_utf8(s.as_bytes()) {
            Ok(t) => ("string", json!(t)),
            Err(_) => ("string-base64", json!(B64.encode(s.as_bytes()))),
        },
        AMQPValue::FieldArray(a) => (
            "array",
            Value::Array(a.as_slice().iter().map(typed).collect()),
        ),
        AMQPValue::Timestamp(t) => ("timestamp", json!(t)),
        AMQPValue::FieldTable(t) => ("table", Value::Object(typed_table(t))),
        AMQPValue::ByteArray(b) => ("bytes", json!(B64.encode(b.as_slice()))),
        AMQPValue::Void => ("void", Value::Null),
    };
    json!({"type": t, "value": value})
}

pub fn typed_table(t: &FieldTable) -> serde_json::Map<String, Value> {
    t.inner()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), typed(v)))
        .collect()
}

/// Read a typed value back; `at` says where for the error.
pub fn untyped(v: &Value, at: &str) -> std::result::Result<AMQPValue, String> {
    let bad = |what: &str| format!("{at}: {what}");
    let t = v
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("needs a \"type\""))?;
    let value = v.get("value").unwrap_or(&Value::Null);
    let int = || {
        value
            .as_i64()
            .ok_or_else(|| bad(&format!("a {t} needs an integer value")))
    };
    let uint = || {
        value
            .as_u64()
            .ok_or_else(|| bad(&format!("a {t} needs a non-negative integer value")))
    };
    let too_big = bad(&format!("the value does not fit a {t}"));
    fn fits<T>(
        r: std::result::Result<T, std::num::TryFromIntError>,
        e: &str,
    ) -> std::result::Result<T, String> {
        r.map_err(|_| e.to_string())
    }
    let text = || {
        value
            .as_str()
            .ok_or_else(|| bad(&format!("a {t} needs a string value")))
    };
    let b64 = || text().and_then(|s| B64.decode(s).map_err(|e| bad(&format!("bad base64: {e}"))));
    Ok(match t {
        "bool" => AMQPValue::Boolean(
            value
                .as_bool()
                .ok_or_else(|| bad("a bool needs true or false"))?,
        ),
        "i8" => AMQPValue::ShortShortInt(fits(i8::try_from(int()?), &too_big)?),
        "u8" => AMQPValue::ShortShortUInt(fits(u8::try_from(uint()?), &too_big)?),
        "i16" => AMQPValue::ShortInt(fits(i16::try_from(int()?), &too_big)?),
        "u16" => AMQPValue::ShortUInt(fits(u16::try_from(uint()?), &too_big)?),
        "i32" => AMQPValue::LongInt(fits(i32::try_from(int()?), &too_big)?),
        "u32" => AMQPValue::LongUInt(fits(u32::try_from(uint()?), &too_big)?),
        "i64" => AMQPValue::LongLongInt(int()?),
        "f32" => {
            AMQPValue::Float(value.as_f64().ok_or_else(|| bad("a f32 needs a number"))? as f32)
        }
        "f64" => AMQPValue::Double(value.as_f64().ok_or_else(|| bad("a f64 needs a number"))?),
        "decimal" => AMQPValue::DecimalValue(DecimalValue {
            scale: fits(
                u8::try_from(
                    value
                        .get("scale")
                        .and_then(Value::as_u64)
                        .ok_or_else(|| bad("a decimal needs a scale"))?,
                ),
                &too_big,
            )?,
            value: fits(
                u32::try_from(
                    value
                        .get("value")
                        .and_then(Value::as_u64)
                        .ok_or_else(|| bad("a decimal needs a value"))?,
                ),
                &too_big,
            )?,
        }),
        "short-string" => AMQPValue::ShortString(
            ShortString::try_new(text()?)
                .map_err(|_| bad("a short-string is at most 255 bytes"))?,
        ),
        "string" => AMQPValue::LongString(LongString::from(text()?)),
        "string-base64" => AMQPValue::LongString(LongString::from(b64()?)),
        "array" => AMQPValue::FieldArray(FieldArray::from(
            value
                .as_array()
                .ok_or_else(|| bad("an array needs a list value"))?
                .iter()
                .enumerate()
                .map(|(i, x)| untyped(x, &format!("{at}[{i}]")))
                .collect::<std::result::Result<Vec<_>, _>>()?,
        )),
        "timestamp" => AMQPValue::Timestamp(uint()?),
        "table" => AMQPValue::FieldTable(untyped_table(
            value
                .as_object()
                .ok_or_else(|| bad("a table needs an object value"))?,
            at,
        )?),
        "bytes" => AMQPValue::ByteArray(ByteArray::from(b64()?)),
        "void" => AMQPValue::Void,
        other => return Err(bad(&format!("unknown type `{other}`"))),
    })
}

pub fn untyped_table(
    m: &serde_json::Map<String, Value>,
    at: &str,
) -> std::result::Result<FieldTable, String> {
    let mut inner = BTreeMap::new();
    for (k, v) in m {
        let key = ShortString::try_new(k.as_str())
            .map_err(|_| format!("{at}.{k}: a header name is at most 255 bytes"))?;
        inner.insert(key, untyped(v, &format!("{at}.{k}"))?);
    }
    Ok(FieldTable::from(inner))
}

/// Properties from their JSON form (`message::properties_json`'s keys) and typed headers.
fn properties_from(line: &Line) -> std::result::Result<BasicProperties, String> {
    let p = &line.properties;
    let s = |k: &str| -> std::result::Result<Option<ShortString>, String> {
        match p.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(v)) => ShortString::try_new(v.as_str())
                .map(Some)
                .map_err(|_| format!("properties.{k} is longer than 255 bytes")),
            Some(_) => Err(format!("properties.{k} must be a string")),
        }
    };
    let n = |k: &str, max: u64| -> std::result::Result<Option<u64>, String> {
        match p.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .filter(|x| *x <= max)
                .map(Some)
                .ok_or_else(|| format!("properties.{k} must be an integer up to {max}")),
        }
    };
    let mut props = BasicProperties::default();
    if let Some(v) = s("content_type")? {
        props = props.with_content_type(v)
    }
    if let Some(v) = s("content_encoding")? {
        props = props.with_content_encoding(v)
    }
    if let Some(v) = n("delivery_mode", 255)? {
        props = props.with_delivery_mode(v as u8)
    }
    if let Some(v) = n("priority", 255)? {
        props = props.with_priority(v as u8)
    }
    if let Some(v) = s("correlation_id")? {
        props = props.with_correlation_id(v)
    }
    if let Some(v) = s("reply_to")? {
        props = props.with_reply_to(v)
    }
    if let Some(v) = s("expiration")? {
        props = props.with_expiration(v)
    }
    if let Some(v) = s("message_id")? {
        props = props.with_message_id(v)
    }
    if let Some(v) = n("timestamp", u64::MAX)? {
        props = props.with_timestamp(v)
    }
    if let Some(v) = s("type")? {
        props = props.with_type(v)
    }
    if let Some(v) = s("user_id")? {
        props = props.with_user_id(v)
    }
    if let Some(v) = s("app_id")? {
        props = props.with_app_id(v)
    }
    if !line.headers.is_empty() {
        props = props.with_headers(untyped_table(&line.headers, "headers")?);
    }
    Ok(props)
}

/// Parse a whole file first: every line or the first error, with its line number (1-based).
pub fn parse(
    reader: impl BufRead,
) -> std::result::Result<Vec<(Vec<u8>, BasicProperties)>, LineError> {
    let mut out = Vec::new();
    for (i, text) in reader.lines().enumerate() {
        let line_no = i + 1;
        let err = |message: String| LineError {
            line: line_no,
            message,
        };
        let text = text.map_err(|e| err(format!("cannot be read: {e}")))?;
        if text.trim().is_empty() {
            continue;
        }
        let line: Line =
            serde_json::from_str(&text).map_err(|e| err(format!("not a message line: {e}")))?;
        let body = B64
            .decode(line.body_base64.as_bytes())
            .map_err(|e| err(format!("body_base64 is not base64: {e}")))?;
        let props = properties_from(&line).map_err(err)?;
        out.push((body, props));
    }
    Ok(out)
}

/// Where the window exports a queue: `warren-<queue>-<unix time>.jsonl` in the user's Downloads
/// folder (else the home folder), the queue's name made safe for a file name.
pub fn download_path(queue: &str) -> Option<std::path::PathBuf> {
    download_path_for(queue, "jsonl")
}

/// `~/Downloads/warren-<stem>-<unix seconds>.<ext>` (the home folder without Downloads), the
/// stem made safe for a file name.
pub fn download_path_for(stem: &str, ext: &str) -> Option<std::path::PathBuf> {
    let dirs = directories::UserDirs::new()?;
    let dir = dirs.download_dir().unwrap_or(dirs.home_dir()).to_path_buf();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(dir.join(format!("warren-{safe}-{stamp}.{ext}")))
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ExportReport {
    pub path: String,
    pub exported: u32,
    /// Messages read (the export covers those matching the filter or keys among them).
    pub read: u32,
    #[ts(type = "number")]
    pub depth: u64,
}

/// Write the messages of `queue` (up to `limit`, those `scope` selects) to `path`
/// as JSON Lines, created with owner-only permissions. Does not remove messages.
/// Removes no message (they are redelivered).
#[allow(clippy::too_many_arguments)]
pub async fn export(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    limit: u32,
    scope: &Scope,
    path: &Path,
) -> Result<ExportReport> {
    let mut lines: Vec<String> = Vec::new();
    let mut selection = scope.keys.as_deref().map(Selection::new);
    let (depth, read) = read_head(env, password, vhost, queue, limit, |_, d| {
        let headers = d.properties.headers().as_ref();
        let deaths = xdeath::deaths(headers).unwrap_or_default();
        if !scope.selects(vhost, &d.properties, &d.data, &deaths, selection.as_mut()) {
            return;
        }
        let line = Line {
            exchange: d.exchange.to_string(),
            routing_key: d.routing_key.to_string(),
            properties: super::message::properties_json(&d.properties),
            headers: headers.map(typed_table).unwrap_or_default(),
            body_base64: B64.encode(&d.data),
        };
        lines.push(serde_json::to_string(&line).expect("a line serialises"));
    })
    .await?;
    let write = || -> std::io::Result<()> {
        let mut f = crate::config::open_private(path)?;
        for l in &lines {
            f.write_all(l.as_bytes())?;
            f.write_all(b"\n")?;
        }
        f.flush()
    };
    write().map_err(|e| Error::FileWrite {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(ExportReport {
        path: path.display().to_string(),
        exported: lines.len() as u32,
        read,
        depth,
    })
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PublishFileReport {
    pub published: u32,
    /// Returned as unroutable (the queue does not exist) or nacked.
    pub refused: u32,
}

/// Publish every message of a JSON Lines file into `queue` (default exchange), with confirms.
/// The whole file is parsed first. Requires write permission on the vhost. Modifies state
/// (through the gate: refused on a read-only environment, audited).
pub async fn import(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    path: &Path,
) -> Result<PublishFileReport> {
    let action = crate::audit::Action::new(
        "dlq.import",
        Some(vhost),
        vec![queue.to_string()],
        json!({ "file": path.display().to_string() }),
    );
    let counts = |r: &PublishFileReport| json!({ "published": r.published, "refused": r.refused });
    guarded(env, action, counts, |gate| async move {
        publish_file(&gate, env, password, vhost, queue, path).await
    })
    .await
}

async fn publish_file(
    gate: &WriteToken,
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    path: &Path,
) -> Result<PublishFileReport> {
    amqp::check_name("queue name", queue)?;
    let file = std::fs::File::open(path).map_err(|e| Error::FileRead {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let messages = parse(std::io::BufReader::new(file))
        .map_err(|e| Error::InvalidArgument(format!("{}: {e}", path.display())))?;
    let conn =
        amqp::connect_to_write(gate, env, password, Some(vhost), "import dead letters").await?;
    let other = |e: lapin::Error| {
        Error::from(BrokerError::new(
            BrokerErrorKind::Other,
            format!("import: {e}"),
        ))
    };
    let ch = conn.create_channel().await.map_err(other)?;
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(other)?;
    let mut confirms = Vec::with_capacity(messages.len());
    for (body, props) in &messages {
        confirms.push(
            ch.basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions {
                    mandatory: true,
                    immediate: false,
                },
                body,
                props.clone(),
            )
            .await
            .map_err(other)?,
        );
    }
    let mut report = PublishFileReport {
        published: 0,
        refused: 0,
    };
    for c in confirms {
        match c.await.map_err(other)? {
            Confirmation::Ack(None) | Confirmation::NotRequested => report.published += 1,
            _ => report.refused += 1,
        }
    }
    let _ = conn.close(200, "import done".into()).await;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadletters::xdeath::tests::{death_entry, headers_with};
    use proptest::prelude::*;

    #[test]
    fn every_amqp_type_survives_the_round_trip() {
        let mut h = headers_with(vec![death_entry("q", "rejected", 2)]);
        for (k, v) in [
            ("i8", AMQPValue::ShortShortInt(-1)),
            ("u8", AMQPValue::ShortShortUInt(200)),
            ("i16", AMQPValue::ShortInt(-300)),
            ("u16", AMQPValue::ShortUInt(60000)),
            ("i32", AMQPValue::LongInt(-70000)),
            ("u32", AMQPValue::LongUInt(4_000_000_000)),
            ("f32", AMQPValue::Float(1.5)),
            ("f64", AMQPValue::Double(-2.25)),
            (
                "dec",
                AMQPValue::DecimalValue(DecimalValue {
                    scale: 2,
                    value: 314,
                }),
            ),
            ("ss", AMQPValue::ShortString("short".into())),
            (
                "bin",
                AMQPValue::LongString(LongString::from(vec![0xffu8, 0])),
            ),
            (
                "bytes",
                AMQPValue::ByteArray(ByteArray::from(vec![1u8, 2, 3])),
            ),
            ("void", AMQPValue::Void),
            ("ts", AMQPValue::Timestamp(17)),
        ] {
            h.insert(k.into(), v);
        }
        let back = untyped_table(&typed_table(&h), "headers").unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn a_file_round_trips_and_bad_lines_are_named() {
        let props = BasicProperties::default()
            .with_message_id("m1".into())
            .with_priority(3)
            .with_headers(headers_with(vec![death_entry("q", "expired", 1)]));
        let line = Line {
            exchange: "dlx".into(),
            routing_key: "q".into(),
            properties: super::super::message::properties_json(&props),
            headers: typed_table(props.headers().as_ref().unwrap()),
            body_base64: B64.encode([0u8, 1, 2]),
        };
        let text = format!(
            "{}\n\n{}\n",
            serde_json::to_string(&line).unwrap(),
            serde_json::to_string(&line).unwrap()
        );
        let parsed = parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].0, vec![0, 1, 2]);
        assert_eq!(parsed[0].1, props);

        let bad = format!(
            "{}\n{{\"body_base64\": \"!!\"}}\n",
            serde_json::to_string(&line).unwrap()
        );
        let e = parse(bad.as_bytes()).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("base64"));
        let e = parse(
            r#"{"body_base64": "", "headers": {"x": {"type": "i8", "value": 1000}}}"#.as_bytes(),
        )
        .unwrap_err();
        assert!(
            e.message.contains("headers.x") && e.message.contains("does not fit"),
            "{e}"
        );
        let e = parse(r#"{"body_base64": "", "headers": {"x": {"type": "nope"}}}"#.as_bytes())
            .unwrap_err();
        assert!(e.message.contains("unknown type"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Hostile input: any text is an answer (lines or an error with a line number), never a panic.
        #[test]
        fn the_importer_never_panics(text in ".{0,400}") {
            match parse(text.as_bytes()) {
                Ok(_) => {}
                Err(e) => prop_assert!(e.line >= 1),
            }
        }

        #[test]
        fn the_importer_never_panics_on_json_shaped_input(
            t in prop_oneof![Just("i8"), Just("u32"), Just("array"), Just("table"), Just("decimal"), Just("bytes"), Just("short-string"), Just("x")],
            v in prop_oneof![Just(json!(1)), Just(json!(-1)), Just(json!("a")), Just(json!([{"type": "i8", "value": 300}])), Just(json!({"k": {"type": "bool"}})), Just(json!(null)), Just(json!({"scale": 999, "value": 1}))]
        ) {
            let line = json!({"body_base64": "", "headers": {"h": {"type": t, "value": v}}}).to_string();
            let _ = parse(line.as_bytes());
        }
    }
}
