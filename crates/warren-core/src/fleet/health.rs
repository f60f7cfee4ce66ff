//! RabbitMQ's own health checks (`/api/health/checks/…`, as `rabbitmq-diagnostics` defines
//! them) for one environment, each turned into `{name, ok, detail}`. The names are a contract
//! (`warren fleet --json`). A check the user may not run (403) or the broker does not have
//! (404 on an older line) is skipped, and says so: it does not make the environment unhealthy.

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;
use url::Url;

use super::{Alarm, NodeCount};
use crate::broker::management::ManagementClient;
use crate::broker::{BrokerError, BrokerErrorKind};
use crate::deprecations::{self, DeprecationSeverity};
use crate::environment::Environment;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Check {
    /// `alarms`, `nodes_running`, `quorum_critical:<node URL>`, `listener:amqp`,
    /// `virtual_hosts`, `deprecated_features`.
    pub name: String,
    pub ok: bool,
    /// What failed (the broker's reason and the queues, alarms or vhosts it names), or why the
    /// check was skipped; `ok` when it passed.
    pub detail: String,
}

impl Check {
    fn passed(name: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            ok: true,
            detail: "ok".into(),
        }
    }

    fn failed(name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            ok: false,
            detail: detail.into(),
        }
    }

    /// A check that could not run: skipped (passes) when the user or the broker line cannot
    /// run it, failed when the broker did not answer.
    fn from_error(name: impl Into<String>, e: &BrokerError) -> Check {
        let name = name.into();
        match e.kind {
            BrokerErrorKind::Refused => Check {
                name,
                ok: true,
                detail: "skipped: the user may not run this check (it needs the `monitoring` tag)"
                    .into(),
            },
            BrokerErrorKind::NotFound | BrokerErrorKind::ManagementNotEnabled => Check {
                name,
                ok: true,
                detail: "skipped: this RabbitMQ version has no such check".into(),
            },
            _ => Check::failed(name, e.message.clone()),
        }
    }
}

/// What the checks found besides pass/fail: the alarms and the node count for the card.
#[derive(Debug, Default)]
pub struct Health {
    pub checks: Vec<Check>,
    pub alarms: Vec<Alarm>,
    /// `None`: the user may not list nodes (no `monitoring` tag).
    pub nodes: Option<NodeCount>,
    /// The nodes that are not running.
    pub down: Vec<String>,
}

/// Run every check, concurrently. `answered` is the node URL that answered the overview
/// (checks local to a node run there, and the quorum check on every node URL).
/// Needs the `management` tag (`monitoring` for the node list). Does not modify state.
/// `rabbitmq_version`: the broker's, when the caller has read the overview.
pub async fn run(
    env: &Environment,
    client: &ManagementClient,
    answered: &Url,
    rabbitmq_version: Option<&str>,
) -> Health {
    let quorum = futures_util::future::join_all(
        client
            .endpoints()
            .iter()
            .map(|base| quorum_critical(client, base)),
    );
    let (alarms, nodes, quorum, listener, vhosts, deprecated) = tokio::join!(
        alarms(client, answered),
        nodes(client),
        quorum,
        listener(env, client, answered),
        virtual_hosts(client, answered),
        deprecated_features(client, rabbitmq_version),
    );
    let (alarm_check, alarm_list) = alarms;
    let (node_check, node_count, down) = nodes;
    let mut checks = vec![alarm_check, node_check];
    checks.extend(quorum);
    checks.extend([listener, vhosts, deprecated]);
    Health {
        checks,
        alarms: alarm_list,
        nodes: node_count,
        down,
    }
}

async fn alarms(client: &ManagementClient, base: &Url) -> (Check, Vec<Alarm>) {
    const NAME: &str = "alarms";
    match client.get_check(base, "health/checks/alarms").await {
        Ok((true, _)) => (Check::passed(NAME), vec![]),
        Ok((false, body)) => {
            let alarms = parse_alarms(&body);
            let listed = alarms
                .iter()
                .map(|a| format!("{} on {}", a.resource, a.node))
                .collect::<Vec<_>>()
                .join(", ");
            (
                Check::failed(NAME, format!("{}: {listed}", reason(&body))),
                alarms,
            )
        }
        Err(e) => (Check::from_error(NAME, &e), vec![]),
    }
}

/// The broker's `alarms` list: `[{resource, node}]` (3.10+).
pub fn parse_alarms(body: &Value) -> Vec<Alarm> {
    body.get("alarms")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|a| Alarm {
            resource: text(a, "resource"),
            node: text(a, "node"),
        })
        .collect()
}

async fn nodes(client: &ManagementClient) -> (Check, Option<NodeCount>, Vec<String>) {
    const NAME: &str = "nodes_running";
    match client
        .get_json::<Vec<Value>>("nodes?columns=name,running")
        .await
    {
        Ok((nodes, _)) => {
            let count = count_nodes(&nodes);
            let down: Vec<String> = nodes
                .iter()
                .filter(|n| !running(n))
                .map(|n| text(n, "name"))
                .collect();
            let check = if down.is_empty() {
                Check::passed(NAME)
            } else {
                Check::failed(NAME, format!("nodes down: {}", down.join(", ")))
            };
            (check, Some(count), down)
        }
        Err(e) => (Check::from_error(NAME, &e), None, vec![]),
    }
}

fn running(node: &Value) -> bool {
    node.get("running")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

pub fn count_nodes(nodes: &[Value]) -> NodeCount {
    NodeCount {
        running: nodes.iter().filter(|n| running(n)).count() as u32,
        total: nodes.len() as u32,
    }
}

/// Would stopping the node behind `base` cost a quorum queue its majority? Only the node that
/// answers can say, so this runs on every node URL.
async fn quorum_critical(client: &ManagementClient, base: &Url) -> Check {
    let name = format!("quorum_critical:{}", base.as_str().trim_end_matches('/'));
    match client
        .get_check(base, "health/checks/node-is-quorum-critical")
        .await
    {
        Ok((true, _)) => Check::passed(name),
        Ok((false, body)) => {
            let queues: Vec<String> = body
                .get("queues")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|q| format!("{} in {}", text(q, "name"), text(q, "virtual_host")))
                .collect();
            Check::failed(name, format!("{}: {}", reason(&body), queues.join(", ")))
        }
        Err(e) => Check::from_error(name, &e),
    }
}

/// Is AMQP (or AMQPS, when the environment's AMQP URLs use it) listening?
async fn listener(env: &Environment, client: &ManagementClient, base: &Url) -> Check {
    let tls = env.amqp_urls.iter().any(|u| u.starts_with("amqps:"));
    let protocol = if tls { "amqp/ssl" } else { "amqp" };
    let name = format!("listener:{}", if tls { "amqps" } else { "amqp" });
    let path = format!(
        "health/checks/protocol-listener/{}",
        percent_encoding::utf8_percent_encode(protocol, percent_encoding::NON_ALPHANUMERIC)
    );
    match client.get_check(base, &path).await {
        Ok((true, _)) => Check::passed(name),
        Ok((false, body)) => Check::failed(
            name,
            format!("{}: {protocol} is not listening", reason(&body)),
        ),
        Err(e) => Check::from_error(name, &e),
    }
}

async fn virtual_hosts(client: &ManagementClient, base: &Url) -> Check {
    const NAME: &str = "virtual_hosts";
    match client.get_check(base, "health/checks/virtual-hosts").await {
        Ok((true, _)) => Check::passed(NAME),
        Ok((false, body)) => {
            let down: Vec<String> = body
                .get("virtual-hosts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            Check::failed(NAME, format!("{}: {}", reason(&body), down.join(", ")))
        }
        Err(e) => Check::from_error(NAME, &e),
    }
}

/// Deprecated features the broker says are in use (4.x), and mirroring policies that break on
/// an upgrade (3.x): the same findings as `warren env check`.
async fn deprecated_features(client: &ManagementClient, rabbitmq_version: Option<&str>) -> Check {
    const NAME: &str = "deprecated_features";
    match deprecations::deprecations_of(client, rabbitmq_version.map(str::to_string)).await {
        Ok(report) => {
            let serious: Vec<String> = report
                .findings
                .iter()
                .filter(|f| f.severity != DeprecationSeverity::NoEffect)
                .map(|f| {
                    if f.subject.is_empty() {
                        f.feature.clone()
                    } else {
                        format!("{} ({})", f.feature, f.subject)
                    }
                })
                .collect();
            if serious.is_empty() {
                Check::passed(NAME)
            } else {
                Check::failed(NAME, format!("in use: {}", serious.join(", ")))
            }
        }
        Err(crate::Error::Broker(e)) => Check::from_error(NAME, &e),
        Err(e) => Check::failed(NAME, e.to_string()),
    }
}

fn reason(body: &Value) -> String {
    body.get("reason")
        .and_then(Value::as_str)
        .unwrap_or("the check failed")
        .to_string()
}

fn text(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_brokers_alarm_list_names_resource_and_node() {
        // The 503 body of /api/health/checks/alarms (rabbit_mgmt_wm_health_check_alarms).
        let body = json!({"status":"failed","reason":"There are alarms in effect in the cluster",
            "alarms":[{"resource":"disk space","node":"rabbit@a"},{"resource":"memory","node":"rabbit@b"}]});
        assert_eq!(
            parse_alarms(&body),
            vec![
                Alarm {
                    resource: "disk space".into(),
                    node: "rabbit@a".into()
                },
                Alarm {
                    resource: "memory".into(),
                    node: "rabbit@b".into()
                }
            ]
        );
        assert!(parse_alarms(&json!({"status":"ok"})).is_empty());
    }

    #[test]
    fn nodes_not_running_are_counted_as_down() {
        let nodes = [
            json!({"name":"rabbit@a","running":true}),
            json!({"name":"rabbit@b","running":false}),
            json!({"name":"rabbit@c"}),
        ];
        let c = count_nodes(&nodes);
        assert_eq!((c.running, c.total), (1, 3));
    }

    #[test]
    fn a_check_the_user_may_not_run_is_skipped_and_a_silent_broker_fails_it() {
        let refused = BrokerError::new(BrokerErrorKind::Refused, "403");
        assert!(Check::from_error("nodes_running", &refused).ok);
        let missing = BrokerError::new(BrokerErrorKind::NotFound, "404");
        assert!(Check::from_error("x", &missing)
            .detail
            .starts_with("skipped"));
        let timeout = BrokerError::new(BrokerErrorKind::Timeout, "no answer");
        let c = Check::from_error("alarms", &timeout);
        assert!(!c.ok && c.detail == "no answer");
    }
}
