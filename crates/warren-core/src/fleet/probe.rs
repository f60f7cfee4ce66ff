//! One environment's fleet status: the overview first (reachable or the precise error), then
//! the health checks and the per-queue figures, each phase within what is left of the
//! environment's budget, so a slow phase costs its own figures, never the whole card.

use serde_json::Value;
use tokio::time::{timeout_at, Instant};

use super::{figures, health, EnvStatus, FleetOptions, Target};
use crate::broker::management::ManagementClient;
use crate::broker::{BrokerErrorKind, REQUEST_TIMEOUT};
use crate::deadletters::discover::discover_by_routes;
use crate::queues::inventory::{load_inventory, InventoryOptions};

/// Read one environment within `opts.budget`. Needs the `management` tag (`monitoring` for
/// nodes and every vhost's queues). Does not modify state: no message is read.
pub async fn probe(target: Target, opts: &FleetOptions) -> EnvStatus {
    let started = Instant::now();
    let deadline = started + opts.budget;
    let env = target.env;
    let mut status = match target.password {
        Err(why) => EnvStatus::unreachable(&env, BrokerErrorKind::WrongCredentials, why),
        Ok(password) => {
            // No single request may outlive the budget either.
            let per_request = opts.budget.min(REQUEST_TIMEOUT);
            match ManagementClient::with_timeout(&env, password, per_request) {
                Err(e) => EnvStatus::unreachable(&env, e.kind, e.message),
                Ok(client) => read(&env, &client, target.loaded, opts, deadline).await,
            }
        }
    };
    status.took_ms = started.elapsed().as_millis() as u64;
    status
}

async fn read(
    env: &crate::Environment,
    client: &ManagementClient,
    loaded: Option<std::sync::Arc<crate::queues::Inventory>>,
    opts: &FleetOptions,
    deadline: Instant,
) -> EnvStatus {
    let budget_s = opts.budget.as_secs_f64();
    let overview = match timeout_at(deadline, client.get_json::<Value>("overview")).await {
        Err(_) => {
            return EnvStatus::unreachable(
                env,
                BrokerErrorKind::Timeout,
                format!("{} did not answer within the fleet's {budget_s:.0} s budget per environment: the broker is hung or overloaded, or the network drops packets (raise it with --timeout)", env.management_urls.join(", ")),
            )
        }
        Ok(Err(e)) => return EnvStatus::unreachable(env, e.kind, e.message),
        Ok(Ok(o)) => o,
    };
    let (overview, answered) = overview;
    let mut status = EnvStatus::blank(env);
    let text = |k: &str| overview.get(k).and_then(Value::as_str).map(str::to_string);
    let count = |section: &str, k: &str| {
        Some(
            overview
                .get(section)
                .and_then(|s| s.get(k))
                .and_then(Value::as_u64)
                .unwrap_or(0),
        )
    };
    status.rabbitmq_version = text("rabbitmq_version");
    status.erlang_version = text("erlang_version");
    status.cluster_name = text("cluster_name");
    status.queues = count("object_totals", "queues");
    status.messages = count("queue_totals", "messages");
    status.messages_unacknowledged = count("queue_totals", "messages_unacknowledged");

    let checks = health::run(env, client, &answered, status.rabbitmq_version.as_deref());
    match timeout_at(deadline, checks).await {
        Ok(h) => {
            status.checks = h.checks;
            status.alarms = h.alarms;
            match h.nodes {
                Some(n) => status.nodes = n,
                None => status.notes.push(
                    "nodes: the user has no `monitoring` tag, so the node list is not readable"
                        .into(),
                ),
            }
        }
        Err(_) => status.checks.push(health::Check {
            name: "health_checks".into(),
            ok: false,
            detail: format!("the health checks did not answer within the {budget_s:.0} s budget"),
        }),
    }

    if opts.quick {
        status.notes.push("queue figures skipped (--quick)".into());
    } else {
        match timeout_at(deadline, queue_figures(env, client, loaded, opts)).await {
            Ok(Ok(f)) => {
                // The inventory's sums cover the environment's scope (its default vhost), as
                // the figures below do; the overview's cover the whole cluster.
                status.queues = Some(f.queues);
                status.messages = Some(f.messages);
                status.messages_unacknowledged = Some(f.messages_unacknowledged);
                status.dead_letters = Some(f.dead_letters);
                status.stalled_queues = Some(f.stalled_queues);
                status.heaviest_realm = f.heaviest_realm;
            }
            Ok(Err(e)) => status
                .notes
                .push(format!("queue figures not read: {e}")),
            Err(_) => status.notes.push(format!(
                "queue figures not read within the {budget_s:.0} s budget (a big broker: raise --timeout, or open the environment)"
            )),
        }
    }
    status.ok = status.checks.iter().all(|c| c.ok);
    status
}

/// The figures from the inventory the window holds, else from a fresh load.
async fn queue_figures(
    env: &crate::Environment,
    client: &ManagementClient,
    loaded: Option<std::sync::Arc<crate::queues::Inventory>>,
    opts: &FleetOptions,
) -> crate::Result<figures::QueueFigures> {
    let inventory = match loaded {
        Some(i) => i,
        None => {
            let mut i = load_inventory(
                client,
                &InventoryOptions::for_environment(env, env.vhost.clone()),
            )
            .await?;
            i.map_env_realms(env)?;
            std::sync::Arc::new(i)
        }
    };
    let dlqs = discover_by_routes(client, &inventory.rows).await?;
    Ok(figures::figures(
        &inventory.rows,
        &dlqs,
        crate::session::history::unix_now(),
        opts.stalled_after,
    ))
}
