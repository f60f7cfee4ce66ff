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

    /// Record an environment change (never the password: only whether it changed).
    fn audit<T>(
        &self,
        action: &'static str,
        env: &Environment,
        started: std::time::Instant,
        result: &Result<T>,
        password_changed: bool,
    ) {
        if self.audited {
            let a = crate::audit::Action::new(
                action,
                None,
                vec![env.id.clone()],
                serde_json::json!({ "password_changed": password_changed, "read_only": env.read_only }),
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
        let first_start = self.ensure_first_start()?;
        Ok(AppStart {
            first_start,
            last_environment: self.last_environment()?,
            config_path: self.path.display().to_string(),
            environments: self.list()?,
        })
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
        let result = self.replace(id, env, password);
        self.audit(
            "environment.update",
            &audit_env,
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
        self.audit("environment.remove", &env, started, &result, false);
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
        self.audit("environment.password", &env, started, &result, true);
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
