//! rabbitmq_http_client for the plain administrative calls (vhosts, users, permissions,
//! connections), built on our TLS-aware reqwest client and the environment's first node URL.

use rabbitmq_http_client::api::Client;
use secrecy::{ExposeSecret, SecretString};

use super::{error_chain, tls, BrokerError, BrokerErrorKind};
use crate::environment::Environment;

pub type AdminClient = Client<String, String, String>;

pub fn admin_client(
    env: &Environment,
    password: &SecretString,
) -> Result<AdminClient, BrokerError> {
    admin_client_with_timeout(env, password, super::REQUEST_TIMEOUT)
}

/// For calls whose work on the broker grows with its size (deleting a vhost of 10,000 queues
/// takes the broker well over the usual request timeout).
pub fn admin_client_with_timeout(
    env: &Environment,
    password: &SecretString,
    timeout: std::time::Duration,
) -> Result<AdminClient, BrokerError> {
    let http = tls::http_client(&env.tls, timeout)?;
    let base = env.management_urls.first().ok_or_else(|| {
        BrokerError::new(
            BrokerErrorKind::Other,
            "the environment has no management URL",
        )
    })?;
    let endpoint = format!("{}/api", base.trim_end_matches('/'));
    Ok(Client::from_http_client(
        http,
        endpoint,
        env.username.clone(),
        password.expose_secret().to_string(),
    ))
}

/// rabbitmq_http_client's errors, named with the call that failed (never with credentials).
pub fn admin_error(what: &str, e: rabbitmq_http_client::error::HttpClientError) -> BrokerError {
    use rabbitmq_http_client::error::Error as E;
    match &e {
        E::ClientErrorResponse { status_code, .. } if status_code.as_u16() == 401 => {
            BrokerError::new(
                BrokerErrorKind::WrongCredentials,
                format!("{what}: the broker refused the credentials (401)"),
            )
        }
        E::ClientErrorResponse {
            status_code,
            error_details,
            ..
        } => BrokerError::new(
            BrokerErrorKind::Refused,
            format!(
                "{what}: the broker answered {status_code}{}",
                error_details
                    .as_ref()
                    .and_then(|d| d.reason.clone())
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
        ),
        _ => BrokerError::new(
            BrokerErrorKind::Other,
            format!("{what}: {}", error_chain(&e)),
        ),
    }
}
