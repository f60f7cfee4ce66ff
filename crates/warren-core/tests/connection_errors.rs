//! "Test connection" against the real broker: each failure an operator can meet gets its own
//! kind and a message that says what to do, and never contains the password.

mod common;

use std::time::{Duration, Instant};

use common::*;
use secrecy::SecretString;
use warren_core::broker::BrokerErrorKind;
use warren_core::connection_test::{test_connection, ConnectionReport};
use warren_core::Environment;

/// A connection test as a user made for it (password `pw`) with these tags and, when
/// `permitted`, every permission on `/`; the user is removed before the report is looked at.
async fn test_as_new_user(prefix: &str, tags: &str, permitted: bool) -> ConnectionReport {
    let user = unique(prefix);
    create_user(&user, "pw", tags);
    if permitted {
        grant(&user, "/");
    }
    let mut env = local();
    env.username = user.clone();
    let report = test_connection(&env, SecretString::from("pw")).await;
    delete_user(&user);
    report
}

/// Asserts that a check (management or AMQP) failed with this `BrokerErrorKind`; the whole
/// check is shown when it did not.
macro_rules! assert_failed_with {
    ($check:expr, $kind:ident) => {
        assert_eq!(
            $check.error_kind,
            Some(BrokerErrorKind::$kind),
            "{:?}",
            $check
        )
    };
}

/// `local` with these management URLs (and these AMQP URLs unless empty).
fn local_at(management_urls: &[String], amqp_urls: &[String]) -> Environment {
    let mut env = local();
    env.management_urls = management_urls.to_vec();
    if !amqp_urls.is_empty() {
        env.amqp_urls = amqp_urls.to_vec();
    }
    env
}

#[tokio::test]
async fn the_local_broker_reports_its_versions_and_tags() {
    let report = test_connection(&local(), guest()).await;
    assert!(report.management.ok, "{:?}", report.management);
    assert!(report.amqp.ok, "{:?}", report.amqp);
    let version = report.management.rabbitmq_version.unwrap();
    assert!(
        version.chars().next().unwrap().is_ascii_digit(),
        "{version}"
    );
    assert!(report.management.erlang_version.is_some());
    assert!(report.management.cluster_name.is_some());
    assert_eq!(report.management.node_count, Some(1));
    assert!(report
        .management
        .user_tags
        .unwrap()
        .contains(&"administrator".to_string()));
}

#[tokio::test]
async fn a_wrong_password_is_a_credentials_error_on_both_endpoints_and_is_not_echoed() {
    let secret = "wr0ng-pa55word-for-test";
    let report = test_connection(&local(), SecretString::from(secret)).await;
    assert_failed_with!(report.management, WrongCredentials);
    assert_failed_with!(report.amqp, WrongCredentials);
    let text = serde_json::to_string(&report).unwrap();
    assert!(
        !text.contains(secret),
        "the password leaked into the report: {text}"
    );
    assert!(
        text.contains("password"),
        "the message should say to re-enter the password: {text}"
    );
}

#[tokio::test]
async fn a_user_without_tags_is_told_it_lacks_the_management_tag() {
    let report = test_as_new_user("warren-notags", "", true).await;
    assert_failed_with!(report.management, MissingManagementTag);
    assert!(report.management.error.unwrap().contains("management"));
    assert!(
        report.amqp.ok,
        "AMQP does not need a tag: {:?}",
        report.amqp
    );
}

#[tokio::test]
async fn a_management_only_user_works_with_a_warning_about_monitoring() {
    let report = test_as_new_user("warren-mgmt", "management", true).await;
    assert!(report.management.ok, "{:?}", report.management);
    assert_eq!(
        report.management.user_tags,
        Some(vec!["management".to_string()])
    );
    assert!(
        report
            .management
            .warnings
            .iter()
            .any(|w| w.contains("monitoring")),
        "{:?}",
        report.management.warnings
    );
}

#[tokio::test]
async fn a_user_without_vhost_permissions_is_refused_the_vhost_over_amqp() {
    let report = test_as_new_user("warren-noperm", "management", false).await;
    assert_failed_with!(report.amqp, VhostAccessRefused);
}

#[tokio::test]
async fn a_closed_port_is_unreachable_at_once() {
    let env = local_at(
        &["http://127.0.0.1:1".into()],
        &["amqp://127.0.0.1:1".into()],
    );
    let report = test_connection(&env, guest()).await;
    assert_eq!(
        report.management.error_kind,
        Some(BrokerErrorKind::Unreachable)
    );
    assert_eq!(report.amqp.error_kind, Some(BrokerErrorKind::Unreachable));
    assert!(report.management.error.unwrap().contains("127.0.0.1:1"));
}

#[tokio::test]
async fn a_failover_list_falls_through_to_the_node_that_answers() {
    let env = local_at(
        &["http://127.0.0.1:1".into(), management_url().into()],
        &["amqp://127.0.0.1:1".into(), amqp_url().into()],
    );
    let report = test_connection(&env, guest()).await;
    assert!(report.management.ok && report.amqp.ok, "{report:?}");
    assert_eq!(
        report.management.url.as_deref(),
        Some(format!("{}/", management_url()).as_str())
    );
}

#[tokio::test]
async fn the_amqp_port_given_as_management_url_is_not_rabbitmq_management() {
    let env = local_at(&[format!("http://127.0.0.1:{}", amqp_port())], &[]);
    let report = test_connection(&env, guest()).await;
    assert_failed_with!(report.management, NotRabbitmq);
}

#[tokio::test]
async fn a_wrong_path_prefix_says_the_management_api_is_not_there() {
    let env = local_at(&[format!("{}/not-rabbit", management_url())], &[]);
    let report = test_connection(&env, guest()).await;
    assert_failed_with!(report.management, ManagementNotEnabled);
    assert!(report
        .management
        .error
        .unwrap()
        .contains("rabbitmq_management"));
}

/// A peer that accepts connections and never answers (a hung proxy): the test must come back
/// with a timeout instead of hanging. A local stub is the only way to produce this fault.
#[tokio::test]
async fn a_silent_endpoint_times_out_instead_of_hanging() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = vec![];
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let env = local_at(
        &[format!("http://127.0.0.1:{port}")],
        &[format!("amqp://127.0.0.1:{port}")],
    );
    let started = Instant::now();
    let report = tokio::time::timeout(Duration::from_secs(30), test_connection(&env, guest()))
        .await
        .expect("test_connection hung");
    assert_failed_with!(report.management, Timeout);
    assert_failed_with!(report.amqp, Timeout);
    // Functional bound, not a benchmark: both checks run at once and each gives up after 5 s.
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "took {:?}",
        started.elapsed()
    );
}

/// A real TLS listener (openssl s_server) with a self-signed certificate made in the test.
struct TlsServer {
    child: std::process::Child,
    port: u16,
    cert: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(args: &[&str], dir: &std::path::Path) {
    let ok = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl is installed");
    assert!(ok.success(), "openssl {args:?}");
}

/// A CA made for this test, and a server certificate for 127.0.0.1 that it signed.
fn tls_server() -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=warren test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
        d,
    );
    openssl(
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "key.pem",
            "-out",
            "server.csr",
        ],
        d,
    );
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "ext.cnf",
            "-out",
            "cert.pem",
        ],
        d,
    );
    let cert = d.join("ca.pem");
    let key = d.join("key.pem");
    let server_cert = d.join("cert.pem");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&server_cert)
        .arg("-key")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    TlsServer {
        child,
        port,
        cert,
        _dir: dir,
    }
}

#[tokio::test]
async fn an_untrusted_certificate_fails_tls_verification_and_a_ca_bundle_fixes_it() {
    let server = tls_server();
    let mut env = local_at(&[format!("https://127.0.0.1:{}", server.port)], &[]);
    let report = warren_core::connection_test::check_management(&env, guest()).await;
    assert_failed_with!(report, TlsVerification);
    assert!(report.error.unwrap().contains("CA bundle"));

    // Trusting the CA gets past TLS; the peer is then found not to be RabbitMQ.
    env.tls.ca_bundle = Some(server.cert.display().to_string());
    let report = warren_core::connection_test::check_management(&env, guest()).await;
    assert_failed_with!(report, NotRabbitmq);
}

#[tokio::test]
async fn https_against_a_plain_http_port_is_a_tls_mismatch() {
    let env = local_at(&[management_url().replacen("http://", "https://", 1)], &[]);
    let report = warren_core::connection_test::check_management(&env, guest()).await;
    assert_failed_with!(report, TlsMismatch);
}
