//! Long operations a front end started (moves, replays), by the id it gave each, so it can
//! cancel one. The core polls the flag between messages.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Jobs(Mutex<HashMap<String, Arc<AtomicBool>>>);

/// A running job: it leaves the registry when dropped, however the job ended.
pub struct Job<'a> {
    jobs: &'a Jobs,
    id: String,
    flag: Arc<AtomicBool>,
}

impl Job<'_> {
    pub fn cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

impl Drop for Job<'_> {
    fn drop(&mut self) {
        self.jobs.lock().remove(&self.id);
    }
}

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<AtomicBool>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn start(&self, id: &str) -> Job<'_> {
        let flag = Arc::new(AtomicBool::new(false));
        self.lock().insert(id.to_string(), flag.clone());
        Job {
            jobs: self,
            id: id.to_string(),
            flag,
        }
    }

    /// Ask a job to stop; false when no such job runs.
    pub fn cancel(&self, id: &str) -> bool {
        self.lock()
            .get(id)
            .map(|c| c.store(true, Ordering::SeqCst))
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_hears_its_cancel_and_leaves_when_it_ends() {
        let jobs = Jobs::default();
        let job = jobs.start("a");
        assert!(!job.cancelled());
        assert!(jobs.cancel("a") && job.cancelled());
        drop(job);
        assert!(!jobs.cancel("a"), "an ended job cannot be cancelled");
    }
}
