//! TLS against the real broker behind a TLS proxy on loopback: a CA, a server certificate and a
//! client certificate are generated here (rcgen); the proxy terminates TLS (tokio-rustls) and
//! forwards to the plain management and AMQP ports of the broker under test (see common). Verification is on
//! by default, a custom CA bundle makes it pass, turning it off is an explicit setting, and
//! client certificates (mutual TLS) work for HTTPS and AMQPS.

mod common;

use std::sync::Arc;

use common::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use warren_core::broker::BrokerErrorKind;
use warren_core::connection_test::{check_amqp, check_management};
use warren_core::Environment;

struct Pki {
    dir: tempfile::TempDir,
    ca_der: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
}

impl Pki {
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// A CA, a server certificate for localhost/127.0.0.1 and a client certificate, the PEM files
/// written where an environment can point at them.
fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Warren test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let server_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let server = server_params.signed_by(&server_key, &ca, &ca_key).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    client_params
        .distinguished_name
        .push(DnType::CommonName, "warren-client");
    let client = client_params.signed_by(&client_key, &ca, &ca_key).unwrap();

    std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.path().join("client.pem"), client.pem()).unwrap();
    std::fs::write(dir.path().join("client.key"), client_key.serialize_pem()).unwrap();
    Pki {
        ca_der: ca.der().clone(),
        server_chain: vec![server.der().clone()],
        server_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        dir,
    }
}

/// Terminate TLS on a free loopback port and forward each connection to `target`. With
/// `require_client_cert`, only clients with a certificate from the test CA get through.
async fn tls_proxy(pki: &Pki, target: u16, require_client_cert: bool) -> u16 {
    warren_core::broker::tls::install_crypto_provider();
    let builder = rustls::ServerConfig::builder();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca_der.clone()).unwrap();
        builder.with_client_cert_verifier(
            rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
                .build()
                .unwrap(),
        )
    } else {
        builder.with_no_client_auth()
    };
    let config = builder
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    if let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", target)).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                    }
                }
            });
        }
    });
    port
}

fn env_behind(https: u16, amqps: u16) -> Environment {
    let mut env = local();
    env.management_urls = vec![format!("https://localhost:{https}")];
    env.amqp_urls = vec![format!("amqps://localhost:{amqps}")];
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_is_on_by_default_and_a_custom_ca_bundle_makes_it_pass() {
    let pki = pki();
    let https = tls_proxy(&pki, management_port(), false).await;
    let amqps = tls_proxy(&pki, amqp_port(), false).await;

    // Unknown CA: refused, with a TLS error that says so.
    let env = env_behind(https, amqps);
    let m = check_management(&env, guest()).await;
    assert!(!m.ok);
    assert!(
        matches!(m.error_kind, Some(BrokerErrorKind::TlsVerification)),
        "{m:?}"
    );
    let a = check_amqp(&env, &guest()).await;
    assert!(!a.ok, "{a:?}");
    assert!(a
        .error
        .unwrap_or_default()
        .to_lowercase()
        .contains("certificate"));

    // The test CA as the environment's bundle: both pass, verification still on.
    let mut env = env_behind(https, amqps);
    env.tls.ca_bundle = Some(pki.path("ca.pem"));
    assert!(env.tls.verify);
    let m = check_management(&env, guest()).await;
    assert!(m.ok, "{m:?}");
    assert!(m.rabbitmq_version.is_some());
    assert!(check_amqp(&env, &guest()).await.ok);

    // Verification off is an explicit setting, and then HTTPS passes without the CA.
    let mut env = env_behind(https, amqps);
    env.tls.verify = false;
    assert!(check_management(&env, guest()).await.ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_work_for_https_and_amqps() {
    let pki = pki();
    let https = tls_proxy(&pki, management_port(), true).await;
    let amqps = tls_proxy(&pki, amqp_port(), true).await;
    let mut env = env_behind(https, amqps);
    env.tls.ca_bundle = Some(pki.path("ca.pem"));

    // Without a client certificate the proxy ends the handshake.
    assert!(!check_management(&env, guest()).await.ok);
    assert!(!check_amqp(&env, &guest()).await.ok);

    env.tls.client_cert = Some(pki.path("client.pem"));
    env.tls.client_key = Some(pki.path("client.key"));
    let m = check_management(&env, guest()).await;
    assert!(m.ok, "{m:?}");
    let a = check_amqp(&env, &guest()).await;
    assert!(a.ok, "{a:?}");
}
