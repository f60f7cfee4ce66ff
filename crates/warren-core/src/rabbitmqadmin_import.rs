//! Import the sections of rabbitmqadmin-ng's `~/.rabbitmqadmin.conf` as environments, moving
//! their passwords into the keyring. Parsing is pure (`plan`); `apply` writes through the store.

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Serialize;
use toml::Value;
use ts_rs::TS;

use crate::environment::{Environment, Tier, TlsSettings};
use crate::error::{Error, Result};
use crate::store::EnvironmentStore;

/// `~/.rabbitmqadmin.conf`, where rabbitmqadmin-ng looks by default.
pub fn default_path() -> Option<PathBuf> {
    directories::UserDirs::new().map(|d| d.home_dir().join(".rabbitmqadmin.conf"))
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ImportedSection {
    pub section: String,
    pub id: String,
    pub has_secret: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SkippedSection {
    pub section: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct ImportReport {
    pub path: String,
    pub imported: Vec<ImportedSection>,
    pub skipped: Vec<SkippedSection>,
}

/// One section turned into an environment (and its password, if the section had one).
pub struct Candidate {
    pub section: String,
    pub environment: Environment,
    pub password: Option<SecretString>,
}

/// Parse the file's text into candidates and sections skipped with a reason. Never panics on
/// odd input: a TOML syntax error is an error naming the line; an odd section is skipped.
pub fn plan(text: &str) -> std::result::Result<(Vec<Candidate>, Vec<SkippedSection>), String> {
    let doc: toml::Table =
        toml::from_str(text).map_err(|e| format!("not a valid rabbitmqadmin.conf (TOML): {e}"))?;
    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    for (section, value) in doc {
        let skip = |reason: String| SkippedSection {
            section: section.clone(),
            reason,
        };
        let Value::Table(t) = value else {
            skipped.push(skip("not a section (a top-level key)".into()));
            continue;
        };
        match section_to_environment(&section, &t) {
            Ok((environment, password)) => match environment.validate() {
                Ok(()) => candidates.push(Candidate {
                    section,
                    environment,
                    password,
                }),
                Err(e) => skipped.push(skip(e.to_string())),
            },
            Err(reason) => skipped.push(skip(reason)),
        }
    }
    Ok((candidates, skipped))
}

fn section_to_environment(
    section: &str,
    t: &toml::Table,
) -> std::result::Result<(Environment, Option<SecretString>), String> {
    let text = |k: &str| -> std::result::Result<Option<String>, String> {
        match t.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Some(Value::Integer(i)) => Ok(Some(i.to_string())),
            Some(Value::Boolean(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(format!("`{k}` has an unexpected type")),
        }
    };
    let tls_on = matches!(text("tls")?.as_deref(), Some("true"))
        || matches!(text("scheme")?.as_deref(), Some("https"))
        || text("base_uri")?.is_some_and(|u| u.starts_with("https://"));
    let host = text("hostname")?.unwrap_or_else(|| "localhost".into());
    let port: u32 = match text("port")? {
        Some(p) => p
            .parse()
            .map_err(|_| format!("port `{p}` is not a number"))?,
        None if tls_on => 15671,
        None => 15672,
    };
    let management_url = match text("base_uri")? {
        // rabbitmqadmin-ng's base_uri may end in /api; our URLs are the management root.
        Some(u) => u.trim_end_matches('/').trim_end_matches("/api").to_string(),
        None => {
            let scheme = if tls_on { "https" } else { "http" };
            let prefix = text("path_prefix")?
                .map(|p| format!("/{}", p.trim_matches('/')))
                .unwrap_or_default();
            let prefix = if prefix == "/" { String::new() } else { prefix };
            format!("{scheme}://{}:{port}{prefix}", bracket_ipv6(&host))
        }
    };
    let amqp_host = url::Url::parse(&management_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or(host);
    // rabbitmqadmin.conf has no AMQP settings: assume the standard port on the same host.
    let amqp_url = if tls_on {
        format!("amqps://{}:5671", bracket_ipv6(&amqp_host))
    } else {
        format!("amqp://{}:5672", bracket_ipv6(&amqp_host))
    };
    let vhost = text("vhost")?
        .or(text("virtual_host")?)
        .filter(|v| v != "/");
    let id = sanitize_id(section);
    let environment = Environment {
        alerts: Vec::new(),
        ssh: None,
        id,
        name: section.to_string(),
        tier: guess_tier(section),
        management_urls: vec![management_url],
        amqp_urls: vec![amqp_url],
        username: text("username")?.unwrap_or_else(|| "guest".into()),
        vhost,
        tls: TlsSettings {
            verify: true,
            ca_bundle: text("ca_certificate_bundle_path")?,
            client_cert: text("client_certificate_file_path")?,
            client_key: text("client_private_key_file_path")?,
        },
        read_only: false,
        realm_template: None,
        realm_exclude: Vec::new(),
        logs_url: None,
        prometheus_url: None,
    };
    let password = text("password")?.map(SecretString::from);
    Ok((environment, password))
}

fn bracket_ipv6(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

fn sanitize_id(section: &str) -> String {
    let id: String = section
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    id.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .chars()
        .take(64)
        .collect()
}

/// Section names like `prod-eu` or `production` say the tier; treat them as such so the
/// guard rails apply from the first minute.
fn guess_tier(section: &str) -> Tier {
    let s = section.to_lowercase();
    if s.contains("prod") {
        Tier::Prod
    } else if s.contains("stag") {
        Tier::Staging
    } else {
        Tier::Dev
    }
}

/// Import the file at `path` into the store. Sections whose id already exists are skipped.
pub fn apply(store: &EnvironmentStore, path: &Path) -> Result<ImportReport> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::FileRead {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let (candidates, mut skipped) = plan(&text).map_err(|reason| Error::FileRead {
        path: path.display().to_string(),
        reason,
    })?;
    let mut imported = Vec::new();
    for c in candidates {
        let id = c.environment.id.clone();
        match store.create(c.environment, c.password.as_ref()) {
            Ok(view) => imported.push(ImportedSection {
                section: c.section,
                id,
                has_secret: view.has_secret,
            }),
            Err(Error::DuplicateEnvironment(_)) => skipped.push(SkippedSection {
                section: c.section,
                reason: format!("an environment with id `{id}` already exists"),
            }),
            Err(e) => skipped.push(SkippedSection {
                section: c.section,
                reason: e.to_string(),
            }),
        }
    }
    Ok(ImportReport {
        path: path.display().to_string(),
        imported,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Hostile input: any text is a plan or an error naming its line, never a panic.
        #[test]
        fn the_importer_never_panics(text in "(\\[[a-z ]{0,8}\\]\n|[a-z_]{1,10} ?= ?(\"[^\"\n]{0,10}\"|[0-9]{1,6}|[a-z]{0,5})\n|.{0,20}\n){0,12}") {
            if let Err(e) = plan(&text) {
                proptest::prop_assert!(!e.is_empty());
            }
        }
    }

    const SAMPLE: &str = r#"
[local]
hostname = "localhost"
port = 15672
username = "guest"
password = "guest"
vhost = "/"

["Prod EU"]
base_uri = "https://rabbit.prod.example:15671/api"
username = "ops"
password = "p"
virtual_host = "billing"
ca_certificate_bundle_path = "/etc/ca.pem"
client_certificate_file_path = "/etc/c.pem"
client_private_key_file_path = "/etc/k.pem"

[behind_proxy]
hostname = "10.0.0.5"
port = 443
tls = true
path_prefix = "/rabbitmq"
username = "u"

[broken]
hostname = "h"
port = "many"

[half_tls]
hostname = "h"
client_certificate_file_path = "/c.pem"
"#;

    #[test]
    fn sections_become_environments_with_their_settings() {
        let (c, skipped) = plan(SAMPLE).unwrap();
        let by = |id: &str| c.iter().find(|c| c.environment.id == id).unwrap();
        let local = by("local");
        assert_eq!(
            local.environment.management_urls,
            vec!["http://localhost:15672"]
        );
        assert_eq!(local.environment.amqp_urls, vec!["amqp://localhost:5672"]);
        assert_eq!(local.environment.vhost, None);
        assert_eq!(local.password.as_ref().unwrap().expose_secret(), "guest");

        let prod = by("prod-eu");
        assert_eq!(prod.environment.tier, Tier::Prod);
        assert_eq!(
            prod.environment.management_urls,
            vec!["https://rabbit.prod.example:15671"]
        );
        assert_eq!(
            prod.environment.amqp_urls,
            vec!["amqps://rabbit.prod.example:5671"]
        );
        assert_eq!(prod.environment.vhost.as_deref(), Some("billing"));
        assert_eq!(
            prod.environment.tls.client_key.as_deref(),
            Some("/etc/k.pem")
        );

        let proxy = by("behind_proxy");
        assert_eq!(
            proxy.environment.management_urls,
            vec!["https://10.0.0.5:443/rabbitmq"]
        );
        assert!(proxy.password.is_none());

        let reasons: Vec<_> = skipped
            .iter()
            .map(|s| (s.section.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons
            .iter()
            .any(|(s, r)| *s == "broken" && r.contains("not a number")));
        assert!(reasons
            .iter()
            .any(|(s, r)| *s == "half_tls" && r.contains("tls.client_key")));
    }

    #[test]
    fn a_syntax_error_is_reported_not_panicked() {
        let err = plan("[a\nb = ").err().unwrap();
        assert!(err.contains("TOML"), "{err}");
    }
}
