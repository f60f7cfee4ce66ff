//! Which strategy an `Auto` inventory uses (measured: the README's inventory table):
//! 1. Prometheus answers, the user may export definitions (`administrator`) and the cluster is
//!    one node: definitions + Prometheus (fastest on every line; on 4.x much faster than the
//!    listing without statistics, which costs 4.3 as much as the Prometheus scrape);
//! 2. Prometheus answers: the listing without statistics + Prometheus + policies (any user
//!    with `management`; any cluster size);
//! 3. else one unpaginated listing with Warren's columns.
//!
//! A failure of the faster path falls back too; a log line says which and why.

use serde_json::Value;

use super::{InventoryOptions, Strategy};
use crate::broker::management::ManagementClient;

/// The strategy for `opts` and, when it is not the fastest, why. Probes the Prometheus
/// endpoint (cached a minute, see `PrometheusClient::usable`). Does not modify state.
pub async fn choose(
    client: &ManagementClient,
    opts: &InventoryOptions,
) -> (Strategy, Option<String>) {
    let Some(prometheus) = &opts.prometheus else {
        return (
            Strategy::Unpaginated,
            Some("no Prometheus endpoint given: reading the management listing".into()),
        );
    };
    if let Err(why) = prometheus.usable().await {
        return fallback(why);
    }
    let (whoami, nodes, scraped) = tokio::join!(
        client.get_json::<Value>("whoami"),
        client.get_json::<Vec<Value>>("nodes?columns=name"),
        prometheus.node(),
    );
    let names: Vec<String> = nodes
        .as_ref()
        .map(|(n, _)| {
            n.iter()
                .filter_map(|n| n.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    // Figures of another broker would be silently wrong: the endpoint must be one of ours.
    if !scraped.as_ref().is_some_and(|s| names.contains(s)) {
        return fallback(format!(
            "the Prometheus endpoint {} reports node {} which is not a node of this broker ({})",
            prometheus.base(),
            scraped.as_deref().unwrap_or("(none)"),
            names.join(", ")
        ));
    }
    let administrator = whoami.is_ok_and(|(w, _)| tags(&w).iter().any(|t| t == "administrator"));
    let single_node = names.len() == 1;
    if administrator && single_node {
        (Strategy::DefinitionsPrometheus, None)
    } else {
        let why = if administrator {
            "a cluster of several nodes"
        } else {
            "the user may not export definitions (needs `administrator`)"
        };
        tracing::debug!("inventory: listing without statistics + Prometheus ({why})");
        (Strategy::TotalsPrometheus, None)
    }
}

/// `whoami`'s tags: a list on 4.x, a comma-separated string on 3.x.
fn tags(whoami: &Value) -> Vec<String> {
    match whoami.get("tags") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => s.split(',').map(|t| t.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

fn fallback(why: String) -> (Strategy, Option<String>) {
    let why = format!("{why}; reading the management listing instead (slower on big brokers: enable `rabbitmq_prometheus` or set the environment's Prometheus URL)");
    tracing::info!("inventory: {why}");
    (Strategy::Unpaginated, Some(why))
}
