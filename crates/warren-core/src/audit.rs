//! The local audit log: one JSON Lines record per mutating action (and per refused attempt) in
//! the data folder (`WARREN_DATA_DIR`, else the platform's, `~/.local/share/warren` on Linux),
//! written by the app and the CLI alike. Each record carries the SHA-256 of the one before it
//! (a hash chain), its sequence number, and an HMAC-SHA256 under a key kept in the OS keyring
//! (service `warren-audit`), which also holds the chain's head (last seq and hash). The chain
//! finds an edited, removed or reordered record; the MAC finds one whose hash was recomputed or
//! a forged one; the head finds a truncated, emptied or rewritten file. Never holds a secret:
//! parameters are what the caller passes, and no caller passes a password.
//!
//! A change to a broker is written twice: `start` before it, `Pending::finish` with its outcome
//! after, so a run that was killed shows as started and never finished. Appends take an
//! exclusive lock on the file (the keyring's head is updated under it too).

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::secrets::Keyring;

pub const AUDIT_FILE: &str = "audit.jsonl";

/// The keyring service of the audit keys: apart from `warren` (passwords, account = environment
/// id) so that no environment id can name an audit entry.
pub const KEYRING_SERVICE: &str = "warren-audit";

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
    /// `started` (written before a change to a broker), then its outcome: `ok`, `error`,
    /// `refused` (read-only environment), `cancelled` (stopped on request) or `stopped` (ended
    /// early by itself, e.g. a lost connection).
    pub outcome: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[ts(type = "number")]
    pub duration_ms: u64,
    /// On an outcome record: the `seq` of the `started` record it ends.
    #[ts(optional, type = "number")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_seq: Option<u64>,
    /// The previous record's `hash` ("" for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) of `prev_hash`, a newline, and this record serialised with `hash` empty
    /// and no `mac`.
    pub hash: String,
    /// The chain's head the keyring held when this record was appended (absent on the first
    /// keyed record and on unkeyed ones): a record appended after a truncation names records
    /// the file no longer has.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyring_head: Option<Head>,
    /// HMAC-SHA256 (hex) of this record serialised without `mac`, under the log's key in the OS
    /// keyring. Absent when the keyring could not be reached (and on records written before
    /// Warren kept a key).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

/// The last record of a chain, as the keyring remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Head {
    #[ts(type = "number")]
    pub seq: u64,
    pub hash: String,
}

/// Records `first..=last` (by seq).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SeqRange {
    #[ts(type = "number")]
    pub first: u64,
    #[ts(type = "number")]
    pub last: u64,
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

/// The outcome of a chain check. `ok` is true only when nothing shows tampering *and* the
/// records' MACs and the chain's head could be checked against the keyring.
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
    /// Whether the keyring could be asked for this log's key and head (false: only the hash
    /// chain was checked, which cannot show a truncated or rewritten file).
    pub keyed: bool,
    /// The chain's head the keyring holds for this log.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
    /// Records without a MAC that a later keyed record vouches for (they were in the file when
    /// it was written): written before Warren kept an audit key, or while the keyring could not
    /// be reached. Nothing shows they were tampered with, but only the hash chain protects them.
    pub unkeyed: Vec<SeqRange>,
    /// Records without a MAC at the end of the log that no keyed record vouches for yet (the
    /// next recorded action, or `warren audit seal`, does).
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsealed: Option<SeqRange>,
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

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn hash_of(record: &AuditRecord) -> String {
    let mut unhashed = record.clone();
    unhashed.hash = String::new();
    unhashed.mac = None;
    let body = serde_json::to_string(&unhashed).expect("a record serialises");
    let mut h = Sha256::new();
    h.update(record.prev_hash.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex(&h.finalize())
}

fn mac_of(record: &AuditRecord, key: &[u8]) -> String {
    let mut unmaced = record.clone();
    unmaced.mac = None;
    let body = serde_json::to_string(&unmaced).expect("a record serialises");
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    m.update(body.as_bytes());
    hex(&m.finalize().into_bytes())
}

fn mac_matches(record: &AuditRecord, mac: &str, key: &[u8]) -> bool {
    let Some(tag) = unhex(mac) else { return false };
    let mut unmaced = record.clone();
    unmaced.mac = None;
    let body = serde_json::to_string(&unmaced).expect("a record serialises");
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    m.update(body.as_bytes());
    m.verify_slice(&tag).is_ok()
}

/// What the keyring holds for one log: its MAC key (hex) and the chain's head.
#[derive(Clone, Serialize, Deserialize)]
struct Seal {
    key: String,
    #[serde(default)]
    head: Option<Head>,
}

impl Seal {
    fn key_bytes(&self) -> Option<Vec<u8>> {
        unhex(&self.key).filter(|k| !k.is_empty())
    }
}

/// Where a log's key and head live: the OS keyring, or (unit tests of the pure logic only)
/// memory that can be made unreachable.
#[derive(Debug, Clone)]
pub enum KeySource {
    Keyring(Keyring),
    #[cfg(test)]
    Memory(std::sync::Arc<std::sync::Mutex<Option<std::collections::HashMap<String, String>>>>),
}

impl KeySource {
    #[cfg(test)]
    fn memory() -> KeySource {
        KeySource::Memory(std::sync::Arc::new(std::sync::Mutex::new(Some(
            Default::default(),
        ))))
    }

    fn get(&self, account: &str) -> Result<Option<Seal>> {
        let text = match self {
            KeySource::Keyring(k) => k.get(account)?.map(|s| s.expose_secret().to_string()),
            #[cfg(test)]
            KeySource::Memory(m) => m
                .lock()
                .unwrap()
                .as_ref()
                .ok_or_else(|| Error::KeyringUnavailable {
                    detail: "memory keyring turned off".into(),
                })?
                .get(account)
                .cloned(),
        };
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| {
                Error::Keyring(format!("the audit entry `{account}` is not Warren's: {e}"))
            })
        })
        .transpose()
    }

    fn set(&self, account: &str, seal: &Seal) -> Result<()> {
        let text = serde_json::to_string(seal).expect("a seal serialises");
        match self {
            KeySource::Keyring(k) => k.set(account, &SecretString::from(text)),
            #[cfg(test)]
            KeySource::Memory(m) => {
                m.lock()
                    .unwrap()
                    .as_mut()
                    .ok_or_else(|| Error::KeyringUnavailable {
                        detail: "memory keyring turned off".into(),
                    })?
                    .insert(account.to_string(), text);
                Ok(())
            }
        }
    }
}

/// Why the keyring did not answer, in a few words (the long `KeyringUnavailable` text is about
/// passwords).
fn keyring_reason(e: &Error) -> String {
    match e {
        Error::KeyringUnavailable { detail } => detail.clone(),
        other => other.to_string(),
    }
}

fn new_key() -> Result<String> {
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key)
        .map_err(|e| Error::Keyring(format!("no random bytes for the audit key: {e}")))?;
    Ok(hex(&key))
}

/// The path with every existing part resolved (symlinks, `..`), so one log has one keyring
/// entry whichever way it is named, and a deleted file or folder still maps to the same one.
fn canonical(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut rest = Vec::new();
    let mut base = abs.as_path();
    loop {
        if let Ok(c) = base.canonicalize() {
            return rest.iter().rev().fold(c, |p, part| p.join(part));
        }
        match (base.parent(), base.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                base = parent;
            }
            _ => return abs,
        }
    }
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

/// Check a log's text against what the keyring holds for it (`seal`: its entry, none, or why
/// the keyring did not answer). Pure, so each kind of tampering can be shown in a unit test.
fn check(text: &str, seal: Result<Option<Seal>>) -> Verification {
    let (reachable, key, head, unusable) = match &seal {
        Ok(Some(s)) => (true, s.key_bytes(), s.head.clone(), s.key_bytes().is_none()),
        Ok(None) => (true, None, None, false),
        Err(_) => (false, None, None, false),
    };
    let mut v = Verification {
        records: 0,
        ok: false,
        line: None,
        problem: None,
        keyed: reachable,
        head: head.clone(),
        unkeyed: vec![],
        unsealed: None,
    };
    let fail = |mut v: Verification, line: Option<u64>, problem: String| {
        v.ok = false;
        v.line = line;
        v.problem = Some(problem);
        v
    };
    if unusable {
        return fail(v, None, "the keyring's audit entry for this log holds no usable key: it was altered outside Warren".into());
    }
    let mut hashes: Vec<String> = Vec::new();
    let mut keyed_records = 0u64;
    let mut open_unkeyed: Option<SeqRange> = None;
    for (i, line) in text.lines().enumerate() {
        let no = i as u64 + 1;
        let r: AuditRecord = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(e) => return fail(v, Some(no), format!("not a record: {e}")),
        };
        if r.seq != no {
            return fail(
                v,
                Some(no),
                format!(
                    "record number {} where {no} was expected: a record was removed or inserted",
                    r.seq
                ),
            );
        }
        if r.prev_hash != hashes.last().map_or("", String::as_str) {
            return fail(v, Some(no), "does not follow the record before it (prev_hash differs): a record was removed, reordered or edited".into());
        }
        if hash_of(&r) != r.hash {
            return fail(
                v,
                Some(no),
                "its content does not match its hash: the record was edited".into(),
            );
        }
        match &r.mac {
            Some(mac) if reachable => {
                let Some(key) = &key else {
                    return fail(v, Some(no), "it carries a MAC but the keyring holds no key for this log: the key was removed, or the file was copied or moved here from another path (the key belongs to the file's path)".into());
                };
                if !mac_matches(&r, mac, key) {
                    return fail(v, Some(no), "its MAC does not match: the record was edited (and its hash recomputed) or forged".into());
                }
                if let Some(h) = &r.keyring_head {
                    let there = (h.seq >= 1 && h.seq < no).then(|| &hashes[h.seq as usize - 1]);
                    if there != Some(&h.hash) {
                        let what = if h.seq >= no {
                            format!("the log had only {} record(s) then", no - 1)
                        } else {
                            format!("the log holds a different record {} now", h.seq)
                        };
                        return fail(v, Some(no), format!("it was appended when the keyring's head was record {}, but {what}: records were removed or rewritten before it was appended", h.seq));
                    }
                }
                keyed_records += 1;
                v.unkeyed.extend(open_unkeyed.take());
            }
            Some(_) => {
                keyed_records += 1;
                v.unkeyed.extend(open_unkeyed.take());
            }
            None => match &mut open_unkeyed {
                Some(range) => range.last = no,
                None => {
                    open_unkeyed = Some(SeqRange {
                        first: no,
                        last: no,
                    })
                }
            },
        }
        hashes.push(r.hash);
        v.records = no;
    }
    let n = v.records;
    v.unsealed = open_unkeyed.clone();
    if let Err(e) = &seal {
        return fail(v, None, format!("the OS keyring could not be reached ({}): the records' MACs and the chain's head were not checked. The hash chain of the {n} record(s) is intact, but that alone cannot show a truncated, emptied or rewritten log", keyring_reason(e)));
    }
    match &head {
        Some(h) if h.seq > n => {
            let what = if n == 0 {
                "the log is empty (or missing)".to_string()
            } else {
                format!("the log ends at record {n}")
            };
            return fail(v, Some(n + 1), format!("{what}, but the keyring's head is record {}: the last {} record(s) were removed", h.seq, h.seq - n));
        }
        Some(h) if h.seq == 0 || hashes[h.seq as usize - 1] != h.hash => {
            return fail(v, Some(h.seq.max(1)), format!("record {} is not the one the keyring's head names (its hash differs): the log was rewritten", h.seq));
        }
        Some(_) => {}
        None if keyed_records > 0 => {
            return fail(v, None, "the keyring holds this log's key but not its head, though records carry MACs: the head was not saved after an append (or was removed), so a truncated log cannot be told apart. The next recorded action saves it again".into());
        }
        None => {}
    }
    if let Some(range) = open_unkeyed {
        let which = if range.first == range.last {
            format!(
                "record {} carries no MAC and no keyed record vouches for it",
                range.first
            )
        } else {
            format!(
                "records {}..{} carry no MAC and no keyed record vouches for them",
                range.first, range.last
            )
        };
        return fail(v, Some(range.first), format!("{which}: written before Warren kept an audit key, or while the keyring could not be reached — or appended by someone else. The next action recorded with the keyring reachable (or `warren audit seal`) vouches for them as they are"));
    }
    v.ok = true;
    v
}

/// How an action ended, from its result: a run whose counts say `"cancelled": true` ended on
/// request, one whose counts say `"stopped": true` ended early by itself.
fn outcome_of<T>(
    result: &Result<T>,
    counts: impl FnOnce(&T) -> Value,
) -> (&'static str, Option<String>, Value) {
    match result {
        Ok(v) => {
            let counts = counts(v);
            let outcome = if counts["cancelled"] == Value::Bool(true) {
                "cancelled"
            } else if counts["stopped"] == Value::Bool(true) {
                "stopped"
            } else {
                "ok"
            };
            (outcome, None, counts)
        }
        Err(Error::ReadOnly(_)) => (
            "refused",
            Some("the environment is read-only".to_string()),
            Value::Null,
        ),
        Err(e) => ("error", Some(e.to_string()), Value::Null),
    }
}

/// The `seq` of each `started` record that no outcome record ends: still running, or the
/// process was killed.
pub fn unfinished(records: &[AuditRecord]) -> std::collections::BTreeSet<u64> {
    let ended: std::collections::HashSet<u64> =
        records.iter().filter_map(|r| r.started_seq).collect();
    records
        .iter()
        .filter(|r| r.outcome == "started" && !ended.contains(&r.seq))
        .map(|r| r.seq)
        .collect()
}

pub struct AuditLog {
    path: PathBuf,
    keys: KeySource,
}

impl AuditLog {
    pub fn open_default() -> AuditLog {
        AuditLog::at(&data_dir().join(AUDIT_FILE))
    }

    /// The log at `path`, its key and head in the OS keyring (service `warren-audit`).
    pub fn at(path: &Path) -> AuditLog {
        AuditLog {
            path: path.to_path_buf(),
            keys: KeySource::Keyring(Keyring::with_service(KEYRING_SERVICE)),
        }
    }

    /// The same log with its key and head kept elsewhere (tests use a keyring service of
    /// their own).
    pub fn with_keys(mut self, keys: KeySource) -> AuditLog {
        self.keys = keys;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The keyring account of this log's key and head: SHA-256 (hex) of its canonical path, so
    /// every data folder has its own and none can collide with another's.
    pub fn keyring_account(&self) -> String {
        let path = canonical(&self.path);
        hex(&Sha256::digest(path.as_os_str().as_encoded_bytes()))
    }

    /// Append one record, chained to the last one and keyed with the log's MAC key. The file
    /// (and its folder) are created with owner-only permissions.
    pub fn append(
        &self,
        env: &Environment,
        a: &Action,
        counts: Value,
        outcome: &str,
        error: Option<String>,
        duration_ms: u64,
    ) -> Result<AuditRecord> {
        let record = new_record(env, a, counts, outcome, error, duration_ms, None);
        let (record, warning) = self.write(record, false)?;
        if let Some(w) = warning {
            tracing::warn!(action = a.action, "audit record {}: {w}", record.seq);
        }
        Ok(record)
    }

    /// Write `record` at the end of the chain: numbered, chained, MACed when the keyring
    /// answers (else written without a MAC and a warning returned — auditing never blocks an
    /// action; with `require_key` it is not written at all), and the keyring's head moved to it.
    fn write(
        &self,
        mut record: AuditRecord,
        require_key: bool,
    ) -> Result<(AuditRecord, Option<String>)> {
        let io = |e: std::io::Error| Error::FileWrite {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        };
        if let Some(dir) = self.path.parent() {
            crate::config::create_private_dir(dir).map_err(io)?;
        }
        let mut f = crate::config::open_private_append(&self.path).map_err(io)?;
        f.lock().map_err(io)?;
        (record.prev_hash, record.seq) = match last_line(&mut f).map_err(io)? {
            Some(line) => match serde_json::from_str::<AuditRecord>(&line) {
                Ok(r) => (r.hash, r.seq + 1),
                // A damaged head is chained to as it is; `verify` reports it.
                Err(_) => (hex(&Sha256::digest(line.as_bytes())), 0),
            },
            None => (String::new(), 1),
        };
        let account = self.keyring_account();
        let mut warning = None;
        let unreachable = |e: &Error| {
            format!(
                "written without a MAC: the OS keyring could not be reached ({}); `warren audit verify` reports it until a later record vouches for it",
                keyring_reason(e)
            )
        };
        let seal = match self.keys.get(&account) {
            Ok(Some(s)) if s.key_bytes().is_some() => Some(s),
            // Never overwrite an entry Warren cannot read: verify reports it.
            Ok(Some(_)) => {
                warning = Some("written without a MAC: the keyring's audit entry for this log holds no usable key".to_string());
                None
            }
            Ok(None) => {
                let seal = new_key().map(|key| Seal { key, head: None });
                match seal.and_then(|s| self.keys.set(&account, &s).map(|()| s)) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        warning = Some(unreachable(&e));
                        None
                    }
                }
            }
            Err(e) => {
                warning = Some(unreachable(&e));
                None
            }
        };
        if require_key && seal.is_none() {
            return Err(Error::Keyring(warning.unwrap_or_default()));
        }
        record.keyring_head = seal.as_ref().and_then(|s| s.head.clone());
        record.hash = hash_of(&record);
        if let Some(key) = seal.as_ref().and_then(Seal::key_bytes) {
            record.mac = Some(mac_of(&record, &key));
        }
        let mut line = serde_json::to_string(&record).expect("a record serialises");
        line.push('\n');
        f.seek(SeekFrom::End(0)).map_err(io)?;
        f.write_all(line.as_bytes()).map_err(io)?;
        f.flush().map_err(io)?;
        if let Some(mut seal) = seal {
            seal.head = Some(Head {
                seq: record.seq,
                hash: record.hash.clone(),
            });
            if let Err(e) = self.keys.set(&account, &seal) {
                warning = Some(format!("the keyring's head was not moved to it ({}); `warren audit verify` reports a missing head until the next record", keyring_reason(&e)));
            }
        }
        Ok((record, warning))
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
    /// one's hash, its own hash and MAC are right, and the file still holds the head the
    /// keyring remembers. Reads the keyring; does not modify anything.
    pub fn verify(&self) -> Result<Verification> {
        let read_error = |e: std::io::Error| Error::FileRead {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        };
        // Held (shared) while the keyring is read, so file and head are seen at one moment.
        let mut file = match std::fs::File::open(&self.path) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(read_error(e)),
        };
        let mut text = String::new();
        if let Some(f) = &mut file {
            f.lock_shared().map_err(read_error)?;
            f.read_to_string(&mut text).map_err(read_error)?;
        }
        let seal = self.keys.get(&self.keyring_account());
        Ok(check(&text, seal))
    }

    /// Vouch for the log as it is: append an `audit.seal` record under the keyring's key, so
    /// unkeyed records before it (written before Warren kept a key, or while the keyring could
    /// not be reached) stop being reported. Refused when the keyring cannot be reached or the
    /// chain shows any other problem. Modifies the log and the keyring.
    pub fn seal(&self) -> Result<AuditRecord> {
        let v = self.verify()?;
        let only_unsealed = v.unsealed.as_ref().map(|u| u.first) == v.line && v.line.is_some();
        if !v.keyed {
            return Err(Error::Keyring(format!(
                "the audit log cannot be sealed without its key: {}",
                v.problem.unwrap_or_default()
            )));
        }
        if !v.ok && !only_unsealed {
            return Err(Error::InvalidArgument(format!(
                "the audit log is broken at line {}: {}. Sealing would vouch for it: keep a copy (`warren audit export`) and look into it first",
                v.line.map_or("-".to_string(), |l| l.to_string()),
                v.problem.unwrap_or_default()
            )));
        }
        let record = AuditRecord {
            environment: String::new(),
            tier: String::new(),
            action: "audit.seal".into(),
            parameters: serde_json::json!({ "unsealed": v.unsealed }),
            ..new_record_base("ok")
        };
        Ok(self.write(record, true)?.0)
    }

    /// Write a `started` record before a change; its outcome follows with `Pending::finish`.
    pub fn start(self, env: &Environment, a: Action) -> Pending {
        let record = new_record(env, &a, Value::Null, "started", None, 0, None);
        let started_seq = self.write_or_warn(record, a.action).map(|r| r.seq);
        Pending {
            log: self,
            env: env.clone(),
            action: a,
            started: Instant::now(),
            started_seq,
            finished: false,
        }
    }

    /// Log and write an action's outcome record.
    #[allow(clippy::too_many_arguments)]
    fn end(
        &self,
        env: &Environment,
        a: &Action,
        started: Instant,
        outcome: &str,
        error: Option<String>,
        counts: Value,
        started_seq: Option<u64>,
    ) {
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
        let record = new_record(env, a, counts, outcome, error, elapsed, started_seq);
        self.write_or_warn(record, a.action);
    }

    /// A record that cannot be written, or only without its MAC, does not block or undo the
    /// action: it is reported on stderr and in the log.
    fn write_or_warn(&self, record: AuditRecord, action: &str) -> Option<AuditRecord> {
        match self.write(record, false) {
            Ok((record, None)) => Some(record),
            Ok((record, Some(w))) => {
                tracing::warn!(action, "audit record {}: {w}", record.seq);
                eprintln!("warning: audit record {} (`{action}`) was {w}", record.seq);
                Some(record)
            }
            Err(e) => {
                tracing::error!(action, "audit record not written: {e}");
                eprintln!("warning: the audit record of `{action}` was not written: {e}");
                None
            }
        }
    }
}

fn new_record_base(outcome: &str) -> AuditRecord {
    AuditRecord {
        seq: 0,
        time: now_rfc3339(),
        os_user: os_user(),
        host: host(),
        environment: String::new(),
        tier: String::new(),
        vhost: None,
        action: String::new(),
        targets: vec![],
        parameters: Value::Null,
        counts: Value::Null,
        outcome: outcome.to_string(),
        error: None,
        duration_ms: 0,
        started_seq: None,
        prev_hash: String::new(),
        hash: String::new(),
        keyring_head: None,
        mac: None,
    }
}

fn new_record(
    env: &Environment,
    a: &Action,
    counts: Value,
    outcome: &str,
    error: Option<String>,
    duration_ms: u64,
    started_seq: Option<u64>,
) -> AuditRecord {
    AuditRecord {
        environment: env.id.clone(),
        tier: format!("{:?}", env.tier).to_lowercase(),
        vhost: a.vhost.clone(),
        action: a.action.to_string(),
        targets: a.targets.clone(),
        parameters: a.parameters.clone(),
        counts,
        error,
        duration_ms,
        started_seq,
        ..new_record_base(outcome)
    }
}

/// A change under way: its `started` record is written; `finish` writes the outcome. Dropped
/// unfinished (a panic, a dropped task), it writes an `error` outcome saying so; a killed
/// process writes nothing, and the log shows the run as started and never finished.
#[must_use = "call finish() with the result: the outcome record is written there"]
pub struct Pending {
    log: AuditLog,
    env: Environment,
    action: Action,
    started: Instant,
    started_seq: Option<u64>,
    finished: bool,
}

impl Pending {
    /// The `seq` of the `started` record (None when it could not be written).
    pub fn started_seq(&self) -> Option<u64> {
        self.started_seq
    }

    /// Write the outcome: `ok`, `cancelled`/`stopped` (counts saying `"cancelled": true` /
    /// `"stopped": true`), `refused` (read-only) or `error`.
    pub fn finish<T>(mut self, result: &Result<T>, counts: impl FnOnce(&T) -> Value) {
        self.finished = true;
        let (outcome, error, counts) = outcome_of(result, counts);
        self.log.end(
            &self.env,
            &self.action,
            self.started,
            outcome,
            error,
            counts,
            self.started_seq,
        );
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let why = if std::thread::panicking() {
            "the run panicked before it reported an outcome"
        } else {
            "the run was abandoned before it reported an outcome (its task was dropped)"
        };
        self.log.end(
            &self.env,
            &self.action,
            self.started,
            "error",
            Some(why.to_string()),
            Value::Null,
            self.started_seq,
        );
    }
}

/// Write the `started` record of a change to a broker in the default log, before making it.
/// A record that cannot be written does not block the change (reported on stderr and the log).
pub fn start(env: &Environment, a: Action) -> Pending {
    AuditLog::open_default().start(env, a)
}

/// Record an instantaneous local change (an environment edited, writes armed) in one record,
/// after it: there is no broker state to leave half-changed. A record that cannot be written
/// does not undo or fail the action (it already happened); it is reported on the error log.
pub fn record<T>(
    env: &Environment,
    a: Action,
    started: Instant,
    result: &Result<T>,
    counts: impl FnOnce(&T) -> Value,
) {
    let (outcome, error, counts) = outcome_of(result, counts);
    AuditLog::open_default().end(env, &a, started, outcome, error, counts, None);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env() -> Environment {
        Environment::local_default()
    }

    /// A log in a temporary folder whose key and head live in memory.
    fn log_in(dir: &tempfile::TempDir) -> AuditLog {
        AuditLog::at(&dir.path().join("sub").join(AUDIT_FILE)).with_keys(KeySource::memory())
    }

    fn purge(log: &AuditLog, i: u64) -> AuditRecord {
        let a = Action::new(
            "queues.purge",
            Some("/"),
            vec![format!("q{i}")],
            json!({"dry_run": false}),
        );
        log.append(&env(), &a, json!({"messages": i}), "ok", None, 5)
            .unwrap()
    }

    fn keyring_off(log: &AuditLog, off: bool) {
        let KeySource::Memory(m) = &log.keys else {
            unreachable!()
        };
        let mut m = m.lock().unwrap();
        match (off, m.is_some()) {
            (true, true) => *m = None,
            (false, false) => *m = Some(Default::default()),
            _ => {}
        }
    }

    fn lines(log: &AuditLog) -> Vec<String> {
        std::fs::read_to_string(log.path())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn write_lines(log: &AuditLog, lines: &[String]) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(log.path(), text).unwrap();
    }

    fn broken(log: &AuditLog) -> (Option<u64>, String) {
        let v = log.verify().unwrap();
        assert!(!v.ok, "verify said ok: {v:?}");
        (v.line, v.problem.unwrap())
    }

    /// Write `lines` as the log: verify must find it broken at `line`, saying `why`.
    fn assert_broken(log: &AuditLog, lines: &[String], line: u64, why: &str) {
        write_lines(log, lines);
        let (at, problem) = broken(log);
        assert_eq!(at, Some(line), "{problem}");
        assert!(problem.contains(why), "{problem}");
    }

    /// What someone with the file but not the key can do: change a record and recompute its
    /// hash (and, to keep the chain, the hashes of those after it).
    fn rehash(records: &mut [AuditRecord]) -> Vec<String> {
        let mut prev = records
            .first()
            .map(|r| r.prev_hash.clone())
            .unwrap_or_default();
        records
            .iter_mut()
            .map(|r| {
                r.prev_hash = prev.clone();
                r.hash = hash_of(r);
                prev = r.hash.clone();
                serde_json::to_string(r).unwrap()
            })
            .collect()
    }

    fn parse(line: &str) -> AuditRecord {
        serde_json::from_str(line).unwrap()
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
        let log = log_in(&dir);
        assert!(log.verify().unwrap().ok, "no file is an empty, valid chain");
        for i in 0..3 {
            purge(&log, i);
        }
        let v = log.verify().unwrap();
        assert_eq!((v.ok, v.records, v.keyed), (true, 3, true), "{v:?}");
        assert_eq!(v.head.unwrap().seq, 3);
        let records = log.read().unwrap();
        assert_eq!(records[2].seq, 3);
        assert_eq!(records[1].prev_hash, records[0].hash);
        assert_eq!(records[0].environment, "local");
        assert!(records.iter().all(|r| r.mac.is_some()));
        assert_eq!(records[0].keyring_head, None, "the first keyed record");
        assert_eq!(records[2].keyring_head.as_ref().unwrap().seq, 2);
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
        let (line, problem) = broken(&log);
        assert_eq!(line, Some(2));
        assert!(problem.contains("edited"), "{problem}");
        // A removed record.
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(log.path(), format!("{}\n{}\n", lines[0], lines[2])).unwrap();
        let (line, problem) = broken(&log);
        assert_eq!(line, Some(2));
        assert!(problem.contains("removed"), "{problem}");
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
        assert!(log.verify().unwrap().ok);
    }

    #[test]
    fn removing_the_last_records_is_found_by_the_keyrings_head() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir);
        (0..4).for_each(|i| drop(purge(&log, i)));
        let all = lines(&log);
        write_lines(&log, &all[..3]);
        let (line, problem) = broken(&log);
        assert_eq!(line, Some(4));
        assert!(
            problem.contains("ends at record 3")
                && problem.contains("head is record 4")
                && problem.contains("last 1 record(s) were removed"),
            "{problem}"
        );
        write_lines(&log, &all[..1]);
        let (_, problem) = broken(&log);
        assert!(
            problem.contains("last 3 record(s) were removed"),
            "{problem}"
        );
    }

    #[test]
    fn an_emptied_or_deleted_log_is_found_by_the_keyrings_head() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir);
        (0..2).for_each(|i| drop(purge(&log, i)));
        std::fs::write(log.path(), "").unwrap();
        let (line, problem) = broken(&log);
        assert_eq!(line, Some(1));
        assert!(problem.contains("empty (or missing)"), "{problem}");
        std::fs::remove_file(log.path()).unwrap();
        let (_, problem) = broken(&log);
        assert!(problem.contains("head is record 2"), "{problem}");
        // Even with its folder gone the log keeps its keyring entry.
        std::fs::remove_dir(log.path().parent().unwrap()).unwrap();
        assert!(broken(&log).1.contains("removed"));
    }

    #[test]
    fn editing_the_last_record_and_recomputing_its_hash_is_found_by_its_mac() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir);
        (0..3).for_each(|i| drop(purge(&log, i)));
        let mut all = lines(&log);
        let mut last = parse(&all[2]);
        last.counts = json!({"messages": 0});
        all[2] = rehash(std::slice::from_mut(&mut last)).remove(0);
        assert_broken(&log, &all, 3, "MAC does not match");
        // Without its MAC, it is no longer the record the keyring's head names.
        last.mac = None;
        all[2] = rehash(std::slice::from_mut(&mut last)).remove(0);
        assert_broken(&log, &all, 3, "the log was rewritten");
    }

    #[test]
    fn a_forged_record_appended_with_a_correct_hash_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir);
        (0..2).for_each(|i| drop(purge(&log, i)));
        let mut all = lines(&log);
        let mut forged = parse(&all[1]);
        forged.seq = 3;
        forged.prev_hash = forged.hash.clone();
        forged.targets = vec!["innocent".into()];
        forged.mac = None;
        forged.keyring_head = None;
        forged.hash = hash_of(&forged);
        all.push(serde_json::to_string(&forged).unwrap());
        write_lines(&log, &all);
        let v = log.verify().unwrap();
        assert_eq!((v.ok, v.line), (false, Some(3)));
        assert!(v.problem.unwrap().contains("record 3 carries no MAC"));
        assert_eq!(v.unsealed, Some(SeqRange { first: 3, last: 3 }));
        // With a made-up MAC.
        forged.mac = Some("ab".repeat(32));
        *all.last_mut().unwrap() = serde_json::to_string(&forged).unwrap();
        assert_broken(&log, &all, 3, "MAC does not match");
    }

    #[test]
    fn a_rewritten_chain_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir);
        (0..3).for_each(|i| drop(purge(&log, i)));
        let mut records: Vec<AuditRecord> = lines(&log).iter().map(|l| parse(l)).collect();
        for r in &mut records {
            r.targets = vec!["someone-else".into()];
        }
        // Kept MACs are wrong…
        assert_broken(&log, &rehash(&mut records), 1, "MAC does not match");
        // …and without MACs the chain is not the one the keyring's head names.
        for r in &mut records {
            r.mac = None;
            r.keyring_head = None;
        }
        assert_broken(&log, &rehash(&mut records), 3, "the log was rewritten");
        // A shorter rewritten chain, too.
        write_lines(&log, &rehash(&mut records[..1]));
        assert!(broken(&log).1.contains("were removed"));
    }

    #[test]
    fn a_record_appended_after_a_truncation_keeps_the_truncation_visible() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir);
        (0..3).for_each(|i| drop(purge(&log, i)));
        let all = lines(&log);
        write_lines(&log, &all[..1]);
        purge(&log, 9);
        let (line, problem) = broken(&log);
        assert_eq!(line, Some(2));
        assert!(
            problem.contains("keyring's head was record 3")
                && problem.contains("removed or rewritten before it was appended"),
            "{problem}"
        );
    }

    #[test]
    fn without_a_keyring_records_are_written_unkeyed_and_verify_says_it_could_not_check() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir);
        purge(&log, 0);
        keyring_off(&log, true);
        let r = purge(&log, 1);
        assert_eq!((r.seq, r.mac.is_none()), (2, true), "written all the same");
        let v = log.verify().unwrap();
        assert_eq!((v.ok, v.keyed, v.records, v.line), (false, false, 2, None));
        let problem = v.problem.unwrap();
        assert!(
            problem.contains("could not be reached") && problem.contains("not checked"),
            "{problem}"
        );
    }

    #[test]
    fn records_written_while_the_keyring_was_away_are_reported_until_a_keyed_one_vouches_for_them()
    {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir);
        purge(&log, 0);
        let KeySource::Memory(m) = &log.keys else {
            unreachable!()
        };
        let saved = m.lock().unwrap().clone();
        keyring_off(&log, true);
        purge(&log, 1);
        purge(&log, 2);
        *m.lock().unwrap() = saved;
        let v = log.verify().unwrap();
        assert_eq!((v.ok, v.keyed, v.line), (false, true, Some(2)));
        assert_eq!(v.unsealed, Some(SeqRange { first: 2, last: 3 }));
        assert!(v.problem.unwrap().contains("records 2..3 carry no MAC"));
        let r = purge(&log, 3);
        assert_eq!(r.keyring_head.unwrap().seq, 1);
        let v = log.verify().unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.unkeyed, vec![SeqRange { first: 2, last: 3 }]);
    }

    #[test]
    fn legacy_records_without_macs_are_reported_then_sealed_by_the_next_record() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir);
        (0..3).for_each(|i| drop(purge(&log, i)));
        // As a log written before Warren kept a key: no MACs, no head, no key.
        let mut records: Vec<AuditRecord> = lines(&log).iter().map(|l| parse(l)).collect();
        for r in &mut records {
            r.mac = None;
            r.keyring_head = None;
        }
        write_lines(&log, &rehash(&mut records));
        let fresh = AuditLog::at(log.path()).with_keys(KeySource::memory());
        let v = fresh.verify().unwrap();
        assert_eq!((v.ok, v.line, v.records), (false, Some(1), 3));
        assert!(v
            .problem
            .unwrap()
            .contains("written before Warren kept an audit key"));
        let seal = fresh.seal().unwrap();
        assert_eq!((seal.seq, seal.action.as_str()), (4, "audit.seal"));
        let v = fresh.verify().unwrap();
        assert!(v.ok, "{v:?}");
        assert_eq!(v.unkeyed, vec![SeqRange { first: 1, last: 3 }]);
        // Sealing refuses to vouch for a broken chain.
        let text = std::fs::read_to_string(fresh.path()).unwrap();
        std::fs::write(fresh.path(), text.replace("\"q1\"", "\"q7\"")).unwrap();
        assert!(fresh.seal().unwrap_err().to_string().contains("line 2"));
    }

    #[test]
    fn a_started_run_without_an_outcome_shows_as_unfinished() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir);
        let keys = log.keys.clone();
        let path = log.path().to_path_buf();
        let a = Action::new("dlq.replay", Some("/"), vec!["dlq".into()], Value::Null);
        // A killed process runs no destructor.
        std::mem::forget(log.start(&env(), a.clone()));
        let done = AuditLog::at(&path)
            .with_keys(keys.clone())
            .start(&env(), a.clone());
        done.finish(&Ok(()), |_| json!({"replayed": 2}));
        let log = AuditLog::at(&path).with_keys(keys);
        let records = log.read().unwrap();
        assert_eq!(
            records
                .iter()
                .map(|r| (r.seq, r.outcome.as_str(), r.started_seq))
                .collect::<Vec<_>>(),
            [
                (1, "started", None),
                (2, "started", None),
                (3, "ok", Some(2))
            ]
        );
        assert_eq!(unfinished(&records).into_iter().collect::<Vec<_>>(), [1]);
        assert!(log.verify().unwrap().ok);
    }

    #[test]
    fn a_run_that_panics_is_recorded_as_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let log = log_in(&dir);
        let (keys, path) = (log.keys.clone(), log.path().to_path_buf());
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _pending = log.start(
                &env(),
                Action::new("queues.move", None, vec![], Value::Null),
            );
            panic!("the engine blew up");
        }));
        assert!(panicked.is_err());
        let records = AuditLog::at(&path).with_keys(keys).read().unwrap();
        assert_eq!(records[1].outcome, "error");
        assert_eq!(records[1].started_seq, Some(1));
        assert!(records[1].error.as_deref().unwrap().contains("panicked"));
        assert!(unfinished(&records).is_empty());
    }

    #[test]
    fn cancelled_and_stopped_runs_are_recorded_as_such() {
        let ok: Result<u32> = Ok(1);
        let outcome = |counts: Value| outcome_of(&ok, |_| counts).0;
        assert_eq!(outcome(json!({"moved": 3, "cancelled": true})), "cancelled");
        assert_eq!(
            outcome(json!({"cancelled": false, "stopped": true})),
            "stopped"
        );
        assert_eq!(outcome(json!({"cancelled": false, "stopped": false})), "ok");
        assert_eq!(outcome(Value::Null), "ok");
        let refused: Result<u32> = Err(Error::ReadOnly("prod".into()));
        assert_eq!(outcome_of(&refused, |_| Value::Null).0, "refused");
    }

    #[test]
    fn one_log_has_one_keyring_account_whatever_its_path_looks_like() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("x")).unwrap();
        let a = AuditLog::at(&dir.path().join("x").join("..").join(AUDIT_FILE));
        let b = AuditLog::at(&dir.path().join(AUDIT_FILE));
        assert_eq!(a.keyring_account(), b.keyring_account());
        assert_ne!(
            b.keyring_account(),
            AuditLog::at(&dir.path().join("other.jsonl")).keyring_account()
        );
    }

    #[test]
    fn concurrent_appends_keep_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(AUDIT_FILE);
        let keys = KeySource::memory();
        std::thread::scope(|s| {
            for t in 0..4 {
                let (path, keys) = (path.clone(), keys.clone());
                s.spawn(move || {
                    let log = AuditLog::at(&path).with_keys(keys);
                    for i in 0..25 {
                        let a = Action::new("test", None, vec![format!("{t}-{i}")], Value::Null);
                        log.append(&env(), &a, Value::Null, "ok", None, 0).unwrap();
                    }
                });
            }
        });
        let v = AuditLog::at(&path).with_keys(keys).verify().unwrap();
        assert_eq!((v.ok, v.records), (true, 100), "{v:?}");
    }
}
