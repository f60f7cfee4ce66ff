//! Dead-letter commands: the DLQs of the loaded inventory, reading one in place, planning and
//! running a replay (or a discard) with progress on a channel and a cancel by job id.

use std::sync::atomic::Ordering;

use serde::Deserialize;
use tauri::ipc::Channel;
use tauri::State;
use warren_core::deadletters::browse::{BrowseOptions, MAX_LIMIT};
use warren_core::deadletters::filter::DeadLetterFilter;
use warren_core::deadletters::jsonl::{self, ExportReport};
use warren_core::deadletters::replay::{ReplayOptions, Scope, Target, DEFAULT_MAX_REPLAYS};
use warren_core::deadletters::{self, Browse, DeadLetterTopology, ReplayPlan, ReplayReport};
use warren_core::progress::Progress;
use warren_core::queues::cache::InventoryCache;
use warren_core::queues::Inventory;
use warren_core::realms::RealmTemplate;
use warren_core::{EnvironmentStore, Error, ErrorReport};

use super::jobs::RunningJobs;

fn report(e: Error) -> ErrorReport {
    ErrorReport::from(&e)
}

fn loaded(cache: &InventoryCache, env_id: &str) -> Result<std::sync::Arc<Inventory>, ErrorReport> {
    cache.get(env_id).ok_or_else(|| {
        report(Error::InvalidArgument(
            "the queues of this environment are not loaded yet: open the Queues tab or refresh"
                .into(),
        ))
    })
}

fn template_of(inventory: &Inventory) -> Option<RealmTemplate> {
    inventory
        .realm_template
        .as_deref()
        .and_then(|t| RealmTemplate::parse(t).ok())
}

/// What the window asks a replay (or discard) to act on.
#[derive(Debug, Deserialize)]
pub struct ReplayRequest {
    pub vhost: String,
    pub queue: String,
    pub target: Target,
    /// The dead-letter filter (`reason:rejected origin:billing.acme`); empty: all.
    #[serde(default)]
    pub filter: String,
    /// Message keys from a browse; absent: every message the filter selects.
    #[serde(default)]
    pub keys: Option<Vec<String>>,
    #[serde(default)]
    pub discard: bool,
}

fn options(req: &ReplayRequest, inventory: &Inventory) -> Result<ReplayOptions, ErrorReport> {
    let filter = DeadLetterFilter::parse(&req.filter)
        .map_err(|e| report(Error::InvalidArgument(format!("filter: {e}"))))?;
    Ok(ReplayOptions {
        target: req.target.clone(),
        scope: Scope {
            filter,
            keys: req.keys.clone(),
            template: template_of(inventory),
        },
        discard: req.discard,
        max_replays: if req.discard {
            u32::MAX
        } else {
            DEFAULT_MAX_REPLAYS
        },
        ..Default::default()
    })
}

/// The DLQs among the loaded queues. Requires the `management` tag. Does not modify state.
#[tauri::command]
pub async fn dlq_list(
    store: State<'_, EnvironmentStore>,
    cache: State<'_, InventoryCache>,
    env_id: String,
) -> Result<DeadLetterTopology, ErrorReport> {
    let (env, password) = store.with_password(&env_id, None).map_err(report)?;
    let inventory = loaded(&cache, &env_id)?;
    deadletters::discover(&env, password, &inventory.rows)
        .await
        .map_err(report)
}

/// Read the first `limit` messages of a DLQ in place. Does not remove messages (they are
/// marked redelivered; the result says so). A quorum queue whose head is one read from its
/// delivery limit is refused (`near_delivery_limit`) unless `insist`. Requires the `management`
/// tag and read permission on the queue.
#[tauri::command]
pub async fn dlq_browse(
    store: State<'_, EnvironmentStore>,
    cache: State<'_, InventoryCache>,
    env_id: String,
    vhost: String,
    queue: String,
    limit: u32,
    insist: Option<bool>,
) -> Result<Browse, ErrorReport> {
    let (env, password) = store.with_password(&env_id, None).map_err(report)?;
    let inventory = loaded(&cache, &env_id)?;
    let opts = BrowseOptions {
        limit: limit.clamp(1, MAX_LIMIT),
        insist: insist.unwrap_or(false),
    };
    deadletters::browse::browse_queue(
        &env,
        &password,
        &vhost,
        &queue,
        template_of(&inventory).as_ref(),
        &opts,
    )
    .await
    .map_err(report)
}

/// The dry run of a replay or discard. Does not modify state.
#[tauri::command]
pub async fn dlq_plan(
    store: State<'_, EnvironmentStore>,
    cache: State<'_, InventoryCache>,
    env_id: String,
    request: ReplayRequest,
) -> Result<ReplayPlan, ErrorReport> {
    let (env, password) = store.with_password(&env_id, None).map_err(report)?;
    let inventory = loaded(&cache, &env_id)?;
    let opts = options(&request, &inventory)?;
    deadletters::plan(
        &env,
        &password,
        &request.vhost,
        &request.queue,
        &opts,
        &inventory.rows,
        MAX_LIMIT,
    )
    .await
    .map_err(report)
}

/// Replay (or discard) dead letters, with progress on `on_progress`, until done or cancelled
/// with `dlq_cancel(job_id)`. Refused by the core on a read-only environment. Modifies state.
#[tauri::command]
pub async fn dlq_replay(
    store: State<'_, EnvironmentStore>,
    cache: State<'_, InventoryCache>,
    jobs: State<'_, RunningJobs>,
    env_id: String,
    request: ReplayRequest,
    job_id: String,
    on_progress: Channel<Progress>,
) -> Result<ReplayReport, ErrorReport> {
    let (env, password) = store.with_password(&env_id, None).map_err(report)?;
    let inventory = loaded(&cache, &env_id)?;
    let opts = options(&request, &inventory)?;
    let cancel = jobs.start(&job_id);
    let result = deadletters::replay(
        &env,
        &password,
        &request.vhost,
        &request.queue,
        &opts,
        |p| drop(on_progress.send(p)),
        || cancel.load(Ordering::SeqCst),
    )
    .await;
    jobs.finish(&job_id);
    result.map_err(report)
}

/// Ask a running replay to stop: what is in flight is settled, the rest stays in the DLQ.
#[tauri::command]
pub async fn dlq_cancel(jobs: State<'_, RunningJobs>, job_id: String) -> Result<bool, ErrorReport> {
    Ok(jobs.cancel(&job_id))
}

/// Export the selected messages (or, with no keys, every message read up to the limit) of a
/// DLQ to a JSON Lines file in the user's Downloads folder (owner-only permissions), and say
/// where. Does not remove messages.
#[tauri::command]
pub async fn dlq_export(
    store: State<'_, EnvironmentStore>,
    env_id: String,
    vhost: String,
    queue: String,
    keys: Option<Vec<String>>,
) -> Result<ExportReport, ErrorReport> {
    let (env, password) = store.with_password(&env_id, None).map_err(report)?;
    let path = jsonl::download_path(&queue).ok_or_else(|| {
        report(Error::InvalidArgument(
            "no Downloads or home folder to write the export to".into(),
        ))
    })?;
    jsonl::export(
        &env,
        &password,
        &vhost,
        &queue,
        MAX_LIMIT,
        &Scope {
            keys,
            ..Default::default()
        },
        &path,
    )
    .await
    .map_err(report)
}
