//! Realm commands over the window's cached inventory: totals per realm, worker and cell, the
//! live preview of a template being edited (neither touches the broker), and realm policies.

use tauri::State;
use warren_core::deadletters::realm_dead_letters;
use warren_core::queues::cache::InventoryCache;
use warren_core::realms::consumers::{realm_consumers, RealmConsumers};
use warren_core::realms::policy::{self, PolicyPlan, WarrenPolicy};
use warren_core::realms::{Preview, RealmTemplate, RealmView};
use warren_core::{EnvironmentStore, Error, ErrorReport};

fn not_loaded() -> ErrorReport {
    ErrorReport::from(&Error::InvalidArgument(
        "the queues of this environment are not loaded yet: open the Queues tab or refresh".into(),
    ))
}

/// Does not modify state.
#[tauri::command]
pub async fn realms_summary(
    cache: State<'_, InventoryCache>,
    env_id: String,
) -> Result<RealmView, ErrorReport> {
    cache.realm_summary(&env_id).ok_or_else(not_loaded)
}

/// Does not modify state.
#[tauri::command]
pub async fn realms_preview(
    cache: State<'_, InventoryCache>,
    env_id: String,
    template: String,
) -> Result<Preview, ErrorReport> {
    cache
        .realm_preview(&env_id, &template)
        .ok_or_else(not_loaded)
}

/// The template and rows of the cached inventory, for realm actions.
fn mapped(
    cache: &InventoryCache,
    env_id: &str,
) -> Result<
    (
        RealmTemplate,
        std::sync::Arc<warren_core::queues::Inventory>,
    ),
    ErrorReport,
> {
    let inventory = cache.get(env_id).ok_or_else(not_loaded)?;
    let template = inventory
        .realm_template
        .as_deref()
        .map(RealmTemplate::parse)
        .transpose()
        .map_err(|e| ErrorReport::from(&Error::InvalidArgument(e.0)))?
        .ok_or_else(|| {
            ErrorReport::from(&Error::InvalidArgument(
                "this environment has no realm template: set one with Template…".into(),
            ))
        })?;
    Ok((template, inventory))
}

/// Plan a policy for a realm (or a worker in it) on the loaded queues, and with `apply`
/// declare it (refused by the core on a read-only environment). The plan is computed here
/// both times, never taken from the window. Requires the `policymaker` tag to apply.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn realms_policy(
    store: State<'_, EnvironmentStore>,
    cache: State<'_, InventoryCache>,
    env_id: String,
    realm: String,
    worker: Option<String>,
    settings: Vec<String>,
    priority: i32,
    apply: bool,
) -> Result<PolicyPlan, ErrorReport> {
    let report = |e: Error| ErrorReport::from(&e);
    let (env, password) = store.with_password(&env_id, None).map_err(report)?;
    let (template, inventory) = mapped(&cache, &env_id)?;
    let definition = policy::definition(&settings).map_err(report)?;
    let existing = policy::existing_policies(&env, &password)
        .await
        .map_err(report)?;
    let plan = policy::plan(
        &template,
        &inventory.rows,
        &realm,
        worker.as_deref(),
        definition,
        priority,
        &existing,
    )
    .map_err(report)?;
    if apply {
        policy::apply(&env, &password, &plan)
            .await
            .map_err(report)?;
    }
    Ok(plan)
}

/// Warren's policies on the broker. Does not modify state.
#[tauri::command]
pub async fn realms_policies(
    store: State<'_, EnvironmentStore>,
    env_id: String,
) -> Result<Vec<WarrenPolicy>, ErrorReport> {
    let (env, password) = store
        .with_password(&env_id, None)
        .map_err(|e| ErrorReport::from(&e))?;
    policy::list(&env, &password)
        .await
        .map_err(|e| ErrorReport::from(&e))
}

/// Remove one of Warren's policies. Refused on a read-only environment. Modifies state.
#[tauri::command]
pub async fn realms_policy_remove(
    store: State<'_, EnvironmentStore>,
    env_id: String,
    vhost: String,
    name: String,
) -> Result<(), ErrorReport> {
    let (env, password) = store
        .with_password(&env_id, None)
        .map_err(|e| ErrorReport::from(&e))?;
    policy::remove(&env, &password, &vhost, &name)
        .await
        .map_err(|e| ErrorReport::from(&e))
}

/// Attribute the dead letters of the loaded inventory to realms and workers (`scan`: read the
/// DLQs several realms share, up to 10,000 messages each, which marks them redelivered) and
/// return the realm view with them. Does not remove or add messages.
#[tauri::command]
pub async fn realms_dead_letters(
    store: State<'_, EnvironmentStore>,
    cache: State<'_, InventoryCache>,
    env_id: String,
    scan: bool,
) -> Result<RealmView, ErrorReport> {
    let report = |e: Error| ErrorReport::from(&e);
    let (env, password) = store.with_password(&env_id, None).map_err(report)?;
    let inventory = cache.get(&env_id).ok_or_else(not_loaded)?;
    let (_, dl) = realm_dead_letters(&env, password, &inventory.rows, scan, 10_000)
        .await
        .map_err(report)?;
    cache.set_dead_letters(&env_id, &inventory, dl);
    cache.realm_summary(&env_id).ok_or_else(not_loaded)
}

/// The connections and consumers serving a realm (or a worker in it). Does not modify state.
#[tauri::command]
pub async fn realms_consumers(
    store: State<'_, EnvironmentStore>,
    cache: State<'_, InventoryCache>,
    env_id: String,
    realm: String,
    worker: Option<String>,
) -> Result<RealmConsumers, ErrorReport> {
    let report = |e: Error| ErrorReport::from(&e);
    let (env, password) = store.with_password(&env_id, None).map_err(report)?;
    let inventory = cache.get(&env_id).ok_or_else(not_loaded)?;
    let queues = warren_core::realms::queues_of(&inventory.rows, &realm, worker.as_deref());
    realm_consumers(&env, password, &queues)
        .await
        .map_err(report)
}
