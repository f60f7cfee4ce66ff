//! `warren publish`: one message to an exchange, with properties, headers and a body from a
//! file or standard input; confirmed and `mandatory` (an unroutable message is an error), refused
//! on a read-only environment, audited without the body. Also the body and header flags that
//! `warren dlq edit-retry` shares.

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::{Map, Value};
use warren_core::messages::{self, BodyFormat, MessageBody, MessageProperties, PublishRequest};
use warren_core::{EnvironmentStore, Error, Tier};

use crate::output::{usage, Confirm, Exit, Failure, Output, Target};

/// How `--body-file` / `--body-stdin` are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BodyFormatArg {
    /// JSON if it parses as an object or a list, else text if it is UTF-8, else bytes.
    Auto,
    /// JSON, validated (refused if it does not parse).
    Json,
    /// UTF-8 text.
    Text,
    /// The input is base64 of the body.
    Base64,
    /// Bytes as they are.
    Binary,
}

/// `--body-file F | --body-stdin [--body-format …]`.
#[derive(Args)]
pub struct BodyArgs {
    /// Read the body from this file.
    #[arg(long, conflicts_with = "body_stdin")]
    pub body_file: Option<PathBuf>,
    /// Read the body from standard input (with --password-stdin: the password is the first
    /// line, the body the rest).
    #[arg(long)]
    pub body_stdin: bool,
    /// How to read the body.
    #[arg(long, value_enum, default_value = "auto")]
    pub body_format: BodyFormatArg,
}

impl BodyArgs {
    pub fn given(&self) -> bool {
        self.body_file.is_some() || self.body_stdin
    }

    /// The body, if one was given.
    pub fn read(&self) -> Result<Option<MessageBody>, Failure> {
        let bytes = if let Some(path) = &self.body_file {
            std::fs::read(path).map_err(|e| Error::FileRead {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?
        } else if self.body_stdin {
            let mut b = Vec::new();
            std::io::stdin()
                .read_to_end(&mut b)
                .map_err(|e| Error::FileRead {
                    path: "standard input".into(),
                    reason: e.to_string(),
                })?;
            b
        } else {
            return Ok(None);
        };
        body_of(bytes, self.body_format).map(Some)
    }
}

fn utf8(bytes: Vec<u8>, format: &str) -> Result<String, Failure> {
    String::from_utf8(bytes).map_err(|_| {
        usage(format!(
            "--body-format {format}: the body is not UTF-8 text; use --body-format binary"
        ))
    })
}

/// The body read as `format` says.
pub fn body_of(bytes: Vec<u8>, format: BodyFormatArg) -> Result<MessageBody, Failure> {
    let body = |format, content| MessageBody { format, content };
    Ok(match format {
        BodyFormatArg::Auto => {
            let json = matches!(
                serde_json::from_slice::<Value>(&bytes),
                Ok(Value::Object(_) | Value::Array(_))
            );
            match String::from_utf8(bytes) {
                Ok(t) if json => body(BodyFormat::Json, t),
                Ok(t) => body(BodyFormat::Text, t),
                Err(e) => MessageBody::binary(e.as_bytes()),
            }
        }
        BodyFormatArg::Json => body(BodyFormat::Json, utf8(bytes, "json")?),
        BodyFormatArg::Text => body(BodyFormat::Text, utf8(bytes, "text")?),
        BodyFormatArg::Base64 => {
            let t = utf8(bytes, "base64")?;
            body(BodyFormat::Base64, t.split_whitespace().collect())
        }
        BodyFormatArg::Binary => MessageBody::binary(&bytes),
    })
}

/// `K=V` pairs as JSON headers (every value a string).
pub fn headers_of(pairs: &[String], flag: &str) -> Result<Map<String, Value>, Failure> {
    let mut m = Map::new();
    for p in pairs {
        match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                m.insert(k.to_string(), Value::String(v.to_string()));
            }
            _ => return Err(usage(format!("{flag} takes NAME=VALUE, not `{p}`"))),
        }
    }
    Ok(m)
}

/// The properties `--property` may set.
const PROPERTIES: [&str; 12] = [
    "content_type",
    "content_encoding",
    "delivery_mode",
    "priority",
    "correlation_id",
    "reply_to",
    "expiration",
    "message_id",
    "timestamp",
    "type",
    "user_id",
    "app_id",
];

fn properties_of(pairs: &[String]) -> Result<MessageProperties, Failure> {
    let mut m = Map::new();
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else {
            return Err(usage(format!("--property takes NAME=VALUE, not `{p}`")));
        };
        let k = k.replace('-', "_");
        if !PROPERTIES.contains(&k.as_str()) {
            return Err(usage(format!(
                "--property: unknown property `{k}`; one of {}",
                PROPERTIES.join(", ")
            )));
        }
        let value = if matches!(k.as_str(), "delivery_mode" | "priority" | "timestamp") {
            Value::from(
                v.parse::<u64>()
                    .map_err(|_| usage(format!("--property {k} takes a number, not `{v}`")))?,
            )
        } else {
            Value::String(v.to_string())
        };
        m.insert(k, value);
    }
    serde_json::from_value(Value::Object(m)).map_err(|e| usage(format!("--property: {e}")))
}

#[derive(Args)]
pub struct PublishArgs {
    #[command(flatten)]
    target: Target,
    #[arg(long)]
    vhost: String,
    /// The exchange ("" for the default exchange, where the routing key names a queue).
    #[arg(long)]
    exchange: String,
    #[arg(long)]
    routing_key: String,
    #[command(flatten)]
    body: BodyArgs,
    /// A header NAME=VALUE (a string); repeat for more.
    #[arg(long = "header", value_name = "NAME=VALUE")]
    headers: Vec<String>,
    /// A property NAME=VALUE (content_type, delivery_mode, message_id, correlation_id, type,
    /// app_id, expiration, priority, reply_to, timestamp, …); repeat for more. delivery_mode
    /// defaults to 2 (persistent).
    #[arg(long = "property", value_name = "NAME=VALUE")]
    properties: Vec<String>,
    /// Confirm publishing to a prod environment.
    #[command(flatten)]
    confirm: Confirm,
    #[command(flatten)]
    out: Output,
}

pub async fn run(store: &EnvironmentStore, args: PublishArgs) -> Exit {
    if !args.body.given() {
        return Err(usage("give the body with --body-file FILE or --body-stdin"));
    }
    let headers = headers_of(&args.headers, "--header")?;
    let properties = properties_of(&args.properties)?;
    let (env, password) = args.target.open(store)?;
    let Some(body) = args.body.read()? else {
        unreachable!("checked above")
    };
    if env.tier == Tier::Prod {
        let what = || {
            format!(
                "publishing to exchange `{}` with routing key `{}`",
                args.exchange, args.routing_key
            )
        };
        args.confirm.required_in(&env, what, "")?;
    }
    let request = PublishRequest {
        vhost: args.vhost.clone(),
        exchange: args.exchange.clone(),
        routing_key: args.routing_key.clone(),
        properties,
        headers,
        body,
    };
    let r = messages::publish(&env, &password, &request).await?;
    args.out.show(&r, |r| {
        let exchange = if r.exchange.is_empty() {
            "the default exchange".to_string()
        } else {
            format!("exchange {}", r.exchange)
        };
        println!(
            "published {} byte(s) to {exchange} with routing key {} in {}: confirmed and routed (sha256 {})",
            r.body_bytes, r.routing_key, r.vhost, r.body_sha256
        );
    });
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_reads_json_as_json_text_as_text_and_bytes_as_bytes() {
        let b = body_of(br#"{"a":1}"#.to_vec(), BodyFormatArg::Auto).unwrap();
        assert_eq!(b.format, BodyFormat::Json);
        let b = body_of(b"42".to_vec(), BodyFormatArg::Auto).unwrap();
        assert_eq!(b.format, BodyFormat::Text);
        let b = body_of(vec![0xff, 0], BodyFormatArg::Auto).unwrap();
        assert_eq!((b.format, b.content.as_str()), (BodyFormat::Base64, "/wA="));
        assert!(body_of(vec![0xff], BodyFormatArg::Text).is_err());
    }

    #[test]
    fn headers_and_properties_parse_from_name_value_pairs() {
        let h = headers_of(&["tenant=acme".into(), "n=42".into()], "--header").unwrap();
        assert_eq!(
            h["n"],
            Value::String("42".into()),
            "a header value stays a string"
        );
        assert!(headers_of(&["novalue".into()], "--header").is_err());
        let p =
            properties_of(&["content-type=application/json".into(), "priority=3".into()]).unwrap();
        assert_eq!(p.content_type.as_deref(), Some("application/json"));
        assert_eq!(p.priority, Some(3));
        assert!(properties_of(&["colour=red".into()]).is_err());
    }
}
