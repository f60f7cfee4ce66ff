//! The embedded history store: one SQLite file per environment holding every sampled queue's
//! counters and the realm / worker / cell / total aggregates, with retention and downsampling.
//! Design and measurements: /work/notes/history-readme.md (and the module docs below).
//!
//! Layout: `series` is the dictionary; `samples` says when each vhost was sampled; `changes`
//! holds a row only for a series whose figures changed at a sample (a sample without a row
//! means "unchanged", a NULL state means "gone"); `maintain` packs closed hours into one blob
//! per series per hour (`chunks`, tier 0) and, past 48 h, into 5-minute min/avg/max buckets per
//! series per day (tier 1), dropped after 30 days.

mod codec;
mod compact;
pub mod model;
mod read;
#[cfg(test)]
mod tests;

pub use model::*;

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use rustc_hash::FxHashMap;

use crate::queues::row::QueueRow;
use codec::{to_fixed, Tuple};

/// Full resolution is kept this long.
pub const FULL_RESOLUTION_S: i64 = 48 * 3600;
/// Downsampled bucket width.
pub const BUCKET_S: i64 = 300;
/// 5-minute buckets are kept this long (whole days), then merged into hour buckets: the
/// tiering Thanos uses for Prometheus data (raw, 5 m after 40 h, 1 h after 10 d). A 30-day
/// chart has 720 hourly points either way; 5-minute buckets for 30 days would not fit the
/// 1 GB bound at 50,000 queues (README, "History").
pub const FINE_BUCKETS_S: i64 = 10 * 86_400;
/// The width of the oldest buckets.
pub const HOUR_BUCKET_S: i64 = 3600;
/// Downsampled buckets are kept this long, then dropped.
pub const RETENTION_S: i64 = 30 * 86_400;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
const TIER_RAW: i64 = 0;
const TIER_BUCKETS: i64 = 1;
const TIER_HOURS: i64 = 2;

/// The width of one bucket of a chunk tier (0 for full resolution).
fn tier_width(tier: i64) -> i64 {
    match tier {
        TIER_BUCKETS => BUCKET_S,
        TIER_HOURS => HOUR_BUCKET_S,
        _ => 0,
    }
}
const SCHEMA_VERSION: i64 = 2;

/// One environment's history. `Send`: the session keeps it in a `Mutex` and calls it from
/// `spawn_blocking`. Several processes may open the same file (the window and `warren watch`):
/// writes take SQLite's lock and a writer notices the other's samples (see `sync_cache`).
pub struct HistoryStore {
    path: PathBuf,
    conn: Connection,
    /// The last state of every series, so `append` writes only what changed.
    cache: Cache,
    /// Every sample time (and the vhost it covered) in the store, read incrementally.
    samples: RefCell<Samples>,
}

#[derive(Default)]
struct Cache {
    loaded: bool,
    /// SQLite's `data_version` when the cache was last known to match the file: it changes
    /// when another connection commits.
    data_version: i64,
    ids: FxHashMap<String, i64>,
    metas: Vec<Option<SeriesMeta>>,
    epoch: u64,
}

struct SeriesMeta {
    kind: i64,
    vhost: String,
    state: Option<Tuple>,
    /// When `state` began (its record's time; `i64::MIN` when unknown).
    since: i64,
    seen: u64,
    /// A queue's aggregates.
    link: Option<Box<Link>>,
}

/// The realm, worker, cell and total series a queue was last summed into (0: none).
struct Link {
    realm: Option<String>,
    worker: Option<String>,
    ids: [i64; 4],
}

#[derive(Default)]
struct Samples {
    last_rowid: i64,
    /// (time, vhost covered: `None` = every vhost), in time order.
    rows: Vec<(i64, Option<String>)>,
}

fn kind_code(k: SeriesKind) -> i64 {
    match k {
        SeriesKind::Queue => 0,
        SeriesKind::Realm => 1,
        SeriesKind::Worker => 2,
        SeriesKind::Cell => 3,
        SeriesKind::Total => 4,
    }
}

/// The dictionary key of a series: kind, vhost, key, realm joined by NULs.
fn dict_key(buf: &mut String, kind: i64, vhost: &str, key: &str, realm: &str) {
    buf.clear();
    buf.push(char::from(b'0' + kind as u8));
    buf.push('\0');
    buf.push_str(vhost);
    buf.push('\0');
    buf.push_str(key);
    buf.push('\0');
    buf.push_str(realm);
}

fn floor_to(t: i64, step: i64) -> i64 {
    t.div_euclid(step) * step
}

pub(crate) fn rfc3339(t: i64) -> String {
    crate::audit::rfc3339(t, 0)
}

fn row_tuple(r: &QueueRow) -> Tuple {
    [
        r.messages as i64,
        r.messages_ready as i64,
        r.messages_unacknowledged as i64,
        r.consumers as i64,
        r.memory as i64,
        to_fixed(5, r.publish_rate),
        to_fixed(6, r.deliver_rate),
    ]
}

fn add(a: &mut Tuple, b: &Tuple) {
    for i in 0..7 {
        a[i] += b[i];
    }
}

impl HistoryStore {
    /// `<data_dir>/history/<env_id>.sqlite`: one store per environment.
    pub fn path_for(data_dir: &Path, env_id: &str) -> PathBuf {
        data_dir.join("history").join(format!("{env_id}.sqlite"))
    }

    /// Opens (creating the directory and the schema if needed) the store at `path`.
    pub fn open(path: &Path) -> crate::Result<HistoryStore> {
        let werr = |e: &dyn std::fmt::Display| crate::Error::FileWrite {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| werr(&e))?;
        }
        let conn = Connection::open(path).map_err(|e| werr(&e))?;
        let store = HistoryStore {
            path: path.to_path_buf(),
            conn,
            cache: Cache::default(),
            samples: RefCell::new(Samples::default()),
        };
        store.init().map_err(|e| store.err(e))?;
        Ok(store)
    }

    fn init(&self) -> rusqlite::Result<()> {
        let c = &self.conn;
        // Both the window and `warren watch` may write: wait for the other's transaction.
        c.busy_timeout(std::time::Duration::from_secs(10))?;
        // WAL: readers never block the writer, and a killed writer leaves the file intact (its
        // uncommitted transaction is rolled back at the next open). NORMAL sync: a committed
        // sample survives a process kill; an OS crash may lose the last few, never corrupt.
        // 16 KiB pages: hour and day blobs of a few KiB fill them well (4 KiB pages left 40 %
        // empty). Takes effect only on a new file, before WAL is switched on.
        c.execute_batch("PRAGMA page_size=16384;")?;
        let _: String = c.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        c.execute_batch(
            "PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=67108864; PRAGMA cache_size=-32768;",
        )?;
        let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(rusqlite::Error::InvalidParameterName(format!(
                "this history store was written by a newer Warren (schema {version}, this one knows {SCHEMA_VERSION}); update Warren or move the file away"
            )));
        }
        if version < 1 {
            // Freed pages (dropped chunks) go back to the file system in `maintain`.
            c.execute_batch(
                "PRAGMA auto_vacuum=INCREMENTAL;
                 BEGIN IMMEDIATE;
                 CREATE TABLE IF NOT EXISTS series (
                     id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, vhost TEXT NOT NULL,
                     key TEXT NOT NULL, realm TEXT NOT NULL, UNIQUE (kind, key, realm, vhost));
                 CREATE TABLE IF NOT EXISTS samples (t INTEGER NOT NULL, vhost TEXT);
                 CREATE INDEX IF NOT EXISTS samples_t ON samples (t);
                 CREATE TABLE IF NOT EXISTS changes (
                     series_id INTEGER NOT NULL, t INTEGER NOT NULL, state BLOB,
                     PRIMARY KEY (series_id, t)) WITHOUT ROWID;
                 CREATE TABLE IF NOT EXISTS chunks (
                     series_id INTEGER NOT NULL, start INTEGER NOT NULL, tier INTEGER NOT NULL,
                     blob BLOB NOT NULL, PRIMARY KEY (series_id, start));
                 CREATE INDEX IF NOT EXISTS chunks_start ON chunks (start, tier, series_id);
                 CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                 PRAGMA user_version=1;
                 COMMIT;",
            )?;
        }
        if version < 2 {
            // The alerts' state (`crate::alerts::state`): the window and `warren watch` share it.
            c.execute_batch(
                "BEGIN IMMEDIATE;
                 CREATE TABLE IF NOT EXISTS alerts (
                     rule_id TEXT NOT NULL, subject TEXT NOT NULL, kind TEXT NOT NULL,
                     message TEXT NOT NULL, value REAL NOT NULL, first_at INTEGER NOT NULL,
                     last_at INTEGER NOT NULL, resolved_at INTEGER,
                     PRIMARY KEY (rule_id, subject, first_at));
                 CREATE INDEX IF NOT EXISTS alerts_open ON alerts (resolved_at);
                 PRAGMA user_version=2;
                 COMMIT;",
            )?;
        }
        Ok(())
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> crate::Error {
        crate::Error::FileWrite {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        }
    }

    fn meta(&self, key: &str) -> rusqlite::Result<Option<i64>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
    }

    /// One sample taken at `at` (Unix seconds) of every queue in `rows` (the rows' `worker` /
    /// `realm` already filled; `None` = unpartitioned). `covered`: `Some(v)` = the sample covers
    /// only vhost `v`; `None` = every vhost (a queue of a covered vhost missing from `rows` no
    /// longer exists at `at`). Records each queue's figures and the realm / worker / cell /
    /// total sums per vhost, in one transaction.
    pub fn append(
        &mut self,
        at: i64,
        covered: Option<&str>,
        rows: &[QueueRow],
    ) -> crate::Result<()> {
        let r = self.append_inner(at, covered, rows);
        if r.is_err() {
            // The transaction rolled back: the cache may hold series or states it did not keep.
            self.cache.loaded = false;
        }
        r
    }

    fn append_inner(
        &mut self,
        at: i64,
        covered: Option<&str>,
        rows: &[QueueRow],
    ) -> crate::Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| crate::Error::FileWrite {
                path: self.path.display().to_string(),
                reason: e.to_string(),
            })?;
        let path = &self.path;
        let err = |e: rusqlite::Error| crate::Error::FileWrite {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let (newest, clash): (Option<i64>, i64) = tx
            .query_row(
                "SELECT (SELECT max(t) FROM samples),
                        (SELECT count(*) FROM samples WHERE t = ?1 AND vhost IS ?2)",
                params![at, covered],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(err)?;
        let frontier: i64 = tx
            .query_row("SELECT value FROM meta WHERE key = 'frontier'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(err)?
            .unwrap_or(i64::MIN);
        // Another writer (the window, `warren watch`) sampled this vhost in the same second:
        // the same measurement, kept once.
        if clash > 0 && newest == Some(at) {
            return Ok(());
        }
        if newest.is_some_and(|n| at < n) || clash > 0 || at < frontier {
            return Err(crate::Error::InvalidArgument(format!(
                "a history sample at {} is not newer than the store's newest ({}): samples must come in time order; check the system clock",
                rfc3339(at),
                newest.map(rfc3339).unwrap_or_default()
            )));
        }
        sync_cache(&tx, &mut self.cache).map_err(err)?;
        let cache = &mut self.cache;
        cache.epoch += 1;
        let epoch = cache.epoch;

        tx.execute(
            "INSERT INTO samples (t, vhost) VALUES (?1, ?2)",
            params![at, covered],
        )
        .map_err(err)?;

        // Each queue remembers the ids of its realm, worker, cell and total series (while its
        // realm and worker stay the same), so summing costs array additions, not lookups.
        let mut sums: FxHashMap<i64, Tuple> = FxHashMap::default();
        let mut pending: Vec<(i64, Option<Tuple>)> = Vec::new();
        let mut buf = String::new();
        {
            let mut insert_series = tx
                .prepare_cached(
                    "INSERT INTO series (kind, vhost, key, realm) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?;
            let mut insert_change = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO changes (series_id, t, state) VALUES (?1, ?2, ?3)",
                )
                .map_err(err)?;
            let mut resolve = |cache: &mut Cache,
                               kind: i64,
                               vhost: &str,
                               key: &str,
                               realm: &str|
             -> rusqlite::Result<i64> {
                dict_key(&mut buf, kind, vhost, key, realm);
                if let Some(id) = cache.ids.get(buf.as_str()) {
                    return Ok(*id);
                }
                insert_series.execute(params![kind, vhost, key, realm])?;
                let id = tx.last_insert_rowid();
                cache.ids.insert(buf.clone(), id);
                cache.set_meta(
                    id,
                    SeriesMeta {
                        kind,
                        vhost: vhost.to_string(),
                        state: None,
                        since: i64::MIN,
                        seen: 0,
                        link: None,
                    },
                );
                Ok(id)
            };
            let mut observe = |cache: &mut Cache, id: i64, v: Tuple| -> rusqlite::Result<()> {
                let meta = cache.metas[id as usize]
                    .as_mut()
                    .expect("meta of a known id");
                meta.seen = epoch;
                if meta.state != Some(v) {
                    insert_change.execute(params![id, at, codec::encode_tuple(&v)])?;
                    pending.push((id, Some(v)));
                }
                Ok(())
            };
            for r in rows {
                if covered.is_some_and(|c| c != r.vhost) {
                    continue;
                }
                let v = row_tuple(r);
                let id = resolve(cache, 0, &r.vhost, &r.name, "").map_err(err)?;
                observe(cache, id, v).map_err(err)?;
                let linked = cache.metas[id as usize]
                    .as_ref()
                    .and_then(|m| m.link.as_ref())
                    .filter(|l| l.realm == r.realm && l.worker == r.worker)
                    .map(|l| l.ids);
                let ids = match linked {
                    Some(ids) => ids,
                    None => {
                        let vh = r.vhost.as_str();
                        let mut ids = [0i64; 4];
                        ids[0] = resolve(cache, 4, vh, "", "").map_err(err)?;
                        if let Some(realm) = r.realm.as_deref() {
                            ids[1] = resolve(cache, 1, vh, realm, "").map_err(err)?;
                        }
                        if let Some(worker) = r.worker.as_deref() {
                            ids[2] = resolve(cache, 2, vh, worker, "").map_err(err)?;
                            if let Some(realm) = r.realm.as_deref() {
                                ids[3] = resolve(cache, 3, vh, worker, realm).map_err(err)?;
                            }
                        }
                        if let Some(m) = cache.metas[id as usize].as_mut() {
                            m.link = Some(Box::new(Link {
                                realm: r.realm.clone(),
                                worker: r.worker.clone(),
                                ids,
                            }));
                        }
                        ids
                    }
                };
                for agg in ids.into_iter().filter(|a| *a != 0) {
                    add(sums.entry(agg).or_default(), &v);
                }
            }
            for (id, v) in &sums {
                observe(cache, *id, *v).map_err(err)?;
            }
            // Series of a covered vhost that this sample did not see no longer exist.
            for (id, meta) in cache.metas.iter().enumerate() {
                let Some(meta) = meta else { continue };
                if meta.seen != epoch
                    && meta.state.is_some()
                    && covered.is_none_or(|c| c == meta.vhost)
                {
                    insert_change
                        .execute(params![id as i64, at, None::<Vec<u8>>])
                        .map_err(err)?;
                    pending.push((id as i64, None));
                }
            }
        }
        tx.commit().map_err(err)?;
        for (id, state) in pending {
            if let Some(m) = self.cache.metas[id as usize].as_mut() {
                m.state = state;
                m.since = at;
            }
        }
        Ok(())
    }

    /// A series over [since, until]: full resolution when the window starts inside the last
    /// 48 h (and nothing in it has been downsampled yet), else 5-minute buckets (average as
    /// `value`, `min`, `max`) throughout. `sel.vhost == None`: summed over vhosts at each
    /// sample time, each vhost contributing its last sampled value.
    pub fn series(
        &self,
        sel: &SeriesSelector,
        metric: HistoryMetric,
        since: i64,
        until: i64,
    ) -> crate::Result<Series> {
        let (points, resolution_s) = self
            .points(sel, metric, since, until)
            .map_err(|e| self.err(e))?;
        Ok(Series {
            series: points
                .into_iter()
                .map(|p| model::Point {
                    t: rfc3339(p.t),
                    value: p.value,
                    min: p.min,
                    max: p.max,
                })
                .collect(),
            resolution_s: resolution_s as u32,
        })
    }

    /// A series' raw (time, value) points over [since, until], for rules that reason on them.
    pub fn values(
        &self,
        sel: &SeriesSelector,
        metric: HistoryMetric,
        since: i64,
        until: i64,
    ) -> crate::Result<Vec<(i64, f64)>> {
        let (points, _) = self
            .points(sel, metric, since, until)
            .map_err(|e| self.err(e))?;
        Ok(points.into_iter().map(|p| (p.t, p.value)).collect())
    }

    /// For table sparklines: each selector's series resampled to `buckets` equal slots over
    /// [since, until] (the average of the points in a slot; `None` where nothing was sampled).
    pub fn sparklines(
        &self,
        sels: &[SeriesSelector],
        metric: HistoryMetric,
        since: i64,
        until: i64,
        buckets: usize,
    ) -> crate::Result<Vec<Vec<Option<f64>>>> {
        let mut out = Vec::with_capacity(sels.len());
        for sel in sels {
            let (points, _) = self
                .points(sel, metric, since, until)
                .map_err(|e| self.err(e))?;
            out.push(read::resample(&points, since, until, buckets));
        }
        Ok(out)
    }

    /// The biggest growers of `by` in vhost `vhost` (`None`: every vhost, each vhost's series
    /// apart), sorted by delta, only delta > 0, at most `limit`. Start and end are the values at
    /// `since` (or the vhost's first sample, when its history begins later) and `until` (0 where
    /// the series did not exist); `growing_since` is the last time
    /// the series stood at its lowest value over the whole retained history.
    pub fn growers(
        &self,
        by: SeriesKind,
        vhost: Option<&str>,
        metric: HistoryMetric,
        since: i64,
        until: i64,
        limit: usize,
    ) -> crate::Result<Vec<Grower>> {
        self.growers_inner(by, vhost, metric, since, until, limit)
            .map_err(|e| self.err(e))
    }

    /// Retention: packs closed hours into blobs, downsamples what is older than 48 h into
    /// 5-minute min/avg/max buckets, drops what is older than 30 days, and gives freed space
    /// back. Idempotent, and cheap when nothing is due.
    pub fn maintain(&mut self, now: i64) -> crate::Result<()> {
        self.maintain_inner(now).map_err(|e| self.err(e))
    }

    /// What the store holds and its size on disk (the database, its WAL and shared memory).
    pub fn info(&self) -> crate::Result<HistoryInfo> {
        let q = || -> rusqlite::Result<(u64, u64, Option<i64>, Option<i64>)> {
            self.conn.query_row(
                "SELECT (SELECT count(DISTINCT t) FROM samples), (SELECT count(*) FROM series),
                        (SELECT min(t) FROM samples), (SELECT max(t) FROM samples)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
        };
        let (samples, series, oldest, newest) = q().map_err(|e| self.err(e))?;
        Ok(HistoryInfo {
            path: self.path.display().to_string(),
            bytes: self.bytes_on_disk(),
            samples,
            series,
            oldest: oldest.map(rfc3339),
            newest: newest.map(rfc3339),
            full_resolution_s: FULL_RESOLUTION_S as u32,
            bucket_s: BUCKET_S as u32,
            fine_buckets_s: FINE_BUCKETS_S as u32,
            hour_bucket_s: HOUR_BUCKET_S as u32,
            retention_s: RETENTION_S as u32,
        })
    }

    /// Bytes of the database file plus its `-wal` and `-shm` companions.
    pub fn bytes_on_disk(&self) -> u64 {
        ["", "-wal", "-shm"]
            .iter()
            .filter_map(|s| {
                let mut p = self.path.clone().into_os_string();
                p.push(s);
                std::fs::metadata(p).ok().map(|m| m.len())
            })
            .sum()
    }

    /// The store's file.
    /// The SQLite connection, for the alerts' state kept beside the samples.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes the sample cache hold every sample in the file.
    fn refresh_samples(&self) -> rusqlite::Result<()> {
        let mut s = self.samples.borrow_mut();
        let mut stmt = self.conn.prepare_cached(
            "SELECT rowid, t, vhost FROM samples WHERE rowid > ?1 ORDER BY rowid",
        )?;
        let mut rows = stmt.query([s.last_rowid])?;
        while let Some(r) = rows.next()? {
            let rowid: i64 = r.get(0)?;
            let t: i64 = r.get(1)?;
            let vhost: Option<String> = r.get(2)?;
            s.last_rowid = rowid;
            s.rows.push((t, vhost));
        }
        // Appends come in time order, but a sample for the same second from another process
        // may land after ours: keep the cache sorted.
        if s.rows.windows(2).any(|w| w[0].0 > w[1].0) {
            s.rows.sort_by_key(|r| r.0);
        }
        Ok(())
    }
}

impl Cache {
    fn set_meta(&mut self, id: i64, meta: SeriesMeta) {
        let i = id as usize;
        if self.metas.len() <= i {
            self.metas.resize_with(i + 1, || None);
        }
        self.metas[i] = Some(meta);
    }
}

/// Loads the dictionary and every series' last state, unless the cache already matches the
/// file (nobody else committed since: SQLite's `data_version` is unchanged).
fn sync_cache(conn: &Connection, cache: &mut Cache) -> rusqlite::Result<()> {
    let dv: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
    if cache.loaded && dv == cache.data_version {
        return Ok(());
    }
    let epoch = cache.epoch;
    *cache = Cache {
        epoch,
        ..Cache::default()
    };
    let mut buf = String::new();
    {
        let mut stmt = conn.prepare("SELECT id, kind, vhost, key, realm FROM series")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let kind: i64 = r.get(1)?;
            let vhost: String = r.get(2)?;
            dict_key(
                &mut buf,
                kind,
                &vhost,
                r.get_ref(3)?.as_str()?,
                r.get_ref(4)?.as_str()?,
            );
            cache.ids.insert(buf.clone(), id);
            cache.set_meta(
                id,
                SeriesMeta {
                    kind,
                    vhost,
                    state: None,
                    since: i64::MIN,
                    seen: 0,
                    link: None,
                },
            );
        }
    }
    // The last state and when it began: the newest change row, else the end of the newest
    // chunk (a bucket's end: its state began at most then).
    let mut latest: FxHashMap<i64, (i64, Option<Tuple>)> = FxHashMap::default();
    {
        let mut stmt =
            conn.prepare("SELECT series_id, t, state FROM changes ORDER BY series_id, t")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let state: Option<Vec<u8>> = r.get(2)?;
            latest.insert(
                r.get(0)?,
                (r.get(1)?, state.and_then(|b| codec::decode_tuple(&b))),
            );
        }
    }
    let mut last_chunk = conn.prepare_cached(
        "SELECT start, tier, blob FROM chunks WHERE series_id = ?1 ORDER BY start DESC LIMIT 1",
    )?;
    let mut records = Vec::new();
    for (id, meta) in cache.metas.iter_mut().enumerate() {
        let Some(meta) = meta else { continue };
        (meta.since, meta.state) = match latest.get(&(id as i64)) {
            Some(s) => *s,
            None => {
                let chunk: Option<(i64, i64, Vec<u8>)> = last_chunk
                    .query_row([id as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?;
                match chunk {
                    Some((start, tier, blob)) => {
                        records.clear();
                        read::decode_chunk(start, tier, &blob, &mut records);
                        records.last().map_or((i64::MIN, None), |r| {
                            (r.t() + tier_width(tier), r.state_after())
                        })
                    }
                    None => (i64::MIN, None),
                }
            }
        };
    }
    cache.data_version = dv;
    cache.loaded = true;
    Ok(())
}

/// One series' figures for `HistoryStore::import_hour`, in the store's fixed point (counts as
/// they are, rates in thousandths): a record per change, `None` = gone.
#[doc(hidden)]
pub type FixedRecord = (i64, Option<[i64; 7]>);

impl HistoryStore {
    /// For benchmarks that synthesise weeks of history: writes one closed hour exactly as
    /// `append` + `maintain` would have left it (the sample rows, and one packed blob per series
    /// that changed, made by the same encoder), without going through 240 appends. `times`: the
    /// hour's sample times (covering every vhost); `series`: (kind, vhost, key, realm, records).
    #[doc(hidden)]
    pub fn import_hour(
        &mut self,
        hour: i64,
        times: &[i64],
        series: &[(SeriesKind, &str, &str, &str, Vec<FixedRecord>)],
    ) -> crate::Result<()> {
        let r = (|| -> rusqlite::Result<()> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut ins =
                    tx.prepare_cached("INSERT INTO samples (t, vhost) VALUES (?1, NULL)")?;
                for t in times {
                    ins.execute([t])?;
                }
                let mut find = tx.prepare_cached(
                    "SELECT id FROM series WHERE kind = ?1 AND key = ?2 AND realm = ?3 AND vhost = ?4",
                )?;
                let mut new = tx.prepare_cached(
                    "INSERT INTO series (kind, vhost, key, realm) VALUES (?1, ?2, ?3, ?4)",
                )?;
                let mut put = tx.prepare_cached(
                    "INSERT INTO chunks (series_id, start, tier, blob) VALUES (?1, ?2, 0, ?3)",
                )?;
                for (kind, vhost, key, realm, recs) in series {
                    let k = kind_code(*kind);
                    let id = match find
                        .query_row(params![k, key, realm, vhost], |r| r.get(0))
                        .optional()?
                    {
                        Some(id) => id,
                        None => {
                            new.execute(params![k, vhost, key, realm])?;
                            tx.last_insert_rowid()
                        }
                    };
                    let records: Vec<codec::Record> = recs
                        .iter()
                        .map(|(t, state)| codec::Record::Raw {
                            t: *t,
                            state: *state,
                        })
                        .collect();
                    put.execute(params![
                        id,
                        hour,
                        codec::pack(&codec::encode_raw(hour, &records))
                    ])?;
                }
            }
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('closed_until', ?1)",
                [hour + HOUR],
            )?;
            tx.commit()
        })();
        self.cache.loaded = false;
        r.map_err(|e| self.err(e))
    }
}
