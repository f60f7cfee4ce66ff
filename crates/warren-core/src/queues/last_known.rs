//! The last complete inventory the window loaded, per environment, kept in the data dir
//! (`last-inventory/<env>.json`): a window opened again shows it at once, marked with its age,
//! while the broker is read. A fresh read of a big vhost takes seconds (the definitions export
//! alone costs a 4.x broker 0.05–0.07× of its full listing), and between two opens the queues
//! rarely change; the figures are labelled as of the time they were read, never as current.
//!
//! Only what a listing shows is kept (queue names, arguments, policies, counters): no secret.
//! Writes are atomic (`config::write_private_atomic`) and at most one a minute per environment
//! (auto-refresh would otherwise write tens of MB every few seconds); a file that cannot be
//! read, or that another endpoint, user or scope wrote, is ignored.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::inventory::Inventory;
use super::row::QueueRow;
use crate::environment::Environment;

/// At most one write per environment in this interval.
const SAVE_EVERY: Duration = Duration::from_secs(60);

/// What the file holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LastKnown {
    /// When the rows were read (Unix seconds).
    pub taken_at: i64,
    /// Who read them, from where (`source_of`): a file of another endpoint, user or default
    /// vhost is not this environment's inventory any more.
    pub source: String,
    pub total: u64,
    pub rows: Vec<QueueRow>,
}

/// The identity of what an environment's inventory lists: its management endpoints, user and
/// default vhost (no secret).
pub fn source_of(env: &Environment) -> String {
    format!(
        "{}|{}|{}",
        env.management_urls.join(","),
        env.username,
        env.vhost.as_deref().unwrap_or("*")
    )
}

/// The environments' last inventories under a data dir.
pub struct LastKnownInventories {
    dir: PathBuf,
    saved: Mutex<HashMap<String, Instant>>,
    /// How often each environment was forgotten: a write started before (it runs in the
    /// background) finds the count moved and does not bring the file back. Writes and
    /// removals hold this lock.
    forgotten: Arc<Mutex<HashMap<String, u64>>>,
}

impl Default for LastKnownInventories {
    fn default() -> Self {
        LastKnownInventories::at(crate::audit::data_dir())
    }
}

impl LastKnownInventories {
    /// The files under `data_dir` (tests use their own).
    pub fn at(data_dir: PathBuf) -> LastKnownInventories {
        LastKnownInventories {
            dir: data_dir.join("last-inventory"),
            saved: Mutex::default(),
            forgotten: Arc::default(),
        }
    }

    pub fn path_for(&self, env_id: &str) -> PathBuf {
        self.dir.join(format!("{env_id}.json"))
    }

    /// The environment's last inventory, if one was kept for this `source` and can be read.
    /// Reads on a blocking thread (tens of MB at 50,000 queues).
    pub async fn load(&self, env_id: &str, source: &str) -> Option<LastKnown> {
        let path = self.path_for(env_id);
        let source = source.to_string();
        tokio::task::spawn_blocking(move || read(&path, &source))
            .await
            .ok()
            .flatten()
    }

    /// Keep `inventory` as the environment's last one (complete loads only; at most one write
    /// a minute). Written on a blocking thread in the background: the caller does not wait.
    /// Whether a write was started.
    pub fn save(
        &self,
        env_id: &str,
        source: &str,
        inventory: Arc<Inventory>,
        taken_at: i64,
    ) -> bool {
        if inventory.partial {
            return false;
        }
        {
            let mut saved = self.saved.lock().unwrap_or_else(|p| p.into_inner());
            if saved.get(env_id).is_some_and(|t| t.elapsed() < SAVE_EVERY) {
                return false;
            }
            saved.insert(env_id.to_string(), Instant::now());
        }
        let path = self.path_for(env_id);
        let source = source.to_string();
        let (forgotten, id) = (self.forgotten.clone(), env_id.to_string());
        let generation = forgotten_count(&forgotten.lock().unwrap_or_else(|p| p.into_inner()), &id);
        let write = move || {
            let forgotten = forgotten.lock().unwrap_or_else(|p| p.into_inner());
            if forgotten_count(&forgotten, &id) != generation {
                return;
            }
            if let Err(e) = write(&path, &source, &inventory, taken_at) {
                tracing::warn!(path = %path.display(), error = %e, "last inventory not kept");
            }
        };
        // Outside a runtime (a blocking caller), write here.
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(write)),
            Err(_) => write(),
        }
        true
    }

    /// Remove the environment's last inventory (its environment was removed): the file, and
    /// any write of it still in flight. Queue names are not left behind in the data dir.
    pub fn forget(&self, env_id: &str) -> std::io::Result<()> {
        let mut forgotten = self.forgotten.lock().unwrap_or_else(|p| p.into_inner());
        *forgotten.entry(env_id.to_string()).or_default() += 1;
        self.saved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(env_id);
        match std::fs::remove_file(self.path_for(env_id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

fn forgotten_count(forgotten: &HashMap<String, u64>, env_id: &str) -> u64 {
    forgotten.get(env_id).copied().unwrap_or(0)
}

fn read(path: &Path, source: &str) -> Option<LastKnown> {
    let bytes = std::fs::read(path).ok()?;
    match serde_json::from_slice::<LastKnown>(&bytes) {
        Ok(mut k) if k.source == source => {
            for row in &mut k.rows {
                // Not in the file (derived): the filter's case-insensitive name column needs it.
                row.name_lower = row.name.to_lowercase();
                // The change since that run's previous load, not since anything shown now.
                row.messages_delta = None;
            }
            Some(k)
        }
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "last inventory unreadable: ignored");
            None
        }
    }
}

fn write(path: &Path, source: &str, inventory: &Inventory, taken_at: i64) -> std::io::Result<()> {
    // Serialised by reference: the rows are not copied (50,000 rows are tens of MB).
    #[derive(Serialize)]
    struct Borrowed<'a> {
        taken_at: i64,
        source: &'a str,
        total: u64,
        rows: &'a [QueueRow],
    }
    let bytes = serde_json::to_vec(&Borrowed {
        taken_at,
        source,
        total: inventory.total,
        rows: &inventory.rows,
    })?;
    crate::config::write_private_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory(names: &[&str]) -> Arc<Inventory> {
        let rows = names
            .iter()
            .map(|n| QueueRow {
                vhost: "/".into(),
                name: n.to_string(),
                messages: 7,
                messages_delta: Some(3),
                ..Default::default()
            })
            .collect::<Vec<_>>();
        Arc::new(Inventory {
            total: rows.len() as u64,
            rows,
            ..Default::default()
        })
    }

    fn wait_for(path: &Path) {
        for _ in 0..200 {
            if path.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("{} never written", path.display());
    }

    #[tokio::test]
    async fn a_saved_inventory_comes_back_for_the_same_source_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = LastKnownInventories::at(dir.path().to_path_buf());
        assert_eq!(store.load("prod", "a").await, None, "nothing kept yet");
        store.save(
            "prod",
            "a",
            inventory(&["billing.acme", "email.globex"]),
            1_700_000_000,
        );
        wait_for(&store.path_for("prod"));
        let back = store.load("prod", "a").await.expect("kept");
        assert_eq!(back.taken_at, 1_700_000_000);
        assert_eq!(back.total, 2);
        let names: Vec<_> = back.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["billing.acme", "email.globex"]);
        assert_eq!(back.rows[0].messages, 7);
        assert_eq!(
            back.rows[0].name_lower(),
            "billing.acme",
            "filterable like a load's rows"
        );
        assert_eq!(
            back.rows[0].messages_delta, None,
            "that run's change is not a change since anything shown now"
        );
        assert_eq!(
            store.load("prod", "b").await,
            None,
            "another endpoint's file is not this one's"
        );
        assert_eq!(
            store.load("staging", "a").await,
            None,
            "another environment"
        );
    }

    #[tokio::test]
    async fn partial_loads_are_not_kept_and_writes_are_spaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = LastKnownInventories::at(dir.path().to_path_buf());
        let mut partial = (*inventory(&["a"])).clone();
        partial.partial = true;
        assert!(
            !store.save("prod", "s", Arc::new(partial), 1),
            "a partial listing would read as queues gone"
        );
        assert!(store.save("prod", "s", inventory(&["a"]), 1));
        wait_for(&store.path_for("prod"));
        assert!(
            !store.save("prod", "s", inventory(&["a", "b"]), 2),
            "within the minute a second save is skipped"
        );
        assert!(
            store.save("staging", "s", inventory(&["a"]), 2),
            "each environment its own minute"
        );
        assert_eq!(store.load("prod", "s").await.unwrap().taken_at, 1);
    }

    #[tokio::test]
    async fn a_removed_environment_leaves_no_inventory_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = LastKnownInventories::at(dir.path().to_path_buf());
        store.save("prod", "s", inventory(&["billing.acme"]), 1);
        wait_for(&store.path_for("prod"));
        store.save("staging", "s", inventory(&["a"]), 1);
        wait_for(&store.path_for("staging"));
        store.forget("prod").unwrap();
        assert!(!store.path_for("prod").exists(), "its queue names are gone");
        assert_eq!(store.load("prod", "s").await, None);
        assert!(
            store.path_for("staging").exists(),
            "only that environment's"
        );
        store.forget("prod").expect("forgetting twice is no error");
        assert!(
            store.save("prod", "s", inventory(&["a"]), 2),
            "an environment added again under that id keeps its own, without waiting a minute"
        );
        wait_for(&store.path_for("prod"));
        assert_eq!(store.load("prod", "s").await.unwrap().taken_at, 2);
    }

    #[tokio::test]
    async fn a_damaged_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let store = LastKnownInventories::at(dir.path().to_path_buf());
        std::fs::create_dir_all(store.path_for("prod").parent().unwrap()).unwrap();
        std::fs::write(store.path_for("prod"), b"{\"taken_at\": 1, \"rows\": [").unwrap();
        assert_eq!(store.load("prod", "s").await, None);
    }

    #[test]
    fn the_source_names_endpoint_user_and_scope() {
        let mut env = Environment::local_default();
        env.vhost = None;
        let all = source_of(&env);
        env.vhost = Some("billing".into());
        assert_ne!(source_of(&env), all, "a narrower scope lists other queues");
        assert!(!all.contains("password"));
    }
}
