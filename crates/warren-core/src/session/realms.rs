//! The realm requests, over the loaded inventory: totals, the template preview, policies, dead
//! letters per realm, consumers.

use super::cache::realm_scope;
use super::Session;
use crate::deadletters::realm_dead_letters;
use crate::error::Result;
use crate::queues::rows_in;
use crate::realms::aggregate::Scope;
use crate::realms::consumers::{realm_consumers, RealmConsumers};
use crate::realms::policy::{self, PolicyPlan, PolicyRequest, WarrenPolicy};
use crate::realms::{queues_of, Preview, RealmView};

/// DLQs several realms share are read up to this many messages each to attribute them.
pub const SCAN_LIMIT: u32 = 10_000;

impl Session {
    /// Totals per realm, worker and cell of the loaded inventory in the vhost `scope` (`None`:
    /// every loaded vhost, each vhost's realms apart unless the vhost is the realm). Does not
    /// touch the broker.
    pub fn realm_summary(&self, env_id: &str, scope: Option<&str>) -> Result<RealmView> {
        self.cache.realm_summary(env_id, scope)
    }

    /// What `template` (or `auto`) would make of the loaded inventory. Does not touch the broker.
    pub fn realm_preview(&self, env_id: &str, template: &str) -> Result<Preview> {
        self.cache.realm_preview(env_id, template)
    }

    /// Plan a realm policy, and with `request.apply` declare it. Requires the `policymaker`
    /// tag. Modifies state only with `apply` (through the gate).
    pub async fn realm_policy(&self, env_id: &str, request: &PolicyRequest) -> Result<PolicyPlan> {
        let (env, password) = self.connect(env_id)?;
        let inventory = self.loaded(env_id)?;
        policy::run(&env, &password, &inventory, request).await
    }

    /// Warren's policies on the broker. Requires the `policymaker` tag. Does not modify state.
    pub async fn realm_policies(&self, env_id: &str) -> Result<Vec<WarrenPolicy>> {
        let (env, password) = self.connect(env_id)?;
        policy::list(&env, &password).await
    }

    /// Remove one of Warren's policies. Requires the `policymaker` tag. Modifies state (through
    /// the gate).
    pub async fn realm_policy_remove(&self, env_id: &str, vhost: &str, name: &str) -> Result<()> {
        let (env, password) = self.connect(env_id)?;
        policy::remove(&env, &password, vhost, name).await
    }

    /// Attribute the dead letters of the loaded inventory to realms and workers (`scan`: read
    /// the DLQs several realms share, which marks their messages redelivered) and return the
    /// realm view with them, in the vhost `scope`. Requires the `management` tag. Does not
    /// modify state (it adds and removes no message).
    pub async fn realm_dead_letters(
        &self,
        env_id: &str,
        scan: bool,
        scope: Option<&str>,
    ) -> Result<RealmView> {
        let (env, password) = self.connect(env_id)?;
        let inventory = self.loaded(env_id)?;
        let per_vhost = realm_scope(&inventory, scope) == Scope::PerVhost;
        let rows = rows_in(&inventory.rows, scope);
        let (_, dl) =
            realm_dead_letters(&env, password, &rows, scan, SCAN_LIMIT, per_vhost).await?;
        self.cache.set_dead_letters(env_id, &inventory, scope, dl);
        self.cache.realm_summary(env_id, scope)
    }

    /// The connections and consumers serving a realm (or a worker in it), in `vhost` (`None`:
    /// every loaded vhost). Requires the `management` tag. Does not modify state.
    pub async fn realm_consumers(
        &self,
        env_id: &str,
        realm: &str,
        worker: Option<&str>,
        vhost: Option<&str>,
    ) -> Result<RealmConsumers> {
        let (env, password) = self.connect(env_id)?;
        let inventory = self.loaded(env_id)?;
        let rows = rows_in(&inventory.rows, vhost);
        realm_consumers(&env, password, &queues_of(&rows, realm, worker)).await
    }
}
