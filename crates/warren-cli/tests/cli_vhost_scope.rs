//! `warren realms` over several vhosts: the same realm name in two vhosts stays two lines, each
//! with its vhost and its own totals (`acme` of one shop never adds to another's), and `--vhost`
//! ranks one vhost's realms alone. Fresh vhosts of the broker under test (`WARREN_TEST_BROKER`).

use serde_json::{json, Value};
use warren_test_support::{broker_as_guest, Cli, Vhost};

#[test]
fn realms_of_different_vhosts_stay_apart() {
    let cli = Cli::new(env!("CARGO_BIN_EXE_warren")).with_password("guest");
    let add = [
        "env",
        "add",
        "shop",
        "--name",
        "shop",
        "--realm-template",
        "{worker}.{realm}",
    ];
    cli.ok(&[add.as_slice(), &broker_as_guest()].concat());
    let (a, b) = (Vhost::new("cli-scope-a"), Vhost::new("cli-scope-b"));
    for (v, heavy) in [(&a, "globex"), (&b, "acme")] {
        for w in ["billing", "email"] {
            for r in ["acme", "globex"] {
                let q = format!("{w}.{r}");
                v.queue(&q, json!({}));
                v.publish(&q, if r == heavy { 3 } else { 1 });
            }
        }
    }
    let line = |lines: &Value, realm: &str, vhost: Option<&str>| -> Option<Value> {
        lines
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["realm"] == realm && l["vhost"].as_str() == vhost)
            .cloned()
    };
    // The management API's counters settle a stats interval after the publishes.
    let mut all = Value::Null;
    for _ in 0..60 {
        all = cli.json(&["realms", "--env", "shop", "--json"]);
        if line(&all, "acme", Some(&b.name)).is_some_and(|l| l["messages"] == 6) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let acme_a = line(&all, "acme", Some(&a.name)).expect("acme of vhost a, apart");
    let acme_b = line(&all, "acme", Some(&b.name)).expect("acme of vhost b, apart");
    assert_eq!(
        (acme_a["queues"].as_u64(), acme_a["messages"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        (acme_b["queues"].as_u64(), acme_b["messages"].as_u64()),
        (Some(2), Some(6))
    );

    // One vhost: its realms only, ranked within it, no vhost key.
    let in_a = cli.json(&["realms", "--env", "shop", "--vhost", &a.name, "--json"]);
    let keys: Vec<(&str, u64)> = in_a
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert!(l.get("vhost").is_none(), "{l}");
            (
                l["realm"].as_str().unwrap(),
                l["messages"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(keys, [("globex", 6), ("acme", 2)]);
}
