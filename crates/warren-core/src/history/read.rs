//! Reading the store: a series' records from its chunks and change rows, evaluated at the
//! sample times (full resolution) or per 5-minute bucket, summed over vhosts, resampled for
//! sparklines; and the growers.

use rusqlite::{params, Connection, OptionalExtension};
use rustc_hash::FxHashMap;

use super::codec::{self, avg_from_fixed, from_fixed, Record, Stats, Tuple};
use super::{
    kind_code, rfc3339, Grower, HistoryMetric, HistoryStore, SeriesKind, SeriesSelector, BUCKET_S,
    DAY, FULL_RESOLUTION_S, HOUR, HOUR_BUCKET_S, TIER_BUCKETS, TIER_HOURS, TIER_RAW,
};

/// A point before it is formatted for JSON.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RawPoint {
    pub t: i64,
    pub value: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

pub(crate) fn decode_chunk(start: i64, tier: i64, blob: &[u8], out: &mut Vec<Record>) {
    // A blob that does not decode (it cannot happen short of disk damage) costs its series'
    // records of that chunk, never the query.
    let Some(blob) = codec::unpack(blob) else {
        return;
    };
    let mut tmp = Vec::new();
    let ok = if tier != TIER_RAW {
        codec::decode_buckets(start, super::tier_width(tier), &blob, &mut tmp)
    } else {
        codec::decode_raw(start, &blob, &mut tmp)
    };
    if ok.is_some() {
        out.extend(tmp);
    }
}

fn metric_index(m: HistoryMetric) -> usize {
    HistoryMetric::ALL
        .iter()
        .position(|x| *x == m)
        .expect("metric in ALL")
}

/// The records of series `id` needed to evaluate it over [since, until]: those of the chunk
/// holding `since` and one before it (its state at `since`), the chunks after, and the rows of
/// `changes`.
pub(crate) fn load_records(
    conn: &Connection,
    id: i64,
    since: i64,
    until: i64,
) -> rusqlite::Result<Vec<Record>> {
    let mut out = Vec::new();
    let mut before = conn.prepare_cached(
        "SELECT start, tier, blob FROM chunks WHERE series_id = ?1 AND start <= ?2 ORDER BY start DESC LIMIT 2",
    )?;
    let mut carry: Vec<(i64, i64, Vec<u8>)> = before
        .query_map(params![id, since], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    carry.reverse();
    for (start, tier, blob) in &carry {
        decode_chunk(*start, *tier, blob, &mut out);
    }
    let mut inside = conn.prepare_cached(
        "SELECT start, tier, blob FROM chunks WHERE series_id = ?1 AND start > ?2 AND start <= ?3 ORDER BY start",
    )?;
    let mut rows = inside.query(params![id, since, until])?;
    while let Some(r) = rows.next()? {
        decode_chunk(r.get(0)?, r.get(1)?, r.get_ref(2)?.as_blob()?, &mut out);
    }
    let mut changes = conn.prepare_cached(
        "SELECT t, state FROM changes WHERE series_id = ?1 AND t <= ?2 ORDER BY t",
    )?;
    let mut rows = changes.query(params![id, until])?;
    while let Some(r) = rows.next()? {
        let state: Option<&[u8]> = r.get_ref(1)?.as_blob_or_null()?;
        out.push(Record::Raw {
            t: r.get(0)?,
            state: state.and_then(codec::decode_tuple),
        });
    }
    out.sort_by_key(Record::t);
    Ok(out)
}

/// Walks a series' records forward in time.
struct Cursor<'a> {
    records: &'a [Record],
    next: usize,
    state: Option<Tuple>,
}

impl<'a> Cursor<'a> {
    fn new(records: &'a [Record]) -> Self {
        Cursor {
            records,
            next: 0,
            state: None,
        }
    }

    /// Applies every record at or before `t` (`inclusive`) or strictly before it.
    fn advance(&mut self, t: i64, inclusive: bool) {
        while let Some(r) = self.records.get(self.next) {
            if r.t() > t || (!inclusive && r.t() == t) {
                break;
            }
            self.state = r.state_after();
            self.next += 1;
        }
    }

    fn peek(&self) -> Option<&'a Record> {
        self.records.get(self.next)
    }
}

/// The value of the series at each of `times` (sorted): its last recorded state.
fn values_at(records: &[Record], times: &[i64], m: usize) -> Vec<Option<f64>> {
    let mut c = Cursor::new(records);
    times
        .iter()
        .map(|t| {
            c.advance(*t, true);
            c.state.map(|s| from_fixed(m, s[m]))
        })
        .collect()
}

type Bucket = (f64, f64, f64); // min, avg, max

/// The series per slot of `width` (5 minutes or an hour): before `frontier` from the stored
/// buckets (hour buckets before `coarse`, 5-minute ones after), each weighted by the samples it
/// covers; after `frontier` from the full-resolution records at the slot's sample times.
fn bucket_values(
    records: &[Record],
    slots: &[(i64, Vec<i64>)],
    width: i64,
    (frontier, coarse): (i64, i64),
    m: usize,
) -> Vec<Option<Bucket>> {
    let mut c = Cursor::new(records);
    slots
        .iter()
        .map(|(slot, times)| {
            let (mut n, mut sum, mut lo, mut hi) = (0u32, 0.0, f64::INFINITY, f64::NEG_INFINITY);
            let mut add = |b: Bucket, k: u32| {
                n += k;
                sum += b.1 * f64::from(k);
                lo = lo.min(b.0);
                hi = hi.max(b.2);
            };
            if *slot < frontier {
                let step = if *slot < coarse {
                    HOUR_BUCKET_S
                } else {
                    BUCKET_S
                }
                .min(width);
                let mut ti = 0;
                for sub in (*slot..*slot + width).step_by(step as usize) {
                    let mut k = 0u32;
                    while ti < times.len() && times[ti] < sub + step {
                        k += u32::from(times[ti] >= sub);
                        ti += 1;
                    }
                    c.advance(sub, false);
                    let stored = match c.peek() {
                        Some(Record::Bucket { t, stats, .. }) if *t == sub => Some(*stats),
                        _ => None,
                    };
                    let stats = match stored {
                        Some(stats) => {
                            c.advance(sub, true);
                            stats
                        }
                        None if k == 0 => continue,
                        None => c.state.map(|s| Stats::constant(&s)),
                    };
                    if let Some(s) = stats {
                        add(stat_of(&s, m), k.max(1));
                    }
                }
            } else {
                for t in times {
                    c.advance(*t, true);
                    if let Some(s) = c.state {
                        let v = from_fixed(m, s[m]);
                        add((v, v, v), 1);
                    }
                }
            }
            (n > 0).then(|| (lo, sum / f64::from(n), hi))
        })
        .collect()
}

fn stat_of(s: &Stats, m: usize) -> Bucket {
    (
        from_fixed(m, s.min[m]),
        avg_from_fixed(m, s.avg[m]),
        from_fixed(m, s.max[m]),
    )
}

/// The ids of the series a selector names (one per vhost when `vhost` is `None`).
fn selected_ids(conn: &Connection, sel: &SeriesSelector) -> rusqlite::Result<Vec<(i64, String)>> {
    let key = sel.key.as_deref().unwrap_or("");
    let realm = if sel.kind == SeriesKind::Cell {
        sel.realm.as_deref().unwrap_or("")
    } else {
        ""
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, vhost FROM series WHERE kind = ?1 AND key = ?2 AND realm = ?3 AND (?4 IS NULL OR vhost = ?4)",
    )?;
    let ids = stmt
        .query_map(params![kind_code(sel.kind), key, realm, sel.vhost], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect();
    ids
}

impl HistoryStore {
    pub(crate) fn frontier(&self) -> rusqlite::Result<i64> {
        Ok(self.meta("frontier")?.unwrap_or(i64::MIN))
    }

    /// Buckets before this time are an hour wide.
    pub(crate) fn coarse_frontier(&self) -> rusqlite::Result<i64> {
        Ok(self.meta("coarse_frontier")?.unwrap_or(i64::MIN))
    }

    /// The points of a selector over [since, until] and their resolution in seconds.
    pub(crate) fn points(
        &self,
        sel: &SeriesSelector,
        metric: HistoryMetric,
        since: i64,
        until: i64,
    ) -> rusqlite::Result<(Vec<RawPoint>, i64)> {
        let m = metric_index(metric);
        self.refresh_samples()?;
        let samples = self.samples.borrow();
        let lo = samples.rows.partition_point(|r| r.0 < since);
        let hi = samples.rows.partition_point(|r| r.0 <= until);
        let window = &samples.rows[lo..hi];
        let covers = |v: &Option<String>| match (&sel.vhost, v) {
            (None, _) | (_, None) => true,
            (Some(a), Some(b)) => a == b,
        };
        let mut times: Vec<i64> = window
            .iter()
            .filter(|r| covers(&r.1))
            .map(|r| r.0)
            .collect();
        times.dedup();
        drop(samples);

        let ids = selected_ids(&self.conn, sel)?;
        let frontier = self.frontier()?;
        let newest = times.last().copied().unwrap_or(until);
        let full = since >= frontier && since >= newest.min(until) - FULL_RESOLUTION_S;

        if full {
            let mut sum: Vec<Option<f64>> = vec![None; times.len()];
            for (id, _) in &ids {
                let records = load_records(&self.conn, *id, since, until)?;
                for (acc, v) in sum.iter_mut().zip(values_at(&records, &times, m)) {
                    if let Some(v) = v {
                        *acc = Some(acc.unwrap_or(0.0) + v);
                    }
                }
            }
            let points = times
                .iter()
                .zip(sum)
                .filter_map(|(t, v)| {
                    v.map(|value| RawPoint {
                        t: *t,
                        value,
                        min: None,
                        max: None,
                    })
                })
                .collect();
            Ok((points, typical_interval(&times)))
        } else {
            // Hour buckets throughout when the window reaches back into them.
            let coarse = self.coarse_frontier()?;
            let width = if since < coarse {
                HOUR_BUCKET_S
            } else {
                BUCKET_S
            };
            let mut slots: Vec<(i64, Vec<i64>)> = Vec::new();
            for t in &times {
                let slot = super::floor_to(*t, width);
                match slots.last_mut() {
                    Some((s, ts)) if *s == slot => ts.push(*t),
                    _ => slots.push((slot, vec![*t])),
                }
            }
            let mut sum: Vec<Option<Bucket>> = vec![None; slots.len()];
            for (id, _) in &ids {
                let records = load_records(&self.conn, *id, since, until)?;
                for (acc, v) in sum.iter_mut().zip(bucket_values(
                    &records,
                    &slots,
                    width,
                    (frontier, coarse),
                    m,
                )) {
                    if let Some((a, b, c)) = v {
                        let (x, y, z) = acc.unwrap_or((0.0, 0.0, 0.0));
                        *acc = Some((x + a, y + b, z + c));
                    }
                }
            }
            let points = slots
                .iter()
                .zip(sum)
                .filter_map(|((t, _), v)| {
                    v.map(|(min, avg, max)| RawPoint {
                        t: *t,
                        value: avg,
                        min: Some(min),
                        max: Some(max),
                    })
                })
                .collect();
            Ok((points, width))
        }
    }

    fn state_at(&self, id: i64, t: i64) -> rusqlite::Result<Option<Tuple>> {
        let mut ch = self.conn.prepare_cached(
            "SELECT state FROM changes WHERE series_id = ?1 AND t <= ?2 ORDER BY t DESC LIMIT 1",
        )?;
        if let Some(state) = ch
            .query_row(params![id, t], |r| r.get::<_, Option<Vec<u8>>>(0))
            .optional()?
        {
            return Ok(state.and_then(|b| codec::decode_tuple(&b)));
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT start, tier, blob FROM chunks WHERE series_id = ?1 AND start <= ?2 ORDER BY start DESC")?;
        let mut rows = stmt.query(params![id, t])?;
        let mut records = Vec::new();
        while let Some(r) = rows.next()? {
            records.clear();
            decode_chunk(r.get(0)?, r.get(1)?, r.get_ref(2)?.as_blob()?, &mut records);
            if let Some(rec) = records.iter().rev().find(|rec| rec.t() <= t) {
                return Ok(rec.state_after());
            }
        }
        Ok(None)
    }

    pub(crate) fn growers_inner(
        &self,
        by: SeriesKind,
        vhost: Option<&str>,
        metric: HistoryMetric,
        since: i64,
        until: i64,
        limit: usize,
    ) -> rusqlite::Result<Vec<Grower>> {
        let m = metric_index(metric);
        let value = |s: Option<Tuple>| s.map(|s| from_fixed(m, s[m])).unwrap_or(0.0);
        // Only a series that moved inside the window can have grown. Each with its value at
        // `until`, largest first.
        let mut moved = match self.moved_from_cache(by, vhost, since, until)? {
            Some(moved) => moved,
            None => self.moved_from_file(by, vhost, since, until)?,
        };
        let mut ends: Vec<(f64, i64)> = Vec::with_capacity(moved.len());
        for (id, end) in moved.drain(..) {
            let end = match end {
                Some(end) => end,
                None => self.state_at(id, until)?,
            };
            ends.push((value(end), id));
        }
        ends.sort_by(|a, b| b.0.total_cmp(&a.0));

        // When the history of a vhost begins inside the window, its series start at their first
        // sample: 0 would make every queue that merely exists look like it grew.
        let mut first_sampled: FxHashMap<String, Option<i64>> = FxHashMap::default();
        let mut first_of = self.conn.prepare_cached(
            "SELECT t FROM samples WHERE vhost IS NULL OR vhost = ?1 ORDER BY t LIMIT 1",
        )?;
        let mut info = self
            .conn
            .prepare_cached("SELECT vhost, key, realm FROM series WHERE id = ?1")?;
        // Values are never negative, so a series cannot grow by more than its end value: once
        // the end values left are below the `limit`-th delta found, none of them can enter.
        let mut top: Vec<f64> = Vec::with_capacity(limit + 1);
        let mut found: Vec<(i64, f64, f64, String)> = Vec::new();
        for (end, id) in ends {
            if limit == 0 || (top.len() == limit && end < top[limit - 1]) {
                break;
            }
            let vh: String = info.query_row([id], |r| r.get(0))?;
            let mut at_start = self.state_at(id, since)?;
            if at_start.is_none() {
                let first = match first_sampled.get(&vh) {
                    Some(f) => *f,
                    None => {
                        let f = first_of.query_row([&vh], |r| r.get(0)).optional()?;
                        first_sampled.insert(vh.clone(), f);
                        f
                    }
                };
                if let Some(f) = first.filter(|f| *f > since) {
                    at_start = self.state_at(id, f)?;
                }
            }
            let start = value(at_start);
            if end > start {
                let delta = end - start;
                let at = top.partition_point(|d| *d >= delta);
                top.insert(at, delta);
                top.truncate(limit);
                found.push((id, start, end, vh));
            }
        }
        let mut growers = Vec::with_capacity(found.len());
        for (id, start, end, vh) in found {
            let (key, realm): (String, String) =
                info.query_row([id], |r| Ok((r.get(1)?, r.get(2)?)))?;
            growers.push((
                id,
                Grower {
                    kind: by,
                    vhost: Some(vh),
                    key,
                    realm: (by == SeriesKind::Cell).then_some(realm),
                    metric,
                    start,
                    end,
                    delta: end - start,
                    growing_since: None,
                },
            ));
        }
        growers.sort_by(|a, b| {
            b.1.delta
                .total_cmp(&a.1.delta)
                .then_with(|| a.1.key.cmp(&b.1.key))
        });
        growers.truncate(limit);
        for (id, g) in &mut growers {
            g.growing_since = self.growing_since(*id, m, until)?.map(rfc3339);
        }
        Ok(growers.into_iter().map(|(_, g)| g).collect())
    }

    /// The series of `by` (in `vhost`) that moved after `since`, with their state now, from
    /// the append cache — when it is loaded, nobody else wrote since, and `until` is not before
    /// the newest sample. `None` otherwise.
    #[allow(clippy::type_complexity)]
    fn moved_from_cache(
        &self,
        by: SeriesKind,
        vhost: Option<&str>,
        since: i64,
        until: i64,
    ) -> rusqlite::Result<Option<Vec<(i64, Option<Option<Tuple>>)>>> {
        let cache = &self.cache;
        if !cache.loaded {
            return Ok(None);
        }
        let (dv, newest): (i64, Option<i64>) = self.conn.query_row(
            "SELECT (SELECT data_version FROM pragma_data_version), (SELECT max(t) FROM samples)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if dv != cache.data_version || newest.is_some_and(|n| until < n) {
            return Ok(None);
        }
        let kind = kind_code(by);
        Ok(Some(
            cache
                .metas
                .iter()
                .enumerate()
                .filter_map(|(id, meta)| {
                    let meta = meta.as_ref()?;
                    (meta.kind == kind
                        && meta.since > since
                        && vhost.is_none_or(|v| v == meta.vhost))
                    .then_some((id as i64, Some(meta.state)))
                })
                .collect(),
        ))
    }

    /// The same from the file: the series with a chunk or a change row inside the window (a
    /// skip-scan finds those of the `changes` key, too many rows to read whole), their state
    /// at `until` left to the caller (`None`).
    #[allow(clippy::type_complexity)]
    fn moved_from_file(
        &self,
        by: SeriesKind,
        vhost: Option<&str>,
        since: i64,
        until: i64,
    ) -> rusqlite::Result<Vec<(i64, Option<Option<Tuple>>)>> {
        let of_kind: rustc_hash::FxHashSet<i64> = self
            .conn
            .prepare_cached("SELECT id FROM series WHERE kind = ?1 AND (?2 IS NULL OR vhost = ?2)")?
            .query_map(params![kind_code(by), vhost], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut ids: Vec<i64> = Vec::new();
        for (tier, reach) in [(TIER_RAW, HOUR), (TIER_BUCKETS, DAY), (TIER_HOURS, DAY)] {
            let mut stmt = self.conn.prepare_cached(
                "SELECT DISTINCT series_id FROM chunks WHERE start > ?1 AND start <= ?2 AND tier = ?3",
            )?;
            let found = stmt.query_map(params![since - reach, until, tier], |r| r.get(0))?;
            for id in found {
                ids.push(id?);
            }
        }
        let mut stmt = self.conn.prepare_cached(
            "WITH RECURSIVE ids(id) AS (
                 SELECT (SELECT min(series_id) FROM changes)
                 UNION ALL
                 SELECT (SELECT min(series_id) FROM changes WHERE series_id > ids.id) FROM ids WHERE id IS NOT NULL)
             SELECT id FROM ids WHERE id IS NOT NULL
               AND EXISTS (SELECT 1 FROM changes WHERE series_id = id AND t > ?1 AND t <= ?2)",
        )?;
        for id in stmt.query_map(params![since, until], |r| r.get(0))? {
            ids.push(id?);
        }
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|id| of_kind.contains(id));
        Ok(ids.into_iter().map(|id| (id, None)).collect())
    }

    /// The last sample time at which the series stood at its lowest value up to `until`, over
    /// the whole retained history.
    fn growing_since(&self, id: i64, m: usize, until: i64) -> rusqlite::Result<Option<i64>> {
        let records = load_records(&self.conn, id, i64::MIN, until)?;
        let coarse = self.coarse_frontier()?;
        let low = |r: &Record| -> Option<i64> {
            match r {
                Record::Raw { state, .. } => state.map(|s| s[m]),
                Record::Bucket { stats, .. } => stats.map(|s| s.min[m]),
            }
        };
        let Some(min) = records.iter().filter_map(low).min() else {
            return Ok(None);
        };
        // When did it last leave the minimum? The record after the last one standing there
        // (a bucket whose end is above its minimum left it inside the bucket).
        let mut left = None;
        for (i, r) in records.iter().enumerate() {
            if low(r) != Some(min) {
                continue;
            }
            left = match r {
                Record::Bucket {
                    t, last: Some(l), ..
                } if l[m] != min => Some(t + if *t < coarse { HOUR_BUCKET_S } else { BUCKET_S }),
                _ => records.get(i + 1).map(Record::t),
            };
        }
        let Some(left) = left else { return Ok(None) };
        // The last sample before it left.
        self.conn
            .query_row("SELECT max(t) FROM samples WHERE t < ?1", [left], |r| {
                r.get(0)
            })
    }
}

/// `points` averaged into `buckets` equal slots over [since, until].
pub(crate) fn resample(
    points: &[RawPoint],
    since: i64,
    until: i64,
    buckets: usize,
) -> Vec<Option<f64>> {
    let mut sum = vec![0.0; buckets];
    let mut n = vec![0u32; buckets];
    let span = (until - since).max(1) as f64;
    for p in points {
        if p.t < since || p.t > until || buckets == 0 {
            continue;
        }
        let i = (((p.t - since) as f64 / span) * buckets as f64) as usize;
        let i = i.min(buckets - 1);
        sum[i] += p.value;
        n[i] += 1;
    }
    sum.into_iter()
        .zip(n)
        .map(|(s, n)| (n > 0).then(|| s / f64::from(n)))
        .collect()
}

/// The median gap between sample times (15 s if there are fewer than two).
fn typical_interval(times: &[i64]) -> i64 {
    let mut gaps: Vec<i64> = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|g| *g > 0)
        .collect();
    if gaps.is_empty() {
        return 15;
    }
    let mid = gaps.len() / 2;
    *gaps.select_nth_unstable(mid).1
}
