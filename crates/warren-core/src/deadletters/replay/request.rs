//! What a replay acts on and where each message goes: the target, the scope, the decision the
//! plan and the engine share, and the request a front end sends.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use lapin::types::FieldTable;
use lapin::BasicProperties;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::broker::amqp::{check_name, SHORT_STRING_MAX};
use crate::deadletters::filter::{DeadLetterFilter, Facts};
use crate::deadletters::framework;
use crate::deadletters::message::{message_key, origin_of};
use crate::deadletters::xdeath::{self};
use crate::error::{Error, Result};
use crate::template::RealmTemplate;

/// Where replayed messages go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Target {
    /// The queue each message died in (`x-death[0]`), through the default exchange: no other
    /// queue gets a copy.
    Origin,
    /// The exchange and routing keys it was published with (`x-death[0]`): every queue bound to
    /// them gets a copy.
    OriginalExchange,
    Queue {
        name: String,
    },
    /// An exchange, with a routing key (else each message's original one).
    Exchange {
        name: String,
        #[ts(optional)]
        #[serde(skip_serializing_if = "Option::is_none")]
        routing_key: Option<String>,
    },
}

impl FromStr for Target {
    type Err = String;
    /// `origin`, `original-exchange`, `queue:NAME`, `exchange:NAME[:KEY]`.
    fn from_str(s: &str) -> std::result::Result<Target, String> {
        let bad = || {
            format!("unknown target `{s}`: use origin, original-exchange, queue:NAME or exchange:NAME[:KEY]")
        };
        match s.split_once(':') {
            None if s == "origin" => Ok(Target::Origin),
            None if s == "original-exchange" => Ok(Target::OriginalExchange),
            Some(("queue", name)) if !name.is_empty() => Ok(Target::Queue { name: name.into() }),
            Some(("exchange", rest)) if !rest.is_empty() => Ok(match rest.split_once(':') {
                Some((name, key)) => Target::Exchange {
                    name: name.into(),
                    routing_key: Some(key.into()),
                },
                None => Target::Exchange {
                    name: rest.into(),
                    routing_key: None,
                },
            }),
            _ => Err(bad()),
        }
    }
}

/// Where one message goes: exchange, routing key, and extra keys (`CC`) for a message that was
/// originally routed with several.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Destination {
    pub exchange: String,
    pub routing_key: String,
    pub cc: Vec<String>,
}

impl Destination {
    pub fn label(&self) -> String {
        if self.exchange.is_empty() {
            format!("queue {}", self.routing_key)
        } else {
            format!("exchange {} key {}", self.exchange, self.routing_key)
        }
    }
}

/// The destination of a message under `target`; `None` when the message does not say where it
/// came from (no `x-death` and no framework failure headers), which a replay to its origin
/// cannot fix. A framework's error queue (see `framework`): its origin is the queue the
/// framework names, or Spring's original exchange and routing key (also its original exchange).
pub fn destination(target: &Target, headers: Option<&FieldTable>) -> Option<Destination> {
    let deaths = xdeath::deaths(headers).unwrap_or_default();
    let newest = deaths.first();
    let framework_destination = || {
        let (exchange, routing_key) = framework::failure(headers)?.destination()?;
        Some(Destination {
            exchange,
            routing_key,
            cc: vec![],
        })
    };
    match target {
        Target::Origin => match xdeath::last_death(headers, &deaths) {
            Some(d) => Some(Destination {
                exchange: String::new(),
                routing_key: d.queue,
                cc: vec![],
            }),
            None => framework_destination(),
        },
        Target::OriginalExchange if newest.is_none() => {
            framework_destination().filter(|d| !d.exchange.is_empty())
        }
        Target::OriginalExchange => {
            let d = newest?;
            let mut keys = d.routing_keys.clone().into_iter();
            let first = keys.next().unwrap_or_default();
            Some(Destination {
                exchange: d.exchange.clone(),
                routing_key: first,
                cc: keys.collect(),
            })
        }
        Target::Queue { name } => Some(Destination {
            exchange: String::new(),
            routing_key: name.clone(),
            cc: vec![],
        }),
        Target::Exchange { name, routing_key } => Some(Destination {
            exchange: name.clone(),
            routing_key: routing_key
                .clone()
                .or_else(|| newest.and_then(|d| d.routing_keys.first().cloned()))
                .or_else(|| framework::failure(headers).and_then(|f| f.routing_key))
                .unwrap_or_default(),
            cc: vec![],
        }),
    }
}

/// What a run acts on. Messages outside it are kept.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub filter: DeadLetterFilter,
    /// Message keys (`DeadLetter::key`) chosen in the window; `None`: every message.
    pub keys: Option<Vec<String>>,
    /// The template that maps an origin queue to its realm (for `realm:`/`worker:` filters).
    pub template: Option<RealmTemplate>,
}

impl Scope {
    /// Is this message (in `vhost`, with these decoded deaths) in scope? A selected key is
    /// taken from `selection`, so each occurrence is chosen once.
    pub(crate) fn selects(
        &self,
        vhost: &str,
        props: &BasicProperties,
        body: &[u8],
        deaths: &[xdeath::Death],
        selection: Option<&mut Selection>,
    ) -> bool {
        let origin = origin_of(props.headers().as_ref(), deaths);
        let (worker, realm) = match (&self.template, &origin) {
            (Some(t), Some((o, _))) => t
                .map(vhost, o)
                .map_or((None, None), |(w, r)| (Some(w), Some(r))),
            _ => (None, None),
        };
        let facts = Facts {
            reason: origin.as_ref().map_or("", |o| o.1.as_str()),
            origin: origin.as_ref().map_or("", |o| o.0.as_str()),
            realm,
            worker,
            exchange: deaths.first().map_or("", |d| d.exchange.as_str()),
        };
        self.filter.matches(&facts)
            && selection.is_none_or(|sel| sel.take(&message_key(props, body, deaths)))
    }
}

/// Where a message goes in a run, or why it stays. The plan and the engine both decide by it.
pub(crate) fn decide(
    options: &ReplayOptions,
    vhost: &str,
    props: &BasicProperties,
    body: &[u8],
    deaths: &[xdeath::Death],
    selection: Option<&mut Selection>,
) -> std::result::Result<Destination, Keep> {
    if !options.scope.selects(vhost, props, body, deaths, selection) {
        return Err(Keep::OutOfScope);
    }
    let headers = props.headers().as_ref();
    // Replays by the client path (its header) and by the broker path (its shovels' records).
    if xdeath::replay_mark(headers).map_or(0, |m| m.count) >= options.max_replays {
        return Err(Keep::LoopGuard);
    }
    let d = destination(&options.target, headers).ok_or(Keep::NoOrigin)?;
    // AMQP cannot even name a longer exchange or queue (lapin would panic on it).
    if d.exchange.len() > SHORT_STRING_MAX || d.routing_key.len() > SHORT_STRING_MAX {
        return Err(Keep::NameTooLong);
    }
    Ok(d)
}

/// The target's own names, checked before anything is read.
pub(super) fn check_target(target: &Target) -> Result<()> {
    match target {
        Target::Origin | Target::OriginalExchange => Ok(()),
        Target::Queue { name } => Ok(check_name("target queue name", name)?),
        Target::Exchange { name, routing_key } => {
            check_name("target exchange name", name)?;
            Ok(check_name(
                "routing key",
                routing_key.as_deref().unwrap_or(""),
            )?)
        }
    }
}

/// The default loop guard: a message Warren already replayed this often is kept.
pub const DEFAULT_MAX_REPLAYS: u32 = 5;
/// Unacked DLQ deliveries at most (the prefetch): the most a lost connection can duplicate.
pub const DEFAULT_WINDOW: u16 = 2000;
/// The bodies kept for in-flight messages stay under this (big messages shrink the window).
pub(super) const INFLIGHT_BYTES: usize = 64 * 1024 * 1024;
/// With no delivery for this long the queue holds fewer messages than it said: stop.
pub(super) const IDLE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct ReplayOptions {
    pub target: Target,
    pub scope: Scope,
    /// Discard the messages in scope (ack them without a copy) instead of replaying them.
    pub discard: bool,
    pub max_replays: u32,
    pub window: u16,
    /// How many messages the scope selects, when the caller knows (the plan's count, the
    /// group's count it showed): progress counts against it. A selection by keys and a run
    /// without a filter know it themselves.
    pub expected_in_scope: Option<u64>,
    /// May the run take the broker-side path (a shovel) when it qualifies? The front ends say
    /// yes; the default is the client path.
    pub broker_path: bool,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            target: Target::Origin,
            scope: Scope::default(),
            discard: false,
            max_replays: DEFAULT_MAX_REPLAYS,
            window: DEFAULT_WINDOW,
            expected_in_scope: None,
            broker_path: false,
        }
    }
}

/// What a front end asks a replay (or discard) to act on; its plan and its run take the same.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReplayRequest {
    pub vhost: String,
    pub queue: String,
    pub target: Target,
    /// The dead-letter filter (`reason:rejected origin:billing.acme`); empty: all.
    #[serde(default)]
    pub filter: String,
    /// Message keys from a browse; `null`: every message the filter selects.
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    #[serde(default)]
    pub discard: bool,
    /// How many messages the front end expects in scope (the plan's or the group's count), so
    /// progress can say "35 of 35" rather than count the whole DLQ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub expected: Option<u64>,
}

impl ReplayRequest {
    /// The run's options: the filter parsed, realm filters mapped by `template` (the
    /// inventory's), and no loop guard for a discard (it removes; there is no loop to guard).
    pub fn options(&self, template: Option<&RealmTemplate>) -> Result<ReplayOptions> {
        let filter = DeadLetterFilter::parse(&self.filter)
            .map_err(|e| Error::InvalidArgument(format!("filter: {e}")))?;
        Ok(ReplayOptions {
            target: self.target.clone(),
            scope: Scope {
                filter,
                keys: self.keys.clone(),
                template: template.cloned(),
            },
            discard: self.discard,
            max_replays: if self.discard {
                u32::MAX
            } else {
                DEFAULT_MAX_REPLAYS
            },
            expected_in_scope: self.expected,
            broker_path: true,
            ..Default::default()
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    OutOfScope,
    LoopGuard,
    /// No `x-death` (or the target needs one): nowhere to go back to. Counted as unroutable.
    NoOrigin,
    NameTooLong,
    Unroutable,
    Nacked,
}

/// The message keys still to be found in a run (a multiset: identical messages share a key).
pub(crate) struct Selection(HashMap<String, u32>);

impl Selection {
    pub(crate) fn new(keys: &[String]) -> Selection {
        let mut m = HashMap::new();
        for k in keys {
            *m.entry(k.clone()).or_insert(0u32) += 1;
        }
        Selection(m)
    }

    /// Take one occurrence of `key`; false if it was not (or no longer) selected.
    pub(crate) fn take(&mut self, key: &str) -> bool {
        match self.0.get_mut(key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
    pub(crate) fn exhausted(&self) -> bool {
        self.0.values().all(|n| *n == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadletters::xdeath::tests::{any_value, death_entry, headers_with};
    use crate::deadletters::xdeath::REPLAY_COUNT;

    #[test]
    fn targets_parse_from_the_cli_forms() {
        assert_eq!("origin".parse::<Target>().unwrap(), Target::Origin);
        assert_eq!(
            "original-exchange".parse::<Target>().unwrap(),
            Target::OriginalExchange
        );
        assert_eq!(
            "queue:retry".parse::<Target>().unwrap(),
            Target::Queue {
                name: "retry".into()
            }
        );
        assert_eq!(
            "exchange:work:billing.acme".parse::<Target>().unwrap(),
            Target::Exchange {
                name: "work".into(),
                routing_key: Some("billing.acme".into())
            }
        );
        assert!("queue:".parse::<Target>().is_err());
        assert!("somewhere"
            .parse::<Target>()
            .unwrap_err()
            .contains("use origin"));
    }

    #[test]
    fn destinations_follow_the_newest_death() {
        let h = headers_with(vec![
            death_entry("billing.retry", "expired", 1),
            death_entry("billing.acme", "rejected", 1),
        ]);
        let d = destination(&Target::Origin, Some(&h)).unwrap();
        assert_eq!(
            (d.exchange.as_str(), d.routing_key.as_str()),
            ("", "billing.retry")
        );
        let d = destination(&Target::OriginalExchange, Some(&h)).unwrap();
        assert_eq!(
            (d.exchange.as_str(), d.routing_key.as_str()),
            ("work", "billing.retry")
        );
        let d = destination(
            &Target::Exchange {
                name: "x".into(),
                routing_key: None,
            },
            Some(&h),
        )
        .unwrap();
        assert_eq!(d.routing_key, "billing.retry");
        assert!(
            destination(&Target::Origin, None).is_none(),
            "no x-death, no origin"
        );
        assert!(destination(&Target::Queue { name: "q".into() }, None).is_some());
    }

    proptest::proptest! {
        #[test]
        fn the_planner_decides_every_hostile_message_without_panicking(
            death in any_value(),
            first in any_value(),
            replays in any_value(),
            target in proptest::sample::select(vec!["origin", "original-exchange", "queue:q", "exchange:x"]),
        ) {
            let mut h = FieldTable::default();
            h.insert("x-death".into(), death);
            h.insert("x-first-death-queue".into(), first.clone());
            h.insert("x-last-death-queue".into(), first);
            h.insert(REPLAY_COUNT.into(), replays);
            let props = BasicProperties::default().with_headers(h);
            let options = ReplayOptions { target: target.parse().unwrap(), ..Default::default() };
            let deaths = xdeath::deaths(props.headers().as_ref()).unwrap_or_default();
            if let Ok(d) = decide(&options, "/", &props, b"body", &deaths, None) {
                proptest::prop_assert!(d.exchange.len() <= SHORT_STRING_MAX && d.routing_key.len() <= SHORT_STRING_MAX);
            }
        }
    }

    #[test]
    fn framework_error_queue_messages_go_back_where_the_framework_says() {
        use crate::deadletters::framework::tests::table;
        let mt = table(&[
            (
                "MT-Fault-InputAddress",
                "rabbitmq://localhost/shop/orders?bind=true",
            ),
            ("MT-Reason", "fault"),
        ]);
        let d = destination(&Target::Origin, Some(&mt)).unwrap();
        assert_eq!(
            (d.exchange.as_str(), d.routing_key.as_str()),
            ("", "orders")
        );
        // MassTransit does not record an exchange: no original exchange to go to.
        assert!(destination(&Target::OriginalExchange, Some(&mt)).is_none());
        let nsb = table(&[("NServiceBus.FailedQ", "Sales@WEB01")]);
        let d = destination(&Target::Origin, Some(&nsb)).unwrap();
        assert_eq!(d.routing_key, "Sales");
        let spring = table(&[
            ("x-original-exchange", "orders.exchange"),
            ("x-original-routingKey", "orders.created"),
            ("x-exception-message", "boom"),
        ]);
        for t in [Target::Origin, Target::OriginalExchange] {
            let d = destination(&t, Some(&spring)).unwrap();
            assert_eq!(
                (d.exchange.as_str(), d.routing_key.as_str()),
                ("orders.exchange", "orders.created")
            );
        }
        // The broker's record wins over a framework's.
        let mut both = headers_with(vec![death_entry("billing.acme", "rejected", 1)]);
        both.insert(
            "NServiceBus.FailedQ".into(),
            lapin::types::AMQPValue::LongString("Sales".into()),
        );
        assert_eq!(
            destination(&Target::Origin, Some(&both))
                .unwrap()
                .routing_key,
            "billing.acme"
        );
    }

    #[test]
    fn a_selection_is_a_multiset() {
        let mut s = Selection(HashMap::from([("k".to_string(), 2)]));
        assert!(s.take("k") && s.take("k"));
        assert!(!s.take("k") && !s.take("other"));
        assert!(s.exhausted());
    }
}
