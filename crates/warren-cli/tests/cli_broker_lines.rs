//! The `warren` binary on each RabbitMQ line (`WARREN_TEST_BROKER`, see
//! crates/warren-test-support/src/broker.rs; the system's 3.10 when unset): the quorum keys of
//! `queues --json`, the 4.x filter fields, `dlq show --insist`, streams refused by purge and
//! show, and `env check`. The password comes from `WARREN_PASSWORD` (no keyring needed).

use serde_json::{json, Value};
use warren_test_support::{
    broker_as_guest, broker_line, is_4x, line_at_least, put_policy, text, Cli, Vhost,
};

/// A config dir whose environment `line` points at the broker under test; every run gets the
/// password from `WARREN_PASSWORD`.
fn fresh_cli() -> Cli {
    let cli = Cli::new(env!("CARGO_BIN_EXE_warren")).with_password("guest");
    let add = ["env", "add", "line", "--name", "line"];
    cli.ok(&[add.as_slice(), &broker_as_guest()].concat());
    cli
}

/// `warren ARGS…`: whether it succeeded, and its stdout as JSON.
fn json_outcome(cli: &Cli, args: &[&str]) -> (bool, Value) {
    let (out, v) = cli.run_json(args);
    (out.status.success(), v)
}

fn names(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn queues_json_carries_delivery_limit_members_and_leader_and_filters_on_them() {
    let v = Vhost::new("cli-lines-queues");
    v.queue("classic", json!({}));
    v.queue("qq", json!({"x-queue-type": "quorum"}));
    v.queue(
        "qq3",
        json!({"x-queue-type": "quorum", "x-delivery-limit": 3}),
    );
    v.queue("events", json!({"x-queue-type": "stream"}));
    let cli = fresh_cli();
    // 4.0 rows carry the quorum fields once the queues' first statistics arrive.
    let mut rows = Value::Null;
    for _ in 0..60 {
        rows = cli.json(&["queues", "--env", "line", "--vhost", &v.name, "--json"]);
        let ready = rows.as_array().unwrap().iter().all(|r| {
            r["type"] != "quorum"
                || (!r["leader"].is_null() && (!is_4x() || !r["delivery_limit"].is_null()))
        });
        if ready && rows.as_array().unwrap().len() == 4 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let row = |n: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("no {n} in {rows}"))
    };
    for key in ["delivery_limit", "members", "leader"] {
        assert!(
            row("classic").get(key).is_some(),
            "key {key}: {}",
            row("classic")
        );
    }
    assert!(row("classic")["delivery_limit"].is_null());
    assert_eq!(row("classic")["members"], json!([]));
    assert!(row("events")["delivery_limit"].is_null());
    assert_eq!(row("qq3")["delivery_limit"], 3);
    assert_eq!(
        row("qq")["delivery_limit"],
        if is_4x() { json!(20) } else { Value::Null }
    );
    assert_eq!(row("qq")["members"].as_array().unwrap().len(), 1);
    assert_eq!(row("qq")["leader"], row("qq")["members"][0]);

    let filtered = |q: &str| {
        names(&cli.json(&[
            "queues", "--env", "line", "--vhost", &v.name, "--filter", q, "--json",
        ]))
    };
    assert_eq!(filtered("delivery_limit<5"), vec!["qq3"]);
    assert_eq!(filtered("type:stream"), vec!["events"]);
    if line_at_least(4, 3) {
        assert_eq!(filtered("messages_delayed>=0"), vec!["qq", "qq3"]);
        assert!(filtered("messages_dlx>0").is_empty());
    } else {
        println!(
            "skipped on {}: messages_delayed is a 4.3 field",
            broker_line()
        );
        assert!(filtered("messages_delayed>=0").is_empty());
    }
    let out = cli.run(&[
        "queues",
        "--env",
        "line",
        "--vhost",
        &v.name,
        "--columns",
        "name,delivery_limit,leader",
        "--sort",
        "delivery_limit:desc",
        "--csv",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let csv = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(csv.starts_with("name,delivery_limit,leader\n"), "{csv}");
    assert!(csv.contains("qq3,3,"), "{csv}");
}

#[test]
fn streams_are_refused_by_purge_and_show_and_a_browse_near_the_limit_needs_insist() {
    let v = Vhost::new("cli-lines-dlq");
    v.queue("events", json!({"x-queue-type": "stream"}));
    v.queue(
        "failed",
        json!({"x-queue-type": "quorum", "x-delivery-limit": 2}),
    );
    v.publish("events", 2);
    v.publish("failed", 1);
    std::thread::sleep(std::time::Duration::from_secs(1));
    let cli = fresh_cli();

    let (ok, report) = json_outcome(
        &cli,
        &[
            "queues", "purge", "--env", "line", "--vhost", &v.name, "--queue", "events", "--yes",
            "--json",
        ],
    );
    assert!(!ok);
    let error = report["failed"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("is a stream"), "{report}");

    let (ok, e) = json_outcome(
        &cli,
        &[
            "dlq", "show", "--env", "line", "--vhost", &v.name, "--queue", "events", "--json",
        ],
    );
    assert!(!ok);
    assert_eq!(e["error"]["kind"], "not_for_streams", "{e}");

    let show = |extra: &[&str]| {
        let mut args = vec![
            "dlq",
            "show",
            "--env",
            "line",
            "--vhost",
            v.name.as_str(),
            "--queue",
            "failed",
            "--json",
        ];
        args.extend_from_slice(extra);
        json_outcome(&cli, &args)
    };
    let (ok, first) = show(&[]);
    assert!(ok, "{first}");
    assert_eq!(first["delivery_limit"], 2);
    if line_at_least(4, 3) {
        assert_eq!(first["read_counts"], false);
        let (ok, again) = show(&[]);
        assert!(ok && show(&[]).0, "{again}");
        println!(
            "skipped on {}: a browse does not count against the limit on 4.3",
            broker_line()
        );
        return;
    }
    assert_eq!(first["messages"][0]["reads_left"], 1, "{first}");
    let (ok, refused) = show(&[]);
    assert!(!ok);
    assert_eq!(refused["error"]["kind"], "near_delivery_limit", "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--insist"));
    let (ok, insisted) = show(&["--insist"]);
    assert!(ok, "{insisted}");
    assert_eq!(insisted["read"], 1);
}

#[test]
fn env_check_reports_deprecated_features_and_tolerates_3_10() {
    let v = Vhost::new("cli-lines-check");
    let policy = json!({"pattern": "^mirrored$", "definition": {"ha-mode": "all"}});
    let status = put_policy(&v.name, "ha-all", &policy);
    let cli = fresh_cli();
    let (ok, report) = json_outcome(&cli, &["env", "check", "line", "--json"]);
    assert!(ok, "{report}");
    assert!(
        report["rabbitmq_version"]
            .as_str()
            .unwrap()
            .starts_with(broker_line()),
        "{report}"
    );
    assert_eq!(report["broker_checked"], is_4x(), "{report}");
    let subject = format!("policy ha-all in vhost {}", v.name);
    let ours: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["subject"] == subject.as_str())
        .collect();
    if is_4x() {
        // 4.x refuses a mirroring policy outright.
        assert!(status >= 400, "an ha-mode policy on 4.x answered {status}");
        assert!(ours.is_empty());
    } else {
        assert!(status < 300);
        assert_eq!(ours[0]["severity"], "breaks_on_upgrade", "{report}");
    }
    let out = cli.run(&["env", "check", "line"]);
    assert!(out.status.success(), "{}", text(&out));
    if !is_4x() {
        assert!(
            text(&out).contains("WILL BREAK ON UPGRADE"),
            "{}",
            text(&out)
        );
    }
}
