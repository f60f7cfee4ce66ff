//! Queue commands: refresh the environment's inventory (kept in the session), filter it by the
//! core's filter language (only the matching row indices cross IPC), details, purge, move.

use tauri::ipc::Channel;
use tauri::State;
use warren_core::progress::Progress;
use warren_core::queues::details::QueueDetails;
use warren_core::queues::move_messages::MoveReport;
use warren_core::queues::purge::{PurgeReport, QueueRef};
use warren_core::queues::Inventory;
use warren_core::session::{FilterOutcome, RefreshEvent};
use warren_core::{ErrorReport, Session};

/// `on_event` gets the first page at once (the window shows it while the rest loads), then the
/// count of pages read; a window that went away mid-refresh still gets its inventory loaded.
#[tauri::command]
pub async fn queues_refresh(
    app: tauri::AppHandle,
    s: State<'_, Session>,
    env_id: String,
    on_event: Channel<RefreshEvent>,
) -> Result<Inventory, ErrorReport> {
    let inventory = s.refresh(&env_id, |e| drop(on_event.send(e))).await?;
    // The refresh evaluated the environment's alert rules.
    crate::sampler::notify_new_alerts(&app);
    Ok((*inventory).clone())
}

#[tauri::command]
pub async fn queues_filter(
    s: State<'_, Session>,
    env_id: String,
    query: String,
    vhost: Option<String>,
) -> Result<FilterOutcome, ErrorReport> {
    Ok(s.filter(&env_id, &query, vhost.as_deref()))
}

#[tauri::command]
pub async fn queues_purge(
    s: State<'_, Session>,
    env_id: String,
    targets: Vec<QueueRef>,
    dry_run: bool,
) -> Result<PurgeReport, ErrorReport> {
    Ok(s.purge(&env_id, &targets, dry_run).await?)
}

#[tauri::command]
pub async fn queue_details(
    s: State<'_, Session>,
    env_id: String,
    vhost: String,
    name: String,
) -> Result<QueueDetails, ErrorReport> {
    Ok(s.queue_details(&env_id, &vhost, &name).await?)
}

/// Progress on `on_progress` until done or cancelled with `queues_move_cancel(move_id)`.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn queues_move(
    s: State<'_, Session>,
    env_id: String,
    vhost: String,
    from: String,
    to: String,
    move_id: String,
    on_progress: Channel<Progress>,
) -> Result<MoveReport, ErrorReport> {
    let progress = |p| drop(on_progress.send(p));
    Ok(
        s.move_messages(&env_id, &vhost, &from, &to, &move_id, progress)
            .await?,
    )
}

/// Ask a running move to stop (it removes its shovel; moved messages stay moved).
#[tauri::command]
pub async fn queues_move_cancel(
    s: State<'_, Session>,
    move_id: String,
) -> Result<bool, ErrorReport> {
    Ok(s.cancel(&move_id))
}
