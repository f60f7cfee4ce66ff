//! `warren diff`: two vhosts of the broker under test that differ by a queue, a queue argument,
//! a binding and a policy are reported in the promised keys, per realm, with exit status 1; two
//! alike (declared in another order, one queue's type given only by its argument) are the same,
//! exit 0. Each test makes its own vhosts.

use serde_json::{json, Value};
use warren_test_support::{api_ok, enc, put_policy, Cli, Vhost};

fn bind(vhost: &str, exchange: &str, queue: &str, key: &str) {
    api_ok(
        "POST",
        &format!(
            "bindings/{}/e/{}/q/{}",
            enc(vhost),
            enc(exchange),
            enc(queue)
        ),
        Some(&json!({"routing_key": key, "arguments": {}})),
    );
}

fn exchange(vhost: &str, name: &str) {
    api_ok(
        "PUT",
        &format!("exchanges/{}/{}", enc(vhost), enc(name)),
        Some(&json!({"type": "topic", "durable": true})),
    );
}

fn has(list: &Value, kind: &str, name: &str) -> bool {
    list.as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == kind && i["name"] == name)
}

#[test]
fn two_vhosts_that_drifted_are_reported_per_object_and_per_realm() {
    let cli = Cli::at_broker(env!("CARGO_BIN_EXE_warren"));
    let (prod, staging) = (Vhost::new("cli-diff-prod"), Vhost::new("cli-diff-staging"));
    for v in [&prod, &staging] {
        exchange(&v.name, "jobs");
        v.queue(
            "acme.billing",
            json!({"x-max-length": if v.name == prod.name { 100 } else { 200 }}),
        );
        v.queue("globex.billing", json!({}));
        bind(&v.name, "jobs", "acme.billing", "acme.#");
    }
    prod.queue("acme.pdf-render", json!({}));
    bind(&prod.name, "jobs", "globex.billing", "globex.#");
    put_policy(
        &staging.name,
        "cap",
        &json!({"pattern": "^acme\\.", "definition": {"max-length": 1000}, "apply-to": "queues"}),
    );
    cli.ok(&[
        "env",
        "edit",
        "local",
        "--realm-template",
        "{realm}.{worker}",
    ]);

    let (out, report) = cli.run_json(&[
        "diff",
        "--env",
        "local",
        "--env",
        "local",
        "--vhost-a",
        &prod.name,
        "--vhost-b",
        &staging.name,
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        warren_test_support::text(&out)
    );
    for key in ["only_in_a", "only_in_b", "changed"] {
        assert!(report[key].is_array(), "{key} in {report}");
    }
    assert!(
        has(&report["only_in_a"], "queue", "acme.pdf-render"),
        "{report}"
    );
    assert!(
        has(
            &report["only_in_a"],
            "binding",
            "jobs → queue:globex.billing [globex.#]"
        ),
        "{report}"
    );
    assert!(has(&report["only_in_b"], "policy", "cap"), "{report}");
    let item = report["only_in_a"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "acme.pdf-render")
        .unwrap();
    assert_eq!(item["vhost"], prod.name.as_str());
    let changed = report["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "only the argument differs: {report}");
    let c = &changed[0];
    assert_eq!(
        (
            c["kind"].clone(),
            c["name"].clone(),
            c["field"].clone(),
            c["a"].clone(),
            c["b"].clone()
        ),
        (
            json!("queue"),
            json!("acme.billing"),
            json!("arguments.x-max-length"),
            json!(100),
            json!(200)
        )
    );
    // Per realm: acme has 2 queues on A and 1 on B, pdf-render missing in B.
    let acme = report["realms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["realm"] == "acme")
        .unwrap_or_else(|| panic!("acme in {report}"));
    assert_eq!(
        (acme["queues_a"].clone(), acme["queues_b"].clone()),
        (json!(2), json!(1))
    );
    let sentence = acme["sentence"].as_str().unwrap();
    assert!(
        sentence.contains("`acme.pdf-render` missing in"),
        "{sentence}"
    );

    // For people: the realm's sentence first, then the objects.
    let out = cli.run(&[
        "diff",
        "--env",
        "local",
        "--vhost-a",
        &prod.name,
        "--vhost-b",
        &staging.name,
    ]);
    let text = warren_test_support::text(&out);
    assert!(text.contains("realm `acme` has 2 queues"), "{text}");
    assert!(text.contains("arguments.x-max-length"), "{text}");
    // CSV: a header and one line per difference.
    let out = cli.run(&[
        "diff",
        "--env",
        "local",
        "--vhost-a",
        &prod.name,
        "--vhost-b",
        &staging.name,
        "--csv",
    ]);
    let csv = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        csv.starts_with("difference,kind,vhost,name,field,a,b,realm,worker\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 4, "{csv}");
}

#[test]
fn two_alike_vhosts_do_not_differ_whatever_the_order_and_defaults() {
    let cli = Cli::at_broker(env!("CARGO_BIN_EXE_warren"));
    let (a, b) = (Vhost::new("cli-diff-same-a"), Vhost::new("cli-diff-same-b"));
    a.queue(
        "orders",
        json!({"x-queue-type": "quorum", "x-max-length": 10}),
    );
    a.queue("mail", json!({}));
    b.queue("mail", json!({}));
    // Declared the other way round, the type said the same way the broker stores it.
    b.queue(
        "orders",
        json!({"x-max-length": 10, "x-queue-type": "quorum"}),
    );
    let (out, report) = cli.run_json(&[
        "diff",
        "--env",
        "local",
        "--env",
        "local",
        "--vhost-a",
        &a.name,
        "--vhost-b",
        &b.name,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["only_in_a"], json!([]));
    assert_eq!(report["only_in_b"], json!([]));
    assert_eq!(report["changed"], json!([]));
    let out = cli.run(&["diff", "--env", "local"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "one environment needs --vhost-a and --vhost-b"
    );
}

/// `METHOD {base}/api/{path}` as guest on another broker line; the HTTP status.
fn api_at(base: &str, method: &str, path: &str, body: Option<&Value>) -> String {
    let mut c = std::process::Command::new("curl");
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
    ])
    .arg(format!("{base}/api/{path}"));
    if let Some(b) = body {
        c.args(["-H", "content-type: application/json", "-d", &b.to_string()]);
    }
    String::from_utf8_lossy(&c.output().expect("curl").stdout).to_string()
}

/// `api_at`, asserting a 2xx answer.
fn api_ok_at(base: &str, method: &str, path: &str, body: &Value) {
    let status = api_at(base, method, path, Some(body));
    assert!(
        status.starts_with('2'),
        "{method} {base}/api/{path}: {status}"
    );
}

/// A vhost made on another line, deleted when dropped (passed or not).
struct VhostAt(String, String);

impl Drop for VhostAt {
    fn drop(&mut self) {
        api_at(&self.0, "DELETE", &format!("vhosts/{}", enc(&self.1)), None);
    }
}

/// The broker lines running beside the one under test (`scripts/brokers env`), less those
/// another run is using meanwhile (`WARREN_TEST_BUSY_BROKERS`, same `LINE=MANAGEMENT,AMQP`
/// entries: `scripts/test-all` names the end-to-end window's broker, whose "all vhosts" view
/// a vhost made here would change).
fn other_lines() -> Vec<(String, String)> {
    let busy = std::env::var("WARREN_TEST_BUSY_BROKERS").unwrap_or_default();
    let busy: Vec<&str> = busy.split_whitespace().collect();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let Ok(out) = std::process::Command::new("scripts/brokers")
        .arg("env")
        .current_dir(root)
        .output()
    else {
        return vec![];
    };
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter(|e| !busy.contains(e))
        .filter_map(|e| {
            let (_, urls) = e.split_once('=')?;
            let (m, a) = urls.split_once(',')?;
            (m != warren_test_support::management_url()).then(|| (m.to_string(), a.to_string()))
        })
        .collect()
}

/// The same topology declared on two broker lines is no drift: 3.10 lists a quorum queue's
/// type beside its `x-queue-type` argument, 4.3 without it; 4.x leaves `internal` out of some
/// answers. Skipped when no other line runs here.
#[test]
fn the_same_topology_on_another_broker_line_is_no_drift() {
    let others = other_lines();
    if others.is_empty() {
        warren_test_support::skip("no other broker line runs here (scripts/brokers up)");
        return;
    }
    let cli = Cli::at_broker(env!("CARGO_BIN_EXE_warren")).with_password("guest");
    let here = Vhost::new("cli-diff-lines");
    let declare = |base: &str, v: &str| {
        let v = enc(v);
        api_ok_at(
            base,
            "PUT",
            &format!("queues/{v}/acme.orders"),
            &json!({"durable": true, "arguments": {"x-queue-type": "quorum", "x-delivery-limit": 5}}),
        );
        api_ok_at(
            base,
            "PUT",
            &format!("queues/{v}/acme.mail"),
            &json!({"durable": true, "arguments": {"x-message-ttl": 60000}}),
        );
        api_ok_at(
            base,
            "PUT",
            &format!("exchanges/{v}/jobs"),
            &json!({"type": "topic", "durable": true}),
        );
        api_ok_at(
            base,
            "POST",
            &format!("bindings/{v}/e/jobs/q/acme.mail"),
            &json!({"routing_key": "acme.#"}),
        );
        api_ok_at(
            base,
            "PUT",
            &format!("policies/{v}/cap"),
            &json!({"pattern": "^acme", "definition": {"max-length": 100}, "apply-to": "queues"}),
        );
    };
    declare(warren_test_support::management_url(), &here.name);
    for (i, (management, amqp)) in others.iter().enumerate() {
        api_ok_at(
            management,
            "PUT",
            &format!("vhosts/{}", enc(&here.name)),
            &json!({}),
        );
        let _there = VhostAt(management.clone(), here.name.clone());
        api_ok_at(
            management,
            "PUT",
            &format!("permissions/{}/guest", enc(&here.name)),
            &json!({"configure": ".*", "write": ".*", "read": ".*"}),
        );
        declare(management, &here.name);
        let id = format!("other{i}");
        cli.ok(&[
            "env",
            "add",
            &id,
            "--management-url",
            management,
            "--amqp-url",
            amqp,
            "--username",
            "guest",
        ]);
        let (out, report) = cli.run_json(&[
            "diff", "--env", "local", "--env", &id, "--vhost", &here.name, "--json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{management}: {report}");
        assert_eq!(report["changed"], json!([]), "{management}");
    }
}
