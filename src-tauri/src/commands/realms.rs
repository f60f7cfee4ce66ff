//! Realm commands over the session's loaded inventory: totals, the live preview of a template
//! being edited, realm policies, dead letters per realm, consumers.

use tauri::State;
use warren_core::realms::consumers::RealmConsumers;
use warren_core::realms::policy::{PolicyPlan, PolicyRequest, WarrenPolicy};
use warren_core::realms::{Preview, RealmView};
use warren_core::{ErrorReport, Session};

#[tauri::command]
pub async fn realms_summary(
    s: State<'_, Session>,
    env_id: String,
    vhost: Option<String>,
) -> Result<RealmView, ErrorReport> {
    Ok(s.realm_summary(&env_id, vhost.as_deref())?)
}

#[tauri::command]
pub async fn realms_preview(
    s: State<'_, Session>,
    env_id: String,
    template: String,
) -> Result<Preview, ErrorReport> {
    Ok(s.realm_preview(&env_id, &template)?)
}

/// The plan, and with `request.apply` the policy declared (the plan is computed in the core
/// both times, never taken from the window).
#[tauri::command]
pub async fn realms_policy(
    s: State<'_, Session>,
    env_id: String,
    request: PolicyRequest,
) -> Result<PolicyPlan, ErrorReport> {
    Ok(s.realm_policy(&env_id, &request).await?)
}

#[tauri::command]
pub async fn realms_policies(
    s: State<'_, Session>,
    env_id: String,
) -> Result<Vec<WarrenPolicy>, ErrorReport> {
    Ok(s.realm_policies(&env_id).await?)
}

#[tauri::command]
pub async fn realms_policy_remove(
    s: State<'_, Session>,
    env_id: String,
    vhost: String,
    name: String,
) -> Result<(), ErrorReport> {
    Ok(s.realm_policy_remove(&env_id, &vhost, &name).await?)
}

#[tauri::command]
pub async fn realms_dead_letters(
    s: State<'_, Session>,
    env_id: String,
    scan: bool,
    vhost: Option<String>,
) -> Result<RealmView, ErrorReport> {
    Ok(s.realm_dead_letters(&env_id, scan, vhost.as_deref())
        .await?)
}

#[tauri::command]
pub async fn realms_consumers(
    s: State<'_, Session>,
    env_id: String,
    realm: String,
    worker: Option<String>,
    vhost: Option<String>,
) -> Result<RealmConsumers, ErrorReport> {
    Ok(
        s.realm_consumers(&env_id, &realm, worker.as_deref(), vhost.as_deref())
            .await?,
    )
}
