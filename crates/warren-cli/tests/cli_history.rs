//! `warren watch` records samples of a vhost of the broker under test, and `warren history`
//! reads them back: the total's series equals what each sample reported, a queue that grew
//! during the watch is the top grower with its growing-since time, and `history info` counts the
//! samples. Scripts depend on the flags and the `--json` keys used here.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use warren_test_support::{broker_as_guest, Cli, Vhost};

fn env_with_template(cli: &Cli) {
    let add = [
        "env",
        "add",
        "hist",
        "--name",
        "history",
        "--realm-template",
        "{worker}.{realm}",
    ];
    cli.ok(&[add.as_slice(), &broker_as_guest()].concat());
}

/// `messages` of `queue` as `warren queues` lists it, once the broker's figures show `want`.
fn wait_for_depth(cli: &Cli, vhost: &str, queue: &str, want: u64) {
    for _ in 0..80 {
        let rows = cli.json(&["queues", "--env", "hist", "--vhost", vhost, "--json"]);
        let depth = rows
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["name"] == queue))
            .and_then(|r| r["messages"].as_u64());
        if depth == Some(want) {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("{queue} never showed {want} messages");
}

#[test]
fn watch_records_samples_that_history_and_growers_read_back() {
    let cli = Cli::new(env!("CARGO_BIN_EXE_warren")).with_password("guest");
    env_with_template(&cli);
    let v = Vhost::new("cli-history");
    for q in ["billing.acme", "billing.globex", "email.acme"] {
        v.queue(q, json!({}));
    }
    v.publish("billing.acme", 1);
    wait_for_depth(&cli, &v.name, "billing.acme", 1);

    let mut watch = cli
        .cmd()
        .args([
            "watch",
            "--env",
            "hist",
            "--vhost",
            &v.name,
            "--interval",
            "5s",
            "--duration",
            "17s",
            "--json",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["queues"], 3, "{first}");
    assert_eq!(first["vhost"], v.name.as_str());
    // The queue grows while the watch runs; the broker's figures catch up within a sample or two.
    v.publish("billing.acme", 5);
    let mut samples = vec![first];
    for line in lines {
        samples.push(serde_json::from_str(&line.unwrap()).unwrap());
    }
    assert!(watch.wait().unwrap().success());
    assert!(
        samples.len() >= 3,
        "a sample every 5 s for 17 s: {samples:?}"
    );
    assert!(samples.iter().all(|s| s["skipped"] == false));
    assert_eq!(samples.last().unwrap()["messages"], 6, "{samples:?}");

    // The total's series is exactly what was sampled, in order.
    let (out, total) = cli.run_json(&[
        "history", "--env", "hist", "--vhost", &v.name, "--total", "--since", "10m", "--json",
    ]);
    assert!(out.status.success());
    let values: Vec<&Value> = total["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["value"])
        .collect();
    let sampled: Vec<&Value> = samples.iter().map(|s| &s["messages"]).collect();
    assert_eq!(
        values.iter().map(|v| v.as_f64()).collect::<Vec<_>>(),
        sampled.iter().map(|v| v.as_f64()).collect::<Vec<_>>()
    );
    assert!(total["resolution_s"].as_u64().is_some_and(|r| r > 0));
    assert!(total["series"][0]["t"].as_str().unwrap().ends_with('Z'));

    // The realm and the queue that grew, and nothing else.
    let acme = cli.json(&[
        "history", "--env", "hist", "--realm", "acme", "--metric", "messages", "--since", "10m",
        "--json",
    ]);
    let acme_values: Vec<f64> = acme["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .collect();
    assert_eq!((acme_values[0], *acme_values.last().unwrap()), (1.0, 6.0));

    let growers = cli.json(&[
        "history", "growers", "--env", "hist", "--by", "queue", "--since", "10m", "--json",
    ]);
    let list = growers["growers"].as_array().unwrap();
    assert_eq!(list.len(), 1, "only billing.acme grew: {growers}");
    let g = &list[0];
    assert_eq!(g["key"], "billing.acme");
    assert_eq!(
        (g["start"].as_f64(), g["end"].as_f64(), g["delta"].as_f64()),
        (Some(1.0), Some(6.0), Some(5.0))
    );
    assert!(
        g["growing_since"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{g}"
    );
    assert_eq!(growers["by"], "queue");

    let info = cli.json(&["history", "info", "--env", "hist", "--json"]);
    assert_eq!(
        info["samples"].as_u64(),
        Some(samples.len() as u64),
        "{info}"
    );
    assert!(info["bytes"].as_u64().is_some_and(|b| b > 0));
}

#[test]
fn history_says_what_to_do_when_there_is_nothing_or_the_ask_is_wrong() {
    let cli = Cli::new(env!("CARGO_BIN_EXE_warren")).with_password("guest");
    env_with_template(&cli);
    let out = cli.run(&["history", "--env", "hist", "--realm", "acme"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("warren watch --env hist"));
    let empty = cli.json(&["history", "--env", "hist", "--total", "--json"]);
    assert_eq!(empty["series"], json!([]));

    let bad = cli.run(&["history", "--env", "hist", "--total", "--metric", "speed"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("publish_rate"));
    let none = cli.run(&["history", "--env", "hist"]);
    assert_eq!(none.status.code(), Some(2));
    let span = cli.run(&["watch", "--env", "hist", "--interval", "soon"]);
    assert_eq!(span.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&span.stderr).contains("e.g. 15s"));
    let unknown = cli.run(&["history", "growers", "--env", "nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("warren env list"));
}
