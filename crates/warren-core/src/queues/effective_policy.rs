//! Which policy and operator policy apply to a queue, computed from the policy definitions as
//! the broker does it (rabbit_policy.erl, 3.10–4.3): same vhost, `pattern` matches the name,
//! `apply-to` covers the queue's type, no definition key the queue type refuses
//! (`unsupported_policies`), highest `priority` wins; the operator policy's values are merged in
//! with rabbit_policies:merge_policy_value's rules. Lets an inventory that reads
//! `/api/definitions` (no statistics, cheap) show the policy columns without the management
//! listing.
//!
//! Ties: the broker sorts the matching policies by priority with a stable sort of its
//! parameter table's own order, which it does not expose; `/api/definitions` lists policies in
//! that order, so Warren takes the first listed among the highest priority.

use serde_json::{Map, Value};

/// One policy or operator policy as `/api/definitions` lists it.
#[derive(Debug, Clone)]
pub struct Policy {
    pub vhost: String,
    pub name: String,
    pub pattern: String,
    /// Compiled once; `None` when the broker's PCRE pattern is not a valid Rust `regex`
    /// (lookarounds, back-references): then no policy of that vhost can be decided here.
    regex: Option<regex::Regex>,
    pub apply_to: String,
    pub priority: i64,
    pub definition: Map<String, Value>,
}

impl Policy {
    pub fn new(
        vhost: &str,
        name: &str,
        pattern: &str,
        apply_to: &str,
        priority: i64,
        definition: Map<String, Value>,
    ) -> Policy {
        Policy {
            vhost: vhost.into(),
            name: name.into(),
            pattern: pattern.into(),
            regex: regex::Regex::new(pattern).ok(),
            apply_to: apply_to.into(),
            priority,
            definition,
        }
    }

    /// One item of the definitions' `policies` (or `operator_policies`).
    pub fn from_definition(v: &Value) -> Option<Policy> {
        let priority = match v.get("priority") {
            Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        Some(Policy::new(
            v.get("vhost")?.as_str()?,
            v.get("name")?.as_str()?,
            v.get("pattern")?.as_str()?,
            v.get("apply-to").and_then(Value::as_str).unwrap_or("all"),
            priority,
            v.get("definition")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        ))
    }

    /// Whether Warren can evaluate this policy's pattern the way the broker does.
    pub fn decidable(&self) -> bool {
        self.regex.is_some()
    }

    fn matches(&self, vhost: &str, name: &str, queue_type: &str) -> bool {
        self.vhost == vhost
            && applies_to_type(&self.apply_to, queue_type)
            && self
                .definition
                .keys()
                .all(|k| !unsupported(queue_type).contains(&k.as_str()))
            && self.regex.as_ref().is_some_and(|r| r.is_match(name))
    }
}

/// `apply-to` against a queue of `queue_type` (classic, quorum, stream).
fn applies_to_type(apply_to: &str, queue_type: &str) -> bool {
    match apply_to {
        "all" | "queues" => true,
        "classic_queues" => queue_type == "classic",
        "quorum_queues" => queue_type == "quorum",
        "streams" => queue_type == "stream",
        _ => false, // "exchanges"
    }
}

/// The policy keys a queue type refuses (its `unsupported_policies` capability; the union over
/// 3.10–4.3, which differ only in keys that never co-exist on one line).
fn unsupported(queue_type: &str) -> &'static [&'static str] {
    match queue_type {
        "quorum" => &[
            "max-priority",
            "queue-mode",
            "single-active-consumer",
            "ha-mode",
            "ha-params",
            "ha-sync-mode",
            "ha-promote-on-shutdown",
            "ha-promote-on-failure",
            "queue-master-locator",
            "max-age",
            "stream-max-segment-size-bytes",
            "initial-cluster-size",
            "selector-fields",
            "selector-field-max-bytes",
        ],
        "stream" => &[
            "expires",
            "message-ttl",
            "dead-letter-exchange",
            "dead-letter-routing-key",
            "max-length",
            "max-in-memory-length",
            "max-in-memory-bytes",
            "max-priority",
            "overflow",
            "queue-mode",
            "single-active-consumer",
            "delivery-limit",
            "ha-mode",
            "ha-params",
            "ha-sync-mode",
            "ha-promote-on-shutdown",
            "ha-promote-on-failure",
            "queue-master-locator",
            "dead-letter-strategy",
            "target-group-size",
            "selector-fields",
            "selector-field-max-bytes",
        ],
        _ => &[
            "max-age",
            "stream-max-segment-size-bytes",
            "queue-leader-locator",
            "initial-cluster-size",
            "delivery-limit",
            "dead-letter-strategy",
            "max-in-memory-length",
            "max-in-memory-bytes",
            "target-group-size",
            "selector-fields",
            "selector-field-max-bytes",
        ],
    }
}

/// The policy (or operator policy) among `policies` that the broker applies to a queue.
pub fn matching<'a>(
    policies: &'a [Policy],
    vhost: &str,
    name: &str,
    queue_type: &str,
) -> Option<&'a Policy> {
    let mut best: Option<&Policy> = None;
    for p in policies
        .iter()
        .filter(|p| p.matches(vhost, name, queue_type))
    {
        // Strictly greater: the first listed wins a tie (see the module comment).
        if best.is_none_or(|b| p.priority > b.priority) {
            best = Some(p);
        }
    }
    best
}

/// What applies to one queue: the names the listing's `policy` / `operator_policy` show and
/// the merged definition (`effective_policy_definition`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EffectivePolicy {
    pub policy: Option<String>,
    pub operator_policy: Option<String>,
    pub definition: Map<String, Value>,
}

/// The effective policy of a queue: the user policy's definition with the operator policy's
/// merged in (rabbit_policy:merge_operator_definitions).
pub fn effective(
    policies: &[Policy],
    operator_policies: &[Policy],
    vhost: &str,
    name: &str,
    queue_type: &str,
) -> EffectivePolicy {
    let p = matching(policies, vhost, name, queue_type);
    let op = matching(operator_policies, vhost, name, queue_type);
    let mut definition = p.map(|p| p.definition.clone()).unwrap_or_default();
    if let Some(op) = op {
        for (k, op_value) in &op.definition {
            let merged = match definition.get(k) {
                Some(v) => merge_value(k, v, op_value),
                None => op_value.clone(),
            };
            definition.insert(k.clone(), merged);
        }
    }
    EffectivePolicy {
        policy: p.map(|p| p.name.clone()),
        operator_policy: op.map(|p| p.name.clone()),
        definition,
    }
}

/// rabbit_policies / rabbit_quorum_queue `merge_policy_value`: limits take the lesser value,
/// a few keys the greater, `queue-version`/`overflow`/booleans the operator's.
fn merge_value(key: &str, value: &Value, op_value: &Value) -> Value {
    let (a, b) = match (value.as_f64(), op_value.as_f64()) {
        (Some(a), Some(b)) => (a, b),
        _ => return op_value.clone(),
    };
    let pick = |lesser: bool| {
        if (a <= b) == lesser {
            value.clone()
        } else {
            op_value.clone()
        }
    };
    match key {
        "message-ttl"
        | "max-length"
        | "max-length-bytes"
        | "max-in-memory-length"
        | "max-in-memory-bytes"
        | "expires"
        | "delayed-retry-max" => pick(true),
        // A negative limit means unlimited: then the larger (the one that limits) wins.
        "delivery-limit" => pick(!(a < 0.0 || b < 0.0)),
        "target-group-size" | "delayed-retry-min" => pick(false),
        _ => op_value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(name: &str, pattern: &str, apply_to: &str, priority: i64, def: Value) -> Policy {
        Policy::new(
            "v",
            name,
            pattern,
            apply_to,
            priority,
            def.as_object().unwrap().clone(),
        )
    }

    #[test]
    fn the_highest_priority_matching_policy_wins_and_the_first_listed_breaks_ties() {
        let ps = [
            policy("low", "^orders", "all", 0, json!({"max-length": 10})),
            policy("high", "^orders\\.", "queues", 5, json!({"max-length": 5})),
            policy("tie", "^orders\\.", "queues", 5, json!({"max-length": 1})),
        ];
        assert_eq!(
            matching(&ps, "v", "orders.eu", "classic").unwrap().name,
            "high"
        );
        assert_eq!(matching(&ps, "v", "orders", "classic").unwrap().name, "low");
        assert!(matching(&ps, "other", "orders.eu", "classic").is_none());
    }

    #[test]
    fn apply_to_and_unsupported_keys_filter_by_queue_type() {
        let ps = [
            policy("qq", ".*", "quorum_queues", 9, json!({"delivery-limit": 3})),
            policy("lazy", ".*", "queues", 8, json!({"queue-mode": "lazy"})),
            policy("any", ".*", "all", 0, json!({"max-length": 3})),
            policy(
                "ex",
                ".*",
                "exchanges",
                99,
                json!({"alternate-exchange": "x"}),
            ),
        ];
        assert_eq!(matching(&ps, "v", "q", "quorum").unwrap().name, "qq");
        assert_eq!(matching(&ps, "v", "q", "classic").unwrap().name, "lazy");
        // Streams refuse max-length and queue-mode: only a policy without them applies.
        assert!(matching(&ps, "v", "s", "stream").is_none());
    }

    #[test]
    fn operator_policies_merge_with_the_lesser_limit() {
        let ps = [policy(
            "p",
            ".*",
            "all",
            0,
            json!({"max-length": 100, "dead-letter-exchange": "dlx", "message-ttl": 10}),
        )];
        let ops = [policy(
            "op",
            ".*",
            "queues",
            0,
            json!({"max-length": 50, "message-ttl": 60, "expires": 1000}),
        )];
        let e = effective(&ps, &ops, "v", "q", "classic");
        assert_eq!(e.policy.as_deref(), Some("p"));
        assert_eq!(e.operator_policy.as_deref(), Some("op"));
        assert_eq!(
            Value::Object(e.definition),
            json!({"max-length": 50, "dead-letter-exchange": "dlx", "message-ttl": 10, "expires": 1000})
        );
        assert_eq!(
            merge_value("delivery-limit", &json!(-1), &json!(5)),
            json!(5),
            "unlimited loses to a limit"
        );
        assert_eq!(
            merge_value("delivery-limit", &json!(7), &json!(5)),
            json!(5)
        );
    }

    #[test]
    fn a_pattern_rust_cannot_compile_is_undecidable() {
        let p = policy("look", "^(?!tmp)", "all", 0, json!({}));
        assert!(!p.decidable());
        assert!(matching(&[p], "v", "q", "classic").is_none());
    }
}
