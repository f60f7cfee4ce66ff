//! The fleet overview as the front ends ask for it: every environment (or the ones named),
//! their passwords read before the probes start (keyring calls block), the inventories the
//! window holds reused, and each status given the trend from its local history.

use super::Session;
use crate::error::Result;
use crate::fleet::{statuses, EnvStatus, FleetOptions, Target, Trend};
use crate::history::{HistoryMetric, SeriesKind, SeriesSelector};

impl Session {
    /// The status of every environment in `ids` (`None`: all, in the config's order); `each`
    /// hears of each status as soon as it is known. Needs the `management` tag (`monitoring`
    /// for nodes and alarms). Does not modify state.
    pub async fn fleet_status(
        &self,
        ids: Option<Vec<String>>,
        opts: &FleetOptions,
        mut each: impl FnMut(&EnvStatus),
    ) -> Result<Vec<EnvStatus>> {
        let envs = match ids {
            None => self
                .store
                .list()?
                .into_iter()
                .map(|v| v.environment)
                .collect(),
            Some(ids) => ids
                .iter()
                .map(|id| self.store.get(id))
                .collect::<Result<Vec<_>>>()?,
        };
        let targets = envs
            .into_iter()
            .map(|env| {
                let password = self
                    .connect(&env.id)
                    .map(|(_, p)| p)
                    .map_err(|e| e.to_string());
                Target {
                    loaded: self.cache.get(&env.id),
                    env,
                    password,
                }
            })
            .collect::<Vec<_>>();
        let mut found = statuses(targets, opts, |s| {
            // Cards stream out before the trends, which read local files only.
            each(s)
        })
        .await;
        for status in &mut found {
            status.trend = self.trend(&status.id).await;
        }
        Ok(found)
    }

    /// Messages now against an hour ago, when the environment's history holds that hour.
    async fn trend(&self, env_id: &str) -> Option<Trend> {
        if !self.history.exists(env_id) {
            return None;
        }
        let total = SeriesSelector {
            kind: SeriesKind::Total,
            vhost: None,
            key: None,
            realm: None,
        };
        let series = self
            .history_series(env_id, total, HistoryMetric::Messages, 3600)
            .await
            .ok()?;
        let (first, last) = (series.series.first()?, series.series.last()?);
        if series.series.len() < 2 {
            return None;
        }
        Some(Trend {
            messages_1h_ago: first.value,
            messages_now: last.value,
            delta: last.value - first.value,
        })
    }
}
