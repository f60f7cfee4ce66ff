//! A run: the gate and audit record around it, the channels, the read loop that feeds the
//! engine, and the report.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesOrdered, FuturesUnordered};
use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::ConfirmSelectOptions;

use super::engine::*;
use super::*;
use secrecy::SecretString;
use serde::Serialize;
use ts_rs::TS;

use crate::audit::Action;
use crate::broker::amqp::{self, check_name};
use crate::deadletters::replay_journal::{self, Journal};
use crate::deadletters::xdeath::{self};
use crate::environment::Environment;
use crate::error::Result;
use crate::guard::{guarded, WriteToken};
use crate::progress::{Progress, ScopeProgress};

#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct DestinationCount {
    pub destination: String,
    #[ts(type = "number")]
    pub messages: u64,
}

/// The outcome of a run. Every message read is counted once: replayed, discarded, kept (for
/// one of the reasons that follow `kept`), or deduplicated.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct ReplayReport {
    pub replay_id: String,
    pub vhost: String,
    pub queue: String,
    /// The DLQ's depth when the run began: the messages it looked at.
    #[ts(type = "number")]
    pub total: u64,
    /// The messages it read (fewer than `total` when a selection was found early, the run was
    /// cancelled, or the queue held fewer than it said).
    #[ts(type = "number")]
    pub read: u64,
    /// Of those, the ones in scope (the filter and selection chose them): replayed, discarded
    /// or kept for a reason other than `out_of_scope`.
    #[ts(type = "number")]
    pub in_scope: u64,
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
    pub resumed_from: Option<String>,
    pub destinations: Vec<DestinationCount>,
    pub cancelled: bool,
    /// Why the run stopped early (a lost connection): run it again to finish.
    pub stopped: Option<String>,
    /// An upper bound on the messages that may now be both in the DLQ and at their destination:
    /// every copy published (confirmed or not) whose DLQ ack the broker had not been seen to
    /// process when the run stopped. 0 for a run that finished. The next run of this DLQ skips
    /// the confirmed ones among them (see `deduplicated`).
    #[ts(type = "number")]
    pub possible_duplicates: u64,
    pub seconds: f64,
    /// Which way the messages moved: `broker` (a shovel through a temporary exchange, the
    /// holding queue the client way) or `client`.
    pub path: ReplayPath,
    /// Why the client path was taken for a run that could have gone the broker way, or what the
    /// broker path bound and what its loop guard counted.
    pub path_note: Option<String>,
    /// On the broker path, the kind of shovel that moved the messages, as the shovel API
    /// names it: `local` (inside the broker, RabbitMQ 4.3+) or `amqp091`.
    pub shovel: Option<String>,
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

/// Replay (or discard) the dead letters of `queue` in `vhost`. Requires read and write
/// permission on the vhost. Modifies state (through the gate: refused on a read-only
/// environment, audited). `progress` is called a few times a second; `cancelled` is polled
/// between messages: a cancelled run settles what is in flight and stops, losing nothing.
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
    let counts = |r: &ReplayReport| {
        serde_json::json!({
            "replay_id": r.replay_id,
            "replayed": r.replayed,
            "discarded": r.discarded,
            "kept": r.kept,
            "unroutable": r.unroutable,
            "nacked": r.nacked,
            "cancelled": r.cancelled,
            "stopped": r.stopped.is_some(),
            "path": r.path,
        })
    };
    guarded(env, action, counts, |gate| async move {
        let (mut progress, cancelled) = (progress, cancelled);
        let why = match broker_side::refusal(options) {
            Some(why) => why.to_string(),
            None => match broker_side::run(
                &gate,
                env,
                password,
                vhost,
                queue,
                options,
                &mut progress,
                &cancelled,
            )
            .await?
            {
                Ok(report) => return Ok(report),
                Err(why) => why,
            },
        };
        if options.broker_path {
            tracing::info!("replay of {queue}: client path ({why})");
        }
        let mut report = run_from(
            &gate, env, password, vhost, queue, queue, None, options, progress, cancelled,
        )
        .await?;
        report.path_note = options.broker_path.then_some(why);
        Ok(report)
    })
    .await
}

/// A run of the client path over `read_from` (the DLQ, or the broker path's holding queue),
/// keeping messages in `queue` (the DLQ) and journalled as its run. `unmark`: the prefix of the
/// `x-shovelled` records to take off each message first (they only passed through).
#[allow(clippy::too_many_arguments)]
pub(super) async fn run_from(
    gate: &WriteToken,
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    read_from: &str,
    unmark: Option<&str>,
    options: &ReplayOptions,
    mut progress: impl FnMut(Progress),
    cancelled: impl Fn() -> bool,
) -> Result<ReplayReport> {
    check_name("queue name", queue)?;
    check_name("queue name", read_from)?;
    check_target(&options.target)?;
    let started = Instant::now();
    let replay_id = new_replay_id();
    let journal = Journal::open(&env.id, vhost, queue, &replay_id)?;
    let conn =
        amqp::connect_to_write(gate, env, password, Some(vhost), "replay dead letters").await?;
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
    let total = amqp::queue_depth(&conn, vhost, read_from).await?;
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
    let mut consumer = amqp::consume(&consume, read_from, "warren-replay", window)
        .await
        .map_err(|e| broker("consume the DLQ", e))?;

    let mut selection = options.scope.keys.as_deref().map(Selection::new);
    let mut read = 0u64;
    let mut in_scope = 0u64;
    let expected = expected_in_scope(options, total);
    let scope_of = |in_scope: u64, r: &ReplayReport| ScopeProgress {
        matched: in_scope,
        acted: r.replayed + r.discarded,
        expected,
    };
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
                    let mut delivery: Delivery = match next {
                        Some(Ok(d)) => d,
                        Some(Err(e)) => return Err(format!("reading the DLQ failed: {e}")),
                        None => return Err("the broker ended the DLQ consumer".into()),
                    };
                    idle_since = Instant::now();
                    if let Some(prefix) = unmark {
                        delivery.properties = broker_side::unmarked(delivery.properties, prefix);
                    }
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
                    if !matches!(plan, Err(Keep::OutOfScope)) {
                        in_scope += 1;
                    }
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
                                // The copy's count takes in the broker path's records: off they come.
                                let props = if replays > 0 {
                                    let unmarked = broker_side::unmarked(delivery.properties.clone(), TEMP_PREFIX);
                                    replay_properties(&unmarked, replays, &id, &d.cc)
                                } else {
                                    replay_properties(&delivery.properties, replays, &id, &d.cc)
                                };
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
                progress(progress_of(read, total, started, scope_of(in_scope, &engine.report)));
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
    // What was kept or left went back to the queue: let it count there before the next read.
    let left = total.saturating_sub(engine.report.replayed + engine.report.discarded);
    if closed && left > 0 {
        amqp::wait_until_counted(&conn, read_from, left, amqp::GIVE_BACK_SETTLE).await;
    }
    let _ = conn.close(200, "replay done".into()).await;
    let in_doubt = engine.in_doubt();
    let covered_everything = read >= total
        && read_from == queue
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
            "{why}. Nothing is lost: every message not acked is still in `{read_from}`; run the replay again to finish: it skips the messages whose copies were already confirmed"
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
    report.read = read;
    report.in_scope = in_scope;
    progress(progress_of(
        read,
        total,
        started,
        scope_of(in_scope, &report),
    ));
    Ok(report)
}

/// How many messages the run's scope selects, when known: the caller's count, the selection's
/// size, or every message for a run without a filter; never more than the DLQ holds.
pub(super) fn expected_in_scope(options: &ReplayOptions, total: u64) -> Option<u64> {
    options
        .expected_in_scope
        .or_else(|| options.scope.keys.as_ref().map(|k| k.len() as u64))
        .or_else(|| {
            options
                .scope
                .filter
                .source()
                .trim()
                .is_empty()
                .then_some(total)
        })
        .map(|e| e.min(total))
}

pub(super) fn progress_of(
    done: u64,
    total: u64,
    started: Instant,
    scope: ScopeProgress,
) -> Progress {
    let secs = started.elapsed().as_secs_f64();
    Progress {
        done,
        total,
        rate: if secs > 0.0 { done as f64 / secs } else { 0.0 },
        scope: Some(scope),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadletters::filter::DeadLetterFilter;

    #[test]
    fn the_in_scope_total_comes_from_the_caller_the_selection_or_an_unfiltered_run() {
        let all = ReplayOptions::default();
        assert_eq!(expected_in_scope(&all, 200), Some(200));
        let group = ReplayOptions {
            scope: Scope {
                filter: DeadLetterFilter::parse("origin:billing.acme").unwrap(),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            expected_in_scope(&group, 200),
            None,
            "a filter alone does not know"
        );
        let told = ReplayOptions {
            expected_in_scope: Some(35),
            ..group.clone()
        };
        assert_eq!(expected_in_scope(&told, 200), Some(35));
        assert_eq!(
            expected_in_scope(&told, 20),
            Some(20),
            "never more than the DLQ holds"
        );
        let picked = ReplayOptions {
            scope: Scope {
                keys: Some(vec!["a".into(), "b".into()]),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(expected_in_scope(&picked, 200), Some(2));
    }
}
