//! The audit log against a real Secret Service (gnome-keyring in a D-Bus session, see
//! scripts/with-keyring): its MAC key and head live in the keyring (service `warren-audit`,
//! one entry per log file), so what an editor of the file alone can do is found by `verify`.

use std::process::Command;

use serde_json::{json, Value};
use warren_core::audit::{self, Action, AuditLog, AuditRecord, KEYRING_SERVICE};
use warren_core::secrets::Keyring;
use warren_core::Environment;

fn env() -> Environment {
    Environment::local_default()
}

fn append(log: &AuditLog, i: u64) -> AuditRecord {
    let a = Action::new(
        "queues.purge",
        Some("/"),
        vec![format!("q{i}")],
        Value::Null,
    );
    log.append(&env(), &a, json!({ "messages": i }), "ok", None, 1)
        .unwrap()
}

#[test]
fn the_keyring_holds_each_logs_key_and_head_and_verify_finds_what_the_file_alone_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::at(&dir.path().join(audit::AUDIT_FILE));
    (0..3).for_each(|i| drop(append(&log, i)));
    let v = log.verify().unwrap();
    assert!(v.ok && v.keyed, "{v:?}");
    assert_eq!(v.head.as_ref().map(|h| h.seq), Some(3));
    assert!(log.read().unwrap().iter().all(|r| r.mac.is_some()));
    // The entry is the log's own, under the audit service, never the passwords' one.
    let entry = Keyring::with_service(KEYRING_SERVICE)
        .get(&log.keyring_account())
        .unwrap()
        .expect("an audit entry for this log");
    use secrecy::ExposeSecret;
    let entry: Value = serde_json::from_str(entry.expose_secret()).unwrap();
    assert_eq!(entry["head"]["seq"], 3);
    assert!(Keyring::default()
        .get(&log.keyring_account())
        .unwrap()
        .is_none());

    let text = std::fs::read_to_string(log.path()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // The last record cut off.
    std::fs::write(log.path(), format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    let v = log.verify().unwrap();
    assert_eq!((v.ok, v.line), (false, Some(3)));
    assert!(v.problem.unwrap().contains("removed"));
    // Emptied.
    std::fs::write(log.path(), "").unwrap();
    assert!(log.verify().unwrap().problem.unwrap().contains("empty"));
    // A forged record with a correct hash (what anyone with sha256sum can make).
    let mut forged: AuditRecord = serde_json::from_str(lines[2]).unwrap();
    forged.targets = vec!["innocent".into()];
    let forged_line = rehashed(forged);
    std::fs::write(
        log.path(),
        format!("{}\n{}\n{forged_line}\n", lines[0], lines[1]),
    )
    .unwrap();
    let v = log.verify().unwrap();
    assert_eq!((v.ok, v.line), (false, Some(3)));
    assert!(v.problem.unwrap().contains("MAC does not match"));
    // Put back as it was, it verifies again.
    std::fs::write(log.path(), &text).unwrap();
    assert!(log.verify().unwrap().ok);
}

/// The record with its hash recomputed the way `verify` computes it (its MAC left as it was).
fn rehashed(mut r: AuditRecord) -> String {
    use sha2::{Digest, Sha256};
    let mac = r.mac.take();
    r.hash = String::new();
    let body = serde_json::to_string(&r).unwrap();
    let digest = Sha256::digest(format!("{}\n{body}", r.prev_hash).as_bytes());
    r.hash = digest.iter().map(|b| format!("{b:02x}")).collect();
    r.mac = mac;
    serde_json::to_string(&r).unwrap()
}

/// Run by the test below in a child process: start a change and die without finishing it.
#[test]
fn child_that_starts_a_change_and_is_killed() {
    let Ok(path) = std::env::var("WARREN_AUDIT_CHILD_LOG") else {
        return;
    };
    let pending = AuditLog::at(std::path::Path::new(&path)).start(
        &env(),
        Action::new("dlq.replay", Some("/"), vec!["dlq".into()], Value::Null),
    );
    assert!(pending.started_seq().is_some());
    // No destructor, no outcome: as a SIGKILL or a power cut would leave it.
    std::process::abort();
}

#[test]
fn a_killed_run_is_recorded_as_started_and_never_finished() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(audit::AUDIT_FILE);
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_that_starts_a_change_and_is_killed",
            "--nocapture",
        ])
        .env("WARREN_AUDIT_CHILD_LOG", &path)
        .status()
        .unwrap();
    assert!(!status.success(), "the child was meant to die");
    let log = AuditLog::at(&path);
    let records = log.read().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome, "started");
    assert_eq!(
        audit::unfinished(&records).into_iter().collect::<Vec<_>>(),
        [1]
    );
    // The started record itself is keyed: nobody can quietly drop it either.
    assert!(log.verify().unwrap().ok);
    // A finished run names its started record.
    log_start_and_finish(&path);
    let records = AuditLog::at(&path).read().unwrap();
    assert_eq!(records[2].started_seq, Some(2));
    assert_eq!(records[2].outcome, "cancelled");
    assert_eq!(
        audit::unfinished(&records).into_iter().collect::<Vec<_>>(),
        [1]
    );
}

fn log_start_and_finish(path: &std::path::Path) {
    let pending = AuditLog::at(path).start(
        &env(),
        Action::new(
            "queues.move",
            Some("/"),
            vec!["a".into()],
            json!({"to": "b"}),
        ),
    );
    pending.finish(&Ok(()), |_| json!({ "moved": 2, "cancelled": true }));
}
