//! Which rules fire now, from one sample: its queues, the dead-letter queues among them, the
//! cluster's health when a rule asks for it, and the local history for growth over time.
//! Pure: the history is asked through `Past`, so it is unit-tested without a store.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::rules::AlertRule;
use crate::fleet::{Alarm, NodeCount};
use crate::queues::QueueRow;
use crate::realms::{rank, summarize, Metric};

/// A rule that fires, about one subject (a queue, a realm, a node).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Firing {
    pub rule_id: String,
    /// The rule's kind: dlq_growth, no_consumer, realm_backlog, node_down_or_alarm.
    pub kind: String,
    /// What it is about: `vhost/queue`, `vhost/realm` or a realm, `node:rabbit@b`, `alarm:memory@rabbit@b`.
    pub subject: String,
    pub message: String,
    pub value: f64,
}

/// What the history says of a queue's past (`None`: it does not cover the window).
pub trait Past {
    /// The fewest messages the queue held in the last `within_s` seconds.
    fn min_messages(&self, vhost: &str, queue: &str, within_s: u32) -> Option<f64>;
    /// Whether the queue had no consumer at every sample of the last `for_s` seconds, the
    /// window covered by samples from its start.
    fn no_consumer_for(&self, vhost: &str, queue: &str, for_s: u32) -> Option<bool>;
}

/// The cluster's nodes and alarms (a fleet probe's), for `node_down_or_alarm`.
pub struct Health<'a> {
    pub nodes: NodeCount,
    pub down: &'a [String],
    pub alarms: &'a [Alarm],
}

pub struct Inputs<'a> {
    pub rows: &'a [QueueRow],
    /// The dead-letter queues among `rows`, as (vhost, name).
    pub dlqs: &'a HashSet<(String, String)>,
    pub health: Option<Health<'a>>,
    pub past: &'a dyn Past,
    /// Unix seconds.
    pub now: i64,
}

/// Every firing of `rules` on these inputs.
pub fn evaluate(rules: &[AlertRule], i: &Inputs<'_>) -> Vec<Firing> {
    let mut out = vec![];
    for rule in rules {
        let fire = |subject: String, message: String, value: f64| Firing {
            rule_id: rule.id().to_string(),
            kind: rule.kind().to_string(),
            subject,
            message,
            value,
        };
        match rule {
            AlertRule::DlqGrowth {
                by,
                within_s,
                queue,
                ..
            } => {
                for r in i.rows.iter().filter(|r| {
                    named_or(queue, r, || {
                        i.dlqs.contains(&(r.vhost.clone(), r.name.clone()))
                    })
                }) {
                    let Some(min) = i.past.min_messages(&r.vhost, &r.name, *within_s) else {
                        continue;
                    };
                    let grew = r.messages as f64 - min;
                    if grew >= *by as f64 {
                        out.push(fire(
                            subject(r),
                            format!(
                                "DLQ {} grew by {grew:.0} in {} (now {})",
                                r.name,
                                span(*within_s),
                                r.messages
                            ),
                            grew,
                        ));
                    }
                }
            }
            AlertRule::NoConsumer { for_s, queue, .. } => {
                let candidates = i.rows.iter().filter(|r| {
                    r.messages > 0
                        && r.consumers == 0
                        && named_or(queue, r, || {
                            !i.dlqs.contains(&(r.vhost.clone(), r.name.clone()))
                        })
                });
                for r in candidates {
                    // The broker's idle time says it when it gives one; else the history.
                    let long_enough = match r.idle_since {
                        Some(since) => i.now - since >= i64::from(*for_s),
                        None => i.past.no_consumer_for(&r.vhost, &r.name, *for_s) == Some(true),
                    };
                    if long_enough {
                        out.push(fire(
                            subject(r),
                            format!(
                                "{} holds {} messages and has had no consumer for {}",
                                r.name,
                                r.messages,
                                span(*for_s)
                            ),
                            r.messages as f64,
                        ));
                    }
                }
            }
            AlertRule::RealmBacklog { above, realm, .. } => {
                let summary = summarize(i.rows);
                for g in rank(&summary.realms, Metric::Messages, None) {
                    if realm.as_ref().is_some_and(|want| *want != g.key)
                        || g.totals.messages <= *above
                    {
                        continue;
                    }
                    let subject = match &g.vhost {
                        Some(v) => format!("{v}/{}", g.key),
                        None => g.key.clone(),
                    };
                    out.push(fire(
                        subject,
                        format!(
                            "realm {} holds {} messages (above {above})",
                            g.key, g.totals.messages
                        ),
                        g.totals.messages as f64,
                    ));
                }
            }
            AlertRule::NodeDownOrAlarm { .. } => {
                let Some(h) = &i.health else { continue };
                for node in h.down {
                    out.push(fire(
                        format!("node:{node}"),
                        format!(
                            "node {node} is down ({} of {} running)",
                            h.nodes.running, h.nodes.total
                        ),
                        1.0,
                    ));
                }
                for a in h.alarms {
                    out.push(fire(
                        format!("alarm:{}@{}", a.resource, a.node),
                        format!("{} alarm on {}: publishers are blocked", a.resource, a.node),
                        1.0,
                    ));
                }
            }
        }
    }
    out
}

/// `vhost/queue` (`/queue` in the default vhost).
fn subject(r: &QueueRow) -> String {
    if r.vhost == "/" {
        format!("/{}", r.name)
    } else {
        format!("{}/{}", r.vhost, r.name)
    }
}

/// The queue the rule names, else those `otherwise` picks.
fn named_or(queue: &Option<String>, r: &QueueRow, otherwise: impl FnOnce() -> bool) -> bool {
    match queue {
        Some(q) => *q == r.name,
        None => otherwise(),
    }
}

fn span(s: u32) -> String {
    humantime::format_duration(std::time::Duration::from_secs(u64::from(s))).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Fake {
        min: HashMap<String, f64>,
        no_consumer: HashMap<String, bool>,
    }
    impl Past for Fake {
        fn min_messages(&self, _: &str, q: &str, _: u32) -> Option<f64> {
            self.min.get(q).copied()
        }
        fn no_consumer_for(&self, _: &str, q: &str, _: u32) -> Option<bool> {
            self.no_consumer.get(q).copied()
        }
    }

    fn row(name: &str, messages: u64, consumers: u64, idle: Option<i64>) -> QueueRow {
        QueueRow {
            messages,
            consumers,
            idle_since: idle,
            ..QueueRow::named("/", name)
        }
    }

    fn inputs<'a>(
        rows: &'a [QueueRow],
        dlqs: &'a HashSet<(String, String)>,
        past: &'a Fake,
    ) -> Inputs<'a> {
        Inputs {
            rows,
            dlqs,
            health: None,
            past,
            now: 10_000,
        }
    }

    #[test]
    fn a_dlq_that_grew_by_enough_fires_and_one_without_history_does_not() {
        let rows = [
            row("a.dlq", 130, 0, None),
            row("b.dlq", 50, 0, None),
            row("c.dlq", 900, 0, None),
        ];
        let dlqs: HashSet<_> = rows
            .iter()
            .map(|r| ("/".to_string(), r.name.clone()))
            .collect();
        let past = Fake {
            min: HashMap::from([("a.dlq".into(), 20.0), ("b.dlq".into(), 45.0)]),
            no_consumer: HashMap::new(),
        };
        let rules = [AlertRule::parse("dlq_growth by=100 within=10m").unwrap()];
        let f = evaluate(&rules, &inputs(&rows, &dlqs, &past));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].subject.as_str(), f[0].value), ("/a.dlq", 110.0));
        assert!(f[0].message.contains("grew by 110 in 10m"));
    }

    #[test]
    fn no_consumer_needs_the_time_and_leaves_dlqs_out_unless_named() {
        let rows = [
            row("work", 5, 0, Some(10_000 - 1_000)),
            row("fresh", 5, 0, Some(10_000 - 10)),
            row("served", 5, 2, None),
            row("no-idle-time", 5, 0, None),
            row("x.dlq", 5, 0, Some(0)),
        ];
        let dlqs = HashSet::from([("/".to_string(), "x.dlq".to_string())]);
        let past = Fake {
            min: HashMap::new(),
            no_consumer: HashMap::from([("no-idle-time".into(), true)]),
        };
        let rules = [AlertRule::parse("no_consumer for=15m").unwrap()];
        let subjects: Vec<String> = evaluate(&rules, &inputs(&rows, &dlqs, &past))
            .into_iter()
            .map(|f| f.subject)
            .collect();
        assert_eq!(subjects, ["/work", "/no-idle-time"]);
        let named = [AlertRule::parse("no_consumer for=15m queue=x.dlq").unwrap()];
        assert_eq!(evaluate(&named, &inputs(&rows, &dlqs, &past)).len(), 1);
    }

    #[test]
    fn realm_backlog_and_node_alarms_fire_per_subject() {
        let mut rows = [
            row("billing.acme", 70, 1, None),
            row("mail.acme", 40, 1, None),
            row("billing.globex", 9, 1, None),
        ];
        for r in &mut rows {
            let (w, realm) = r.name.split_once('.').unwrap();
            (r.worker, r.realm) = (Some(w.into()), Some(realm.into()));
        }
        let dlqs = HashSet::new();
        let past = Fake {
            min: HashMap::new(),
            no_consumer: HashMap::new(),
        };
        let rules = [
            AlertRule::parse("realm_backlog above=100").unwrap(),
            AlertRule::parse("node_down_or_alarm").unwrap(),
        ];
        let down = ["rabbit@c".to_string()];
        let alarms = [Alarm {
            resource: "memory".into(),
            node: "rabbit@b".into(),
        }];
        let mut i = inputs(&rows, &dlqs, &past);
        i.health = Some(Health {
            nodes: NodeCount {
                running: 2,
                total: 3,
            },
            down: &down,
            alarms: &alarms,
        });
        let subjects: Vec<String> = evaluate(&rules, &i)
            .into_iter()
            .map(|f| f.subject)
            .collect();
        assert_eq!(subjects, ["acme", "node:rabbit@c", "alarm:memory@rabbit@b"]);
    }
}
