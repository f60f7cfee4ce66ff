//! The queue requests: refresh and filter the inventory, one queue's details, purge, move.

use std::sync::Arc;

use super::cache::{FilterOutcome, RefreshEvent};
use super::history::unix_now;
use super::Session;
use crate::audit::rfc3339;
use crate::error::Result;
use crate::progress::Progress;
use crate::queues::details::{self, QueueDetails};
use crate::queues::last_known;
use crate::queues::move_messages::{move_messages, MoveReport};
use crate::queues::purge::{self, PurgeReport, QueueRef};
use crate::queues::Inventory;

impl Session {
    /// Load (or reload) the environment's queues. Requires the `management` tag. Does not
    /// modify state. `on_event` gets, on this session's first load of the environment, the
    /// rows an earlier run last loaded (if kept, and unless something read now came first),
    /// then the first page at once and the count of pages read. The loaded queues are
    /// recorded in the environment's history and kept as its last known inventory.
    pub async fn refresh(
        &self,
        env_id: &str,
        on_event: impl FnMut(RefreshEvent),
    ) -> Result<Arc<Inventory>> {
        let env = self.store.get(env_id)?;
        let source = last_known::source_of(&env);
        let first_of_session = self.cache.get(env_id).is_none();
        // The old rows and the load both report through `on_event`, one at a time: once
        // anything read now was sent, the old rows would only replace it. A Mutex (not a
        // RefCell) keeps this future `Send` for the window's commands.
        let sent = std::sync::Mutex::new((on_event, false, 0u64));
        let stand_in = async {
            // A failed load left the old rows on screen: a retry does not send them again.
            if !first_of_session || self.cache.holds_last_known(env_id) {
                return;
            }
            let Some(k) = self.last_known.load(env_id, &source).await else {
                return;
            };
            let (on_event, fresh, own) = &mut *sent.lock().unwrap_or_else(|p| p.into_inner());
            if !*fresh {
                let stand_in = self.cache.set_stand_in(env_id, k.rows.clone(), true, false);
                *own = stand_in;
                on_event(RefreshEvent::LastKnown {
                    stand_in,
                    total: k.total,
                    taken_at: rfc3339(k.taken_at, 0),
                    rows: k.rows,
                });
            }
        };
        let load = async {
            // The password after the old rows' file read started (`biased` below): a keyring
            // that refuses still shows them. (One that blocks on a prompt holds this task.)
            let password = self.store.password(env_id, self.password.clone())?;
            let inventory = self
                .cache
                .refresh(&env, password.clone(), |e| {
                    let (on_event, fresh, own) =
                        &mut *sent.lock().unwrap_or_else(|p| p.into_inner());
                    *fresh = true;
                    let mut event = RefreshEvent::from(e);
                    if let RefreshEvent::FirstPage {
                        stand_in,
                        rows,
                        figures_pending,
                        ..
                    } = &mut event
                    {
                        if first_of_session {
                            *stand_in = self.cache.set_stand_in(
                                env_id,
                                rows.clone(),
                                false,
                                *figures_pending,
                            );
                            *own = *stand_in;
                        }
                    }
                    on_event(event)
                })
                .await?;
            Ok::<_, crate::error::Error>((inventory, password))
        };
        tokio::pin!(stand_in, load);
        // A load that answered first makes the old rows moot; one that failed first (a wrong
        // password is refused in milliseconds) still shows them under its error.
        let loaded: Result<_> = tokio::select! {
            biased;
            () = &mut stand_in => (&mut load).await,
            r = &mut load => {
                if r.is_err() {
                    (&mut stand_in).await;
                }
                r
            }
        };
        let (inventory, password) = match loaded {
            Ok(l) => l,
            Err(e) => {
                let own = sent.lock().unwrap_or_else(|p| p.into_inner()).2;
                self.cache.drop_first_view(env_id, own);
                return Err(e);
            }
        };
        self.last_known
            .save(env_id, &source, inventory.clone(), unix_now());
        // Each refresh is a sample of the history (the sparklines and growers read it next).
        self.record_refresh(&env, &password, inventory.clone())
            .await;
        Ok(inventory)
    }

    /// The loaded rows of the vhost `scope` (`None`: all) matching `query` (indices), or the
    /// query's error. Does not touch the broker.
    pub fn filter(&self, env_id: &str, query: &str, scope: Option<&str>) -> FilterOutcome {
        self.cache.filter(env_id, query, scope)
    }

    /// Bindings and consumers of one queue. Requires the `management` tag. Does not modify state.
    pub async fn queue_details(
        &self,
        env_id: &str,
        vhost: &str,
        name: &str,
    ) -> Result<QueueDetails> {
        let (env, password) = self.connect(env_id)?;
        details::queue_details(&env, password, vhost, name).await
    }

    /// Purge `targets` (`dry_run`: only list them), typed by the loaded rows so a stream is
    /// refused. Requires read permission on the queues. Modifies state (through the gate).
    pub async fn purge(
        &self,
        env_id: &str,
        targets: &[QueueRef],
        dry_run: bool,
    ) -> Result<PurgeReport> {
        let (env, password) = self.connect(env_id)?;
        let rows = purge::rows_of(self.cache.get(env_id).as_deref(), targets);
        let result = purge::purge(&env, &password, &rows, dry_run).await;
        if !dry_run {
            let touched = targets.iter().map(|t| (t.vhost.clone(), t.name.clone()));
            self.cache.touched.note(env_id, touched);
        }
        result
    }

    /// Move every message of `from` to `to` as the job `job_id` (cancel with `cancel`). Requires
    /// the shovel plugin and the `policymaker` tag. Modifies state (through the gate).
    #[allow(clippy::too_many_arguments)]
    pub async fn move_messages(
        &self,
        env_id: &str,
        vhost: &str,
        from: &str,
        to: &str,
        job_id: &str,
        on_progress: impl FnMut(Progress),
    ) -> Result<MoveReport> {
        let (env, password) = self.connect(env_id)?;
        let job = self.jobs.start(job_id);
        let result = move_messages(&env, &password, vhost, from, to, on_progress, || {
            job.cancelled()
        })
        .await;
        let touched = [from, to].map(|q| (vhost.to_string(), q.to_string()));
        self.cache.touched.note(env_id, touched);
        result
    }
}
