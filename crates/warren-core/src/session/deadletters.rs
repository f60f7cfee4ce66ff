//! The dead-letter requests: the DLQs of the loaded inventory, reading one in place, planning
//! and running a replay (or discard), exporting to a file.

use super::Session;
use crate::deadletters::browse::{browse_queue, BrowseOptions, MAX_LIMIT};
use crate::deadletters::jsonl::{self, ExportReport};
use crate::deadletters::replay::{replay, ReplayRequest, Scope};
use crate::deadletters::{discover, Browse, DeadLetterTopology, ReplayPlan, ReplayReport};
use crate::error::{Error, Result};
use crate::progress::Progress;

impl Session {
    /// The DLQs among the loaded queues of the vhost `scope` (`None`: all) and who feeds them.
    /// Requires the `management` tag.
    /// Does not modify state.
    pub async fn dlq_list(&self, env_id: &str, scope: Option<&str>) -> Result<DeadLetterTopology> {
        let (env, password) = self.connect(env_id)?;
        let inventory = self.loaded(env_id)?;
        discover(
            &env,
            password,
            &crate::queues::rows_in(&inventory.rows, scope),
        )
        .await
    }

    /// Read the first `limit` messages of a DLQ in place (they are marked redelivered). A quorum
    /// queue whose head is one read from its delivery limit is refused unless `insist`.
    /// Requires the `management` tag and read permission. Removes no message.
    pub async fn dlq_browse(
        &self,
        env_id: &str,
        vhost: &str,
        queue: &str,
        limit: u32,
        insist: bool,
    ) -> Result<Browse> {
        let (env, password) = self.connect(env_id)?;
        let inventory = self.loaded(env_id)?;
        let opts = BrowseOptions {
            limit: limit.clamp(1, MAX_LIMIT),
            insist,
        };
        let template = inventory.realm_template.as_ref();
        browse_queue(&env, &password, vhost, queue, template, &opts).await
    }

    /// The dry run of a replay or discard: reads the DLQ (its messages are redelivered), needs
    /// read permission on it (no user tag). Removes no message.
    pub async fn dlq_plan(&self, env_id: &str, request: &ReplayRequest) -> Result<ReplayPlan> {
        let (env, password) = self.connect(env_id)?;
        let inventory = self.loaded(env_id)?;
        let options = request.options(inventory.realm_template.as_ref())?;
        let (vhost, queue) = (&request.vhost, &request.queue);
        crate::deadletters::plan(
            &env,
            &password,
            vhost,
            queue,
            &options,
            &inventory.rows,
            MAX_LIMIT,
        )
        .await
    }

    /// Replay (or discard) as the job `job_id` (cancel with `cancel`). Requires read and write
    /// permission on the vhost. Modifies state (through the gate).
    pub async fn dlq_replay(
        &self,
        env_id: &str,
        request: &ReplayRequest,
        job_id: &str,
        on_progress: impl FnMut(Progress),
    ) -> Result<ReplayReport> {
        let (env, password) = self.connect(env_id)?;
        let inventory = self.loaded(env_id)?;
        let options = request.options(inventory.realm_template.as_ref())?;
        let job = self.jobs.start(job_id);
        let (vhost, queue) = (&request.vhost, &request.queue);
        let result = replay(&env, &password, vhost, queue, &options, on_progress, || {
            job.cancelled()
        })
        .await;
        // The next refresh reads the DLQ's and the destination queues' counts from the broker.
        let mut touched = vec![(vhost.clone(), queue.clone())];
        if let Ok(r) = &result {
            touched.extend(
                r.destinations
                    .iter()
                    .filter_map(|d| d.destination.strip_prefix("queue "))
                    .map(|q| (vhost.clone(), q.to_string())),
            );
        }
        self.cache.touched.note(env_id, touched);
        result
    }

    /// Export the selected messages (`keys`; none: every message up to the limit) of a DLQ to a
    /// JSON Lines file in the user's Downloads folder (owner-only permissions). Requires read
    /// permission. Removes no message.
    pub async fn dlq_export(
        &self,
        env_id: &str,
        vhost: &str,
        queue: &str,
        keys: Option<Vec<String>>,
    ) -> Result<ExportReport> {
        let (env, password) = self.connect(env_id)?;
        let path = jsonl::download_path(queue).ok_or_else(|| {
            Error::InvalidArgument("no Downloads or home folder to write the export to".into())
        })?;
        let scope = Scope {
            keys,
            ..Default::default()
        };
        jsonl::export(&env, &password, vhost, queue, MAX_LIMIT, &scope, &path).await
    }
}
