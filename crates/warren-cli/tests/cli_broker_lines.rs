//! The `warren` binary on each RabbitMQ line (`WARREN_TEST_BROKER`, see
//! crates/warren-core/tests/common/mod.rs; the system's 3.10 when unset): the quorum keys of
//! `queues --json`, the 4.x filter fields, `dlq show --insist`, streams refused by purge and
//! show, and `env check`. The password comes from `WARREN_PASSWORD` (no keyring needed).

use std::process::{Command, Output};

use serde_json::{json, Value};

/// (line, management URL, AMQP URL) of the broker under test.
fn broker() -> (String, String, String) {
    let spec = std::env::var("WARREN_TEST_BROKER")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "3.10=http://127.0.0.1:15672,amqp://127.0.0.1:5672".into());
    let (line, urls) = spec.split_once('=').expect("LINE=MANAGEMENT_URL,AMQP_URL");
    let (m, a) = urls.split_once(',').expect("LINE=MANAGEMENT_URL,AMQP_URL");
    (
        line.trim().to_string(),
        m.trim().trim_end_matches('/').to_string(),
        a.trim().trim_end_matches('/').to_string(),
    )
}

fn is_4x() -> bool {
    broker().0.starts_with('4')
}

fn is_4_3_or_later() -> bool {
    let line = broker().0;
    let mut p = line.split('.').map(|n| n.parse::<u32>().unwrap_or(0));
    (p.next().unwrap_or(0), p.next().unwrap_or(0)) >= (4, 3)
}

/// `curl` against the management API of the broker under test; returns the HTTP status.
fn api(method: &str, path: &str, body: Option<Value>) -> u16 {
    let url = format!("{}/api/{path}", broker().1);
    let mut c = Command::new("curl");
    c.args([
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-u",
        "guest:guest",
        "-X",
        method,
        &url,
    ]);
    if let Some(b) = body {
        c.args(["-H", "content-type: application/json", "-d", &b.to_string()]);
    }
    let out = c.output().expect("curl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn enc(s: &str) -> String {
    s.replace('/', "%2F")
}

/// A vhost of its own, removed when dropped.
struct Vhost(String);

impl Vhost {
    fn new(prefix: &str) -> Vhost {
        let name = format!("{prefix}-{}", std::process::id());
        api("DELETE", &format!("vhosts/{}", enc(&name)), None);
        assert!(api("PUT", &format!("vhosts/{}", enc(&name)), Some(json!({}))) < 300);
        api(
            "PUT",
            &format!("permissions/{}/guest", enc(&name)),
            Some(json!({"configure": ".*", "write": ".*", "read": ".*"})),
        );
        Vhost(name)
    }

    fn queue(&self, name: &str, arguments: Value) {
        let status = api(
            "PUT",
            &format!("queues/{}/{name}", enc(&self.0)),
            Some(json!({"durable": true, "arguments": arguments})),
        );
        assert!(status < 300, "declare {name}: {status}");
    }

    fn publish(&self, queue: &str, n: usize) {
        for i in 0..n {
            let status = api(
                "POST",
                &format!("exchanges/{}/amq.default/publish", enc(&self.0)),
                Some(
                    json!({"properties": {}, "routing_key": queue, "payload": format!("m{i}"), "payload_encoding": "string"}),
                ),
            );
            assert!(status < 300, "publish to {queue}: {status}");
        }
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        api("DELETE", &format!("vhosts/{}", enc(&self.0)), None);
    }
}

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        let cli = Cli {
            dir: tempfile::tempdir().unwrap(),
        };
        let (_, management, amqp) = broker();
        let out = cli.run(&[
            "env",
            "add",
            "line",
            "--name",
            "line",
            "--management-url",
            &management,
            "--amqp-url",
            &amqp,
            "--username",
            "guest",
        ]);
        assert!(out.status.success(), "env add: {}", text(&out));
        cli
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_warren"))
            .env("WARREN_CONFIG_DIR", self.dir.path())
            .env("WARREN_DATA_DIR", self.dir.path().join("data"))
            .env("WARREN_PASSWORD", "guest")
            .args(args)
            .output()
            .unwrap()
    }

    fn json(&self, args: &[&str]) -> (bool, Value) {
        let out = self.run(args);
        let v = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out)));
        (out.status.success(), v)
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
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
    let cli = Cli::new();
    // 4.0 rows carry the quorum fields once the queues' first statistics arrive.
    let mut rows = Value::Null;
    for _ in 0..60 {
        rows = cli
            .json(&["queues", "--env", "line", "--vhost", &v.0, "--json"])
            .1;
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
        names(
            &cli.json(&[
                "queues", "--env", "line", "--vhost", &v.0, "--filter", q, "--json",
            ])
            .1,
        )
    };
    assert_eq!(filtered("delivery_limit<5"), vec!["qq3"]);
    assert_eq!(filtered("type:stream"), vec!["events"]);
    if is_4_3_or_later() {
        assert_eq!(filtered("messages_delayed>=0"), vec!["qq", "qq3"]);
        assert!(filtered("messages_dlx>0").is_empty());
    } else {
        println!("skipped on {}: messages_delayed is a 4.3 field", broker().0);
        assert!(filtered("messages_delayed>=0").is_empty());
    }
    let out = cli.run(&[
        "queues",
        "--env",
        "line",
        "--vhost",
        &v.0,
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
    let cli = Cli::new();

    let (ok, report) = cli.json(&[
        "queues", "purge", "--env", "line", "--vhost", &v.0, "--queue", "events", "--yes", "--json",
    ]);
    assert!(!ok);
    let error = report["failed"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("is a stream"), "{report}");

    let (ok, e) = cli.json(&[
        "dlq", "show", "--env", "line", "--vhost", &v.0, "--queue", "events", "--json",
    ]);
    assert!(!ok);
    assert_eq!(e["error"]["kind"], "not_for_streams", "{e}");

    let show = |extra: &[&str]| {
        let mut args = vec![
            "dlq",
            "show",
            "--env",
            "line",
            "--vhost",
            v.0.as_str(),
            "--queue",
            "failed",
            "--json",
        ];
        args.extend_from_slice(extra);
        cli.json(&args)
    };
    let (ok, first) = show(&[]);
    assert!(ok, "{first}");
    assert_eq!(first["delivery_limit"], 2);
    if is_4_3_or_later() {
        assert_eq!(first["read_counts"], false);
        let (ok, again) = show(&[]);
        assert!(ok && show(&[]).0, "{again}");
        println!(
            "skipped on {}: a browse does not count against the limit on 4.3",
            broker().0
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
    let status = api(
        "PUT",
        &format!("policies/{}/ha-all", enc(&v.0)),
        Some(json!({"pattern": "^mirrored$", "definition": {"ha-mode": "all"}})),
    );
    let cli = Cli::new();
    let (ok, report) = cli.json(&["env", "check", "line", "--json"]);
    assert!(ok, "{report}");
    assert!(
        report["rabbitmq_version"]
            .as_str()
            .unwrap()
            .starts_with(&broker().0),
        "{report}"
    );
    assert_eq!(report["broker_checked"], is_4x(), "{report}");
    let subject = format!("policy ha-all in vhost {}", v.0);
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
