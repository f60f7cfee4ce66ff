//! The broker-side path of a replay to origin: the broker moves the messages, Warren only sets
//! up where they go.
//!
//! A client connection costs the broker per-message frame work (deliver, publish, confirm, ack),
//! and that, not Warren, is what limits the client path. Here a dynamic shovel moves the DLQ
//! (`ack-mode: on-confirm`, `src-delete-after`: the depth at the start, so only the messages
//! present then) into a temporary **direct** exchange with one binding per routing key that
//! names exactly one origin (read from the `x-death` of the DLQ's head and checked against the
//! vhost's bindings). Its `alternate-exchange` leads to a temporary holding queue: a deleted
//! origin, a key that maps to two origins (or to none Warren could check), a message with
//! several routing keys and a key with a message at the replay limit are not bound, so those
//! messages land there — never dropped. The holding queue is then replayed by the client path
//! (per message: loop guard, unroutable back to the DLQ), and the temporary objects go.
//!
//! The head shows only the head: while the shovels run, Warren also reads (unacked) what lands
//! in the holding queue, binds each new key that names one origin as it first appears (a DLQ
//! filled in blocks by origin costs a few held messages per origin, not the whole block), and
//! unbinds a key as soon as a held message shows it at the limit or with a second origin.
//!
//! The loop guard on this path: the shovel cannot add `x-warren-replay-count`; it adds its own
//! `x-shovelled` record (`dest-add-forward-headers`), named `warren-replay-…`. A message's
//! replays are its `x-warren-replay-count` plus those records (the records of messages that only
//! passed through the holding queue are removed before they move on). A key is bound only when
//! none of the messages read with it is at the limit; a message of a bound key that the broker
//! routes straight to its origin is checked by its key only (the exchange cannot look at a
//! header), so the guard on this path is per key, not per message.
//!
//! Used for a replay to origin of the whole DLQ (no filter, no selection): a shovel cannot
//! filter, and a group's messages are spread through the queue. Requires the shovel plugin and
//! the `policymaker` tag, read and write permission on the vhost, and `configure` for the
//! temporary objects. Modifies state.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, ExchangeKind};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use rabbitmq_http_client::requests::RuntimeParameterDefinition;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use super::run::{new_replay_id, run_from, DestinationCount, ReplayReport};
use super::*;
use crate::broker::admin::Admin;
use crate::broker::amqp;
use crate::broker::management::ManagementClient;
use crate::deadletters::browse::read_head;
use crate::deadletters::discover::{fetch_routes, Routes};
use crate::deadletters::replay_journal::Journal;
use crate::deadletters::xdeath;
use crate::environment::Environment;
use crate::error::Result;
use crate::guard::WriteToken;
use crate::progress::{Progress, ScopeProgress};

/// Which way a run moved its messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReplayPath {
    /// Warren read each message and published its copy.
    #[default]
    Client,
    /// A shovel moved them through a temporary exchange; the holding queue went the client way.
    Broker,
}

/// The prefix of every temporary object (exchanges, holding queue, shovels) of this path.
pub const TEMP_PREFIX: &str = xdeath::REPLAY_SHOVEL_PREFIX;
/// The messages read at the head of the DLQ to find the (routing key → origin) pairs.
pub(super) const HEAD_READ: u32 = 500;
/// From this many messages on, two shovels share the work (the broker has cores to spare).
const TWO_SHOVELS_FROM: u64 = 10_000;
/// How long the shovels may move nothing before Warren stops them.
const STALL_LIMIT: Duration = Duration::from_secs(60);
/// The held messages the learner reads (unacked) at most.
const LEARN_PREFETCH: u16 = 20_000;
/// How long a stopped shovel is given to close its connection (and so give back what it holds).
const SHOVEL_LET_GO: Duration = Duration::from_secs(30);

/// What the plan says the loop guard counts on the broker path.
pub const BROKER_GUARD_NOTE: &str = "broker path: a shovel (a local one where the broker has them, as RabbitMQ 4.3 does) moves the DLQ through a temporary exchange bound per routing key; the loop guard counts x-warren-replay-count plus Warren's shovel marks (x-shovelled records, or a local shovel's x-opt-shovel-name, which holds only the last one: a run that reads one from an earlier replay in the first messages takes the AMQP 0-9-1 shovel, which keeps it; a later client-path copy folds the marks into its count); a routing key is bound only if none of the messages read with it is at the limit, and its other messages are checked by that key (keys not bound go through the holding queue and the client path, message by message)";

/// Why a run with `options` takes the client path whatever the broker offers; `None`: the
/// broker path may be tried.
pub fn refusal(options: &ReplayOptions) -> Option<&'static str> {
    if !options.broker_path {
        Some("the caller asked for the client path")
    } else if options.discard {
        Some("a discard needs no copy")
    } else if options.target != Target::Origin {
        Some("only a replay to origin has a broker-side path")
    } else if options.scope.keys.is_some() {
        Some("a selection of single messages takes the client path")
    } else if !options.scope.filter.source().trim().is_empty() {
        Some("a shovel cannot filter: a group (origin/reason filter) takes the client path")
    } else {
        None
    }
}

/// Warren's replays of a message by the broker path: the `x-shovelled` records of its shovels.
pub fn shovel_replays(headers: Option<&FieldTable>) -> u32 {
    xdeath::replay_shovels(headers).len() as u32
}

/// The message without the marks (`x-shovelled` records, a local shovel's `x-opt-shovel-*`
/// headers) of the shovels named `prefix…` (it only passed through this run's holding queue:
/// not a replay to count).
pub(super) fn unmarked(props: BasicProperties, prefix: &str) -> BasicProperties {
    let Some(h) = props.headers().as_ref() else {
        return props;
    };
    let local = xdeath::local_replay_shovel(Some(h)).is_some_and(|n| n.starts_with(prefix));
    let props = if local {
        let mut inner = h.inner().clone();
        for k in xdeath::LOCAL_SHOVEL_HEADERS {
            inner.remove(k);
        }
        props.with_headers(FieldTable::from(inner))
    } else {
        props
    };
    let Some(h) = props.headers().as_ref() else {
        return props;
    };
    let Some(AMQPValue::FieldArray(a)) = h.inner().get("x-shovelled") else {
        return props;
    };
    let keep: Vec<AMQPValue> = a
        .as_slice()
        .iter()
        .filter(|r| {
            !matches!(r, AMQPValue::FieldTable(t) if t.inner().get("shovel-name")
                .and_then(xdeath::as_text).is_some_and(|n| n.starts_with(prefix)))
        })
        .cloned()
        .collect();
    if keep.len() == a.as_slice().len() {
        return props;
    }
    let mut inner = h.inner().clone();
    if keep.is_empty() {
        inner.remove("x-shovelled");
    } else {
        inner.insert("x-shovelled".into(), AMQPValue::FieldArray(keep.into()));
    }
    props.with_headers(FieldTable::from(inner))
}

/// What the head read says about each routing key.
#[derive(Debug, Default)]
pub(crate) struct Pairs {
    /// Routing key → the origins of the messages read with it.
    origins: BTreeMap<String, BTreeSet<String>>,
    /// Routing key → the exchanges those messages were published to (`x-death[0].exchange`).
    exchanges: BTreeMap<String, BTreeSet<String>>,
    /// Keys not to bind, and why.
    held: BTreeMap<String, &'static str>,
    /// This run's shovel name prefix: its own marks on held messages are not earlier replays.
    this_run: Option<String>,
    /// A message read carries a mark a local shovel of an earlier replay left (see `run`).
    saw_local_mark: bool,
}

impl Pairs {
    /// One message read at the head, delivered from the DLQ with `routing_key`.
    pub(crate) fn add(
        &mut self,
        options: &ReplayOptions,
        vhost: &str,
        routing_key: &str,
        props: &BasicProperties,
        body: &[u8],
    ) {
        let headers = props.headers().as_ref();
        // A local shovel's mark holds one name, replaced at each pass (this run's own, on a
        // held message, is not an earlier replay).
        let this_run = |n: &String| self.this_run.as_ref().is_some_and(|p| n.starts_with(p));
        if xdeath::local_replay_shovel(headers).is_some_and(|n| !this_run(&n)) {
            self.saw_local_mark = true;
        }
        let deaths = xdeath::deaths(headers).unwrap_or_default();
        let several = deaths.first().is_some_and(|d| d.routing_keys.len() > 1)
            || headers.is_some_and(|h| h.contains_key("CC") || h.contains_key("BCC"));
        match decide(options, vhost, props, body, &deaths, None) {
            Ok(d) if !several && d.exchange.is_empty() => {
                self.origins
                    .entry(routing_key.to_string())
                    .or_default()
                    .insert(d.routing_key);
                if let Some(x) = deaths.first() {
                    self.exchanges
                        .entry(routing_key.to_string())
                        .or_default()
                        .insert(x.exchange.clone());
                }
            }
            Ok(d) if !d.exchange.is_empty() => {
                self.hold(routing_key, "a message whose origin is an exchange")
            }
            Ok(_) => self.hold(routing_key, "a message with several routing keys"),
            Err(Keep::LoopGuard) => self.hold(routing_key, "a message at the replay limit"),
            Err(_) => self.hold(routing_key, "a message with no origin"),
        }
    }

    fn hold(&mut self, key: &str, why: &'static str) {
        self.held.entry(key.to_string()).or_insert(why);
    }

    /// The (routing key → origin) bindings: keys whose messages all name one origin, which is
    /// every queue the vhost's bindings route that key to from those messages' exchanges.
    pub(crate) fn bindings(&self, routes: &Routes) -> BTreeMap<String, String> {
        self.origins
            .keys()
            .filter_map(|key| Some((key.clone(), self.binding_for(key, routes)?)))
            .collect()
    }

    /// The origin `key` may be bound to, as far as the messages read with it tell.
    pub(crate) fn binding_for(&self, key: &str, routes: &Routes) -> Option<String> {
        let origins = self.origins.get(key)?;
        if self.held.contains_key(key) || origins.len() != 1 {
            return None;
        }
        let origin = origins.first()?.clone();
        let keys = [key.to_string()];
        let reach: BTreeSet<String> = self
            .exchanges
            .get(key)
            .into_iter()
            .flatten()
            .flat_map(|x| routes.queues(x, &keys))
            .collect();
        (reach.len() == 1 && reach.contains(&origin)).then_some(origin)
    }
}

/// The broker said nothing (it may have done what was asked).
fn no_answer(e: &crate::broker::BrokerError) -> bool {
    use crate::broker::BrokerErrorKind::{Dns, Timeout, Unreachable};
    matches!(e.kind, Timeout | Unreachable | Dns)
}

/// Start the shovel `(name, uri, queue, n, exchange)`: `n` messages of `queue` into the run's
/// `exchange` over `protocol` (`local` or `amqp091`), each marked with the shovel's name.
async fn start_shovel(
    gate: &WriteToken,
    admin: &Admin,
    vhost: &str,
    (name, uri, queue, n, exchange): (&str, &str, &str, u64, &str),
    protocol: &str,
) -> std::result::Result<(), crate::broker::BrokerError> {
    let definition = json!({
        "src-protocol": protocol, "src-uri": uri, "src-queue": queue, "src-delete-after": n,
        "dest-protocol": protocol, "dest-uri": uri, "dest-exchange": exchange,
        "dest-add-forward-headers": true, "ack-mode": "on-confirm",
    });
    let definition = definition.as_object().cloned().unwrap_or_default();
    admin
        .write(gate, "start the replay shovel", |c| {
            let param = RuntimeParameterDefinition {
                name,
                vhost,
                component: "shovel",
                value: definition.clone(),
            };
            async move { c.upsert_runtime_parameter(&param).await }
        })
        .await
}

/// The run's temporary objects.
struct Temp {
    exchange: String,
    unrouted: String,
    held: String,
    shovels: Vec<String>,
}

impl Temp {
    fn new(replay_id: &str) -> Temp {
        let exchange = format!("{TEMP_PREFIX}{replay_id}");
        Temp {
            unrouted: format!("{exchange}.unrouted"),
            held: format!("{exchange}.held"),
            shovels: vec![],
            exchange,
        }
    }
}

/// Try the broker path. `Ok(Err(why))`: it did not start (nothing moved), take the client path.
#[allow(clippy::too_many_arguments)]
pub(super) async fn run(
    gate: &WriteToken,
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    options: &ReplayOptions,
    progress: &mut impl FnMut(Progress),
    cancelled: &impl Fn() -> bool,
) -> Result<std::result::Result<ReplayReport, String>> {
    amqp::check_name("queue name", queue)?;
    let started = Instant::now();
    let replay_id = new_replay_id();
    // An earlier stopped run's journal says which copies it delivered, and only the client
    // path reads messages to skip them. (Opening it also refuses a concurrent run here.)
    let journal = Journal::open(&env.id, vhost, queue, &replay_id)?;
    let earlier = journal.earlier_run.is_some();
    journal.finish(false);
    if earlier {
        return Ok(Err(
            "an earlier run of this DLQ stopped early: the client path skips what it already delivered".into(),
        ));
    }
    let mut pairs = Pairs {
        this_run: Some(format!("{TEMP_PREFIX}{replay_id}-")),
        ..Pairs::default()
    };
    let (_, head) = read_head(env, password, vhost, queue, HEAD_READ, |_, d| {
        pairs.add(
            options,
            vhost,
            d.routing_key.as_str(),
            &d.properties,
            &d.data,
        )
    })
    .await?;
    if head == 0 {
        return Ok(Err("the DLQ is empty".into()));
    }
    let client = ManagementClient::new(env, password.clone())?;
    let (exchanges, bindings) = fetch_routes(&client, vhost).await?;
    let routes = Routes::new(&exchanges, &bindings);
    let bound = pairs.bindings(&routes);
    if bound.is_empty() {
        return Ok(Err(format!(
            "no routing key of the first {head} message(s) names exactly one origin"
        )));
    }

    let conn = amqp::connect_to_write(
        gate,
        env,
        password,
        Some(vhost),
        "replay dead letters (broker)",
    )
    .await?;
    let total = amqp::queue_depth(&conn, vhost, queue).await?;
    let mut temp = Temp::new(&replay_id);
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| broker("open a channel", e))?;
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    ch.exchange_declare(
        temp.unrouted.as_str().into(),
        ExchangeKind::Fanout,
        durable,
        FieldTable::default(),
    )
    .await
    .map_err(|e| broker("declare the holding exchange", e))?;
    let mut args = FieldTable::default();
    args.insert(
        "alternate-exchange".into(),
        AMQPValue::LongString(temp.unrouted.as_str().into()),
    );
    ch.exchange_declare(
        temp.exchange.as_str().into(),
        ExchangeKind::Direct,
        durable,
        args,
    )
    .await
    .map_err(|e| broker("declare the replay exchange", e))?;
    ch.queue_declare(
        temp.held.as_str().into(),
        QueueDeclareOptions {
            durable: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .map_err(|e| broker("declare the holding queue", e))?;
    ch.queue_bind(
        temp.held.as_str().into(),
        temp.unrouted.as_str().into(),
        "".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .map_err(|e| broker("bind the holding queue", e))?;
    let mut ch = ch;
    // Keys bound now (key → origin), and keys refused (their origin is gone, or a later message
    // showed a second origin or the limit).
    let mut live: BTreeMap<String, String> = BTreeMap::new();
    let mut refused: BTreeSet<String> = BTreeSet::new();
    for (key, origin) in &bound {
        if bind(&conn, &mut ch, &temp.exchange, key, origin).await? {
            live.insert(key.clone(), origin.clone());
        } else {
            refused.insert(key.clone());
        }
    }
    let mut bound_keys = live.len();
    // The DLQ's consumers before the shovels: when they are back to this, the shovels have let
    // go of every message they held (see below).
    let consumers_before = amqp::passive(&ch, queue)
        .await
        .map_or(0, |q| q.consumer_count());

    let admin = Admin::new(env, password).await?;
    let uri = format!("amqp:///{}", utf8_percent_encode(vhost, NON_ALPHANUMERIC));
    let parts = if total >= TWO_SHOVELS_FROM { 2 } else { 1 };
    let mut start_error = None;
    // A local shovel moves messages inside the broker, with no AMQP frames at all (several
    // times the AMQP 0-9-1 shovel's rate, see the README). Brokers without them refuse the
    // protocol (4.0 and 3.10 answer HTTP 500), and then the AMQP 0-9-1 shovel does the work.
    // Its mark is one header that each pass replaces: when the messages read show an earlier
    // local replay, the AMQP 0-9-1 shovel, which adds a record and keeps that header, keeps
    // the count whole.
    let mut protocols: &[&str] = if pairs.saw_local_mark {
        &["amqp091"]
    } else {
        &["local", "amqp091"]
    };
    for i in 0..parts {
        let n = total / parts + u64::from(i < total % parts);
        let name = format!("{}-{i}", temp.exchange);
        let mut started = Ok(());
        for (k, protocol) in protocols.iter().enumerate() {
            let shovel = (
                name.as_str(),
                uri.as_str(),
                queue,
                n,
                temp.exchange.as_str(),
            );
            started = start_shovel(gate, &admin, vhost, shovel, protocol).await;
            match &started {
                Ok(()) => {
                    protocols = &protocols[k..];
                    break;
                }
                // The broker answered no (an unknown protocol: HTTP 500): the next one may do.
                Err(e) if !no_answer(e) => {
                    tracing::info!("replay: the {protocol} shovel was refused: {}", e.message);
                }
                // No clear answer (a timeout): the definition may be stored. No second shovel
                // of this name, and none left behind.
                Err(_) => {
                    stop_shovel(gate, &admin, vhost, &name).await;
                    break;
                }
            }
        }
        match started {
            Ok(()) => temp.shovels.push(name),
            Err(e) => {
                start_error = Some(e.message);
                break;
            }
        }
    }
    if let Some(e) = start_error {
        if temp.shovels.is_empty() {
            clean_up(gate, &admin, &conn, vhost, &temp).await;
            let _ = conn.close(200, "broker path refused".into()).await;
            return Ok(Err(format!(
                "the shovel could not start ({e}); the broker path needs the rabbitmq_shovel plugin and the `policymaker` tag"
            )));
        }
        // One shovel runs: it moves its share; the rest stays for the client path below.
        tracing::warn!("replay: only {} shovel(s) started: {e}", temp.shovels.len());
    }

    // Wait for the shovels to delete themselves (src-delete-after), reporting what left the DLQ.
    let mut moved = 0u64;
    let mut last_change = Instant::now();
    let mut was_cancelled = false;
    let mut stalled = None;
    let depth_ch = conn
        .create_channel()
        .await
        .map_err(|e| broker("open a channel", e))?;
    // What lands in the holding queue teaches keys the head did not show (a DLQ in blocks by
    // origin): each is read once, unacked (all go back when this channel closes), and its key
    // bound when it names one origin — or unbound when a message with it is at the limit.
    let learn_ch = conn
        .create_channel()
        .await
        .map_err(|e| broker("open a channel", e))?;
    let mut learner = amqp::consume(&learn_ch, &temp.held, "warren-replay-learn", LEARN_PREFETCH)
        .await
        .map_err(|e| broker("watch the holding queue", e))?;
    let mut tick = tokio::time::Instant::now();
    loop {
        tick += Duration::from_millis(100);
        let learned = tokio::select! {
            biased;
            Some(Ok(d)) = learner.next() => Some(d),
            _ = tokio::time::sleep_until(tick) => None,
        };
        if let Some(d) = learned {
            tick -= Duration::from_millis(100);
            let key = d.routing_key.as_str();
            pairs.add(options, vhost, key, &d.properties, &d.data);
            match (pairs.binding_for(key, &routes), live.get(key).cloned()) {
                (Some(origin), None) if !refused.contains(key) => {
                    if bind(&conn, &mut ch, &temp.exchange, key, &origin).await? {
                        live.insert(key.to_string(), origin);
                        bound_keys += 1;
                    } else {
                        refused.insert(key.to_string());
                    }
                }
                (None, Some(origin)) => {
                    // A message at the limit, or a second origin: the rest of this key waits.
                    let _ = ch
                        .queue_unbind(
                            origin.as_str().into(),
                            temp.exchange.as_str().into(),
                            key.into(),
                            FieldTable::default(),
                        )
                        .await;
                    live.remove(key);
                    refused.insert(key.to_string());
                }
                _ => {}
            }
            continue;
        }
        if cancelled() {
            stop_shovels(gate, &admin, vhost, &temp).await;
            was_cancelled = true;
            break;
        }
        if let Ok(left) = amqp::passive_depth(&depth_ch, queue).await {
            let now = total.saturating_sub(u64::from(left)).max(moved);
            if now != moved {
                last_change = Instant::now();
                moved = now;
            }
        }
        progress(super::run::progress_of(
            moved,
            total,
            started,
            ScopeProgress {
                matched: moved,
                acted: moved,
                expected: Some(total),
            },
        ));
        let mut running = 0;
        for s in &temp.shovels {
            let gone = matches!(
                admin
                    .read("look at the replay shovel", |c| async move {
                        c.get_runtime_parameter("shovel", vhost, s).await
                    })
                    .await,
                Err(e) if e.kind == crate::broker::BrokerErrorKind::NotFound
            );
            running += usize::from(!gone);
        }
        if running == 0 {
            break;
        }
        if last_change.elapsed() > STALL_LIMIT {
            stop_shovels(gate, &admin, vhost, &temp).await;
            stalled = Some(format!(
                "the replay shovel moved nothing for {} s, so Warren stopped it",
                STALL_LIMIT.as_secs()
            ));
            break;
        }
    }
    // A stopped shovel lets go of its unconfirmed deliveries (back to the DLQ) when its
    // connection closes, which comes after its parameter is gone; until then it may still
    // publish. Counting or removing the replay exchange before that lost messages from the
    // count (CI, 4.3: 14,828 of 15,000 seen) and could drop a late publish. A classic or
    // quorum queue requeues a consumer's deliveries as it removes the consumer, so wait for
    // the DLQ's consumers to be what they were.
    let let_go_by = Instant::now() + SHOVEL_LET_GO;
    while Instant::now() < let_go_by {
        match amqp::passive(&depth_ch, queue)
            .await
            .map(|q| q.consumer_count())
        {
            Ok(n) if n > consumers_before => tokio::time::sleep(Duration::from_millis(50)).await,
            _ => break,
        }
    }
    let stopped_early = was_cancelled || stalled.is_some() || temp.shovels.len() < parts as usize;
    if stopped_early {
        // A shovel may cancel its consumer before its channel closes and hands back what it
        // holds (CI, 4.0, under load: 526 of 15,000 missed by the count): also wait until the
        // broker lists none of the run's shovels, whose workers end after their connections.
        while Instant::now() < let_go_by {
            let running = admin
                .read("list the replay shovels", |c| async move {
                    c.list_shovels_in(vhost).await
                })
                .await
                .map(|l| l.iter().any(|s| temp.shovels.contains(&s.name)));
            match running {
                Ok(true) => tokio::time::sleep(Duration::from_millis(100)).await,
                _ => break,
            }
        }
    }
    // What left the DLQ: when the shovels finished, the count they were given; else the depth
    // once it holds still (messages in flight at a stop go back to the DLQ): the same for
    // 600 ms.
    let mut left = amqp::passive_depth(&depth_ch, queue).await.map(u64::from);
    if stopped_early {
        let mut same = 0;
        for _ in 0..25 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let again = amqp::passive_depth(&depth_ch, queue).await.map(u64::from);
            if again.as_ref().ok() == left.as_ref().ok() {
                same += 1;
                if same == 3 {
                    break;
                }
            } else {
                same = 0;
            }
            left = again;
        }
        moved = total.saturating_sub(left.unwrap_or(total));
    } else {
        moved = total;
    }
    // The learner's unacked messages go back to the holding queue: wait until they are there.
    let _ = learn_ch.close(200, "learned".into()).await;
    let mut held_depth = u64::MAX;
    for _ in 0..100 {
        let Ok(q) = amqp::passive(&depth_ch, &temp.held).await else {
            break;
        };
        let now = u64::from(q.message_count());
        if q.consumer_count() == 0 && now == held_depth {
            break;
        }
        held_depth = now;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let held_depth = if held_depth == u64::MAX {
        0
    } else {
        held_depth
    };
    let shown_direct = moved.saturating_sub(held_depth);

    // The holding queue goes the client way: each message to its origin (loop guard,
    // unroutable back to the DLQ), or, after a cancel, back to the DLQ unchanged. It is not
    // cancelled half-way: a message must not be left in a temporary queue.
    let drain_options = if was_cancelled {
        ReplayOptions {
            scope: Scope {
                keys: Some(vec![]),
                ..Default::default()
            },
            ..options.clone()
        }
    } else {
        options.clone()
    };
    let mut drain_progress = |p: Progress| {
        let s = p.scope.unwrap_or_default();
        progress(super::run::progress_of(
            moved.saturating_sub(held_depth) + p.done,
            total,
            started,
            ScopeProgress {
                matched: shown_direct + s.matched,
                acted: shown_direct + s.acted,
                expected: Some(total),
            },
        ))
    };
    let drain = run_from(
        gate,
        env,
        password,
        vhost,
        queue,
        &temp.held,
        Some(&temp.exchange),
        &drain_options,
        &mut drain_progress,
        &|| false,
    )
    .await;
    let mut drain = drain;
    let mut still_held = u64::from(
        amqp::passive_depth(&depth_ch, &temp.held)
            .await
            .unwrap_or(0),
    );
    // A message requeued late (the learner's) is drained by a second pass.
    if still_held > 0 {
        if let Ok(first) = &drain {
            let second = run_from(
                gate,
                env,
                password,
                vhost,
                queue,
                &temp.held,
                Some(&temp.exchange),
                &drain_options,
                &mut |_| {},
                &|| false,
            )
            .await;
            drain = second.map(|r| merge(first.clone(), r));
            still_held = u64::from(
                amqp::passive_depth(&depth_ch, &temp.held)
                    .await
                    .unwrap_or(0),
            );
        }
    }
    if still_held == 0 {
        clean_up(gate, &admin, &conn, vhost, &temp).await;
    } else {
        stop_shovels(gate, &admin, vhost, &temp).await;
    }
    let _ = conn.close(200, "replay done".into()).await;
    let mut report = drain?;
    // Exact whatever the timing of the learner's requeue: what the drains read was held.
    let held = report.read;
    let direct = moved.saturating_sub(held);
    report.path = ReplayPath::Broker;
    report.shovel = Some(protocols[0].to_string());
    report.path_note = Some(format!(
        "{bound_keys} routing key(s) bound (from the first {head} message(s) and what reached the holding queue); {held} message(s) went through the holding queue; {BROKER_GUARD_NOTE}"
    ));
    report.replay_id = replay_id;
    report.total = total;
    report.read = moved;
    report.in_scope += direct;
    report.replayed += direct;
    if direct > 0 {
        report.destinations.insert(
            0,
            DestinationCount {
                destination: format!(
                    "their origins, by routing key ({bound_keys} key(s), broker-side)"
                ),
                messages: direct,
            },
        );
    }
    report.cancelled = was_cancelled;
    if let Some(s) = stalled {
        report.stopped = Some(match report.stopped.take() {
            Some(more) => format!("{s}; {more}"),
            None => format!("{s}. Nothing is lost: the rest is still in `{queue}`; run the replay again to finish"),
        });
    }
    if still_held > 0 {
        let s = format!(
            "{still_held} message(s) wait in the holding queue `{}` (nothing is lost): move them back to `{queue}` (`warren queues move`) and run the replay again",
            temp.held
        );
        report.stopped = Some(match report.stopped.take() {
            Some(more) => format!("{s}; {more}"),
            None => s,
        });
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(Ok(report))
}

/// The counts of two client-path passes over the holding queue, as one.
fn merge(mut a: ReplayReport, b: ReplayReport) -> ReplayReport {
    a.total += b.total;
    a.read += b.read;
    a.in_scope += b.in_scope;
    a.replayed += b.replayed;
    a.discarded += b.discarded;
    a.kept += b.kept;
    a.unroutable += b.unroutable;
    a.nacked += b.nacked;
    a.out_of_scope += b.out_of_scope;
    a.loop_guarded += b.loop_guarded;
    a.name_too_long += b.name_too_long;
    a.deduplicated += b.deduplicated;
    a.possible_duplicates += b.possible_duplicates;
    for d in b.destinations {
        match a
            .destinations
            .iter_mut()
            .find(|x| x.destination == d.destination)
        {
            Some(x) => x.messages += d.messages,
            None => a.destinations.push(d),
        }
    }
    a.stopped = a.stopped.or(b.stopped);
    a
}

/// Bind `key` from the replay exchange to `origin`; false (and a fresh channel) when the broker
/// refuses (the origin is gone: its messages land in the holding queue).
async fn bind(
    conn: &lapin::Connection,
    ch: &mut lapin::Channel,
    exchange: &str,
    key: &str,
    origin: &str,
) -> Result<bool> {
    let ok = ch
        .queue_bind(
            origin.into(),
            exchange.into(),
            key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .is_ok();
    if !ok {
        *ch = conn
            .create_channel()
            .await
            .map_err(|e| broker("open a channel", e))?;
    }
    Ok(ok)
}

async fn stop_shovels(gate: &WriteToken, admin: &Admin, vhost: &str, temp: &Temp) {
    for s in &temp.shovels {
        stop_shovel(gate, admin, vhost, s).await;
    }
}

/// Remove the shovel `name` (gone already: nothing to do).
async fn stop_shovel(gate: &WriteToken, admin: &Admin, vhost: &str, name: &str) {
    let _ = admin
        .write(gate, "stop the replay shovel", |c| async move {
            c.clear_runtime_parameter("shovel", vhost, name, true).await
        })
        .await;
}

/// Remove the shovels, the exchanges and the (empty) holding queue.
async fn clean_up(
    gate: &WriteToken,
    admin: &Admin,
    conn: &lapin::Connection,
    vhost: &str,
    temp: &Temp,
) {
    stop_shovels(gate, admin, vhost, temp).await;
    let Ok(ch) = conn.create_channel().await else {
        return;
    };
    let _ = ch
        .exchange_delete(
            temp.exchange.as_str().into(),
            ExchangeDeleteOptions::default(),
        )
        .await;
    let _ = ch
        .exchange_delete(
            temp.unrouted.as_str().into(),
            ExchangeDeleteOptions::default(),
        )
        .await;
    let _ = ch
        .queue_delete(
            temp.held.as_str().into(),
            QueueDeleteOptions {
                if_empty: true,
                ..Default::default()
            },
        )
        .await;
    let _ = ch.close(200, "cleaned up".into()).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadletters::discover::{Binding, Exchange};
    use crate::deadletters::xdeath::tests::{death_entry, headers_with};
    use lapin::types::FieldArray;

    fn shovelled(names: &[&str]) -> FieldTable {
        let mut h = headers_with(vec![death_entry("billing.acme", "rejected", 1)]);
        let records: Vec<AMQPValue> = names
            .iter()
            .map(|n| {
                let mut t = FieldTable::default();
                t.insert("shovel-name".into(), AMQPValue::LongString((*n).into()));
                AMQPValue::FieldTable(t)
            })
            .collect();
        h.insert(
            "x-shovelled".into(),
            AMQPValue::FieldArray(FieldArray::from(records)),
        );
        h
    }

    #[test]
    fn only_warrens_shovel_records_count_as_replays_and_this_runs_come_off() {
        let h = shovelled(&["warren-replay-r1-0", "ops-move", "warren-replay-r2-1"]);
        assert_eq!(shovel_replays(Some(&h)), 2);
        let p = BasicProperties::default().with_headers(h);
        let p = unmarked(p, "warren-replay-r2");
        assert_eq!(shovel_replays(p.headers().as_ref()), 1);
        let p = unmarked(p, "warren-replay-r1");
        assert_eq!(shovel_replays(p.headers().as_ref()), 0);
        assert!(p.headers().as_ref().unwrap().contains_key("x-shovelled"));
    }

    /// What a local shovel's forward headers leave (read off RabbitMQ 4.3.6).
    fn locally_shovelled(mut h: FieldTable, name: &str) -> FieldTable {
        h.insert(
            xdeath::LOCAL_SHOVEL_MARK.into(),
            AMQPValue::LongString(name.into()),
        );
        h.insert(
            "x-opt-shovel-type".into(),
            AMQPValue::LongString("dynamic".into()),
        );
        h.insert(
            "x-opt-shovelled-by".into(),
            AMQPValue::LongString("rabbit@a".into()),
        );
        h
    }

    #[test]
    fn a_local_shovels_mark_counts_once_and_this_runs_comes_off_with_its_headers() {
        let h = locally_shovelled(shovelled(&["warren-replay-r1-0"]), "warren-replay-r2-0");
        assert_eq!(shovel_replays(Some(&h)), 2);
        let m = xdeath::replay_mark(Some(&h)).unwrap();
        assert_eq!(m.id.as_deref(), Some("r2"), "the local mark is the newest");
        let p = unmarked(
            BasicProperties::default().with_headers(h),
            "warren-replay-r2",
        );
        let left = p.headers().as_ref().unwrap();
        assert_eq!(shovel_replays(Some(left)), 1);
        assert!(xdeath::LOCAL_SHOVEL_HEADERS
            .iter()
            .all(|k| !left.contains_key(k)));
        // Another shovel's local mark is not Warren's replay.
        let ops = locally_shovelled(FieldTable::default(), "ops-move");
        assert_eq!(shovel_replays(Some(&ops)), 0);
        let kept = unmarked(
            BasicProperties::default().with_headers(ops),
            "warren-replay-",
        );
        assert!(kept
            .headers()
            .as_ref()
            .unwrap()
            .contains_key(xdeath::LOCAL_SHOVEL_MARK));
    }

    #[test]
    fn an_earlier_local_replay_is_noticed_but_not_this_runs_own_mark() {
        let options = ReplayOptions {
            broker_path: true,
            ..Default::default()
        };
        let msg = |mark: Option<&str>| {
            let h = headers_with(vec![death_entry("a", "rejected", 1)]);
            let h = match mark {
                Some(m) => locally_shovelled(h, m),
                None => h,
            };
            BasicProperties::default().with_headers(h)
        };
        let mut pairs = Pairs {
            this_run: Some("warren-replay-now-".into()),
            ..Pairs::default()
        };
        pairs.add(&options, "v", "a", &msg(None), b"1");
        pairs.add(&options, "v", "a", &msg(Some("warren-replay-now-1")), b"2");
        pairs.add(&options, "v", "a", &msg(Some("ops-move")), b"3");
        assert!(!pairs.saw_local_mark, "this run's own, or not Warren's");
        assert!(pairs.held.is_empty(), "{:?}", pairs.held);
        // Another run, whose id only starts like this one's.
        pairs.add(&options, "v", "a", &msg(Some("warren-replay-nowt-0")), b"4");
        assert!(pairs.saw_local_mark);
    }

    #[test]
    fn the_replay_mark_counts_the_header_and_warrens_shovel_records_newest_id_first() {
        let mut h = shovelled(&["warren-replay-r9a-1", "ops-move"]);
        h.insert(xdeath::REPLAY_COUNT.into(), AMQPValue::LongLongInt(2));
        h.insert(
            xdeath::REPLAY_ID.into(),
            AMQPValue::LongString("r1.4".into()),
        );
        let m = xdeath::replay_mark(Some(&h)).unwrap();
        assert_eq!((m.count, m.id.as_deref()), (3, Some("r9a")));
        let only = shovelled(&["warren-replay-r7-0"]);
        assert_eq!(xdeath::replay_mark(Some(&only)).unwrap().count, 1);
        assert_eq!(xdeath::replay_mark(Some(&shovelled(&["ops-move"]))), None);
    }

    #[test]
    fn only_the_whole_dlq_to_origin_may_go_the_broker_way() {
        let all = ReplayOptions {
            broker_path: true,
            ..Default::default()
        };
        assert_eq!(refusal(&all), None);
        assert!(refusal(&ReplayOptions::default()).is_some());
        let group = ReplayOptions {
            scope: Scope {
                filter: crate::deadletters::filter::DeadLetterFilter::parse("origin:a").unwrap(),
                ..Default::default()
            },
            ..all.clone()
        };
        assert!(refusal(&group).unwrap().contains("cannot filter"));
        let picked = ReplayOptions {
            scope: Scope {
                keys: Some(vec!["k".into()]),
                ..Default::default()
            },
            ..all.clone()
        };
        assert!(refusal(&picked).is_some());
    }

    fn binding(source: &str, key: &str, queue: &str) -> Binding {
        serde_json::from_value(json!({"source": source, "destination": queue,
            "destination_type": "queue", "routing_key": key, "vhost": "v"}))
        .unwrap()
    }

    #[test]
    fn a_key_is_bound_only_when_it_names_one_origin_the_bindings_agree_and_no_message_is_at_the_limit(
    ) {
        let options = ReplayOptions {
            broker_path: true,
            max_replays: 2,
            ..Default::default()
        };
        let msg = |q: &str, x: &str, replays: i64| {
            let mut d = death_entry(q, "rejected", 1);
            if let AMQPValue::FieldTable(t) = &mut d {
                t.insert("exchange".into(), AMQPValue::LongString(x.into()));
            }
            let mut h = headers_with(vec![d]);
            if replays > 0 {
                h.insert(xdeath::REPLAY_COUNT.into(), AMQPValue::LongLongInt(replays));
            }
            BasicProperties::default().with_headers(h)
        };
        let mut pairs = Pairs::default();
        pairs.add(&options, "v", "a", &msg("a", "", 0), b"1");
        pairs.add(&options, "v", "b", &msg("b", "", 0), b"2");
        pairs.add(&options, "v", "b", &msg("b", "", 2), b"3");
        pairs.add(&options, "v", "k", &msg("q1", "work", 0), b"4");
        pairs.add(&options, "v", "k", &msg("q2", "work", 0), b"5");
        pairs.add(&options, "v", "t.x", &msg("q1", "topic", 0), b"6");
        pairs.add(&options, "v", "gone", &msg("gone", "", 0), b"7");
        let exchanges: Vec<Exchange> = serde_json::from_value(json!([
            {"name": "", "type": "direct"}, {"name": "work", "type": "direct"},
            {"name": "topic", "type": "topic"}]))
        .unwrap();
        let bindings = vec![
            binding("", "a", "a"),
            binding("", "b", "b"),
            binding("work", "k", "q1"),
            binding("work", "k", "q2"),
            binding("topic", "t.*", "q1"),
            binding("topic", "#", "audit"),
        ];
        let routes = Routes::new(&exchanges, &bindings);
        let bound = pairs.bindings(&routes);
        assert_eq!(
            bound.into_iter().collect::<Vec<_>>(),
            vec![("a".to_string(), "a".to_string())],
            "b has a message at the limit, k two origins, t.x reaches audit too, gone no queue"
        );
    }
}
