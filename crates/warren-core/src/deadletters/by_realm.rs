//! Dead letters per realm and per worker: which client's or which worker type's messages are
//! failing. A DLQ fed only by one realm's queues counts for that realm as a whole (from its
//! depth, without reading it). A DLQ shared by several realms can only be split by reading its
//! messages' `x-death` — which marks them redelivered — so that happens only when asked
//! (`scan`), up to a limit per DLQ; what was not read stays "unattributed", never guessed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use secrecy::SecretString;
use serde::Serialize;
use ts_rs::TS;

use super::browse::count_origins;
use super::discover::{discover, DeadLetterTopology, Wiring};
use crate::environment::Environment;
use crate::error::Result;
use crate::queues::QueueRow;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct KeyCount {
    pub key: String,
    /// The vhost, when realms of different vhosts are kept apart (see `Scope::PerVhost`).
    pub vhost: Option<String>,
    #[ts(type = "number")]
    pub messages: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct RealmDeadLetters {
    pub realms: Vec<KeyCount>,
    pub workers: Vec<KeyCount>,
    /// Dead letters not attributed: shared DLQs not read (or read only up to the limit), and
    /// messages from unpartitioned queues.
    #[ts(type = "number")]
    pub unattributed: u64,
    /// Every message in the wired DLQs.
    #[ts(type = "number")]
    pub total: u64,
    /// Shared DLQs whose messages were read to split them (`vhost/name`).
    pub scanned: Vec<String>,
    /// Shared DLQs not read: their messages are in `unattributed`.
    pub shared: Vec<String>,
}

/// Messages per origin queue, read from one shared DLQ.
pub type OriginCounts = BTreeMap<String, u64>;

fn label(vhost: &str, name: &str) -> String {
    format!("{vhost}/{name}")
}

/// Attribute the DLQs of `topology` to the realms and workers of `rows` (already mapped by the
/// template); `scans` holds the origin counts of the shared DLQs that were read, by (vhost, name).
/// `per_vhost`: count `acme` of each vhost apart (the DLQ's vhost is its feeders').
pub fn attribute(
    topology: &DeadLetterTopology,
    rows: &[QueueRow],
    scans: &BTreeMap<(String, String), OriginCounts>,
    per_vhost: bool,
) -> RealmDeadLetters {
    // (vhost, queue) -> (worker, realm)
    type Place<'r> = HashMap<(&'r str, &'r str), (Option<&'r str>, Option<&'r str>)>;
    let place: Place = rows
        .iter()
        .map(|r| {
            (
                (r.vhost.as_str(), r.name.as_str()),
                (r.worker.as_deref(), r.realm.as_deref()),
            )
        })
        .collect();
    let mut realms: BTreeMap<(Option<String>, String), u64> = BTreeMap::new();
    let mut workers: BTreeMap<(Option<String>, String), u64> = BTreeMap::new();
    let mut out = RealmDeadLetters::default();
    for q in topology.queues.iter().filter(|q| q.wiring == Wiring::Wired) {
        out.total += q.messages;
        let at = |key: &str| (per_vhost.then(|| q.vhost.clone()), key.to_string());
        let of = |feeder: &str| {
            place
                .get(&(q.vhost.as_str(), feeder))
                .copied()
                .unwrap_or((None, None))
        };
        if let Some(counts) = scans.get(&(q.vhost.clone(), q.name.clone())) {
            out.scanned.push(label(&q.vhost, &q.name));
            let mut attributed = 0;
            for (origin, n) in counts {
                let (w, r) = of(origin);
                if let Some(r) = r {
                    *realms.entry(at(r)).or_default() += n;
                    attributed += n;
                }
                if let Some(w) = w {
                    *workers.entry(at(w)).or_default() += n;
                }
            }
            // Counted messages from unpartitioned origins, and any the limit left unread.
            out.unattributed += q.messages.saturating_sub(attributed);
            continue;
        }
        let feeder_realms: BTreeSet<Option<&str>> = q.feeders.iter().map(|f| of(f).1).collect();
        let feeder_workers: BTreeSet<Option<&str>> = q.feeders.iter().map(|f| of(f).0).collect();
        match feeder_realms.iter().next() {
            Some(Some(r)) if feeder_realms.len() == 1 => {
                *realms.entry(at(r)).or_default() += q.messages;
                if let (1, Some(Some(w))) = (feeder_workers.len(), feeder_workers.iter().next()) {
                    *workers.entry(at(w)).or_default() += q.messages;
                }
            }
            _ => {
                out.unattributed += q.messages;
                if feeder_realms.iter().filter(|r| r.is_some()).count() > 1 {
                    out.shared.push(label(&q.vhost, &q.name));
                }
            }
        }
    }
    let ranked = |m: BTreeMap<(Option<String>, String), u64>| {
        let mut v: Vec<KeyCount> = m
            .into_iter()
            .map(|((vhost, key), messages)| KeyCount {
                key,
                vhost,
                messages,
            })
            .collect();
        v.sort_by(|a, b| {
            b.messages
                .cmp(&a.messages)
                .then_with(|| (&a.key, &a.vhost).cmp(&(&b.key, &b.vhost)))
        });
        v
    };
    out.realms = ranked(realms);
    out.workers = ranked(workers);
    out
}

/// Dead letters per realm and worker for an inventory the template has mapped. With `scan`,
/// shared DLQs are read (up to `limit` messages each, see `browse`) to split them exactly.
/// `per_vhost`: see `attribute`. Does not modify state.
/// Needs the `management` tag (and read permission on the DLQs it scans).
pub async fn realm_dead_letters(
    env: &Environment,
    password: SecretString,
    rows: &[QueueRow],
    scan: bool,
    limit: u32,
    per_vhost: bool,
) -> Result<(DeadLetterTopology, RealmDeadLetters)> {
    let topology = discover(env, password.clone(), rows).await?;
    let mut scans = BTreeMap::new();
    if scan {
        let first = attribute(&topology, rows, &scans, per_vhost);
        // Not filtered by the listed depth: the management API's counts lag a few seconds.
        for q in topology
            .queues
            .iter()
            .filter(|q| first.shared.contains(&label(&q.vhost, &q.name)))
        {
            let (counts, _, _) = count_origins(env, &password, &q.vhost, &q.name, limit).await?;
            scans.insert((q.vhost.clone(), q.name.clone()), counts);
        }
    }
    let out = attribute(&topology, rows, &scans, per_vhost);
    Ok((topology, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadletters::discover::DeadLetterQueue;

    fn row(name: &str, worker: Option<&str>, realm: Option<&str>) -> QueueRow {
        QueueRow {
            worker: worker.map(str::to_string),
            realm: realm.map(str::to_string),
            ..QueueRow::named("/", name)
        }
    }
    fn dlq(name: &str, messages: u64, feeders: &[&str]) -> DeadLetterQueue {
        DeadLetterQueue {
            vhost: "/".into(),
            name: name.into(),
            queue_type: "classic".into(),
            messages,
            consumers: 0,
            wiring: Wiring::Wired,
            kind: crate::deadletters::DeadLetterKind::Broker,
            feeders: feeders.iter().map(|s| s.to_string()).collect(),
            exchanges: vec!["dlx".into()],
            delivery_limit: None,
            realm: None,
            worker: None,
        }
    }

    fn rows() -> Vec<QueueRow> {
        vec![
            row("billing.acme", Some("billing"), Some("acme")),
            row("mail.acme", Some("mail"), Some("acme")),
            row("billing.globex", Some("billing"), Some("globex")),
            row("healthcheck", None, None),
        ]
    }

    #[test]
    fn an_exclusive_dlq_counts_for_its_realm_and_a_shared_one_waits_for_a_scan() {
        let t = DeadLetterTopology {
            queues: vec![
                dlq("acme.dlq", 7, &["billing.acme", "mail.acme"]),
                dlq(
                    "dlq-all",
                    10,
                    &["billing.acme", "billing.globex", "healthcheck"],
                ),
            ],
            unrouted: vec![],
        };
        let a = attribute(&t, &rows(), &BTreeMap::new(), false);
        assert_eq!(
            a.realms,
            [KeyCount {
                key: "acme".into(),
                vhost: None,
                messages: 7
            }]
        );
        // Two workers feed acme.dlq: no single worker gets it.
        assert!(a.workers.is_empty());
        assert_eq!((a.unattributed, a.total), (10, 17));
        assert_eq!(a.shared, ["//dlq-all"]);

        let scans = BTreeMap::from([(
            ("/".to_string(), "dlq-all".to_string()),
            BTreeMap::from([
                ("billing.acme".to_string(), 4),
                ("billing.globex".to_string(), 5),
                ("healthcheck".to_string(), 1),
            ]),
        )]);
        let a = attribute(&t, &rows(), &scans, false);
        assert_eq!(
            a.realms[0],
            KeyCount {
                key: "acme".into(),
                vhost: None,
                messages: 11
            }
        );
        assert_eq!(
            a.realms[1],
            KeyCount {
                key: "globex".into(),
                vhost: None,
                messages: 5
            }
        );
        assert_eq!(
            a.workers,
            [KeyCount {
                key: "billing".into(),
                vhost: None,
                messages: 9
            }]
        );
        assert_eq!(a.unattributed, 1);
        assert!(a.shared.is_empty());
        assert_eq!(a.scanned, ["//dlq-all"]);
    }
}
