//! Realm commands over the window's cached inventory: totals per realm, worker and cell, and
//! the live preview of a template being edited. Neither touches the broker.

use tauri::State;
use warren_core::queues::cache::InventoryCache;
use warren_core::realms::{Preview, RealmView};
use warren_core::{Error, ErrorReport};

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
