//! `warren audit` as an operator relies on it: `verify --json` ({records, ok, line, problem},
//! exit 1) finds a log cut short, emptied, deleted or given a forged record; it says so when
//! the keyring cannot be reached; the export and the log files are owner-only. Runs against
//! the real keyring (scripts/with-keyring); needs no broker.

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use warren_core::audit::AuditRecord;
use warren_test_support::{text, Cli};

/// A config and data dir of its own; no broker needed.
fn fresh_cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_warren"))
}

/// `warren env add ID …`: an audited change that needs no broker and no password.
fn add_env_args(id: &str) -> [&str; 9] {
    [
        "env",
        "add",
        id,
        "--management-url",
        "http://127.0.0.1:1",
        "--amqp-url",
        "amqp://127.0.0.1:1",
        "--username",
        "nobody",
    ]
}

/// `warren audit verify --json`: its exit code and output.
fn verify(cli: &Cli) -> (Option<i32>, Value) {
    let (out, v) = cli.run_json(&["audit", "verify", "--json"]);
    (out.status.code(), v)
}

fn broken(cli: &Cli, expected: &str) -> Value {
    let (code, v) = verify(cli);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["ok"], false, "{v}");
    let problem = v["problem"].as_str().unwrap_or_default();
    assert!(problem.contains(expected), "expected `{expected}` in: {v}");
    v
}

/// A copy of `line` with a new seq, chained after it, other targets and a correct hash: what
/// anyone with the file and `sha256sum` can append.
fn forged_after(line: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut r: AuditRecord = serde_json::from_str(line).unwrap();
    r.seq += 1;
    r.prev_hash = std::mem::take(&mut r.hash);
    r.targets = vec!["innocent".into()];
    r.mac = None;
    r.keyring_head = None;
    let body = serde_json::to_string(&r).unwrap();
    let digest = Sha256::digest(format!("{}\n{body}", r.prev_hash).as_bytes());
    r.hash = digest.iter().map(|b| format!("{b:02x}")).collect();
    serde_json::to_string(&r).unwrap()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn verify_finds_a_log_cut_short_emptied_deleted_or_with_a_forged_record() {
    let cli = fresh_cli();
    for id in ["audit-a", "audit-b", "audit-c"] {
        let out = cli.run(&add_env_args(id));
        assert!(out.status.success(), "{}", text(&out));
    }
    let (code, v) = verify(&cli);
    assert_eq!(
        (code, &v["ok"], &v["keyed"]),
        (Some(0), &Value::Bool(true), &Value::Bool(true)),
        "{v}"
    );
    for key in ["records", "ok"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let records = v["records"].as_u64().unwrap();
    let original = std::fs::read_to_string(cli.log()).unwrap();
    let lines: Vec<&str> = original.lines().collect();

    // The last line removed.
    let cut: String = lines[..lines.len() - 1]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(cli.log(), &cut).unwrap();
    let v = broken(&cli, "were removed");
    assert_eq!(v["line"].as_u64(), Some(records));

    // Emptied, then deleted.
    std::fs::write(cli.log(), "").unwrap();
    broken(&cli, "empty");
    std::fs::remove_file(cli.log()).unwrap();
    broken(&cli, "empty (or missing)");

    // A forged record appended with a correct hash.
    std::fs::write(
        cli.log(),
        format!("{original}{}\n", forged_after(lines.last().unwrap())),
    )
    .unwrap();
    let v = broken(&cli, "no keyed record vouches for");
    assert_eq!(v["line"].as_u64(), Some(records + 1));
    let listed = cli.run(&["audit", "list"]);
    assert!(text(&listed).contains("innocent"), "list still shows it");

    // Restored, it verifies again.
    std::fs::write(cli.log(), &original).unwrap();
    assert_eq!(verify(&cli).0, Some(0));
}

#[test]
fn without_a_keyring_the_change_is_recorded_and_verify_says_it_could_not_check() {
    let cli = fresh_cli();
    let no_keyring = |args: &[&str]| {
        cli.cmd()
            .args(args)
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/warren-test-bus",
            )
            .output()
            .unwrap()
    };
    let out = no_keyring(&add_env_args("audit-nokeyring"));
    assert!(
        out.status.success(),
        "auditing never blocks a change: {}",
        text(&out)
    );
    assert!(text(&out).contains("without a MAC"), "{}", text(&out));
    let records: Vec<AuditRecord> = std::fs::read_to_string(cli.log())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(records
        .iter()
        .any(|r| r.action == "environment.create" && r.mac.is_none()));

    let out = no_keyring(&["audit", "verify", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&v["ok"], &v["keyed"]),
        (&Value::Bool(false), &Value::Bool(false)),
        "{v}"
    );
    assert!(
        v["problem"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{v}"
    );

    // With the keyring back, the unkeyed records are named until something vouches for them.
    let v = broken(&cli, "no keyed record vouches for");
    assert_eq!(v["unsealed"]["first"], 1, "{v}");
    let sealed = cli.run(&["audit", "seal"]);
    assert!(sealed.status.success(), "{}", text(&sealed));
    let (code, v) = verify(&cli);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["unkeyed"][0]["first"], 1, "{v}");
}

#[test]
fn the_export_and_the_log_files_are_owner_only() {
    let cli = fresh_cli();
    // A log file left world-readable by an older version is tightened too.
    let logs = cli.data().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let old = logs.join("warren-cli.log.2000-01-01");
    std::fs::write(&old, "old\n").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = cli.run(&add_env_args("audit-perm"));
    assert!(out.status.success(), "{}", text(&out));
    let files: Vec<PathBuf> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.len() >= 2, "{files:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }

    let out_file = cli.dir.path().join("export.jsonl");
    // Even over a file that was readable by all.
    std::fs::write(&out_file, "").unwrap();
    std::fs::set_permissions(&out_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = cli.run(&["audit", "export", "--out", out_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(mode(&out_file), 0o600);
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        std::fs::read_to_string(cli.log()).unwrap()
    );
    assert_eq!(mode(&cli.log()), 0o600);
}
