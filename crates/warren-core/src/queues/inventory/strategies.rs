//! The ways Warren can read a queue inventory; each returns the same `Inventory` (same rows,
//! same figures) for the fields it claims. Measured in benches/inventory_matrix.rs; the table
//! and the fields each one lacks are in the README's inventory section.
//!
//! - `Paged`: `GET /api/queues?page=N&columns=…`, pages in parallel (the old way).
//! - `Unpaginated`: one `GET /api/queues[/V]?columns=…`. Complete, every line, every user.
//! - `Totals`: one `GET …?disable_stats=true&enable_queue_totals=true`. Lacks consumers,
//!   utilisation, memory, rates, the effective policy definition; not complete alone.
//! - `TotalsPrometheus`: `Totals` + Prometheus `/metrics/detailed` (consumers, utilisation,
//!   memory, counters) + `/api/policies` and `/api/operator-policies` (the effective
//!   definition, computed by `effective_policy`), in parallel. Complete but for 4.3's
//!   `messages_delayed`/`messages_dlx` (only in the statistics listing); rates from counter
//!   differences. Single-node Prometheus view: when a queue runs on another node than the one
//!   scraped it falls back to `Unpaginated`.
//! - `DefinitionsPrometheus`: `/api/definitions[/V]` (needs `administrator`) + Prometheus, the
//!   policy computed by Warren (`effective_policy`); exclusive queues (not exported) come from
//!   the scrape. Complete on a single-node broker (equal to the listing in
//!   tests/queue_inventory.rs) but for: `state` is `running` when the node reports the queue,
//!   else `down`; exclusive queues' arguments are unknown; 4.3's delayed/dlx counts. On a
//!   cluster, node/members/leader would be the scraped node's: `selection` does not use it there.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::{Either, FutureExt, RemoteHandle};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

use super::{load_paged, vhost_path, Inventory, InventoryOptions, LoadEvent, COLUMNS};
use crate::broker::management::ManagementClient;
use crate::broker::prometheus::{PrometheusClient, QueueMetrics};
use crate::broker::{BrokerError, BrokerErrorKind};
use crate::lines::Line;
use crate::queues::effective_policy::{effective, Policy};
use crate::queues::row::{ApiQueue, QueueRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Strategy {
    /// Let `selection::choose` decide (options only).
    Auto,
    Paged,
    Unpaginated,
    Totals,
    TotalsPrometheus,
    DefinitionsPrometheus,
}

impl Strategy {
    pub const ALL: [Strategy; 5] = [
        Strategy::Paged,
        Strategy::Unpaginated,
        Strategy::Totals,
        Strategy::TotalsPrometheus,
        Strategy::DefinitionsPrometheus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Auto => "auto",
            Strategy::Paged => "paged",
            Strategy::Unpaginated => "unpaginated",
            Strategy::Totals => "totals",
            Strategy::TotalsPrometheus => "totals_prometheus",
            Strategy::DefinitionsPrometheus => "definitions_prometheus",
        }
    }

    /// Whether the strategy gives every field the queue table shows (see the module comment
    /// for the exceptions: 4.3's delayed/dlx counts; `DefinitionsPrometheus` on one node only).
    pub fn complete(self) -> bool {
        !matches!(self, Strategy::Totals)
    }

    pub fn needs_prometheus(self) -> bool {
        matches!(
            self,
            Strategy::TotalsPrometheus | Strategy::DefinitionsPrometheus
        )
    }
}

/// Each queue's message counters (published, delivered, acknowledged, redelivered) at one
/// instant: the next load's rates are the differences over the time between them.
#[derive(Debug, Clone, Default)]
pub struct CounterSnapshot {
    pub at: Option<Instant>,
    pub by_queue: HashMap<(String, String), [u64; 4]>,
}

/// The first page of 500 an inventory shows before the rest, if any (see `FirstPage::start`).
pub enum EarlyPage {
    None,
    /// Races the whole load: shown if it answers first.
    Race(FirstPage),
    /// The whole load waits for it (at most `HEAD_START`): on 3.x a page costs the broker a
    /// small fraction of its listing, but raced against the whole load it lands late (0.10–0.16×
    /// of the full listing instead of 0.03×) because both share the broker's schedulers.
    HeadStart(FirstPage),
}

/// How long the whole load waits for a head-started first page.
pub const HEAD_START: Duration = Duration::from_secs(1);

/// A first page being read in the background; dropping it cancels the read.
pub struct FirstPage(RemoteHandle<Result<(Vec<QueueRow>, u64), BrokerError>>);

impl FirstPage {
    /// Start reading the first page of 500 with Warren's columns, and the broker's count.
    pub fn start(client: &ManagementClient, opts: &InventoryOptions) -> FirstPage {
        let (client, opts) = (client.clone(), opts.clone());
        let (read, handle) = async move { first_page(&client, &opts).await }.remote_handle();
        tokio::spawn(read);
        FirstPage(handle)
    }
}

/// Read the inventory with `strategy` (not `Auto`), showing `early` first when it answers first.
pub async fn load_with(
    strategy: Strategy,
    client: &ManagementClient,
    opts: &InventoryOptions,
    early: EarlyPage,
    mut observe: impl FnMut(LoadEvent<'_>),
) -> Result<Inventory, BrokerError> {
    if matches!(strategy, Strategy::Auto | Strategy::Paged) {
        return load_paged(client, opts, observe).await;
    }
    // The definitions strategy hands over every queue's name before its figures arrive.
    let (names_tx, names_rx) = tokio::sync::oneshot::channel();
    let whole = async {
        Ok::<_, BrokerError>(match strategy {
            Strategy::Auto | Strategy::Paged => unreachable!("handled above"),
            Strategy::Unpaginated => unpaginated(client, opts).await?,
            Strategy::Totals => totals(client, opts).await?,
            Strategy::TotalsPrometheus => {
                match totals_prometheus(client, opts, prometheus(opts)?).await? {
                    Some(inv) => inv,
                    None => {
                        tracing::info!("inventory: queues run on nodes the Prometheus endpoint does not report; reading the management listing instead");
                        unpaginated(client, opts).await?
                    }
                }
            }
            Strategy::DefinitionsPrometheus => {
                definitions_prometheus(client, opts, prometheus(opts)?, Some(names_tx)).await?
            }
        })
    };
    // The window shows rows at once: one page of 500 (the broker answers it in a fraction of
    // the whole listing) is shown if it arrives first — unless every queue's name arrived
    // before it. A head-started page is waited for before the whole load begins; once
    // answered, it is ready, and the biased select below takes it before polling the rest.
    let first = match early {
        EarlyPage::None => None,
        EarlyPage::Race(page) => Some(Either::Left(page.0)),
        EarlyPage::HeadStart(mut page) => {
            Some(match tokio::time::timeout(HEAD_START, &mut page.0).await {
                Ok(answered) => Either::Right(std::future::ready(answered)),
                Err(_) => Either::Left(page.0),
            })
        }
    };
    let first = async {
        match first {
            Some(page) => page.await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(whole);
    tokio::pin!(first);
    tokio::pin!(names_rx);
    let mut first_shown = false;
    let mut first_pending = true;
    let mut names_pending = true;
    let mut inventory = loop {
        tokio::select! {
            biased;
            page = &mut first, if first_pending && !first_shown => {
                first_pending = false;
                if let Ok((rows, total)) = page {
                    observe(LoadEvent::FirstPage { rows: &rows, total, pages: 1, figures_pending: false });
                    first_shown = true;
                }
            }
            names = &mut names_rx, if names_pending && !first_shown => {
                names_pending = false;
                if let Ok(rows) = names {
                    let total = rows.len() as u64;
                    observe(LoadEvent::FirstPage { rows: &rows, total, pages: 1, figures_pending: true });
                    first_shown = true;
                }
            }
            r = &mut whole => break r?,
        }
    };
    sort_rows(&mut inventory.rows);
    inventory.total = inventory.rows.len() as u64;
    if !first_shown {
        observe(LoadEvent::FirstPage {
            rows: &inventory.rows,
            total: inventory.total,
            pages: 1,
            figures_pending: false,
        });
    }
    Ok(inventory)
}

/// The first page of 500 with Warren's columns, and the broker's count of queues.
async fn first_page(
    client: &ManagementClient,
    opts: &InventoryOptions,
) -> Result<(Vec<QueueRow>, u64), BrokerError> {
    let path = format!(
        "{}?page=1&page_size={}&columns={COLUMNS}",
        vhost_path("queues", opts.vhost.as_deref()),
        opts.page_size.clamp(1, super::PAGE_SIZE)
    );
    #[derive(Deserialize)]
    struct Page {
        items: Vec<ApiQueue>,
        #[serde(default)]
        total_count: u64,
    }
    let (page, _) = client.get_json::<Page>(&path).await?;
    Ok((
        page.items.into_iter().map(QueueRow::from).collect(),
        page.total_count,
    ))
}

fn prometheus(opts: &InventoryOptions) -> Result<&PrometheusClient, BrokerError> {
    opts.prometheus.as_ref().ok_or_else(|| {
        BrokerError::new(
            BrokerErrorKind::Other,
            "this inventory strategy needs the environment's Prometheus endpoint (InventoryOptions::for_environment)",
        )
    })
}

fn sort_rows(rows: &mut Vec<QueueRow>) {
    rows.sort_by(|a, b| {
        (a.vhost.as_str(), a.name.as_str()).cmp(&(b.vhost.as_str(), b.name.as_str()))
    });
    rows.dedup_by(|a, b| a.vhost == b.vhost && a.name == b.name);
}

/// One unpaginated listing with Warren's columns. Needs `management`. Does not modify state.
pub async fn unpaginated(
    client: &ManagementClient,
    opts: &InventoryOptions,
) -> Result<Inventory, BrokerError> {
    let path = format!(
        "{}?columns={COLUMNS}",
        vhost_path("queues", opts.vhost.as_deref())
    );
    let (items, _) = client.get_json::<Vec<ApiQueue>>(&path).await?;
    Ok(Inventory {
        rows: items.into_iter().map(QueueRow::from).collect(),
        ..Default::default()
    })
}

fn totals_path(opts: &InventoryOptions) -> String {
    format!(
        "{}?disable_stats=true&enable_queue_totals=true",
        vhost_path("queues", opts.vhost.as_deref())
    )
}

/// The listing without statistics alone (incomplete: see the module comment).
pub async fn totals(
    client: &ManagementClient,
    opts: &InventoryOptions,
) -> Result<Inventory, BrokerError> {
    let (items, _) = client.get_json::<Vec<ApiQueue>>(&totals_path(opts)).await?;
    Ok(Inventory {
        rows: items.into_iter().map(QueueRow::from).collect(),
        ..Default::default()
    })
}

async fn policies(
    client: &ManagementClient,
    resource: &str,
    vhost: Option<&str>,
) -> Result<Vec<Policy>, BrokerError> {
    let (items, _) = client
        .get_json::<Vec<Value>>(&vhost_path(resource, vhost))
        .await?;
    Ok(items.iter().filter_map(Policy::from_definition).collect())
}

/// `Totals` + Prometheus + policies, in parallel. `None` when a listed queue runs on a node the
/// scrape does not cover (its consumers and memory are not there). Needs `management` (policies
/// of the user's vhosts; `monitoring` for all). Does not modify state.
pub async fn totals_prometheus(
    client: &ManagementClient,
    opts: &InventoryOptions,
    prometheus: &PrometheusClient,
) -> Result<Option<Inventory>, BrokerError> {
    let vhost = opts.vhost.as_deref();
    let listing_path = totals_path(opts);
    let (listing, metrics, user_policies, operator_policies) = tokio::join!(
        client.get_json::<Vec<Map<String, Value>>>(&listing_path),
        prometheus.queue_metrics(vhost, true),
        policies(client, "policies", vhost),
        policies(client, "operator-policies", vhost),
    );
    let (listing, _) = listing?;
    let metrics = metrics?;
    let user_policies = user_policies?;
    // Reading operator policies may be refused to some users: then none are assumed, as the
    // management UI shows for them (a log line says so).
    let operator_policies = operator_policies.unwrap_or_else(|e| {
        tracing::info!(
            "inventory: operator policies not readable ({}); assuming none",
            e.message
        );
        Vec::new()
    });
    let node = metrics.node.clone().unwrap_or_default();
    let line_default = line_default(&metrics);
    let mut rows = Vec::with_capacity(listing.len());
    for mut item in listing {
        let key = (
            str_of(&item, "vhost").unwrap_or("/").to_string(),
            str_of(&item, "name").unwrap_or_default().to_string(),
        );
        let sample = metrics.queues.get(&key);
        let item_node = str_of(&item, "node")
            .or_else(|| str_of(&item, "leader"))
            .unwrap_or_default();
        if sample.is_none() && !item_node.is_empty() && item_node != node {
            return Ok(None);
        }
        let queue_type = str_of(&item, "type").unwrap_or("classic").to_string();
        if !item.contains_key("effective_policy_definition") {
            let user = str_of(&item, "policy").and_then(|name| {
                user_policies
                    .iter()
                    .find(|p| p.name == name && p.vhost == key.0)
            });
            let e = effective(
                user.map(std::slice::from_ref).unwrap_or_default(),
                &operator_policies,
                &key.0,
                &key.1,
                &queue_type,
            );
            item.insert(
                "effective_policy_definition".into(),
                Value::Object(e.definition),
            );
        }
        if let Some(s) = sample {
            // Streams come without totals in the listing: the node's own gauges have them.
            if !item.get("messages").is_some_and(Value::is_number) {
                item.insert("messages".into(), s.messages.into());
                item.insert("messages_ready".into(), s.messages_ready.into());
                item.insert(
                    "messages_unacknowledged".into(),
                    s.messages_unacknowledged.into(),
                );
            }
            item.insert("consumers".into(), s.consumers.into());
            item.insert("memory".into(), s.memory.into());
            if let Some(u) = s.consumer_utilisation {
                item.insert("consumer_utilisation".into(), u.into());
            }
        }
        // Streams come without members and leader here: their replicas are the ones online
        // (a replica that is down is missing: the listing's `online` is all there is), and the
        // node whose metrics report the stream leads it.
        if queue_type == "stream" && !item.contains_key("members") {
            let online = item.get("online").cloned().unwrap_or(Value::Array(vec![]));
            item.insert("members".into(), online);
            if sample.is_some() && !item.contains_key("leader") {
                item.insert("leader".into(), node.clone().into());
            }
        }
        // Quorum queues and streams come without `node` here; the full listing shows the
        // leader's (else, the node that reports the queue).
        if !item.get("node").is_some_and(Value::is_string) {
            let leader = str_of(&item, "leader").unwrap_or(&node).to_string();
            item.insert("node".into(), leader.into());
        }
        let value = Value::Object(item);
        let mut row = QueueRow::from_api(&value);
        if row.delivery_limit.is_none() {
            row.delivery_limit = QueueRow::delivery_limit_or(&value, line_default);
        }
        rows.push(row);
    }
    let mut inventory = Inventory {
        rows,
        ..Default::default()
    };
    apply_rates(&mut inventory, &metrics, opts);
    Ok(Some(inventory))
}

/// How long the scrape gives the definitions before it starts anyway.
const SCRAPE_HEAD_START: Duration = Duration::from_millis(200);

/// `/api/definitions[/V]` + Prometheus. Needs `administrator` (definitions). Does not modify
/// state. When the definitions arrive before the scrape (they cost the broker a fraction of
/// it), `names` gets every queue at once without its figures (`figures_pending`).
pub async fn definitions_prometheus(
    client: &ManagementClient,
    opts: &InventoryOptions,
    prometheus: &PrometheusClient,
    names: Option<tokio::sync::oneshot::Sender<Vec<QueueRow>>>,
) -> Result<Inventory, BrokerError> {
    let vhost = opts.vhost.as_deref();
    let definitions_path = vhost_path("definitions", vhost);
    let definitions = client.get_json::<Definitions>(&definitions_path);
    // The scrape waits for the definitions, a moment at most: on two cores it slows them down
    // (the names came at 0.10-0.13x of the full listing beside it, 0.07-0.08x before it, on 4.3
    // at 10,000 queues, with the whole load as fast), while 3.10's definitions (0.3-0.5 s) would
    // otherwise delay the whole load.
    let (go, went) = tokio::sync::oneshot::channel::<()>();
    let scrape = async {
        let _ = tokio::time::timeout(SCRAPE_HEAD_START, went).await;
        prometheus.queue_metrics(vhost, true).await
    };
    tokio::pin!(definitions);
    tokio::pin!(scrape);
    let mut scraped = None;
    let definitions = loop {
        tokio::select! {
            d = &mut definitions => break d?.0,
            m = &mut scrape, if scraped.is_none() => scraped = Some(m),
        }
    };
    // The definitions are in: the scrape need not wait any longer.
    let _ = go.send(());
    let rows_of = |metrics: Option<&QueueMetrics>| definition_rows(&definitions, vhost, metrics);
    let metrics = match scraped {
        Some(m) => m?,
        None => {
            if let Some(tx) = names {
                let mut early = rows_of(None);
                sort_rows(&mut early);
                let _ = tx.send(early);
            }
            scrape.await?
        }
    };
    let mut inventory = Inventory {
        rows: rows_of(Some(&metrics)),
        ..Default::default()
    };
    apply_rates(&mut inventory, &metrics, opts);
    Ok(inventory)
}

/// The rows of `definitions` (the vhost `scoped` when the export was of one vhost), with the
/// node's figures from `metrics`; without them, every figure is 0 and `state` is empty (not
/// known yet: the window shows the figures as pending).
fn definition_rows(
    definitions: &Definitions,
    scoped: Option<&str>,
    metrics: Option<&QueueMetrics>,
) -> Vec<QueueRow> {
    let scoped = scoped.unwrap_or("/");
    let vhost_of = |v: &Value| {
        v.get("vhost")
            .and_then(Value::as_str)
            .unwrap_or(scoped)
            .to_string()
    };
    let with_vhost = |items: &[Value]| -> Vec<Policy> {
        items
            .iter()
            .filter_map(|p| {
                let mut p = p.clone();
                let vh = vhost_of(&p);
                p.as_object_mut()?.insert("vhost".into(), vh.into());
                // Operator policies are exported as parameters: {value: {pattern…}, name, vhost}.
                if let Some(Value::Object(inner)) = p.get("value").cloned() {
                    let obj = p.as_object_mut()?;
                    for (k, v) in inner {
                        obj.insert(k, v);
                    }
                }
                Policy::from_definition(&p)
            })
            .collect()
    };
    let user_policies = with_vhost(&definitions.policies);
    let operator_params: Vec<Value> = definitions
        .parameters
        .iter()
        .filter(|p| p.get("component").and_then(Value::as_str) == Some("operator_policy"))
        .cloned()
        .collect();
    let operator_policies = with_vhost(&operator_params);
    let node = metrics.and_then(|m| m.node.clone()).unwrap_or_default();
    let line_default = metrics.and_then(line_default);
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::with_capacity(definitions.queues.len());
    let mut push = |mut item: Map<String, Value>, key: (String, String), exclusive: bool| {
        let queue_type = item
            .get("type")
            .and_then(Value::as_str)
            .or_else(|| item.pointer_str("/arguments/x-queue-type"))
            .unwrap_or("classic")
            .to_string();
        let e = effective(
            &user_policies,
            &operator_policies,
            &key.0,
            &key.1,
            &queue_type,
        );
        let sample = metrics.and_then(|m| m.queues.get(&key));
        item.insert("vhost".into(), key.0.clone().into());
        item.insert("type".into(), queue_type.clone().into());
        item.insert("exclusive".into(), exclusive.into());
        item.insert("node".into(), node.clone().into());
        let running = sample.is_some_and(|s| s.has_gauges);
        item.insert(
            "state".into(),
            if running { "running" } else { "down" }.into(),
        );
        if let Some(p) = e.policy {
            item.insert("policy".into(), p.into());
        }
        item.insert(
            "effective_policy_definition".into(),
            Value::Object(e.definition),
        );
        if queue_type != "classic" && metrics.is_some() {
            item.insert("members".into(), vec![node.clone()].into());
            item.insert("online".into(), vec![node.clone()].into());
            item.insert("leader".into(), node.clone().into());
        }
        if let Some(s) = sample {
            item.insert("messages".into(), s.messages.into());
            item.insert("messages_ready".into(), s.messages_ready.into());
            item.insert(
                "messages_unacknowledged".into(),
                s.messages_unacknowledged.into(),
            );
            item.insert("consumers".into(), s.consumers.into());
            item.insert("memory".into(), s.memory.into());
            if let Some(u) = s.consumer_utilisation {
                item.insert("consumer_utilisation".into(), u.into());
            }
        }
        let value = Value::Object(item);
        let mut row = QueueRow::from_api(&value);
        if row.delivery_limit.is_none() {
            row.delivery_limit = QueueRow::delivery_limit_or(&value, line_default);
        }
        if metrics.is_none() {
            // Not known yet (`from_api` reads a missing state as running).
            row.state.clear();
        }
        rows.push(row);
    };
    for q in &definitions.queues {
        let Value::Object(item) = q else { continue };
        let key = (
            vhost_of(q),
            item.get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        );
        seen.insert(key.clone());
        push(item.clone(), key, false);
    }
    // Exclusive queues are not exported as definitions; the node still reports them.
    for (key, sample) in metrics.map(|m| &m.queues).into_iter().flatten() {
        if sample.has_gauges && !seen.contains(key) {
            let mut item = Map::new();
            item.insert("name".into(), key.1.clone().into());
            item.insert("durable".into(), false.into());
            push(item, key.clone(), true);
        }
    }
    rows
}

trait PointerStr {
    fn pointer_str(&self, pointer: &str) -> Option<&str>;
}

impl PointerStr for Map<String, Value> {
    fn pointer_str(&self, pointer: &str) -> Option<&str> {
        let mut parts = pointer.trim_start_matches('/').splitn(2, '/');
        let first = self.get(parts.next()?)?;
        match parts.next() {
            Some(rest) => first.pointer(&format!("/{rest}"))?.as_str(),
            None => first.as_str(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Definitions {
    queues: Vec<Value>,
    policies: Vec<Value>,
    parameters: Vec<Value>,
}

fn str_of<'a>(item: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    item.get(key).and_then(Value::as_str)
}

fn line_default(metrics: &QueueMetrics) -> Option<u64> {
    metrics
        .rabbitmq_version
        .as_deref()
        .and_then(Line::parse)
        .and_then(Line::default_delivery_limit)
}

/// Rates from the difference between this scrape's counters and the previous load's; the
/// first load (or a queue new since) has none: 0.
fn apply_rates(inventory: &mut Inventory, metrics: &QueueMetrics, opts: &InventoryOptions) {
    let now = Instant::now();
    let mut snapshot = CounterSnapshot {
        at: Some(now),
        by_queue: HashMap::with_capacity(metrics.queues.len()),
    };
    for (k, s) in &metrics.queues {
        snapshot.by_queue.insert(k.clone(), s.counters);
    }
    let previous = opts.previous.as_deref().and_then(|p| Some((p.at?, p)));
    if let Some((at, prev)) = previous {
        let secs = now.duration_since(at).as_secs_f64();
        if secs > 0.0 {
            for row in &mut inventory.rows {
                let key = (row.vhost.clone(), row.name.clone());
                let (Some(before), Some(after)) =
                    (prev.by_queue.get(&key), snapshot.by_queue.get(&key))
                else {
                    continue;
                };
                let rate = |i: usize| after[i].saturating_sub(before[i]) as f64 / secs;
                row.publish_rate = rate(0);
                row.deliver_rate = rate(1);
                row.ack_rate = rate(2);
                row.redeliver_rate = rate(3);
            }
        }
    }
    inventory.counters = Arc::new(snapshot);
}
