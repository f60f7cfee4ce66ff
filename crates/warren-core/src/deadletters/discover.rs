//! Which queues are dead-letter queues: every queue whose arguments or effective policy name a
//! dead-letter exchange is followed through that exchange's bindings (with its dead-letter
//! routing key, or else the routing keys the queue itself is bound with) to the queues that
//! receive its dead letters. A queue named like a DLQ (`orders.dlq`, `billing.dead`) that nothing
//! routes to is still listed, as "by name only", and a queue whose dead letters go nowhere is
//! reported: the broker silently drops those.
//!
//! Framework error queues are listed too, with their `kind` (see `framework`): MassTransit's
//! `<queue>_error` and NServiceBus's `error` by name; a queue bound from an exchange named for
//! errors (Spring's recoverer publishes to one) by that binding; and a queue whose name says
//! nothing by its head message's headers. Reading a head costs a read, so only a few candidates
//! are read (the DLQs found by name or binding, queues named like errors), largest first.
//!
//! Reads the inventory plus, per vhost that uses dead-lettering, its exchanges and bindings from
//! the management API (`management` tag), the exchanges named for errors and their bindings, and
//! the head message of at most `MAX_HEAD_READS` classic queues (read permission; the message is
//! given back, marked redelivered). Does not modify state otherwise.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::framework::{self, DeadLetterKind};
use crate::broker::amqp;
use crate::broker::management::ManagementClient;
use crate::environment::Environment;
use crate::error::Result;
use crate::queues::QueueRow;

/// How a queue was found to be a dead-letter queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Wiring {
    /// Some queue's dead-letter exchange routes to it.
    Wired,
    /// Named like a DLQ or a framework's error queue, but no queue's dead letters reach it.
    ByName,
    /// Bound from an exchange named for errors (`app.errors`): a framework republishes there.
    ByBinding,
    /// Its head message carries a framework's failure headers.
    ByHeaders,
}

impl Wiring {
    /// How the CLI and the window say it.
    pub fn label(self) -> &'static str {
        match self {
            Wiring::Wired => "wired",
            Wiring::ByName => "by name",
            Wiring::ByBinding => "by binding",
            Wiring::ByHeaders => "by headers",
        }
    }
}

/// At most this many head messages are read per discovery (each costs a connection's round
/// trips and marks one message redelivered), so 10,000 queues cost what 32 do.
pub const MAX_HEAD_READS: usize = 32;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct DeadLetterQueue {
    pub vhost: String,
    pub name: String,
    /// classic, quorum or stream.
    pub queue_type: String,
    #[ts(type = "number")]
    pub messages: u64,
    #[ts(type = "number")]
    pub consumers: u64,
    pub wiring: Wiring,
    /// Broker DLQ, or which framework's error queue.
    pub kind: DeadLetterKind,
    /// The queues whose dead letters land here (sorted).
    pub feeders: Vec<String>,
    /// The dead-letter exchanges on the way ("" = the default exchange); found by binding: the
    /// error exchanges it is bound from.
    pub exchanges: Vec<String>,
    /// A quorum queue's `x-delivery-limit`: browsing raises each message's delivery count.
    #[ts(optional, type = "number")]
    pub delivery_limit: Option<u64>,
    /// The realm and worker the template maps the DLQ's own name to, if any.
    pub realm: Option<String>,
    pub worker: Option<String>,
}

/// A queue whose dead letters reach no queue: the broker drops them.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct UnroutedDeadLetters {
    pub vhost: String,
    pub queue: String,
    pub exchange: String,
    /// Why: the exchange does not exist, or routes nothing for this queue's keys.
    pub problem: String,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct DeadLetterTopology {
    pub queues: Vec<DeadLetterQueue>,
    pub unrouted: Vec<UnroutedDeadLetters>,
}

impl DeadLetterTopology {
    pub fn find(&self, vhost: &str, name: &str) -> Option<&DeadLetterQueue> {
        self.queues
            .iter()
            .find(|q| q.vhost == vhost && q.name == name)
    }
}

/// One binding of a vhost, as `GET /api/bindings/{vhost}` lists it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Binding {
    pub source: String,
    pub destination: String,
    pub destination_type: String,
    pub routing_key: String,
}

/// An exchange name and type (direct, fanout, topic, headers, x-…).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Exchange {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// Is this a name teams give dead-letter queues?
pub fn named_like_dlq(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let last = lower
        .rsplit(['.', '-', '_', ':', '/'])
        .next()
        .unwrap_or(&lower);
    matches!(
        last,
        "dlq" | "dead" | "deadletter" | "deadletters" | "dl" | "parkinglot" | "parking" | "failed"
    ) || lower.ends_with("dead-letter")
        || lower.ends_with("dead-letters")
        || lower.ends_with("dead_letter")
        || lower.ends_with("dead_letters")
        || lower.ends_with("parking-lot")
        || lower.starts_with("dlq.")
        || lower.starts_with("dlq-")
}

/// Does a topic binding pattern (`*` one word, `#` zero or more) match a routing key?
pub fn topic_matches(pattern: &str, key: &str) -> bool {
    fn go(p: &[&str], k: &[&str]) -> bool {
        match p.split_first() {
            None => k.is_empty(),
            Some((&"#", rest)) => (0..=k.len()).any(|i| go(rest, &k[i..])),
            Some((&w, rest)) => match k.split_first() {
                Some((&kw, krest)) => (w == "*" || w == kw) && go(rest, krest),
                None => false,
            },
        }
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = key.split('.').collect();
    go(&p, &k)
}

/// A vhost's exchanges and bindings, indexed to follow a routing key to the queues it reaches.
pub struct Routes<'a> {
    kinds: HashMap<&'a str, &'a str>,
    by_source: HashMap<&'a str, Vec<&'a Binding>>,
}

impl<'a> Routes<'a> {
    pub fn new(exchanges: &'a [Exchange], bindings: &'a [Binding]) -> Routes<'a> {
        let mut by_source: HashMap<&str, Vec<&Binding>> = HashMap::new();
        for b in bindings {
            by_source.entry(b.source.as_str()).or_default().push(b);
        }
        Routes {
            kinds: exchanges
                .iter()
                .map(|x| (x.name.as_str(), x.kind.as_str()))
                .collect(),
            by_source,
        }
    }

    pub fn exchange_exists(&self, exchange: &str) -> bool {
        self.kinds.contains_key(exchange)
    }

    /// The queues `exchange` routes any of `keys` to (fanout and headers: every bound queue,
    /// whose header match we cannot know), following exchange-to-exchange bindings.
    pub fn queues(&self, exchange: &str, keys: &[String]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.follow(exchange, keys, &mut BTreeSet::new(), &mut out);
        out
    }

    fn follow(
        &self,
        exchange: &str,
        keys: &[String],
        seen: &mut BTreeSet<String>,
        out: &mut BTreeSet<String>,
    ) {
        if !seen.insert(exchange.to_string()) {
            return;
        }
        let kind = self.kinds.get(exchange).copied().unwrap_or("direct");
        for b in self.by_source.get(exchange).into_iter().flatten() {
            let hit = match kind {
                "fanout" | "headers" => true,
                "topic" => keys.iter().any(|k| topic_matches(&b.routing_key, k)),
                // direct and plugin types (consistent-hash, …): an exact key is the best guess.
                _ => keys.contains(&b.routing_key),
            };
            if !hit {
                continue;
            }
            if b.destination_type == "queue" {
                out.insert(b.destination.clone());
            } else {
                self.follow(&b.destination, keys, seen, out);
            }
        }
    }
}

/// A vhost's exchanges (name and type) and bindings, from the management API.
/// Needs the `management` tag. Does not modify state.
pub async fn fetch_routes(
    client: &ManagementClient,
    vhost: &str,
) -> Result<(Vec<Exchange>, Vec<Binding>)> {
    let v = utf8_percent_encode(vhost, NON_ALPHANUMERIC).to_string();
    let (xs, _) = client
        .get_json(&format!("exchanges/{v}?columns=name,type"))
        .await?;
    let (bs, _) = client.get_json(&format!("bindings/{v}")).await?;
    Ok((xs, bs))
}

/// Work out the dead-letter topology of the queues in `rows` from their vhosts' exchanges and
/// bindings (passed in per vhost, so this part is pure and testable).
pub fn topology(
    rows: &[QueueRow],
    exchanges: &BTreeMap<String, Vec<Exchange>>,
    bindings: &BTreeMap<String, Vec<Binding>>,
) -> DeadLetterTopology {
    let empty_x = Vec::new();
    let empty_b = Vec::new();
    // (vhost, dlq) → (feeders, exchanges)
    let mut found: BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)> =
        BTreeMap::new();
    let mut unrouted = Vec::new();
    let mut per_vhost: BTreeMap<&str, Vec<&QueueRow>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.dead_letter_exchange.is_some()) {
        per_vhost.entry(r.vhost.as_str()).or_default().push(r);
    }
    for (vhost, feeders) in per_vhost {
        let xs = exchanges.get(vhost).unwrap_or(&empty_x);
        let bs = bindings.get(vhost).unwrap_or(&empty_b);
        let routes = Routes::new(xs, bs);
        let mut keys_of_queue: HashMap<&str, Vec<String>> = HashMap::new();
        for b in bs.iter().filter(|b| b.destination_type == "queue") {
            keys_of_queue
                .entry(b.destination.as_str())
                .or_default()
                .push(b.routing_key.clone());
        }
        let queue_names: BTreeSet<&str> = rows
            .iter()
            .filter(|r| r.vhost == vhost)
            .map(|r| r.name.as_str())
            .collect();
        for q in feeders {
            let dlx = q.dead_letter_exchange.clone().unwrap_or_default();
            // Dead letters keep their original routing keys unless the queue sets one; the
            // keys it is bound with (and its own name, for the default exchange) stand for them.
            let keys: Vec<String> = match &q.dead_letter_routing_key {
                Some(k) => vec![k.clone()],
                None => {
                    let mut k = keys_of_queue
                        .get(q.name.as_str())
                        .cloned()
                        .unwrap_or_default();
                    k.push(q.name.clone());
                    k
                }
            };
            let mut targets = BTreeSet::new();
            let problem = if dlx.is_empty() {
                // The default exchange routes a key to the queue of that name.
                targets.extend(
                    keys.iter()
                        .filter(|k| queue_names.contains(k.as_str()))
                        .cloned(),
                );
                "no queue is named like the dead-letter routing key".to_string()
            } else if !routes.exchange_exists(&dlx) {
                format!("the dead-letter exchange `{dlx}` does not exist")
            } else {
                targets = routes.queues(&dlx, &keys);
                format!(
                    "the dead-letter exchange `{dlx}` has no binding for this queue's routing keys"
                )
            };
            // A queue dead-lettering into itself is a loop, not a DLQ.
            targets.remove(&q.name);
            if targets.is_empty() {
                unrouted.push(UnroutedDeadLetters {
                    vhost: vhost.to_string(),
                    queue: q.name.clone(),
                    exchange: dlx.clone(),
                    problem,
                });
            }
            for t in targets {
                let e = found.entry((vhost.to_string(), t)).or_default();
                e.0.insert(q.name.clone());
                e.1.insert(dlx.clone());
            }
        }
    }
    let mut queues: Vec<DeadLetterQueue> = Vec::new();
    for r in rows {
        let key = (r.vhost.clone(), r.name.clone());
        let (wiring, kind, feeders, exchanges) = match found.remove(&key) {
            Some((f, x)) => (
                Wiring::Wired,
                DeadLetterKind::Broker,
                f.into_iter().collect(),
                x.into_iter().collect(),
            ),
            None => match framework::kind_by_name(&r.name) {
                Some(kind) => (Wiring::ByName, kind, Vec::new(), Vec::new()),
                None if named_like_dlq(&r.name) => (
                    Wiring::ByName,
                    DeadLetterKind::Broker,
                    Vec::new(),
                    Vec::new(),
                ),
                None => continue,
            },
        };
        queues.push(DeadLetterQueue {
            vhost: r.vhost.clone(),
            name: r.name.clone(),
            queue_type: r.queue_type.clone(),
            messages: r.messages,
            consumers: r.consumers,
            wiring,
            kind,
            feeders,
            exchanges,
            delivery_limit: r.delivery_limit,
            realm: r.realm.clone(),
            worker: r.worker.clone(),
        });
    }
    sort(&mut queues);
    DeadLetterTopology { queues, unrouted }
}

fn sort(queues: &mut [DeadLetterQueue]) {
    queues.sort_by(|a, b| {
        b.messages
            .cmp(&a.messages)
            .then_with(|| a.name.cmp(&b.name))
    });
}

fn listed(r: &QueueRow, wiring: Wiring, kind: DeadLetterKind) -> DeadLetterQueue {
    DeadLetterQueue {
        vhost: r.vhost.clone(),
        name: r.name.clone(),
        queue_type: r.queue_type.clone(),
        messages: r.messages,
        consumers: r.consumers,
        wiring,
        kind,
        feeders: Vec::new(),
        exchanges: Vec::new(),
        delivery_limit: r.delivery_limit,
        realm: r.realm.clone(),
        worker: r.worker.clone(),
    }
}

/// Add the queues bound from an exchange named for errors (per vhost: those bindings): Spring's
/// recoverer republishes to such an exchange, so they are listed as Spring's until their head
/// says otherwise. A queue already wired or named for a framework keeps what it is; one listed
/// only by a DLQ-like name (`orders.dlq`) becomes Spring's, found by binding.
pub fn add_error_bindings(
    topology: &mut DeadLetterTopology,
    rows: &[QueueRow],
    error_bindings: &BTreeMap<String, Vec<Binding>>,
) {
    let by_name: HashMap<(&str, &str), &QueueRow> = rows
        .iter()
        .map(|r| ((r.vhost.as_str(), r.name.as_str()), r))
        .collect();
    for (vhost, bindings) in error_bindings {
        for b in bindings
            .iter()
            .filter(|b| b.destination_type == "queue" && framework::is_error_exchange(&b.source))
        {
            let at = topology
                .queues
                .iter_mut()
                .find(|q| &q.vhost == vhost && q.name == b.destination);
            match at {
                Some(q) => {
                    if q.wiring == Wiring::ByName && q.kind == DeadLetterKind::Broker {
                        q.wiring = Wiring::ByBinding;
                        q.kind = DeadLetterKind::Spring;
                    }
                    if q.wiring == Wiring::ByBinding && !q.exchanges.contains(&b.source) {
                        q.exchanges.push(b.source.clone());
                    }
                }
                None => {
                    if let Some(r) = by_name.get(&(vhost.as_str(), b.destination.as_str())) {
                        let mut q = listed(r, Wiring::ByBinding, DeadLetterKind::Spring);
                        q.exchanges.push(b.source.clone());
                        topology.queues.push(q);
                    }
                }
            }
        }
    }
    sort(&mut topology.queues);
}

/// The queues whose head message is worth reading to learn their kind, largest first, at most
/// `MAX_HEAD_READS`: those listed by a DLQ-like name or by binding, and unlisted ones named like
/// errors (`orders-errors`, `failed.payments`). Only classic queues with messages: reading a
/// quorum queue's head counts against its delivery limit, a stream's reads nothing.
pub fn head_candidates<'a>(
    topology: &DeadLetterTopology,
    rows: &'a [QueueRow],
) -> Vec<&'a QueueRow> {
    let mut out: Vec<&QueueRow> = rows
        .iter()
        .filter(|r| r.messages > 0 && (r.queue_type == "classic" || r.queue_type.is_empty()))
        .filter(|r| match topology.find(&r.vhost, &r.name) {
            Some(q) => {
                (q.wiring == Wiring::ByName && q.kind == DeadLetterKind::Broker)
                    || q.wiring == Wiring::ByBinding
            }
            None => {
                let lower = r.name.to_ascii_lowercase();
                lower.contains("error") || lower.contains("fail")
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.messages
            .cmp(&a.messages)
            .then_with(|| a.name.cmp(&b.name))
    });
    out.truncate(MAX_HEAD_READS);
    out
}

/// What a queue's head message said: its framework, if it carries one's failure headers and no
/// `x-death` (then the broker put it there).
pub fn apply_head(
    topology: &mut DeadLetterTopology,
    row: &QueueRow,
    headers: Option<&lapin::types::FieldTable>,
) {
    if headers.is_some_and(|h| h.contains_key("x-death")) {
        return;
    }
    let Some(kind) = framework::kind_of(headers) else {
        return;
    };
    match topology
        .queues
        .iter_mut()
        .find(|q| q.vhost == row.vhost && q.name == row.name)
    {
        Some(q) => {
            if q.wiring == Wiring::ByName {
                q.wiring = Wiring::ByHeaders;
            }
            q.kind = kind;
        }
        None => topology.queues.push(listed(row, Wiring::ByHeaders, kind)),
    }
    sort(&mut topology.queues);
}

/// The bindings of the exchanges named for errors in the vhosts of `rows` (those whose bindings
/// were not read already). Needs the `management` tag. Does not modify state.
async fn fetch_error_bindings(
    client: &ManagementClient,
    rows: &[QueueRow],
    known: &BTreeMap<String, Vec<Binding>>,
) -> Result<BTreeMap<String, Vec<Binding>>> {
    #[derive(Deserialize)]
    struct Named {
        name: String,
        vhost: String,
    }
    let vhosts: BTreeSet<&str> = rows.iter().map(|r| r.vhost.as_str()).collect();
    let mut out: BTreeMap<String, Vec<Binding>> = BTreeMap::new();
    for (vhost, bs) in known {
        out.insert(vhost.clone(), bs.clone());
    }
    if vhosts.iter().all(|v| known.contains_key(*v)) {
        return Ok(out);
    }
    // One call for every vhost's exchanges (names only), then the few named for errors.
    let (xs, _): (Vec<Named>, _) = client.get_json("exchanges?columns=name,vhost").await?;
    for x in xs.iter().filter(|x| {
        vhosts.contains(x.vhost.as_str())
            && !known.contains_key(&x.vhost)
            && framework::is_error_exchange(&x.name)
    }) {
        let path = format!(
            "exchanges/{}/{}/bindings/source",
            utf8_percent_encode(&x.vhost, NON_ALPHANUMERIC),
            utf8_percent_encode(&x.name, NON_ALPHANUMERIC)
        );
        let (bs, _): (Vec<Binding>, _) = client.get_json(&path).await?;
        out.entry(x.vhost.clone()).or_default().extend(bs);
    }
    Ok(out)
}

/// Read the head message of each candidate (given back at once) and let it say its kind.
/// Best effort: a queue or vhost that cannot be read keeps what its name or binding said.
/// Needs read permission on the queues. Removes no message (the head is marked redelivered).
async fn read_heads(
    env: &Environment,
    password: &SecretString,
    topology: &mut DeadLetterTopology,
    candidates: &[&QueueRow],
) {
    use lapin::options::{BasicGetOptions, BasicNackOptions};
    let mut per_vhost: BTreeMap<&str, Vec<&QueueRow>> = BTreeMap::new();
    for r in candidates {
        per_vhost.entry(r.vhost.as_str()).or_default().push(r);
    }
    for (vhost, queues) in per_vhost {
        let Ok(conn) = amqp::connect(env, password, Some(vhost), "read error queue heads").await
        else {
            continue;
        };
        for r in queues {
            if amqp::check_name("queue name", &r.name).is_err() {
                continue;
            }
            let Ok(ch) = conn.create_channel().await else {
                break;
            };
            if let Ok(Some(m)) = ch
                .basic_get(r.name.as_str().into(), BasicGetOptions { no_ack: false })
                .await
            {
                let headers = m.delivery.properties.headers().clone();
                let _ = ch
                    .basic_nack(
                        m.delivery.delivery_tag,
                        BasicNackOptions {
                            multiple: false,
                            requeue: true,
                        },
                    )
                    .await;
                apply_head(topology, r, headers.as_ref());
            }
            let _ = ch.close(200, "head read".into()).await;
        }
        let _ = conn.close(200, "head reads done".into()).await;
    }
}

/// Read the exchanges and bindings of every vhost in `rows` that uses dead-lettering, then
/// work out the topology; add framework error queues by name, by binding from an exchange named
/// for errors, and by the head message of at most `MAX_HEAD_READS` candidates. Requires the
/// `management` tag (and read permission on the candidates). Does not modify state, except that
/// each head read is marked redelivered.
pub async fn discover(
    env: &Environment,
    password: SecretString,
    rows: &[QueueRow],
) -> Result<DeadLetterTopology> {
    let client = ManagementClient::new(env, password.clone())?;
    let mut t = discover_by_routes(&client, rows).await?;
    let candidates = head_candidates(&t, rows);
    if !candidates.is_empty() {
        read_heads(env, &password, &mut t, &candidates).await;
    }
    Ok(t)
}

/// `discover` without reading any message: the DLQs the dead-letter settings, the error
/// exchanges' bindings and the names reveal (the fleet overview counts these, and must not
/// mark messages redelivered on every refresh). Requires the `management` tag. Does not
/// modify state.
pub async fn discover_by_routes(
    client: &ManagementClient,
    rows: &[QueueRow],
) -> Result<DeadLetterTopology> {
    let vhosts: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.dead_letter_exchange.is_some())
        .map(|r| r.vhost.as_str())
        .collect();
    let mut exchanges = BTreeMap::new();
    let mut bindings = BTreeMap::new();
    for vhost in vhosts {
        let (xs, bs) = fetch_routes(client, vhost).await?;
        exchanges.insert(vhost.to_string(), xs);
        bindings.insert(vhost.to_string(), bs);
    }
    let mut t = topology(rows, &exchanges, &bindings);
    // Best effort: a user who may not list some exchanges still gets the rest.
    let error_bindings = fetch_error_bindings(client, rows, &bindings)
        .await
        .unwrap_or(bindings);
    add_error_bindings(&mut t, rows, &error_bindings);
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str, dlx: Option<&str>, dlrk: Option<&str>, messages: u64) -> QueueRow {
        QueueRow {
            dead_letter_exchange: dlx.map(str::to_string),
            dead_letter_routing_key: dlrk.map(str::to_string),
            messages,
            ..QueueRow::named("/", name)
        }
    }
    fn x(name: &str, kind: &str) -> Exchange {
        Exchange {
            name: name.into(),
            kind: kind.into(),
        }
    }
    fn b(source: &str, dest: &str, key: &str) -> Binding {
        Binding {
            source: source.into(),
            destination: dest.into(),
            destination_type: "queue".into(),
            routing_key: key.into(),
        }
    }
    fn one<T>(v: Vec<T>) -> BTreeMap<String, Vec<T>> {
        BTreeMap::from([("/".to_string(), v)])
    }

    #[test]
    fn follows_fanout_direct_topic_and_default_exchange_routes() {
        let rows = vec![
            q("billing.acme", Some("dlx"), None, 5),
            q("billing.globex", Some("dlx"), None, 1),
            q("orders", Some("dlx.direct"), Some("orders.dead"), 0),
            q("mail", Some("dlx.topic"), None, 0),
            q("sms", Some(""), Some("sms.dlq"), 0),
            q("dlq-all", None, None, 7),
            q("orders-dlq", None, None, 2),
            q("mail-failed", None, None, 0),
            q("sms.dlq", None, None, 3),
            q("legacy.dlq", None, None, 9),
        ];
        let xs = one(vec![
            x("dlx", "fanout"),
            x("dlx.direct", "direct"),
            x("dlx.topic", "topic"),
            x("work", "direct"),
        ]);
        let bs = one(vec![
            b("dlx", "dlq-all", ""),
            b("dlx.direct", "orders-dlq", "orders.dead"),
            b("dlx.direct", "nope", "other"),
            b("work", "mail", "mail.send"),
            b("dlx.topic", "mail-failed", "mail.#"),
        ]);
        let t = topology(&rows, &xs, &bs);
        let names: Vec<&str> = t.queues.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "legacy.dlq",
                "dlq-all",
                "sms.dlq",
                "orders-dlq",
                "mail-failed"
            ]
        );
        let all = t.find("/", "dlq-all").unwrap();
        assert_eq!(all.feeders, ["billing.acme", "billing.globex"]);
        assert_eq!(all.wiring, Wiring::Wired);
        assert_eq!(t.find("/", "mail-failed").unwrap().feeders, ["mail"]);
        assert_eq!(t.find("/", "sms.dlq").unwrap().exchanges, [""]);
        assert_eq!(t.find("/", "legacy.dlq").unwrap().wiring, Wiring::ByName);
        assert!(t.unrouted.is_empty(), "{:?}", t.unrouted);
    }

    #[test]
    fn reports_dead_letters_that_go_nowhere() {
        let rows = vec![
            q("a", Some("missing"), None, 0),
            q("b", Some("dlx"), Some("nokey"), 0),
        ];
        let t = topology(
            &rows,
            &one(vec![x("dlx", "direct")]),
            &one(vec![b("dlx", "dlq", "key")]),
        );
        assert!(t.queues.is_empty());
        assert_eq!(t.unrouted.len(), 2);
        assert!(t.unrouted[0].problem.contains("does not exist"));
        assert!(t.unrouted[1].problem.contains("no binding"));
    }

    #[test]
    fn exchange_to_exchange_bindings_are_followed_without_looping() {
        let rows = vec![q("a", Some("dlx"), None, 0), q("dlq", None, None, 0)];
        let mut e2e = b("dlx", "inner", "");
        e2e.destination_type = "exchange".into();
        let mut back = b("inner", "dlx", "");
        back.destination_type = "exchange".into();
        let t = topology(
            &rows,
            &one(vec![x("dlx", "fanout"), x("inner", "fanout")]),
            &one(vec![e2e, back, b("inner", "dlq", "")]),
        );
        assert_eq!(t.find("/", "dlq").unwrap().feeders, ["a"]);
    }

    #[test]
    fn framework_error_queues_are_found_by_name_binding_and_head() {
        let rows = vec![
            q("orders", None, None, 0),
            q("orders_error", None, None, 3),
            q("error", None, None, 2),
            q("payments.recovery", None, None, 4),
            q("invoices.dlq", None, None, 1),
            q("legacy.dlq", None, None, 1),
            q("quiet", None, None, 5),
            q("mail-failures", None, None, 6),
        ];
        let mut t = topology(&rows, &BTreeMap::new(), &BTreeMap::new());
        let kind = |t: &DeadLetterTopology, n: &str| t.find("/", n).map(|q| (q.wiring, q.kind));
        assert_eq!(
            kind(&t, "orders_error"),
            Some((Wiring::ByName, DeadLetterKind::Masstransit))
        );
        assert_eq!(
            kind(&t, "error"),
            Some((Wiring::ByName, DeadLetterKind::Nservicebus))
        );
        assert_eq!(kind(&t, "payments.recovery"), None);
        add_error_bindings(
            &mut t,
            &rows,
            &one(vec![
                b("app.errors", "payments.recovery", "error.#"),
                b("app.errors", "invoices.dlq", "error.invoices"),
                b("work", "legacy.dlq", "x"),
            ]),
        );
        assert_eq!(
            kind(&t, "payments.recovery"),
            Some((Wiring::ByBinding, DeadLetterKind::Spring))
        );
        assert_eq!(
            t.find("/", "payments.recovery").unwrap().exchanges,
            ["app.errors"]
        );
        assert_eq!(
            kind(&t, "invoices.dlq"),
            Some((Wiring::ByBinding, DeadLetterKind::Spring))
        );
        assert_eq!(
            kind(&t, "legacy.dlq"),
            Some((Wiring::ByName, DeadLetterKind::Broker))
        );
        // Heads worth reading: by binding, by DLQ name, unlisted names like errors; not the
        // framework-named ones, not `quiet`.
        let mut c: Vec<&str> = head_candidates(&t, &rows)
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        c.sort();
        assert_eq!(
            c,
            [
                "invoices.dlq",
                "legacy.dlq",
                "mail-failures",
                "payments.recovery"
            ]
        );
        use crate::deadletters::framework::tests::table;
        let nsb = table(&[("NServiceBus.FailedQ", "Mail")]);
        apply_head(&mut t, &rows[7], Some(&nsb));
        assert_eq!(
            kind(&t, "mail-failures"),
            Some((Wiring::ByHeaders, DeadLetterKind::Nservicebus))
        );
        let mut dead = nsb.clone();
        dead.insert(
            "x-death".into(),
            lapin::types::AMQPValue::FieldArray(vec![].into()),
        );
        apply_head(&mut t, &rows[5], Some(&dead));
        assert_eq!(kind(&t, "legacy.dlq").unwrap().1, DeadLetterKind::Broker);
        assert_eq!(t.queues[0].name, "mail-failures", "largest first");
    }

    #[test]
    fn topic_patterns() {
        assert!(topic_matches("a.*.c", "a.b.c"));
        assert!(!topic_matches("a.*.c", "a.b.b.c"));
        assert!(topic_matches("a.#", "a"));
        assert!(topic_matches("#", "x.y"));
        assert!(topic_matches("#.c", "a.b.c"));
        assert!(!topic_matches("a.b", "a.b.c"));
    }

    #[test]
    fn dlq_names() {
        for n in [
            "orders.dlq",
            "orders-DLQ",
            "x.dead",
            "y_dead_letters",
            "dlq.orders",
            "z.parking-lot",
        ] {
            assert!(named_like_dlq(n), "{n}");
        }
        for n in ["deadline", "orders", "dlqueue", "headless"] {
            assert!(!named_like_dlq(n), "{n}");
        }
    }
}
