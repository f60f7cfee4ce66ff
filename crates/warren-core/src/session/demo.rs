//! The demo topology from the window: an environment whose queue list is empty offers it.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::Session;
use crate::broker::management::ManagementClient;
use crate::broker::BrokerErrorKind;
use crate::demo::{self, DemoReport};
use crate::error::{Error, Result};

impl Session {
    /// Seed the demo topology (see `crate::demo`, as `warren demo seed`) into the vhost the
    /// environment shows: its default vhost, else `warren-demo`. The demo recreates its vhost,
    /// so a vhost that holds queues is refused. Requires the `administrator` tag. Modifies
    /// state (through the gate: refused on a read-only environment, audited as `demo.seed`).
    pub async fn demo_seed(&self, env_id: &str) -> Result<DemoReport> {
        let (env, password) = self.connect(env_id)?;
        crate::guard::ensure_writable(&env)?;
        let vhost = env
            .vhost
            .clone()
            .unwrap_or_else(|| demo::DEFAULT_VHOST.to_string());
        let client = ManagementClient::new(&env, password.clone())?;
        let path = format!(
            "queues/{}?disable_stats=true&columns=name",
            utf8_percent_encode(&vhost, NON_ALPHANUMERIC)
        );
        let queues = match client.get_json::<Vec<serde_json::Value>>(&path).await {
            Ok((names, _)) => names.len(),
            Err(e) if e.kind == BrokerErrorKind::NotFound => 0,
            Err(e) => return Err(e.into()),
        };
        if queues > 0 {
            return Err(Error::InvalidArgument(format!(
                "vhost `{vhost}` already holds {queues} queue(s): the demo recreates its vhost, so it only fills an empty one. Run `warren demo seed --env {env_id} --vhost NAME` for another vhost"
            )));
        }
        let report = demo::seed(&env, password, &vhost).await?;
        // Just filled: the management API has no counts for them yet (see after_change).
        let queues = demo::WORKERS
            .iter()
            .flat_map(|w| demo::REALMS.iter().map(move |(r, _)| format!("{w}.{r}")))
            .chain(demo::UNPARTITIONED.iter().map(|q| q.to_string()))
            .chain([demo::DLQ_ALL.to_string(), demo::DLQ_PAYMENTS.to_string()]);
        self.cache
            .touched
            .note(env_id, queues.map(|q| (vhost.clone(), q)));
        Ok(report)
    }
}
