//! `warren` under faults and concurrency, as an operator's scripts meet them: a replay killed
//! with SIGKILL loses nothing and the rerun skips what it had delivered; many processes adding
//! environments at once keep every one; a management endpoint that never answers is named
//! within a bounded time. Real broker (`WARREN_TEST_BROKER`, else the system's 3.10) and keyring.

use std::time::{Duration, Instant};

use lapin::types::FieldTable;
use serde_json::Value;
use warren_test_support::{
    connect, declare_durable, depth, fill_dead_letters, message_ids, settled_depth, text, Cli,
    Vhost,
};

/// A config dir of its own whose `local` points at the broker under test.
fn fresh_cli() -> Cli {
    Cli::at_broker(env!("CARGO_BIN_EXE_warren"))
}

#[test]
fn a_replay_killed_with_sigkill_loses_nothing_and_the_rerun_skips_what_it_delivered() {
    const N: usize = 30_000;
    let cli = fresh_cli();
    let vhost = Vhost::new("warren-cli-sigkill");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let conn = rt.block_on(connect(&vhost.name));
    let ch = rt.block_on(conn.create_channel()).unwrap();
    for q in ["origin", "dlq"] {
        rt.block_on(declare_durable(&ch, q, FieldTable::default()));
    }
    rt.block_on(fill_dead_letters(&ch, "origin", "dlq", N));

    let replay = [
        "dlq",
        "replay",
        "--env",
        "local",
        "--vhost",
        &vhost.name,
        "--queue",
        "dlq",
        "--yes",
        "--json",
        // The journal under test is the client path's (a broker-side shovel goes on moving
        // after Warren is killed: it has its own guarantee, not this one).
        "--client-path",
    ];
    let mut child = cli.cmd().args(replay).spawn().unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    while rt.block_on(depth(&ch, "origin")) < (N / 4) as u32 {
        assert!(Instant::now() < until, "the replay never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());

    let left = rt.block_on(settled_depth(&ch, "dlq"));
    let arrived = rt.block_on(settled_depth(&ch, "origin"));
    assert!(
        (left + arrived) as usize >= N,
        "nothing lost: {left} left + {arrived} arrived"
    );
    assert!(left > 0, "killed before the end");
    let in_both = (left + arrived) as u64 - N as u64;

    // The killed run is in the audit log as started and never finished.
    let (_, audit) = cli.run_json(&["audit", "list", "--action", "dlq.replay", "--json"]);
    let records = audit.as_array().unwrap();
    assert!(
        records.iter().any(|r| r["outcome"] == "started"),
        "a started record for the killed run: {audit}"
    );

    let (out, second) = cli.run_json(&replay);
    assert!(out.status.success(), "{}", text(&out));
    assert!(second["stopped"].is_null(), "{second}");
    assert!(second["resumed_from"].is_string(), "{second}");
    assert_eq!(rt.block_on(depth(&ch, "dlq")), 0);
    let ids = rt.block_on(message_ids(&conn, "origin"));
    assert_eq!(ids.len(), N, "every message arrived");
    let duplicates: u64 = ids.values().map(|n| n - 1).sum();
    let skipped = second["deduplicated"].as_u64().unwrap();
    // Every message in both places was either recognised and skipped, or is a duplicate now;
    // what remains are copies the killed run had not yet settled: at most its window (2,000
    // unacked deliveries).
    assert_eq!(duplicates + skipped, in_both, "{second}");
    assert!(duplicates <= 2000, "{duplicates} duplicates");
    println!("# SIGKILL mid-replay: {in_both} in both places, {skipped} skipped by the rerun, {duplicates} duplicates left");
}

#[test]
fn a_broker_path_replay_killed_with_sigkill_loses_nothing_the_shovels_finish_their_share() {
    const N: usize = 30_000;
    let cli = fresh_cli();
    let vhost = Vhost::new("warren-cli-sigkill-broker");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let conn = rt.block_on(connect(&vhost.name));
    let ch = rt.block_on(conn.create_channel()).unwrap();
    for q in ["origin", "dlq"] {
        rt.block_on(declare_durable(&ch, q, FieldTable::default()));
    }
    rt.block_on(fill_dead_letters(&ch, "origin", "dlq", N));
    let replay = [
        "dlq",
        "replay",
        "--env",
        "local",
        "--vhost",
        &vhost.name,
        "--queue",
        "dlq",
        "--yes",
        "--json",
    ];
    let mut child = cli.cmd().args(replay).spawn().unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    while rt.block_on(depth(&ch, "origin")) < (N / 10) as u32 {
        assert!(Instant::now() < until, "the replay never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: Warren is gone, the broker's shovels are not
    assert!(!child.wait().unwrap().success());

    // Every message is in the DLQ, its origin, or a holding queue of the killed run, once the
    // shovels have moved their share (they delete themselves when done).
    let queues_of = || -> Vec<(String, u64)> {
        let listed = warren_test_support::api_get(&format!(
            "queues/{}?columns=name,messages",
            warren_test_support::enc(&vhost.name)
        ));
        listed
            .as_array()
            .unwrap()
            .iter()
            .map(|q| {
                (
                    q["name"].as_str().unwrap().to_string(),
                    q["messages"].as_u64().unwrap_or(0),
                )
            })
            .collect()
    };
    let until = Instant::now() + Duration::from_secs(90);
    let mut total = 0;
    while Instant::now() < until {
        let mut sum = u64::from(rt.block_on(settled_depth(&ch, "dlq")))
            + u64::from(rt.block_on(settled_depth(&ch, "origin")));
        for (name, _) in queues_of() {
            if name.starts_with("warren-replay-") {
                sum += u64::from(rt.block_on(settled_depth(&ch, &name)));
            }
        }
        total = sum;
        if total >= N as u64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(total >= N as u64, "nothing lost: {total} of {N} found");

    // A second run (client path: the killed one left its mark) finishes the job.
    let (out, second) = cli.run_json(&replay);
    assert!(out.status.success(), "{}", text(&out));
    let ids = rt.block_on(message_ids(&conn, "origin"));
    let held: u64 = queues_of()
        .iter()
        .filter(|(n, _)| n.starts_with("warren-replay-"))
        .map(|(n, _)| u64::from(rt.block_on(depth(&ch, n))))
        .sum();
    assert_eq!(
        ids.len() as u64 + held,
        N as u64,
        "every message in its origin or still held, never dropped: {second}"
    );
}

#[test]
fn many_processes_adding_environments_at_once_keep_every_one() {
    let cli = fresh_cli();
    let children: Vec<_> = (0..20)
        .map(|i| {
            let id = format!("c{i}");
            cli.cmd()
                .args([
                    "env",
                    "add",
                    &id,
                    "--name",
                    &id,
                    "--management-url",
                    "http://127.0.0.1:15672",
                    "--amqp-url",
                    "amqp://127.0.0.1:5672",
                    "--username",
                    "u",
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    // The core writes the same file meanwhile (as the app would).
    let store = warren_core::EnvironmentStore::new(
        cli.dir.path(),
        warren_core::secrets::Keyring::default(),
    );
    for i in 0..10 {
        let mut e = warren_core::Environment::local_default();
        e.id = format!("core{i}");
        store.create(e, None).unwrap();
    }
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    let (_, list) = cli.run_json(&["env", "list", "--json"]);
    let ids: std::collections::BTreeSet<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 31, "local + 20 CLI + 10 core: {ids:?}");
    let leftovers: Vec<_> = std::fs::read_dir(cli.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_management_endpoint_that_never_answers_is_named_in_bounded_time() {
    let cli = fresh_cli();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    // Accept and hold every connection, never answering.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming().flatten() {
            held.push(s);
        }
    });
    let url = format!("http://127.0.0.1:{port}");
    let out = cli.run(&["env", "edit", "local", "--management-url", &url]);
    assert!(out.status.success(), "{}", text(&out));
    let started = Instant::now();
    let (out, v) = cli.run_json(&["queues", "--env", "local", "--json"]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(v["error"]["kind"], "timeout", "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("127.0.0.1:{port}")) && message.contains("did not answer"),
        "{message}"
    );
    assert!(took < Duration::from_secs(30), "gave up after {took:?}");
}

#[test]
fn every_failure_is_json_when_json_was_asked_and_usage_errors_exit_2() {
    let cli = fresh_cli();
    let out = cli.run(&["queues", "--env", "local", "--json", "--bogus"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "usage");
    let out = cli.run(&["env", "frobnicate"]);
    assert_eq!(out.status.code(), Some(2));

    let (out, v) = cli.run_json(&["env", "remove", "nope", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["error"]["kind"], "unknown_environment");
    let (out, v) = cli.run_json(&["env", "duplicate", "local", "copy", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["id"], "copy");
    let (_, v) = cli.run_json(&["env", "remove", "copy", "--json"]);
    assert_eq!(v["removed"], "copy");

    // A broken config file: every command says which file, which line, which field.
    std::fs::write(
        cli.dir.path().join("environments.toml"),
        "[[environments]]\nid = \"x\"\nname = \"x\"\nmanagement_urls = []\namqp_urls = [\"amqp://h:5672\"]\nusername = \"u\"\n",
    )
    .unwrap();
    let (out, v) = cli.run_json(&["env", "list", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["error"]["kind"], "config", "{v}");
    let m = v["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("environments.toml") && m.contains("line 1") && m.contains("management_urls"),
        "{m}"
    );

    // A vhost that does not exist is named as such, not as a missing plugin.
    std::fs::remove_file(cli.dir.path().join("environments.toml")).unwrap();
    let cli2 = fresh_cli();
    let (out, v) = cli2.run_json(&[
        "queues",
        "--env",
        "local",
        "--vhost",
        "no-such-vhost-here",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["error"]["kind"], "not_found", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no vhost `no-such-vhost-here`"),
        "{v}"
    );

    // Dates that are not dates are refused.
    for bad in ["garbage", "2026-13-01", "26-11-2026"] {
        let out = cli2.run(&["audit", "list", "--since", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
        assert!(text(&out).contains("RFC 3339"), "{}", text(&out));
    }
    for good in ["2026-11-26", "2026-11-26T10:30", "2026-11-26T10:30:00Z"] {
        let out = cli2.run(&["audit", "list", "--since", good]);
        assert!(out.status.success(), "{good}: {}", text(&out));
    }
    let export = cli2.dir.path().join("export.jsonl");
    let (out, v) = cli2.run_json(&[
        "audit",
        "export",
        "--out",
        export.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(v["bytes"].is_u64(), "{v}");
}
