//! Peeking at any queue. A classic or quorum queue is read from its head exactly as a DLQ is
//! browsed (`deadletters::browse`: every message read is given back in place, marked
//! redelivered; on a quorum queue up to 4.2 each read counts against the delivery limit, and a
//! head one read from its limit is refused unless the user insists). A stream is read by a
//! stream consumer from an offset — `first`, `last`, a number or a time — which removes and
//! changes nothing: streams keep their messages whoever reads them.
//!
//! `last` is Warren's, not the broker's: the newest N messages. (The broker's `last` starts at
//! the last *chunk*, which may hold one message or thousands.) A stream peeked without an
//! offset shows its newest messages, what an operator looking at a live stream wants; a
//! classic or quorum queue has no offsets and always shows its head (the next to be consumed).
//!
//! Requires read permission on the queue (and the `management` tag, to learn its type).
//! Removes no message.

use std::collections::VecDeque;
use std::str::FromStr;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::broker::management::ManagementClient;
use crate::broker::{amqp, BrokerError, BrokerErrorKind};
use crate::deadletters::browse::{browse_queue, decode, BrowseOptions, MAX_LIMIT};
use crate::deadletters::message::DeadLetter;
use crate::deadletters::xdeath;
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::queues::QueueRow;
use crate::template::RealmTemplate;

/// Where a stream is read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum StreamOffset {
    /// The oldest message the stream still holds.
    First,
    /// The newest `limit` messages.
    Last,
    /// From this offset on (an offset already removed by retention starts at the first kept).
    Offset {
        #[ts(type = "number")]
        offset: u64,
    },
    /// From the first chunk written at or after this time (Unix seconds): the broker stores a
    /// time per chunk, so a few messages just before it may come too.
    Timestamp {
        #[ts(type = "number")]
        seconds: i64,
    },
}

impl FromStr for StreamOffset {
    type Err = String;
    /// `first`, `last`, an offset (`1234`) or an RFC 3339 time (`2026-12-01T20:00:00Z`).
    fn from_str(s: &str) -> std::result::Result<StreamOffset, String> {
        let s = s.trim();
        match s {
            "first" => Ok(StreamOffset::First),
            "last" => Ok(StreamOffset::Last),
            _ if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
                .parse()
                .map(|offset| StreamOffset::Offset { offset })
                .map_err(|_| format!("the offset `{s}` is too large")),
            _ => parse_rfc3339(s)
                .map(|seconds| StreamOffset::Timestamp { seconds })
                .ok_or_else(|| {
                    format!("`{s}` is no offset: use first, last, a number, or an RFC 3339 time such as 2026-12-01T20:00:00Z")
                }),
        }
    }
}

/// An RFC 3339 time (`2026-12-01T20:00:00Z`, `…T21:00:00.5+01:00`) as Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let mut d = date.split('-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let (time, offset) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (t, z) = rest.split_at(at);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let (hh, mm) = z[1..].split_once(':')?;
        let (hh, mm): (i64, i64) = (hh.parse().ok()?, mm.parse().ok()?);
        (t, sign * (hh * 3600 + mm * 60))
    };
    let time = time.split('.').next()?;
    let mut t = time.split(':');
    let (hh, mm, ss): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    if t.next().is_some() || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(
        crate::queues::row::days_from_civil(y, m, day) * 86_400 + hh * 3600 + mm * 60 + ss - offset,
    )
}

/// How a peek proceeds.
#[derive(Debug, Clone, Default)]
pub struct PeekOptions {
    /// Messages to read (1..=65535).
    pub limit: u32,
    /// Streams only: where to start (`None`: the newest `limit`). Given for another queue
    /// type, the peek is refused: such a queue is read from its head.
    pub offset: Option<StreamOffset>,
    /// Read a quorum queue even when its head message is one read from its delivery limit.
    pub insist: bool,
}

/// One message read: the dead-letter view (properties, headers, decoded `x-death`, body
/// preview), plus its offset when read from a stream.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PeekedMessage {
    #[serde(flatten)]
    #[ts(flatten)]
    pub message: DeadLetter,
    /// Streams: the message's offset.
    #[ts(optional, type = "number")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_offset: Option<u64>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct Peek {
    pub vhost: String,
    pub queue: String,
    /// classic, quorum or stream (as the broker said when the read began).
    pub queue_type: String,
    /// The queue's depth when the read began (a stream: the broker's count, which lags a few
    /// seconds).
    #[ts(type = "number")]
    pub depth: u64,
    /// How many messages were read.
    pub read: u32,
    /// Every message of the queue (a stream: from the offset to its end) was read.
    pub complete: bool,
    pub messages: Vec<PeekedMessage>,
    /// What reading cost, for the window and the CLI to say.
    pub cost: String,
    /// The queue's delivery limit (quorum queues; `None`: none, or another type).
    #[ts(type = "number | null")]
    pub delivery_limit: Option<u64>,
    /// This read raised the delivery count of every message it read (quorum queues up to 4.2).
    pub read_counts: bool,
    /// Messages that were at their limit: giving them back made the broker drop or
    /// dead-letter them (only a read the user insisted on gets here).
    pub dropped_by_read: u32,
    /// Streams: where the read started.
    pub offset: Option<StreamOffset>,
}

/// A stream read stops when nothing more arrives for this long (the end of the stream)...
const STREAM_IDLE: Duration = Duration::from_millis(1000);
/// ...or, before the first message, for this long (an empty stream, a far offset).
const STREAM_FIRST_WAIT: Duration = Duration::from_secs(3);
/// Finding a live stream's newest messages reads for at most this long.
const STREAM_TAIL_BUDGET: Duration = Duration::from_secs(3);

fn other(what: &str, e: impl std::fmt::Display) -> Error {
    BrokerError::new(BrokerErrorKind::Other, format!("{what}: {e}")).into()
}

/// Read up to `opts.limit` messages of `queue` without removing any: a classic or quorum
/// queue from its head (see `deadletters::browse` for what that costs), a stream from
/// `opts.offset` (default: its newest messages; free). Origins of dead letters are mapped to
/// realms with `template`. Requires the `management` tag and read permission on the queue.
/// Removes no message.
pub async fn peek(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    template: Option<&RealmTemplate>,
    opts: &PeekOptions,
) -> Result<Peek> {
    amqp::check_name("queue name", queue)?;
    if opts.limit == 0 || opts.limit > MAX_LIMIT {
        return Err(Error::InvalidArgument(format!(
            "read 1 to {MAX_LIMIT} messages, not {}",
            opts.limit
        )));
    }
    let client = ManagementClient::new(env, password.clone())?;
    let path = format!(
        "queues/{}/{}",
        utf8_percent_encode(vhost, NON_ALPHANUMERIC),
        utf8_percent_encode(queue, NON_ALPHANUMERIC)
    );
    let (api, _): (serde_json::Value, _) = client.get_json(&path).await?;
    let row = QueueRow::from_api(&api);
    if row.queue_type == "stream" {
        let offset = opts.offset.clone().unwrap_or(StreamOffset::Last);
        return peek_stream(
            env,
            password,
            vhost,
            queue,
            row.messages,
            &offset,
            opts.limit,
            template,
        )
        .await;
    }
    if let Some(o) = &opts.offset {
        return Err(Error::InvalidArgument(format!(
            "`{queue}` (vhost `{vhost}`) is a {} queue, not a stream: an offset ({o:?}) applies only to streams; a {} queue is always read from its head",
            row.queue_type, row.queue_type
        )));
    }
    let browse_opts = BrowseOptions {
        limit: opts.limit,
        insist: opts.insist,
    };
    let b = browse_queue(env, password, vhost, queue, template, &browse_opts).await?;
    Ok(Peek {
        vhost: b.vhost,
        queue: b.queue,
        queue_type: b.queue_type,
        depth: b.depth,
        read: b.read,
        complete: b.complete,
        messages: b
            .messages
            .into_iter()
            .map(|message| PeekedMessage {
                message,
                stream_offset: None,
            })
            .collect(),
        cost: b.cost,
        delivery_limit: b.delivery_limit,
        read_counts: b.read_counts,
        dropped_by_read: b.dropped_by_read,
        offset: None,
    })
}

/// The offset a stream delivery carries.
fn offset_of(d: &Delivery) -> Option<u64> {
    d.properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get("x-stream-offset"))
        .and_then(xdeath::as_int)
        .and_then(|o| u64::try_from(o).ok())
}

/// A stream consumer from `from`, taking deliveries until `stop` says so, nothing arrives for
/// a while, or `budget` runs out. Acks are required by the broker (they only feed the
/// consumer's credit: a stream removes nothing).
async fn read_stream(
    ch: &lapin::Channel,
    queue: &str,
    from: AMQPValue,
    prefetch: u16,
    budget: Duration,
    mut take: impl FnMut(Delivery) -> bool,
) -> Result<()> {
    ch.basic_qos(prefetch.max(1), BasicQosOptions::default())
        .await
        .map_err(|e| other("set the prefetch", e))?;
    let mut args = FieldTable::default();
    args.insert("x-stream-offset".into(), from);
    let tag = "warren-peek";
    let mut consumer = ch
        .basic_consume(
            queue.into(),
            tag.into(),
            BasicConsumeOptions::default(),
            args,
        )
        .await
        .map_err(|e| other("start reading the stream", e))?;
    let started = Instant::now();
    let mut seen = false;
    loop {
        let wait = if seen { STREAM_IDLE } else { STREAM_FIRST_WAIT };
        let left = budget.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        match tokio::time::timeout(wait.min(left), consumer.next()).await {
            Ok(Some(Ok(d))) => {
                seen = true;
                let _ = ch
                    .basic_ack(d.delivery_tag, BasicAckOptions { multiple: true })
                    .await;
                if !take(d) {
                    break;
                }
            }
            Ok(Some(Err(e))) => return Err(other("read the stream", e)),
            Ok(None) | Err(_) => break,
        }
    }
    let _ = ch
        .basic_cancel(tag.into(), BasicCancelOptions::default())
        .await;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn peek_stream(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    depth: u64,
    offset: &StreamOffset,
    limit: u32,
    template: Option<&RealmTemplate>,
) -> Result<Peek> {
    let limit = limit as usize;
    let prefetch = limit.min(usize::from(u16::MAX)) as u16;
    let conn = amqp::connect(env, password, Some(vhost), "peek a stream").await?;
    let mut got: VecDeque<Delivery> = VecDeque::new();
    let unlimited = Duration::from_secs(3600);
    let complete;
    match offset {
        StreamOffset::Last => {
            // The broker's `last` is the last chunk: read it (and whatever arrives meanwhile)
            // keeping the newest `limit`, then fill up from just before them.
            let ch = conn
                .create_channel()
                .await
                .map_err(|e| other("open a channel", e))?;
            let last = AMQPValue::LongString(LongString::from("last"));
            read_stream(&ch, queue, last, prefetch, STREAM_TAIL_BUDGET, |d| {
                got.push_back(d);
                if got.len() > limit {
                    got.pop_front();
                }
                true
            })
            .await?;
            let _ =
                tokio::time::timeout(super::CLOSE_WAIT, ch.close(200, "peek done".into())).await;
            let end = got.back().and_then(offset_of);
            let first_kept = got.front().and_then(offset_of);
            if let (Some(end), Some(first_kept)) = (end, first_kept) {
                let want_from = (end + 1).saturating_sub(limit as u64);
                if got.len() < limit && want_from < first_kept {
                    let ch = conn
                        .create_channel()
                        .await
                        .map_err(|e| other("open a channel", e))?;
                    let mut before = Vec::new();
                    let from = AMQPValue::LongLongInt(want_from as i64);
                    read_stream(&ch, queue, from, prefetch, unlimited, |d| {
                        match offset_of(&d) {
                            Some(o) if o >= first_kept => false,
                            _ => {
                                before.push(d);
                                before.len() + got.len() < limit
                            }
                        }
                    })
                    .await?;
                    let _ =
                        tokio::time::timeout(super::CLOSE_WAIT, ch.close(200, "peek done".into()))
                            .await;
                    for d in before.into_iter().rev() {
                        got.push_front(d);
                    }
                }
            }
            complete = true;
        }
        _ => {
            let from = match offset {
                StreamOffset::First => AMQPValue::LongString(LongString::from("first")),
                StreamOffset::Offset { offset } => {
                    AMQPValue::LongLongInt(i64::try_from(*offset).unwrap_or(i64::MAX))
                }
                StreamOffset::Timestamp { seconds } => {
                    AMQPValue::Timestamp(u64::try_from(*seconds).unwrap_or(0))
                }
                StreamOffset::Last => unreachable!("handled above"),
            };
            let ch = conn
                .create_channel()
                .await
                .map_err(|e| other("open a channel", e))?;
            read_stream(&ch, queue, from, prefetch, unlimited, |d| {
                got.push_back(d);
                got.len() < limit
            })
            .await?;
            let _ =
                tokio::time::timeout(super::CLOSE_WAIT, ch.close(200, "peek done".into())).await;
            complete = got.len() < limit;
        }
    }
    super::close_connection(&conn, "peek done").await;
    let messages: Vec<PeekedMessage> = got
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let m = decode(i as u32, d, vhost, template);
            PeekedMessage {
                stream_offset: offset_of(d),
                message: m,
            }
        })
        .collect();
    Ok(Peek {
        vhost: vhost.to_string(),
        queue: queue.to_string(),
        queue_type: "stream".into(),
        depth,
        read: messages.len() as u32,
        complete,
        cost: format!(
            "Reading {} message(s) of a stream removed and changed nothing (a stream keeps its messages whoever reads them).{}",
            messages.len(),
            if messages.is_empty() && matches!(offset, StreamOffset::Timestamp { .. }) {
                // Measured on 3.10 (OTP 25, "no time warp"): after the machine's clock was
                // stepped 600 s ahead, a read from a second ago gave nothing. Not only when the
                // depth says the stream holds messages: 3.10's count of a stream lags its writes.
                " Nothing was written at or after that time by the broker's clock: a stream is stamped with the broker's clock, which can differ from this machine's (a 3.x broker keeps the clock it started with when its machine's clock is stepped)."
            } else {
                ""
            }
        ),
        messages,
        delivery_limit: None,
        read_counts: false,
        dropped_by_read: 0,
        offset: Some(offset.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_from_the_cli_forms() {
        assert_eq!("first".parse::<StreamOffset>(), Ok(StreamOffset::First));
        assert_eq!("last".parse::<StreamOffset>(), Ok(StreamOffset::Last));
        assert_eq!(
            "42".parse::<StreamOffset>(),
            Ok(StreamOffset::Offset { offset: 42 })
        );
        assert_eq!(
            "2025-11-26T00:00:00Z".parse::<StreamOffset>(),
            Ok(StreamOffset::Timestamp {
                seconds: 1_764_115_200
            })
        );
        assert_eq!(
            "2025-11-26T01:30:00.250+01:30".parse::<StreamOffset>(),
            Ok(StreamOffset::Timestamp {
                seconds: 1_764_115_200
            })
        );
        let e = "yesterday".parse::<StreamOffset>().unwrap_err();
        assert!(e.contains("RFC 3339"), "{e}");
        assert!("2025-13-01T00:00:00Z".parse::<StreamOffset>().is_err());
        assert!(
            "2025-11-26T00:00:00".parse::<StreamOffset>().is_err(),
            "a time needs its zone"
        );
    }
}
