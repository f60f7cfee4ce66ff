//! What an environment is (one broker or cluster an operator works with) and the rules a valid
//! one obeys. Storage lives in `config.rs`, passwords in `secrets.rs`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

use crate::error::{Error, FieldError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Tier {
    #[default]
    Dev,
    Staging,
    Prod,
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "dev" | "development" => Ok(Tier::Dev),
            "staging" | "stage" => Ok(Tier::Staging),
            "prod" | "production" => Ok(Tier::Prod),
            other => Err(format!("unknown tier `{other}`: use dev, staging or prod")),
        }
    }
}

/// TLS settings shared by the management (HTTPS) and AMQPS connections of an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct TlsSettings {
    /// Verify the server certificate and host name. On unless explicitly turned off.
    pub verify: bool,
    /// PEM file with the CA certificates to trust in addition to the system ones.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<String>,
    /// PEM client certificate (mutual TLS); needs `client_key` too.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            verify: true,
            ca_bundle: None,
            client_cert: None,
            client_key: None,
        }
    }
}

/// One broker or cluster. Several URLs of the same kind are nodes of one cluster, tried in order.
/// Never holds a password: that lives in the OS keyring under (service `warren`, account = id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Environment {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub tier: Tier,
    pub management_urls: Vec<String>,
    pub amqp_urls: Vec<String>,
    pub username: String,
    /// Default vhost filter; `None` means every vhost the user can see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub vhost: Option<String>,
    #[serde(default)]
    pub tls: TlsSettings,
    #[serde(default)]
    pub read_only: bool,
    /// Queue naming template mapping a queue to (worker, realm); used by the realm views.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub realm_template: Option<String>,
    /// Queues that are not partitioned (`events.stream`, `scheduler`): names, globs
    /// (`events.*`, `*.stream`) or `/regular expressions/`. They stay unpartitioned and do not
    /// feed the template's suggestion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub realm_exclude: Vec<String>,
    /// Logs link: a URL with {worker}, {realm}, {queue} and {vhost} placeholders (e.g. Kibana).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub logs_url: Option<String>,
    /// The `rabbitmq_prometheus` endpoint (`http://host:15692`); `None`: the first management
    /// URL's scheme and host on port 15692. Warren reads queue metrics there when it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub prometheus_url: Option<String>,
    /// Alert rules, evaluated on every sample of this environment's queues (`crate::alerts`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<crate::alerts::AlertRule>>")]
    pub alerts: Vec<crate::alerts::AlertRule>,
    /// The SSH jump host the brokers are reached through (`None`: directly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ssh: Option<crate::broker::tunnel::SshJump>,
}

impl Environment {
    /// The environment every first start creates, so the app works at once on a local broker.
    pub fn local_default() -> Self {
        Environment {
            id: "local".into(),
            name: "local".into(),
            tier: Tier::Dev,
            management_urls: vec!["http://127.0.0.1:15672".into()],
            amqp_urls: vec!["amqp://127.0.0.1:5672".into()],
            username: "guest".into(),
            vhost: None,
            tls: TlsSettings::default(),
            read_only: false,
            realm_template: None,
            realm_exclude: Vec::new(),
            logs_url: None,
            prometheus_url: None,
            alerts: Vec::new(),
            ssh: None,
        }
    }

    /// Check every field and report all problems at once, each against its field.
    pub fn validate(&self) -> Result<()> {
        let mut errors = Vec::new();
        let mut push = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.to_string(),
                message,
            })
        };
        if let Err(m) = validate_id(&self.id) {
            push("id", m);
        }
        if self.name.trim().is_empty() {
            push(
                "name",
                "give the environment a name, e.g. `staging EU`".into(),
            );
        }
        if self.username.trim().is_empty() {
            push("username", "enter the RabbitMQ user name".into());
        }
        if self.management_urls.is_empty() {
            push(
                "management_urls",
                "add at least one management URL, e.g. http://rabbit.internal:15672".into(),
            );
        }
        for (i, u) in self.management_urls.iter().enumerate() {
            if let Err(m) = validate_url(u, &["http", "https"]) {
                push(&format!("management_urls[{i}]"), m);
            }
        }
        if self.amqp_urls.is_empty() {
            push(
                "amqp_urls",
                "add at least one AMQP URL, e.g. amqp://rabbit.internal:5672".into(),
            );
        }
        for (i, u) in self.amqp_urls.iter().enumerate() {
            if let Err(m) = validate_url(u, &["amqp", "amqps"]) {
                push(&format!("amqp_urls[{i}]"), m);
            }
        }
        if let Some(u) = self
            .prometheus_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            if let Err(m) = validate_url(u.trim(), &["http", "https"]) {
                push("prometheus_url", m);
            }
        }
        match (&self.tls.client_cert, &self.tls.client_key) {
            (Some(_), None) => push(
                "tls.client_key",
                "a client certificate needs its private key file too".into(),
            ),
            (None, Some(_)) => push(
                "tls.client_cert",
                "a client key needs its certificate file too".into(),
            ),
            _ => {}
        }
        for (field, path) in [
            ("tls.ca_bundle", &self.tls.ca_bundle),
            ("tls.client_cert", &self.tls.client_cert),
            ("tls.client_key", &self.tls.client_key),
        ] {
            if let Some(p) = path {
                if p.trim().is_empty() {
                    push(field, "empty path: leave the field out instead".into());
                }
            }
        }
        if let Some(u) = self.logs_url.as_deref().filter(|u| !u.trim().is_empty()) {
            if let Err(m) = crate::logs::validate(u) {
                push("logs_url", m);
            }
        }
        if let Some(t) = self.realm_template.as_deref().map(str::trim) {
            if !t.is_empty() && !t.eq_ignore_ascii_case(crate::template::AUTO) {
                if let Err(e) = crate::template::RealmTemplate::parse(t) {
                    push("realm_template", e.0);
                }
            }
        }
        if let Err(bad) = crate::template::Exclusions::parse(&self.realm_exclude) {
            for (i, message) in bad {
                push(&format!("realm_exclude[{i}]"), message);
            }
        }
        if let Some(j) = &self.ssh {
            if j.host.trim().is_empty() || j.host.contains(char::is_whitespace) {
                push(
                    "ssh.host",
                    "the jump host: a host name or an alias of ~/.ssh/config, without spaces"
                        .into(),
                );
            }
            if j.port == Some(0) {
                push("ssh.port", "a port between 1 and 65535".into());
            }
            if let Some(k) = &j.key_file {
                if !crate::broker::tunnel::readable(k) {
                    push("ssh.key_file", format!("no readable key file at `{k}`"));
                }
            }
        }
        for (i, message) in crate::alerts::rules::check_all(&self.alerts) {
            push(&format!("alerts[{i}]"), message);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(errors))
        }
    }
}

/// Ids name the keyring account and appear in scripts (`--env ID`): keep them plain.
pub fn validate_id(id: &str) -> std::result::Result<(), String> {
    if id.is_empty() {
        return Err("enter an id, e.g. `staging-eu` (letters, digits, - and _)".into());
    }
    if id.len() > 64 {
        return Err("an id has at most 64 characters".into());
    }
    let ok_chars = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if !ok_chars || !id.chars().next().unwrap().is_ascii_alphanumeric() {
        return Err(format!(
            "`{id}` is not a valid id: start with a letter or digit, then use letters, digits, `-`, `_` or `.`"
        ));
    }
    Ok(())
}

/// A URL is usable when it parses, has an allowed scheme, a host, a port in range and no
/// credentials (they would be stored in plain text; the password belongs in the keyring).
pub fn validate_url(raw: &str, schemes: &[&str]) -> std::result::Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("empty URL".into());
    }
    let expected = schemes.join(" or ");
    let url = Url::parse(raw).map_err(|e| match e {
        url::ParseError::InvalidPort => {
            format!("`{raw}`: port out of range (use 1-65535)")
        }
        url::ParseError::EmptyHost => format!("`{raw}`: missing host"),
        url::ParseError::RelativeUrlWithoutBase => {
            format!("`{raw}` is not a URL: start it with {}://", schemes[0])
        }
        other => format!("`{raw}` is not a valid URL: {other}"),
    })?;
    if !schemes.contains(&url.scheme()) {
        return Err(format!(
            "`{raw}`: scheme must be {expected}, not `{}`",
            url.scheme()
        ));
    }
    match url.host_str() {
        None | Some("") => return Err(format!("`{raw}`: missing host")),
        _ => {}
    }
    if url.port() == Some(0) {
        return Err(format!("`{raw}`: port out of range (use 1-65535)"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "`{}`: remove the user name and password from the URL; enter them in the username and password fields (the password goes to the OS keyring)",
            redact_userinfo(&url)
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{raw}`: a query or fragment is not allowed here"));
    }
    Ok(url)
}

fn redact_userinfo(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// An environment as the UI and `env list --json` show it: the stored fields plus whether a
/// password is in the keyring (never the password itself).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EnvironmentView {
    #[serde(flatten)]
    #[ts(flatten)]
    pub environment: Environment,
    pub has_secret: bool,
    /// A read-only environment whose writes are armed until then (Unix seconds; this process
    /// only, see `guard::arm`).
    #[ts(optional, type = "number")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub armed_until: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment::local_default()
    }

    fn fields(e: Environment) -> Vec<String> {
        match e.validate() {
            Err(Error::Invalid(f)) => f.into_iter().map(|f| f.field).collect(),
            Err(other) => panic!("unexpected error {other}"),
            Ok(()) => vec![],
        }
    }

    #[test]
    fn the_local_default_is_valid() {
        assert!(env().validate().is_ok());
    }

    #[test]
    fn every_bad_field_is_reported_against_its_name() {
        let mut e = env();
        e.id = "bad id".into();
        e.name = " ".into();
        e.management_urls = vec!["http://ok:15672".into(), "ftp://x".into()];
        e.amqp_urls = vec![];
        e.tls.client_cert = Some("/c.pem".into());
        assert_eq!(
            fields(e),
            vec![
                "id",
                "name",
                "management_urls[1]",
                "amqp_urls",
                "tls.client_key"
            ]
        );
    }

    #[test]
    fn the_prometheus_url_is_optional_but_must_be_http() {
        let mut e = env();
        e.prometheus_url = Some("http://prom.internal:15692".into());
        assert!(fields(e.clone()).is_empty());
        e.prometheus_url = Some("amqp://prom:15692".into());
        assert_eq!(fields(e.clone()), ["prometheus_url"]);
        e.prometheus_url = Some(" ".into());
        assert!(fields(e).is_empty(), "blank means the default");
    }

    #[test]
    fn a_port_out_of_range_says_so() {
        let err = validate_url("http://host:70000", &["http"]).unwrap_err();
        assert!(err.contains("port out of range"), "{err}");
        let err = validate_url("amqp://host:0", &["amqp"]).unwrap_err();
        assert!(err.contains("port out of range"), "{err}");
    }

    #[test]
    fn a_missing_host_says_so() {
        let err = validate_url("http://:15672", &["http"]).unwrap_err();
        assert!(err.contains("missing host"), "{err}");
        let err = validate_url("localhost:15672", &["http"]).unwrap_err();
        assert!(err.contains("scheme") || err.contains("not a URL"), "{err}");
    }

    #[test]
    fn credentials_in_a_url_are_refused_without_echoing_them() {
        let err = validate_url("amqp://bob:s3cret@host:5672", &["amqp"]).unwrap_err();
        assert!(err.contains("keyring"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn ids_are_plain() {
        assert!(validate_id("staging-eu_2").is_ok());
        assert!(validate_id("-x").is_err());
        assert!(validate_id("a/b").is_err());
        assert!(validate_id("").is_err());
    }

    #[test]
    fn a_bad_realm_exclusion_is_a_field_error_saying_what_to_write() {
        let mut e = env();
        e.realm_exclude = vec!["events.*".into(), "*.stream".into(), "orders.[".into()];
        let Err(Error::Invalid(f)) = e.validate() else {
            panic!("a bad glob must be refused")
        };
        assert_eq!(f[0].field, "realm_exclude[2]");
        assert!(
            f[0].message.contains("not a valid glob"),
            "{}",
            f[0].message
        );
        e.realm_exclude.pop();
        assert!(e.validate().is_ok());
    }

    #[test]
    fn tiers_parse_from_common_spellings() {
        assert_eq!("production".parse::<Tier>().unwrap(), Tier::Prod);
        assert!("qa".parse::<Tier>().is_err());
    }
}
