//! Reading the head of a dead-letter queue without removing anything: a consumer with manual
//! acknowledgements takes up to N messages and never acks them; it is cancelled, then one
//! `basic.nack(multiple, requeue)` puts them back where they were (nacking while the consumer
//! still ran would hand them straight back to it, and closing the channel would return them a
//! second time: two reads counted for one). What that costs is said to the user: each message
//! read carries the `redelivered` flag afterwards, and on a quorum queue up to 4.2 its delivery
//! count rises by one (4.3 counts a nack as no failure). With a delivery limit (4.0+: 20 by
//! default), a message read too often is dropped or dead-lettered by the broker, so a browse of
//! a quorum queue whose head is one read from its limit is refused unless the user insists.
//!
//! Requires read permission on the queue. Does not remove, add or reorder messages.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicCancelOptions, BasicGetOptions, BasicNackOptions};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use secrecy::SecretString;
use serde::Serialize;
use ts_rs::TS;

use super::message::{dead_letter, origin_of, DeadLetter};
use super::xdeath;
use crate::broker::management::ManagementClient;
use crate::broker::{amqp, BrokerError, BrokerErrorKind};
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::lines::{broker_line, Line};
use crate::queues::QueueRow;
use crate::template::RealmTemplate;

pub const DEFAULT_LIMIT: u32 = 200;
/// A browse holds every message it reads unacknowledged, and AMQP's prefetch is a u16.
pub const MAX_LIMIT: u32 = 65_535;
/// A read stops when no further message arrives for this long (the queue had fewer than it said,
/// e.g. a consumer took some).
const IDLE: Duration = Duration::from_millis(1500);

/// Messages per (origin queue, reason), the unit a replay can be scoped to.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct DeathGroup {
    pub origin: String,
    pub reason: String,
    pub count: u32,
    pub realm: Option<String>,
    pub worker: Option<String>,
}

/// Messages per realm of their origin queue (`None`: the origin is unpartitioned or unknown).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct RealmCount {
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Browse {
    pub vhost: String,
    pub queue: String,
    /// The queue's depth when the read began.
    #[ts(type = "number")]
    pub depth: u64,
    /// How many messages were read (the groups cover these).
    pub read: u32,
    /// Every message of the queue was read.
    pub complete: bool,
    pub messages: Vec<DeadLetter>,
    pub groups: Vec<DeathGroup>,
    pub realms: Vec<RealmCount>,
    /// What reading cost, for the window and the CLI to say.
    pub cost: String,
    /// classic, quorum or stream (as the broker said when the read began).
    pub queue_type: String,
    /// The queue's delivery limit (quorum queues; `None`: none, or another type).
    #[ts(type = "number | null")]
    pub delivery_limit: Option<u64>,
    /// This read raised the delivery count of every message it read (quorum queues up to 4.2).
    pub read_counts: bool,
    /// Messages that were at their limit: giving them back made the broker drop or
    /// dead-letter them (only a read the user insisted on gets here).
    pub dropped_by_read: u32,
}

/// How a browse may proceed.
#[derive(Debug, Clone, Default)]
pub struct BrowseOptions {
    /// Messages to read from the head (1..=MAX_LIMIT).
    pub limit: u32,
    /// Read even a quorum queue whose head message is one read from its delivery limit.
    pub insist: bool,
}

fn other(what: &str, e: impl std::fmt::Display) -> BrokerError {
    BrokerError::new(BrokerErrorKind::Other, format!("{what}: {e}"))
}

/// Read up to `limit` messages from the head of `queue` and hand each to `each`, then put them
/// all back. Returns the depth when the read began and how many were read.
pub(crate) async fn read_head(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    limit: u32,
    each: impl FnMut(u32, &Delivery),
) -> Result<(u64, u32)> {
    read_head_checked(env, password, vhost, queue, limit, None, each).await
}

/// A check of the head message before anything else is read: an error gives the head back
/// and ends the read with that error.
type HeadCheck<'a> = &'a (dyn Fn(&Delivery) -> Result<()> + Sync);

/// `read_head`, reading the head alone first (`basic.get`) when `head_check` is given, so a
/// refusal costs one read of one message rather than of all of them.
async fn read_head_checked(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    limit: u32,
    head_check: Option<HeadCheck<'_>>,
    mut each: impl FnMut(u32, &Delivery),
) -> Result<(u64, u32)> {
    let limit = limit.clamp(1, MAX_LIMIT);
    amqp::check_name("queue name", queue)?;
    let conn = amqp::connect(env, password, Some(vhost), "browse dead letters").await?;
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| other("open a channel", e))?;
    let depth = amqp::queue_depth(&conn, vhost, queue).await?;
    let want = (depth.min(u64::from(limit))) as u32;
    let mut read = 0u32;
    let mut last_tag = 0;
    let give_back = |tag| {
        let ch = ch.clone();
        async move {
            if tag > 0 {
                let _ = ch
                    .basic_nack(
                        tag,
                        BasicNackOptions {
                            multiple: true,
                            requeue: true,
                        },
                    )
                    .await;
            }
        }
    };
    if let (Some(check), true) = (head_check, want > 0) {
        let head = ch
            .basic_get(queue.into(), BasicGetOptions { no_ack: false })
            .await
            .map_err(|e| other("read the head message", e))?;
        if let Some(head) = head {
            let d = &head.delivery;
            last_tag = d.delivery_tag;
            if let Err(e) = check(d) {
                give_back(last_tag).await;
                let _ = ch.close(200, "browse refused".into()).await;
                let _ = conn.close(200, "browse refused".into()).await;
                return Err(e);
            }
            each(read, d);
            read += 1;
        }
    }
    if read < want {
        let mut consumer = amqp::consume(&ch, queue, "warren-browse", (want - read) as u16)
            .await
            .map_err(|e| other("start reading", e))?;
        while read < want {
            match tokio::time::timeout(IDLE, consumer.next()).await {
                Ok(Some(Ok(d))) => {
                    last_tag = d.delivery_tag;
                    each(read, &d);
                    read += 1;
                }
                Ok(Some(Err(e))) => return Err(other("read a message", e).into()),
                Ok(None) | Err(_) => break,
            }
        }
        // Cancel first: a nack to a running consumer hands the messages straight back to it,
        // and closing the channel then returns them again (two delivery counts for one read).
        let _ = ch
            .basic_cancel("warren-browse".into(), BasicCancelOptions::default())
            .await;
    }
    // Everything read goes back in its place, and counts again before the caller reads on.
    give_back(last_tag).await;
    let _ = ch.close(200, "browse done".into()).await;
    if read > 0 {
        amqp::wait_until_counted(&conn, queue, depth, amqp::GIVE_BACK_SETTLE).await;
    }
    let _ = conn.close(200, "browse done".into()).await;
    Ok((depth, read))
}

/// What a read of `read` messages cost, in words: `read_counts` when it raised their delivery
/// counts (quorum queues up to 4.2), `dropped` messages that were at the limit.
pub fn cost(
    read: u32,
    queue_type: &str,
    delivery_limit: Option<u64>,
    read_counts: bool,
    dropped: u32,
) -> String {
    let mut s = format!("Reading {read} message(s) left them in place, marked as redelivered.");
    if queue_type != "quorum" {
        return s;
    }
    match (read_counts, delivery_limit) {
        (true, Some(l)) => s.push_str(&format!(
            " On this quorum queue each read also raised their delivery count by one; with its delivery limit of {l}, a message read that often is dropped or dead-lettered (see each message's reads left)."
        )),
        (true, None) => s.push_str(" On this quorum queue each read also raised their delivery count by one (it has no delivery limit)."),
        (false, Some(l)) => s.push_str(&format!(
            " This broker (4.3+) does not count a browse against the delivery limit of {l}: only failed deliveries do."
        )),
        (false, None) => {}
    }
    if dropped > 0 {
        s.push_str(&format!(
            " {dropped} message(s) were at their delivery limit: giving them back made the broker drop or dead-letter them."
        ));
    }
    s
}

/// Reads a message with delivery count `count` survives after this one (`None`: no limit or
/// the read does not count), and whether this read dropped it.
fn reads_left(count: u64, limit: Option<u64>, read_counts: bool) -> (Option<u64>, bool) {
    match limit {
        Some(l) if read_counts => (Some(l.saturating_sub(count + 1)), count >= l),
        _ => (None, false),
    }
}

/// Group decoded messages by (origin, reason) and by realm, largest first.
pub fn group(messages: &[DeadLetter]) -> (Vec<DeathGroup>, Vec<RealmCount>) {
    let mut by_origin: BTreeMap<(String, String), DeathGroup> = BTreeMap::new();
    let mut by_realm: BTreeMap<Option<String>, u32> = BTreeMap::new();
    for m in messages {
        let origin = m.origin.clone().unwrap_or_default();
        let reason = m.reason.clone().unwrap_or_default();
        by_origin
            .entry((origin.clone(), reason.clone()))
            .or_insert_with(|| DeathGroup {
                origin,
                reason,
                count: 0,
                realm: m.realm.clone(),
                worker: m.worker.clone(),
            })
            .count += 1;
        *by_realm.entry(m.realm.clone()).or_default() += 1;
    }
    let mut groups: Vec<DeathGroup> = by_origin.into_values().collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.origin.cmp(&b.origin)));
    let mut realms: Vec<RealmCount> = by_realm
        .into_iter()
        .map(|(realm, count)| RealmCount { realm, count })
        .collect();
    realms.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.realm.cmp(&b.realm)));
    (groups, realms)
}

/// Read the first `limit` messages of a dead-letter queue and decode them; origins are mapped
/// to realms with `template`. `browse_queue` without insisting: the queue's type and limit
/// are asked of the broker, the two arguments that used to carry them are ignored.
/// Needs read permission on the queue (no user tag). Removes no message (they are redelivered).
#[allow(clippy::too_many_arguments)]
pub async fn browse(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    limit: u32,
    template: Option<&RealmTemplate>,
    _queue_type: &str,
    _delivery_limit: Option<u64>,
) -> Result<Browse> {
    let opts = BrowseOptions {
        limit,
        insist: false,
    };
    browse_queue(env, password, vhost, queue, template, &opts).await
}

/// Read the first `opts.limit` messages of a dead-letter queue and decode them; origins are
/// mapped to realms with `template`. Refuses a stream (reading one consumes nothing and
/// replays nothing), and a quorum queue whose head message is one read from its delivery limit
/// where reads count (up to 4.2) unless `opts.insist`: finding that out costs the head one
/// read. Requires the `management` tag and read permission on the queue. Does not remove
/// messages (see the module comment for the cost).
/// Removes no message (they are redelivered and counted as reads).
pub async fn browse_queue(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    template: Option<&RealmTemplate>,
    opts: &BrowseOptions,
) -> Result<Browse> {
    amqp::check_name("queue name", queue)?;
    let client = ManagementClient::new(env, password.clone())?;
    let line = broker_line(&client).await?;
    let path = format!(
        "queues/{}/{}",
        utf8_percent_encode(vhost, NON_ALPHANUMERIC),
        utf8_percent_encode(queue, NON_ALPHANUMERIC)
    );
    let (api, _): (serde_json::Value, _) = client.get_json(&path).await?;
    let queue_type = QueueRow::from_api(&api).queue_type;
    if queue_type == "stream" {
        return Err(Error::NotForStreams {
            action: "browse".into(),
            vhost: vhost.into(),
            queue: queue.into(),
        });
    }
    let delivery_limit =
        QueueRow::delivery_limit_or(&api, line.and_then(Line::default_delivery_limit));
    let read_counts =
        queue_type == "quorum" && line.is_none_or(Line::nack_counts_against_the_limit);
    let check = |d: &Delivery| -> Result<()> {
        let count = delivery_count(d);
        match delivery_limit {
            Some(limit) if count + 1 >= limit => Err(Error::NearDeliveryLimit {
                vhost: vhost.into(),
                queue: queue.into(),
                returned: count + 1,
                limit,
            }),
            _ => Ok(()),
        }
    };
    let guarded = read_counts && delivery_limit.is_some() && !opts.insist;
    let mut messages = Vec::new();
    let mut dropped_by_read = 0;
    let (depth, read) = read_head_checked(
        env,
        password,
        vhost,
        queue,
        opts.limit,
        guarded.then_some(&check as HeadCheck<'_>),
        |i, d| {
            let mut m = decode(i, d, vhost, template);
            let (left, dropped) = reads_left(delivery_count(d), delivery_limit, read_counts);
            m.reads_left = left;
            dropped_by_read += u32::from(dropped);
            messages.push(m);
        },
    )
    .await?;
    let (groups, realms) = group(&messages);
    Ok(Browse {
        vhost: vhost.to_string(),
        queue: queue.to_string(),
        depth,
        read,
        complete: u64::from(read) >= depth,
        messages,
        groups,
        realms,
        cost: cost(
            read,
            &queue_type,
            delivery_limit,
            read_counts,
            dropped_by_read,
        ),
        queue_type,
        delivery_limit,
        read_counts,
        dropped_by_read,
    })
}

/// A delivery read at `position` as the window shows it, its origin mapped to a realm and worker
/// with `template`.
pub(crate) fn decode(
    position: u32,
    d: &Delivery,
    vhost: &str,
    template: Option<&RealmTemplate>,
) -> DeadLetter {
    let mut m = dead_letter(
        position,
        d.exchange.as_str(),
        d.routing_key.as_str(),
        d.redelivered,
        &d.properties,
        &d.data,
    );
    if let (Some(t), Some(origin)) = (template, m.origin.as_deref()) {
        if let Some((w, r)) = t.map(vhost, origin) {
            (m.worker, m.realm) = (Some(w.to_string()), Some(r.to_string()));
        }
    }
    m
}

/// `x-delivery-count` as delivered (0 when absent: never given back yet).
pub(crate) fn delivery_count(d: &Delivery) -> u64 {
    d.properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get("x-delivery-count"))
        .and_then(xdeath::as_int)
        .and_then(|c| u64::try_from(c).ok())
        .unwrap_or(0)
}

/// Count the messages of a queue by origin queue without decoding more than `x-death`: what
/// attributing a shared DLQ to realms needs. Returns (origin → count, messages read, depth).
/// Needs read permission on the queue (no user tag). Removes no message (they are redelivered).
pub async fn count_origins(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    limit: u32,
) -> Result<(BTreeMap<String, u64>, u32, u64)> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let (depth, read) = read_head(env, password, vhost, queue, limit, |_, d| {
        let headers = d.properties.headers().as_ref();
        let deaths = xdeath::deaths(headers).unwrap_or_default();
        let origin = origin_of(headers, &deaths).map(|o| o.0).unwrap_or_default();
        *counts.entry(origin).or_default() += 1;
    })
    .await?;
    Ok((counts, read, depth))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(origin: &str, reason: &str, realm: Option<&str>) -> DeadLetter {
        let mut d = dead_letter(0, "", "", false, &Default::default(), b"");
        d.origin = Some(origin.into());
        d.reason = Some(reason.into());
        d.realm = realm.map(str::to_string);
        d
    }

    #[test]
    fn groups_by_origin_and_reason_and_by_realm_largest_first() {
        let msgs = vec![
            m("billing.acme", "rejected", Some("acme")),
            m("billing.acme", "rejected", Some("acme")),
            m("billing.acme", "expired", Some("acme")),
            m("mail.globex", "rejected", Some("globex")),
            m("healthcheck", "maxlen", None),
        ];
        let (groups, realms) = group(&msgs);
        assert_eq!(groups[0].origin, "billing.acme");
        assert_eq!(
            (groups[0].reason.as_str(), groups[0].count),
            ("rejected", 2)
        );
        assert_eq!(groups.len(), 4);
        assert_eq!(
            realms[0],
            RealmCount {
                realm: Some("acme".into()),
                count: 3
            }
        );
        assert_eq!(realms.iter().map(|r| r.count).sum::<u32>(), 5);
    }

    #[test]
    fn the_cost_warns_about_quorum_delivery_limits() {
        assert!(!cost(3, "classic", None, false, 0).contains("quorum"));
        let q = cost(3, "quorum", Some(5), true, 0);
        assert!(q.contains("delivery count") && q.contains("limit of 5"));
        let q = cost(3, "quorum", Some(20), false, 0);
        assert!(q.contains("does not count a browse"), "{q}");
        assert!(cost(3, "quorum", Some(5), true, 2)
            .contains("2 message(s) were at their delivery limit"));
    }

    #[test]
    fn reads_left_counts_this_read_where_reads_count() {
        // Limit 3, as measured on 3.10 and 4.0: delivered with count 2, it survives this read
        // with none left; delivered with count 3, this read drops it.
        assert_eq!(reads_left(0, Some(3), true), (Some(2), false));
        assert_eq!(reads_left(2, Some(3), true), (Some(0), false));
        assert_eq!(reads_left(3, Some(3), true), (Some(0), true));
        assert_eq!(reads_left(2, None, true), (None, false));
        assert_eq!(reads_left(2, Some(3), false), (None, false));
    }
}
