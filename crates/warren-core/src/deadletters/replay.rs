//! Replaying dead letters without ever losing one (the engine under the window's "Retry" and
//! `warren dlq replay`).
//!
//! The DLQ is consumed with manual acks and a bounded prefetch; each message goes out on a
//! second channel with publisher confirms and `mandatory`, and its DLQ delivery is acked only
//! after the broker confirmed the copy. Confirms are pipelined (up to the window) and acks are
//! batched with `multiple`, up to the lowest delivery still waiting.
//!
//! Messages that must stay — outside the scope, over the replay limit, returned as unroutable,
//! or nacked — stay in the DLQ by the same rule: an unchanged copy is published to the DLQ's own
//! tail (confirmed), then the delivery is acked. So at every instant each message is either
//! unacked in the DLQ or confirmed somewhere; a connection that dies loses nothing, and at most
//! the confirmed-but-not-yet-acked window is duplicated. Order: messages kept go to the tail in
//! their original relative order. The run reads only the messages present when it started (the
//! depth then), so kept copies are never read twice; a selection by message keys stops as soon
//! as all selected messages were seen, leaving the rest untouched. (Holding kept messages
//! unacked until the end would keep their positions but stall the prefetch window once it is
//! full of them, so the rotation is the safe general rule.)
//!
//! Requires read and write permission on the vhost. Modifies state.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::str::FromStr;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesOrdered, FuturesUnordered};
use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions,
};
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongString};
use lapin::BasicProperties;
use lapin::Confirmation;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::filter::{DeadLetterFilter, Facts};
use super::message::{message_key, origin_of};
use super::replay_journal::{self, Identity, Journal};
use super::xdeath::{self, REPLAY_COUNT, REPLAY_ID, REPLAY_TIME};
use crate::audit::{self, Action};
use crate::broker::amqp::{self, check_name, SHORT_STRING_MAX};
use crate::broker::{BrokerError, BrokerErrorKind};
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::guard::ensure_writable;
use crate::progress::Progress;
use crate::realms::RealmTemplate;

/// Where replayed messages go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Target {
    /// The queue each message died in (`x-death[0]`), through the default exchange: no other
    /// queue gets a copy.
    Origin,
    /// The exchange and routing keys it was published with (`x-death[0]`): every queue bound to
    /// them gets a copy.
    OriginalExchange,
    Queue {
        name: String,
    },
    /// An exchange, with a routing key (else each message's original one).
    Exchange {
        name: String,
        #[ts(optional)]
        #[serde(skip_serializing_if = "Option::is_none")]
        routing_key: Option<String>,
    },
}

impl FromStr for Target {
    type Err = String;
    /// `origin`, `original-exchange`, `queue:NAME`, `exchange:NAME[:KEY]`.
    fn from_str(s: &str) -> std::result::Result<Target, String> {
        let bad = || {
            format!("unknown target `{s}`: use origin, original-exchange, queue:NAME or exchange:NAME[:KEY]")
        };
        match s.split_once(':') {
            None if s == "origin" => Ok(Target::Origin),
            None if s == "original-exchange" => Ok(Target::OriginalExchange),
            Some(("queue", name)) if !name.is_empty() => Ok(Target::Queue { name: name.into() }),
            Some(("exchange", rest)) if !rest.is_empty() => Ok(match rest.split_once(':') {
                Some((name, key)) => Target::Exchange {
                    name: name.into(),
                    routing_key: Some(key.into()),
                },
                None => Target::Exchange {
                    name: rest.into(),
                    routing_key: None,
                },
            }),
            _ => Err(bad()),
        }
    }
}

/// Where one message goes: exchange, routing key, and extra keys (`CC`) for a message that was
/// originally routed with several.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Destination {
    pub exchange: String,
    pub routing_key: String,
    pub cc: Vec<String>,
}

impl Destination {
    pub fn label(&self) -> String {
        if self.exchange.is_empty() {
            format!("queue {}", self.routing_key)
        } else {
            format!("exchange {} key {}", self.exchange, self.routing_key)
        }
    }
}

/// The destination of a message under `target`; `None` when the message does not say where it
/// came from (no `x-death`), which a replay to its origin cannot fix.
pub fn destination(target: &Target, headers: Option<&FieldTable>) -> Option<Destination> {
    let deaths = xdeath::deaths(headers).unwrap_or_default();
    let newest = deaths.first();
    match target {
        Target::Origin => origin_of(headers, &deaths).map(|(q, _)| Destination {
            exchange: String::new(),
            routing_key: q,
            cc: vec![],
        }),
        Target::OriginalExchange => {
            let d = newest?;
            let mut keys = d.routing_keys.clone().into_iter();
            let first = keys.next().unwrap_or_default();
            Some(Destination {
                exchange: d.exchange.clone(),
                routing_key: first,
                cc: keys.collect(),
            })
        }
        Target::Queue { name } => Some(Destination {
            exchange: String::new(),
            routing_key: name.clone(),
            cc: vec![],
        }),
        Target::Exchange { name, routing_key } => Some(Destination {
            exchange: name.clone(),
            routing_key: routing_key
                .clone()
                .or_else(|| newest.and_then(|d| d.routing_keys.first().cloned()))
                .unwrap_or_default(),
            cc: vec![],
        }),
    }
}

/// What a run acts on. Messages outside it are kept.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub filter: DeadLetterFilter,
    /// Message keys (`DeadLetter::key`) chosen in the window; `None`: every message.
    pub keys: Option<Vec<String>>,
    /// The template that maps an origin queue to its realm (for `realm:`/`worker:` filters).
    pub template: Option<RealmTemplate>,
}

impl Scope {
    /// Is this message (in `vhost`, with these decoded deaths) in scope? A selected key is
    /// taken from `selection`, so each occurrence is chosen once.
    pub(crate) fn selects(
        &self,
        vhost: &str,
        props: &BasicProperties,
        body: &[u8],
        deaths: &[xdeath::Death],
        selection: Option<&mut Selection>,
    ) -> bool {
        let origin = origin_of(props.headers().as_ref(), deaths);
        let (worker, realm) = match (&self.template, &origin) {
            (Some(t), Some((o, _))) => t
                .map(vhost, o)
                .map_or((None, None), |(w, r)| (Some(w), Some(r))),
            _ => (None, None),
        };
        let facts = Facts {
            reason: origin.as_ref().map_or("", |o| o.1.as_str()),
            origin: origin.as_ref().map_or("", |o| o.0.as_str()),
            realm,
            worker,
            exchange: deaths.first().map_or("", |d| d.exchange.as_str()),
        };
        self.filter.matches(&facts)
            && selection.is_none_or(|sel| sel.take(&message_key(props, body, deaths)))
    }
}

/// Where a message goes in a run, or why it stays. The plan and the engine both decide by it.
pub(crate) fn decide(
    options: &ReplayOptions,
    vhost: &str,
    props: &BasicProperties,
    body: &[u8],
    deaths: &[xdeath::Death],
    selection: Option<&mut Selection>,
) -> std::result::Result<Destination, Keep> {
    if !options.scope.selects(vhost, props, body, deaths, selection) {
        return Err(Keep::OutOfScope);
    }
    let headers = props.headers().as_ref();
    if xdeath::replay_mark(headers).map_or(0, |m| m.count) >= options.max_replays {
        return Err(Keep::LoopGuard);
    }
    let d = destination(&options.target, headers).ok_or(Keep::NoOrigin)?;
    // AMQP cannot even name a longer exchange or queue (lapin would panic on it).
    if d.exchange.len() > SHORT_STRING_MAX || d.routing_key.len() > SHORT_STRING_MAX {
        return Err(Keep::NameTooLong);
    }
    Ok(d)
}

/// The target's own names, checked before anything is read.
fn check_target(target: &Target) -> Result<()> {
    match target {
        Target::Origin | Target::OriginalExchange => Ok(()),
        Target::Queue { name } => Ok(check_name("target queue name", name)?),
        Target::Exchange { name, routing_key } => {
            check_name("target exchange name", name)?;
            Ok(check_name(
                "routing key",
                routing_key.as_deref().unwrap_or(""),
            )?)
        }
    }
}

/// The default loop guard: a message Warren already replayed this often is kept.
pub const DEFAULT_MAX_REPLAYS: u32 = 5;
/// Unacked DLQ deliveries at most (the prefetch): the most a lost connection can duplicate.
pub const DEFAULT_WINDOW: u16 = 2000;
/// The bodies kept for in-flight messages stay under this (big messages shrink the window).
const INFLIGHT_BYTES: usize = 64 * 1024 * 1024;
/// With no delivery for this long the queue holds fewer messages than it said: stop.
const IDLE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct ReplayOptions {
    pub target: Target,
    pub scope: Scope,
    /// Discard the messages in scope (ack them without a copy) instead of replaying them.
    pub discard: bool,
    pub max_replays: u32,
    pub window: u16,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            target: Target::Origin,
            scope: Scope::default(),
            discard: false,
            max_replays: DEFAULT_MAX_REPLAYS,
            window: DEFAULT_WINDOW,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct DestinationCount {
    pub destination: String,
    #[ts(type = "number")]
    pub messages: u64,
}

/// The outcome of a run. Every message read is counted once: replayed, discarded, kept (for
/// one of the reasons that follow `kept`), or deduplicated.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct ReplayReport {
    pub replay_id: String,
    pub vhost: String,
    pub queue: String,
    /// The DLQ's depth when the run began: the messages it looked at.
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "number")]
    pub replayed: u64,
    #[ts(type = "number")]
    pub discarded: u64,
    /// Still in the DLQ: unroutable + nacked + out_of_scope + loop_guarded.
    #[ts(type = "number")]
    pub kept: u64,
    /// Returned by the broker: the destination does not exist or routes nowhere.
    #[ts(type = "number")]
    pub unroutable: u64,
    /// Refused by the broker (nack).
    #[ts(type = "number")]
    pub nacked: u64,
    #[ts(type = "number")]
    pub out_of_scope: u64,
    /// Replayed `max_replays` times already (`x-warren-replay-count`).
    #[ts(type = "number")]
    pub loop_guarded: u64,
    /// Its origin (or the exchange or routing key it would go to) is longer than AMQP's 255
    /// bytes: no broker can have such a queue, so it stays.
    #[ts(type = "number")]
    pub name_too_long: u64,
    /// Messages whose copy an earlier run that stopped early had already delivered (its journal
    /// says so): acked here without a second copy.
    #[ts(type = "number")]
    pub deduplicated: u64,
    /// The id of the earlier run of this DLQ that stopped early and left a journal.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<String>,
    pub destinations: Vec<DestinationCount>,
    pub cancelled: bool,
    /// Why the run stopped early (a lost connection): run it again to finish.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// An upper bound on the messages that may now be both in the DLQ and at their destination:
    /// every copy published (confirmed or not) whose DLQ ack the broker had not been seen to
    /// process when the run stopped. 0 for a run that finished. The next run of this DLQ skips
    /// the confirmed ones among them (see `deduplicated`).
    #[ts(type = "number")]
    pub possible_duplicates: u64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    OutOfScope,
    LoopGuard,
    /// No `x-death` (or the target needs one): nowhere to go back to. Counted as unroutable.
    NoOrigin,
    NameTooLong,
    Unroutable,
    Nacked,
}

enum Kind {
    Replay(String),
    Keep(Keep),
}

/// Delivery tags settled (their copy confirmed, or nothing to copy) and acked with `multiple`
/// up to the lowest tag still waiting.
#[derive(Default)]
struct Acks {
    pending: BTreeSet<u64>,
    highest: u64,
    acked: u64,
}

impl Acks {
    fn watermark(&self) -> u64 {
        self.pending.first().map_or(self.highest, |p| p - 1)
    }
    async fn flush(&mut self, ch: &lapin::Channel) -> std::result::Result<(), lapin::Error> {
        let w = self.watermark();
        if w > self.acked {
            ch.basic_ack(w, BasicAckOptions { multiple: true }).await?;
            self.acked = w;
        }
        Ok(())
    }
}

fn broker(what: &str, e: impl std::fmt::Display) -> Error {
    BrokerError::new(BrokerErrorKind::Other, format!("{what}: {e}")).into()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A fresh id for a run (time and a counter; no randomness needed).
pub fn new_replay_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "r{:x}{:x}",
        nanos & 0xffff_ffff_ffff,
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// A quorum queue adds `x-delivery-count` (and 4.3 `x-acquired-count`) to each redelivery: the
/// broker's bookkeeping for this delivery, not part of the message, so copies leave them out
/// (and a message is recognised across runs without them).
const DELIVERY_ANNOTATIONS: [&str; 2] = ["x-delivery-count", "x-acquired-count"];

/// The message's properties as published (without the broker's delivery annotations).
fn as_published(props: &BasicProperties) -> BasicProperties {
    match props.headers() {
        Some(h) if DELIVERY_ANNOTATIONS.iter().any(|k| h.contains_key(*k)) => {
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
/// original routing used several keys).
fn replay_properties(
    props: &BasicProperties,
    replays: u32,
    replay_id: &str,
    cc: &[String],
) -> BasicProperties {
    let props = as_published(props);
    let mut headers = props.headers().clone().unwrap_or_default();
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

/// The message keys still to be found in a run (a multiset: identical messages share a key).
pub(crate) struct Selection(HashMap<String, u32>);

impl Selection {
    pub(crate) fn new(keys: &[String]) -> Selection {
        let mut m = HashMap::new();
        for k in keys {
            *m.entry(k.clone()).or_insert(0u32) += 1;
        }
        Selection(m)
    }

    /// Take one occurrence of `key`; false if it was not (or no longer) selected.
    pub(crate) fn take(&mut self, key: &str) -> bool {
        match self.0.get_mut(key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
    pub(crate) fn exhausted(&self) -> bool {
        self.0.values().all(|n| *n == 0)
    }
}

/// Replay (or discard) the dead letters of `queue` in `vhost`. Refused on a read-only
/// environment. `progress` is called a few times a second; `cancelled` is polled between
/// messages: a cancelled run settles what is in flight and stops, losing nothing.
pub async fn replay(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    options: &ReplayOptions,
    progress: impl FnMut(Progress),
    cancelled: impl Fn() -> bool,
) -> Result<ReplayReport> {
    let action = Action::new(
        if options.discard {
            "dlq.discard"
        } else {
            "dlq.replay"
        },
        Some(vhost),
        vec![queue.to_string()],
        serde_json::json!({
            "target": options.target,
            "filter": options.scope.filter.source(),
            "selected": options.scope.keys.as_ref().map(Vec::len),
            "max_replays": options.max_replays,
        }),
    );
    let pending = audit::start(env, action);
    let result = run(env, password, vhost, queue, options, progress, cancelled).await;
    pending.finish(&result, |r| {
        serde_json::json!({
            "replay_id": r.replay_id,
            "replayed": r.replayed,
            "discarded": r.discarded,
            "kept": r.kept,
            "unroutable": r.unroutable,
            "nacked": r.nacked,
            "cancelled": r.cancelled,
            "stopped": r.stopped.is_some(),
        })
    });
    result
}

async fn run(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    options: &ReplayOptions,
    mut progress: impl FnMut(Progress),
    cancelled: impl Fn() -> bool,
) -> Result<ReplayReport> {
    ensure_writable(env)?;
    check_name("queue name", queue)?;
    check_target(&options.target)?;
    let started = Instant::now();
    let replay_id = new_replay_id();
    let journal = Journal::open(&env.id, vhost, queue, &replay_id)?;
    let conn = amqp::connect(env, password, Some(vhost), "replay dead letters").await?;
    let consume = conn
        .create_channel()
        .await
        .map_err(|e| broker("open a channel", e))?;
    let publish = conn
        .create_channel()
        .await
        .map_err(|e| broker("open a channel", e))?;
    publish
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(|e| broker("enable publisher confirms", e))?;
    let total = amqp::queue_depth(&conn, vhost, queue).await?;
    let resumed_from = journal.earlier_run.clone();
    let mut engine = Engine {
        queue: queue.to_string(),
        publish,
        inflight: FuturesOrdered::new(),
        inflight_bytes: 0,
        pushed: 0,
        provisional: VecDeque::new(),
        returned: HashMap::new(),
        to_nack: Vec::new(),
        acks: Acks::default(),
        journal,
        copies: BTreeMap::new(),
        synced: 0,
        destinations: BTreeMap::new(),
        report: ReplayReport {
            resumed_from,
            replay_id: replay_id.clone(),
            vhost: vhost.to_string(),
            queue: queue.to_string(),
            total,
            ..Default::default()
        },
    };
    if total == 0 {
        let _ = conn.close(200, "nothing to replay".into()).await;
        engine.journal.finish(false);
        return Ok(engine.report);
    }
    // `window` bounds the unacked deliveries (the prefetch), hence the duplicates a lost
    // connection can leave. Half of it may be publishes awaiting their confirm; the other half
    // lets confirmed deliveries wait for the next batched ack while the broker keeps sending.
    let window = options.window.max(2);
    let publish_window = usize::from(window / 2);
    consume
        .basic_qos(window, BasicQosOptions::default())
        .await
        .map_err(|e| broker("set the prefetch", e))?;
    let mut consumer = consume
        .basic_consume(
            queue.into(),
            "warren-replay".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| broker("consume the DLQ", e))?;

    let mut selection = options.scope.keys.as_deref().map(Selection::new);
    let mut read = 0u64;
    let mut last_progress = Instant::now();
    let mut idle_since = Instant::now();
    let mut reading = true;
    // At most one request in flight whose answer proves every earlier ack was processed.
    let mut syncs: FuturesUnordered<BoxFuture<'static, (u64, bool)>> = FuturesUnordered::new();

    let outcome: std::result::Result<(), String> = async {
        loop {
            if reading
                && (read >= total
                    || cancelled()
                    || selection.as_ref().is_some_and(Selection::exhausted))
            {
                reading = false;
            }
            if engine.inflight.is_empty() {
                // Every confirm has arrived, so every return has too: decide the rest.
                engine.decide_provisional(u64::MAX);
                engine.flush_nacks(&consume).await?;
                if !reading && engine.inflight.is_empty() {
                    break;
                }
            }
            let room = engine.inflight.len() < publish_window && engine.inflight_bytes <= INFLIGHT_BYTES;
            tokio::select! {
                biased;
                Some((acked, ok)) = syncs.next(), if !syncs.is_empty() => {
                    if ok {
                        engine.synced(acked);
                    }
                }
                Some(settled) = engine.inflight.next(), if !engine.inflight.is_empty() => {
                    engine.on_settled(settled, &consume).await?;
                    // Decided copies go to the journal at once, so a kill loses as few as possible.
                    engine.journal.write();
                }
                next = consumer.next(), if reading && room => {
                    let delivery: Delivery = match next {
                        Some(Ok(d)) => d,
                        Some(Err(e)) => return Err(format!("reading the DLQ failed: {e}")),
                        None => return Err("the broker ended the DLQ consumer".into()),
                    };
                    idle_since = Instant::now();
                    read += 1;
                    let tag = delivery.delivery_tag;
                    engine.acks.pending.insert(tag);
                    engine.acks.highest = tag;
                    let identity = replay_journal::identity(&as_published(&delivery.properties), &delivery.data);
                    engine.journal.saw(&identity);
                    if engine.journal.delivered_earlier(&identity, delivery.redelivered) {
                        // A stopped run's copy of this very message was confirmed: ack, no copy.
                        engine.report.deduplicated += 1;
                        engine.acks.pending.remove(&tag);
                        continue;
                    }
                    let headers = delivery.properties.headers().as_ref();
                    let deaths = xdeath::deaths(headers).unwrap_or_default();
                    let replays = xdeath::replay_mark(headers).map_or(0, |m| m.count);
                    let plan = decide(options, vhost, &delivery.properties, &delivery.data, &deaths, selection.as_mut());
                    if options.discard && plan.is_ok() {
                        // Discarding is acking without a copy: nothing to confirm first.
                        engine.report.discarded += 1;
                        engine.acks.pending.remove(&tag);
                    } else {
                        let (exchange, key, props, kind) = match plan {
                            Ok(d) => {
                                // Each copy's replay id is the run's id and its number in the run:
                                // it also tells a returned copy apart from the others.
                                let id = format!("{replay_id}.{}", engine.pushed);
                                let props = replay_properties(&delivery.properties, replays, &id, &d.cc);
                                (d.exchange.clone(), d.routing_key.clone(), props, Kind::Replay(d.label()))
                            }
                            Err(why) => (String::new(), queue.to_string(), as_published(&delivery.properties), Kind::Keep(why)),
                        };
                        engine.push(exchange, key, props, tag, kind, identity, delivery.properties, delivery.data);
                    }
                }
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    // Nothing settles and nothing arrives: ack what is settled, so the prefetch
                    // frees up, and stop reading if the queue has fewer messages than it said.
                    engine.flush_acks(&consume, &mut syncs, window).await?;
                    if reading && engine.inflight.is_empty() && idle_since.elapsed() > IDLE {
                        reading = false;
                    }
                }
            }
            if engine.acks.watermark() >= engine.acks.acked + u64::from(window / 8).max(1) {
                engine.flush_acks(&consume, &mut syncs, window).await?;
            }
            if last_progress.elapsed() > Duration::from_millis(200) {
                last_progress = Instant::now();
                progress(progress_of(read, total, started));
            }
        }
        engine.flush_acks(&consume, &mut syncs, window).await?;
        Ok(())
    }
    .await;
    drop(syncs);
    // Closing the consumer's channel returns anything prefetched but not processed to its
    // place; its close-ok says every ack before it was processed.
    let closed = outcome.is_ok() && consume.close(200, "replay done".into()).await.is_ok();
    let _ = conn.close(200, "replay done".into()).await;
    let in_doubt = engine.in_doubt();
    let covered_everything = read >= total
        && options.scope.keys.is_none()
        && options.scope.filter.source().trim().is_empty()
        && !cancelled();
    let mut report = engine.report;
    if closed {
        engine.journal.finish(covered_everything);
    } else {
        engine.journal.keep();
        report.possible_duplicates = in_doubt;
    }
    if let Err(why) = outcome {
        report.stopped = Some(format!(
            "{why}. Nothing is lost: every message not acked is still in `{queue}`; run the replay again to finish: it skips the messages whose copies were already confirmed"
        ));
    }
    report.cancelled = cancelled();
    report.kept = report.unroutable
        + report.nacked
        + report.out_of_scope
        + report.loop_guarded
        + report.name_too_long;
    report.destinations = engine
        .destinations
        .into_iter()
        .map(|(destination, messages)| DestinationCount {
            destination,
            messages,
        })
        .collect();
    report.seconds = started.elapsed().as_secs_f64();
    progress(progress_of(read, total, started));
    Ok(report)
}

fn progress_of(done: u64, total: u64, started: Instant) -> Progress {
    let secs = started.elapsed().as_secs_f64();
    Progress {
        done,
        total,
        rate: if secs > 0.0 { done as f64 / secs } else { 0.0 },
    }
}

/// A copy on its way (or confirmed, awaiting the decision): the DLQ delivery it stands for and
/// the original, kept to send back to the DLQ if the copy is refused.
struct InFlight {
    tag: u64,
    kind: Kind,
    /// Which push this was (copies pushed later are published later).
    seq: u64,
    /// What a returned copy is recognised by (see `copy_identity`).
    identity: u64,
    /// What the original is recognised by in a later run (see `replay_journal`).
    original: Identity,
    properties: BasicProperties,
    body: Vec<u8>,
}

/// A copy whose confirm arrived (or failed).
struct Settled {
    m: InFlight,
    confirmation: std::result::Result<Confirmation, String>,
}

/// A confirmed copy waiting until no return can still be on its way for it.
struct Provisional {
    m: InFlight,
    /// `Engine::pushed` when its confirm was seen: a copy pushed after that is confirmed in a
    /// later ack frame, after every return for this one.
    seen_at: u64,
}

/// A returned copy is recognised by where it went and what it is: the exchange, the routing
/// key, Warren's per-copy replay id (copies to the DLQ itself have none) and the body.
fn copy_identity(exchange: &str, key: &str, props: &BasicProperties, body: &[u8]) -> u64 {
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

fn count_kept(report: &mut ReplayReport, why: Keep) {
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
struct Engine {
    queue: String,
    publish: lapin::Channel,
    inflight: FuturesOrdered<BoxFuture<'static, Settled>>,
    inflight_bytes: usize,
    pushed: u64,
    provisional: VecDeque<Provisional>,
    returned: HashMap<u64, u32>,
    /// Copies to the DLQ itself that came back (the DLQ is gone?): their deliveries are
    /// returned to the queue with a nack rather than sent round again.
    to_nack: Vec<(u64, Keep)>,
    acks: Acks,
    journal: Journal,
    /// Copies published per DLQ delivery tag whose ack is not yet known to be processed.
    copies: BTreeMap<u64, u64>,
    /// Every ack up to this delivery tag is known to be processed by the broker.
    synced: u64,
    destinations: BTreeMap<String, u64>,
    report: ReplayReport,
}

impl Engine {
    /// Ack what is settled (the journal written first: an ack can make an original vanish), and
    /// ask the broker for an answer that proves the ack was processed.
    async fn flush_acks(
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
    fn synced(&mut self, tag: u64) {
        self.synced = self.synced.max(tag);
        self.copies = self.copies.split_off(&(self.synced + 1));
        self.journal.synced(self.synced);
    }

    /// Copies published whose DLQ delivery is not known to be acked: each may be a duplicate
    /// if the run stops now.
    fn in_doubt(&self) -> u64 {
        self.copies.values().sum()
    }

    async fn flush_nacks(&mut self, consume: &lapin::Channel) -> std::result::Result<(), String> {
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
    fn push(
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

    async fn on_settled(
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
    fn decide_provisional(&mut self, before: u64) {
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
    fn send_back(&mut self, m: InFlight, why: Keep) {
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
    async fn refused(
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
    fn targets_parse_from_the_cli_forms() {
        assert_eq!("origin".parse::<Target>().unwrap(), Target::Origin);
        assert_eq!(
            "original-exchange".parse::<Target>().unwrap(),
            Target::OriginalExchange
        );
        assert_eq!(
            "queue:retry".parse::<Target>().unwrap(),
            Target::Queue {
                name: "retry".into()
            }
        );
        assert_eq!(
            "exchange:work:billing.acme".parse::<Target>().unwrap(),
            Target::Exchange {
                name: "work".into(),
                routing_key: Some("billing.acme".into())
            }
        );
        assert!("queue:".parse::<Target>().is_err());
        assert!("somewhere"
            .parse::<Target>()
            .unwrap_err()
            .contains("use origin"));
    }

    #[test]
    fn destinations_follow_the_newest_death() {
        let h = headers_with(vec![
            death_entry("billing.retry", "expired", 1),
            death_entry("billing.acme", "rejected", 1),
        ]);
        let d = destination(&Target::Origin, Some(&h)).unwrap();
        assert_eq!(
            (d.exchange.as_str(), d.routing_key.as_str()),
            ("", "billing.retry")
        );
        let d = destination(&Target::OriginalExchange, Some(&h)).unwrap();
        assert_eq!(
            (d.exchange.as_str(), d.routing_key.as_str()),
            ("work", "billing.retry")
        );
        let d = destination(
            &Target::Exchange {
                name: "x".into(),
                routing_key: None,
            },
            Some(&h),
        )
        .unwrap();
        assert_eq!(d.routing_key, "billing.retry");
        assert!(
            destination(&Target::Origin, None).is_none(),
            "no x-death, no origin"
        );
        assert!(destination(&Target::Queue { name: "q".into() }, None).is_some());
    }

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

    /// A header value of any shape: what a hostile or broken publisher can put in a message.
    fn hostile_value() -> impl proptest::strategy::Strategy<Value = AMQPValue> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            "[a-z.]{0,300}".prop_map(|s| AMQPValue::LongString(s.as_str().into())),
            any::<i64>().prop_map(AMQPValue::LongLongInt),
            any::<u64>().prop_map(AMQPValue::Timestamp),
            Just(AMQPValue::Void),
            any::<bool>().prop_map(AMQPValue::Boolean),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| AMQPValue::FieldArray(FieldArray::from(v))),
                proptest::collection::vec(
                    (
                        prop_oneof![
                            Just("queue".to_string()),
                            Just("reason".to_string()),
                            Just("exchange".to_string()),
                            Just("routing-keys".to_string()),
                            Just("count".to_string()),
                            Just("time".to_string()),
                            "[a-z-]{1,8}"
                        ],
                        inner
                    ),
                    0..6
                )
                .prop_map(|kv| {
                    let mut t = FieldTable::default();
                    for (k, v) in kv {
                        t.insert(k.as_str().into(), v);
                    }
                    AMQPValue::FieldTable(t)
                }),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn the_planner_decides_every_hostile_message_without_panicking(
            death in hostile_value(),
            first in hostile_value(),
            replays in hostile_value(),
            target in proptest::sample::select(vec!["origin", "original-exchange", "queue:q", "exchange:x"]),
        ) {
            let mut h = FieldTable::default();
            h.insert("x-death".into(), death);
            h.insert("x-first-death-queue".into(), first.clone());
            h.insert("x-last-death-queue".into(), first);
            h.insert(REPLAY_COUNT.into(), replays);
            let props = BasicProperties::default().with_headers(h);
            let options = ReplayOptions { target: target.parse().unwrap(), ..Default::default() };
            let deaths = xdeath::deaths(props.headers().as_ref()).unwrap_or_default();
            if let Ok(d) = decide(&options, "/", &props, b"body", &deaths, None) {
                proptest::prop_assert!(d.exchange.len() <= SHORT_STRING_MAX && d.routing_key.len() <= SHORT_STRING_MAX);
            }
        }
    }

    #[test]
    fn a_selection_is_a_multiset() {
        let mut s = Selection(HashMap::from([("k".to_string(), 2)]));
        assert!(s.take("k") && s.take("k"));
        assert!(!s.take("k") && !s.take("other"));
        assert!(s.exhausted());
    }
}
