//! `warren realms suggest` on a shop the demo is not: realm-first names (`hooli.pdf-render`)
//! beside unpartitioned ones (`events.stream`, `scheduler`), in a fresh vhost of the broker
//! under test (`WARREN_TEST_BROKER`, else the system's 3.10). Then the environment's
//! `--realm-exclude` (names, globs, a regex) through `env edit` / `env show`, and what it does
//! to the suggestion and to the queues' realms. The password comes from `WARREN_PASSWORD`.

use serde_json::{json, Value};
use warren_test_support::{broker_as_guest, text, Cli, Vhost};

const REALMS: [&str; 4] = ["hooli", "acme", "globex", "initech"];
const WORKERS: [&str; 4] = ["email-sender", "pdf-render", "invoice", "thumbnailer"];
const UNPARTITIONED: [&str; 5] = [
    "events.stream",
    "events.audit",
    "orders.stream",
    "orders.audit",
    "scheduler",
];

fn fresh_cli() -> Cli {
    let cli = Cli::new(env!("CARGO_BIN_EXE_warren")).with_password("guest");
    let add = ["env", "add", "shop", "--name", "shop"];
    cli.ok(&[add.as_slice(), &broker_as_guest()].concat());
    cli
}

fn suggest(cli: &Cli, vhost: &str) -> Value {
    cli.json(&[
        "realms", "suggest", "--env", "shop", "--vhost", vhost, "--json",
    ])
}

#[test]
fn realm_first_names_are_suggested_with_a_reason_and_exclusions_apply() {
    let v = Vhost::new("cli-realm-first");
    for r in REALMS {
        for w in WORKERS {
            v.queue(&format!("{r}.{w}"), json!({}));
        }
    }
    for name in UNPARTITIONED {
        v.queue(name, json!({}));
    }
    let cli = fresh_cli();

    let s = suggest(&cli, &v.name);
    assert_eq!(s["template"], "{realm}.{worker}", "{s}");
    let reason = s["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("Realm first, not `{worker}.{realm}`"),
        "{reason}"
    );
    assert!(reason.contains("compound (`email-sender`"), "{reason}");
    // The preview's keys stay; the count of excluded and the runners-up come with them.
    for key in [
        "matched",
        "unmatched",
        "realms",
        "workers",
        "examples_matched",
        "examples_unmatched",
    ] {
        assert!(s.get(key).is_some(), "missing {key}: {s}");
    }
    assert_eq!(s["excluded"], 0);
    assert_eq!(s["alternatives"][0]["template"], "{worker}.{realm}", "{s}");
    // Without exclusions the unpartitioned `events.*` and `orders.*` read as two more realms.
    assert_eq!(s["realms"], 6, "{s}");

    let text_out = cli.ok(&["realms", "suggest", "--env", "shop", "--vhost", &v.name]);
    let said = text(&text_out);
    assert!(
        said.contains("suggested template: {realm}.{worker}"),
        "{said}"
    );
    assert!(
        said.contains("why: In 20 of 21 queues, 6 workers"),
        "{said}"
    );

    // A bad glob is refused against its field, saying what to write.
    let bad = cli.run(&["env", "edit", "shop", "--realm-exclude", "orders.["]);
    assert!(!bad.status.success(), "{}", text(&bad));
    assert!(text(&bad).contains("realm_exclude[0]"), "{}", text(&bad));
    assert!(text(&bad).contains("`*.stream`"), "{}", text(&bad));

    // A glob, a plain name and a regex.
    cli.ok(&[
        "env",
        "edit",
        "shop",
        "--realm-exclude",
        "events.*",
        "--realm-exclude",
        "*.audit",
        "--realm-exclude",
        "scheduler",
        "--realm-exclude",
        r"/^orders\.stream$/",
    ]);
    let shown = cli.json(&["env", "show", "shop", "--json"]);
    assert_eq!(
        shown["realm_exclude"],
        json!(["events.*", "*.audit", "scheduler", r"/^orders\.stream$/"])
    );
    let shown = text(&cli.ok(&["env", "show", "shop"]));
    assert!(shown.contains("events.*, *.audit, scheduler"), "{shown}");

    let s = suggest(&cli, &v.name);
    assert_eq!(s["template"], "{realm}.{worker}", "{s}");
    assert_eq!(
        (
            &s["matched"],
            &s["unmatched"],
            &s["excluded"],
            &s["realms"],
            &s["workers"]
        ),
        (&json!(16), &json!(0), &json!(5), &json!(4), &json!(4)),
        "{s}"
    );
    // Mapping leaves the excluded queues unpartitioned.
    let rows = cli.json(&["queues", "--env", "shop", "--vhost", &v.name, "--json"]);
    let rows = rows.as_array().unwrap();
    let realm_of = |name: &str| {
        let row = rows.iter().find(|r| r["name"] == name).unwrap();
        row.get("realm").cloned().unwrap_or(Value::Null)
    };
    assert_eq!(realm_of("hooli.pdf-render"), "hooli");
    for name in UNPARTITIONED {
        assert_eq!(realm_of(name), Value::Null, "{name}");
    }

    // An empty value clears the list.
    cli.ok(&["env", "edit", "shop", "--realm-exclude", ""]);
    let shown = cli.json(&["env", "show", "shop", "--json"]);
    assert!(shown.get("realm_exclude").is_none(), "{shown}");
    assert_eq!(suggest(&cli, &v.name)["excluded"], 0);
}
