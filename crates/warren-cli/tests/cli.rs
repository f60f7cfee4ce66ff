//! The `warren` binary as scripts use it: the `--json` keys the issue promises, exit codes,
//! the keyring for secrets, and clear refusals. Runs against the real broker and keyring.
//! The `local` entry every first start writes is shared by design (same id, same password).
//! The broker is `WARREN_TEST_BROKER=LINE=MANAGEMENT_URL,AMQP_URL` (see
//! crates/warren-core/tests/common/mod.rs), else the system's 3.10; each test's `local` points at it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The broker under test: (management URL, AMQP URL), e.g. ("http://127.0.0.1:15674",
/// "amqp://127.0.0.1:5674"); the system's 3.10 when `WARREN_TEST_BROKER` is unset.
fn broker() -> (String, String) {
    const DEFAULT: (&str, &str) = ("http://127.0.0.1:15672", "amqp://127.0.0.1:5672");
    let Some(spec) = std::env::var("WARREN_TEST_BROKER")
        .ok()
        .filter(|s| !s.trim().is_empty())
    else {
        return (DEFAULT.0.into(), DEFAULT.1.into());
    };
    let parsed = spec
        .split_once('=')
        .and_then(|(_, urls)| urls.split_once(','))
        .map(|(m, a)| {
            (
                m.trim().trim_end_matches('/').to_string(),
                a.trim().trim_end_matches('/').to_string(),
            )
        });
    parsed.unwrap_or_else(|| {
        panic!("WARREN_TEST_BROKER={spec:?}: expected LINE=MANAGEMENT_URL,AMQP_URL")
    })
}

fn management_url() -> String {
    broker().0
}

fn amqp_url() -> String {
    broker().1
}

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    /// A config dir of its own whose `local` (made by the first start) points at the broker
    /// under test.
    fn new() -> Self {
        let cli = Cli {
            dir: tempfile::tempdir().unwrap(),
        };
        let (management, amqp) = broker();
        if (management.as_str(), amqp.as_str())
            != ("http://127.0.0.1:15672", "amqp://127.0.0.1:5672")
        {
            let out = cli.run(
                &[
                    "env",
                    "edit",
                    "local",
                    "--management-url",
                    &management,
                    "--amqp-url",
                    &amqp,
                ],
                None,
            );
            assert!(
                out.status.success(),
                "point local at {management}: {}",
                text(&out)
            );
        }
        cli
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_warren"));
        c.env("WARREN_CONFIG_DIR", self.dir.path())
            .env("WARREN_DATA_DIR", self.dir.path().join("data"))
            .env_remove("WARREN_PASSWORD");
        c
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut c = self.cmd();
        c.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args, None);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
    }

    fn config(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("environments.toml")).unwrap_or_default()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Polls `warren queues` until the vhost's queues hold `total` messages by the management API's
/// (lagging) counts; at most 30 s.
fn wait_for_api_counts(cli: &Cli, vhost: &str, total: u64) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let rows = cli.json(&["queues", "--env", "local", "--vhost", vhost, "--json"]);
        let shown: u64 = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["messages"].as_u64().unwrap_or(0))
            .sum();
        if shown == total || std::time::Instant::now() > until {
            assert_eq!(
                shown, total,
                "the management API's message counts in {vhost}"
            );
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// Unique per test so parallel tests never share a keyring entry.
fn id(name: &str) -> String {
    format!("cli-{name}-{}", std::process::id())
}

#[test]
fn env_test_local_reports_the_broker_version_in_json() {
    let cli = Cli::new();
    let out = cli.run(&["env", "test", "local", "--json"], None);
    assert!(out.status.success(), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["management"]["ok"], true);
    assert!(
        v["management"]["rabbitmq_version"]
            .as_str()
            .unwrap()
            .starts_with('3')
            || v["management"]["rabbitmq_version"]
                .as_str()
                .unwrap()
                .starts_with('4')
    );
    for key in ["erlang_version", "cluster_name", "user_tags"] {
        assert!(!v["management"][key].is_null(), "missing {key}: {v}");
    }
    assert_eq!(v["amqp"]["ok"], true);
}

#[test]
fn env_list_json_has_the_promised_keys_and_no_password() {
    let cli = Cli::new();
    let list = cli.json(&["env", "list", "--json"]);
    let local = &list.as_array().unwrap()[0];
    for key in [
        "id",
        "name",
        "tier",
        "management_urls",
        "amqp_urls",
        "username",
        "read_only",
        "has_secret",
    ] {
        assert!(local.get(key).is_some(), "missing {key} in {local}");
    }
    assert_eq!(local["id"], "local");
    assert_eq!(local["has_secret"], true);
    assert!(!list.to_string().contains("\"password\""));
}

#[test]
fn add_with_password_stdin_stores_it_in_the_keyring_and_a_wrong_one_fails_the_test() {
    let cli = Cli::new();
    let env_id = id("wrong");
    let secret = format!("Cli-Wrong-{}", std::process::id());
    let out = cli.run(
        &[
            "env",
            "add",
            &env_id,
            "--name",
            "Wrong",
            "--tier",
            "staging",
            "--management-url",
            &management_url(),
            "--management-url",
            "http://127.0.0.1:1",
            "--amqp-url",
            &amqp_url(),
            "--username",
            "guest",
            "--password-stdin",
        ],
        Some(&format!("{secret}\n")),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !cli.config().contains(&secret),
        "the password reached the config file"
    );
    let list = cli.json(&["env", "list", "--json"]);
    let added = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == env_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(added["has_secret"], true);
    assert_eq!(added["management_urls"].as_array().unwrap().len(), 2);

    let out = cli.run(&["env", "test", &env_id, "--json"], None);
    assert!(!out.status.success(), "a failed test must exit non-zero");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["management"]["ok"], false);
    assert_eq!(report["management"]["error_kind"], "wrong_credentials");
    assert_eq!(report["amqp"]["error_kind"], "wrong_credentials");
    assert!(!text(&out).contains(&secret));

    // The right password for one run (not stored) makes it pass.
    let out = cli.run(
        &["env", "test", &env_id, "--password-stdin"],
        Some("guest\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("RabbitMQ"));

    let out = cli.run(&["env", "remove", &env_id], None);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn invalid_urls_are_refused_with_field_messages_and_exit_1() {
    let cli = Cli::new();
    let out = cli.run(
        &[
            "env",
            "add",
            &id("bad"),
            "--management-url",
            "http://:70000",
            "--amqp-url",
            "amqp://h:0",
            "--username",
            "u",
            "--json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "invalid");
    let fields: Vec<&str> = v["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["management_urls[0]", "amqp_urls[0]"]);
}

#[test]
fn without_a_keyring_the_secret_is_refused_and_nothing_is_written() {
    let cli = Cli::new();
    let out = cli
        .cmd()
        .args([
            "env",
            "add",
            "nokeyring",
            "--management-url",
            &management_url(),
            "--amqp-url",
            &amqp_url(),
            "--username",
            "guest",
            "--password-stdin",
        ])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"Never-Stored-123\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let msg = text(&out);
    assert!(msg.contains("no OS keyring is reachable"), "{msg}");
    assert!(msg.contains("never in a file"), "{msg}");
    assert!(
        !cli.config().contains("nokeyring"),
        "the environment was saved without its secret"
    );
    assert!(!cli.config().contains("Never-Stored-123"));
}

#[test]
fn import_rabbitmqadmin_reports_imported_and_skipped_sections() {
    let cli = Cli::new();
    let section = id("imp");
    let conf = cli.dir.path().join("rabbitmqadmin.conf");
    let port = management_url().rsplit(':').next().unwrap().to_string();
    std::fs::write(&conf, format!("[{section}]\nhostname = \"127.0.0.1\"\nport = {port}\nusername = \"guest\"\npassword = \"guest\"\n\n[local]\nhostname = \"x\"\n")).unwrap();
    let v = cli.json(&[
        "env",
        "import-rabbitmqadmin",
        conf.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["imported"][0]["id"], section.as_str());
    assert_eq!(v["imported"][0]["has_secret"], true);
    assert_eq!(v["skipped"][0]["section"], "local");
    // rabbitmqadmin.conf has no AMQP port: the import assumes 5672, the broker under test may differ.
    let edit = cli.run(&["env", "edit", &section, "--amqp-url", &amqp_url()], None);
    assert!(edit.status.success(), "{}", text(&edit));
    let out = cli.run(&["env", "test", &section], None);
    assert!(
        out.status.success(),
        "the imported environment connects: {}",
        text(&out)
    );
    cli.run(&["env", "remove", &section], None);
}

#[test]
fn demo_seed_is_refused_on_a_read_only_environment() {
    let cli = Cli::new();
    let ro = id("ro");
    let out = cli.run(&["env", "duplicate", "local", &ro], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(cli
        .run(&["env", "edit", &ro, "--read-only"], None)
        .status
        .success());
    let out = cli.run(
        &[
            "demo",
            "seed",
            "--env",
            &ro,
            "--vhost",
            &format!("warren-ro-{}", std::process::id()),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("read-only"), "{}", text(&out));
    cli.run(&["env", "remove", &ro], None);
}

#[test]
fn queues_json_lists_the_promised_keys_and_the_filter_narrows_it() {
    let cli = Cli::new();
    let vhost = format!("warren-cli-queues-{}", std::process::id());
    let seed = cli.run(
        &[
            "demo", "seed", "--env", "local", "--vhost", &vhost, "--json",
        ],
        None,
    );
    assert!(seed.status.success(), "{}", text(&seed));
    let rows = cli.json(&[
        "queues",
        "--env",
        "local",
        "--vhost",
        &vhost,
        "--filter",
        "billing.* -type:stream",
        "--sort",
        "name",
        "--json",
    ]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 12, "billing × 12 realms");
    for key in [
        "vhost",
        "name",
        "type",
        "messages",
        "messages_ready",
        "messages_unacknowledged",
        "consumers",
        "memory",
    ] {
        assert!(rows[0].get(key).is_some(), "missing {key}: {}", rows[0]);
    }
    assert_eq!(rows[0]["name"], "billing.acme");
    assert!(rows.iter().all(|r| r["vhost"] == vhost.as_str()));

    let csv = cli.run(
        &[
            "queues",
            "--env",
            "local",
            "--vhost",
            &vhost,
            "--filter",
            "dlq-",
            "--columns",
            "name,type",
            "--csv",
        ],
        None,
    );
    assert!(csv.status.success(), "{}", text(&csv));
    assert_eq!(
        String::from_utf8_lossy(&csv.stdout),
        "name,type\ndlq-all,classic\ndlq-payments,classic\n"
    );

    let bad = cli.run(
        &[
            "queues",
            "--env",
            "local",
            "--filter",
            "messages>lots",
            "--json",
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at column 10"),
        "{v}"
    );

    // The management API's counts lag the broker by a stats interval (seconds, more on 4.x
    // under load): wait until they show every message the seed left before ranking by them.
    let seeded: Value = serde_json::from_slice(&seed.stdout).unwrap();
    wait_for_api_counts(
        &cli,
        &vhost,
        seeded["messages"].as_u64().unwrap() + seeded["dead_lettered"].as_u64().unwrap(),
    );

    // Realms: the suggested template maps the demo, so realm: works and `warren realms` sums.
    let acme = cli.json(&[
        "queues",
        "--env",
        "local",
        "--vhost",
        &vhost,
        "--filter",
        "realm:acme",
        "--json",
    ]);
    assert_eq!(acme.as_array().unwrap().len(), 40, "40 workers serve acme");
    let realms = cli.json(&["realms", "--env", "local", "--vhost", &vhost, "--json"]);
    let realms = realms.as_array().unwrap();
    assert_eq!(realms.len(), 12);
    for key in [
        "realm",
        "queues",
        "messages",
        "messages_unacknowledged",
        "consumers",
        "memory",
    ] {
        assert!(realms[0].get(key).is_some(), "missing {key}: {}", realms[0]);
    }
    assert_eq!(
        (realms[0]["realm"].as_str(), realms[0]["queues"].as_u64()),
        (Some("acme"), Some(40)),
        "heaviest first"
    );
    let workers = cli.json(&[
        "realms", "--env", "local", "--vhost", &vhost, "--by", "worker", "--metric", "queues",
        "--top", "3", "--json",
    ]);
    let workers = workers.as_array().unwrap();
    assert_eq!(workers.len(), 3);
    assert!(workers
        .iter()
        .all(|w| w["worker"].is_string() && w["queues"] == 12 && w.get("realm").is_none()));
    let suggestion = cli.json(&[
        "realms", "suggest", "--env", "local", "--vhost", &vhost, "--json",
    ]);
    assert_eq!(suggestion["template"], "{worker}.{realm}");
    assert_eq!(suggestion["matched"], 480);
    let bad_metric = cli.run(&["realms", "--env", "local", "--metric", "weight"], None);
    assert_eq!(bad_metric.status.code(), Some(1));
    assert!(
        text(&bad_metric).contains("unknown metric `weight`"),
        "{}",
        text(&bad_metric)
    );
    let dry = cli.json(&[
        "realms",
        "purge",
        "--env",
        "local",
        "--vhost",
        &vhost,
        "--realm",
        "globex",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["purged"].as_array().unwrap().len(), 40);
    let unconfirmed = cli.run(
        &[
            "realms", "purge", "--env", "local", "--vhost", &vhost, "--realm", "globex",
            "--worker", "billing",
        ],
        None,
    );
    assert_eq!(unconfirmed.status.code(), Some(1));
    assert!(
        text(&unconfirmed).contains("purging 1 queue(s)")
            && text(&unconfirmed).contains("needs --yes"),
        "{}",
        text(&unconfirmed)
    );
    let plan = cli.json(&[
        "realms",
        "policy",
        "--env",
        "local",
        "--vhost",
        &vhost,
        "--realm",
        "globex",
        "--set",
        "max-length=100000",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["policy"]["pattern"], r"^(?:.+)\.(?:globex)$");
    assert_eq!(plan["policy"]["queues"].as_array().unwrap().len(), 40);
    let bad_logs = cli.run(
        &["env", "edit", "local", "--logs-url", "ftp://kibana/{realm}"],
        None,
    );
    assert_eq!(bad_logs.status.code(), Some(1));
    assert!(text(&bad_logs).contains("https://"), "{}", text(&bad_logs));
    let ok_logs = cli.run(
        &[
            "env",
            "edit",
            "local",
            "--logs-url",
            "https://kibana/q={realm}",
        ],
        None,
    );
    assert!(ok_logs.status.success(), "{}", text(&ok_logs));
    let list = cli.json(&["env", "list", "--json"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|e| e["logs_url"] == "https://kibana/q={realm}"),
        "{list}"
    );
    let bad_template = cli.run(
        &[
            "env",
            "edit",
            "local",
            "--realm-template",
            "{worker}.queue",
            "--json",
        ],
        None,
    );
    assert_eq!(bad_template.status.code(), Some(1));
    assert!(
        text(&bad_template).contains("lacks `{realm}`"),
        "{}",
        text(&bad_template)
    );

    assert!(cli
        .run(
            &["demo", "clean", "--env", "local", "--vhost", &vhost],
            None
        )
        .status
        .success());
}

#[test]
fn queues_purge_needs_yes_and_is_refused_on_a_read_only_environment() {
    let cli = Cli::new();
    let vhost = format!("warren-cli-purge-{}", std::process::id());
    assert!(cli
        .run(&["demo", "seed", "--env", "local", "--vhost", &vhost], None)
        .status
        .success());
    let args = |extra: &[&str]| {
        let mut a = vec![
            "queues", "purge", "--env", "local", "--vhost", &vhost, "--filter", "acme",
        ];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| cli.run(&a.iter().map(String::as_str).collect::<Vec<_>>(), None);

    let refused = run(args(&[]));
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("needs --yes"), "{}", text(&refused));

    let dry = run(args(&["--dry-run", "--json"]));
    assert!(dry.status.success(), "{}", text(&dry));
    let report: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(
        report["purged"].as_array().unwrap().len(),
        40,
        "one acme queue per worker"
    );

    let ro = id("purge-ro");
    assert!(cli
        .run(&["env", "duplicate", "local", &ro], None)
        .status
        .success());
    assert!(cli
        .run(&["env", "edit", &ro, "--read-only"], None)
        .status
        .success());
    let out = cli.run(
        &[
            "queues",
            "purge",
            "--env",
            &ro,
            "--vhost",
            &vhost,
            "--queue",
            "billing.acme",
            "--yes",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("read-only"), "{}", text(&out));

    let done = run(args(&["--yes", "--json"]));
    assert!(done.status.success(), "{}", text(&done));
    let report: Value = serde_json::from_slice(&done.stdout).unwrap();
    let purged: u64 = report["purged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["messages"].as_u64().unwrap())
        .sum();
    assert!(purged > 0, "acme holds the heaviest backlog: {report}");

    cli.run(&["env", "remove", &ro], None);
    assert!(cli
        .run(
            &["demo", "clean", "--env", "local", "--vhost", &vhost],
            None
        )
        .status
        .success());
}

#[test]
fn queues_move_needs_yes_then_moves_every_message() {
    let cli = Cli::new();
    let vhost = format!("warren-cli-move-{}", std::process::id());
    assert!(cli
        .run(&["demo", "seed", "--env", "local", "--vhost", &vhost], None)
        .status
        .success());
    let refused = cli.run(
        &[
            "queues", "move", "--env", "local", "--vhost", &vhost, "--queue", "dlq-all", "--to",
            "parking",
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("needs --yes"), "{}", text(&refused));
    let out = cli.run(
        &[
            "queues", "move", "--env", "local", "--vhost", &vhost, "--queue", "dlq-all", "--to",
            "parking", "--yes", "--json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["moved"].as_u64().unwrap() > 100,
        "the demo DLQ holds some hundreds: {report}"
    );
    assert_eq!(report["to"], "parking");
    assert!(cli
        .run(
            &["demo", "clean", "--env", "local", "--vhost", &vhost],
            None
        )
        .status
        .success());
}

#[test]
fn dlq_list_show_replay_keep_their_json_contract() {
    let cli = Cli::new();
    let vhost = format!("warren-cli-dlq-{}", std::process::id());
    let seed = cli.run(
        &[
            "demo", "seed", "--env", "local", "--vhost", &vhost, "--json",
        ],
        None,
    );
    assert!(seed.status.success(), "{}", text(&seed));
    let cleanup = || {
        cli.run(
            &["demo", "clean", "--env", "local", "--vhost", &vhost],
            None,
        )
    };

    let list = cli.json(&["dlq", "list", "--env", "local", "--vhost", &vhost, "--json"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"dlq-all") && names.contains(&"dlq-payments"),
        "{names:?}"
    );
    let payments = list
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "dlq-payments")
        .unwrap();
    assert_eq!(payments["wiring"], "wired");
    assert_eq!(payments["feeders"].as_array().unwrap().len(), 24);

    let show = cli.json(&[
        "dlq",
        "show",
        "--env",
        "local",
        "--vhost",
        &vhost,
        "--queue",
        "dlq-payments",
        "--limit",
        "10",
        "--json",
    ]);
    assert_eq!(show["read"], 10);
    assert_eq!(show["depth"], 48);
    assert!(show["messages"][0]["deaths"][0]["reason"] == "rejected");
    assert!(show["cost"].as_str().unwrap().contains("redelivered"));

    // Replay: planned, refused without --yes, then done, with the promised report keys.
    let plan = cli.json(&[
        "dlq",
        "replay",
        "--env",
        "local",
        "--vhost",
        &vhost,
        "--queue",
        "dlq-payments",
        "--filter",
        "origin:payments.*",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(plan["plan"]["in_scope"], 24);
    assert_eq!(plan["plan"]["out_of_scope"], 24);
    let refused = cli.run(
        &[
            "dlq",
            "replay",
            "--env",
            "local",
            "--vhost",
            &vhost,
            "--queue",
            "dlq-payments",
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused).contains("needs --yes"));
    let bad = cli.run(
        &[
            "dlq",
            "replay",
            "--env",
            "local",
            "--vhost",
            &vhost,
            "--queue",
            "dlq-payments",
            "--to",
            "nowhere",
            "--yes",
        ],
        None,
    );
    assert!(
        text(&bad).contains("use origin, original-exchange"),
        "{}",
        text(&bad)
    );
    let report = cli.json(&[
        "dlq",
        "replay",
        "--env",
        "local",
        "--vhost",
        &vhost,
        "--queue",
        "dlq-payments",
        "--filter",
        "origin:payments.*",
        "--yes",
        "--json",
    ]);
    for key in ["replayed", "kept", "unroutable", "nacked"] {
        assert!(report.get(key).is_some(), "missing {key}: {report}");
    }
    assert_eq!(
        (report["replayed"].as_u64(), report["kept"].as_u64()),
        (Some(24), Some(24))
    );

    // Realms: dead letters per realm once the shared DLQs are read; consumers of a realm.
    let realms = cli.json(&[
        "realms",
        "--env",
        "local",
        "--vhost",
        &vhost,
        "--scan-dead-letters",
        "--json",
    ]);
    assert!(realms
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("dead_letters").is_some()));
    let consumers = cli.json(&[
        "realms",
        "consumers",
        "--env",
        "local",
        "--vhost",
        &vhost,
        "--realm",
        "acme",
        "--json",
    ]);
    assert_eq!(consumers["connections"].as_array().unwrap().len(), 0);
    assert_eq!(consumers["unserved"].as_array().unwrap().len(), 40);
    assert!(cleanup().status.success());
}

#[test]
fn audit_lists_environment_changes_and_verify_finds_tampering() {
    let cli = Cli::new();
    let name = id("audit");
    let add = cli.run(
        &[
            "env",
            "add",
            &name,
            "--name",
            "Audit test",
            "--management-url",
            &management_url(),
            "--amqp-url",
            &amqp_url(),
            "--username",
            "guest",
            "--password-stdin",
        ],
        Some("a-unique-secret-4711\n"),
    );
    assert!(add.status.success(), "{}", text(&add));
    let records = cli.json(&["audit", "list", "--env", &name, "--json"]);
    let records = records.as_array().unwrap();
    assert!(
        records
            .iter()
            .any(|r| r["action"] == "environment.create" && r["outcome"] == "ok"),
        "{records:?}"
    );
    for key in [
        "seq",
        "time",
        "os_user",
        "host",
        "environment",
        "tier",
        "action",
        "targets",
        "parameters",
        "counts",
        "outcome",
        "duration_ms",
        "prev_hash",
        "hash",
    ] {
        assert!(records[0].get(key).is_some(), "missing {key}");
    }
    let log = cli.dir.path().join("data").join("audit.jsonl");
    let text_of_log = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text_of_log.contains("a-unique-secret-4711"),
        "no password in the audit log"
    );
    // The run's log lines (one file a day in the data dir's logs/) name the action, not the secret.
    let logs: String = std::fs::read_dir(cli.dir.path().join("data").join("logs"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(logs.contains("action=\"environment.create\""), "{logs}");
    assert!(
        !logs.contains("a-unique-secret-4711"),
        "no password in the log"
    );
    let ok = cli.json(&["audit", "verify", "--json"]);
    assert_eq!(ok["ok"], true);
    std::fs::write(
        &log,
        text_of_log.replace("environment.create", "environment.update"),
    )
    .unwrap();
    let broken = cli.run(&["audit", "verify", "--json"], None);
    assert_eq!(broken.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&broken.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["line"].as_u64().unwrap() >= 1);
    let _ = cli.run(&["env", "remove", &name], None);
}
