//! rabbitmq_http_client for the administrative calls (policies, shovels, vhosts), one client per
//! node URL of the environment, tried in order like the hand-written `ManagementClient`: the
//! next node only when this one could not be reached. Writes take the gate's `WriteToken`.

use std::future::Future;
use std::sync::Arc;

use rabbitmq_http_client::api::Client;
use rabbitmq_http_client::error::HttpClientError;
use secrecy::{ExposeSecret, SecretString};

use super::{error_chain, none_reachable, tls, BrokerError, BrokerErrorKind, NO_MANAGEMENT_URL};
use crate::environment::Environment;
use crate::guard::WriteToken;

pub type AdminClient = Client<String, String, String>;

/// The management API of one environment, for calls rabbitmq_http_client expresses.
pub struct Admin {
    /// (node URL as configured, its client)
    nodes: Vec<(String, Arc<AdminClient>)>,
}

impl Admin {
    pub async fn new(env: &Environment, password: &SecretString) -> Result<Admin, BrokerError> {
        Self::with_timeout(env, password, super::REQUEST_TIMEOUT).await
    }

    /// For calls whose work on the broker grows with its size (deleting a vhost of 10,000
    /// queues takes the broker well over the usual request timeout).
    pub async fn with_timeout(
        env: &Environment,
        password: &SecretString,
        timeout: std::time::Duration,
    ) -> Result<Admin, BrokerError> {
        let http = tls::http_client(&env.tls, timeout)?;
        // The library's client takes a fixed endpoint: through a jump host, the local end of
        // each node's forward (opened now).
        let mut reached = Vec::with_capacity(env.management_urls.len());
        for base in &env.management_urls {
            reached.push(match (&env.ssh, url::Url::parse(base.trim())) {
                (Some(jump), Ok(u)) => {
                    super::tunnel::local_url(&env.id, Some(jump), &u, env.tls.verify)
                        .await?
                        .to_string()
                }
                _ => base.clone(),
            });
        }
        let nodes: Vec<_> = env
            .management_urls
            .iter()
            .zip(&reached)
            .map(|(base, reached)| {
                let endpoint = format!("{}/api", reached.trim_end_matches('/'));
                let client = Client::from_http_client(
                    http.clone(),
                    endpoint,
                    env.username.clone(),
                    password.expose_secret().to_string(),
                );
                (base.clone(), Arc::new(client))
            })
            .collect();
        if nodes.is_empty() {
            return Err(BrokerError::new(BrokerErrorKind::Other, NO_MANAGEMENT_URL));
        }
        Ok(Admin { nodes })
    }

    /// A call that changes the broker: only with the gate's token. Every write Warren makes
    /// through this client is an idempotent PUT or DELETE, so a node that timed out may be
    /// asked again on the next one.
    /// Needs whatever tag the call needs (`policymaker` for policies and shovels, `administrator` for vhosts). Modifies state.
    pub async fn write<T, Fut>(
        &self,
        _gate: &WriteToken,
        what: &str,
        call: impl Fn(Arc<AdminClient>) -> Fut,
    ) -> Result<T, BrokerError>
    where
        Fut: Future<Output = Result<T, HttpClientError>>,
    {
        self.read(what, call).await
    }

    /// A call that reads (`what` names it in errors), on the first node that can be reached.
    /// Needs whatever tag the call needs. Does not modify state.
    pub async fn read<T, Fut>(
        &self,
        what: &str,
        call: impl Fn(Arc<AdminClient>) -> Fut,
    ) -> Result<T, BrokerError>
    where
        Fut: Future<Output = Result<T, HttpClientError>>,
    {
        let mut first_error = None;
        for (base, client) in &self.nodes {
            match call(client.clone()).await {
                Ok(v) => return Ok(v),
                Err(rabbitmq_http_client::error::Error::RequestError { error, .. })
                    if error.is_connect() || error.is_timeout() =>
                {
                    first_error.get_or_insert_with(|| {
                        super::classify_transport(&format!("{what}: {}", error_chain(&error)), base)
                    });
                }
                Err(e) => return Err(admin_error(&format!("{what} ({base})"), e)),
            }
        }
        let first = first_error.expect("`with_timeout` refuses an environment without nodes");
        Err(none_reachable(first, self.nodes.len()))
    }
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
        E::NotFound => BrokerError::new(BrokerErrorKind::NotFound, format!("{what}: not found")),
        E::ClientErrorResponse { status_code, .. } if status_code.as_u16() == 404 => {
            BrokerError::new(
                BrokerErrorKind::NotFound,
                format!("{what}: not found (404)"),
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
