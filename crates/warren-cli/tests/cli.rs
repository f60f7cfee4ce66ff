//! The `warren` binary as scripts use it: the `--json` keys the issue promises, exit codes,
//! the keyring for secrets, and clear refusals. Runs against the real broker and keyring.
//! The `local` entry every first start writes is shared by design (same id, same password).
//! The broker is `WARREN_TEST_BROKER=LINE=MANAGEMENT_URL,AMQP_URL` (see
//! crates/warren-test-support/src/broker.rs), else the system's 3.10; each test's `local` points at it.

use std::process::Output;

use serde_json::Value;
use warren_test_support::{amqp_url, broker_as_guest, management_url, stdin_fed, text, Cli};

/// A config dir of its own whose `local` (made by the first start) points at the broker under test.
fn fresh_cli() -> Cli {
    Cli::at_broker(env!("CARGO_BIN_EXE_warren"))
}

/// `warren COMMAND… --env local --vhost VHOST REST…`
fn in_vhost<'a>(vhost: &'a str, command: &[&'a str], rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = command.to_vec();
    args.extend(["--env", "local", "--vhost", vhost]);
    args.extend(rest);
    args
}

/// `warren demo seed` into `vhost` (asserted to succeed): what it reports.
fn seed_demo(cli: &Cli, vhost: &str) -> Value {
    let out = cli.ok(&in_vhost(vhost, &["demo", "seed"], &["--json"]));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `warren-cli-WHAT-PID`, seeded with the demo (asserted to succeed).
fn demo_vhost(cli: &Cli, what: &str) -> String {
    let vhost = format!("warren-cli-{what}-{}", std::process::id());
    cli.ok(&in_vhost(&vhost, &["demo", "seed"], &[]));
    vhost
}

/// `warren demo clean` of `vhost`, asserted to succeed.
fn clean_demo(cli: &Cli, vhost: &str) {
    cli.ok(&in_vhost(vhost, &["demo", "clean"], &[]));
}

/// A read-only copy of `local` named `id` (both steps asserted to succeed).
fn read_only_copy_of_local(cli: &Cli, id: &str) {
    cli.ok(&["env", "duplicate", "local", id]);
    cli.ok(&["env", "edit", id, "--read-only"]);
}

/// Runs `warren ARGS…`, asserts that it failed with exit code 1: its JSON answer.
fn json_refusal(cli: &Cli, args: &[&str]) -> Value {
    let (out, v) = cli.run_json(args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    v
}

/// Runs `warren ARGS…`, asserts that it failed as bad usage (exit code 2): its JSON answer.
fn json_usage_error(cli: &Cli, args: &[&str]) -> Value {
    let (out, v) = cli.run_json(args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    v
}

/// Asserts the run failed as bad usage (exit code 2) and said `expected`.
fn misused(out: &Output, expected: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", text(out));
    says(out, expected);
}

/// Asserts the run said `expected` (on stdout or stderr).
fn says(out: &Output, expected: &str) {
    assert!(text(out).contains(expected), "{}", text(out));
}

/// Asserts the run failed with exit code 1 and said `expected`.
fn refused(out: &Output, expected: &str) {
    assert_eq!(out.status.code(), Some(1), "{}", text(out));
    says(out, expected);
}

/// Polls `warren queues` until the vhost's queues hold `total` messages by the management API's
/// (lagging) counts; at most 30 s.
fn wait_for_api_counts(cli: &Cli, vhost: &str, total: u64) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let rows = cli.json(&in_vhost(vhost, &["queues"], &["--json"]));
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
    let cli = fresh_cli();
    let out = cli.run(&["env", "test", "local", "--json"]);
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
    let cli = fresh_cli();
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
    let cli = fresh_cli();
    let env_id = id("wrong");
    let secret = format!("Cli-Wrong-{}", std::process::id());
    let out = cli.run_with_stdin(
        &[
            "env",
            "add",
            &env_id,
            "--name",
            "Wrong",
            "--tier",
            "staging",
            "--management-url",
            management_url(),
            "--management-url",
            "http://127.0.0.1:1",
            "--amqp-url",
            amqp_url(),
            "--username",
            "guest",
            "--password-stdin",
        ],
        &format!("{secret}\n"),
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

    let out = cli.run(&["env", "test", &env_id, "--json"]);
    assert!(!out.status.success(), "a failed test must exit non-zero");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["management"]["ok"], false);
    assert_eq!(report["management"]["error_kind"], "wrong_credentials");
    assert_eq!(report["amqp"]["error_kind"], "wrong_credentials");
    assert!(!text(&out).contains(&secret));

    // The right password for one run (not stored) makes it pass.
    let out = cli.run_with_stdin(&["env", "test", &env_id, "--password-stdin"], "guest\n");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("RabbitMQ"));

    // The window's last inventory of it (queue names) goes with it; another's stays.
    let kept = cli.data().join("last-inventory");
    std::fs::create_dir_all(&kept).unwrap();
    std::fs::write(kept.join(format!("{env_id}.json")), "{}").unwrap();
    std::fs::write(kept.join("local.json"), "{}").unwrap();
    let out = cli.run(&["env", "remove", &env_id]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!kept.join(format!("{env_id}.json")).exists());
    assert!(kept.join("local.json").exists());
    // It says what stayed, and where to find it.
    assert!(
        text(&out).contains(&format!(
            "kept: its recorded history (`warren history info --env {env_id}`)"
        )),
        "{}",
        text(&out)
    );
}

#[test]
fn invalid_urls_are_refused_with_field_messages_and_exit_2() {
    let cli = fresh_cli();
    let v = json_usage_error(
        &cli,
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
    );
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
    let cli = fresh_cli();
    let mut add = cli.cmd();
    add.args(["env", "add", "nokeyring"])
        .args(broker_as_guest())
        .arg("--password-stdin")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY");
    let out = stdin_fed(&mut add, "Never-Stored-123\n");
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
    let cli = fresh_cli();
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
    let edit = cli.run(&["env", "edit", &section, "--amqp-url", amqp_url()]);
    assert!(edit.status.success(), "{}", text(&edit));
    let out = cli.run(&["env", "test", &section]);
    assert!(
        out.status.success(),
        "the imported environment connects: {}",
        text(&out)
    );
    cli.run(&["env", "remove", &section]);
}

#[test]
fn demo_seed_is_refused_on_a_read_only_environment() {
    let cli = fresh_cli();
    let ro = id("ro");
    read_only_copy_of_local(&cli, &ro);
    let vhost = format!("warren-ro-{}", std::process::id());
    let out = cli.run(&["demo", "seed", "--env", &ro, "--vhost", &vhost]);
    refused(&out, "read-only");
    cli.run(&["env", "remove", &ro]);
}

#[test]
fn queues_json_lists_the_promised_keys_and_the_filter_narrows_it() {
    let cli = fresh_cli();
    let vhost = format!("warren-cli-queues-{}", std::process::id());
    let seeded = seed_demo(&cli, &vhost);
    let rows = cli.json(&in_vhost(
        &vhost,
        &["queues"],
        &[
            "--filter",
            "billing.* -type:stream",
            "--sort",
            "name",
            "--json",
        ],
    ));
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

    let csv = cli.run(&in_vhost(
        &vhost,
        &["queues"],
        &["--filter", "dlq-", "--columns", "name,type", "--csv"],
    ));
    assert!(csv.status.success(), "{}", text(&csv));
    assert_eq!(
        String::from_utf8_lossy(&csv.stdout),
        "name,type\ndlq-all,classic\ndlq-payments,classic\n"
    );

    let v = json_usage_error(
        &cli,
        &[
            "queues",
            "--env",
            "local",
            "--filter",
            "messages>lots",
            "--json",
        ],
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at column 10"),
        "{v}"
    );

    // The management API's counts lag the broker by a stats interval (seconds, more on 4.x
    // under load): wait until they show every message the seed left before ranking by them.
    wait_for_api_counts(
        &cli,
        &vhost,
        seeded["messages"].as_u64().unwrap() + seeded["dead_lettered"].as_u64().unwrap(),
    );

    // Realms: the suggested template maps the demo, so realm: works and `warren realms` sums.
    let acme = cli.json(&in_vhost(
        &vhost,
        &["queues"],
        &["--filter", "realm:acme", "--json"],
    ));
    assert_eq!(acme.as_array().unwrap().len(), 40, "40 workers serve acme");
    let realms = cli.json(&in_vhost(&vhost, &["realms"], &["--json"]));
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
    let workers = cli.json(&in_vhost(
        &vhost,
        &["realms"],
        &[
            "--by", "worker", "--metric", "queues", "--top", "3", "--json",
        ],
    ));
    let workers = workers.as_array().unwrap();
    assert_eq!(workers.len(), 3);
    assert!(workers
        .iter()
        .all(|w| w["worker"].is_string() && w["queues"] == 12 && w.get("realm").is_none()));
    let suggestion = cli.json(&in_vhost(&vhost, &["realms", "suggest"], &["--json"]));
    assert_eq!(suggestion["template"], "{worker}.{realm}");
    assert_eq!(suggestion["matched"], 480);
    let bad_metric = cli.run(&["realms", "--env", "local", "--metric", "weight"]);
    misused(&bad_metric, "unknown metric `weight`");
    let dry = cli.json(&in_vhost(
        &vhost,
        &["realms", "purge"],
        &["--realm", "globex", "--dry-run", "--json"],
    ));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["purged"].as_array().unwrap().len(), 40);
    let unconfirmed = cli.run(&in_vhost(
        &vhost,
        &["realms", "purge"],
        &["--realm", "globex", "--worker", "billing"],
    ));
    assert_eq!(unconfirmed.status.code(), Some(2));
    assert!(
        text(&unconfirmed).contains("purging 1 queue(s)")
            && text(&unconfirmed).contains("needs --yes"),
        "{}",
        text(&unconfirmed)
    );
    let plan = cli.json(&in_vhost(
        &vhost,
        &["realms", "policy"],
        &[
            "--realm",
            "globex",
            "--set",
            "max-length=100000",
            "--dry-run",
            "--json",
        ],
    ));
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["policy"]["pattern"], r"^(?:.+)\.(?:globex)$");
    assert_eq!(plan["policy"]["queues"].as_array().unwrap().len(), 40);
    let bad_logs = cli.run(&["env", "edit", "local", "--logs-url", "ftp://kibana/{realm}"]);
    misused(&bad_logs, "https://");
    let ok_logs = cli.run(&[
        "env",
        "edit",
        "local",
        "--logs-url",
        "https://kibana/q={realm}",
    ]);
    assert!(ok_logs.status.success(), "{}", text(&ok_logs));
    let list = cli.json(&["env", "list", "--json"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|e| e["logs_url"] == "https://kibana/q={realm}"),
        "{list}"
    );
    let bad_template = cli.run(&[
        "env",
        "edit",
        "local",
        "--realm-template",
        "{worker}.queue",
        "--json",
    ]);
    misused(&bad_template, "lacks `{realm}`");

    clean_demo(&cli, &vhost);
}

#[test]
fn queues_purge_needs_yes_and_is_refused_on_a_read_only_environment() {
    let cli = fresh_cli();
    let vhost = demo_vhost(&cli, "purge");
    let purge_acme = |extra: &[&str]| {
        let mut rest = vec!["--filter", "acme"];
        rest.extend_from_slice(extra);
        cli.run(&in_vhost(&vhost, &["queues", "purge"], &rest))
    };

    let without_yes = purge_acme(&[]);
    misused(&without_yes, "needs --yes");

    let dry = purge_acme(&["--dry-run", "--json"]);
    assert!(dry.status.success(), "{}", text(&dry));
    let report: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(
        report["purged"].as_array().unwrap().len(),
        40,
        "one acme queue per worker"
    );

    let ro = id("purge-ro");
    read_only_copy_of_local(&cli, &ro);
    let out = cli.run(&[
        "queues",
        "purge",
        "--env",
        &ro,
        "--vhost",
        &vhost,
        "--queue",
        "billing.acme",
        "--yes",
    ]);
    refused(&out, "read-only");

    let done = purge_acme(&["--yes", "--json"]);
    assert!(done.status.success(), "{}", text(&done));
    let report: Value = serde_json::from_slice(&done.stdout).unwrap();
    let purged: u64 = report["purged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["messages"].as_u64().unwrap())
        .sum();
    assert!(purged > 0, "acme holds the heaviest backlog: {report}");

    cli.run(&["env", "remove", &ro]);
    clean_demo(&cli, &vhost);
}

#[test]
fn queues_move_needs_yes_then_moves_every_message() {
    let cli = fresh_cli();
    let vhost = demo_vhost(&cli, "move");
    let without_yes = cli.run(&in_vhost(
        &vhost,
        &["queues", "move"],
        &["--queue", "dlq-all", "--to", "parking"],
    ));
    misused(&without_yes, "needs --yes");
    let out = cli.run(&in_vhost(
        &vhost,
        &["queues", "move"],
        &["--queue", "dlq-all", "--to", "parking", "--yes", "--json"],
    ));
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["moved"].as_u64().unwrap() > 100,
        "the demo DLQ holds some hundreds: {report}"
    );
    assert_eq!(report["to"], "parking");
    clean_demo(&cli, &vhost);
}

#[test]
fn dlq_replay_of_a_whole_dlq_to_origin_goes_broker_side_and_says_so() {
    let cli = fresh_cli();
    let vhost = demo_vhost(&cli, "dlq-broker");
    let run = |extra: &[&str]| {
        let mut rest = vec!["--queue", "dlq-payments"];
        rest.extend_from_slice(extra);
        cli.run(&in_vhost(&vhost, &["dlq", "replay"], &rest))
    };
    let plan: Value = serde_json::from_slice(&run(&["--dry-run", "--json"]).stdout).unwrap();
    assert_eq!(plan["plan"]["path"], "broker", "{plan}");
    assert!(plan["plan"]["path_note"]
        .as_str()
        .unwrap()
        .contains("x-shovelled"));
    let out = run(&["--yes", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["path"], "broker", "{report}");
    assert_eq!(
        (report["replayed"].as_u64(), report["kept"].as_u64()),
        (Some(48), Some(0)),
        "{report}"
    );
    clean_demo(&cli, &vhost);
}

#[test]
fn dlq_list_show_replay_keep_their_json_contract() {
    let cli = fresh_cli();
    let vhost = format!("warren-cli-dlq-{}", std::process::id());
    seed_demo(&cli, &vhost);

    let list = cli.json(&in_vhost(&vhost, &["dlq", "list"], &["--json"]));
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
    assert_eq!(payments["kind"], "broker");
    assert_eq!(payments["feeders"].as_array().unwrap().len(), 24);

    let show = cli.json(&in_vhost(
        &vhost,
        &["dlq", "show"],
        &["--queue", "dlq-payments", "--limit", "10", "--json"],
    ));
    assert_eq!(show["read"], 10);
    assert_eq!(show["depth"], 48);
    assert!(show["messages"][0]["deaths"][0]["reason"] == "rejected");
    assert!(show["cost"].as_str().unwrap().contains("redelivered"));

    // Replay: planned, refused without --yes, then done, with the promised report keys.
    let replay_payments = |extra: &[&str]| {
        let mut rest = vec!["--queue", "dlq-payments"];
        rest.extend_from_slice(extra);
        cli.run(&in_vhost(&vhost, &["dlq", "replay"], &rest))
    };
    let stdout_json = |out: Output| -> Value { serde_json::from_slice(&out.stdout).unwrap() };
    let plan = stdout_json(replay_payments(&[
        "--filter",
        "origin:payments.*",
        "--dry-run",
        "--json",
    ]));
    assert_eq!(plan["plan"]["in_scope"], 24);
    assert_eq!(plan["plan"]["out_of_scope"], 24);
    // A group cannot go broker-side (a shovel cannot filter): the plan says so.
    assert_eq!(plan["plan"]["path"], "client");
    misused(&replay_payments(&[]), "needs --yes");
    let bad = replay_payments(&["--to", "nowhere", "--yes"]);
    says(&bad, "use origin, original-exchange");
    let report = stdout_json(replay_payments(&[
        "--filter",
        "origin:payments.*",
        "--yes",
        "--json",
    ]));
    for key in ["replayed", "kept", "unroutable", "nacked", "path"] {
        assert!(report.get(key).is_some(), "missing {key}: {report}");
    }
    assert_eq!(report["path"], "client", "{report}");
    assert_eq!(
        (report["replayed"].as_u64(), report["kept"].as_u64()),
        (Some(24), Some(24))
    );
    // The group's numbers beside the queue's: 24 in scope of the 48 read.
    assert_eq!(
        (
            report["in_scope"].as_u64(),
            report["read"].as_u64(),
            report["total"].as_u64()
        ),
        (Some(24), Some(48), Some(48)),
        "{report}"
    );

    // Realms: dead letters per realm once the shared DLQs are read; consumers of a realm.
    let realms = cli.json(&in_vhost(
        &vhost,
        &["realms"],
        &["--scan-dead-letters", "--json"],
    ));
    assert!(realms
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("dead_letters").is_some()));
    let consumers = cli.json(&in_vhost(
        &vhost,
        &["realms", "consumers"],
        &["--realm", "acme", "--json"],
    ));
    assert_eq!(consumers["connections"].as_array().unwrap().len(), 0);
    assert_eq!(consumers["unserved"].as_array().unwrap().len(), 40);
    clean_demo(&cli, &vhost);
}

#[test]
fn audit_lists_environment_changes_and_verify_finds_tampering() {
    let cli = fresh_cli();
    let name = id("audit");
    let add = cli.run_with_stdin(
        &[
            ["env", "add", &name, "--name", "Audit test"].as_slice(),
            &broker_as_guest(),
            &["--password-stdin"],
        ]
        .concat(),
        "a-unique-secret-4711\n",
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
    // An edit's record says which fields changed (never a value of them, nor the password).
    cli.ok(&["env", "edit", &name, "--read-only", "--vhost", "shop"]);
    let records = cli.json(&["audit", "list", "--env", &name, "--json"]);
    let update = records
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "environment.update" && r["outcome"] == "ok")
        .expect("an environment.update record");
    assert_eq!(
        update["parameters"]["changed"],
        serde_json::json!(["read_only", "vhost"]),
        "{update}"
    );
    assert_eq!(update["parameters"]["password_changed"], false);
    let ok = cli.json(&["audit", "verify", "--json"]);
    assert_eq!(ok["ok"], true);
    std::fs::write(
        &log,
        text_of_log.replace("environment.create", "environment.update"),
    )
    .unwrap();
    let v = json_refusal(&cli, &["audit", "verify", "--json"]);
    assert_eq!(v["ok"], false);
    assert!(v["line"].as_u64().unwrap() >= 1);
    let _ = cli.run(&["env", "remove", &name]);
}
