//! The per-queue figures of a fleet card, from an environment's inventory: messages waiting in
//! dead-letter queues, stalled queues, and the heaviest realm now.

use std::collections::HashSet;
use std::time::Duration;

use super::RealmLoad;
use crate::deadletters::DeadLetterTopology;
use crate::queues::QueueRow;
use crate::realms::{rank, summarize, Metric};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueFigures {
    /// The queues, messages and unacked of the rows (the environment's scope, as its Queues
    /// view shows them).
    pub queues: u64,
    pub messages: u64,
    pub messages_unacknowledged: u64,
    pub dead_letters: u64,
    pub stalled_queues: u64,
    pub heaviest_realm: Option<RealmLoad>,
}

/// The figures of `rows`, whose dead-letter queues are `dlqs` (`now`: Unix seconds).
pub fn figures(
    rows: &[QueueRow],
    dlqs: &DeadLetterTopology,
    now: i64,
    stalled_after: Duration,
) -> QueueFigures {
    let dlq_names: HashSet<(&str, &str)> = dlqs
        .queues
        .iter()
        .map(|q| (q.vhost.as_str(), q.name.as_str()))
        .collect();
    QueueFigures {
        queues: rows.len() as u64,
        messages: rows.iter().map(|r| r.messages).sum(),
        messages_unacknowledged: rows.iter().map(|r| r.messages_unacknowledged).sum(),
        dead_letters: dlqs.queues.iter().map(|q| q.messages).sum(),
        stalled_queues: rows
            .iter()
            .filter(|r| !dlq_names.contains(&(r.vhost.as_str(), r.name.as_str())))
            .filter(|r| stalled(r, now, stalled_after))
            .count() as u64,
        heaviest_realm: heaviest_realm(rows),
    }
}

/// A queue is stalled when it has ready messages that nobody takes: no consumer, or consumers
/// that deliver nothing, and it has been idle for `after` (the broker's `idle_since`). A queue
/// without consumers whose idle time the broker does not give is stalled too. Dead-letter
/// queues are not counted: waiting is what they are for.
pub fn stalled(row: &QueueRow, now: i64, after: Duration) -> bool {
    if row.messages_ready == 0 || (row.consumers > 0 && row.deliver_rate > 0.0) {
        return false;
    }
    match row.idle_since {
        Some(since) => now - since >= after.as_secs() as i64,
        None => row.consumers == 0,
    }
}

/// The realm holding the most messages (over every vhost, each vhost's realms apart).
pub fn heaviest_realm(rows: &[QueueRow]) -> Option<RealmLoad> {
    let summary = summarize(rows);
    rank(&summary.realms, Metric::Messages, Some(1))
        .into_iter()
        .find(|g| g.totals.messages > 0)
        .map(|g| RealmLoad {
            realm: g.key,
            vhost: g.vhost,
            messages: g.totals.messages,
            queues: u64::from(g.totals.queues),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadletters::discover::{DeadLetterQueue, Wiring};

    fn row(name: &str, ready: u64, consumers: u64, deliver: f64, idle: Option<i64>) -> QueueRow {
        QueueRow {
            messages: ready,
            messages_ready: ready,
            consumers,
            deliver_rate: deliver,
            idle_since: idle,
            ..QueueRow::named("/", name)
        }
    }

    #[test]
    fn only_queues_with_waiting_messages_nobody_takes_for_long_enough_are_stalled() {
        let now = 10_000;
        let five_min = Duration::from_secs(300);
        assert!(stalled(
            &row("a", 5, 0, 0.0, Some(now - 600)),
            now,
            five_min
        ));
        assert!(!stalled(
            &row("b", 5, 0, 0.0, Some(now - 60)),
            now,
            five_min
        ));
        assert!(!stalled(
            &row("c", 0, 0, 0.0, Some(now - 600)),
            now,
            five_min
        ));
        assert!(!stalled(&row("d", 5, 2, 3.0, None), now, five_min));
        assert!(stalled(
            &row("e", 5, 2, 0.0, Some(now - 900)),
            now,
            five_min
        ));
        assert!(stalled(&row("f", 5, 0, 0.0, None), now, five_min));
        assert!(!stalled(&row("g", 5, 1, 0.0, None), now, five_min));
    }

    #[test]
    fn dead_letter_queues_count_as_dead_letters_not_as_stalled() {
        let rows = vec![
            row("billing.acme", 7, 0, 0.0, None),
            row("billing.acme.dlq", 4, 0, 0.0, None),
        ];
        let dlqs = DeadLetterTopology {
            queues: vec![DeadLetterQueue {
                vhost: "/".into(),
                name: "billing.acme.dlq".into(),
                queue_type: "classic".into(),
                messages: 4,
                consumers: 0,
                wiring: Wiring::ByName,
                kind: Default::default(),
                feeders: vec![],
                exchanges: vec![],
                delivery_limit: None,
                realm: None,
                worker: None,
            }],
            unrouted: vec![],
        };
        let f = figures(&rows, &dlqs, 0, Duration::from_secs(300));
        assert_eq!((f.dead_letters, f.stalled_queues), (4, 1));
        assert_eq!((f.queues, f.messages), (2, 11), "the rows' own sums");
    }

    #[test]
    fn the_heaviest_realm_is_the_one_with_most_messages() {
        let mut rows = vec![
            row("billing.acme", 7, 1, 1.0, None),
            row("email.acme", 3, 1, 1.0, None),
            row("billing.globex", 9, 1, 1.0, None),
        ];
        for r in &mut rows {
            let (w, realm) = r.name.split_once('.').unwrap();
            r.worker = Some(w.into());
            r.realm = Some(realm.into());
        }
        let h = heaviest_realm(&rows).unwrap();
        assert_eq!((h.realm.as_str(), h.messages, h.queues), ("acme", 10, 2));
        assert!(heaviest_realm(&[row("plain", 0, 0, 0.0, None)]).is_none());
    }
}
