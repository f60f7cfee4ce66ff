//! The dry run of a replay: read the DLQ's messages in place (see `browse` for the cost), apply
//! the scope and the loop guard, and say how many messages would go to which destination, which
//! destinations do not exist (their messages would stay, reported as unroutable), and — for the
//! original-exchange target — every queue that would receive a copy. Does not modify state.

use std::collections::{BTreeMap, BTreeSet};

use secrecy::SecretString;
use serde::Serialize;
use ts_rs::TS;

use super::browse::read_head;
use super::discover::{fetch_routes, Routes};
use super::replay::{
    broker_path_refusal, decide, Destination, Keep, ReplayOptions, ReplayPath, Selection, Target,
    BROKER_GUARD_NOTE,
};
use super::xdeath;
use crate::broker::management::ManagementClient;
use crate::environment::Environment;
use crate::error::Result;
use crate::queues::QueueRow;

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PlannedDestination {
    /// `queue billing.acme` or `exchange work key billing.acme`.
    pub destination: String,
    pub exchange: String,
    pub routing_key: String,
    pub messages: u32,
    /// The queue (or exchange) exists; when not, these messages stay in the DLQ as unroutable.
    pub exists: bool,
    /// Through an exchange: the queues it routes to (each gets a copy).
    pub receivers: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ReplayPlan {
    pub vhost: String,
    pub queue: String,
    pub target: Target,
    #[ts(type = "number")]
    pub depth: u64,
    pub read: u32,
    /// The plan covers every message (else only the first `read`).
    pub complete: bool,
    pub in_scope: u32,
    pub out_of_scope: u32,
    pub loop_guarded: u32,
    /// In scope but without `x-death`: no origin to go back to.
    pub no_origin: u32,
    /// In scope, but the destination's name is longer than AMQP allows (255 bytes): they stay.
    pub name_too_long: u32,
    pub destinations: Vec<PlannedDestination>,
    pub warnings: Vec<String>,
    /// The way the run would take: `broker` (a shovel, when the broker has the plugin; else
    /// the client path) or `client`.
    pub path: ReplayPath,
    /// Why, and what the loop guard counts on that path.
    pub path_note: String,
}

/// Plan a replay of `queue` with `options` over the first `limit` messages. `rows` is the
/// environment's inventory (which queues exist).
/// Needs read permission on the DLQ (no user tag). Removes no message (they are redelivered).
pub async fn plan(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
    options: &ReplayOptions,
    rows: &[QueueRow],
    limit: u32,
) -> Result<ReplayPlan> {
    let mut counts: BTreeMap<Destination, u32> = BTreeMap::new();
    let (mut in_scope, mut out_of_scope, mut loop_guarded, mut no_origin, mut name_too_long) =
        (0, 0, 0, 0, 0);
    let mut selection = options.scope.keys.as_deref().map(Selection::new);
    let (depth, read) = read_head(env, password, vhost, queue, limit, |_, d| {
        let headers = d.properties.headers().as_ref();
        let deaths = xdeath::deaths(headers).unwrap_or_default();
        match decide(
            options,
            vhost,
            &d.properties,
            &d.data,
            &deaths,
            selection.as_mut(),
        ) {
            Err(Keep::OutOfScope) => {
                out_of_scope += 1;
                return;
            }
            Ok(dest) => *counts.entry(dest).or_default() += 1,
            Err(Keep::LoopGuard) => loop_guarded += 1,
            Err(Keep::NameTooLong) => name_too_long += 1,
            Err(Keep::NoOrigin | Keep::Unroutable | Keep::Nacked) => no_origin += 1,
        }
        in_scope += 1;
    })
    .await?;

    let queues: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.vhost == vhost)
        .map(|r| r.name.as_str())
        .collect();
    let through_exchange = counts.keys().any(|d| !d.exchange.is_empty());
    let (exchanges, bindings) = if through_exchange {
        fetch_routes(&ManagementClient::new(env, password.clone())?, vhost).await?
    } else {
        (vec![], vec![])
    };
    let routes = Routes::new(&exchanges, &bindings);
    let mut destinations: Vec<PlannedDestination> = counts
        .into_iter()
        .map(|(d, messages)| {
            let (exists, receivers) = if d.exchange.is_empty() {
                (queues.contains(d.routing_key.as_str()), vec![])
            } else {
                let mut keys = vec![d.routing_key.clone()];
                keys.extend(d.cc.iter().cloned());
                (
                    routes.exchange_exists(&d.exchange),
                    routes.queues(&d.exchange, &keys).into_iter().collect(),
                )
            };
            PlannedDestination {
                destination: d.label(),
                exchange: d.exchange,
                routing_key: d.routing_key,
                messages,
                exists,
                receivers,
            }
        })
        .collect();
    destinations.sort_by(|a, b| {
        b.messages
            .cmp(&a.messages)
            .then_with(|| a.destination.cmp(&b.destination))
    });

    let mut warnings = Vec::new();
    let missing: Vec<&PlannedDestination> = destinations.iter().filter(|d| !d.exists).collect();
    if !missing.is_empty() {
        warnings.push(format!(
            "{} message(s) go to {} destination(s) that do not exist ({}): they will stay in the DLQ, reported as unroutable",
            missing.iter().map(|d| d.messages).sum::<u32>(),
            missing.len(),
            missing.iter().take(5).map(|d| d.destination.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if matches!(
        options.target,
        Target::OriginalExchange | Target::Exchange { .. }
    ) {
        let fanout: BTreeSet<&str> = destinations
            .iter()
            .flat_map(|d| d.receivers.iter().map(String::as_str))
            .collect();
        if !fanout.is_empty() {
            warnings.push(format!(
                "through an exchange, every queue bound to it gets a copy: {}{}",
                fanout
                    .iter()
                    .take(12)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
                if fanout.len() > 12 {
                    format!(" and {} more", fanout.len() - 12)
                } else {
                    String::new()
                }
            ));
        }
        for d in destinations
            .iter()
            .filter(|d| d.exists && d.receivers.is_empty())
        {
            warnings.push(format!(
                "{} routes to no queue: its {} message(s) will stay, reported as unroutable",
                d.destination, d.messages
            ));
        }
    }
    if loop_guarded > 0 {
        warnings.push(format!(
            "{loop_guarded} message(s) were already replayed {} time(s) or more and will stay (loop guard; raise it with --max-replays)",
            options.max_replays
        ));
    }
    if no_origin > 0 {
        warnings.push(format!(
            "{no_origin} message(s) have no x-death header: there is no origin to send them to"
        ));
    }
    if name_too_long > 0 {
        warnings.push(format!(
            "{name_too_long} message(s) name a destination longer than AMQP's 255 bytes: no broker can have it, so they will stay in the DLQ"
        ));
    }
    let (path, path_note) = match broker_path_refusal(options) {
        None => (
            ReplayPath::Broker,
            format!("{BROKER_GUARD_NOTE}; without the broker's shovel plugin (or the `policymaker` tag) the run takes the client path"),
        ),
        Some(why) => (
            ReplayPath::Client,
            format!("client path: {why}; the loop guard counts x-warren-replay-count plus Warren's x-shovelled records, message by message"),
        ),
    };
    Ok(ReplayPlan {
        path,
        path_note,
        vhost: vhost.to_string(),
        queue: queue.to_string(),
        target: options.target.clone(),
        depth,
        read,
        complete: u64::from(read) >= depth,
        in_scope,
        out_of_scope,
        loop_guarded,
        no_origin,
        name_too_long,
        destinations,
        warnings,
    })
}
