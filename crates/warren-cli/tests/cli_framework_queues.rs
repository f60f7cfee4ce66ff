//! `warren dlq list` lists framework error queues beside the broker's DLQs, with their kind: a
//! KIND column in the table and a `kind` key in `--json` (the existing keys kept). The broker
//! under test (`WARREN_TEST_BROKER`), a fresh vhost.

use serde_json::{json, Value};
use warren_test_support::{api_ok, enc, Cli, Vhost};

/// One message published to `queue` through the default exchange with these string headers.
fn publish_with_headers(vhost: &str, queue: &str, headers: Value) {
    let message = json!({
        "properties": {"headers": headers, "message_id": "m1"},
        "routing_key": queue,
        "payload": "{}",
        "payload_encoding": "string",
    });
    api_ok(
        "POST",
        &format!("exchanges/{}/amq.default/publish", enc(vhost)),
        Some(&message),
    );
}

#[test]
fn dlq_list_shows_each_error_queue_with_its_kind() {
    let cli = Cli::at_broker(env!("CARGO_BIN_EXE_warren"));
    let v = Vhost::new("cli-framework-dlq");
    for q in ["submit-order", "submit-order_error", "error", "orders.dlq"] {
        v.queue(q, json!({}));
    }
    publish_with_headers(
        &v.name,
        "submit-order_error",
        json!({"MT-Reason": "fault", "MT-Fault-Message": "Budget exceeded",
               "MT-Fault-InputAddress": format!("rabbitmq://localhost/{}/submit-order", v.name)}),
    );
    publish_with_headers(
        &v.name,
        "error",
        json!({"NServiceBus.FailedQ": "Sales", "NServiceBus.ExceptionInfo.Message": "boom"}),
    );

    let args = ["dlq", "list", "--env", "local", "--vhost", v.name.as_str()];
    let (out, list) = cli.run_json(&[args.as_slice(), &["--json"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = |name: &str| -> &Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == name)
            .unwrap_or_else(|| panic!("{name} listed: {list}"))
    };
    assert_eq!(row("submit-order_error")["kind"], "masstransit");
    assert_eq!(row("error")["kind"], "nservicebus");
    assert_eq!(row("orders.dlq")["kind"], "broker");
    for key in [
        "vhost",
        "name",
        "queue_type",
        "messages",
        "wiring",
        "feeders",
    ] {
        assert!(
            row("error").get(key).is_some(),
            "{key} kept: {}",
            row("error")
        );
    }
    assert_eq!(row("error")["wiring"], "by_name");
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["name"] != "submit-order"));

    let out = cli.ok(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    let header = text.lines().next().unwrap_or_default();
    assert!(
        header.contains("KIND") && header.contains("FOUND"),
        "{text}"
    );
    let mt = text
        .lines()
        .find(|l| l.contains("submit-order_error"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(mt.contains("masstransit") && mt.contains("by name"), "{mt}");
}
