//! `warren peek`, `warren publish` and `warren dlq edit-retry` as scripts use them: the `--json`
//! keys the issue promises, the exit codes of an unroutable message and of a change without its
//! `--yes`, and what reaches the broker. A fresh vhost of the broker under test
//! (`WARREN_TEST_BROKER`).

use serde_json::{json, Value};
use warren_test_support::{api_ok, enc, text, Cli, Vhost};

fn cli() -> Cli {
    Cli::at_broker(env!("CARGO_BIN_EXE_warren")).with_password("guest")
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

fn has_keys(v: &Value, want: &[&str]) {
    for k in want {
        assert!(v.get(k).is_some(), "`{k}` missing from {:?}", keys(v));
    }
}

/// A dead letter from `origin` published straight into `dlq` over the management API.
fn dead_letter(v: &Vhost, dlq: &str, origin: &str, id: &str, payload: &str) {
    let death = json!({"queue": origin, "reason": "rejected", "exchange": "", "count": 1, "routing-keys": [origin]});
    let message = json!({
        "properties": {"message_id": id, "headers": {"x-death": [death], "trace": "t1"}},
        "routing_key": dlq,
        "payload": payload,
        "payload_encoding": "string",
    });
    api_ok(
        "POST",
        &format!("exchanges/{}/amq.default/publish", enc(&v.name)),
        Some(&message),
    );
}

#[test]
fn peek_publish_and_edit_retry_answer_with_the_promised_keys() {
    let cli = cli();
    let v = Vhost::new("cli-messages");
    v.queue("work", json!({}));
    v.queue("failed", json!({}));
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.json");
    std::fs::write(&body, r#"{"order": 7}"#).unwrap();
    let body = body.to_str().unwrap();
    let at = ["--env", "local", "--vhost", v.name.as_str()];

    // Publish through the default exchange.
    let published = cli.json(
        &[
            &["publish"][..],
            &at,
            &[
                "--exchange",
                "",
                "--routing-key",
                "work",
                "--body-file",
                body,
            ],
            &[
                "--header",
                "tenant=acme",
                "--property",
                "message_id=p1",
                "--json",
            ],
        ]
        .concat(),
    );
    has_keys(
        &published,
        &[
            "confirmed",
            "routed",
            "exchange",
            "routing_key",
            "body_bytes",
            "body_sha256",
        ],
    );
    assert_eq!(
        (published["confirmed"].clone(), published["routed"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(published["body_bytes"], 12);

    // Standard input works as well.
    let out = cli.run_with_stdin(
        &[
            &["publish"][..],
            &at,
            &[
                "--exchange",
                "",
                "--routing-key",
                "work",
                "--body-stdin",
                "--json",
            ],
        ]
        .concat(),
        "plain text",
    );
    assert!(out.status.success(), "{}", text(&out));

    // Unroutable: an error, exit 1, kind `unroutable`.
    let (out, refused) = cli.run_json(
        &[
            &["publish"][..],
            &at,
            &[
                "--exchange",
                "amq.direct",
                "--routing-key",
                "nobody",
                "--body-file",
                body,
                "--json",
            ],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(refused["error"]["kind"], "unroutable");

    // A prod environment asks for --yes; a read-only one refuses.
    cli.ok(&["env", "duplicate", "local", "live"]);
    cli.ok(&["env", "edit", "live", "--tier", "prod"]);
    cli.ok(&["env", "duplicate", "local", "frozen"]);
    cli.ok(&["env", "edit", "frozen", "--read-only"]);
    let to_work = |env: &'static str| {
        vec![
            "publish",
            "--env",
            env,
            "--vhost",
            v.name.as_str(),
            "--exchange",
            "",
            "--routing-key",
            "work",
            "--body-file",
            body,
            "--json",
        ]
    };
    let (out, asked) = cli.run_json(&to_work("live"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(asked["error"]["message"]
        .as_str()
        .unwrap()
        .contains("needs --yes"));
    let (out, frozen) = cli.run_json(&[&to_work("frozen")[..], &["--yes"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(frozen["error"]["kind"], "read_only");

    // Peek: both messages, still there afterwards.
    let peeked = cli.json(&[&["peek"][..], &at, &["--queue", "work", "--json"]].concat());
    has_keys(
        &peeked,
        &[
            "vhost",
            "queue",
            "queue_type",
            "depth",
            "read",
            "complete",
            "messages",
            "cost",
        ],
    );
    assert_eq!(
        (peeked["read"].clone(), peeked["depth"].clone()),
        (json!(2), json!(2))
    );
    let first = &peeked["messages"][0];
    has_keys(first, &["key", "properties", "headers", "body"]);
    assert_eq!(
        first["headers"]["tenant"], "acme",
        "a header given as K=V is a string"
    );
    assert_eq!(first["properties"]["message_id"], "p1");
    assert_eq!(first["body"]["kind"], "json");
    let human = cli.ok(&[&["peek"][..], &at, &["--queue", "work"]].concat());
    let human = text(&human);
    assert!(
        human.contains("redelivered") && human.contains("\"order\": 7"),
        "{human}"
    );
    let offset = cli.run(
        &[
            &["peek"][..],
            &at,
            &["--queue", "work", "--offset", "first"],
        ]
        .concat(),
    );
    assert_eq!(
        offset.status.code(),
        Some(1),
        "an offset is for streams: {}",
        text(&offset)
    );

    // Edit and retry a dead letter: the dry run, the refusal without --yes, the retry.
    dead_letter(&v, "failed", "work", "d1", r#"{"amount":1}"#);
    let edited = dir.path().join("edited.json");
    std::fs::write(&edited, r#"{"amount":2}"#).unwrap();
    let edit = [
        &["dlq", "edit-retry"][..],
        &at,
        &[
            "--queue",
            "failed",
            "--message-id",
            "d1",
            "--body-file",
            edited.to_str().unwrap(),
        ],
        &["--set-header", "fixed=yes", "--remove-header", "trace"],
    ]
    .concat();
    let dry = cli.json(&[&edit[..], &["--dry-run", "--json"]].concat());
    has_keys(&dry, &["dry_run", "retried", "preview"]);
    assert_eq!(
        (dry["dry_run"].clone(), dry["retried"].clone()),
        (json!(true), json!(false))
    );
    has_keys(
        &dry["preview"],
        &[
            "diff",
            "changed_headers",
            "destination",
            "original_sha256",
            "edited_sha256",
            "key",
        ],
    );
    assert_eq!(dry["preview"]["changed_headers"], json!(["fixed", "trace"]));
    assert_eq!(dry["preview"]["destination"], "work");
    let human = text(&cli.ok(&[&edit[..], &["--dry-run"]].concat()));
    assert!(
        human.contains("-  \"amount\": 1") && human.contains("+  \"amount\": 2"),
        "{human}"
    );

    let no_yes = cli.run(&[&edit[..], &["--json"]].concat());
    assert_eq!(no_yes.status.code(), Some(2), "{}", text(&no_yes));

    let done = cli.json(&[&edit[..], &["--yes", "--json"]].concat());
    assert_eq!(done["retried"], true);
    assert!(done["replay_id"].as_str().is_some_and(|id| !id.is_empty()));
    let work = cli.json(&[&["peek"][..], &at, &["--queue", "work", "--json"]].concat());
    assert_eq!(work["read"], 3, "the edited copy arrived");
    let copy = &work["messages"][2];
    assert_eq!(copy["headers"]["fixed"], "yes");
    assert!(copy["headers"].get("trace").is_none());
    assert_eq!(copy["replay"]["count"], 1);
    let failed = cli.json(&[&["peek"][..], &at, &["--queue", "failed", "--json"]].concat());
    assert_eq!(failed["read"], 0, "the original left the DLQ");
}
