//! The local audit log: one JSON Lines record per mutating action (and per refused attempt) in
//! the data folder (`WARREN_DATA_DIR`, else the platform's, `~/.local/share/warren` on Linux),
//! written by the app and the CLI alike. Each record carries the SHA-256 of the one before it
//! (a hash chain) and its sequence number, so an edited, removed or reordered record is found by
//! `verify`. Never holds a secret: parameters are what the caller passes, and no caller passes a
//! password (the types that hold one are `SecretString`, which does not serialise).
//!
//! Appends take an exclusive lock on the file, so the app and the CLI can write at once.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::environment::Environment;
use crate::error::{Error, Result};

pub const AUDIT_FILE: &str = "audit.jsonl";

/// Warren's data folder: `WARREN_DATA_DIR` if set, else the platform's data dir.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WARREN_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "warren")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".warren-data"))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AuditRecord {
    /// 1, 2, 3…: a gap means a record was removed.
    #[ts(type = "number")]
    pub seq: u64,
    /// UTC, RFC 3339.
    pub time: String,
    pub os_user: String,
    pub host: String,
    pub environment: String,
    pub tier: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    /// e.g. `queues.purge`, `dlq.replay`, `realms.policy.apply`, `environment.update`.
    pub action: String,
    pub targets: Vec<String>,
    #[ts(type = "Record<string, unknown>")]
    pub parameters: Value,
    #[ts(type = "Record<string, unknown>")]
    pub counts: Value,
    /// `ok`, `error` or `refused` (read-only environment).
    pub outcome: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[ts(type = "number")]
    pub duration_ms: u64,
    /// The previous record's `hash` ("" for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) of `prev_hash`, a newline, and this record serialised with `hash` empty.
    pub hash: String,
}

/// What a caller says about one action.
#[derive(Debug, Clone, Default)]
pub struct Action {
    pub action: &'static str,
    pub vhost: Option<String>,
    pub targets: Vec<String>,
    pub parameters: Value,
}

impl Action {
    pub fn new(
        action: &'static str,
        vhost: Option<&str>,
        targets: Vec<String>,
        parameters: Value,
    ) -> Action {
        Action {
            action,
            vhost: vhost.map(str::to_string),
            targets,
            parameters,
        }
    }
}

/// The outcome of a chain check.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Verification {
    #[ts(type = "number")]
    pub records: u64,
    pub ok: bool,
    /// The first line (1-based) where the chain breaks, and why.
    #[ts(optional, type = "number")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn hash_of(record: &AuditRecord) -> String {
    let mut unhashed = record.clone();
    unhashed.hash = String::new();
    let body = serde_json::to_string(&unhashed).expect("a record serialises");
    let mut h = Sha256::new();
    h.update(record.prev_hash.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex(&h.finalize())
}

/// Unix seconds as RFC 3339 UTC (civil-from-days, Howard Hinnant's algorithm; std has no
/// calendar and this is all Warren needs of one).
pub fn rfc3339(unix: i64, millis: u32) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn now_rfc3339() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(d.as_secs() as i64, d.subsec_millis())
}

/// The OS user: the login's variables, else (a service, a bare `sudo`) the name of this
/// process's uid in `/etc/passwd`.
fn os_user() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(user_of_uid)
        .unwrap_or_else(|| "unknown".into())
}

fn user_of_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok();
    passwd
        .as_deref()
        .and_then(|p| {
            p.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                (f.nth(1)? == uid).then(|| name.to_string())
            })
        })
        .or(Some(format!("uid {uid}")))
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// The last complete line of the file (the chain's head), read from the end.
fn last_line(f: &mut std::fs::File) -> std::io::Result<Option<String>> {
    let len = f.seek(SeekFrom::End(0))?;
    let mut back = 0u64;
    let mut buf = Vec::new();
    while back < len {
        let step = 4096.min(len - back);
        back += step;
        f.seek(SeekFrom::End(-(back as i64)))?;
        let mut chunk = vec![0; step as usize];
        f.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&buf);
        buf = chunk;
        let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if let Some(at) = text.iter().rposition(|b| *b == b'\n') {
            return Ok(Some(String::from_utf8_lossy(&text[at + 1..]).into_owned()));
        }
    }
    let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
    Ok((!text.is_empty()).then(|| String::from_utf8_lossy(text).into_owned()))
}

pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn open_default() -> AuditLog {
        AuditLog::at(&data_dir().join(AUDIT_FILE))
    }

    pub fn at(path: &Path) -> AuditLog {
        AuditLog {
            path: path.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one record, chained to the last one. The file (and its folder) are created with
    /// owner-only permissions.
    pub fn append(
        &self,
        env: &Environment,
        a: &Action,
        counts: Value,
        outcome: &str,
        error: Option<String>,
        duration_ms: u64,
    ) -> Result<AuditRecord> {
        let io = |e: std::io::Error| Error::FileWrite {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        };
        if let Some(dir) = self.path.parent() {
            crate::config::create_private_dir(dir).map_err(io)?;
        }
        let mut f = crate::config::open_private_append(&self.path).map_err(io)?;
        f.lock().map_err(io)?;
        let (prev_hash, seq) = match last_line(&mut f).map_err(io)? {
            Some(line) => match serde_json::from_str::<AuditRecord>(&line) {
                Ok(r) => (r.hash, r.seq + 1),
                // A damaged head is chained to as it is; `verify` reports it.
                Err(_) => (hex(&Sha256::digest(line.as_bytes())), 0),
            },
            None => (String::new(), 1),
        };
        let mut record = AuditRecord {
            seq,
            time: now_rfc3339(),
            os_user: os_user(),
            host: host(),
            environment: env.id.clone(),
            tier: format!("{:?}", env.tier).to_lowercase(),
            vhost: a.vhost.clone(),
            action: a.action.to_string(),
            targets: a.targets.clone(),
            parameters: a.parameters.clone(),
            counts,
            outcome: outcome.to_string(),
            error,
            duration_ms,
            prev_hash,
            hash: String::new(),
        };
        record.hash = hash_of(&record);
        let mut line = serde_json::to_string(&record).expect("a record serialises");
        line.push('\n');
        f.seek(SeekFrom::End(0)).map_err(io)?;
        f.write_all(line.as_bytes()).map_err(io)?;
        f.flush().map_err(io)?;
        Ok(record)
    }

    /// Every record that parses (a damaged line is skipped here; `verify` names it).
    pub fn read(&self) -> Result<Vec<AuditRecord>> {
        let f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => {
                return Err(Error::FileRead {
                    path: self.path.display().to_string(),
                    reason: e.to_string(),
                })
            }
        };
        Ok(BufReader::new(f)
            .lines()
            .map_while(std::result::Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect())
    }

    /// Check the chain: every line parses, numbers follow on, each record names the previous
    /// one's hash and its own hash is right.
    pub fn verify(&self) -> Result<Verification> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(Error::FileRead {
                    path: self.path.display().to_string(),
                    reason: e.to_string(),
                })
            }
        };
        let mut prev = String::new();
        let mut n = 0u64;
        let fail = |line: u64, problem: String, records: u64| Verification {
            records,
            ok: false,
            line: Some(line),
            problem: Some(problem),
        };
        for (i, line) in text.lines().enumerate() {
            let no = i as u64 + 1;
            let r: AuditRecord = match serde_json::from_str(line) {
                Ok(r) => r,
                Err(e) => return Ok(fail(no, format!("not a record: {e}"), n)),
            };
            if r.seq != no {
                return Ok(fail(no, format!("record number {} where {no} was expected: a record was removed or inserted", r.seq), n));
            }
            if r.prev_hash != prev {
                return Ok(fail(no, "does not follow the record before it (prev_hash differs): a record was removed, reordered or edited".into(), n));
            }
            if hash_of(&r) != r.hash {
                return Ok(fail(
                    no,
                    "its content does not match its hash: the record was edited".into(),
                    n,
                ));
            }
            prev = r.hash;
            n += 1;
        }
        Ok(Verification {
            records: n,
            ok: true,
            line: None,
            problem: None,
        })
    }
}

/// Record the outcome of a mutating action in the default log. A record that cannot be written
/// does not undo or fail the action (it already happened); it is reported on the error log.
pub fn record<T>(
    env: &Environment,
    a: Action,
    started: Instant,
    result: &Result<T>,
    counts: impl FnOnce(&T) -> Value,
) {
    let (outcome, error, counts) = match result {
        Ok(v) => ("ok", None, counts(v)),
        Err(Error::ReadOnly(_)) => (
            "refused",
            Some("the environment is read-only".to_string()),
            Value::Null,
        ),
        Err(e) => ("error", Some(e.to_string()), Value::Null),
    };
    let elapsed = started.elapsed().as_millis() as u64;
    tracing::info!(
        environment = %env.id,
        action = a.action,
        vhost = a.vhost.as_deref().unwrap_or(""),
        targets = a.targets.len(),
        outcome,
        error = error.as_deref().unwrap_or(""),
        duration_ms = elapsed,
        "action"
    );
    if let Err(e) = AuditLog::open_default().append(env, &a, counts, outcome, error, elapsed) {
        tracing::error!(action = a.action, environment = %env.id, "audit record not written: {e}");
        eprintln!(
            "warning: the audit record of `{}` was not written: {e}",
            a.action
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env() -> Environment {
        Environment::local_default()
    }

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_764_115_200, 5), "2025-11-26T00:00:00.005Z");
        assert_eq!(rfc3339(951_782_400, 0), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn records_chain_and_verify_and_tampering_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::at(&dir.path().join("sub").join(AUDIT_FILE));
        assert!(log.verify().unwrap().ok, "no file is an empty, valid chain");
        for i in 0..3 {
            let a = Action::new(
                "queues.purge",
                Some("/"),
                vec![format!("q{i}")],
                json!({"dry_run": false}),
            );
            log.append(&env(), &a, json!({"messages": i}), "ok", None, 5)
                .unwrap();
        }
        let v = log.verify().unwrap();
        assert_eq!((v.ok, v.records), (true, 3));
        let records = log.read().unwrap();
        assert_eq!(records[2].seq, 3);
        assert_eq!(records[1].prev_hash, records[0].hash);
        assert_eq!(records[0].environment, "local");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(log.path()).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }

        let text = std::fs::read_to_string(log.path()).unwrap();
        // An edit.
        std::fs::write(log.path(), text.replace("\"q1\"", "\"q9\"")).unwrap();
        let v = log.verify().unwrap();
        assert_eq!((v.ok, v.line), (false, Some(2)));
        assert!(v.problem.unwrap().contains("edited"));
        // A removed record.
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(log.path(), format!("{}\n{}\n", lines[0], lines[2])).unwrap();
        let v = log.verify().unwrap();
        assert_eq!((v.ok, v.line), (false, Some(2)));
        assert!(v.problem.unwrap().contains("removed"));
        // Restored, the chain continues after the last record.
        std::fs::write(log.path(), &text).unwrap();
        log.append(
            &env(),
            &Action::new("dlq.replay", None, vec![], Value::Null),
            Value::Null,
            "refused",
            Some("read-only".into()),
            0,
        )
        .unwrap();
        assert_eq!(log.verify().unwrap().records, 4);
    }

    #[test]
    fn concurrent_appends_keep_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUDIT_FILE);
        std::thread::scope(|s| {
            for t in 0..4 {
                let path = path.clone();
                s.spawn(move || {
                    let log = AuditLog::at(&path);
                    for i in 0..25 {
                        let a = Action::new("test", None, vec![format!("{t}-{i}")], Value::Null);
                        log.append(&env(), &a, Value::Null, "ok", None, 0).unwrap();
                    }
                });
            }
        });
        let v = AuditLog::at(&path).verify().unwrap();
        assert_eq!((v.ok, v.records), (true, 100), "{v:?}");
    }
}
