//! Every environment at a glance: one status per environment (reachable or the precise error,
//! version, nodes, alarms, totals, dead letters, stalled queues, the heaviest realm, health
//! checks), probed concurrently with a bound on parallel probes and a time budget per
//! environment, so one unreachable broker never delays the others.
//!
//! `probe` reads one environment (`probe.rs`), `health` runs RabbitMQ's own health checks,
//! `figures` works out the per-queue figures from an inventory; `statuses` runs them all.

pub mod figures;
pub mod health;
pub mod probe;

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use secrecy::SecretString;
use serde::Serialize;
use ts_rs::TS;

use crate::broker::BrokerErrorKind;
use crate::environment::{Environment, Tier};
use crate::queues::Inventory;

pub use figures::QueueFigures;
pub use health::Check;
pub use probe::probe;

/// How a fleet refresh runs.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// At most this many environments are probed at once.
    pub parallel: usize,
    /// Each environment's whole probe gives up after this long (its own timeout: a dead one
    /// costs this, never more, and never delays the others beyond their own).
    pub budget: Duration,
    /// Skip the per-queue figures (dead letters, stalled queues, heaviest realm): only the
    /// overview and the health checks, which cost a few small requests.
    pub quick: bool,
    /// A queue with ready messages that nobody takes is stalled after this long idle.
    pub stalled_after: Duration,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            parallel: 8,
            budget: Duration::from_secs(8),
            quick: false,
            stalled_after: Duration::from_secs(300),
        }
    }
}

/// One environment's state now (`warren fleet --json`: one object per environment). Every key
/// is there, `null` when not known, except `error`, `error_kind`, `heaviest_realm` and `trend`.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EnvStatus {
    pub id: String,
    pub name: String,
    pub tier: Tier,
    pub read_only: bool,
    /// Reachable and every health check passed.
    pub ok: bool,
    /// Why the environment could not be read (unreachable, wrong password, timeout…).
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<BrokerErrorKind>,
    pub rabbitmq_version: Option<String>,
    pub erlang_version: Option<String>,
    pub cluster_name: Option<String>,
    pub nodes: NodeCount,
    /// Resource alarms in effect (memory, disk space, file descriptors), per node.
    pub alarms: Vec<Alarm>,
    #[ts(type = "number | null")]
    pub queues: Option<u64>,
    #[ts(type = "number | null")]
    pub messages: Option<u64>,
    #[ts(type = "number | null")]
    pub messages_unacknowledged: Option<u64>,
    /// Messages waiting in dead-letter and framework error queues (`null`: not read).
    #[ts(type = "number | null")]
    pub dead_letters: Option<u64>,
    /// Queues with ready messages that nobody takes (`null`: not read).
    #[ts(type = "number | null")]
    pub stalled_queues: Option<u64>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heaviest_realm: Option<RealmLoad>,
    /// Messages now against an hour ago, from the local history (when it has that hour).
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
    pub checks: Vec<Check>,
    /// What could not be read within the budget, or was skipped, and why.
    pub notes: Vec<String>,
    #[ts(type = "number")]
    pub took_ms: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, TS)]
#[ts(export)]
pub struct NodeCount {
    pub running: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Alarm {
    /// `memory`, `disk space` or `file descriptors`, as the broker names it.
    pub resource: String,
    pub node: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct RealmLoad {
    pub realm: String,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    #[ts(type = "number")]
    pub messages: u64,
    #[ts(type = "number")]
    pub queues: u64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Trend {
    pub messages_1h_ago: f64,
    pub messages_now: f64,
    /// now − an hour ago.
    pub delta: f64,
}

impl EnvStatus {
    /// The status of an environment that could not be read at all.
    pub fn unreachable(env: &Environment, kind: BrokerErrorKind, message: String) -> EnvStatus {
        EnvStatus {
            ok: false,
            error: Some(message),
            error_kind: Some(kind),
            ..EnvStatus::blank(env)
        }
    }

    pub(crate) fn blank(env: &Environment) -> EnvStatus {
        EnvStatus {
            id: env.id.clone(),
            name: env.name.clone(),
            tier: env.tier,
            read_only: env.read_only,
            ok: false,
            error: None,
            error_kind: None,
            rabbitmq_version: None,
            erlang_version: None,
            cluster_name: None,
            nodes: NodeCount::default(),
            alarms: vec![],
            queues: None,
            messages: None,
            messages_unacknowledged: None,
            dead_letters: None,
            stalled_queues: None,
            heaviest_realm: None,
            trend: None,
            checks: vec![],
            notes: vec![],
            took_ms: 0,
        }
    }
}

/// One environment to probe: its settings, its password (or why there is none) and the
/// inventory a window already holds for it (its per-queue figures then cost nothing).
pub struct Target {
    pub env: Environment,
    pub password: Result<SecretString, String>,
    pub loaded: Option<Arc<Inventory>>,
}

/// Probe every target, at most `opts.parallel` at once, each within `opts.budget`; `each` is
/// told of every status as it arrives (a window shows each card at once). Returns the statuses
/// in the targets' order. Needs the `management` tag (`monitoring` for nodes and alarms).
/// Does not modify state.
pub async fn statuses(
    targets: Vec<Target>,
    opts: &FleetOptions,
    mut each: impl FnMut(&EnvStatus),
) -> Vec<EnvStatus> {
    let n = targets.len();
    let mut out: Vec<Option<EnvStatus>> = vec![None; n];
    let mut running = stream::iter(targets.into_iter().enumerate())
        .map(|(i, t)| async move { (i, probe(t, opts).await) })
        .buffer_unordered(opts.parallel.clamp(1, 64));
    while let Some((i, status)) = running.next().await {
        each(&status);
        out[i] = Some(status);
    }
    out.into_iter().flatten().collect()
}
