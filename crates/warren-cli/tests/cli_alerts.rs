//! Alerts end to end through the CLI on the broker under test: a rule written with `warren env
//! edit --alert`, `warren watch --fail-on-alert` printing the alert as a `{"alert": …}` line and
//! exiting 1 when a DLQ grows, the alert told once (a second watch while it still fires prints
//! nothing new), and `warren alerts` listing it. A fresh vhost the environment is scoped to.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use warren_test_support::{Cli, Vhost};

#[test]
fn a_growing_dlq_fires_once_stops_watch_and_is_listed() {
    let cli = Cli::at_broker(env!("CARGO_BIN_EXE_warren"));
    let v = Vhost::new("cli-alerts");
    v.queue(
        "orders",
        json!({"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "orders.dlq"}),
    );
    v.queue("orders.dlq", json!({}));
    let bad = cli.run(&[
        "env",
        "edit",
        "local",
        "--alert",
        "dlq_growth by=lots within=1m",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(warren_test_support::text(&bad).contains("whole number"));
    cli.ok(&[
        "env",
        "edit",
        "local",
        "--vhost",
        &v.name,
        "--alert",
        "dlq_growth by=3 within=2m",
        "--alert",
        "realm_backlog above=1000000",
    ]);
    let shown = warren_test_support::text(&cli.ok(&["env", "show", "local"]));
    assert!(shown.contains("dlq_growth by=3 within=2m"), "{shown}");

    let mut watch = cli
        .cmd()
        .args([
            "watch",
            "--env",
            "local",
            "--interval",
            "5s",
            "--duration",
            "90s",
            "--json",
            "--fail-on-alert",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    // The first sample holds an empty DLQ: nothing grew yet.
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert!(first.get("alerts").is_none(), "{first}");
    v.publish("orders.dlq", 5);
    let started = Instant::now();
    let mut alert = None;
    for line in lines.map_while(Result::ok) {
        let line: Value = serde_json::from_str(&line).unwrap();
        if let Some(a) = line.get("alert") {
            alert = Some(a.clone());
        }
        assert!(
            started.elapsed() < Duration::from_secs(80),
            "no alert in time"
        );
    }
    let status = watch.wait().unwrap();
    assert_eq!(status.code(), Some(1), "--fail-on-alert stops with 1");
    let alert = alert.expect("an {\"alert\": …} line");
    assert_eq!(alert["kind"], "dlq_growth");
    assert_eq!(alert["subject"], format!("{}/orders.dlq", v.name));
    assert_eq!(alert["env"], "local");
    assert!(
        alert["message"].as_str().unwrap().contains("grew by 5"),
        "{alert}"
    );

    // Still firing: a second watch tells nothing new (the alert stays open, told once).
    let out = cli.run(&[
        "watch",
        "--env",
        "local",
        "--interval",
        "5s",
        "--duration",
        "11s",
        "--json",
        "--fail-on-alert",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        warren_test_support::text(&out)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\"alert\""));

    let (_, list) = cli.run_json(&["alerts", "--env", "local", "--json"]);
    let open: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a.get("resolved_at").is_none())
        .collect();
    assert_eq!(open.len(), 1, "{list}");
    assert_eq!(open[0]["rule_id"], "dlq_growth");
}
