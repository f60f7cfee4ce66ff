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
        QueueRow {
            vhost: text(q.vhost).unwrap_or_else(|| "/".into()),
            name_lower: name.to_lowercase(),
            name,
            queue_type: text(q.queue_type).unwrap_or_else(|| "classic".into()),
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
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
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
    fn idle_since_parses_both_formats() {
        assert_eq!(parse_idle_since("1970-01-02 00:00:00"), Some(86_400));
        assert_eq!(parse_idle_since("1970-01-01T01:00:00.123Z"), Some(3600));
        assert_eq!(parse_idle_since("garbage"), None);
    }
}
