//! `warren env add/edit --ssh-…` and `warren env set-ssh-passphrase`: the jump host is stored
//! with the environment and shown, a key file that is not there is refused before anything is
//! saved, the passphrase goes to the keyring (read from stdin, never an argument) and goes with
//! the environment. The tunnel itself is tested in warren-core's `bastion` test.

use std::process::Command;

use warren_test_support::{broker_as_guest, text, Cli};

/// The keyring entry of `account` (keyring's Secret Service attributes), or None.
fn keyring_has(account: &str) -> bool {
    Command::new("secret-tool")
        .args(["lookup", "service", "warren", "username", account])
        .output()
        .map(|o| o.status.success() && !o.stdout.is_empty())
        .unwrap_or(false)
}

#[test]
fn a_jump_host_is_stored_shown_and_its_passphrase_kept_in_the_keyring() {
    let cli = Cli::new(env!("CARGO_BIN_EXE_warren"));
    let id = format!("jump-{}", std::process::id());
    let bad = cli.run(
        &[
            &["env", "add", id.as_str()][..],
            &broker_as_guest(),
            &["--ssh-host", "bastion-eu", "--ssh-key", "/no/such/key"],
        ]
        .concat(),
    );
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(
        text(&bad).contains("no readable key file at `/no/such/key`"),
        "{}",
        text(&bad)
    );

    cli.ok(&[
        &["env", "add", id.as_str()][..],
        &broker_as_guest(),
        &[
            "--ssh-host",
            "bastion-eu",
            "--ssh-user",
            "ops",
            "--ssh-port",
            "2200",
            "--ssh-no-agent",
        ],
    ]
    .concat());
    let (_, shown) = cli.run_json(&["env", "show", &id, "--json"]);
    assert_eq!(
        shown["ssh"],
        serde_json::json!({"host": "bastion-eu", "user": "ops", "port": 2200, "use_agent": false})
    );
    assert!(text(&cli.ok(&["env", "show", &id])).contains("ops@bastion-eu:2200"));

    let account = format!("ssh:{id}");
    let out = cli.run_with_stdin(&["env", "set-ssh-passphrase", &id], "key passphrase\n");
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("key passphrase"), "never echoed");
    assert!(keyring_has(&account), "in the keyring");
    assert!(
        !cli.config().contains("key passphrase"),
        "never in the config file"
    );

    cli.ok(&["env", "edit", &id, "--ssh-host", ""]);
    let (_, shown) = cli.run_json(&["env", "show", &id, "--json"]);
    assert!(shown.get("ssh").is_none(), "{shown}");
    cli.ok(&["env", "remove", &id]);
    assert!(!keyring_has(&account), "removed with the environment");
}
