//! The broker's objects as drift compares them: one `Object` per queue, exchange, binding,
//! policy, operator policy and vhost limit, with the fields that matter flattened
//! (`arguments.x-max-length`, `definition.ha-mode`) and normalised so that what does not count
//! never differs: key order, defaults a line leaves out, `1000` against `1000.0`, the
//! `x-queue-type` argument that 3.x keeps and 4.3 moves into `type`. Counts and rates are never
//! fields. Pure, tested on the shapes each line's management API answers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// What kind of object (`warren diff --json` `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Kind {
    Queue,
    Exchange,
    Binding,
    Policy,
    OperatorPolicy,
    VhostLimits,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Queue => "queue",
            Kind::Exchange => "exchange",
            Kind::Binding => "binding",
            Kind::Policy => "policy",
            Kind::OperatorPolicy => "operator_policy",
            Kind::VhostLimits => "vhost_limits",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub kind: Kind,
    pub vhost: String,
    /// A binding has no name: `source → queue:destination [routing key]` stands for it.
    pub name: String,
    pub fields: BTreeMap<String, Value>,
    /// The queue (or else exchange) a binding leads to: its realm is the binding's.
    pub refers_to: Option<String>,
}

fn text(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn flag(v: &Value, k: &str, default: bool) -> Value {
    Value::Bool(v.get(k).and_then(Value::as_bool).unwrap_or(default))
}

/// A number with an integral value is that integer (`1000.0` is `1000`); maps and lists are
/// normalised all the way down. Map key order never counts (serde_json compares maps as maps).
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f)
                if f.fract() == 0.0
                    && f.abs() < 9.0e15
                    && n.as_i64().is_none()
                    && n.as_u64().is_none() =>
            {
                Value::from(f as i64)
            }
            _ => v.clone(),
        },
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        _ => v.clone(),
    }
}

/// `prefix.<key>` for each entry of the map `v[key]`, except those `skip` names.
fn spread(fields: &mut BTreeMap<String, Value>, v: &Value, key: &str, prefix: &str, skip: &[&str]) {
    if let Some(m) = v.get(key).and_then(Value::as_object) {
        for (k, val) in m {
            if !skip.contains(&k.as_str()) {
                let mut val = canonical(val);
                // Node lists are sets: their order does not count.
                if k == "ha-params" || k == "federation-upstream-set" {
                    if let Value::Array(a) = &mut val {
                        a.sort_by_key(|x| x.to_string());
                    }
                }
                fields.insert(format!("{prefix}.{k}"), val);
            }
        }
    }
}

/// A queue from `GET /api/queues` (or a definitions export). Exclusive queues belong to one
/// connection and are skipped (as the broker's export skips them): `None`.
pub fn queue(q: &Value) -> Option<Object> {
    if q.get("exclusive").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let args = q.get("arguments");
    let queue_type = q
        .get("type")
        .and_then(Value::as_str)
        .or_else(|| {
            args.and_then(|a| a.get("x-queue-type"))
                .and_then(Value::as_str)
        })
        .unwrap_or("classic");
    let mut fields = BTreeMap::new();
    fields.insert("type".into(), Value::from(queue_type));
    fields.insert("durable".into(), flag(q, "durable", true));
    fields.insert("auto_delete".into(), flag(q, "auto_delete", false));
    spread(&mut fields, q, "arguments", "arguments", &["x-queue-type"]);
    Some(Object {
        kind: Kind::Queue,
        vhost: text(q, "vhost"),
        name: text(q, "name"),
        fields,
        refers_to: None,
    })
}

/// An exchange; the default exchange and `amq.*` are the broker's own and skipped. 4.3's
/// export leaves `internal` out: it defaults to false.
pub fn exchange(x: &Value) -> Option<Object> {
    let name = text(x, "name");
    if name.is_empty() || name.starts_with("amq.") {
        return None;
    }
    let mut fields = BTreeMap::new();
    fields.insert("type".into(), Value::from(text(x, "type")));
    fields.insert("durable".into(), flag(x, "durable", true));
    fields.insert("auto_delete".into(), flag(x, "auto_delete", false));
    fields.insert("internal".into(), flag(x, "internal", false));
    spread(&mut fields, x, "arguments", "arguments", &[]);
    Some(Object {
        kind: Kind::Exchange,
        vhost: text(x, "vhost"),
        name,
        fields,
        refers_to: None,
    })
}

/// A binding: its identity is everything about it, so two bindings only ever differ by being
/// there or not. The default exchange's implicit bindings are skipped.
pub fn binding(b: &Value) -> Option<Object> {
    let source = text(b, "source");
    if source.is_empty() {
        return None;
    }
    let args = b
        .get("arguments")
        .filter(|a| a.as_object().is_some_and(|m| !m.is_empty()))
        .map(canonical);
    let dtype = text(b, "destination_type");
    let mut name = format!(
        "{source} → {dtype}:{} [{}]",
        text(b, "destination"),
        text(b, "routing_key")
    );
    if let Some(a) = &args {
        name.push(' ');
        name.push_str(&a.to_string());
    }
    let refers_to = Some(if dtype == "queue" {
        text(b, "destination")
    } else {
        source
    });
    Some(Object {
        kind: Kind::Binding,
        vhost: text(b, "vhost"),
        name,
        fields: BTreeMap::new(),
        refers_to,
    })
}

/// A policy or an operator policy (`apply-to` defaults to `all`, `priority` to 0).
pub fn policy(p: &Value, kind: Kind) -> Object {
    // Operator policies read from a definitions export keep their settings under `value`.
    let body = p.get("value").filter(|v| v.is_object()).unwrap_or(p);
    let mut fields = BTreeMap::new();
    fields.insert("pattern".into(), Value::from(text(body, "pattern")));
    fields.insert(
        "apply-to".into(),
        Value::from(
            Some(text(body, "apply-to"))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "all".into()),
        ),
    );
    fields.insert(
        "priority".into(),
        canonical(body.get("priority").unwrap_or(&Value::from(0))),
    );
    spread(&mut fields, body, "definition", "definition", &[]);
    Object {
        kind,
        vhost: text(p, "vhost"),
        name: text(p, "name"),
        fields,
        refers_to: None,
    }
}

/// A vhost's limits from `GET /api/vhost-limits` (`{vhost, value:{max-queues, …}}`). A negative
/// limit means none, as an absent one does.
pub fn vhost_limits(l: &Value) -> Object {
    let mut fields = BTreeMap::new();
    if let Some(m) = l.get("value").and_then(Value::as_object) {
        for (k, v) in m {
            if v.as_f64().is_some_and(|n| n >= 0.0) {
                fields.insert(k.clone(), canonical(v));
            }
        }
    }
    Object {
        kind: Kind::VhostLimits,
        vhost: text(l, "vhost"),
        name: "limits".into(),
        fields,
        refers_to: None,
    }
}

/// Every object of a listing's items, through `f`.
pub fn all(items: &[Value], f: impl Fn(&Value) -> Option<Object>) -> Vec<Object> {
    items.iter().filter_map(f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_quorum_queue_reads_the_same_from_3_10_and_4_3() {
        // 3.10 lists the type and keeps x-queue-type in the arguments; 4.3's export carries
        // `type` and no such argument.
        let old = json!({"name":"q","vhost":"/","type":"quorum","durable":true,"auto_delete":false,"exclusive":false,
            "arguments":{"x-queue-type":"quorum","x-delivery-limit":20.0}});
        let new = json!({"name":"q","vhost":"/","type":"quorum","durable":true,"auto_delete":false,
            "arguments":{"x-delivery-limit":20}});
        assert_eq!(queue(&old), queue(&new));
        let from_args = json!({"name":"q","vhost":"/","arguments":{"x-queue-type":"quorum","x-delivery-limit":20}});
        assert_eq!(
            queue(&from_args),
            queue(&new),
            "type from the argument, durable by default"
        );
        assert!(queue(&json!({"name":"tmp","vhost":"/","exclusive":true})).is_none());
    }

    #[test]
    fn exchanges_default_internal_to_false_and_skip_the_brokers_own() {
        let a = exchange(
            &json!({"name":"events","vhost":"/","type":"topic","durable":true,"auto_delete":false,"internal":false,"arguments":{}}),
        );
        let b = exchange(
            &json!({"name":"events","vhost":"/","type":"topic","durable":true,"auto_delete":false,"arguments":{}}),
        );
        assert_eq!(a, b);
        assert!(exchange(&json!({"name":"amq.topic","vhost":"/","type":"topic"})).is_none());
        assert!(exchange(&json!({"name":"","vhost":"/","type":"direct"})).is_none());
    }

    #[test]
    fn bindings_are_named_by_what_they_join_and_empty_arguments_count_as_none() {
        let a = binding(&json!({"source":"events","vhost":"/","destination":"q","destination_type":"queue","routing_key":"k","arguments":{}})).unwrap();
        let b = binding(&json!({"source":"events","vhost":"/","destination":"q","destination_type":"queue","routing_key":"k"})).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.name, "events → queue:q [k]");
        assert!(binding(&json!({"source":"","vhost":"/","destination":"q","destination_type":"queue","routing_key":"q"})).is_none());
    }

    #[test]
    fn policies_default_apply_to_and_priority_and_sort_node_lists() {
        let a = policy(
            &json!({"vhost":"/","name":"ha","pattern":"^x","definition":{"ha-mode":"nodes","ha-params":["b","a"]}}),
            Kind::Policy,
        );
        let b = policy(
            &json!({"vhost":"/","name":"ha","pattern":"^x","apply-to":"all","priority":0.0,"definition":{"ha-params":["a","b"],"ha-mode":"nodes"}}),
            Kind::Policy,
        );
        assert_eq!(a, b);
        assert_eq!(a.fields["definition.ha-mode"], json!("nodes"));
        let op = policy(
            &json!({"vhost":"/","name":"cap","component":"operator_policy","value":{"pattern":".*","definition":{"max-length":1000}}}),
            Kind::OperatorPolicy,
        );
        assert_eq!(op.fields["definition.max-length"], json!(1000));
    }

    #[test]
    fn a_negative_limit_is_no_limit() {
        let l = vhost_limits(&json!({"vhost":"/","value":{"max-queues":-1,"max-connections":100}}));
        assert_eq!(l.fields.len(), 1);
        assert_eq!(l.fields["max-connections"], json!(100));
    }
}
