//! What an environment uses that RabbitMQ has deprecated or removed: classic queue mirroring
//! (`ha-*` keys in a policy or operator policy), gone in 4.0, and what a 4.x broker itself
//! reports in use through `GET /api/deprecated-features/used` (3.x has no such endpoint).
//!
//! Requires the `management` tag (`monitoring` or `administrator` to see every vhost's
//! policies). Does not modify state.

use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::broker::management::ManagementClient;
use crate::broker::{BrokerError, BrokerErrorKind};
use crate::environment::Environment;
use crate::error::Result;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DeprecationSeverity {
    /// Works today, stops working (or is refused) after an upgrade to 4.x.
    BreaksOnUpgrade,
    /// The broker says it is in use and deprecated.
    InUseAndDeprecated,
    /// Already without effect on this broker (e.g. a mirroring policy left on 4.x).
    NoEffect,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Deprecation {
    pub severity: DeprecationSeverity,
    /// `classic_queue_mirroring` (Warren's name for `ha-*` policies) or the broker's feature name.
    pub feature: String,
    /// Where: `policy ha-all in vhost /`, or empty for a broker-wide feature.
    pub subject: String,
    pub message: String,
    /// The broker's documentation link for the feature, when it gives one.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DeprecationReport {
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rabbitmq_version: Option<String>,
    /// The broker answered `GET /api/deprecated-features/used` (4.x); false on 3.x, where only
    /// Warren's own checks ran.
    pub broker_checked: bool,
    pub findings: Vec<Deprecation>,
    /// Checks that could not run (e.g. the user may not list operator policies).
    pub warnings: Vec<String>,
}

/// The major version of a version string (`3.10.8` → 3).
fn major(version: Option<&str>) -> Option<u32> {
    version?.split('.').next()?.parse().ok()
}

fn text(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Mirroring keys (`ha-mode`, `ha-params`, `ha-sync-mode`, …) of policies from
/// `GET /api/policies` or `/api/operator-policies`.
pub fn mirroring_findings(policies: &[Value], kind: &str, major: Option<u32>) -> Vec<Deprecation> {
    policies
        .iter()
        .filter_map(|p| {
            let mut keys: Vec<String> = p
                .get("definition")
                .and_then(Value::as_object)?
                .keys()
                .filter(|k| k.starts_with("ha-"))
                .cloned()
                .collect();
            if keys.is_empty() {
                return None;
            }
            keys.sort();
            let subject = format!("{kind} {} in vhost {}", text(p, "name"), text(p, "vhost"));
            let (severity, message) = if major.is_some_and(|m| m >= 4) {
                (
                    DeprecationSeverity::NoEffect,
                    format!(
                        "{subject} sets {}: classic queue mirroring was removed in RabbitMQ 4.0, so these keys do nothing here; use quorum queues for replication and remove the keys",
                        keys.join(", ")
                    ),
                )
            } else {
                (
                    DeprecationSeverity::BreaksOnUpgrade,
                    format!(
                        "{subject} mirrors classic queues ({}): will break on upgrade to RabbitMQ 4.x, which removed mirroring (the queues lose their replicas, and 4.x refuses such policies). Move the queues to quorum queues first",
                        keys.join(", ")
                    ),
                )
            };
            Some(Deprecation {
                severity,
                feature: "classic_queue_mirroring".into(),
                subject,
                message,
                doc_url: None,
            })
        })
        .collect()
}

/// Items of `GET /api/deprecated-features/used`.
pub fn feature_findings(features: &[Value]) -> Vec<Deprecation> {
    features
        .iter()
        .map(|f| {
            let name = text(f, "name");
            let phase = text(f, "deprecation_phase");
            // The broker calls it `desc` (rabbit_depr_ff_extra; checked on 4.3.6): `description`
            // was a guess that never matched.
            let description = text(f, "desc");
            let mut message = format!("in use and deprecated: `{name}`");
            if !phase.is_empty() {
                message.push_str(&format!(" (phase: {})", phase.replace('_', " ")));
            }
            if !description.is_empty() {
                message.push_str(&format!(". {description}"));
            }
            Deprecation {
                severity: DeprecationSeverity::InUseAndDeprecated,
                feature: name,
                subject: String::new(),
                message,
                doc_url: Some(text(f, "doc_url")).filter(|u| !u.is_empty()),
            }
        })
        .collect()
}

/// A 404 from an endpoint this broker version does not have.
fn absent(e: &BrokerError) -> bool {
    matches!(
        e.kind,
        BrokerErrorKind::NotFound | BrokerErrorKind::ManagementNotEnabled
    )
}

/// Check an environment for deprecated features in use. Requires the `management` tag;
/// policies of vhosts the user cannot see are not checked. Does not modify state.
pub async fn check_deprecations(
    env: &Environment,
    password: SecretString,
) -> Result<DeprecationReport> {
    let client = ManagementClient::new(env, password)?;
    deprecations_of(&client, None).await
}

/// `check_deprecations` with the caller's client and, when it has read the overview already,
/// the broker's version (else it is read here).
pub async fn deprecations_of(
    client: &ManagementClient,
    rabbitmq_version: Option<String>,
) -> Result<DeprecationReport> {
    let rabbitmq_version = match rabbitmq_version {
        Some(v) => Some(v),
        None => {
            let (overview, _): (Value, _) =
                client.get_json("overview?columns=rabbitmq_version").await?;
            Some(text(&overview, "rabbitmq_version"))
        }
    }
    .filter(|v| !v.is_empty());
    let major = major(rabbitmq_version.as_deref());
    let mut report = DeprecationReport {
        rabbitmq_version,
        broker_checked: false,
        findings: vec![],
        warnings: vec![],
    };
    match client
        .get_json::<Vec<Value>>("deprecated-features/used")
        .await
    {
        Ok((used, _)) => {
            report.broker_checked = true;
            report.findings.extend(feature_findings(&used));
        }
        Err(e) if absent(&e) => {}
        Err(e) => report.warnings.push(format!(
            "cannot read the broker's deprecated features in use: {}",
            e.message
        )),
    }
    for (path, kind) in [
        ("policies", "policy"),
        ("operator-policies", "operator policy"),
    ] {
        match client.get_json::<Vec<Value>>(path).await {
            Ok((policies, _)) => report
                .findings
                .extend(mirroring_findings(&policies, kind, major)),
            Err(e) => report
                .warnings
                .push(format!("cannot list {kind}s: {}", e.message)),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ha_keys_break_on_upgrade_from_3x_and_do_nothing_on_4x() {
        let policies = vec![
            json!({"vhost": "/", "name": "ha-all", "pattern": ".*", "definition": {"ha-mode": "all", "ha-sync-mode": "automatic", "max-length": 10}}),
            json!({"vhost": "/", "name": "ttl", "definition": {"message-ttl": 1000}}),
        ];
        let f = mirroring_findings(&policies, "policy", Some(3));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, DeprecationSeverity::BreaksOnUpgrade);
        assert!(
            f[0].message.contains("will break on upgrade"),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("ha-mode, ha-sync-mode"));
        assert_eq!(f[0].subject, "policy ha-all in vhost /");
        let f = mirroring_findings(&policies, "policy", Some(4));
        assert_eq!(f[0].severity, DeprecationSeverity::NoEffect);
    }

    #[test]
    fn features_the_broker_reports_are_in_use_and_deprecated() {
        let f = feature_findings(&[json!({
            "name": "transient_nonexcl_queues", "deprecation_phase": "permitted_by_default",
            "desc": "Transient non-exclusive queues", "doc_url": "https://www.rabbitmq.com/docs/queues"
        })]);
        assert_eq!(f[0].severity, DeprecationSeverity::InUseAndDeprecated);
        assert!(f[0]
            .message
            .starts_with("in use and deprecated: `transient_nonexcl_queues`"));
        assert!(f[0].message.contains("permitted by default"));
        assert!(f[0].message.ends_with(". Transient non-exclusive queues"));
        assert_eq!(
            f[0].doc_url.as_deref(),
            Some("https://www.rabbitmq.com/docs/queues")
        );
        assert_eq!(major(Some("4.0.5")), Some(4));
        assert_eq!(major(None), None);
    }
}
