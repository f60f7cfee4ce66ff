//! The alerts' state, in the environment's history store (so the window and `warren watch`
//! share it): an alert opens when a rule starts firing about a subject, stays open while it
//! fires (one notification, not one per sample), and resolves when it stops.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::eval::Firing;
use crate::history::HistoryStore;

/// An alert as the list shows it (`warren alerts --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Alert {
    pub env: String,
    pub rule_id: String,
    pub kind: String,
    pub subject: String,
    pub message: String,
    pub value: f64,
    /// RFC 3339, UTC.
    pub first_at: String,
    pub last_at: String,
    /// `None` while it fires.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
}

/// Record this sample's firings at `now`: new ones open (and are returned: notify them), open
/// ones not firing any more resolve. One transaction.
pub fn observe(
    store: &HistoryStore,
    env: &str,
    firings: &[Firing],
    now: i64,
) -> crate::Result<Vec<Alert>> {
    let run = || -> rusqlite::Result<Vec<Alert>> {
        let c = store.conn();
        let tx = c.unchecked_transaction()?;
        let mut opened = vec![];
        let mut still = std::collections::HashSet::new();
        for f in firings {
            still.insert((f.rule_id.clone(), f.subject.clone()));
            let open: Option<i64> = tx
                .query_row(
                    "SELECT first_at FROM alerts WHERE rule_id = ?1 AND subject = ?2 AND resolved_at IS NULL",
                    params![f.rule_id, f.subject],
                    |r| r.get(0),
                )
                .optional()?;
            match open {
                Some(first) => {
                    tx.execute(
                        "UPDATE alerts SET last_at = ?1, message = ?2, value = ?3 WHERE rule_id = ?4 AND subject = ?5 AND first_at = ?6",
                        params![now, f.message, f.value, f.rule_id, f.subject, first],
                    )?;
                }
                None => {
                    tx.execute(
                        "INSERT OR REPLACE INTO alerts (rule_id, subject, kind, message, value, first_at, last_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                        params![f.rule_id, f.subject, f.kind, f.message, f.value, now],
                    )?;
                    opened.push(Alert {
                        env: env.to_string(),
                        rule_id: f.rule_id.clone(),
                        kind: f.kind.clone(),
                        subject: f.subject.clone(),
                        message: f.message.clone(),
                        value: f.value,
                        first_at: crate::audit::rfc3339(now, 0),
                        last_at: crate::audit::rfc3339(now, 0),
                        resolved_at: None,
                    });
                }
            }
        }
        let open: Vec<(String, String, i64)> = {
            let mut q = tx.prepare(
                "SELECT rule_id, subject, first_at FROM alerts WHERE resolved_at IS NULL",
            )?;
            let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (rule, subject, first) in open {
            if !still.contains(&(rule.clone(), subject.clone())) {
                tx.execute(
                    "UPDATE alerts SET resolved_at = ?1 WHERE rule_id = ?2 AND subject = ?3 AND first_at = ?4",
                    params![now, rule, subject, first],
                )?;
            }
        }
        tx.commit()?;
        Ok(opened)
    };
    run().map_err(|e| store.err(e))
}

/// The newest `limit` alerts, open ones first.
pub fn list(store: &HistoryStore, env: &str, limit: usize) -> crate::Result<Vec<Alert>> {
    let run = || -> rusqlite::Result<Vec<Alert>> {
        let mut q = store.conn().prepare(
            "SELECT rule_id, kind, subject, message, value, first_at, last_at, resolved_at FROM alerts
             ORDER BY resolved_at IS NOT NULL, last_at DESC LIMIT ?1",
        )?;
        let rows = q.query_map([limit as i64], |r| {
            Ok(Alert {
                env: env.to_string(),
                rule_id: r.get(0)?,
                kind: r.get(1)?,
                subject: r.get(2)?,
                message: r.get(3)?,
                value: r.get(4)?,
                first_at: crate::audit::rfc3339(r.get(5)?, 0),
                last_at: crate::audit::rfc3339(r.get(6)?, 0),
                resolved_at: r
                    .get::<_, Option<i64>>(7)?
                    .map(|t| crate::audit::rfc3339(t, 0)),
            })
        })?;
        rows.collect()
    };
    run().map_err(|e| store.err(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firing(subject: &str, value: f64) -> Firing {
        Firing {
            rule_id: "dlq_growth".into(),
            kind: "dlq_growth".into(),
            subject: subject.into(),
            message: format!("grew by {value}"),
            value,
        }
    }

    #[test]
    fn an_alert_is_new_once_stays_open_while_it_fires_and_resolves_when_it_stops() {
        let dir = tempfile::tempdir().unwrap();
        let store = HistoryStore::open(&dir.path().join("h.sqlite")).unwrap();
        let new = observe(&store, "prod", &[firing("/a.dlq", 10.0)], 100).unwrap();
        assert_eq!(new.len(), 1, "the first firing is new");
        let again = observe(
            &store,
            "prod",
            &[firing("/a.dlq", 20.0), firing("/b.dlq", 5.0)],
            200,
        )
        .unwrap();
        assert_eq!(
            again.iter().map(|a| a.subject.as_str()).collect::<Vec<_>>(),
            ["/b.dlq"],
            "a.dlq is not new again"
        );
        observe(&store, "prod", &[firing("/b.dlq", 5.0)], 300).unwrap();
        let all = list(&store, "prod", 10).unwrap();
        let a = all.iter().find(|x| x.subject == "/a.dlq").unwrap();
        assert!(a.resolved_at.is_some(), "stopped firing: resolved");
        assert_eq!(a.value, 20.0, "the last value seen");
        assert!(all[0].resolved_at.is_none(), "open ones first");
        // Firing again after it resolved opens a new alert (a new notification).
        assert_eq!(
            observe(&store, "prod", &[firing("/a.dlq", 30.0)], 400)
                .unwrap()
                .len(),
            1
        );
        // A reopened store keeps the state: the window and `warren watch` share it.
        drop(store);
        let store = HistoryStore::open(&dir.path().join("h.sqlite")).unwrap();
        assert!(observe(&store, "prod", &[firing("/a.dlq", 31.0)], 500)
            .unwrap()
            .is_empty());
    }
}
