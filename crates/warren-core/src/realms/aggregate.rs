//! Totals per realm, per worker and per (worker, realm) cell of an inventory whose rows the
//! realm template has mapped: which client or which worker type weighs the most.

use rustc_hash::FxHashMap;
use serde::Serialize;
use ts_rs::TS;

use crate::queues::index::NUMERIC;
use crate::queues::{QueueRow, RowIndex};

/// Sums over a set of queues (the JSON keys follow the queue listing's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Totals {
    pub queues: u32,
    #[ts(type = "number")]
    pub messages: u64,
    #[ts(type = "number")]
    pub messages_ready: u64,
    #[ts(type = "number")]
    pub messages_unacknowledged: u64,
    #[ts(type = "number")]
    pub consumers: u64,
    /// Bytes.
    #[ts(type = "number")]
    pub memory: u64,
    pub publish_rate: f64,
    pub deliver_rate: f64,
    /// Queues that hold messages but have no consumer: work nobody is doing.
    pub stalled_queues: u32,
    /// Messages in dead-letter queues that came from these queues (see
    /// `deadletters::by_realm`; 0 until attributed, and never for cells).
    #[ts(type = "number")]
    pub dead_letters: u64,
}

impl Totals {
    /// Add one queue: messages, ready, unacked, consumers, memory, publish and deliver rate.
    fn add(&mut self, v: [f64; 7]) {
        self.queues += 1;
        self.messages += v[0] as u64;
        self.messages_ready += v[1] as u64;
        self.messages_unacknowledged += v[2] as u64;
        self.consumers += v[3] as u64;
        self.memory += v[4] as u64;
        self.publish_rate += v[5];
        self.deliver_rate += v[6];
        self.stalled_queues += u32::from(v[3] == 0.0 && v[0] > 0.0);
    }

    fn merge(&mut self, o: &Totals) {
        self.queues += o.queues;
        self.messages += o.messages;
        self.messages_ready += o.messages_ready;
        self.messages_unacknowledged += o.messages_unacknowledged;
        self.consumers += o.consumers;
        self.memory += o.memory;
        self.publish_rate += o.publish_rate;
        self.deliver_rate += o.deliver_rate;
        self.stalled_queues += o.stalled_queues;
        self.dead_letters += o.dead_letters;
    }

    pub fn metric(&self, m: Metric) -> f64 {
        match m {
            Metric::Messages => self.messages as f64,
            Metric::Ready => self.messages_ready as f64,
            Metric::Unacked => self.messages_unacknowledged as f64,
            Metric::Consumers => self.consumers as f64,
            Metric::Memory => self.memory as f64,
            Metric::PublishRate => self.publish_rate,
            Metric::DeliverRate => self.deliver_rate,
            Metric::Queues => f64::from(self.queues),
            Metric::DeadLetters => self.dead_letters as f64,
        }
    }
}

/// What "heaviest" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Metric {
    #[default]
    Messages,
    Ready,
    Unacked,
    Consumers,
    Memory,
    PublishRate,
    DeliverRate,
    Queues,
    DeadLetters,
}

impl std::str::FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim().to_lowercase().as_str() {
            "messages" => Metric::Messages,
            "ready" | "messages_ready" => Metric::Ready,
            "unacked" | "messages_unacknowledged" => Metric::Unacked,
            "consumers" => Metric::Consumers,
            "memory" => Metric::Memory,
            "publish_rate" => Metric::PublishRate,
            "deliver_rate" => Metric::DeliverRate,
            "queues" => Metric::Queues,
            "dead_letters" | "dead-letters" => Metric::DeadLetters,
            other => {
                return Err(format!(
                    "unknown metric `{other}`: use messages, ready, unacked, consumers, memory, publish_rate, deliver_rate, queues or dead_letters"
                ))
            }
        })
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct Group {
    /// The realm or the worker.
    pub key: String,
    /// The vhost it lives in, when a view over several vhosts keeps each vhost's realms apart
    /// (`acme` in `shop` is not `acme` in `staging`); `None` within one vhost.
    pub vhost: Option<String>,
    pub totals: Totals,
}

/// Which queues a realm view sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Every loaded vhost, one group per name.
    All,
    /// Every loaded vhost, one group per (vhost, name): realms of different vhosts stay apart.
    PerVhost,
    /// One vhost.
    Vhost(&'a str),
}

/// One (worker, realm) cell; `worker` and `realm` index `RealmSummary::workers` / `realms`
/// (a grid of 100 workers × 500 realms crosses to the window without 100,000 names).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Cell {
    pub worker: u32,
    pub realm: u32,
    pub totals: Totals,
}

/// Realms and workers sorted by key, cells by (worker, realm); `total` covers every queue,
/// `unpartitioned` those the template did not map.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct RealmSummary {
    pub realms: Vec<Group>,
    pub workers: Vec<Group>,
    pub cells: Vec<Cell>,
    pub unpartitioned: Totals,
    pub total: Totals,
}

impl RealmSummary {
    /// Put the dead letters attributed to each realm and worker into their totals.
    pub fn set_dead_letters(&mut self, dl: &crate::deadletters::RealmDeadLetters) {
        let fill = |groups: &mut [Group], counts: &[crate::deadletters::by_realm::KeyCount]| {
            for g in groups.iter_mut() {
                g.totals.dead_letters = counts
                    .iter()
                    .find(|c| c.key == g.key && c.vhost == g.vhost)
                    .map_or(0, |c| c.messages);
            }
        };
        fill(&mut self.realms, &dl.realms);
        fill(&mut self.workers, &dl.workers);
        self.total.dead_letters = dl.total;
        // Not attributed to any realm: shared DLQs not read, unpartitioned origins.
        self.unpartitioned.dead_letters = dl.unattributed;
    }
}

/// Sum the rows of an inventory (see `summarize_index`).
pub fn summarize(rows: &[QueueRow]) -> RealmSummary {
    summarize_index(&RowIndex::new(rows))
}

/// Sum every row of an inventory through its filter index (see `summarize_scope`).
pub fn summarize_index(index: &RowIndex) -> RealmSummary {
    summarize_scope(index, Scope::All)
}

/// Group ids for one dictionary column (realm or worker), qualified by the vhost when the scope
/// keeps vhosts apart: `(names, vhosts, id of each row)`.
fn group_ids(
    names: &[Option<String>],
    ids: &[u32],
    per_vhost: Option<(&[Option<String>], &[u32])>,
) -> (Vec<Option<String>>, Vec<Option<String>>, Vec<u32>) {
    let Some((vhost_names, vhost_ids)) = per_vhost else {
        return (names.to_vec(), vec![None; names.len()], ids.to_vec());
    };
    let mut seen: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    let (mut out_names, mut out_vhosts) = (Vec::new(), Vec::new());
    let row_ids = ids
        .iter()
        .zip(vhost_ids)
        .map(|(id, v)| {
            *seen.entry((*id, *v)).or_insert_with(|| {
                out_names.push(names[*id as usize].clone());
                out_vhosts.push(vhost_names[*v as usize].clone());
                out_names.len() as u32 - 1
            })
        })
        .collect();
    (out_names, out_vhosts, row_ids)
}

/// The largest worker × realm grid summed into a dense array (16 MB); beyond, a hash map.
const DENSE_CELLS: usize = 1 << 18;

/// Sum an inventory's rows in `scope` through its filter index (built once per refresh): the
/// realm and worker of each row are already dictionary ids and the counters plain arrays, so no
/// name is hashed here (but for the vhost pairs of `Scope::PerVhost`). Rows without a realm are
/// unpartitioned.
pub fn summarize_scope(index: &RowIndex, scope: Scope) -> RealmSummary {
    let vhosts = index.vhost_keys();
    let per_vhost = (scope == Scope::PerVhost).then_some(vhosts);
    let (realm_names, realm_vhosts, realm_ids) =
        group_ids(index.realm_keys().0, index.realm_keys().1, per_vhost);
    let (worker_names, worker_vhosts, worker_ids) =
        group_ids(index.worker_keys().0, index.worker_keys().1, per_vhost);
    // In one vhost: its dictionary id (none: an empty view).
    let only = match scope {
        Scope::Vhost(v) => Some(
            vhosts
                .0
                .iter()
                .position(|n| n.as_deref() == Some(v))
                .map_or(u32::MAX, |p| p as u32),
        ),
        _ => None,
    };
    let columns = NUMERIC.map(|c| index.numbers(c));
    let (nr, nw) = (realm_names.len(), worker_names.len());
    let mut realms = vec![Totals::default(); nr];
    let mut workers = vec![Totals::default(); nw];
    let dense = nr.saturating_mul(nw) <= DENSE_CELLS;
    let mut dense_cells = if dense {
        vec![Totals::default(); nr * nw]
    } else {
        vec![]
    };
    let mut sparse_cells: FxHashMap<(u32, u32), Totals> = FxHashMap::default();
    let mut summary = RealmSummary::default();
    for i in 0..index.len() {
        if only.is_some_and(|v| vhosts.1[i] != v) {
            continue;
        }
        let values = columns.map(|c| c[i]);
        summary.total.add(values);
        let (r, w) = (realm_ids[i] as usize, worker_ids[i] as usize);
        if realm_names[r].is_none() || worker_names[w].is_none() {
            summary.unpartitioned.add(values);
            continue;
        }
        realms[r].add(values);
        workers[w].add(values);
        if dense {
            dense_cells[w * nr + r].add(values);
        } else {
            sparse_cells
                .entry((w as u32, r as u32))
                .or_default()
                .add(values);
        }
    }
    let (realm_groups, realm_pos) = sorted_groups(&realm_names, &realm_vhosts, &realms);
    let (worker_groups, worker_pos) = sorted_groups(&worker_names, &worker_vhosts, &workers);
    let cell = |w: usize, r: usize, totals: &Totals| Cell {
        worker: worker_pos[w],
        realm: realm_pos[r],
        totals: *totals,
    };
    summary.cells = if dense {
        dense_cells
            .iter()
            .enumerate()
            .filter(|(_, t)| t.queues > 0)
            .map(|(i, t)| cell(i / nr.max(1), i % nr.max(1), t))
            .collect()
    } else {
        sparse_cells
            .iter()
            .map(|((w, r), t)| cell(*w as usize, *r as usize, t))
            .collect()
    };
    summary.cells.sort_unstable_by_key(|c| (c.worker, c.realm));
    summary.realms = realm_groups;
    summary.workers = worker_groups;
    debug_assert_eq!(
        summary
            .realms
            .iter()
            .fold(summary.unpartitioned, |mut t, g| {
                t.merge(&g.totals);
                t
            })
            .queues,
        summary.total.queues
    );
    summary
}

/// The named groups sorted by name (then vhost), and for each group id its position there.
fn sorted_groups(
    names: &[Option<String>],
    vhosts: &[Option<String>],
    totals: &[Totals],
) -> (Vec<Group>, Vec<u32>) {
    let mut order: Vec<usize> = (0..names.len())
        .filter(|i| names[*i].is_some() && totals[*i].queues > 0)
        .collect();
    order.sort_by(|a, b| (&names[*a], &vhosts[*a]).cmp(&(&names[*b], &vhosts[*b])));
    let mut position = vec![u32::MAX; names.len()];
    for (pos, id) in order.iter().enumerate() {
        position[*id] = pos as u32;
    }
    let groups = order
        .iter()
        .map(|i| Group {
            key: names[*i].clone().unwrap_or_default(),
            vhost: vhosts[*i].clone(),
            totals: totals[*i],
        })
        .collect();
    (groups, position)
}

/// Heaviest first by `metric`, ties by key; the first `top` (all when `None`).
pub fn rank(groups: &[Group], metric: Metric, top: Option<usize>) -> Vec<Group> {
    let mut v = groups.to_vec();
    v.sort_by(|a, b| {
        b.totals
            .metric(metric)
            .total_cmp(&a.totals.metric(metric))
            .then_with(|| (&a.key, &a.vhost).cmp(&(&b.key, &b.vhost)))
    });
    v.truncate(top.unwrap_or(usize::MAX));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::RealmTemplate;

    fn row(name: &str, messages: u64, consumers: u64) -> QueueRow {
        let mut r = QueueRow::named("/", name);
        r.messages = messages;
        r.consumers = consumers;
        r.memory = 1000;
        r
    }

    #[test]
    fn sums_per_realm_worker_and_cell_and_keeps_the_rest_apart() {
        let mut rows = vec![
            row("billing.acme", 10, 1),
            row("email.acme", 5, 0),
            row("billing.globex", 1, 2),
            row("audit-log", 7, 0),
        ];
        let t = RealmTemplate::parse("{worker}.{realm}").unwrap();
        crate::queues::map_rows(Some(&t), &mut rows);
        let s = summarize(&rows);
        let acme = &s.realms.iter().find(|g| g.key == "acme").unwrap().totals;
        assert_eq!(
            (
                acme.queues,
                acme.messages,
                acme.consumers,
                acme.memory,
                acme.stalled_queues
            ),
            (2, 15, 1, 2000, 1)
        );
        assert_eq!(
            s.workers
                .iter()
                .map(|g| (g.key.as_str(), g.totals.messages))
                .collect::<Vec<_>>(),
            vec![("billing", 11), ("email", 5)]
        );
        assert_eq!(s.cells.len(), 3);
        let cell = |w: &str, r: &str| {
            let (wi, ri) = (
                s.workers.iter().position(|g| g.key == w).unwrap(),
                s.realms.iter().position(|g| g.key == r).unwrap(),
            );
            s.cells
                .iter()
                .find(|c| c.worker as usize == wi && c.realm as usize == ri)
                .map(|c| c.totals.messages)
        };
        assert_eq!(
            (
                cell("billing", "acme"),
                cell("email", "acme"),
                cell("email", "globex")
            ),
            (Some(10), Some(5), None)
        );
        assert_eq!((s.unpartitioned.queues, s.unpartitioned.messages), (1, 7));
        assert_eq!((s.total.queues, s.total.messages), (4, 23));
        let top = rank(&s.realms, Metric::Messages, Some(1));
        assert_eq!(top[0].key, "acme");
        assert_eq!(rank(&s.realms, Metric::Consumers, None)[0].key, "globex");
    }

    #[test]
    fn a_scope_sums_one_vhost_or_keeps_each_vhosts_realms_apart() {
        let at = |vhost: &str, name: &str, messages: u64| QueueRow {
            vhost: vhost.into(),
            ..row(name, messages, 1)
        };
        let mut rows = vec![
            at("shop", "billing.acme", 10),
            at("shop", "email.acme", 5),
            at("staging", "billing.acme", 100),
            at("staging", "billing.globex", 1),
        ];
        let t = RealmTemplate::parse("{worker}.{realm}").unwrap();
        crate::queues::map_rows(Some(&t), &mut rows);
        let index = RowIndex::new(&rows);
        let realms = |s: &RealmSummary| {
            s.realms
                .iter()
                .map(|g| (g.key.clone(), g.vhost.clone(), g.totals.messages))
                .collect::<Vec<_>>()
        };
        // One vhost: its queues only; the other vhost's heavier `acme` does not count.
        let shop = summarize_scope(&index, Scope::Vhost("shop"));
        assert_eq!(realms(&shop), [("acme".into(), None, 15)]);
        assert_eq!((shop.total.queues, shop.total.messages), (2, 15));
        assert_eq!(shop.cells.len(), 2);
        // All vhosts, apart: `acme` twice, each with its vhost, and cells that point at them.
        let apart = summarize_scope(&index, Scope::PerVhost);
        assert_eq!(
            realms(&apart),
            [
                ("acme".into(), Some("shop".into()), 15),
                ("acme".into(), Some("staging".into()), 100),
                ("globex".into(), Some("staging".into()), 1),
            ]
        );
        assert_eq!(
            apart.workers.len(),
            3,
            "billing in shop, billing in staging, email"
        );
        let staging_acme = apart
            .cells
            .iter()
            .find(|c| c.realm == 1)
            .expect("a cell in staging's acme");
        assert_eq!(
            apart.workers[staging_acme.worker as usize].vhost.as_deref(),
            Some("staging")
        );
        assert_eq!(staging_acme.totals.messages, 100);
        // All vhosts as one: `acme` sums both.
        assert_eq!(
            realms(&summarize_scope(&index, Scope::All))[0],
            ("acme".into(), None, 115)
        );
        // A vhost that is not loaded: an empty view, not everything.
        assert_eq!(
            summarize_scope(&index, Scope::Vhost("nope")).total.queues,
            0
        );
    }

    #[test]
    fn metrics_parse_by_the_cli_names() {
        assert_eq!("unacked".parse::<Metric>().unwrap(), Metric::Unacked);
        assert_eq!(
            "publish_rate".parse::<Metric>().unwrap(),
            Metric::PublishRate
        );
        assert!("weight"
            .parse::<Metric>()
            .unwrap_err()
            .contains("use messages"));
    }
}
