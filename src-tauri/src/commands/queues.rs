//! Queue commands: refresh the environment's inventory (kept in the shell's state), and
//! filter it by the core's filter language, returning only the matching row indices.

use std::sync::atomic::Ordering;

use super::jobs::RunningJobs;
use tauri::ipc::Channel;
use tauri::State;
use warren_core::progress::Progress;
use warren_core::queues::cache::{FilterOutcome, InventoryCache, RefreshEvent};
use warren_core::queues::details::{self, QueueDetails};
use warren_core::queues::inventory::LoadEvent;
use warren_core::queues::move_messages::{move_messages, MoveReport};
use warren_core::queues::purge::{purge, PurgeReport, QueueRef};
use warren_core::queues::{Inventory, QueueRow};
use warren_core::{EnvironmentStore, ErrorReport};

/// Requires the `management` tag. Does not modify state. `on_event` gets the first page at
/// once (the window shows it while the rest loads) and then the count of pages read.
#[tauri::command]
pub async fn queues_refresh(
    store: State<'_, EnvironmentStore>,
    cache: State<'_, InventoryCache>,
    env_id: String,
    on_event: Channel<RefreshEvent>,
) -> Result<Inventory, ErrorReport> {
    let (env, password) = store
        .with_password(&env_id, None)
        .map_err(|e| ErrorReport::from(&e))?;
    // A window that went away mid-refresh cannot hear progress; the refresh still completes.
    let observe = |e: LoadEvent<'_>| drop(on_event.send(RefreshEvent::from(e)));
    let inventory = cache
        .refresh(&env, password, observe)
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
    cache: State<'_, InventoryCache>,
    env_id: String,
    targets: Vec<QueueRef>,
    dry_run: bool,
) -> Result<PurgeReport, ErrorReport> {
    let (env, password) = store
        .with_password(&env_id, None)
        .map_err(|e| ErrorReport::from(&e))?;
    // The loaded rows carry each queue's type (the core refuses to purge a stream).
    let loaded = cache.get(&env_id);
    let rows: Vec<QueueRow> = targets
        .iter()
        .map(|t| {
            loaded
                .as_ref()
                .and_then(|i| {
                    i.rows
                        .iter()
                        .find(|r| r.vhost == t.vhost && r.name == t.name)
                })
                .cloned()
                .unwrap_or_else(|| QueueRow::named(&t.vhost, &t.name))
        })
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

/// Move every message of `from` to `to` (broker shovel, ack after confirm), reporting progress
/// on `on_progress` until done or cancelled with `queues_move_cancel(move_id)`. Refused by the
/// core on a read-only environment. Requires the shovel plugin and the `policymaker` tag.
/// Modifies state.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn queues_move(
    store: State<'_, EnvironmentStore>,
    moves: State<'_, RunningJobs>,
    env_id: String,
    vhost: String,
    from: String,
    to: String,
    move_id: String,
    on_progress: Channel<Progress>,
) -> Result<MoveReport, ErrorReport> {
    let (env, password) = store
        .with_password(&env_id, None)
        .map_err(|e| ErrorReport::from(&e))?;
    let cancel = moves.start(&move_id);
    let result = move_messages(
        &env,
        &password,
        &vhost,
        &from,
        &to,
        |p| drop(on_progress.send(p)),
        || cancel.load(Ordering::SeqCst),
    )
    .await;
    moves.finish(&move_id);
    result.map_err(|e| ErrorReport::from(&e))
}

/// Ask a running move to stop (it removes its shovel; moved messages stay moved).
#[tauri::command]
pub async fn queues_move_cancel(
    moves: State<'_, RunningJobs>,
    move_id: String,
) -> Result<bool, ErrorReport> {
    Ok(moves.cancel(&move_id))
}
