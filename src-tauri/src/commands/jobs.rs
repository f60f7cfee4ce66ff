//! Long operations running for the window (moves, replays), by the id the window gave each, so
//! it can cancel one. The core polls the flag between messages.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct RunningJobs(Mutex<HashMap<String, Arc<AtomicBool>>>);

impl RunningJobs {
    pub fn start(&self, id: &str) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        self.0.lock().unwrap().insert(id.to_string(), flag.clone());
        flag
    }

    pub fn finish(&self, id: &str) {
        self.0.lock().unwrap().remove(id);
    }

    /// Ask a job to stop; false when no such job runs.
    pub fn cancel(&self, id: &str) -> bool {
        self.0
            .lock()
            .unwrap()
            .get(id)
            .map(|c| c.store(true, Ordering::SeqCst))
            .is_some()
    }
}
