//! "Test connection": the management API and AMQP checked separately, each with the specific
//! reason it fails. Needs only read access; does not modify state.

use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::broker::{amqp, management::ManagementClient, BrokerError, BrokerErrorKind};
use crate::environment::Environment;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct ManagementCheck {
    pub ok: bool,
    pub error: Option<String>,
    pub error_kind: Option<BrokerErrorKind>,
    /// The node URL that answered.
    pub url: Option<String>,
    pub cluster_name: Option<String>,
    pub rabbitmq_version: Option<String>,
    pub erlang_version: Option<String>,
    pub user_tags: Option<Vec<String>>,
    pub node_count: Option<u32>,
    /// Things that work but limit what Warren can show (e.g. no `monitoring` tag).
    #[serde(default)]
    pub warnings: Vec<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct AmqpCheck {
    pub ok: bool,
    pub error: Option<String>,
    pub error_kind: Option<BrokerErrorKind>,
}

/// The Prometheus endpoint: optional (Warren falls back to the management listing), so an
/// unreachable one is a warning in the report, never a failed test.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct PrometheusCheck {
    pub ok: bool,
    /// The endpoint tried (the environment's, or the default: management host, port 15692).
    pub url: Option<String>,
    /// The `/metrics/detailed` families it serves, of those Warren reads.
    #[serde(default)]
    pub families: Vec<String>,
    /// One line for the report: what works, or why not and what Warren does instead.
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct ConnectionReport {
    pub management: ManagementCheck,
    pub amqp: AmqpCheck,
    pub prometheus: PrometheusCheck,
}

impl ConnectionReport {
    /// Prometheus is not part of it: without it Warren still works (slower on big brokers).
    pub fn ok(&self) -> bool {
        self.management.ok && self.amqp.ok
    }
}

/// Check the endpoints at once. Requires the `management` user tag for the management part
/// (`monitoring` for the node count) and access to the AMQP URL's vhost; the Prometheus
/// endpoint needs nothing. Does not modify state.
pub async fn test_connection(env: &Environment, password: SecretString) -> ConnectionReport {
    let (management, amqp, prometheus) = tokio::join!(
        check_management(env, password.clone()),
        check_amqp(env, &password),
        check_prometheus(env)
    );
    ConnectionReport {
        management,
        amqp,
        prometheus,
    }
}

/// Is the environment's Prometheus endpoint reachable, and which families does it serve?
/// Needs no credentials. Does not modify state.
pub async fn check_prometheus(env: &Environment) -> PrometheusCheck {
    use crate::broker::prometheus::{PrometheusClient, QUEUE_FAMILIES};
    let client = match PrometheusClient::new(env, crate::broker::TEST_TIMEOUT) {
        Ok(c) => c,
        Err(e) => {
            return PrometheusCheck {
                message: e.message,
                ..Default::default()
            }
        }
    };
    let url = client.base().to_string();
    match client.families().await {
        Ok(families) if QUEUE_FAMILIES.iter().all(|f| families.iter().any(|g| g == f)) => {
            PrometheusCheck {
                ok: true,
                message: format!(
                    "Prometheus at {url} serves {}: Warren reads queue metrics there (faster listings)",
                    families.join(", ")
                ),
                url: Some(url),
                families,
            }
        }
        Ok(families) => PrometheusCheck {
            message: format!("Prometheus at {url} answers but lacks the per-queue families Warren reads ({}); Warren uses the management API instead", QUEUE_FAMILIES.join(", ")),
            url: Some(url),
            families,
            ok: false,
        },
        Err(e) => PrometheusCheck {
            message: format!("Prometheus not reachable ({}); Warren uses the management API instead (slower on big brokers). Enable `rabbitmq_prometheus` or set the Prometheus URL", e.message),
            url: Some(url),
            ..Default::default()
        },
    }
}

/// Needs the `management` tag (`monitoring` for the node count). Does not modify state.
pub async fn check_management(env: &Environment, password: SecretString) -> ManagementCheck {
    match management_details(env, password).await {
        Ok(check) => check,
        Err(e) => ManagementCheck {
            ok: false,
            error: Some(e.message),
            error_kind: Some(e.kind),
            ..Default::default()
        },
    }
}

async fn management_details(
    env: &Environment,
    password: SecretString,
) -> Result<ManagementCheck, BrokerError> {
    let client = ManagementClient::with_timeout(env, password, crate::broker::TEST_TIMEOUT)?;
    let (overview, url): (Value, _) = client.get_json("overview").await?;
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let rabbitmq_version = text(&overview, "rabbitmq_version").ok_or_else(|| {
        BrokerError::new(
            BrokerErrorKind::NotRabbitmq,
            format!("{url} answered /api/overview without a RabbitMQ version: it is not a RabbitMQ management endpoint"),
        )
    })?;
    let mut check = ManagementCheck {
        ok: true,
        url: Some(url.to_string()),
        cluster_name: text(&overview, "cluster_name"),
        rabbitmq_version: Some(rabbitmq_version),
        erlang_version: text(&overview, "erlang_version"),
        ..Default::default()
    };
    if let Ok((whoami, _)) = client.get_json::<Value>("whoami").await {
        check.user_tags = Some(parse_tags(whoami.get("tags")));
    }
    let tags = check.user_tags.clone().unwrap_or_default();
    if !tags
        .iter()
        .any(|t| t == "monitoring" || t == "administrator")
    {
        check.warnings.push(format!(
            "user `{}` has no `monitoring` tag: Warren sees only the vhosts it has permissions on and no node details",
            env.username
        ));
    }
    match client.get_json::<Vec<Value>>("nodes?columns=name").await {
        Ok((nodes, _)) => check.node_count = Some(nodes.len() as u32),
        Err(e)
            if e.kind == BrokerErrorKind::Refused
                || e.kind == BrokerErrorKind::WrongCredentials => {}
        Err(e) => check
            .warnings
            .push(format!("cannot list the cluster's nodes: {}", e.message)),
    }
    Ok(check)
}

/// `tags` is a list since 3.9 and a comma-separated string before.
fn parse_tags(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        _ => vec![],
    }
}

/// Needs access to the vhost (no user tag). Does not modify state.
pub async fn check_amqp(env: &Environment, password: &SecretString) -> AmqpCheck {
    match amqp::connect(env, password, None, "connection test").await {
        Ok(conn) => {
            let _ = conn.close(200, "warren connection test done".into()).await;
            AmqpCheck {
                ok: true,
                ..Default::default()
            }
        }
        Err(e) => AmqpCheck {
            ok: false,
            error: Some(e.message),
            error_kind: Some(e.kind),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_come_as_lists_or_strings() {
        assert_eq!(
            parse_tags(Some(&serde_json::json!(["monitoring", "policymaker"]))),
            vec!["monitoring", "policymaker"]
        );
        assert_eq!(
            parse_tags(Some(&serde_json::json!("administrator, management"))),
            vec!["administrator", "management"]
        );
        assert!(parse_tags(None).is_empty());
    }
}
