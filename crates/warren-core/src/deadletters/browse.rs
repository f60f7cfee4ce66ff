//! Reading the head of a dead-letter queue without removing anything: a consumer with manual
//! acknowledgements takes up to N messages and never acks them; closing its channel puts them
//! back where they were. What that costs is said to the user: each message read carries the
//! `redelivered` flag afterwards, and on a quorum queue its delivery count rises by one (with a
//! `x-delivery-limit`, a message read too often is dropped or dead-lettered by the broker).
//!
//! Requires read permission on the queue. Does not remove, add or reorder messages.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicConsumeOptions, BasicNackOptions, BasicQosOptions};
use lapin::types::FieldTable;
use secrecy::SecretString;
use serde::Serialize;
use ts_rs::TS;

use super::message::{dead_letter, origin_of, DeadLetter};
use super::xdeath;
use crate::broker::{amqp, BrokerError, BrokerErrorKind};
use crate::environment::Environment;
use crate::error::Result;
use crate::realms::RealmTemplate;

pub const DEFAULT_LIMIT: u32 = 200;
/// A browse holds every message it reads unacknowledged, and AMQP's prefetch is a u16.
pub const MAX_LIMIT: u32 = 65_535;
/// A read stops when no further message arrives for this long (the queue had fewer than it said,
/// e.g. a consumer took some).
const IDLE: Duration = Duration::from_millis(1500);

/// Messages per (origin queue, reason), the unit a replay can be scoped to.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct DeathGroup {
    pub origin: String,
    pub reason: String,
    pub count: u32,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
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
    mut each: impl FnMut(u32, &Delivery),
) -> Result<(u64, u32)> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let conn = amqp::connect(env, password, Some(vhost), "browse dead letters").await?;
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| other("open a channel", e))?;
    let depth = amqp::queue_depth(&conn, vhost, queue).await?;
    let want = (depth.min(u64::from(limit))) as u32;
    let mut read = 0u32;
    if want > 0 {
        ch.basic_qos(want as u16, BasicQosOptions::default())
            .await
            .map_err(|e| other("set the prefetch", e))?;
        let mut consumer = ch
            .basic_consume(
                queue.into(),
                "warren-browse".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| other("start reading", e))?;
        let mut last_tag = 0;
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
        // Everything read goes back in its place; closing the channel would do it too.
        if last_tag > 0 {
            let _ = ch
                .basic_nack(
                    last_tag,
                    BasicNackOptions {
                        multiple: true,
                        requeue: true,
                    },
                )
                .await;
        }
    }
    let _ = ch.close(200, "browse done".into()).await;
    let _ = conn.close(200, "browse done".into()).await;
    Ok((depth, read))
}

/// The cost of reading `read` messages of a queue of this type.
pub fn cost(read: u32, queue_type: &str, delivery_limit: Option<u64>) -> String {
    let mut s = format!("Reading {read} message(s) left them in place, marked as redelivered.");
    if queue_type == "quorum" {
        s.push_str(" On this quorum queue each read also raised their delivery count by one");
        match delivery_limit {
            Some(l) => s.push_str(&format!(
                "; with its delivery limit of {l}, a message read that often is dropped or dead-lettered."
            )),
            None => s.push('.'),
        }
    }
    s
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
/// to realms with `template`. Does not modify state (see the module comment for the cost).
pub async fn browse(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    limit: u32,
    template: Option<&RealmTemplate>,
    queue_type: &str,
    delivery_limit: Option<u64>,
) -> Result<Browse> {
    let mut messages = Vec::new();
    let (depth, read) = read_head(env, password, vhost, queue, limit, |i, d| {
        let mut m = dead_letter(
            i,
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
        messages.push(m);
    })
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
        cost: cost(read, queue_type, delivery_limit),
    })
}

/// Count the messages of a queue by origin queue without decoding more than `x-death`: what
/// attributing a shared DLQ to realms needs. Returns (origin → count, messages read, depth).
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
        assert!(!cost(3, "classic", None).contains("quorum"));
        let q = cost(3, "quorum", Some(5));
        assert!(q.contains("delivery count") && q.contains("limit of 5"));
    }
}
