//! The management HTTP API of one environment: several node URLs tried in order, basic auth
//! from the keyring, and answers turned into `BrokerError`s an operator can act on.
//!
//! Hand-written rather than rabbitmq_http_client for the calls whose failures we must classify
//! exactly (401 "Not management user" vs wrong password, 404, non-RabbitMQ answers) and for
//! the column-trimmed, paginated listings that library cannot express.

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use super::{
    classify_transport, error_chain, none_reachable, tls, BrokerError, BrokerErrorKind,
    NO_MANAGEMENT_URL,
};
use crate::environment::{validate_url, Environment};

#[derive(Clone)]
pub struct ManagementClient {
    http: reqwest::Client,
    endpoints: Vec<Url>,
    username: String,
    password: SecretString,
    /// The environment and its jump host: each request goes through the tunnel then.
    env_id: String,
    jump: Option<super::tunnel::SshJump>,
    verify_tls: bool,
    /// Kept to build a client with a longer allowance (`widened`).
    tls: crate::environment::TlsSettings,
}

impl ManagementClient {
    pub fn new(env: &Environment, password: SecretString) -> Result<Self, BrokerError> {
        Self::with_timeout(env, password, super::REQUEST_TIMEOUT)
    }

    /// A client whose every request gives up after `timeout` (connection tests use a short one).
    pub fn with_timeout(
        env: &Environment,
        password: SecretString,
        timeout: std::time::Duration,
    ) -> Result<Self, BrokerError> {
        let endpoints = env
            .management_urls
            .iter()
            .map(|u| {
                validate_url(u, &["http", "https"])
                    .map_err(|m| BrokerError::new(BrokerErrorKind::Other, m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ManagementClient {
            http: tls::http_client(&env.tls, timeout)?,
            endpoints,
            username: env.username.clone(),
            password,
            env_id: env.id.clone(),
            jump: env.ssh.clone(),
            verify_tls: env.tls.verify,
            tls: env.tls.clone(),
        })
    }

    /// The same client, but every request may take `timeout` and the peer may stay silent as
    /// long (a listing of tens of thousands of queues: the broker says nothing until it has
    /// built the whole answer).
    pub fn widened(&self, timeout: std::time::Duration) -> Result<Self, BrokerError> {
        Ok(ManagementClient {
            http: tls::http_client_allowing(&self.tls, timeout, timeout)?,
            ..self.clone()
        })
    }

    pub fn endpoints(&self) -> &[Url] {
        &self.endpoints
    }

    /// What identifies the broker and user this client reaches: the environment, the user,
    /// every endpoint and the jump host (two environments may share `localhost:15672`
    /// through different tunnels).
    pub fn identity(&self) -> String {
        let endpoints: Vec<&str> = self.endpoints.iter().map(Url::as_str).collect();
        let jump = self
            .jump
            .as_ref()
            .map_or(String::new(), |j| format!("{j:?}"));
        format!(
            "{} {} {} {jump}",
            self.env_id,
            self.username,
            endpoints.join(",")
        )
    }

    /// `GET {base}/api/{path}` on the first node that answers; the next node is tried only when
    /// this one cannot be reached (an HTTP answer, even 401, is the cluster's answer).
    /// Returns the JSON and the base URL that answered.
    /// Needs the `management` tag (or what the path needs). Does not modify state.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<(T, Url), BrokerError> {
        let mut first_error = None;
        for base in &self.endpoints {
            match self.get_from(base, path).await {
                Ok(v) => return Ok((v, base.clone())),
                Err(e) if is_transport(&e) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(match first_error {
            Some(e) => none_reachable(e, self.endpoints.len()),
            None => BrokerError::new(BrokerErrorKind::Other, NO_MANAGEMENT_URL),
        })
    }

    /// `GET {base}/api/{path}` on that one node (checks that only the answering node can
    /// answer, such as whether stopping it would cost a quorum queue its majority).
    /// Needs the `management` tag (or what the path needs). Does not modify state.
    pub async fn get_json_from<T: DeserializeOwned>(
        &self,
        base: &Url,
        path: &str,
    ) -> Result<T, BrokerError> {
        self.get_from(base, path).await
    }

    /// A health check on one node (`health/checks/…`): the broker answers 200 when it passes
    /// and 503 with a JSON reason when it fails, so both are answers here, not errors.
    /// Needs the `management` tag. Does not modify state.
    pub async fn get_check(
        &self,
        base: &Url,
        path: &str,
    ) -> Result<(bool, serde_json::Value), BrokerError> {
        let url = api_url(base, path);
        let shown = shown(&url);
        let (status, body) = self.send(base, url, &shown).await?;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            if let Ok(v) = serde_json::from_slice(&body) {
                return Ok((false, v));
            }
        }
        self.answer(base, path, &shown, status, &body)
            .await
            .map(|v| (true, v))
    }

    async fn get_from<T: DeserializeOwned>(
        &self,
        base: &Url,
        path: &str,
    ) -> Result<T, BrokerError> {
        let url = api_url(base, path);
        let shown = shown(&url);
        let (status, body) = self.send(base, url, &shown).await?;
        self.answer(base, path, &shown, status, &body).await
    }

    /// Send one GET (`shown`: its URL as errors name it); only transport failures are errors
    /// here.
    async fn send(
        &self,
        base: &Url,
        url: Url,
        shown: &str,
    ) -> Result<(StatusCode, Vec<u8>), BrokerError> {
        let url = self.reachable(&url).await?;
        let transport = |e: reqwest::Error| {
            if e.is_timeout() && !e.is_connect() {
                BrokerError::new(
                    BrokerErrorKind::Timeout,
                    format!("{shown}: {} accepted the connection but did not answer in time (a hung node, a proxy holding the request, or not the management port). Try again, or check that node", base.as_str()),
                )
            } else {
                classify_transport(&error_chain(&e), base.as_str())
            }
        };
        let response = self
            .http
            .get(url.clone())
            .basic_auth(&self.username, Some(self.password.expose_secret()))
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let body = response.bytes().await.map_err(transport)?;
        Ok((status, body.to_vec()))
    }

    /// What an HTTP answer means: its JSON, or the error an operator can act on.
    async fn answer<T: DeserializeOwned>(
        &self,
        base: &Url,
        path: &str,
        shown: &str,
        status: StatusCode,
        body: &[u8],
    ) -> Result<T, BrokerError> {
        if status == StatusCode::NOT_FOUND && is_rabbitmq_not_found(body) {
            return Err(self.explain_not_found(base, path, shown).await);
        }
        if !status.is_success() {
            return Err(status_error(status, body, shown, &self.username));
        }
        serde_json::from_slice(body).map_err(|e| {
            BrokerError::new(
                BrokerErrorKind::NotRabbitmq,
                format!("{shown} answered, but not with the RabbitMQ management API's JSON ({e}): is this the management URL (usually port 15672)?"),
            )
        })
    }
}

impl ManagementClient {
    /// RabbitMQ answers an unknown path and a missing object alike (`Object Not Found`): the
    /// API's own overview tells them apart, and for a vhost's resources, the vhost itself.
    async fn explain_not_found(&self, base: &Url, path: &str, shown: &str) -> BrokerError {
        let api_answers = self
            .get_raw(base, "overview")
            .await
            .is_ok_and(|s| s.is_success());
        if !api_answers {
            return status_error(StatusCode::NOT_FOUND, b"", shown, &self.username);
        }
        let p = path.split('?').next().unwrap_or(path);
        let mut segments = p.trim_start_matches('/').split('/');
        let resource = segments.next().unwrap_or("");
        if let Some(vhost) = segments.next().filter(|_| {
            matches!(
                resource,
                "queues"
                    | "exchanges"
                    | "bindings"
                    | "policies"
                    | "operator-policies"
                    | "definitions"
                    | "permissions"
                    | "vhost-limits"
            )
        }) {
            let vhost_url = format!("vhosts/{vhost}");
            if self
                .get_raw(base, &vhost_url)
                .await
                .is_ok_and(|s| s == StatusCode::NOT_FOUND)
            {
                let name = percent_encoding::percent_decode_str(vhost).decode_utf8_lossy();
                return BrokerError::new(
                    BrokerErrorKind::NotFound,
                    format!("there is no vhost `{name}` on {}: check the name (`warren env edit ID --vhost V` sets the default), or list the vhosts in the management UI", base.as_str()),
                );
            }
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let mut parts = p.trim_start_matches('/').split('/');
        if let (Some(kind @ ("queues" | "exchanges")), Some(vhost), Some(name)) =
            (parts.next(), parts.next(), parts.next())
        {
            let kind = kind.trim_end_matches('s');
            return BrokerError::new(
                BrokerErrorKind::NotFound,
                format!("there is no {kind} `{}` in vhost `{}` on {}: check the name (`warren queues` lists them)", decode(name), decode(vhost), base.as_str()),
            );
        }
        BrokerError::new(
            BrokerErrorKind::NotFound,
            format!("{shown}: not found (404). The management API answers, so the object named there does not exist: check the queue, exchange or vhost name"),
        )
    }

    /// The URL as this process reaches it (through the environment's jump host, if any).
    async fn reachable(&self, url: &Url) -> Result<Url, BrokerError> {
        super::tunnel::local_url(&self.env_id, self.jump.as_ref(), url, self.verify_tls).await
    }

    async fn get_raw(&self, base: &Url, path: &str) -> Result<StatusCode, reqwest::Error> {
        let url = api_url(base, path);
        let url = self.reachable(&url).await.unwrap_or(url);
        Ok(self
            .http
            .get(url)
            .basic_auth(&self.username, Some(self.password.expose_secret()))
            .send()
            .await?
            .status())
    }
}

fn is_rabbitmq_not_found(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .is_ok_and(|j| j.get("error").and_then(|e| e.as_str()) == Some("Object Not Found"))
}

fn is_transport(e: &BrokerError) -> bool {
    matches!(
        e.kind,
        BrokerErrorKind::Unreachable
            | BrokerErrorKind::Timeout
            | BrokerErrorKind::Dns
            | BrokerErrorKind::TlsMismatch
    )
}

/// A request's URL as errors show it: without its query, which holds Warren's own column list
/// (hundreds of characters of noise in front of what the operator must read).
fn shown(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}

/// `{base}/api/{path}`, keeping a path prefix in the base URL (reverse proxies, `path_prefix`).
pub fn api_url(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    let (p, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    url.set_path(&format!("{prefix}/api/{}", p.trim_start_matches('/')));
    url.set_query(query);
    url
}

/// Turn a non-2xx answer into what it means for the operator. The management API answers 401
/// both for a wrong password and for a user without the `management` tag; its JSON `reason`
/// tells them apart.
fn status_error(status: StatusCode, body: &[u8], url: &str, username: &str) -> BrokerError {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let reason = json
        .as_ref()
        .and_then(|j| j.get("reason").and_then(|r| r.as_str()).map(str::to_string))
        .unwrap_or_default();
    match status {
        StatusCode::UNAUTHORIZED if reason.to_lowercase().contains("not management user") => BrokerError::new(
            BrokerErrorKind::MissingManagementTag,
            format!("user `{username}` logged in but lacks the `management` tag, so it cannot use the management API ({url}). Give it the `management` tag, or `monitoring` to see every vhost: `rabbitmqctl set_user_tags {username} monitoring`"),
        ),
        StatusCode::UNAUTHORIZED => BrokerError::new(
            BrokerErrorKind::WrongCredentials,
            format!("wrong user name or password for `{username}` ({url} answered 401 Unauthorized). Re-enter the password in the environment's settings"),
        ),
        StatusCode::FORBIDDEN => BrokerError::new(
            BrokerErrorKind::Refused,
            format!("user `{username}` may not do this ({url} answered 403 Forbidden{}). It may need the `monitoring` or `administrator` tag, or permissions on the vhost", reason_suffix(&reason)),
        ),
        StatusCode::NOT_FOUND if json.is_none() || !reason.is_empty() && reason.contains("Not Found") => BrokerError::new(
            BrokerErrorKind::ManagementNotEnabled,
            format!("no RabbitMQ management API at {url} (404 Not Found): check the management URL and path prefix, and that the plugin is enabled (`rabbitmq-plugins enable rabbitmq_management`)"),
        ),
        StatusCode::NOT_FOUND => BrokerError::new(
            BrokerErrorKind::Refused,
            format!("{url}: not found{}", reason_suffix(&reason)),
        ),
        s if s.is_server_error() => BrokerError::new(
            BrokerErrorKind::Other,
            format!("the broker failed to answer {url}: {s}{}", reason_suffix(&reason)),
        ),
        s => BrokerError::new(BrokerErrorKind::Refused, format!("{url} answered {s}{}", reason_suffix(&reason))),
    }
}

fn reason_suffix(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(": {reason}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_show_the_resource_not_warrens_column_list() {
        let base = Url::parse("http://h:15672").unwrap();
        let url = api_url(&base, "queues/a%2Fb?columns=name,vhost,messages&page=2");
        let e = status_error(StatusCode::UNAUTHORIZED, b"{}", &shown(&url), "guest");
        assert!(
            e.message
                .contains("(http://h:15672/api/queues/a%2Fb answered 401"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("columns"), "{}", e.message);
    }

    #[test]
    fn api_urls_keep_the_path_prefix_and_query() {
        let base = Url::parse("https://proxy.example/rabbit/").unwrap();
        assert_eq!(
            api_url(&base, "overview").as_str(),
            "https://proxy.example/rabbit/api/overview"
        );
        let base = Url::parse("http://h:15672").unwrap();
        assert_eq!(
            api_url(&base, "/queues?page=2&page_size=500").as_str(),
            "http://h:15672/api/queues?page=2&page_size=500"
        );
    }

    #[test]
    fn a_401_without_management_tag_is_told_apart_from_a_wrong_password() {
        let e = status_error(
            StatusCode::UNAUTHORIZED,
            br#"{"error":"not_authorised","reason":"Not management user"}"#,
            "u",
            "bob",
        );
        assert_eq!(e.kind, BrokerErrorKind::MissingManagementTag);
        let e = status_error(
            StatusCode::UNAUTHORIZED,
            br#"{"error":"not_authorised","reason":"Login failed"}"#,
            "u",
            "bob",
        );
        assert_eq!(e.kind, BrokerErrorKind::WrongCredentials);
    }

    #[test]
    fn an_html_404_means_no_management_api_there() {
        let e = status_error(
            StatusCode::NOT_FOUND,
            b"<html>nope</html>",
            "http://h/api/overview",
            "bob",
        );
        assert_eq!(e.kind, BrokerErrorKind::ManagementNotEnabled);
    }
}
