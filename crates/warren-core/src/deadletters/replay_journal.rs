//! What a replay must remember across its own death: the messages whose copy the broker had
//! confirmed while their DLQ delivery might not yet be acked. A run that is killed, or loses its
//! connection, leaves those originals in the DLQ *and* their copies at the destination; the next
//! run of the same DLQ reads this journal and acks such an original without a second copy.
//!
//! One file per (environment, vhost, DLQ) in the data dir, locked for the run (a second replay
//! of the same DLQ at once is refused). An entry is written before the ack that could make it
//! moot, and dropped once the broker has answered a request sent after that ack (all earlier
//! acks processed), so the file holds at most about one window of entries.
//!
//! A message is recognised by the SHA-256 of its body and its properties as published (headers
//! with `x-death` and its times; not the quorum `x-delivery-count`). Two byte-identical dead
//! letters cannot be told apart: an identity seen twice in a run is written as ambiguous and
//! never skipped, and only a *redelivered* message (one the stopped run held) is skipped.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;

use lapin::BasicProperties;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

pub(crate) type Identity = [u8; 32];

/// The identity of a message: its body and its properties as published.
pub(crate) fn identity(published: &BasicProperties, body: &[u8]) -> Identity {
    let mut h = Sha256::new();
    // Debug of lapin's properties is deterministic (headers are a sorted map).
    h.update(format!("{published:?}").as_bytes());
    h.update([0]);
    h.update(body);
    h.finalize().into()
}

fn hex(id: &Identity) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Identity> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

pub(crate) struct Journal {
    path: PathBuf,
    /// Held for the run: the exclusive lock on the journal's `.lock` sibling.
    _lock: std::fs::File,
    /// The stopped run that left entries, for the report.
    pub earlier_run: Option<String>,
    /// Entries an earlier, stopped run left: copies it had delivered.
    earlier: HashMap<Identity, u32>,
    /// This run's confirmed copies whose ack is not known to be processed, by delivery tag.
    unsynced: BTreeMap<u64, Vec<Identity>>,
    /// How often each identity was seen in this run (twins are never skipped later).
    seen: HashMap<Identity, u32>,
    file: std::fs::File,
    replay_id: String,
    /// Entries recorded but not yet written.
    buffered: Vec<u8>,
}

impl Journal {
    /// Open (and lock) the journal of `queue`, reading what an earlier stopped run left.
    pub(crate) fn open(env_id: &str, vhost: &str, queue: &str, replay_id: &str) -> Result<Journal> {
        let dir = crate::audit::data_dir().join("replays");
        let key: Identity = Sha256::digest(format!("{env_id}\0{vhost}\0{queue}").as_bytes()).into();
        let path = dir.join(format!("{}.journal", &hex(&key)[..24]));
        let io = |e: std::io::Error| Error::FileWrite {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        crate::config::create_private_dir(&dir).map_err(io)?;
        let lock = crate::config::open_private_append(&path.with_extension("lock")).map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::InvalidArgument(format!(
                    "another replay or discard of `{queue}` in vhost `{vhost}` is running (on this machine): wait for it to finish, or cancel it"
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let mut earlier = HashMap::new();
        let mut earlier_run = None;
        if let Ok(text) = std::fs::read_to_string(&path) {
            for line in text.lines() {
                if let Some(run) = line.strip_prefix("run ") {
                    earlier_run = Some(run.to_string());
                } else if let Some(id) = unhex(line.trim()) {
                    *earlier.entry(id).or_insert(0) += 1;
                }
                // Ambiguous entries (`? <id>`) and anything unreadable are never skipped.
            }
        }
        let file = crate::config::open_private_append(&path).map_err(io)?;
        let mut j = Journal {
            path,
            _lock: lock,
            earlier_run,
            earlier,
            unsynced: BTreeMap::new(),
            seen: HashMap::new(),
            file,
            replay_id: replay_id.to_string(),
            buffered: Vec::new(),
        };
        j.rewrite();
        Ok(j)
    }

    /// Note a message read by this run (to recognise twins).
    pub(crate) fn saw(&mut self, id: &Identity) {
        *self.seen.entry(*id).or_insert(0) += 1;
    }

    /// Was this redelivered message's copy already delivered by an earlier, stopped run? Takes
    /// the entry, so each entry skips one message.
    pub(crate) fn delivered_earlier(&mut self, id: &Identity, redelivered: bool) -> bool {
        if !redelivered {
            return false;
        }
        match self.earlier.get_mut(id) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// A copy of the message behind `tag` is confirmed: remember it until its ack is processed.
    pub(crate) fn confirmed(&mut self, tag: u64, id: Identity) {
        let twin = self.seen.get(&id).copied().unwrap_or(0) > 1;
        let line = if twin {
            format!("? {}\n", hex(&id))
        } else {
            format!("{}\n", hex(&id))
        };
        self.buffered.extend_from_slice(line.as_bytes());
        if !twin {
            self.unsynced.entry(tag).or_default().push(id);
        }
    }

    /// Write what was recorded: called before every ack (an ack may make an original vanish,
    /// and a killed process keeps what it wrote, flushed or not to disk).
    pub(crate) fn write(&mut self) {
        if !self.buffered.is_empty() {
            if let Err(e) = self.file.write_all(&self.buffered) {
                tracing::warn!(path = %self.path.display(), error = %e, "replay journal write failed");
            }
            self.buffered.clear();
        }
    }

    /// The broker processed every ack up to `tag`: those entries are moot.
    pub(crate) fn synced(&mut self, tag: u64) {
        let rest = self.unsynced.split_off(&(tag + 1));
        let dropped = std::mem::replace(&mut self.unsynced, rest);
        if !dropped.is_empty() {
            self.rewrite();
        }
    }

    /// The file anew: this run's id, what an earlier run left that was not used, and this
    /// run's unsynced entries.
    fn rewrite(&mut self) {
        self.buffered.clear();
        let mut text = format!("run {}\n", self.replay_id);
        for (id, n) in &self.earlier {
            for _ in 0..*n {
                text.push_str(&hex(id));
                text.push('\n');
            }
        }
        for ids in self.unsynced.values() {
            for id in ids {
                text.push_str(&hex(id));
                text.push('\n');
            }
        }
        let tmp = self.path.with_extension("tmp");
        let written = (|| {
            let mut f = crate::config::open_private(&tmp)?;
            f.write_all(text.as_bytes())?;
            std::fs::rename(&tmp, &self.path)?;
            crate::config::open_private_append(&self.path)
        })();
        match written {
            Ok(f) => self.file = f,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "replay journal rewrite failed")
            }
        }
    }

    /// The run ended with its connection closed cleanly (every ack processed). When it read the
    /// whole queue in full scope, what an earlier run left is moot too.
    pub(crate) fn finish(mut self, covered_everything: bool) {
        self.unsynced.clear();
        if covered_everything {
            self.earlier.clear();
        }
        if self.earlier.values().all(|n| *n == 0) {
            let _ = std::fs::remove_file(&self.path);
        } else {
            self.rewrite();
        }
    }

    /// The run stopped early: keep every entry for the next run.
    pub(crate) fn keep(mut self) {
        self.write();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_stable_and_round_trip_through_hex() {
        let p = BasicProperties::default().with_message_id("m1".into());
        assert_eq!(identity(&p, b"x"), identity(&p.clone(), b"x"));
        assert_ne!(identity(&p, b"x"), identity(&p, b"y"));
        assert_eq!(unhex(&hex(&identity(&p, b"x"))), Some(identity(&p, b"x")));
        assert_eq!(unhex("zz"), None);
    }
}
