//! TLS settings of an environment turned into what reqwest (HTTPS) and lapin (AMQPS) take.

use std::sync::Once;

use lapin::tcp::{OwnedIdentity, OwnedTLSConfig};

use super::{BrokerError, BrokerErrorKind};
use crate::environment::TlsSettings;

/// rustls needs one process-wide crypto provider; we build with `ring` only (no aws-lc, which
/// needs a C toolchain and doubles the build time), so install it before the first handshake.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn read(path: &str, what: &str) -> Result<Vec<u8>, BrokerError> {
    std::fs::read(path).map_err(|e| {
        BrokerError::new(
            BrokerErrorKind::TlsFiles,
            format!("cannot read the {what} file {path}: {e}"),
        )
    })
}

/// A reqwest client that honours the environment's TLS settings and our timeouts.
pub fn http_client(
    tls: &TlsSettings,
    timeout: std::time::Duration,
) -> Result<reqwest::Client, BrokerError> {
    http_client_allowing(tls, timeout, super::SILENT_PEER.min(timeout))
}

/// `http_client` whose peer may stay silent for `silent` (one answer the broker builds whole
/// before it sends a byte).
pub fn http_client_allowing(
    tls: &TlsSettings,
    timeout: std::time::Duration,
    silent: std::time::Duration,
) -> Result<reqwest::Client, BrokerError> {
    install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(super::CONNECT_TIMEOUT)
        .read_timeout(silent)
        .timeout(timeout)
        .user_agent(concat!("warren/", env!("CARGO_PKG_VERSION")));
    if let Some(ca) = &tls.ca_bundle {
        let pem = read(ca, "CA bundle")?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            BrokerError::new(
                BrokerErrorKind::TlsFiles,
                format!("the CA bundle {ca} is not a PEM certificate bundle: {e}"),
            )
        })?;
        builder = builder.tls_certs_merge(certs);
    }
    if let (Some(cert), Some(key)) = (&tls.client_cert, &tls.client_key) {
        let mut pem = read(cert, "client certificate")?;
        pem.extend_from_slice(b"\n");
        pem.extend(read(key, "client key")?);
        let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
            BrokerError::new(
                BrokerErrorKind::TlsFiles,
                format!("the client certificate {cert} or key {key} is not usable PEM: {e}"),
            )
        })?;
        builder = builder.identity(identity);
    }
    if !tls.verify {
        builder = builder
            .tls_danger_accept_invalid_certs(true)
            .tls_danger_accept_invalid_hostnames(true);
    }
    builder.build().map_err(|e| {
        BrokerError::new(
            BrokerErrorKind::TlsFiles,
            format!("cannot set up HTTPS: {}", super::error_chain(&e)),
        )
    })
}

/// The TLS config lapin takes for amqps:// URLs.
pub fn amqp_tls_config(tls: &TlsSettings) -> Result<OwnedTLSConfig, BrokerError> {
    install_crypto_provider();
    let cert_chain = match &tls.ca_bundle {
        Some(ca) => Some(String::from_utf8(read(ca, "CA bundle")?).map_err(|_| {
            BrokerError::new(
                BrokerErrorKind::TlsFiles,
                format!("the CA bundle {ca} is not PEM text"),
            )
        })?),
        None => None,
    };
    let identity = match (&tls.client_cert, &tls.client_key) {
        (Some(cert), Some(key)) => Some(OwnedIdentity::PKCS8 {
            pem: read(cert, "client certificate")?,
            key: read(key, "client key")?,
        }),
        _ => None,
    };
    Ok(OwnedTLSConfig {
        identity,
        cert_chain,
    })
}
