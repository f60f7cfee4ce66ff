//! Counts that agree right after a change. The management API's queue figures trail the broker
//! by its statistics interval (5 s by default), so a refresh right after a replay, purge or move
//! would show the counts from before it ("200" after 35 left). Each change notes the queues it
//! touched; a refresh within `STATS_LAG` of it reads their depth and consumers from the broker
//! itself (a passive declare over AMQP) in place of the trailing figures.
//!
//! Needs access to the vhost (no user tag). Does not modify state.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use secrecy::SecretString;

use crate::broker::amqp;
use crate::environment::Environment;
use crate::queues::row::QueueRow;

/// How long after a change the management API's figures for its queues are not trusted: two
/// default statistics intervals and the collector's turn.
pub const STATS_LAG: Duration = Duration::from_secs(15);

/// A queue: (vhost, name).
pub type QueueKey = (String, String);

/// Per environment, the queues its recent changes touched and when.
type ByEnv = HashMap<String, HashMap<QueueKey, Instant>>;

/// The queues each environment's recent changes touched.
#[derive(Default)]
pub struct Touched(Mutex<ByEnv>);

impl Touched {
    fn lock(&self) -> std::sync::MutexGuard<'_, ByEnv> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A change to `env_id` just touched `queues` (vhost, name).
    pub fn note(&self, env_id: &str, queues: impl IntoIterator<Item = (String, String)>) {
        let now = Instant::now();
        let mut all = self.lock();
        let env = all.entry(env_id.to_string()).or_default();
        for q in queues {
            env.insert(q, now);
        }
    }

    /// The queues of `env_id` touched within `STATS_LAG` (older notes are forgotten).
    pub fn recent(&self, env_id: &str) -> Vec<(String, String)> {
        let mut all = self.lock();
        let Some(env) = all.get_mut(env_id) else {
            return Vec::new();
        };
        env.retain(|_, at| at.elapsed() < STATS_LAG);
        env.keys().cloned().collect()
    }
}

/// A queue's figures as the broker has them now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exact {
    pub ready: u64,
    pub consumers: u64,
}

/// Put the broker's own figures in place of the management API's for `queues` found in `rows`.
/// With no consumer a queue has no unacked message; with some, the API's unacked figure stays.
pub fn correct(rows: &mut [QueueRow], exact: &HashMap<(String, String), Exact>) {
    for row in rows {
        if let Some(e) = exact.get(&(row.vhost.clone(), row.name.clone())) {
            row.messages_ready = e.ready;
            row.consumers = e.consumers;
            if e.consumers == 0 {
                row.messages_unacknowledged = 0;
            }
            row.messages = e.ready + row.messages_unacknowledged;
        }
    }
}

/// Read the depth and consumer count of `queues` over AMQP (one connection per vhost). A queue
/// (or vhost) that cannot be read keeps the management API's figures: this only sharpens them.
pub async fn read_exact(
    env: &Environment,
    password: &SecretString,
    queues: &[(String, String)],
) -> HashMap<(String, String), Exact> {
    let mut by_vhost: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (vhost, queue) in queues {
        by_vhost.entry(vhost).or_default().push(queue);
    }
    let mut out = HashMap::new();
    for (vhost, names) in by_vhost {
        let Ok(conn) = amqp::connect(env, password, Some(vhost), "read queue depths").await else {
            continue;
        };
        for name in names {
            if amqp::check_name("queue name", name).is_err() {
                continue;
            }
            // A missing queue closes its channel: one channel per queue.
            let Ok(ch) = conn.create_channel().await else {
                break;
            };
            if let Ok(q) = amqp::passive(&ch, name).await {
                out.insert(
                    (vhost.to_string(), name.to_string()),
                    Exact {
                        ready: u64::from(q.message_count()),
                        consumers: u64::from(q.consumer_count()),
                    },
                );
                let _ = ch.close(200, "ok".into()).await;
            }
        }
        let _ = conn.close(200, "depths read".into()).await;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(vhost: &str, name: &str, ready: u64, unacked: u64, consumers: u64) -> QueueRow {
        QueueRow {
            vhost: vhost.into(),
            name: name.into(),
            messages: ready + unacked,
            messages_ready: ready,
            messages_unacknowledged: unacked,
            consumers,
            ..Default::default()
        }
    }

    #[test]
    fn the_brokers_figures_replace_the_trailing_ones_of_touched_queues_only() {
        let mut rows = vec![
            row("/", "failed", 0, 200, 1),
            row("/", "work", 10, 5, 2),
            row("/", "other", 7, 0, 0),
        ];
        let exact = HashMap::from([
            (
                ("/".into(), "failed".into()),
                Exact {
                    ready: 165,
                    consumers: 0,
                },
            ),
            (
                ("/".into(), "work".into()),
                Exact {
                    ready: 45,
                    consumers: 2,
                },
            ),
        ]);
        correct(&mut rows, &exact);
        assert_eq!(
            (
                rows[0].messages,
                rows[0].messages_unacknowledged,
                rows[0].consumers
            ),
            (165, 0, 0)
        );
        assert_eq!(
            (rows[1].messages, rows[1].messages_ready),
            (50, 45),
            "unacked kept while consumers hold some"
        );
        assert_eq!(rows[2].messages, 7, "an untouched queue keeps its figures");
    }

    #[test]
    fn notes_are_per_environment_and_recent() {
        let t = Touched::default();
        t.note("a", [("/".to_string(), "q".to_string())]);
        assert_eq!(t.recent("a"), vec![("/".to_string(), "q".to_string())]);
        assert!(t.recent("b").is_empty());
    }
}
