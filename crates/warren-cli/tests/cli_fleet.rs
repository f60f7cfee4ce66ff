//! `warren fleet`: one JSON object per environment, in the config's order, with the keys the
//! issue promises; an unreachable, a silent and a password-less environment each say their own
//! error without holding up the others; the exit status is 1 when any is not ok. The broker
//! under test (`WARREN_TEST_BROKER`) in a fresh vhost, which `local` is scoped to.

use std::time::Duration;

use serde_json::{json, Value};
use warren_test_support::{Cli, Vhost};

fn by_id<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {list}"))
}

#[test]
fn fleet_reports_every_environment_with_its_own_error_and_figures() {
    let cli = Cli::at_broker(env!("CARGO_BIN_EXE_warren"));
    let v = Vhost::new("cli-fleet");
    v.queue("billing.acme", json!({}));
    v.queue("billing.globex", json!({}));
    v.queue(
        "orders.main",
        json!({"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "orders.dlq"}),
    );
    v.queue("orders.dlq", json!({}));
    v.publish("billing.acme", 5);
    v.publish("billing.globex", 2);
    v.publish("orders.dlq", 3);
    cli.ok(&[
        "env",
        "edit",
        "local",
        "--vhost",
        &v.name,
        "--realm-template",
        "{worker}.{realm}",
    ]);
    // Nothing listens on port 1; the silent one accepts and never answers.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hole_url = format!("http://127.0.0.1:{}", hole.local_addr().unwrap().port());
    for (id, url) in [
        ("dead", "http://127.0.0.1:1"),
        ("silent", hole_url.as_str()),
    ] {
        let out = cli.run_with_stdin(
            &[
                "env",
                "add",
                id,
                "--tier",
                "prod",
                "--management-url",
                url,
                "--amqp-url",
                "amqp://127.0.0.1:1",
                "--username",
                "guest",
                "--password-stdin",
            ],
            "guest",
        );
        assert!(out.status.success(), "{}", warren_test_support::text(&out));
    }
    cli.ok(&[
        "env",
        "add",
        "nopw",
        "--management-url",
        "http://127.0.0.1:1",
        "--amqp-url",
        "amqp://127.0.0.1:1",
        "--username",
        "guest",
    ]);

    let args = ["fleet", "--json", "--timeout", "3", "--stalled-after", "0"];
    // The management API's counters settle a stats interval after the publishes.
    let mut tries = 0;
    let (out, list) = loop {
        let (out, list) = cli.run_json(&args);
        let local = by_id(&list, "local");
        if local["dead_letters"] == 3 && local["stalled_queues"] == 2 || tries == 40 {
            break (out, list);
        }
        tries += 1;
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(out.status.code(), Some(1), "some environments are down");
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["local", "dead", "silent", "nopw"],
        "the config's order"
    );

    let local = by_id(&list, "local");
    for key in [
        "id",
        "name",
        "tier",
        "ok",
        "rabbitmq_version",
        "cluster_name",
        "nodes",
        "alarms",
        "queues",
        "messages",
        "messages_unacknowledged",
        "dead_letters",
        "stalled_queues",
        "checks",
    ] {
        assert!(local.get(key).is_some(), "{key} in {local}");
    }
    assert!(local.get("error").is_none(), "{local}");
    assert_eq!(local["nodes"]["running"], local["nodes"]["total"]);
    assert_eq!(local["dead_letters"], 3, "orders.dlq holds 3: {local}");
    // The totals are the environment's scope (its vhost), as its Queues view shows them.
    assert_eq!(
        (local["queues"].clone(), local["messages"].clone()),
        (json!(4), json!(10)),
        "{local}"
    );
    // billing.acme (5) and billing.globex (2) wait without consumers; the DLQ does not count.
    assert_eq!(local["stalled_queues"], 2, "{local}");
    assert_eq!(local["heaviest_realm"]["realm"], "acme", "{local}");
    assert_eq!(local["heaviest_realm"]["messages"], 5);
    let checks = local["checks"].as_array().unwrap();
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    for name in [
        "alarms",
        "nodes_running",
        "listener:amqp",
        "virtual_hosts",
        "deprecated_features",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(names.iter().any(|n| n.starts_with("quorum_critical:")));
    assert_eq!(
        local["ok"].as_bool().unwrap(),
        checks.iter().all(|c| c["ok"] == true),
        "ok is the checks' verdict: {local}"
    );

    let dead = by_id(&list, "dead");
    assert_eq!(
        (dead["ok"].clone(), dead["error_kind"].clone()),
        (json!(false), json!("unreachable"))
    );
    assert_eq!(dead["tier"], "prod");
    // An unreachable environment keeps every key, `null` where nothing is known.
    for key in [
        "rabbitmq_version",
        "cluster_name",
        "queues",
        "messages",
        "dead_letters",
        "stalled_queues",
    ] {
        assert_eq!(dead.get(key), Some(&Value::Null), "{key} in {dead}");
    }
    let silent = by_id(&list, "silent");
    assert_eq!(silent["error_kind"], "timeout", "{silent}");
    let nopw = by_id(&list, "nopw");
    assert!(
        nopw["error"].as_str().unwrap().contains("password"),
        "{nopw}"
    );

    // --quick: the overview and the checks, no queue figures; --env picks environments.
    let (_, quick) = cli.run_json(&["fleet", "--json", "--quick", "--env", "local"]);
    assert_eq!(quick.as_array().unwrap().len(), 1);
    assert_eq!(quick[0].get("dead_letters"), Some(&Value::Null));
    // For people: a table naming each environment and the errors under it.
    let out = cli.run(&["fleet", "--timeout", "3"]);
    let text = warren_test_support::text(&out);
    for needle in ["local", "dead", "silent", "unreachable", "timeout"] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    drop(hole);
}
