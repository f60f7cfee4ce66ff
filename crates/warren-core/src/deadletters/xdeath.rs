//! The broker's record of why a message was dead-lettered: the `x-death` header (a list, newest
//! death first, one entry per (queue, reason) with a count) plus `x-first-death-*` (and, since
//! RabbitMQ 3.12, `x-last-death-*`). Also Warren's own replay header, which counts replays
//! because `x-death`'s `count` stopped incrementing in 3.13.
//!
//! Decoding is lenient about what it does not need (an unknown field, an odd integer type) and
//! precise about what it does: a malformed entry is an error that names its position.

use lapin::types::{AMQPValue, FieldTable};
use serde::Serialize;
use ts_rs::TS;

/// Warren's replay header: how many times Warren replayed the message (the loop guard reads it).
pub const REPLAY_COUNT: &str = "x-warren-replay-count";
/// The id of the replay run that last moved the message, and when (Unix seconds).
pub const REPLAY_ID: &str = "x-warren-replay-id";
pub const REPLAY_TIME: &str = "x-warren-replay-time";

/// One entry of `x-death`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Death {
    pub queue: String,
    pub reason: String,
    pub exchange: String,
    pub routing_keys: Vec<String>,
    #[ts(type = "number")]
    pub count: u64,
    /// Unix seconds of the (latest) death at this queue for this reason.
    #[ts(optional, type = "number")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<i64>,
}

/// Where and why a message died the first and the last time.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct DeathSummary {
    pub queue: String,
    pub reason: String,
    pub exchange: String,
}

/// Warren's replay marks on a message.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct ReplayMark {
    pub count: u32,
    pub id: Option<String>,
    #[ts(optional, type = "number")]
    pub time: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("x-death{position}: {message}")]
pub struct XDeathError {
    /// Where in the header: `[2].queue`, or empty for the header itself.
    pub position: String,
    pub message: String,
}

fn err(position: impl Into<String>, message: impl Into<String>) -> XDeathError {
    XDeathError {
        position: position.into(),
        message: message.into(),
    }
}

pub fn as_text(v: &AMQPValue) -> Option<String> {
    match v {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}

pub fn as_int(v: &AMQPValue) -> Option<i64> {
    Some(match *v {
        AMQPValue::ShortShortInt(i) => i64::from(i),
        AMQPValue::ShortShortUInt(i) => i64::from(i),
        AMQPValue::ShortInt(i) => i64::from(i),
        AMQPValue::ShortUInt(i) => i64::from(i),
        AMQPValue::LongInt(i) => i64::from(i),
        AMQPValue::LongUInt(i) => i64::from(i),
        AMQPValue::LongLongInt(i) => i,
        AMQPValue::Timestamp(t) => i64::try_from(t).ok()?,
        _ => return None,
    })
}

/// Decode `x-death` from a message's headers; no header is an empty list.
pub fn deaths(headers: Option<&FieldTable>) -> Result<Vec<Death>, XDeathError> {
    let Some(value) = headers.and_then(|h| h.inner().get("x-death")) else {
        return Ok(Vec::new());
    };
    let AMQPValue::FieldArray(items) = value else {
        return Err(err("", "is not a list"));
    };
    items
        .as_slice()
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let AMQPValue::FieldTable(t) = item else {
                return Err(err(format!("[{i}]"), "is not a table"));
            };
            let t = t.inner();
            let text = |k: &str| -> Result<String, XDeathError> {
                t.get(k)
                    .and_then(as_text)
                    .ok_or_else(|| err(format!("[{i}].{k}"), "is missing or not a string"))
            };
            let routing_keys = match t.get("routing-keys") {
                Some(AMQPValue::FieldArray(keys)) => keys
                    .as_slice()
                    .iter()
                    .enumerate()
                    .map(|(j, k)| {
                        as_text(k).ok_or_else(|| {
                            err(format!("[{i}].routing-keys[{j}]"), "is not a string")
                        })
                    })
                    .collect::<Result<_, _>>()?,
                None => Vec::new(),
                Some(_) => return Err(err(format!("[{i}].routing-keys"), "is not a list")),
            };
            Ok(Death {
                queue: text("queue")?,
                reason: text("reason")?,
                exchange: t.get("exchange").and_then(as_text).unwrap_or_default(),
                routing_keys,
                count: t.get("count").and_then(as_int).unwrap_or(1).max(0) as u64,
                time: t.get("time").and_then(as_int),
            })
        })
        .collect()
}

fn summary(headers: Option<&FieldTable>, prefix: &str) -> Option<DeathSummary> {
    let t = headers?.inner();
    let get = |k: &str| t.get(format!("{prefix}-{k}").as_str()).and_then(as_text);
    Some(DeathSummary {
        queue: get("queue")?,
        reason: get("reason").unwrap_or_default(),
        exchange: get("exchange").unwrap_or_default(),
    })
}

/// Where the message died first: `x-first-death-*`, else the oldest `x-death` entry.
pub fn first_death(headers: Option<&FieldTable>, deaths: &[Death]) -> Option<DeathSummary> {
    summary(headers, "x-first-death").or_else(|| deaths.last().map(to_summary))
}

/// Where it died last: `x-last-death-*` (3.12+), else the newest `x-death` entry.
pub fn last_death(headers: Option<&FieldTable>, deaths: &[Death]) -> Option<DeathSummary> {
    summary(headers, "x-last-death").or_else(|| deaths.first().map(to_summary))
}

fn to_summary(d: &Death) -> DeathSummary {
    DeathSummary {
        queue: d.queue.clone(),
        reason: d.reason.clone(),
        exchange: d.exchange.clone(),
    }
}

/// Warren's replays: the client path's header, plus one for each `x-shovelled` record of a
/// broker-side replay (its shovels are named `warren-replay-<id>-<n>`; a client-path copy folds
/// them into its header, so the records are newer than the header).
pub fn replay_mark(headers: Option<&FieldTable>) -> Option<ReplayMark> {
    let t = headers?.inner();
    let count = t.get(REPLAY_COUNT).and_then(as_int);
    let shovelled = replay_shovels(headers);
    if count.is_none() && shovelled.is_empty() {
        return None;
    }
    let by_shovel = shovelled.first().map(|name| {
        let id = &name[REPLAY_SHOVEL_PREFIX.len()..];
        id.rsplit_once('-').map_or(id, |(id, _)| id).to_string()
    });
    Some(ReplayMark {
        count: (count.unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32)
            .saturating_add(shovelled.len() as u32),
        time: if by_shovel.is_some() {
            None
        } else {
            t.get(REPLAY_TIME).and_then(as_int)
        },
        id: by_shovel.or_else(|| t.get(REPLAY_ID).and_then(as_text)),
    })
}

/// The name prefix of the shovels (and temporary objects) of Warren's broker-side replays.
pub const REPLAY_SHOVEL_PREFIX: &str = "warren-replay-";

/// The header a **local** shovel (`src-protocol: local`; RabbitMQ 4.3 has them, 4.0 does not)
/// names itself in with `dest-add-forward-headers`, beside `x-opt-shovel-type` and
/// `x-opt-shovelled-by`. Unlike the AMQP 0-9-1 shovel's `x-shovelled` list it holds one name:
/// each pass replaces it.
pub const LOCAL_SHOVEL_MARK: &str = "x-opt-shovel-name";
/// Every header a local shovel's forward headers add.
pub const LOCAL_SHOVEL_HEADERS: [&str; 3] =
    [LOCAL_SHOVEL_MARK, "x-opt-shovel-type", "x-opt-shovelled-by"];

/// The name of Warren's replay shovel a local shovel left on the message, if any.
pub fn local_replay_shovel(headers: Option<&FieldTable>) -> Option<String> {
    headers?
        .inner()
        .get(LOCAL_SHOVEL_MARK)
        .and_then(as_text)
        .filter(|n| n.starts_with(REPLAY_SHOVEL_PREFIX))
}

/// The names of Warren's replay shovels the message went through (newest first): the local
/// shovel's mark, then the `x-shovelled` records.
pub fn replay_shovels(headers: Option<&FieldTable>) -> Vec<String> {
    let records = match headers.and_then(|h| h.inner().get("x-shovelled")) {
        Some(AMQPValue::FieldArray(a)) => a.as_slice(),
        _ => &[],
    };
    let recorded = records
        .iter()
        .filter_map(|r| match r {
            AMQPValue::FieldTable(t) => t.inner().get("shovel-name").and_then(as_text),
            _ => None,
        })
        .filter(|n| n.starts_with(REPLAY_SHOVEL_PREFIX));
    local_replay_shovel(headers)
        .into_iter()
        .chain(recorded)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use lapin::types::{FieldArray, LongString};

    pub fn death_entry(queue: &str, reason: &str, count: i64) -> AMQPValue {
        let mut t = FieldTable::default();
        t.insert("queue".into(), AMQPValue::LongString(queue.into()));
        t.insert("reason".into(), AMQPValue::LongString(reason.into()));
        t.insert("exchange".into(), AMQPValue::LongString("work".into()));
        t.insert(
            "routing-keys".into(),
            AMQPValue::FieldArray(FieldArray::from(vec![AMQPValue::LongString(
                LongString::from(queue),
            )])),
        );
        t.insert("count".into(), AMQPValue::LongLongInt(count));
        t.insert("time".into(), AMQPValue::Timestamp(1_764_000_000));
        AMQPValue::FieldTable(t)
    }

    pub fn headers_with(deaths: Vec<AMQPValue>) -> FieldTable {
        let mut h = FieldTable::default();
        h.insert("x-death".into(), AMQPValue::FieldArray(deaths.into()));
        h
    }

    #[test]
    fn decodes_a_message_that_died_twice_newest_first() {
        let h = headers_with(vec![
            death_entry("billing.retry", "expired", 1),
            death_entry("billing.acme", "rejected", 3),
        ]);
        let d = deaths(Some(&h)).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].queue, "billing.retry");
        assert_eq!(d[1].count, 3);
        assert_eq!(d[1].routing_keys, ["billing.acme"]);
        assert_eq!(d[1].time, Some(1_764_000_000));
        assert_eq!(first_death(Some(&h), &d).unwrap().queue, "billing.acme");
        assert_eq!(last_death(Some(&h), &d).unwrap().reason, "expired");
    }

    #[test]
    fn first_death_headers_win_over_the_list() {
        let mut h = headers_with(vec![death_entry("a", "rejected", 1)]);
        h.insert(
            "x-first-death-queue".into(),
            AMQPValue::LongString("origin".into()),
        );
        h.insert(
            "x-first-death-reason".into(),
            AMQPValue::LongString("maxlen".into()),
        );
        let d = deaths(Some(&h)).unwrap();
        let first = first_death(Some(&h), &d).unwrap();
        assert_eq!(
            (first.queue.as_str(), first.reason.as_str()),
            ("origin", "maxlen")
        );
    }

    #[test]
    fn malformed_entries_name_their_position() {
        let h = headers_with(vec![
            death_entry("a", "rejected", 1),
            AMQPValue::Boolean(true),
        ]);
        assert_eq!(deaths(Some(&h)).unwrap_err().position, "[1]");
        let mut bad = FieldTable::default();
        bad.insert("reason".into(), AMQPValue::LongString("x".into()));
        let h = headers_with(vec![AMQPValue::FieldTable(bad)]);
        let e = deaths(Some(&h)).unwrap_err();
        assert_eq!(e.position, "[0].queue");
        assert!(e.to_string().contains("missing"));
        let mut h = FieldTable::default();
        h.insert("x-death".into(), AMQPValue::LongString("nope".into()));
        assert!(deaths(Some(&h)).is_err());
        assert!(deaths(None).unwrap().is_empty());
    }

    /// A header value of any shape: what a hostile or broken publisher can put in a message
    /// (names past AMQP's 255 bytes included).
    pub(crate) fn any_value() -> impl proptest::strategy::Strategy<Value = AMQPValue> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            any::<bool>().prop_map(AMQPValue::Boolean),
            any::<i64>().prop_map(AMQPValue::LongLongInt),
            any::<u8>().prop_map(AMQPValue::ShortShortUInt),
            any::<u64>().prop_map(AMQPValue::Timestamp),
            any::<f64>().prop_map(AMQPValue::Double),
            ".{0,12}".prop_map(|s| AMQPValue::LongString(s.as_str().into())),
            "[a-z.]{250,300}".prop_map(|s| AMQPValue::LongString(s.as_str().into())),
            proptest::collection::vec(any::<u8>(), 0..8)
                .prop_map(|b| AMQPValue::LongString(b.into())),
            Just(AMQPValue::Void),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| AMQPValue::FieldArray(v.into())),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("queue".to_string()),
                        Just("reason".to_string()),
                        Just("exchange".to_string()),
                        Just("count".to_string()),
                        Just("routing-keys".to_string()),
                        Just("time".to_string()),
                        "[a-z]{1,6}"
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| {
                    let mut t = FieldTable::default();
                    for (k, v) in m {
                        t.insert(k.as_str().into(), v);
                    }
                    AMQPValue::FieldTable(t)
                }),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Hostile headers: any x-death value decodes or is an error with a position, never a panic.
        #[test]
        fn the_decoder_never_panics(v in any_value()) {
            let mut h = FieldTable::default();
            h.insert("x-death".into(), v);
            h.insert("x-first-death-queue".into(), AMQPValue::Boolean(true));
            match deaths(Some(&h)) {
                Ok(d) => { let _ = (first_death(Some(&h), &d), last_death(Some(&h), &d), replay_mark(Some(&h))); }
                Err(e) => proptest::prop_assert!(e.position.is_empty() || e.position.starts_with('[')),
            }
        }
    }

    #[test]
    fn replay_mark_reads_any_integer_type() {
        let mut h = FieldTable::default();
        h.insert(REPLAY_COUNT.into(), AMQPValue::ShortShortUInt(2));
        h.insert(REPLAY_ID.into(), AMQPValue::LongString("r1".into()));
        let m = replay_mark(Some(&h)).unwrap();
        assert_eq!((m.count, m.id.as_deref()), (2, Some("r1")));
        assert!(replay_mark(Some(&FieldTable::default())).is_none());
    }
}
