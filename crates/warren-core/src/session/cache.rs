//! Inventories the window keeps per environment: loaded (and refreshed) from the broker, then
//! filtered many times per second as the user types, without sending the rows again. Each
//! refresh records how every queue's backlog moved since the previous one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use secrecy::SecretString;
use serde::Serialize;
use ts_rs::TS;

use crate::broker::management::ManagementClient;
use crate::deadletters::RealmDeadLetters;
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::queues::filter::{parse, FilterError};
use crate::queues::index::RowIndex;
use crate::queues::inventory::{load_inventory_observed, Inventory, InventoryOptions, LoadEvent};
use crate::queues::row::QueueRow;
use crate::realms::aggregate::{summarize_scope, Scope};
use crate::realms::{Preview, RealmView};
use crate::template::RealmTemplate;

/// Which rows of the cached inventory match a filter (indices into `Inventory::rows`).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FilterOutcome {
    pub indices: Vec<u32>,
    pub uses_realms: bool,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<FilterError>,
    /// Answered over the rows standing in for the environment's first load (the `stand_in` of
    /// the refresh event that sent them), not over a loaded inventory.
    #[ts(optional, type = "number")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stand_in: Option<u64>,
    /// The query reads figures or realms the standing-in rows do not have yet (names first):
    /// no rows until the load completes.
    pub needs_load: bool,
}

impl FilterOutcome {
    fn of(indices: Vec<u32>, uses_realms: bool) -> FilterOutcome {
        FilterOutcome {
            indices,
            uses_realms,
            error: None,
            stand_in: None,
            needs_load: false,
        }
    }
}

/// Progress of a refresh, for the window: on the window's first load of an environment, the
/// rows it last loaded (from an earlier run, marked with their age) while the broker is read;
/// the first page's rows to show at once; then a count of the pages read.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum RefreshEvent {
    /// The last complete inventory kept for this environment (`queues::last_known`): shown
    /// until anything read now arrives, labelled "as of `taken_at`", never as current.
    LastKnown {
        /// Names these rows for the filter (`FilterOutcome::stand_in`).
        #[ts(type = "number")]
        stand_in: u64,
        rows: Vec<QueueRow>,
        #[ts(type = "number")]
        total: u64,
        /// RFC 3339, UTC: when these rows were read.
        taken_at: String,
    },
    FirstPage {
        /// Names these rows for the filter (0: not kept, a later refresh's first page).
        #[ts(type = "number")]
        stand_in: u64,
        rows: Vec<QueueRow>,
        #[ts(type = "number")]
        total: u64,
        pages: u32,
        /// Every queue's name, type and policy, its figures still on their way: shown as
        /// pending, not as zeros.
        figures_pending: bool,
    },
    Page {
        done: u32,
        pages: u32,
    },
}

impl From<LoadEvent<'_>> for RefreshEvent {
    fn from(e: LoadEvent<'_>) -> Self {
        match e {
            LoadEvent::FirstPage {
                rows,
                total,
                pages,
                figures_pending,
            } => RefreshEvent::FirstPage {
                stand_in: 0,
                rows: rows.to_vec(),
                total,
                pages,
                figures_pending,
            },
            LoadEvent::Page { done, pages } => RefreshEvent::Page { done, pages },
        }
    }
}

/// An inventory and its filter index, replaced together on each refresh.
struct Loaded {
    inventory: Arc<Inventory>,
    index: Arc<RowIndex>,
    /// Dead letters per realm for this inventory, once attributed, and the vhost scope they
    /// were attributed in.
    dead_letters: Option<(Option<String>, RealmDeadLetters)>,
}

/// How a realm view over the vhost `scope` (`None`: every loaded vhost) groups: one vhost
/// alone; all vhosts as one when the vhost is the realm (or only one vhost is partitioned);
/// else each vhost's realms apart, so `acme` in `shop` never adds to `acme` in `staging`.
pub fn realm_scope<'a>(inventory: &Inventory, scope: Option<&'a str>) -> Scope<'a> {
    if let Some(v) = scope {
        return Scope::Vhost(v);
    }
    if matches!(inventory.realm_template, Some(RealmTemplate::Vhost)) {
        return Scope::All;
    }
    let mut partitioned = inventory
        .rows
        .iter()
        .filter(|r| r.realm.is_some())
        .map(|r| r.vhost.as_str());
    match partitioned.next() {
        Some(first) if partitioned.any(|v| v != first) => Scope::PerVhost,
        _ => Scope::All,
    }
}

/// Rows shown before an environment's first complete load of this run: the last known
/// inventory (every column, dated) or the load's first view (a page, or every name with its
/// figures pending; realms not mapped yet). Kept so a filter in the box narrows them too.
struct StandIn {
    seq: u64,
    rows: Vec<QueueRow>,
    last_known: bool,
    figures_pending: bool,
    /// Built on the first filter (most stand-ins are replaced before anyone filters).
    index: std::sync::OnceLock<RowIndex>,
}

#[derive(Default)]
pub struct InventoryCache {
    by_env: Mutex<HashMap<String, Loaded>>,
    stand_ins: Mutex<HashMap<String, Arc<StandIn>>>,
    next_stand_in: std::sync::atomic::AtomicU64,
    /// Queues a change just touched, whose management figures still trail (see after_change).
    pub touched: super::after_change::Touched,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl InventoryCache {
    /// Load the environment's queues (its default vhost, else all) and keep them, with each
    /// queue's change in `messages` since the previous refresh. Requires the `management` tag.
    /// Does not modify state. `observe` hears of the first page and each page after it.
    pub async fn refresh(
        &self,
        env: &Environment,
        password: SecretString,
        observe: impl FnMut(LoadEvent<'_>),
    ) -> Result<Arc<Inventory>> {
        let client = ManagementClient::new(env, password.clone())?;
        // The previous load's counters: strategies that read Prometheus take rates from them.
        let opts = InventoryOptions {
            previous: self.get(&env.id).map(|i| i.counters.clone()),
            ..InventoryOptions::for_environment(env, env.vhost.clone())
        };
        let mut inventory = load_inventory_observed(&client, &opts, observe).await?;
        let touched = self.touched.recent(&env.id);
        if !touched.is_empty() {
            let exact = super::after_change::read_exact(env, &password, &touched).await;
            super::after_change::correct(&mut inventory.rows, &exact);
        }
        inventory.map_env_realms(env)?;
        let previous = self.get(&env.id);
        if let Some(prev) = previous {
            let before: HashMap<(&str, &str), u64> = prev
                .rows
                .iter()
                .map(|r| ((r.vhost.as_str(), r.name.as_str()), r.messages))
                .collect();
            for row in &mut inventory.rows {
                row.messages_delta = before
                    .get(&(row.vhost.as_str(), row.name.as_str()))
                    .map(|b| row.messages as i64 - *b as i64);
            }
        }
        let index = Arc::new(RowIndex::new(&inventory.rows));
        let inventory = Arc::new(inventory);
        self.by_env
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                env.id.clone(),
                Loaded {
                    inventory: inventory.clone(),
                    index,
                    dead_letters: None,
                },
            );
        // After the insert: a filter in between answers over one or the other, never neither.
        self.stand_ins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&env.id);
        Ok(inventory)
    }

    pub fn get(&self, env_id: &str) -> Option<Arc<Inventory>> {
        self.by_env
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(env_id)
            .map(|l| l.inventory.clone())
    }

    /// The environment's loaded inventory, or `NotLoaded` (the window has not refreshed it yet).
    pub fn loaded(&self, env_id: &str) -> Result<Arc<Inventory>> {
        self.get(env_id)
            .ok_or_else(|| Error::NotLoaded(env_id.to_string()))
    }

    /// Drop everything kept for the environment (it was removed).
    pub fn forget(&self, env_id: &str) {
        self.by_env
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(env_id);
        self.stand_ins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(env_id);
    }

    /// Keep `rows` as what stands in for the environment's first load (see `StandIn`); the
    /// number names them in `FilterOutcome::stand_in` (0: not kept, the environment is loaded).
    pub fn set_stand_in(
        &self,
        env_id: &str,
        rows: Vec<QueueRow>,
        last_known: bool,
        figures_pending: bool,
    ) -> u64 {
        use std::sync::atomic::Ordering;
        if self.get(env_id).is_some() {
            return 0;
        }
        let seq = self.next_stand_in.fetch_add(1, Ordering::Relaxed) + 1;
        let stand_in = StandIn {
            seq,
            rows,
            last_known,
            figures_pending,
            index: Default::default(),
        };
        self.stand_ins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(env_id.to_string(), Arc::new(stand_in));
        seq
    }

    /// After a failed load, forget the first view it set (`seq`), not another load's; the last
    /// known rows stay on screen under the error, as the window keeps them.
    pub fn drop_first_view(&self, env_id: &str, seq: u64) {
        let mut stand_ins = self.stand_ins.lock().unwrap_or_else(|p| p.into_inner());
        if stand_ins
            .get(env_id)
            .is_some_and(|s| s.seq == seq && !s.last_known)
        {
            stand_ins.remove(env_id);
        }
    }

    /// Whether the last known rows stand in for the environment (a failed load left them on
    /// screen: a retry need not read and send them again).
    pub fn holds_last_known(&self, env_id: &str) -> bool {
        self.stand_ins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(env_id)
            .is_some_and(|s| s.last_known)
    }

    /// Filter the cached rows of the vhost `scope` (`None`: all) — before the first load, the
    /// rows standing in for it. A query that does not parse answers with its error (and no
    /// rows) so the filter box can show where it went wrong while the user types.
    pub fn filter(&self, env_id: &str, query: &str, scope: Option<&str>) -> FilterOutcome {
        let q = match parse(query) {
            Ok(q) => q,
            Err(e) => {
                return FilterOutcome {
                    error: Some(e),
                    ..FilterOutcome::of(vec![], false)
                }
            }
        };
        let loaded = self
            .by_env
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(env_id)
            .map(|l| (l.inventory.clone(), l.index.clone()));
        if let Some((inventory, index)) = loaded {
            let indices = in_scope(q.select(&index, now()), &inventory.rows, scope);
            return FilterOutcome::of(indices, q.uses_realms());
        }
        let stand_in = self
            .stand_ins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(env_id)
            .cloned();
        let Some(s) = stand_in else {
            return FilterOutcome::of(vec![], q.uses_realms());
        };
        // A first view has no realms mapped, and names first no figures: such a query would
        // answer "none" where the load may find many.
        let unknown = !s.last_known && (q.uses_realms() || (s.figures_pending && q.uses_figures()));
        let indices = if unknown {
            vec![]
        } else {
            let index = s.index.get_or_init(|| RowIndex::new(&s.rows));
            in_scope(q.select(index, now()), &s.rows, scope)
        };
        FilterOutcome {
            stand_in: Some(s.seq),
            needs_load: unknown,
            ..FilterOutcome::of(indices, q.uses_realms())
        }
    }
}

/// The indices whose rows are in the vhost `scope`.
fn in_scope(mut indices: Vec<u32>, rows: &[QueueRow], scope: Option<&str>) -> Vec<u32> {
    if let Some(v) = scope {
        indices.retain(|i| rows[*i as usize].vhost == v);
    }
    indices
}

impl InventoryCache {
    /// The cached inventory's realm totals in the vhost `scope` (through its filter index) and
    /// the template used.
    pub fn realm_summary(&self, env_id: &str, scope: Option<&str>) -> Result<RealmView> {
        let (inventory, index, dead_letters) = self
            .by_env
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(env_id)
            .map(|l| (l.inventory.clone(), l.index.clone(), l.dead_letters.clone()))
            .ok_or_else(|| Error::NotLoaded(env_id.to_string()))?;
        let mut summary = summarize_scope(&index, realm_scope(&inventory, scope));
        let dead_letters = dead_letters
            .filter(|(of, _)| of.as_deref() == scope)
            .map(|(_, dl)| dl);
        if let Some(dl) = &dead_letters {
            summary.set_dead_letters(dl);
        }
        Ok(RealmView {
            template: inventory
                .realm_template
                .as_ref()
                .map(|t| t.source().to_string()),
            summary,
            dead_letters,
        })
    }

    /// Keep the dead letters attributed in the vhost `scope` for the inventory `rows_of` was
    /// (ignored if the inventory was refreshed meanwhile: they belong to the old one).
    pub fn set_dead_letters(
        &self,
        env_id: &str,
        rows_of: &Arc<Inventory>,
        scope: Option<&str>,
        dl: RealmDeadLetters,
    ) {
        if let Some(l) = self
            .by_env
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(env_id)
        {
            if Arc::ptr_eq(&l.inventory, rows_of) {
                l.dead_letters = Some((scope.map(str::to_string), dl));
            }
        }
    }

    /// Preview a realm template on the cached inventory (every vhost: the template is the
    /// environment's, whatever the view's scope).
    pub fn realm_preview(&self, env_id: &str, template: &str) -> Result<Preview> {
        let inventory = self.loaded(env_id)?;
        Ok(crate::realms::preview(
            template,
            &inventory.rows,
            &inventory.realm_exclude,
            8,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorReport;

    #[test]
    fn an_environment_not_loaded_is_a_typed_error() {
        let cache = InventoryCache::default();
        assert!(matches!(cache.loaded("prod"), Err(Error::NotLoaded(id)) if id == "prod"));
        assert!(matches!(
            cache.realm_summary("prod", None),
            Err(Error::NotLoaded(_))
        ));
        assert!(matches!(
            cache.realm_preview("prod", "auto"),
            Err(Error::NotLoaded(_))
        ));
        let report = ErrorReport::from(cache.loaded("prod").unwrap_err());
        assert_eq!(report.kind, "not_loaded");
        assert!(report.message.contains("`prod`") && report.message.contains("refresh"));
    }

    fn rows(names: &[(&str, u64)]) -> Vec<QueueRow> {
        names
            .iter()
            .map(|(n, m)| QueueRow {
                vhost: "/".into(),
                name: n.to_string(),
                name_lower: n.to_lowercase(),
                messages: *m,
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn a_filter_narrows_the_rows_standing_in_for_the_first_load() {
        let cache = InventoryCache::default();
        let before = cache.filter("prod", "billing", None);
        assert!(before.indices.is_empty() && before.stand_in.is_none());

        let old = rows(&[
            ("billing.acme", 5),
            ("email.acme", 0),
            ("Billing.globex", 9),
        ]);
        let seq = cache.set_stand_in("prod", old, true, false);
        let out = cache.filter("prod", "billing", None);
        assert_eq!(
            (out.indices, out.stand_in, out.needs_load),
            (vec![0, 2], Some(seq), false)
        );
        // The last known rows have every column: figures narrow them too.
        assert_eq!(cache.filter("prod", "messages>6", None).indices, vec![2]);
        assert_eq!(
            cache.filter("prod", "x", Some("other")).indices,
            Vec::<u32>::new()
        );
        assert!(cache.filter("prod", "messages>", None).error.is_some());

        // Names first: a name narrows them, a figure must wait for the load.
        let names = rows(&[("billing.acme", 0), ("email.acme", 0)]);
        let seq2 = cache.set_stand_in("prod", names, false, true);
        assert!(seq2 > seq, "each stand-in has its own number");
        let out = cache.filter("prod", "email", None);
        assert_eq!((out.indices, out.stand_in), (vec![1], Some(seq2)));
        for q in ["messages=0", "realm:acme"] {
            let out = cache.filter("prod", q, None);
            assert!(out.needs_load && out.indices.is_empty(), "{q}");
        }

        // A failed load forgets its own first view, not another load's, and keeps the last
        // known rows (still on screen).
        cache.drop_first_view("prod", seq);
        assert_eq!(cache.filter("prod", "email", None).stand_in, Some(seq2));
        cache.drop_first_view("prod", seq2);
        assert_eq!(cache.filter("prod", "email", None).stand_in, None);
        let seq3 = cache.set_stand_in("prod", rows(&[("a", 1)]), true, false);
        cache.drop_first_view("prod", seq3);
        assert!(cache.holds_last_known("prod"));
    }
}
