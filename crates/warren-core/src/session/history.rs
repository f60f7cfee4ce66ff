//! The environments' local history (`crate::history`) as the front ends use it: a sample on each
//! refresh of the window's inventory, on each tick of a sampler (`warren watch`, the window's
//! background sampler), and the reads the window and the CLI make. Each environment's store is
//! opened once and used from blocking threads (SQLite calls block).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde::Serialize;
use ts_rs::TS;

use super::Session;
use crate::audit::rfc3339;
use crate::broker::management::ManagementClient;
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::history::{
    Grower, HistoryInfo, HistoryMetric, HistoryStore, Series, SeriesKind, SeriesSelector,
};
use crate::queues::inventory::{load_inventory, CounterSnapshot, Inventory, InventoryOptions};

/// How often retention and compaction run at most (they are cheap when nothing is due). Every
/// 5 minutes keeps the table of unpacked changes small, which keeps appends cheap
/// (`history::compact::CLOSE_S`).
const MAINTAIN_EVERY: Duration = Duration::from_secs(300);

/// One store per environment, opened on first use.
pub struct Histories {
    dir: PathBuf,
    stores: Mutex<HashMap<String, Arc<Mutex<Opened>>>>,
    /// Each environment's last sampled counters: the next sample's rates are their differences
    /// when the inventory reads Prometheus (the window's loads keep theirs in the cache).
    counters: Mutex<HashMap<String, Arc<CounterSnapshot>>>,
}

struct Opened {
    store: HistoryStore,
    maintained: Option<Instant>,
    /// The last sample's time, so a sampler can skip a tick a refresh just covered.
    last_at: Option<i64>,
}

impl Default for Histories {
    fn default() -> Self {
        Histories::at(crate::audit::data_dir())
    }
}

/// What one sample recorded (`warren watch` prints one per tick).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SampleReport {
    /// RFC 3339, UTC.
    pub at: String,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    #[ts(type = "number")]
    pub queues: u64,
    #[ts(type = "number")]
    pub messages: u64,
    /// Reading the broker and writing the sample, in milliseconds.
    #[ts(type = "number")]
    pub took_ms: u64,
    /// Not recorded: the listing was partial (a sample with missing queues would read as
    /// queues gone).
    pub skipped: bool,
    /// The alerts that opened with this sample (the environment's rules).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<crate::alerts::Alert>>")]
    pub alerts: Vec<crate::alerts::Alert>,
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn blocking_failed(e: tokio::task::JoinError) -> Error {
    Error::History(format!("its worker thread failed: {e}"))
}

impl Histories {
    /// The stores under `data_dir` (tests use their own).
    pub fn at(data_dir: PathBuf) -> Histories {
        Histories {
            dir: data_dir,
            stores: Mutex::default(),
            counters: Mutex::default(),
        }
    }

    fn opened(&self, env_id: &str) -> Result<Arc<Mutex<Opened>>> {
        let mut stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = stores.get(env_id) {
            return Ok(s.clone());
        }
        let store = HistoryStore::open(&HistoryStore::path_for(&self.dir, env_id))?;
        let opened = Arc::new(Mutex::new(Opened {
            store,
            maintained: None,
            last_at: None,
        }));
        stores.insert(env_id.to_string(), opened.clone());
        Ok(opened)
    }

    /// Whether the environment has a history (open here, or a file from an earlier run).
    pub fn exists(&self, env_id: &str) -> bool {
        self.stores
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(env_id)
            || HistoryStore::path_for(&self.dir, env_id).exists()
    }

    /// Run `f` on the environment's store itself on a blocking thread.
    pub(crate) async fn with_store<T: Send + 'static>(
        &self,
        env_id: &str,
        f: impl FnOnce(&HistoryStore) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.with(env_id, move |o| f(&o.store)).await
    }

    /// Run `f` on the environment's store on a blocking thread.
    async fn with<T: Send + 'static>(
        &self,
        env_id: &str,
        f: impl FnOnce(&mut Opened) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let opened = self.opened(env_id)?;
        tokio::task::spawn_blocking(move || {
            f(&mut opened.lock().unwrap_or_else(|p| p.into_inner()))
        })
        .await
        .map_err(blocking_failed)?
    }

    /// Record `inventory` (its rows mapped to realms) as the sample at `at` of the vhost
    /// `covered` (`None`: every vhost). Retention runs now and then after it.
    pub async fn record(
        &self,
        env_id: &str,
        at: i64,
        covered: Option<String>,
        inventory: Arc<Inventory>,
    ) -> Result<()> {
        self.with(env_id, move |o| {
            o.store.append(at, covered.as_deref(), &inventory.rows)?;
            o.last_at = Some(at);
            if o.maintained.is_none_or(|m| m.elapsed() >= MAINTAIN_EVERY) {
                o.store.maintain(at)?;
                o.maintained = Some(Instant::now());
            }
            Ok(())
        })
        .await
    }

    fn counters(&self, env_id: &str) -> Option<Arc<CounterSnapshot>> {
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        counters.get(env_id).cloned()
    }

    fn keep_counters(&self, env_id: &str, counters: Arc<CounterSnapshot>) {
        let mut all = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        all.insert(env_id.to_string(), counters);
    }

    /// When the environment's last sample (of this run) was taken.
    pub fn last_sample(&self, env_id: &str) -> Option<i64> {
        let stores = self.stores.lock().unwrap_or_else(|p| p.into_inner());
        let opened = stores.get(env_id)?.clone();
        drop(stores);
        let last = opened.lock().unwrap_or_else(|p| p.into_inner()).last_at;
        last
    }
}

impl Session {
    /// Record the window's freshly loaded inventory in the environment's history. A failure is
    /// logged, not returned: the refresh the user asked for worked.
    pub(crate) async fn record_refresh(
        &self,
        env: &Environment,
        password: &SecretString,
        inventory: Arc<Inventory>,
    ) {
        if inventory.partial {
            tracing::info!(env = %env.id, "history: partial listing not recorded");
            return;
        }
        let recorded = self
            .history
            .record(&env.id, unix_now(), env.vhost.clone(), inventory.clone())
            .await;
        if let Err(e) = recorded {
            tracing::warn!(env = %env.id, error = %e, "history: could not record the refresh");
            return;
        }
        // The refresh's password: the keyring is not asked twice.
        if let Err(e) = self.evaluate_alerts(env, password, inventory).await {
            tracing::warn!(env = %env.id, error = %e, "alerts: could not evaluate after the refresh");
        }
    }

    /// Read the environment's queues (one vhost, else the environment's default vhost, else
    /// all) and record them as a sample, without touching the window's loaded inventory (its
    /// filter answers index those rows). Requires the `management` tag. Does not modify state.
    pub async fn sample(&self, env_id: &str, vhost: Option<String>) -> Result<SampleReport> {
        let started = Instant::now();
        let (env, password) = self.connect(env_id)?;
        let client = ManagementClient::new(&env, password.clone())?;
        let vhost = vhost.or(env.vhost.clone());
        let opts = InventoryOptions {
            previous: self.history.counters(env_id),
            ..InventoryOptions::for_environment(&env, vhost.clone())
        };
        let at = unix_now();
        // Nobody looks at a sample's first rows: `load_inventory` reads no page for them.
        let mut inventory = load_inventory(&client, &opts).await?;
        self.history
            .keep_counters(env_id, inventory.counters.clone());
        inventory.map_env_realms(&env)?;
        let mut report = SampleReport {
            at: rfc3339(at, 0),
            vhost: vhost.clone(),
            queues: inventory.rows.len() as u64,
            messages: inventory.rows.iter().map(|r| r.messages).sum(),
            took_ms: 0,
            skipped: inventory.partial,
            alerts: vec![],
        };
        if !inventory.partial {
            let inventory = Arc::new(inventory);
            self.history
                .record(&env.id, at, vhost, inventory.clone())
                .await?;
            report.alerts = self.evaluate_alerts(&env, &password, inventory).await?;
        }
        Ok(SampleReport {
            took_ms: started.elapsed().as_millis() as u64,
            ..report
        })
    }

    /// The environment's series of `metric` over the last `since_s` seconds.
    pub async fn history_series(
        &self,
        env_id: &str,
        selector: SeriesSelector,
        metric: HistoryMetric,
        since_s: u32,
    ) -> Result<Series> {
        self.store.get(env_id)?;
        let now = unix_now();
        self.history
            .with(env_id, move |o| {
                o.store
                    .series(&selector, metric, now - i64::from(since_s), now)
            })
            .await
    }

    /// Each selector's last `since_s` seconds in `buckets` slots, for sparklines.
    pub async fn history_sparklines(
        &self,
        env_id: &str,
        selectors: Vec<SeriesSelector>,
        metric: HistoryMetric,
        since_s: u32,
        buckets: usize,
    ) -> Result<Vec<Vec<Option<f64>>>> {
        self.store.get(env_id)?;
        let now = unix_now();
        let buckets = buckets.clamp(2, 500);
        self.history
            .with(env_id, move |o| {
                o.store
                    .sparklines(&selectors, metric, now - i64::from(since_s), now, buckets)
            })
            .await
    }

    /// The biggest growers of `by` over the last `since_s` seconds.
    pub async fn history_growers(
        &self,
        env_id: &str,
        by: SeriesKind,
        vhost: Option<String>,
        metric: HistoryMetric,
        since_s: u32,
        limit: usize,
    ) -> Result<Vec<Grower>> {
        self.store.get(env_id)?;
        let now = unix_now();
        self.history
            .with(env_id, move |o| {
                o.store.growers(
                    by,
                    vhost.as_deref(),
                    metric,
                    now - i64::from(since_s),
                    now,
                    limit,
                )
            })
            .await
    }

    /// What the environment's history holds and its size on disk.
    pub async fn history_info(&self, env_id: &str) -> Result<HistoryInfo> {
        self.store.get(env_id)?;
        self.history.with(env_id, |o| o.store.info()).await
    }
}

impl Session {
    /// A sample of the environment unless one (a refresh, another tick) was recorded within
    /// `interval`: the window's background sampler, which must not double a refresh's load on
    /// the broker. `None`: not due.
    pub async fn sample_if_due(
        &self,
        env_id: &str,
        interval: Duration,
    ) -> Result<Option<SampleReport>> {
        let due = self
            .history
            .last_sample(env_id)
            .is_none_or(|last| unix_now() - last >= interval.as_secs() as i64);
        if !due {
            return Ok(None);
        }
        self.sample(env_id, None).await.map(Some)
    }
}
