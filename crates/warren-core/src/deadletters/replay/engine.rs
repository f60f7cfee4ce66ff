//! The engine of a run: copies in flight, their confirms and returns, the batched acks and the
//! journal, so that every message is at every instant unacked in the DLQ or confirmed somewhere.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesOrdered, FuturesUnordered};
use lapin::options::{BasicAckOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions};
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongString};
use lapin::BasicProperties;
use lapin::Confirmation;

use super::*;

use crate::deadletters::framework;
use crate::deadletters::replay_journal::{Identity, Journal};
use crate::deadletters::xdeath::{self, REPLAY_COUNT, REPLAY_ID, REPLAY_TIME};

pub(super) enum Kind {
    Replay(String),
    Keep(Keep),
}

/// Delivery tags settled (their copy confirmed, or nothing to copy) and acked with `multiple`
/// up to the lowest tag still waiting.
#[derive(Default)]
pub(super) struct Acks {
    pub(super) pending: BTreeSet<u64>,
    pub(super) highest: u64,
    pub(super) acked: u64,
}

impl Acks {
    pub(super) fn watermark(&self) -> u64 {
        self.pending.first().map_or(self.highest, |p| p - 1)
    }
    pub(super) async fn flush(
        &mut self,
        ch: &lapin::Channel,
    ) -> std::result::Result<(), lapin::Error> {
        let w = self.watermark();
        if w > self.acked {
            ch.basic_ack(w, BasicAckOptions { multiple: true }).await?;
            self.acked = w;
        }
        Ok(())
    }
}

/// A quorum queue adds `x-delivery-count` (and 4.3 `x-acquired-count`) to each redelivery: the
/// broker's bookkeeping for this delivery, not part of the message, so copies leave them out
/// (and a message is recognised across runs without them).
pub(super) const DELIVERY_ANNOTATIONS: [&str; 2] = ["x-delivery-count", "x-acquired-count"];

/// The message's properties as published (without the broker's delivery annotations).
pub(super) fn as_published(props: &BasicProperties) -> BasicProperties {
    match props.headers() {
        Some(h) if DELIVERY_ANNOTATIONS.iter().any(|k| h.contains_key(k)) => {
            let inner: BTreeMap<_, _> = h
                .inner()
                .iter()
                .filter(|(k, _)| !DELIVERY_ANNOTATIONS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            props.clone().with_headers(FieldTable::from(inner))
        }
        _ => props.clone(),
    }
}

/// The copy's headers: the original ones plus the replay count, id and time (and `CC` when the
/// original routing used several keys), less a framework's failure headers where its own retry
/// removes them (NServiceBus; see `framework` for each framework's policy).
pub(super) fn replay_properties(
    props: &BasicProperties,
    replays: u32,
    replay_id: &str,
    cc: &[String],
) -> BasicProperties {
    let props = as_published(props);
    let mut headers = props.headers().clone().unwrap_or_default();
    if let Some(clean) = framework::retry_headers(&headers) {
        headers = clean;
    }
    headers.insert(
        REPLAY_COUNT.into(),
        AMQPValue::LongLongInt(i64::from(replays) + 1),
    );
    headers.insert(REPLAY_ID.into(), AMQPValue::LongString(replay_id.into()));
    headers.insert(REPLAY_TIME.into(), AMQPValue::Timestamp(now_secs()));
    if !cc.is_empty() && !headers.contains_key("CC") {
        headers.insert(
            "CC".into(),
            AMQPValue::FieldArray(FieldArray::from(
                cc.iter()
                    .map(|k| AMQPValue::LongString(LongString::from(k.as_str())))
                    .collect::<Vec<_>>(),
            )),
        );
    }
    props.with_headers(headers)
}

/// A copy on its way (or confirmed, awaiting the decision): the DLQ delivery it stands for and
/// the original, kept to send back to the DLQ if the copy is refused.
pub(super) struct InFlight {
    pub(super) tag: u64,
    pub(super) kind: Kind,
    /// Which push this was (copies pushed later are published later).
    pub(super) seq: u64,
    /// What a returned copy is recognised by (see `copy_identity`).
    pub(super) identity: u64,
    /// What the original is recognised by in a later run (see `replay_journal`).
    pub(super) original: Identity,
    pub(super) properties: BasicProperties,
    pub(super) body: Vec<u8>,
}

/// A copy whose confirm arrived (or failed).
pub(super) struct Settled {
    pub(super) m: InFlight,
    pub(super) confirmation: std::result::Result<Confirmation, String>,
}

/// A confirmed copy waiting until no return can still be on its way for it.
pub(super) struct Provisional {
    pub(super) m: InFlight,
    /// `Engine::pushed` when its confirm was seen: a copy pushed after that is confirmed in a
    /// later ack frame, after every return for this one.
    pub(super) seen_at: u64,
}

/// A returned copy is recognised by where it went and what it is: the exchange, the routing
/// key, Warren's per-copy replay id (copies to the DLQ itself have none) and the body.
pub(super) fn copy_identity(
    exchange: &str,
    key: &str,
    props: &BasicProperties,
    body: &[u8],
) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(exchange.as_bytes());
    h.write_u8(0);
    h.write(key.as_bytes());
    h.write_u8(0);
    if let Some(id) = props
        .headers()
        .as_ref()
        .and_then(|t| t.inner().get(REPLAY_ID))
        .and_then(xdeath::as_text)
    {
        h.write(id.as_bytes());
    }
    h.write_u8(0);
    h.write(body);
    h.finish()
}

pub(super) fn count_kept(report: &mut ReplayReport, why: Keep) {
    match why {
        Keep::OutOfScope => report.out_of_scope += 1,
        Keep::LoopGuard => report.loop_guarded += 1,
        Keep::NameTooLong => report.name_too_long += 1,
        Keep::NoOrigin | Keep::Unroutable => report.unroutable += 1,
        Keep::Nacked => report.nacked += 1,
    }
}

/// The run's state: copies in flight, confirmed copies awaiting their decision, returns seen,
/// DLQ deliveries to ack, and the counts.
///
/// Why the decision waits: lapin hands a returned message (basic.return) to whichever publisher
/// confirm completes next, and a broker ack with `multiple` completes many confirms in
/// arbitrary order. So the copy a return is attached to is not necessarily the returned one.
/// Warren therefore recognises returns by `copy_identity`, and decides a confirmed copy only
/// once a copy pushed after its confirm was seen has been confirmed too (or nothing is in
/// flight): by then every return sent before its ack has been seen.
pub(super) struct Engine {
    pub(super) queue: String,
    pub(super) publish: lapin::Channel,
    pub(super) inflight: FuturesOrdered<BoxFuture<'static, Settled>>,
    pub(super) inflight_bytes: usize,
    pub(super) pushed: u64,
    pub(super) provisional: VecDeque<Provisional>,
    pub(super) returned: HashMap<u64, u32>,
    /// Copies to the DLQ itself that came back (the DLQ is gone?): their deliveries are
    /// returned to the queue with a nack rather than sent round again.
    pub(super) to_nack: Vec<(u64, Keep)>,
    pub(super) acks: Acks,
    pub(super) journal: Journal,
    /// Copies published per DLQ delivery tag whose ack is not yet known to be processed.
    pub(super) copies: BTreeMap<u64, u64>,
    /// Every ack up to this delivery tag is known to be processed by the broker.
    pub(super) synced: u64,
    pub(super) destinations: BTreeMap<String, u64>,
    pub(super) report: ReplayReport,
}

impl Engine {
    /// Ack what is settled (the journal written first: an ack can make an original vanish), and
    /// ask the broker for an answer that proves the ack was processed.
    pub(super) async fn flush_acks(
        &mut self,
        consume: &lapin::Channel,
        syncs: &mut FuturesUnordered<BoxFuture<'static, (u64, bool)>>,
        prefetch: u16,
    ) -> std::result::Result<(), String> {
        self.journal.write();
        let before = self.acks.acked;
        self.acks
            .flush(consume)
            .await
            .map_err(|e| format!("acking failed: {e}"))?;
        if self.acks.acked > before && syncs.is_empty() {
            // The channel handles its frames in order: once basic.qos-ok is back (the same
            // prefetch, so nothing changes), every ack sent before it was processed.
            let (ch, acked) = (consume.clone(), self.acks.acked);
            syncs.push(Box::pin(async move {
                let ok = ch
                    .basic_qos(prefetch, BasicQosOptions::default())
                    .await
                    .is_ok();
                (acked, ok)
            }));
        }
        Ok(())
    }

    /// The broker processed every ack up to `tag`.
    pub(super) fn synced(&mut self, tag: u64) {
        self.synced = self.synced.max(tag);
        self.copies = self.copies.split_off(&(self.synced + 1));
        self.journal.synced(self.synced);
    }

    /// Copies published whose DLQ delivery is not known to be acked: each may be a duplicate
    /// if the run stops now.
    pub(super) fn in_doubt(&self) -> u64 {
        self.copies.values().sum()
    }

    pub(super) async fn flush_nacks(
        &mut self,
        consume: &lapin::Channel,
    ) -> std::result::Result<(), String> {
        for (tag, kept) in std::mem::take(&mut self.to_nack) {
            consume
                .basic_nack(
                    tag,
                    BasicNackOptions {
                        multiple: false,
                        requeue: true,
                    },
                )
                .await
                .map_err(|e| format!("returning a message failed: {e}"))?;
            self.acks.pending.remove(&tag);
            count_kept(&mut self.report, kept);
        }
        Ok(())
    }

    /// Publish a copy (the future resolves once the broker confirmed or refused it). Copies are
    /// polled together, so lapin writes many frames per turn of its I/O loop.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push(
        &mut self,
        exchange: String,
        key: String,
        props: BasicProperties,
        tag: u64,
        kind: Kind,
        original_identity: Identity,
        original: BasicProperties,
        body: Vec<u8>,
    ) {
        let identity = copy_identity(&exchange, &key, &props, &body);
        let m = InFlight {
            tag,
            kind,
            seq: self.pushed,
            identity,
            original: original_identity,
            properties: original,
            body,
        };
        self.pushed += 1;
        *self.copies.entry(tag).or_default() += 1;
        self.inflight_bytes += m.body.len();
        let ch = self.publish.clone();
        self.inflight.push_back(Box::pin(async move {
            let confirmation = async {
                ch.basic_publish(
                    exchange.as_str().into(),
                    key.as_str().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        immediate: false,
                    },
                    &m.body,
                    props,
                )
                .await
                .map_err(|e| format!("publishing failed: {e}"))?
                .await
                .map_err(|e| format!("waiting for a publisher confirm failed: {e}"))
            }
            .await;
            Settled { m, confirmation }
        }));
    }

    pub(super) async fn on_settled(
        &mut self,
        s: Settled,
        consume: &lapin::Channel,
    ) -> std::result::Result<(), String> {
        self.inflight_bytes -= s.m.body.len();
        let (acked, carried) = match s.confirmation? {
            Confirmation::Ack(r) => (true, r),
            Confirmation::Nack(r) => (false, r),
            Confirmation::NotRequested => (true, None),
        };
        if let Some(r) = carried {
            let d = &r.delivery;
            let id = copy_identity(
                d.exchange.as_str(),
                d.routing_key.as_str(),
                &d.properties,
                &d.data,
            );
            *self.returned.entry(id).or_default() += 1;
        }
        // Copies confirmed before this one was pushed are decided now.
        self.decide_provisional(s.m.seq);
        self.flush_nacks(consume).await?;
        if acked {
            self.provisional.push_back(Provisional {
                m: s.m,
                seen_at: self.pushed,
            });
        } else {
            // A nack names its own delivery tag: no ambiguity.
            self.refused(s.m, Keep::Nacked, consume).await?;
        }
        Ok(())
    }

    /// Decide the confirmed copies seen before push number `before`.
    pub(super) fn decide_provisional(&mut self, before: u64) {
        while self
            .provisional
            .front()
            .is_some_and(|p| p.seen_at <= before)
        {
            let p = self.provisional.pop_front().expect("checked");
            let returned = match self.returned.get_mut(&p.m.identity) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            };
            if returned {
                match p.m.kind {
                    // Sending the original back is a push; its outcome is decided like any other.
                    Kind::Replay(_) => self.send_back(p.m, Keep::Unroutable),
                    Kind::Keep(kept) => self.to_nack.push((p.m.tag, kept)),
                }
                continue;
            }
            match p.m.kind {
                Kind::Replay(dest) => {
                    self.report.replayed += 1;
                    *self.destinations.entry(dest).or_default() += 1;
                }
                Kind::Keep(why) => count_kept(&mut self.report, why),
            }
            // Its copy is confirmed: a later run must not send the original again.
            self.journal.confirmed(p.m.tag, p.m.original);
            self.acks.pending.remove(&p.m.tag);
        }
    }

    /// The original, unchanged, goes back to the DLQ's tail; its delivery is acked once that
    /// copy is confirmed.
    pub(super) fn send_back(&mut self, m: InFlight, why: Keep) {
        let props = as_published(&m.properties);
        let queue = self.queue.clone();
        self.push(
            String::new(),
            queue,
            props,
            m.tag,
            Kind::Keep(why),
            m.original,
            m.properties,
            m.body,
        );
    }

    /// A copy the broker refused: a replay is sent back to the DLQ; a copy to the DLQ itself
    /// (the DLQ is gone?) returns its delivery to the queue with a nack.
    pub(super) async fn refused(
        &mut self,
        m: InFlight,
        why: Keep,
        consume: &lapin::Channel,
    ) -> std::result::Result<(), String> {
        match m.kind {
            Kind::Replay(_) => self.send_back(m, why),
            Kind::Keep(kept) => {
                self.to_nack.push((m.tag, kept));
                self.flush_nacks(consume).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadletters::xdeath::tests::{death_entry, headers_with};

    #[test]
    fn the_copy_gets_the_replay_marks_and_keeps_everything_else() {
        let h = headers_with(vec![death_entry("a", "rejected", 1)]);
        let props = BasicProperties::default()
            .with_headers(h.clone())
            .with_priority(3);
        let out = replay_properties(&props, 2, "r1", &[]);
        let oh = out.headers().clone().unwrap();
        assert_eq!(
            oh.inner().get(REPLAY_COUNT),
            Some(&AMQPValue::LongLongInt(3))
        );
        assert_eq!(oh.inner().get("x-death"), h.inner().get("x-death"));
        assert_eq!(out.priority(), &Some(3));
        assert!(!oh.contains_key("CC"));
        let out = replay_properties(&props, 0, "r1", &["k2".into()]);
        assert!(out.headers().as_ref().unwrap().contains_key("CC"));
    }

    #[test]
    fn a_retried_nservicebus_message_loses_its_failure_headers_like_servicecontrol_does() {
        use crate::deadletters::framework::tests::table;
        let h = table(&[
            ("NServiceBus.FailedQ", "Sales"),
            ("NServiceBus.TimeOfFailure", "2026-12-01 19:00:00:000000 Z"),
            ("NServiceBus.ExceptionInfo.Message", "boom"),
            ("NServiceBus.MessageId", "m1"),
        ]);
        let out = replay_properties(&BasicProperties::default().with_headers(h), 0, "r1", &[]);
        let oh = out.headers().clone().unwrap();
        assert!(oh.contains_key("NServiceBus.MessageId") && oh.contains_key(REPLAY_COUNT));
        assert!(!oh.contains_key("NServiceBus.FailedQ"));
        assert!(!oh.contains_key("NServiceBus.TimeOfFailure"));
        assert!(!oh.contains_key("NServiceBus.ExceptionInfo.Message"));
        // MassTransit's are kept.
        let h = table(&[
            ("MT-Fault-InputAddress", "queue:orders"),
            ("MT-Reason", "fault"),
        ]);
        let out = replay_properties(&BasicProperties::default().with_headers(h), 0, "r1", &[]);
        assert!(out.headers().as_ref().unwrap().contains_key("MT-Reason"));
    }

    #[test]
    fn acks_go_up_to_the_lowest_waiting_delivery() {
        let mut a = Acks::default();
        for t in 1..=5 {
            a.pending.insert(t);
            a.highest = t;
        }
        a.pending.remove(&1);
        a.pending.remove(&2);
        a.pending.remove(&4);
        assert_eq!(a.watermark(), 2);
        a.pending.remove(&3);
        assert_eq!(a.watermark(), 4);
        a.pending.remove(&5);
        assert_eq!(a.watermark(), 5);
    }
}
