//! What a front end holds for its user: the environment store, the inventories it loaded per
//! environment, and the jobs it runs. Each request a front end makes is one call here (the
//! Tauri commands are one line each); this layer resolves the environment, its password and
//! its loaded inventory, and calls the area that does the work (`queues`, `realms`,
//! `deadletters`), which sit below it and do not know of it.

pub mod after_change;
pub mod alerts;
pub mod cache;
pub mod deadletters;
pub mod demo;
pub mod drift;
pub mod environments;
pub mod fleet;
pub mod history;
pub mod jobs;
pub mod messages;
pub mod queues;
pub mod realms;

use std::sync::Arc;

use secrecy::SecretString;

pub use cache::{FilterOutcome, InventoryCache, RefreshEvent};
pub use history::{Histories, SampleReport};
pub use jobs::{Job, Jobs};

use crate::environment::Environment;
use crate::error::Result;
use crate::queues::last_known::LastKnownInventories;
use crate::queues::Inventory;
use crate::store::EnvironmentStore;

pub struct Session {
    pub store: EnvironmentStore,
    pub cache: InventoryCache,
    pub jobs: Jobs,
    /// Each environment's local history of its queues and realms.
    pub history: Histories,
    /// Each environment's last complete inventory, shown while the next first load runs.
    pub last_known: LastKnownInventories,
    /// A password for this run only (the CLI's `--password-stdin`), never stored.
    password: Option<SecretString>,
    /// Alerts that opened and were not yet taken for a notification.
    new_alerts: std::sync::Mutex<Vec<crate::alerts::Alert>>,
}

impl Session {
    pub fn new(store: EnvironmentStore) -> Session {
        Session {
            store,
            cache: InventoryCache::default(),
            jobs: Jobs::default(),
            history: Histories::default(),
            last_known: LastKnownInventories::default(),
            password: None,
            new_alerts: Default::default(),
        }
    }

    /// A session whose every environment is reached with `password` instead of the keyring's.
    pub fn with_password(store: EnvironmentStore, password: Option<SecretString>) -> Session {
        Session {
            password,
            ..Session::new(store)
        }
    }

    /// The environment and its password (the keyring's, or this run's).
    pub fn connect(&self, env_id: &str) -> Result<(Environment, SecretString)> {
        self.store.with_password(env_id, self.password.clone())
    }

    /// Forget what this session kept of a removed environment: its loaded rows and its last
    /// inventory on disk. Its history stays (a sampled past is not re-read from anywhere).
    pub fn forget(&self, env_id: &str) -> std::io::Result<()> {
        self.cache.forget(env_id);
        self.last_known.forget(env_id)
    }

    /// The environment's loaded inventory, or `NotLoaded`.
    pub fn loaded(&self, env_id: &str) -> Result<Arc<Inventory>> {
        self.cache.loaded(env_id)
    }

    /// Ask a running job (move, replay) to stop; false when none runs by that id.
    pub fn cancel(&self, job_id: &str) -> bool {
        self.jobs.cancel(job_id)
    }
}
