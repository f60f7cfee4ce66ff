//! Dead-letter commands: the DLQs of the loaded inventory, reading one in place, planning and
//! running a replay (or a discard) with progress on a channel and a cancel by job id, export.

use tauri::ipc::Channel;
use tauri::State;
use warren_core::deadletters::jsonl::ExportReport;
use warren_core::deadletters::{
    Browse, DeadLetterTopology, ReplayPlan, ReplayReport, ReplayRequest,
};
use warren_core::progress::Progress;
use warren_core::{ErrorReport, Session};

#[tauri::command]
pub async fn dlq_list(
    s: State<'_, Session>,
    env_id: String,
    vhost: Option<String>,
) -> Result<DeadLetterTopology, ErrorReport> {
    Ok(s.dlq_list(&env_id, vhost.as_deref()).await?)
}

#[tauri::command]
pub async fn dlq_browse(
    s: State<'_, Session>,
    env_id: String,
    vhost: String,
    queue: String,
    limit: u32,
    insist: Option<bool>,
) -> Result<Browse, ErrorReport> {
    let insist = insist.unwrap_or(false);
    Ok(s.dlq_browse(&env_id, &vhost, &queue, limit, insist).await?)
}

#[tauri::command]
pub async fn dlq_plan(
    s: State<'_, Session>,
    env_id: String,
    request: ReplayRequest,
) -> Result<ReplayPlan, ErrorReport> {
    Ok(s.dlq_plan(&env_id, &request).await?)
}

/// Progress on `on_progress` until done or cancelled with `dlq_cancel(job_id)`.
#[tauri::command]
pub async fn dlq_replay(
    s: State<'_, Session>,
    env_id: String,
    request: ReplayRequest,
    job_id: String,
    on_progress: Channel<Progress>,
) -> Result<ReplayReport, ErrorReport> {
    let progress = |p| drop(on_progress.send(p));
    Ok(s.dlq_replay(&env_id, &request, &job_id, progress).await?)
}

/// Ask a running replay to stop: what is in flight is settled, the rest stays in the DLQ.
#[tauri::command]
pub async fn dlq_cancel(s: State<'_, Session>, job_id: String) -> Result<bool, ErrorReport> {
    Ok(s.cancel(&job_id))
}

#[tauri::command]
pub async fn dlq_export(
    s: State<'_, Session>,
    env_id: String,
    vhost: String,
    queue: String,
    keys: Option<Vec<String>>,
) -> Result<ExportReport, ErrorReport> {
    Ok(s.dlq_export(&env_id, &vhost, &queue, keys).await?)
}
