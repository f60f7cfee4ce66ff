//! A RabbitMQ policy for the queues of one realm (or one worker in a realm): its pattern is
//! generated from the realm template, checked against the inventory to match exactly those
//! queues, and the plan says which existing policies it would override or lose to (RabbitMQ
//! applies only the highest-priority matching policy to a queue). Warren's policies are named
//! `warren-realm-…` so they can be listed and removed.
//!
//! Requires the `policymaker` (or `administrator`) tag. `apply`/`remove` modify state.

use std::collections::BTreeSet;

use rabbitmq_http_client::commons::PolicyTarget;
use rabbitmq_http_client::requests::PolicyParams;
use regex::Regex;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

use super::queues_of;
use crate::audit::Action;
use crate::broker::admin::Admin;
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::guard::guarded;
use crate::queues::{Inventory, QueueRow};
use crate::template::RealmTemplate;

/// The prefix of every policy Warren creates.
pub const PREFIX: &str = "warren-realm-";

/// What applying a realm policy would do, for the dry run and the confirmation.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PolicyPlan {
    pub name: String,
    /// One policy per vhost that holds queues of the realm.
    pub vhosts: Vec<String>,
    /// The pattern, as RabbitMQ gets it (Erlang `re` reads this subset like Rust's `regex`).
    pub pattern: String,
    pub priority: i32,
    #[ts(type = "Record<string, unknown>")]
    pub definition: Map<String, Value>,
    /// `vhost/name` of every queue it matches: exactly the realm's (checked).
    pub queues: Vec<String>,
    /// Queues whose current policy it would replace (lower priority) or not beat (same or
    /// higher priority: then the new policy has no effect on them).
    pub overrides: Vec<String>,
    pub loses_to: Vec<String>,
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub fn policy_name(realm: &str, worker: Option<&str>) -> String {
    match worker {
        Some(w) => format!("{PREFIX}{}-worker-{}", slug(realm), slug(w)),
        None => format!("{PREFIX}{}", slug(realm)),
    }
}

/// The byte range of the named group `(?P<name>…)` or `(?<name>…)` in `re`, parentheses
/// balanced, skipping escapes and character classes. Written here: the regex crate's parser
/// (regex-syntax) could find it, but rewriting its AST back to text would not keep the user's
/// spelling.
fn group_span(re: &str, name: &str) -> Option<(usize, usize)> {
    let start = re
        .find(&format!("(?P<{name}>"))
        .or_else(|| re.find(&format!("(?<{name}>")))?;
    let bytes = re.as_bytes();
    let (mut depth, mut i, mut in_class) = (0i32, start, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class => depth += 1,
            b')' if !in_class => {
                depth -= 1;
                if depth == 0 {
                    return Some((start, i + 1));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Replace the named group with `with` (a literal, escaped) or make it non-capturing.
fn pin_group(re: &str, name: &str, with: Option<&str>) -> Option<String> {
    let (a, b) = group_span(re, name)?;
    let inner_start = re[a..].find('>')? + a + 1;
    let replacement = match with {
        Some(v) => format!("(?:{})", regex::escape(v)),
        None => format!("(?:{})", &re[inner_start..b - 1]),
    };
    Some(format!("{}{replacement}{}", &re[..a], &re[b..]))
}

/// The policy pattern for a realm (and optionally a worker in it) under a name template.
pub fn pattern(template: &RealmTemplate, realm: &str, worker: Option<&str>) -> Option<String> {
    match template {
        // The realm is the vhost: the policy lives there and matches the worker (or all).
        RealmTemplate::Vhost => {
            Some(worker.map_or_else(|| ".*".to_string(), |w| format!("^{}$", regex::escape(w))))
        }
        RealmTemplate::Name { regex, .. } => {
            let pinned = pin_group(regex.as_str(), "realm", Some(realm))?;
            pin_group(&pinned, "worker", worker)
        }
    }
}

/// Parse `key=value` settings: numbers stay numbers (`max-length=1000`), the rest strings
/// (`overflow=reject-publish`).
pub fn definition(settings: &[String]) -> Result<Map<String, Value>> {
    let mut map = Map::new();
    for s in settings {
        let (k, v) = s.split_once('=').filter(|(k, v)| !k.trim().is_empty() && !v.trim().is_empty()).ok_or_else(|| {
            Error::InvalidArgument(format!("`{s}` is not KEY=VALUE, e.g. max-length=10000, message-ttl=60000 or overflow=reject-publish"))
        })?;
        let v = v.trim();
        let value = v
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(v));
        map.insert(k.trim().to_string(), value);
    }
    if map.is_empty() {
        return Err(Error::InvalidArgument(
            "a policy needs at least one setting, e.g. --set max-length=10000".into(),
        ));
    }
    Ok(map)
}

/// Plan a realm policy on mapped `rows`. `existing`: (vhost, name, priority) of the broker's
/// policies, to tell which queues it would override or lose to.
pub fn plan(
    template: &RealmTemplate,
    rows: &[QueueRow],
    realm: &str,
    worker: Option<&str>,
    definition: Map<String, Value>,
    priority: i32,
    existing: &[(String, String, i32)],
) -> Result<PolicyPlan> {
    let targets = queues_of(rows, realm, worker);
    if targets.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "no queue belongs to realm `{realm}`{}",
            worker
                .map(|w| format!(" and worker `{w}`"))
                .unwrap_or_default()
        )));
    }
    let pattern = pattern(template, realm, worker).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "cannot derive a policy pattern from the template `{}`",
            template.source()
        ))
    })?;
    let compiled = Regex::new(&pattern).map_err(|e| {
        Error::InvalidArgument(format!(
            "generated pattern `{pattern}` does not compile: {e}"
        ))
    })?;
    let vhosts: BTreeSet<&str> = targets.iter().map(|t| t.vhost.as_str()).collect();
    // Safety: in those vhosts the pattern must match the realm's queues and nothing else.
    let wanted: BTreeSet<(&str, &str)> = targets
        .iter()
        .map(|t| (t.vhost.as_str(), t.name.as_str()))
        .collect();
    let matched: BTreeSet<(&str, &str)> = rows
        .iter()
        .filter(|r| vhosts.contains(r.vhost.as_str()))
        .filter(|r| match template {
            RealmTemplate::Vhost => r.vhost == realm && compiled.is_match(&r.name),
            RealmTemplate::Name { .. } => compiled.is_match(&r.name),
        })
        .map(|r| (r.vhost.as_str(), r.name.as_str()))
        .collect();
    if matched != wanted {
        let extra: Vec<String> = matched
            .difference(&wanted)
            .take(5)
            .map(|(v, n)| format!("{v}/{n}"))
            .collect();
        return Err(Error::InvalidArgument(format!(
            "the pattern `{pattern}` would also match queues outside the selection ({}): refine the realm template so realms are unambiguous",
            extra.join(", ")
        )));
    }
    let mut overrides = BTreeSet::new();
    let mut loses_to = BTreeSet::new();
    let name = policy_name(realm, worker);
    for t in &targets {
        let Some(current) = t.policy.as_deref().filter(|p| *p != name) else {
            continue;
        };
        let prio = existing
            .iter()
            .find(|(v, n, _)| *v == t.vhost && n == current)
            .map_or(0, |(_, _, p)| *p);
        let entry = format!("{}/{} ({current}, priority {prio})", t.vhost, t.name);
        if prio >= priority {
            loses_to.insert(entry);
        } else {
            overrides.insert(entry);
        }
    }
    Ok(PolicyPlan {
        name,
        vhosts: vhosts.iter().map(|v| v.to_string()).collect(),
        pattern,
        priority,
        definition,
        queues: targets
            .iter()
            .map(|t| format!("{}/{}", t.vhost, t.name))
            .collect(),
        overrides: overrides.into_iter().collect(),
        loses_to: loses_to.into_iter().collect(),
    })
}

/// What a front end asks of a realm policy: the plan, and with `apply` its declaration.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct PolicyRequest {
    pub realm: String,
    /// Only this worker's queue in the realm.
    #[serde(default)]
    pub worker: Option<String>,
    /// Only the realm's queues in this vhost (`None`: in every loaded vhost).
    #[serde(default)]
    pub vhost: Option<String>,
    /// `key=value` settings (`max-length=10000`, `message-ttl=60000`).
    pub settings: Vec<String>,
    #[serde(default)]
    pub priority: i32,
    /// Declare it (else only plan). Front ends confirm before they ask.
    #[serde(default)]
    pub apply: bool,
}

/// Plan `request` on `inventory` (mapped by its realm template) against the broker's policies,
/// and with `apply` declare it. The plan is computed here both times, never taken from a front
/// end. Requires the `policymaker` tag (reading policies needs it too). Modifies state only
/// with `apply` (through the gate).
pub async fn run(
    env: &Environment,
    password: &SecretString,
    inventory: &Inventory,
    request: &PolicyRequest,
) -> Result<PolicyPlan> {
    let template = inventory.realm_template.as_ref().ok_or_else(|| {
        Error::InvalidArgument(format!("environment `{}` has no realm template: set one (window: Template…; CLI: `warren env edit {} --realm-template …`)", env.id, env.id))
    })?;
    let definition = definition(&request.settings)?;
    let existing = existing_policies(env, password).await?;
    let rows = crate::queues::inventory::rows_in(&inventory.rows, request.vhost.as_deref());
    let plan = plan(
        template,
        &rows,
        &request.realm,
        request.worker.as_deref(),
        definition,
        request.priority,
        &existing,
    )?;
    if request.apply {
        apply(env, password, &plan).await?;
    }
    Ok(plan)
}

/// Every policy on the broker the user may see.
async fn all_policies(
    env: &Environment,
    password: &SecretString,
) -> Result<Vec<rabbitmq_http_client::responses::Policy>> {
    let admin = Admin::new(env, password).await?;
    Ok(admin
        .read("list policies", |c| async move { c.list_policies().await })
        .await?)
}

/// The broker's policies as (vhost, name, priority), for `plan`.
/// Needs the `policymaker` tag. Does not modify state.
pub async fn existing_policies(
    env: &Environment,
    password: &SecretString,
) -> Result<Vec<(String, String, i32)>> {
    let list = all_policies(env, password).await?;
    Ok(list
        .into_iter()
        .map(|p| (p.vhost.to_string(), p.name, i32::from(p.priority)))
        .collect())
}

/// Declare the planned policy in each of its vhosts. Requires the `policymaker` tag.
/// Modifies state (through the gate: refused on a read-only environment, audited).
pub async fn apply(env: &Environment, password: &SecretString, plan: &PolicyPlan) -> Result<()> {
    let action = Action::new(
        "realms.policy.apply",
        plan.vhosts.first().map(String::as_str),
        vec![plan.name.clone()],
        serde_json::json!({
            "vhosts": plan.vhosts,
            "pattern": plan.pattern,
            "priority": plan.priority,
            "definition": plan.definition,
        }),
    );
    let counts = |_: &()| serde_json::json!({ "queues": plan.queues.len(), "overrides": plan.overrides.len() });
    guarded(env, action, counts, |gate| async move {
        let admin = Admin::new(env, password).await?;
        for vhost in &plan.vhosts {
            admin
                .write(&gate, "declare the policy", |c| async move {
                    c.declare_policy(&PolicyParams {
                        vhost,
                        name: &plan.name,
                        pattern: &plan.pattern,
                        apply_to: PolicyTarget::Queues,
                        priority: plan.priority,
                        definition: plan.definition.clone(),
                    })
                    .await
                })
                .await
                .map_err(|mut e| {
                    e.message
                        .push_str(" (policies need the `policymaker` or `administrator` tag)");
                    e
                })?;
        }
        Ok(())
    })
    .await
}

/// Warren's policies on the broker: (vhost, name, pattern, priority).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct WarrenPolicy {
    pub vhost: String,
    pub name: String,
    pub pattern: String,
    pub priority: i32,
    #[ts(type = "Record<string, unknown>")]
    pub definition: Map<String, Value>,
}

/// Needs the `policymaker` tag. Does not modify state.
pub async fn list(env: &Environment, password: &SecretString) -> Result<Vec<WarrenPolicy>> {
    Ok(all_policies(env, password)
        .await?
        .into_iter()
        .filter(|p| p.name.starts_with(PREFIX))
        .map(|p| WarrenPolicy {
            vhost: p.vhost.to_string(),
            name: p.name,
            pattern: p.pattern,
            priority: i32::from(p.priority),
            definition: p.definition.into(),
        })
        .collect())
}

/// Remove one of Warren's policies (others are refused: Warren does not delete what it did not
/// create). Requires the `policymaker` tag. Modifies state (through the gate).
pub async fn remove(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    name: &str,
) -> Result<()> {
    let action = Action::new(
        "realms.policy.remove",
        Some(vhost),
        vec![name.to_string()],
        Value::Null,
    );
    guarded(env, action, |_| Value::Null, |gate| async move {
        if !name.starts_with(PREFIX) {
            return Err(Error::InvalidArgument(format!("`{name}` is not a Warren policy (those start with `{PREFIX}`): remove it with the management UI or rabbitmqadmin")));
        }
        Admin::new(env, password).await?
            .write(&gate, "delete the policy", |c| async move {
                c.delete_policy(vhost, name, false).await
            })
            .await?;
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(names: &[&str], template: &RealmTemplate) -> Vec<QueueRow> {
        let mut rows: Vec<QueueRow> = names.iter().map(|n| QueueRow::named("/", n)).collect();
        crate::queues::map_rows(Some(template), &mut rows);
        rows
    }

    #[test]
    fn patterns_pin_the_realm_and_optionally_the_worker() {
        let t = RealmTemplate::parse("{worker}.{realm}").unwrap();
        assert_eq!(pattern(&t, "acme", None).unwrap(), r"^(?:.+)\.(?:acme)$");
        assert_eq!(
            pattern(&t, "a.b", Some("billing")).unwrap(),
            r"^(?:billing)\.(?:a\.b)$"
        );
        let r = RealmTemplate::parse(r"/^(?P<worker>[a-z]+)-(?P<realm>\d+(?:x|y))$/").unwrap();
        assert_eq!(pattern(&r, "7x", None).unwrap(), r"^(?:[a-z]+)-(?:7x)$");
        assert_eq!(
            pattern(&RealmTemplate::Vhost, "acme", Some("billing")).unwrap(),
            "^billing$"
        );
    }

    #[test]
    fn a_plan_matches_exactly_the_realm_and_reports_policies_it_meets() {
        let t = RealmTemplate::parse("{worker}.{realm}").unwrap();
        let mut rows = mapped(
            &["billing.acme", "email.acme", "billing.globex", "acme-audit"],
            &t,
        );
        rows[1].policy = Some("ha".into());
        let def =
            definition(&["max-length=1000".into(), "overflow=reject-publish".into()]).unwrap();
        assert_eq!(def["max-length"], 1000);
        let plan = plan(
            &t,
            &rows,
            "acme",
            None,
            def,
            10,
            &[("/".into(), "ha".into(), 20)],
        )
        .unwrap();
        assert_eq!(plan.name, "warren-realm-acme");
        assert_eq!(plan.queues, vec!["//billing.acme", "//email.acme"]);
        assert_eq!(plan.loses_to, vec!["//email.acme (ha, priority 20)"]);
        assert!(plan.overrides.is_empty());
        assert!(definition(&["max-length".into()]).is_err());
    }

    #[test]
    fn group_spans_skip_escapes_and_classes() {
        assert_eq!(group_span(r"^(?P<realm>[)(]\)x)$", "realm"), Some((1, 19)));
        assert_eq!(
            pin_group(r"^(?P<realm>a|b)-z$", "realm", None).unwrap(),
            "^(?:a|b)-z$"
        );
    }
}
