//! The environment requests that take more than one step: arming writes, testing a saved or an
//! edited environment, its deprecated features, importing rabbitmqadmin's config, the logs link.

use secrecy::SecretString;

use super::Session;
use crate::connection_test::{test_connection, ConnectionReport};
use crate::deprecations::{check_deprecations, DeprecationReport};
use crate::environment::{Environment, EnvironmentView};
use crate::error::{Error, Result};
use crate::logs::LogsTarget;
use crate::rabbitmqadmin_import::{self, ImportReport};

impl Session {
    /// Let a read-only environment's writes through for `minutes` (this process only; audited).
    pub fn arm(&self, env_id: &str, minutes: u32) -> Result<EnvironmentView> {
        crate::guard::arm(&self.store.get(env_id)?, minutes)?;
        self.store.view(env_id)
    }

    /// End an arming early: the environment is read-only again.
    pub fn disarm(&self, env_id: &str) -> Result<EnvironmentView> {
        crate::guard::disarm(&self.store.get(env_id)?);
        self.store.view(env_id)
    }

    /// Test a saved environment, or an edited one before it is saved (`edited`); `password`
    /// (typed in the form) is used for this test only, else the keyring's. Requires the
    /// `management` tag and vhost access. Does not modify state.
    pub async fn test_environment(
        &self,
        env_id: &str,
        edited: Option<Environment>,
        password: Option<SecretString>,
    ) -> Result<ConnectionReport> {
        let env = match edited {
            Some(e) => {
                e.validate()?;
                e
            }
            None => self.store.get(env_id)?,
        };
        let password = self
            .store
            .password(env_id, password.or(self.password.clone()))?;
        Ok(test_connection(&env, password).await)
    }

    /// Deprecated features the environment uses (classic mirroring policies, and what a 4.x
    /// broker reports in use). Requires the `management` tag. Does not modify state.
    pub async fn deprecations(&self, env_id: &str) -> Result<DeprecationReport> {
        let (env, password) = self.connect(env_id)?;
        check_deprecations(&env, password).await
    }

    /// Add the environments of a rabbitmqadmin config file (`None` or blank: `~/.rabbitmqadmin.conf`).
    pub fn import_rabbitmqadmin(&self, path: Option<&str>) -> Result<ImportReport> {
        let path = path
            .filter(|p| !p.trim().is_empty())
            .map(std::path::PathBuf::from)
            .or_else(rabbitmqadmin_import::default_path)
            .ok_or_else(|| Error::FileRead {
                path: "~/.rabbitmqadmin.conf".into(),
                reason: "no home directory".into(),
            })?;
        rabbitmqadmin_import::apply(&self.store, &path)
    }

    /// The environment's logs link filled for `target`; `None`: the environment has none.
    pub fn logs_link(&self, env_id: &str, target: &LogsTarget) -> Result<Option<String>> {
        let env = self.store.get(env_id)?;
        Ok(env
            .logs_url
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(|template| crate::logs::render(template, target)))
    }
}
