//! The environments an operator has: the config file for their settings plus the keyring for
//! their passwords, kept in step (create, edit, duplicate, remove, first start).

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Serialize;
use ts_rs::TS;

use crate::config::{config_dir, ConfigFile, CONFIG_FILE};
use crate::environment::{validate_id, Environment, EnvironmentView};
use crate::error::{Error, FieldError, Result};
use crate::secrets::Keyring;

/// What a first start did, so the UI and CLI can say it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FirstStart {
    /// True when this call created the config with the `local` environment.
    pub created: bool,
    /// Why the `local` password could not be stored, if it could not.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// What the app needs to open: the first-start outcome and the environment to show.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AppStart {
    pub first_start: FirstStart,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_environment: Option<String>,
    pub config_path: String,
    /// The environments, so the window can render its list without a second round trip.
    pub environments: Vec<EnvironmentView>,
}

#[derive(Debug, Clone)]
pub struct EnvironmentStore {
    path: PathBuf,
    keyring: Keyring,
    /// Environment changes are audited by the default store (the app's and the CLI's).
    audited: bool,
}

impl EnvironmentStore {
    /// The store in the platform config dir (or `WARREN_CONFIG_DIR`) with the OS keyring.
    pub fn open_default() -> Self {
        EnvironmentStore {
            audited: true,
            ..Self::new(&config_dir(), Keyring::default())
        }
    }

    /// A store in `dir` (tests, tools); its changes are not audited.
    pub fn new(dir: &Path, keyring: Keyring) -> Self {
        EnvironmentStore {
            path: dir.join(CONFIG_FILE),
            keyring,
            audited: false,
        }
    }

    /// Record an environment change (never the password: only whether it changed). `before`:
    /// the settings an update replaces, so the record says which fields changed.
    fn audit<T>(
        &self,
        action: &'static str,
        env: &Environment,
        before: Option<&Environment>,
        started: std::time::Instant,
        result: &Result<T>,
        password_changed: bool,
    ) {
        if self.audited {
            let a = crate::audit::Action::new(
                action,
                None,
                vec![env.id.clone()],
                change_details(before, env, password_changed),
            );
            crate::audit::record(env, a, started, result, |_| serde_json::Value::Null);
        }
    }

    pub fn config_path(&self) -> &Path {
        &self.path
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    fn load(&self) -> Result<ConfigFile> {
        Ok(ConfigFile::load(&self.path)?.unwrap_or_default())
    }

    /// On the very first start (no config file), create the `local` environment and put the
    /// stock `guest` password in the keyring. A missing keyring does not block the start: the
    /// environment is created without a secret and the warning says why.
    pub fn ensure_first_start(&self) -> Result<FirstStart> {
        if ConfigFile::load(&self.path)?.is_some() {
            return Ok(FirstStart {
                created: false,
                warning: None,
            });
        }
        // Two first starts at once (the app and a script) create `local` once.
        ConfigFile::update(&self.path, |cfg, existed| {
            if existed {
                return Ok(FirstStart {
                    created: false,
                    warning: None,
                });
            }
            let local = Environment::local_default();
            let warning = self
                .keyring
                .set(&local.id, &SecretString::from("guest"))
                .err()
                .map(|e| e.to_string());
            cfg.last_environment = Some(local.id.clone());
            cfg.environments = vec![local];
            Ok(FirstStart {
                created: true,
                warning,
            })
        })
    }

    /// First start if needed, then which environment to open.
    pub fn app_start(&self) -> Result<AppStart> {
        let t = std::time::Instant::now();
        let first_start = self.ensure_first_start()?;
        let created_ms = t.elapsed().as_millis() as u64;
        let start = AppStart {
            first_start,
            last_environment: self.last_environment()?,
            config_path: self.path.display().to_string(),
            environments: self.list()?,
        };
        tracing::info!(
            created_ms,
            elapsed_ms = t.elapsed().as_millis() as u64,
            "start-up: environments listed"
        );
        Ok(start)
    }

    /// Every environment with whether it has a stored password. A keyring that cannot be reached
    /// shows as `has_secret: false` rather than hiding the list.
    pub fn list(&self) -> Result<Vec<EnvironmentView>> {
        let cfg = self.load()?;
        Ok(cfg
            .environments
            .into_iter()
            .map(|environment| {
                let has_secret = self.keyring.has(&environment.id).unwrap_or(false);
                EnvironmentView {
                    armed_until: crate::guard::armed_until(&environment.id),
                    environment,
                    has_secret,
                }
            })
            .collect())
    }

    pub fn get(&self, id: &str) -> Result<Environment> {
        self.load()?
            .environments
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| Error::UnknownEnvironment(id.to_string()))
    }

    pub fn view(&self, id: &str) -> Result<EnvironmentView> {
        let environment = self.get(id)?;
        let has_secret = self.keyring.has(id).unwrap_or(false);
        Ok(EnvironmentView {
            armed_until: crate::guard::armed_until(id),
            environment,
            has_secret,
        })
    }

    /// Add an environment. The password, if given, goes to the keyring first: if the keyring
    /// refuses it, nothing is saved.
    pub fn create(
        &self,
        env: Environment,
        password: Option<&SecretString>,
    ) -> Result<EnvironmentView> {
        let started = std::time::Instant::now();
        let audit_env = env.clone();
        let result = self.insert(env, password);
        self.audit(
            "environment.create",
            &audit_env,
            None,
            started,
            &result,
            password.is_some(),
        );
        result
    }

    fn insert(&self, env: Environment, password: Option<&SecretString>) -> Result<EnvironmentView> {
        env.validate()?;
        let id = env.id.clone();
        ConfigFile::update(&self.path, |cfg, _| {
            if cfg.environments.iter().any(|e| e.id == env.id) {
                return Err(Error::DuplicateEnvironment(env.id));
            }
            if let Some(p) = password {
                self.keyring.set(&env.id, p)?;
            }
            cfg.environments.push(env);
            Ok(())
        })?;
        self.view(&id)
    }

    /// Replace the settings of `id` (the id itself cannot change: it names the keyring entry).
    /// A new password replaces the stored one; `None` keeps it.
    pub fn update(
        &self,
        id: &str,
        env: Environment,
        password: Option<&SecretString>,
    ) -> Result<EnvironmentView> {
        let started = std::time::Instant::now();
        let audit_env = env.clone();
        let before = self.get(id).ok();
        let result = self.replace(id, env, password);
        self.audit(
            "environment.update",
            &audit_env,
            before.as_ref(),
            started,
            &result,
            password.is_some(),
        );
        result
    }

    fn replace(
        &self,
        id: &str,
        env: Environment,
        password: Option<&SecretString>,
    ) -> Result<EnvironmentView> {
        if env.id != id {
            return Err(Error::Invalid(vec![FieldError {
                field: "id".into(),
                message: "the id of an existing environment cannot change; duplicate it under the new id instead".into(),
            }]));
        }
        env.validate()?;
        ConfigFile::update(&self.path, |cfg, _| {
            let slot = cfg
                .environments
                .iter_mut()
                .find(|e| e.id == id)
                .ok_or_else(|| Error::UnknownEnvironment(id.to_string()))?;
            if let Some(p) = password {
                self.keyring.set(id, p)?;
            }
            *slot = env;
            Ok(())
        })?;
        self.view(id)
    }

    /// Copy `id` under `new_id` (settings and, when present, the password).
    pub fn duplicate(
        &self,
        id: &str,
        new_id: &str,
        new_name: Option<&str>,
    ) -> Result<EnvironmentView> {
        validate_id(new_id).map_err(|message| {
            Error::Invalid(vec![FieldError {
                field: "id".into(),
                message,
            }])
        })?;
        let mut copy = self.get(id)?;
        copy.id = new_id.to_string();
        copy.name = new_name
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} (copy)", copy.name));
        let secret = self.keyring.get(id).ok().flatten();
        self.create(copy, secret.as_ref())
    }

    /// Remove the environment and its keyring entry. If the keyring cannot be reached the
    /// environment stays, so no orphaned password is left behind unnoticed.
    pub fn remove(&self, id: &str) -> Result<()> {
        let started = std::time::Instant::now();
        let env = self.get(id)?;
        let result = self.delete(id);
        self.audit("environment.remove", &env, None, started, &result, false);
        result
    }

    fn delete(&self, id: &str) -> Result<()> {
        ConfigFile::update(&self.path, |cfg, _| {
            let before = cfg.environments.len();
            cfg.environments.retain(|e| e.id != id);
            if cfg.environments.len() == before {
                return Err(Error::UnknownEnvironment(id.to_string()));
            }
            self.keyring.delete(id)?;
            // The jump host key's passphrase goes with it.
            self.keyring
                .delete(&crate::broker::tunnel::passphrase_account(id))?;
            if cfg.last_environment.as_deref() == Some(id) {
                cfg.last_environment = cfg.environments.first().map(|e| e.id.clone());
            }
            Ok(())
        })
    }

    /// Store (or replace) only the password of an environment.
    pub fn set_password(&self, id: &str, password: &SecretString) -> Result<()> {
        let started = std::time::Instant::now();
        let env = self.get(id)?;
        let result = self.keyring.set(id, password);
        self.audit("environment.password", &env, None, started, &result, true);
        result
    }

    /// The password to connect with: the one given for this run, else the keyring's.
    pub fn password(&self, id: &str, for_this_run: Option<SecretString>) -> Result<SecretString> {
        if let Some(p) = for_this_run {
            return Ok(p);
        }
        self.keyring
            .get(id)?
            .ok_or_else(|| Error::MissingSecret(id.to_string()))
    }

    /// An environment and the password to connect with (see `password`).
    pub fn with_password(
        &self,
        id: &str,
        for_this_run: Option<SecretString>,
    ) -> Result<(Environment, SecretString)> {
        let env = self.get(id)?;
        Ok((env, self.password(id, for_this_run)?))
    }

    /// Store (or, with `None`, remove) the passphrase of the environment's jump host key, in the
    /// keyring beside its password.
    pub fn set_ssh_passphrase(&self, id: &str, passphrase: Option<&SecretString>) -> Result<()> {
        self.get(id)?;
        let account = crate::broker::tunnel::passphrase_account(id);
        match passphrase {
            Some(p) => self.keyring.set(&account, p),
            None => self.keyring.delete(&account),
        }
    }

    pub fn last_environment(&self) -> Result<Option<String>> {
        let cfg = self.load()?;
        Ok(cfg
            .last_environment
            .filter(|id| cfg.environments.iter().any(|e| &e.id == id))
            .or_else(|| cfg.environments.first().map(|e| e.id.clone())))
    }

    pub fn set_last_environment(&self, id: &str) -> Result<()> {
        ConfigFile::update(&self.path, |cfg, _| {
            if !cfg.environments.iter().any(|e| e.id == id) {
                return Err(Error::UnknownEnvironment(id.to_string()));
            }
            cfg.last_environment = Some(id.to_string());
            Ok(())
        })
    }
}

/// An environment change's audit parameters: whether the password changed (never the password),
/// whether the environment is read-only, and for an update the fields that changed
/// (`changed`: field names as in the config file, `tls.verify` for a nested one, `password`).
fn change_details(
    before: Option<&Environment>,
    after: &Environment,
    password_changed: bool,
) -> serde_json::Value {
    let mut details = serde_json::json!({
        "password_changed": password_changed,
        "read_only": after.read_only,
    });
    if let Some(before) = before {
        let mut changed = changed_fields(before, after);
        if password_changed {
            changed.push("password".into());
        }
        details["changed"] = serde_json::json!(changed);
    }
    details
}

/// The fields whose values differ, compared as the config file stores them (so a field added
/// to `Environment` later is covered without a change here).
fn changed_fields(before: &Environment, after: &Environment) -> Vec<String> {
    fn walk(prefix: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
        use serde_json::Value::Object;
        match (a, b) {
            (Object(a), Object(b)) => {
                let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
                for k in keys {
                    let null = serde_json::Value::Null;
                    let name = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(
                        &name,
                        a.get(k).unwrap_or(&null),
                        b.get(k).unwrap_or(&null),
                        out,
                    );
                }
            }
            (a, b) if a != b => out.push(prefix.to_string()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let (Ok(a), Ok(b)) = (serde_json::to_value(before), serde_json::to_value(after)) else {
        return out;
    };
    walk("", &a, &b, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_says_which_fields_changed_and_never_the_password() {
        let before = Environment::local_default();
        let mut after = before.clone();
        after.read_only = true;
        after.management_urls = vec!["http://rabbit-2:15672".into()];
        after.tls.verify = !before.tls.verify;
        after.realm_template = Some("{worker}.{realm}".into());
        let d = change_details(Some(&before), &after, true);
        assert_eq!(
            d["changed"],
            serde_json::json!([
                "management_urls",
                "read_only",
                "realm_template",
                "tls.verify",
                "password"
            ])
        );
        assert_eq!(d["password_changed"], true);
        assert_eq!(d["read_only"], true);
        assert!(
            !d.to_string().contains("guest"),
            "no secret, no user name: {d}"
        );

        let same = change_details(Some(&before), &before, false);
        assert_eq!(same["changed"], serde_json::json!([]));
        assert_eq!(same["password_changed"], false);
        let created = change_details(None, &before, true);
        assert!(created.get("changed").is_none(), "a creation has no before");
    }
}
