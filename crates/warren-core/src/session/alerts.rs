//! Alerts as the front ends meet them: evaluated after each sample and refresh of an
//! environment with rules (the DLQs and the health checks read only when a rule needs them),
//! recorded in its history store, and the new ones kept for the window to notify.

use std::collections::HashSet;
use std::sync::Arc;

use secrecy::SecretString;

use super::history::unix_now;
use super::Session;
use crate::alerts::eval::{evaluate, Health, Inputs, Past};
use crate::alerts::{state, Alert, AlertRule};
use crate::broker::management::ManagementClient;
use crate::deadletters::discover::discover_by_routes;
use crate::environment::Environment;
use crate::error::Result;
use crate::history::{HistoryMetric, HistoryStore, SeriesKind, SeriesSelector};
use crate::queues::Inventory;

/// The history store as the rules ask it.
struct StorePast<'a> {
    store: &'a HistoryStore,
    now: i64,
}

impl StorePast<'_> {
    fn queue(vhost: &str, queue: &str) -> SeriesSelector {
        SeriesSelector {
            kind: SeriesKind::Queue,
            vhost: Some(vhost.to_string()),
            key: Some(queue.to_string()),
            realm: None,
        }
    }
}

impl Past for StorePast<'_> {
    fn min_messages(&self, vhost: &str, queue: &str, within_s: u32) -> Option<f64> {
        let points = self
            .store
            .values(
                &Self::queue(vhost, queue),
                HistoryMetric::Messages,
                self.now - i64::from(within_s),
                self.now,
            )
            .ok()?;
        points.iter().map(|p| p.1).reduce(f64::min)
    }

    fn no_consumer_for(&self, vhost: &str, queue: &str, for_s: u32) -> Option<bool> {
        let since = self.now - i64::from(for_s);
        // One sample before the window says how it started.
        let points = self
            .store
            .values(
                &Self::queue(vhost, queue),
                HistoryMetric::Consumers,
                since - i64::from(for_s),
                self.now,
            )
            .ok()?;
        // The state at the window's start (the last sample at or before it), then every
        // sample in it: no consumer at any of them.
        let start = points.iter().rposition(|p| p.0 <= since)?;
        Some(points[start..].iter().all(|p| p.1 == 0.0))
    }
}

impl Session {
    /// Evaluate `env`'s rules on `inventory` (just recorded), record the alerts' state and
    /// return the alerts that opened now (they are also kept for `take_new_alerts`).
    /// Needs the `management` tag. Does not modify the broker.
    pub(crate) async fn evaluate_alerts(
        &self,
        env: &Environment,
        password: &SecretString,
        inventory: Arc<Inventory>,
    ) -> Result<Vec<Alert>> {
        if env.alerts.is_empty() {
            return Ok(vec![]);
        }
        let client = ManagementClient::new(env, password.clone())?;
        let wants_dlqs = env.alerts.iter().any(|r| {
            matches!(
                r,
                AlertRule::DlqGrowth { queue: None, .. }
                    | AlertRule::NoConsumer { queue: None, .. }
            )
        });
        let dlqs: HashSet<(String, String)> = if wants_dlqs {
            discover_by_routes(&client, &inventory.rows)
                .await?
                .queues
                .into_iter()
                .map(|q| (q.vhost, q.name))
                .collect()
        } else {
            HashSet::new()
        };
        let health = if env
            .alerts
            .iter()
            .any(|r| matches!(r, AlertRule::NodeDownOrAlarm { .. }))
        {
            let base = client.endpoints().first().cloned();
            match base {
                Some(b) => Some(crate::fleet::health::run(env, &client, &b, None).await),
                None => None,
            }
        } else {
            None
        };
        let rules = env.alerts.clone();
        let env_id = env.id.clone();
        let opened = self
            .history
            .with_store(&env.id, move |store| {
                let now = unix_now();
                let past = StorePast { store, now };
                let firings = evaluate(
                    &rules,
                    &Inputs {
                        rows: &inventory.rows,
                        dlqs: &dlqs,
                        health: health.as_ref().map(|h| Health {
                            nodes: h.nodes.unwrap_or_default(),
                            down: &h.down,
                            alarms: &h.alarms,
                        }),
                        past: &past,
                        now,
                    },
                );
                state::observe(store, &env_id, &firings, now)
            })
            .await?;
        if !opened.is_empty() {
            self.new_alerts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(opened.iter().cloned());
        }
        Ok(opened)
    }

    /// The alerts that opened since the last call (the window notifies each once).
    pub fn take_new_alerts(&self) -> Vec<Alert> {
        std::mem::take(&mut *self.new_alerts.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The newest alerts of every environment with a history (or of `env_id`), open ones first.
    /// Reads local files only.
    pub async fn alerts_list(&self, env_id: Option<&str>, limit: usize) -> Result<Vec<Alert>> {
        let ids: Vec<String> = match env_id {
            Some(id) => vec![self.store.get(id)?.id],
            None => self
                .store
                .list()?
                .into_iter()
                .map(|v| v.environment.id)
                .collect(),
        };
        let mut all = vec![];
        for id in ids.into_iter().filter(|id| self.history.exists(id)) {
            let env = id.clone();
            all.extend(
                self.history
                    .with_store(&id, move |store| state::list(store, &env, limit))
                    .await?,
            );
        }
        all.sort_by(|a, b| {
            a.resolved_at
                .is_some()
                .cmp(&b.resolved_at.is_some())
                .then(b.last_at.cmp(&a.last_at))
        });
        all.truncate(limit);
        Ok(all)
    }

    /// The environment's rules as written (`dlq_growth by=100 within=10m`), one per line.
    pub fn alert_rules(&self, env_id: &str) -> Result<Vec<String>> {
        Ok(self
            .store
            .get(env_id)?
            .alerts
            .iter()
            .map(AlertRule::spec)
            .collect())
    }

    /// Replace the environment's rules by `specs` (one rule each; blank ones are skipped). A
    /// rule that does not parse is a field error `alerts[i]` saying what to write; nothing is
    /// saved then. Audited as an environment update.
    pub fn set_alert_rules(
        &self,
        env_id: &str,
        specs: &[String],
    ) -> Result<crate::EnvironmentView> {
        let mut env = self.store.get(env_id)?;
        let mut rules = vec![];
        let mut errors = vec![];
        for (i, spec) in specs
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.trim().is_empty())
        {
            match AlertRule::parse(spec) {
                Ok(r) => rules.push(r),
                Err(message) => errors.push(crate::FieldError {
                    field: format!("alerts[{i}]"),
                    message: format!("line {}: {message}", i + 1),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(crate::Error::Invalid(errors));
        }
        env.alerts = rules;
        self.store.update(env_id, env, None)
    }
}
