//! `warren peek`: read the messages of any queue without removing them — a classic or quorum
//! queue from its head (the cost is said first), a stream from an offset (free) — and print
//! each one's properties, headers and the start of its body.

use clap::Args;
use serde_json::{Map, Value};
use warren_core::deadletters::browse::MAX_LIMIT;
use warren_core::messages::{self, PeekOptions, PeekedMessage, StreamOffset};
use warren_core::EnvironmentStore;

use crate::output::{usage, Exit, Output, QueueTarget, Refused};

/// A body preview shows at most this many lines in the terminal.
const BODY_LINES: usize = 20;

#[derive(Args)]
pub struct PeekArgs {
    #[command(flatten)]
    queue: QueueTarget,
    /// How many messages to read (at most 65535).
    #[arg(long, default_value_t = 10)]
    limit: u32,
    /// Streams only: where to start: first, last (the newest --limit messages, the default),
    /// an offset, or an RFC 3339 time (2026-12-01T20:00:00Z).
    #[arg(long)]
    offset: Option<String>,
    /// Read a quorum queue even when its head message is one read from its delivery limit
    /// (that read makes the broker drop or dead-letter it).
    #[arg(long)]
    insist: bool,
    #[command(flatten)]
    out: Output,
}

pub async fn run(store: &EnvironmentStore, args: PeekArgs) -> Exit {
    if args.limit == 0 || args.limit > MAX_LIMIT {
        return Err(usage(format!("--limit must be 1..={MAX_LIMIT}")));
    }
    let offset: Option<StreamOffset> = args
        .offset
        .as_deref()
        .map(str::parse)
        .transpose()
        .refused("--offset: ")?;
    let (env, password) = args.queue.target.open(store)?;
    let QueueTarget { vhost, queue, .. } = &args.queue;
    let opts = PeekOptions {
        limit: args.limit,
        offset,
        insist: args.insist,
    };
    let p = messages::peek(&env, &password, vhost, queue, None, &opts).await?;
    args.out.show(&p, |p| {
        println!(
            "{}/{} ({}): read {} of {} message(s){}",
            p.vhost,
            p.queue,
            p.queue_type,
            p.read,
            p.depth,
            match &p.offset {
                Some(o) => format!(" from {}", offset_words(o)),
                None => String::new(),
            }
        );
        println!("{}", p.cost);
        for m in &p.messages {
            println!();
            print_message(m);
        }
    });
    Ok(0)
}

fn offset_words(o: &StreamOffset) -> String {
    match o {
        StreamOffset::First => "the first message".into(),
        StreamOffset::Last => "the newest messages".into(),
        StreamOffset::Offset { offset } => format!("offset {offset}"),
        StreamOffset::Timestamp { seconds } => warren_core::audit::rfc3339(*seconds, 0),
    }
}

fn pairs(m: &Map<String, Value>) -> String {
    m.iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join("  ")
}

fn print_message(p: &PeekedMessage) {
    let m = &p.message;
    let mut title = format!("#{}", m.position);
    if let Some(o) = p.stream_offset {
        title.push_str(&format!("  offset {o}"));
    }
    title.push_str(&format!("  key {}", m.key));
    if !m.exchange.is_empty() || !m.routing_key.is_empty() {
        title.push_str(&format!(
            "  exchange {:?} routing key {:?}",
            m.exchange, m.routing_key
        ));
    }
    if m.redelivered {
        title.push_str("  redelivered");
    }
    println!("── {title}");
    if !m.properties.is_empty() {
        println!("properties: {}", pairs(&m.properties));
    }
    if !m.headers.is_empty() {
        println!("headers:    {}", pairs(&m.headers));
    }
    if let Some(origin) = &m.origin {
        println!(
            "died in:    {origin} ({}), {} death(s)",
            m.reason.as_deref().unwrap_or("-"),
            m.deaths.iter().map(|d| d.count).sum::<u64>()
        );
    }
    let b = &m.body;
    let kind = serde_json::to_value(b.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    println!("body ({kind}, {} bytes):", b.size);
    let lines: Vec<&str> = b.preview.lines().collect();
    for l in lines.iter().take(BODY_LINES) {
        println!("  {l}");
    }
    if lines.len() > BODY_LINES || b.truncated {
        println!("  … (more: --json prints the whole preview)");
    }
}
