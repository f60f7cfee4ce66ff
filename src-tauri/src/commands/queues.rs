//! Queue commands: refresh the environment's inventory (kept in the shell's state), and
//! filter it by the core's filter language, returning only the matching row indices.

use tauri::State;
use warren_core::queues::cache::{FilterOutcome, InventoryCache};
use warren_core::queues::details::{self, QueueDetails};
use warren_core::queues::purge::{purge, PurgeReport, QueueRef};
use warren_core::queues::{Inventory, QueueRow};
use warren_core::{EnvironmentStore, ErrorReport};

/// Requires the `management` tag. Does not modify state.
#[tauri::command]
pub async fn queues_refresh(
    store: State<'_, EnvironmentStore>,
    cache: State<'_, InventoryCache>,
    env_id: String,
) -> Result<Inventory, ErrorReport> {
    let (env, password) = store
        .with_password(&env_id, None)
        .map_err(|e| ErrorReport::from(&e))?;
    let inventory = cache
        .refresh(&env, password)
        .await
        .map_err(|e| ErrorReport::from(&e))?;
    Ok((*inventory).clone())
}

#[tauri::command]
pub async fn queues_filter(
    cache: State<'_, InventoryCache>,
    env_id: String,
    query: String,
) -> Result<FilterOutcome, ErrorReport> {
    Ok(cache.filter(&env_id, &query))
}

/// Purge the given queues of the environment (`dry_run`: only list them). Refused by the core on
/// a read-only environment. Requires read permission on the queues. Modifies state.
#[tauri::command]
pub async fn queues_purge(
    store: State<'_, EnvironmentStore>,
    env_id: String,
    targets: Vec<QueueRef>,
    dry_run: bool,
) -> Result<PurgeReport, ErrorReport> {
    let (env, password) = store
        .with_password(&env_id, None)
        .map_err(|e| ErrorReport::from(&e))?;
    let rows: Vec<QueueRow> = targets
        .iter()
        .map(|t| QueueRow::named(&t.vhost, &t.name))
        .collect();
    purge(&env, &password, &rows, dry_run)
        .await
        .map_err(|e| ErrorReport::from(&e))
}

/// Bindings and consumers of one queue, for the detail drawer. Requires the `management` tag.
/// Does not modify state.
#[tauri::command]
pub async fn queue_details(
    store: State<'_, EnvironmentStore>,
    env_id: String,
    vhost: String,
    name: String,
) -> Result<QueueDetails, ErrorReport> {
    let (env, password) = store
        .with_password(&env_id, None)
        .map_err(|e| ErrorReport::from(&e))?;
    details::queue_details(&env, password, &vhost, &name)
        .await
        .map_err(|e| ErrorReport::from(&e))
}
