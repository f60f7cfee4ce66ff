//! Queue commands: refresh the environment's inventory (kept in the shell's state), and
//! filter it by the core's filter language, returning only the matching row indices.

use tauri::State;
use warren_core::queues::cache::{FilterOutcome, InventoryCache};
use warren_core::queues::Inventory;
use warren_core::{EnvironmentStore, ErrorReport};

/// Requires the `management` tag. Does not modify state.
#[tauri::command]
pub async fn queues_refresh(
    store: State<'_, EnvironmentStore>,
    cache: State<'_, InventoryCache>,
    env_id: String,
) -> Result<Inventory, ErrorReport> {
    let (env, password) = store.with_password(&env_id, None).map_err(|e| ErrorReport::from(&e))?;
    let inventory = cache.refresh(&env, password).await.map_err(|e| ErrorReport::from(&e))?;
    Ok((*inventory).clone())
}

#[tauri::command]
pub async fn queues_filter(cache: State<'_, InventoryCache>, env_id: String, query: String) -> Result<FilterOutcome, ErrorReport> {
    Ok(cache.filter(&env_id, &query))
}
