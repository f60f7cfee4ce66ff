//! A queue as Warren shows it, built from one item of `GET /api/queues` whatever the broker
//! version: every field a newer or older broker may leave out has a default. Counts are u64 in
//! Rust and plain numbers in TypeScript (exact up to 2^53, far beyond any queue's depth).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QueueRow {
    pub vhost: String,
    pub name: String,
    /// classic, quorum or stream.
    #[serde(rename = "type")]
    pub queue_type: String,
    pub state: String,
    pub durable: bool,
    pub exclusive: bool,
    pub auto_delete: bool,
    #[ts(type = "number")]
    pub messages: u64,
    #[ts(type = "number")]
    pub messages_ready: u64,
    #[ts(type = "number")]
    pub messages_unacknowledged: u64,
    #[ts(type = "number")]
    pub consumers: u64,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_utilisation: Option<f64>,
    /// Bytes.
    #[ts(type = "number")]
    pub memory: u64,
    /// Messages per second.
    pub publish_rate: f64,
    pub deliver_rate: f64,
    pub ack_rate: f64,
    pub redeliver_rate: f64,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[ts(type = "Record<string, unknown>")]
    pub arguments: serde_json::Map<String, Value>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_exchange: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_routing_key: Option<String>,
    pub node: String,
    /// When the queue last saw activity (the broker's `idle_since`), as Unix seconds.
    #[ts(optional, type = "number")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_since: Option<i64>,
    /// Filled by the environment's realm template (realm views); `None` = unpartitioned.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// Quorum queues: how many times a message may be returned before the broker drops or
    /// dead-letters it (the row's `delivery_limit` on 4.x, which defaults to 20; else the
    /// `x-delivery-limit` argument or the `delivery-limit` policy key, the lower of the two).
    /// `None`: another queue type, or no limit (3.x without a setting).
    #[ts(type = "number | null")]
    pub delivery_limit: Option<u64>,
    /// The nodes holding a replica (quorum queues and streams); empty for classic queues.
    #[serde(default)]
    pub members: Vec<String>,
    /// The members that are running; a member missing here is down or unreachable.
    #[serde(default)]
    pub online: Vec<String>,
    /// The node of the replica that leads (quorum queues and streams).
    pub leader: Option<String>,
    /// 4.3+ quorum queues: the delayed-retry setting as the broker words it (`disabled`,
    /// `failed (min: 1000ms, max: 5000ms)`); `None` on older brokers and other queue types.
    pub delayed_retry: Option<String>,
    /// 4.3+ quorum queues: messages waiting out a delayed retry.
    #[ts(type = "number | null")]
    pub messages_delayed: Option<u64>,
    /// 4.3+ quorum queues: messages being dead-lettered at-least-once (not yet confirmed by
    /// the dead-letter target).
    #[ts(type = "number | null")]
    pub messages_dlx: Option<u64>,
    /// Change in `messages` since the previous refresh of the window's inventory.
    #[ts(optional, type = "number")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_delta: Option<i64>,
    /// The name in lower case, computed once, for case-insensitive matching.
    #[serde(skip)]
    #[ts(skip)]
    pub(crate) name_lower: String,
}

/// One item of `GET /api/queues` as the broker sent it. Parsed straight from the page (no
/// intermediate `Value` tree per item: that was most of the cost of a page). Scalars stay
/// loosely typed so a newer or older broker that sends a field as another type, `null`, or not
/// at all costs that field, never the page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApiQueue {
    name: Option<Value>,
    vhost: Option<Value>,
    #[serde(rename = "type")]
    queue_type: Option<Value>,
    state: Option<Value>,
    durable: Option<Value>,
    exclusive: Option<Value>,
    auto_delete: Option<Value>,
    messages: Option<Value>,
    messages_ready: Option<Value>,
    messages_unacknowledged: Option<Value>,
    consumers: Option<Value>,
    consumer_utilisation: Option<Value>,
    memory: Option<Value>,
    message_stats: Option<MessageStats>,
    policy: Option<Value>,
    effective_policy_definition: Option<PolicyDefinition>,
    arguments: Option<Value>,
    node: Option<Value>,
    idle_since: Option<Value>,
    delivery_limit: Option<Value>,
    members: Option<Value>,
    online: Option<Value>,
    leader: Option<Value>,
    delayed_retry: Option<Value>,
    messages_delayed: Option<Value>,
    messages_dlx: Option<Value>,
}

/// The rates Warren shows; any other statistic is skipped unparsed. (Typed rather than a
/// `Value` map: a page has hundreds of these.)
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MessageStats {
    publish_details: Option<RateDetails>,
    deliver_get_details: Option<RateDetails>,
    ack_details: Option<RateDetails>,
    redeliver_details: Option<RateDetails>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RateDetails {
    rate: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PolicyDefinition {
    #[serde(rename = "dead-letter-exchange")]
    dead_letter_exchange: Option<Value>,
    #[serde(rename = "dead-letter-routing-key")]
    dead_letter_routing_key: Option<Value>,
    #[serde(rename = "delivery-limit")]
    delivery_limit: Option<Value>,
}

fn count(v: &Option<Value>) -> u64 {
    v.as_ref().and_then(Value::as_u64).unwrap_or(0)
}

fn flag(v: &Option<Value>) -> bool {
    v.as_ref().and_then(Value::as_bool).unwrap_or(false)
}

fn text(v: Option<Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

fn names(v: Option<Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A limit as the broker or a user wrote it: a number, or a numeric string (arguments set
/// through some tools). Negative means unlimited on 4.x.
fn limit(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The delivery limit of a quorum queue. A 4.x row states the effective one (`delivery_limit`,
/// default 20; a negative or `unlimited` value means none). Older brokers leave it out: the
/// argument and the policy key apply, the lower winning, and no setting means no limit.
fn delivery_limit(
    queue_type: &str,
    reported: Option<&Value>,
    argument: Option<&Value>,
    from_policy: Option<&Value>,
) -> Option<u64> {
    if queue_type != "quorum" {
        return None;
    }
    if let Some(v) = reported.filter(|v| !v.is_null()) {
        return limit(Some(v)).and_then(|n| u64::try_from(n).ok());
    }
    [limit(argument), limit(from_policy)]
        .into_iter()
        .flatten()
        .filter(|n| *n >= 0)
        .min()
        .map(|n| n as u64)
}

fn rate(details: &Option<RateDetails>) -> f64 {
    details
        .as_ref()
        .and_then(|d| d.rate.as_ref())
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
}

impl From<ApiQueue> for QueueRow {
    /// Dead-letter settings come from the queue's arguments, else from its effective policy.
    fn from(q: ApiQueue) -> QueueRow {
        let arguments = match q.arguments {
            Some(Value::Object(map)) => map,
            _ => Default::default(),
        };
        let policy = q.effective_policy_definition.unwrap_or_default();
        let setting = |arg: &str, from_policy: &Option<Value>| {
            arguments
                .get(arg)
                .and_then(Value::as_str)
                .or_else(|| from_policy.as_ref().and_then(Value::as_str))
                .map(str::to_string)
        };
        let stats = q.message_stats.unwrap_or_default();
        let name = text(q.name).unwrap_or_default();
        let queue_type = text(q.queue_type).unwrap_or_else(|| "classic".into());
        let delivery_limit = delivery_limit(
            &queue_type,
            q.delivery_limit.as_ref(),
            arguments.get("x-delivery-limit"),
            policy.delivery_limit.as_ref(),
        );
        QueueRow {
            vhost: text(q.vhost).unwrap_or_else(|| "/".into()),
            name_lower: name.to_lowercase(),
            name,
            queue_type,
            delivery_limit,
            members: names(q.members),
            online: names(q.online),
            leader: text(q.leader),
            delayed_retry: text(q.delayed_retry),
            messages_delayed: q.messages_delayed.as_ref().and_then(Value::as_u64),
            messages_dlx: q.messages_dlx.as_ref().and_then(Value::as_u64),
            state: text(q.state).unwrap_or_else(|| "running".into()),
            durable: flag(&q.durable),
            exclusive: flag(&q.exclusive),
            auto_delete: flag(&q.auto_delete),
            messages: count(&q.messages),
            messages_ready: count(&q.messages_ready),
            messages_unacknowledged: count(&q.messages_unacknowledged),
            consumers: count(&q.consumers),
            consumer_utilisation: q.consumer_utilisation.as_ref().and_then(Value::as_f64),
            memory: count(&q.memory),
            publish_rate: rate(&stats.publish_details),
            deliver_rate: rate(&stats.deliver_get_details),
            ack_rate: rate(&stats.ack_details),
            redeliver_rate: rate(&stats.redeliver_details),
            policy: text(q.policy),
            dead_letter_exchange: setting("x-dead-letter-exchange", &policy.dead_letter_exchange),
            dead_letter_routing_key: setting(
                "x-dead-letter-routing-key",
                &policy.dead_letter_routing_key,
            ),
            node: text(q.node).unwrap_or_default(),
            idle_since: text(q.idle_since).and_then(|s| parse_idle_since(&s)),
            arguments,
            worker: None,
            realm: None,
            messages_delta: None,
        }
    }
}

impl QueueRow {
    /// A row that names a queue and knows nothing else about it yet.
    pub fn named(vhost: &str, name: &str) -> QueueRow {
        QueueRow {
            vhost: vhost.into(),
            name: name.into(),
            name_lower: name.to_lowercase(),
            ..Default::default()
        }
    }

    /// One item of the management API's queue listing, already parsed (tests, tools).
    pub fn from_api(v: &Value) -> QueueRow {
        ApiQueue::deserialize(v)
            .map(QueueRow::from)
            .unwrap_or_default()
    }

    /// The delivery limit of the queue in `v` (one item of the queue API), applying `default`
    /// (the line's, see `lines::Line::default_delivery_limit`) when neither the broker nor an
    /// argument or policy says anything: a 4.0 row lacks `delivery_limit` until its first
    /// statistics arrive, seconds after the queue was declared.
    pub fn delivery_limit_or(v: &Value, default: Option<u64>) -> Option<u64> {
        let row = QueueRow::from_api(v);
        if row.queue_type != "quorum" || row.delivery_limit.is_some() {
            return row.delivery_limit;
        }
        let said = v.get("delivery_limit").is_some_and(|l| !l.is_null())
            || row.arguments.contains_key("x-delivery-limit")
            || v.pointer("/effective_policy_definition/delivery-limit")
                .is_some();
        if said {
            None
        } else {
            default
        }
    }

    pub fn name_lower(&self) -> &str {
        &self.name_lower
    }
}

/// `idle_since` is "2026-11-25 21:30:01" (UTC, 3.x) or RFC 3339 in newer brokers.
fn parse_idle_since(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = s.split_once([' ', 'T'])?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.split(['.', '+']).next()?;
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next().flatten().unwrap_or(0));
    Some(days_from_civil(y, m, day) * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm); small
/// enough not to pull in a date library for one timestamp format.
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_full_item_maps_every_field() {
        let row = QueueRow::from_api(&json!({
            "name": "billing.Acme", "vhost": "prod", "type": "quorum", "state": "running",
            "durable": true, "messages": 12, "messages_ready": 10, "messages_unacknowledged": 2,
            "consumers": 3, "consumer_utilisation": 0.5, "memory": 2048, "policy": "ha",
            "arguments": {"x-dead-letter-exchange": "dlx", "x-queue-type": "quorum"},
            "message_stats": {"publish_details": {"rate": 1.5}, "deliver_get_details": {"rate": 2.0}},
            "node": "rabbit@a", "idle_since": "2026-11-25 21:30:01"
        }));
        assert_eq!(row.queue_type, "quorum");
        assert_eq!(
            (
                row.messages,
                row.messages_ready,
                row.messages_unacknowledged
            ),
            (12, 10, 2)
        );
        assert_eq!(row.publish_rate, 1.5);
        assert_eq!(row.deliver_rate, 2.0);
        assert_eq!(row.dead_letter_exchange.as_deref(), Some("dlx"));
        assert_eq!(row.name_lower(), "billing.acme");
        assert_eq!(row.idle_since, Some(1_795_642_201)); // date -d "2026-11-25 21:30:01 UTC" +%s
    }

    #[test]
    fn a_trimmed_or_idle_item_gets_defaults() {
        let row = QueueRow::from_api(&json!({"name": "q", "vhost": "/"}));
        assert_eq!(row.queue_type, "classic");
        assert_eq!(row.messages, 0);
        assert_eq!(row.publish_rate, 0.0);
        assert!(row.dead_letter_exchange.is_none());
    }

    #[test]
    fn the_dead_letter_exchange_may_come_from_the_policy() {
        let row = QueueRow::from_api(
            &json!({"name": "q", "effective_policy_definition": {"dead-letter-exchange": "pdlx"}}),
        );
        assert_eq!(row.dead_letter_exchange.as_deref(), Some("pdlx"));
    }

    #[test]
    fn fields_of_another_type_cost_only_themselves() {
        // Empty proplists come out of older brokers as `[]`; a newer one may send null or strings.
        let row = QueueRow::from_api(&json!({
            "name": "q", "message_stats": [], "messages": "12", "durable": null, "arguments": [],
            "effective_policy_definition": [], "consumers": 2, "new_field": {"nested": true}
        }));
        assert_eq!(
            (row.name.as_str(), row.messages, row.consumers, row.durable),
            ("q", 0, 2, false)
        );
        assert!(row.arguments.is_empty());
    }

    #[test]
    fn a_4x_quorum_row_states_its_limit_members_and_leader() {
        let row = QueueRow::from_api(&json!({
            "name": "q", "type": "quorum", "delivery_limit": 20,
            "members": ["rabbit@a", "rabbit@b"], "online": ["rabbit@a"], "leader": "rabbit@a",
            "messages_delayed": 4, "messages_dlx": 1, "delayed_retry": "failed (min: 1000ms, max: 5000ms)"
        }));
        assert_eq!(row.delivery_limit, Some(20));
        assert_eq!(row.members, ["rabbit@a", "rabbit@b"]);
        assert_eq!(row.online, ["rabbit@a"]);
        assert_eq!(row.leader.as_deref(), Some("rabbit@a"));
        assert_eq!((row.messages_delayed, row.messages_dlx), (Some(4), Some(1)));
        assert_eq!(
            row.delayed_retry.as_deref(),
            Some("failed (min: 1000ms, max: 5000ms)")
        );
        // A limit of -1 or "unlimited" on 4.x means none.
        for v in [json!(-1), json!("unlimited")] {
            let row =
                QueueRow::from_api(&json!({"name": "q", "type": "quorum", "delivery_limit": v}));
            assert_eq!(row.delivery_limit, None);
        }
    }

    #[test]
    fn a_3x_quorum_limit_comes_from_the_argument_or_policy_the_lower_winning() {
        let row = QueueRow::from_api(&json!({"name": "q", "type": "quorum"}));
        assert_eq!(row.delivery_limit, None, "3.x: no setting, no limit");
        let row = QueueRow::from_api(&json!({
            "name": "q", "type": "quorum", "arguments": {"x-delivery-limit": 7},
            "effective_policy_definition": {"delivery-limit": 5}
        }));
        assert_eq!(row.delivery_limit, Some(5));
        let row = QueueRow::from_api(&json!({
            "name": "q", "type": "classic", "arguments": {"x-delivery-limit": 7}, "delivery_limit": 3
        }));
        assert_eq!(row.delivery_limit, None, "only quorum queues have one");
        let row = QueueRow::from_api(&json!({"name": "s", "type": "stream"}));
        assert!(row.members.is_empty() && row.leader.is_none());
    }

    #[test]
    fn the_line_default_applies_only_when_nothing_is_said() {
        let q = |v| QueueRow::delivery_limit_or(&v, Some(20));
        assert_eq!(q(json!({"type": "quorum"})), Some(20));
        assert_eq!(
            q(json!({"type": "quorum", "arguments": {"x-delivery-limit": -1}})),
            None
        );
        assert_eq!(
            q(json!({"type": "quorum", "delivery_limit": "unlimited"})),
            None
        );
        assert_eq!(
            q(json!({"type": "quorum", "arguments": {"x-delivery-limit": 4}})),
            Some(4)
        );
        assert_eq!(q(json!({"type": "classic"})), None);
    }

    #[test]
    fn idle_since_parses_both_formats() {
        assert_eq!(parse_idle_since("1970-01-02 00:00:00"), Some(86_400));
        assert_eq!(parse_idle_since("1970-01-01T01:00:00.123Z"), Some(3600));
        assert_eq!(parse_idle_since("garbage"), None);
    }
}
