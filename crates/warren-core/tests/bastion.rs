//! Brokers behind an SSH jump host, against Debian's OpenSSH server started here on a loopback
//! port with keys made for the test (the client key has a passphrase, kept in the keyring like
//! a password): an environment reached through it lists its queues and replays dead letters,
//! and a wrong key, a wrong passphrase, an unknown host key, a changed host key and a jump
//! host that refuses to forward each say so in their own words. Skipped where no sshd is
//! installed (`scripts/setup --test` installs openssh-server).

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use lapin::types::FieldTable;
use secrecy::SecretString;
use warren_core::broker::management::ManagementClient;
use warren_core::broker::tunnel::{passphrase_account, SshJump};
use warren_core::broker::BrokerErrorKind;
use warren_core::deadletters::replay::{replay, ReplayOptions};
use warren_core::secrets::Keyring;
use warren_core::Environment;

const SSHD: &str = "/usr/sbin/sshd";
const PASSPHRASE: &str = "jump-key-passphrase";

fn keygen(path: &Path, passphrase: &str) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", passphrase, "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen")
        .success();
    assert!(ok, "ssh-keygen {}", path.display());
}

/// An sshd of the test's own: its host key, one authorized client key (with a passphrase).
struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sshd {
    fn start(forwarding: bool) -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        keygen(&d.join("host_key"), "");
        keygen(&d.join("id"), PASSPHRASE);
        keygen(&d.join("other"), "");
        std::fs::copy(d.join("id.pub"), d.join("authorized_keys")).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nAuthorizedKeysFile {keys}\nPidFile {pid}\nUsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nAllowTcpForwarding {fwd}\nLogLevel DEBUG1\n",
            host = d.join("host_key").display(),
            keys = d.join("authorized_keys").display(),
            pid = d.join("sshd.pid").display(),
            fwd = if forwarding { "yes" } else { "no" },
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        let _ = std::fs::create_dir_all("/run/sshd");
        // Its log says which addresses it was asked to forward to.
        let log = std::fs::File::create(d.join("sshd.log")).unwrap();
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("sshd");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {host_pub}"),
        )
        .unwrap();
        Sshd { child, port, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `local` (the broker under test) reached through this jump host, under a fresh id (one
    /// tunnel per environment id and process).
    fn env(&self, id: &str, key: &str, known_hosts: &Path) -> Environment {
        let mut env = local();
        env.id = unique(id);
        env.ssh = Some(SshJump {
            host: "127.0.0.1".into(),
            user: Some(whoami()),
            port: Some(self.port),
            key_file: Some(self.path(key).display().to_string()),
            use_agent: false,
            known_hosts: Some(known_hosts.display().to_string()),
        });
        env
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        // The per-connection processes (their own sessions) first, then the listener.
        let _ = Command::new("pkill")
            .args(["-TERM", "-P", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn whoami() -> String {
    String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string()
}

/// The key's passphrase in the keyring, as `warren env set-ssh-passphrase` stores it.
fn keep_passphrase(env: &Environment, passphrase: &str) {
    Keyring::default()
        .set(
            &passphrase_account(&env.id),
            &SecretString::from(passphrase),
        )
        .expect("the test keyring (run under scripts/with-keyring)");
}

fn no_sshd() -> bool {
    if Path::new(SSHD).exists() {
        return false;
    }
    skip("no OpenSSH server here (scripts/setup --test installs openssh-server)");
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_environment_behind_the_jump_host_lists_queues_and_replays_through_it() {
    if no_sshd() {
        return;
    }
    let sshd = Sshd::start(true);
    let env = sshd.env("bastion", "id", &sshd.path("known_hosts"));
    keep_passphrase(&env, PASSPHRASE);
    let t = TestVhost::new("warren-test-bastion").await;
    let ch = t.channel().await;
    dlx_into(&ch, "failed", FieldTable::default()).await;
    declare_durable(&ch, "orders", dead_lettering()).await;
    fill_dead_letters(&ch, "orders", "failed", 20).await;

    // The management API through the tunnel: the queues of the vhost.
    let client = ManagementClient::new(&env, guest()).unwrap();
    let (queues, answered): (Vec<serde_json::Value>, _) = client
        .get_json(&format!("queues/{}?columns=name", enc(&t.name)))
        .await
        .expect("listed through the jump host");
    assert!(queues.iter().any(|q| q["name"] == "failed"), "{queues:?}");
    assert_eq!(
        answered.as_str(),
        format!("{}/", management_url()),
        "errors name the broker, not the tunnel"
    );

    // AMQP through the tunnel: the dead letters go back to `orders`, confirmed.
    let report = replay(
        &env,
        &guest(),
        &t.name,
        "failed",
        &ReplayOptions::default(),
        |_| {},
        || false,
    )
    .await
    .expect("replayed through the jump host");
    assert_eq!(report.replayed, 20, "{report:?}");
    assert_eq!(depth(&ch, "orders").await, 20);
    assert_eq!(depth(&ch, "failed").await, 0);

    // The traffic went through the jump host: it was asked to forward to the management and
    // the AMQP ports of the broker.
    let log = std::fs::read_to_string(sshd.path("sshd.log")).unwrap();
    for port in [management_port(), amqp_port()] {
        assert!(
            log.contains(&format!("to 127.0.0.1 port {port}")),
            "sshd forwarded to port {port}: {log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_passphrase_host_key_or_refused_tunnel_each_say_so() {
    if no_sshd() {
        return;
    }
    let sshd = Sshd::start(true);
    let overview = |env: &Environment| {
        let client = ManagementClient::new(env, guest()).unwrap();
        async move {
            client
                .get_json::<serde_json::Value>("overview")
                .await
                .unwrap_err()
        }
    };

    // A host key nobody recorded: refused, with its fingerprint and what to do.
    let empty = sshd.path("empty_known_hosts");
    std::fs::write(&empty, "").unwrap();
    let env = sshd.env("bastion-unknown", "id", &empty);
    keep_passphrase(&env, PASSPHRASE);
    let e = overview(&env).await;
    assert_eq!(e.kind, BrokerErrorKind::HostKeyUnknown, "{e:?}");
    assert!(
        e.message.contains("SHA256:") && e.message.contains("ssh-keyscan"),
        "{}",
        e.message
    );

    // Another key recorded for the host: refused as changed, naming the line.
    let changed = sshd.path("changed_known_hosts");
    let other = std::fs::read_to_string(sshd.path("other.pub")).unwrap();
    std::fs::write(&changed, format!("[127.0.0.1]:{} {other}", sshd.port)).unwrap();
    let env = sshd.env("bastion-changed", "id", &changed);
    keep_passphrase(&env, PASSPHRASE);
    let e = overview(&env).await;
    assert_eq!(e.kind, BrokerErrorKind::HostKeyChanged, "{e:?}");
    assert!(e.message.contains("line 1"), "{}", e.message);

    // A key the jump host does not know.
    let env = sshd.env("bastion-wrong-key", "other", &sshd.path("known_hosts"));
    let e = overview(&env).await;
    assert_eq!(e.kind, BrokerErrorKind::Ssh, "{e:?}");
    assert!(
        e.message.contains("refused") && e.message.contains("authorized_keys"),
        "{}",
        e.message
    );

    // The right key with the wrong passphrase in the keyring, and with none.
    let env = sshd.env("bastion-wrong-passphrase", "id", &sshd.path("known_hosts"));
    keep_passphrase(&env, "not it");
    let e = overview(&env).await;
    assert_eq!(e.kind, BrokerErrorKind::Ssh, "{e:?}");
    assert!(e.message.contains("passphrase"), "{}", e.message);
    let env = sshd.env("bastion-no-passphrase", "id", &sshd.path("known_hosts"));
    let e = overview(&env).await;
    assert!(e.message.contains("set-ssh-passphrase"), "{}", e.message);
    assert!(!e.message.contains(PASSPHRASE), "no secret in errors");

    // A jump host that logs in but forwards nothing.
    let closed = Sshd::start(false);
    let env = closed.env("bastion-no-forwarding", "id", &closed.path("known_hosts"));
    keep_passphrase(&env, PASSPHRASE);
    let e = overview(&env).await;
    assert_eq!(e.kind, BrokerErrorKind::Refused, "{e:?}");
    assert!(
        e.message.contains("refused to forward") && e.message.contains("AllowTcpForwarding"),
        "{}",
        e.message
    );
}
