//! `warren` under faults and concurrency, as an operator's scripts meet them: a replay killed
//! with SIGKILL loses nothing and the rerun skips what it had delivered; many processes adding
//! environments at once keep every one; a management endpoint that never answers is named
//! within a bounded time. Real broker (`WARREN_TEST_BROKER`, else the system's 3.10) and keyring.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldArray, FieldTable, LongString};
use lapin::BasicProperties;
use serde_json::Value;

fn broker() -> (String, String) {
    let spec = std::env::var("WARREN_TEST_BROKER")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "3.10=http://127.0.0.1:15672,amqp://127.0.0.1:5672".into());
    let (_, urls) = spec.split_once('=').expect("LINE=MANAGEMENT_URL,AMQP_URL");
    let (m, a) = urls.split_once(',').expect("LINE=MANAGEMENT_URL,AMQP_URL");
    (
        m.trim().trim_end_matches('/').into(),
        a.trim().trim_end_matches('/').into(),
    )
}

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        let cli = Cli {
            dir: tempfile::tempdir().unwrap(),
        };
        let (m, a) = broker();
        let out = cli.run(&[
            "env",
            "edit",
            "local",
            "--management-url",
            &m,
            "--amqp-url",
            &a,
        ]);
        assert!(out.status.success(), "{}", text(&out));
        cli
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_warren"));
        c.env("WARREN_CONFIG_DIR", self.dir.path())
            .env("WARREN_DATA_DIR", self.dir.path().join("data"))
            .env_remove("WARREN_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    fn json(&self, args: &[&str]) -> (Output, Value) {
        let out = self.run(args);
        let v = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out)));
        (out, v)
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn curl(method: &str, path: &str, body: Option<&str>) {
    let url = format!("{}/api/{path}", broker().0);
    let mut c = Command::new("curl");
    c.args([
        "-sf",
        "-o",
        "/dev/null",
        "-u",
        "guest:guest",
        "-X",
        method,
        &url,
    ]);
    if let Some(b) = body {
        c.args(["-H", "content-type: application/json", "-d", b]);
    }
    assert!(c.status().unwrap().success(), "{method} {url}");
}

/// A vhost of the test's own (guest may use it), deleted when dropped.
struct Vhost(String);

impl Vhost {
    fn new(prefix: &str) -> Vhost {
        let name = format!("{prefix}-{}", std::process::id());
        curl("PUT", &format!("vhosts/{name}"), None);
        curl(
            "PUT",
            &format!("permissions/{name}/guest"),
            Some(r#"{"configure":".*","write":".*","read":".*"}"#),
        );
        Vhost(name)
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let _ = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-u", "guest:guest", "-X", "DELETE"])
            .arg(format!("{}/api/vhosts/{}", broker().0, self.0))
            .status();
    }
}

async fn connect(vhost: &str) -> lapin::Connection {
    let (_, amqp) = broker();
    let (scheme, rest) = amqp.split_once("://").unwrap();
    let uri = format!("{scheme}://guest:guest@{rest}/{vhost}");
    lapin::Connection::connect(&uri, Default::default())
        .await
        .unwrap()
}

async fn depth(conn: &lapin::Connection, q: &str) -> u32 {
    let ch = conn.create_channel().await.unwrap();
    let d = ch
        .queue_declare(
            q.into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap()
        .message_count();
    let _ = ch.close(200, "ok".into()).await;
    d
}

/// Two equal readings a moment apart (dead letters and requeues settle asynchronously).
async fn settled(conn: &lapin::Connection, q: &str) -> u32 {
    let mut last = u32::MAX;
    for _ in 0..60 {
        let now = depth(conn, q).await;
        if now == last {
            return now;
        }
        last = now;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    last
}

/// `n` persistent messages that look dead-lettered from `origin`, ids 0..n, into `dlq`.
async fn fill(conn: &lapin::Connection, origin: &str, dlq: &str, n: usize) {
    let ch = conn.create_channel().await.unwrap();
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    for q in [origin, dlq] {
        ch.queue_declare(q.into(), durable, FieldTable::default())
            .await
            .unwrap();
    }
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let mut death = FieldTable::default();
    death.insert("queue".into(), AMQPValue::LongString(origin.into()));
    death.insert("reason".into(), AMQPValue::LongString("rejected".into()));
    death.insert("exchange".into(), AMQPValue::LongString("".into()));
    death.insert("count".into(), AMQPValue::LongLongInt(1));
    death.insert(
        "routing-keys".into(),
        AMQPValue::FieldArray(FieldArray::from(vec![AMQPValue::LongString(
            LongString::from(origin),
        )])),
    );
    let mut headers = FieldTable::default();
    headers.insert(
        "x-death".into(),
        AMQPValue::FieldArray(FieldArray::from(vec![AMQPValue::FieldTable(death)])),
    );
    for i in 0..n {
        let props = BasicProperties::default()
            .with_headers(headers.clone())
            .with_delivery_mode(2)
            .with_message_id(i.to_string().into());
        ch.basic_publish(
            "".into(),
            dlq.into(),
            BasicPublishOptions::default(),
            format!("m{i}").as_bytes(),
            props,
        )
        .await
        .unwrap();
    }
    ch.wait_for_confirms().await.unwrap();
}

/// How often each message id is in `q` (drains it).
async fn ids(conn: &lapin::Connection, q: &str) -> std::collections::BTreeMap<String, u64> {
    let n = depth(conn, q).await;
    let ch = conn.create_channel().await.unwrap();
    ch.basic_qos(1000, Default::default()).await.unwrap();
    let mut c = ch
        .basic_consume(
            q.into(),
            "count".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut out = std::collections::BTreeMap::new();
    for _ in 0..n {
        let d = c.next().await.unwrap().unwrap();
        let id = d
            .properties
            .message_id()
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default();
        *out.entry(id).or_default() += 1;
    }
    out
}

#[test]
fn a_replay_killed_with_sigkill_loses_nothing_and_the_rerun_skips_what_it_delivered() {
    const N: usize = 30_000;
    let cli = Cli::new();
    let vhost = Vhost::new("warren-cli-sigkill");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let conn = rt.block_on(connect(&vhost.0));
    rt.block_on(fill(&conn, "origin", "dlq", N));

    let replay = [
        "dlq", "replay", "--env", "local", "--vhost", &vhost.0, "--queue", "dlq", "--yes", "--json",
    ];
    let mut child = cli.cmd().args(replay).spawn().unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    while rt.block_on(depth(&conn, "origin")) < (N / 4) as u32 {
        assert!(Instant::now() < until, "the replay never got going");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());

    let left = rt.block_on(settled(&conn, "dlq"));
    let arrived = rt.block_on(settled(&conn, "origin"));
    assert!(
        (left + arrived) as usize >= N,
        "nothing lost: {left} left + {arrived} arrived"
    );
    assert!(left > 0, "killed before the end");
    let in_both = (left + arrived) as u64 - N as u64;

    // The killed run is in the audit log as started and never finished.
    let (_, audit) = cli.json(&["audit", "list", "--action", "dlq.replay", "--json"]);
    let records = audit.as_array().unwrap();
    assert!(
        records.iter().any(|r| r["outcome"] == "started"),
        "a started record for the killed run: {audit}"
    );

    let (out, second) = cli.json(&replay);
    assert!(out.status.success(), "{}", text(&out));
    assert!(second["stopped"].is_null(), "{second}");
    assert!(second["resumed_from"].is_string(), "{second}");
    assert_eq!(rt.block_on(depth(&conn, "dlq")), 0);
    let ids = rt.block_on(ids(&conn, "origin"));
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
fn many_processes_adding_environments_at_once_keep_every_one() {
    let cli = Cli::new();
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
    let (_, list) = cli.json(&["env", "list", "--json"]);
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
    let cli = Cli::new();
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
    let (out, v) = cli.json(&["queues", "--env", "local", "--json"]);
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
    let cli = Cli::new();
    let out = cli.run(&["queues", "--env", "local", "--json", "--bogus"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "usage");
    let out = cli.run(&["env", "frobnicate"]);
    assert_eq!(out.status.code(), Some(2));

    let (out, v) = cli.json(&["env", "remove", "nope", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["error"]["kind"], "unknown_environment");
    let (out, v) = cli.json(&["env", "duplicate", "local", "copy", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(v["id"], "copy");
    let (_, v) = cli.json(&["env", "remove", "copy", "--json"]);
    assert_eq!(v["removed"], "copy");

    // A broken config file: every command says which file, which line, which field.
    std::fs::write(
        cli.dir.path().join("environments.toml"),
        "[[environments]]\nid = \"x\"\nname = \"x\"\nmanagement_urls = []\namqp_urls = [\"amqp://h:5672\"]\nusername = \"u\"\n",
    )
    .unwrap();
    let (out, v) = cli.json(&["env", "list", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["error"]["kind"], "config", "{v}");
    let m = v["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("environments.toml") && m.contains("line 1") && m.contains("management_urls"),
        "{m}"
    );

    // A vhost that does not exist is named as such, not as a missing plugin.
    std::fs::remove_file(cli.dir.path().join("environments.toml")).unwrap();
    let cli2 = Cli::new();
    let (out, v) = cli2.json(&[
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
    let (out, v) = cli2.json(&[
        "audit",
        "export",
        "--out",
        export.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(v["bytes"].is_u64(), "{v}");
}
