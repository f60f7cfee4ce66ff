//! Retention: closed hours of `changes` become one blob per series per hour; hours older than
//! 48 h become 5-minute min/avg/max buckets in one blob per series per day; days older than
//! 30 days are dropped (a series that stood still keeps one bucket carrying its state).

// Loops index several parallel 7-figure arrays at once: an index reads clearer than zips.
#![allow(clippy::needless_range_loop)]

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::codec::{self, Record, Stats, Tuple};
use super::read::decode_chunk;
use super::{
    floor_to, HistoryStore, BUCKET_S, DAY, FINE_BUCKETS_S, FULL_RESOLUTION_S, HOUR, HOUR_BUCKET_S,
    RETENTION_S, TIER_BUCKETS, TIER_HOURS, TIER_RAW,
};

/// How much of the open hour `maintain` packs: everything before the newest sample's 5-minute
/// slot. The `changes` table is keyed by series, so each sample's rows land all over it and a
/// commit rewrites every page they touch: a table holding an hour of a 50,000-queue fleet
/// (~900,000 rows) made one append cost ~100 ms, one holding 5–10 minutes ~20 ms (README,
/// "History"). The price is rewriting the open hour's blobs at each pass.
pub(crate) const CLOSE_S: i64 = 300;

/// The 5-minute buckets of `n_slots` slots from `first_slot`, from a series' full-resolution
/// `records` (sorted) evaluated at the sample `times` (sorted) that covered its vhost, the
/// series being `prev` before. A bucket where it stood still at its previous state is left
/// out: "no bucket" reads as "unchanged" (the `samples` table says which slots were sampled).
/// Inside the downsampled past a bucket's `last` is exact only where a left-out bucket follows;
/// elsewhere it reads as the bucket's max (a value within the bucket, at 5-minute resolution).
pub(crate) fn bucketize(
    prev: Option<Tuple>,
    records: &[Record],
    times: &[i64],
    first_slot: i64,
    n_slots: i64,
) -> Vec<Record> {
    let mut out = Buckets::new(prev);
    let mut next = 0;
    let mut ti = 0;
    for k in 0..n_slots {
        let slot = first_slot + k * BUCKET_S;
        let end = slot + BUCKET_S;
        let before = out.state;
        let mut acc = Acc::default();
        let mut sampled = false;
        while ti < times.len() && times[ti] < end {
            let t = times[ti];
            ti += 1;
            if t < slot {
                continue;
            }
            sampled = true;
            while next < records.len() && records[next].t() <= t {
                out.state = records[next].state_after();
                next += 1;
            }
            if let Some(s) = out.state {
                acc.add(&Stats::constant(&s), 1);
            }
        }
        while next < records.len() && records[next].t() < end {
            out.state = records[next].state_after();
            next += 1;
        }
        if sampled {
            out.close(slot, before, acc.stats());
        }
    }
    out.finish()
}

/// Hour buckets for one day from its 5-minute buckets (`fine`, sorted, all inside the day), the
/// series being `prev` before the day, weighted by the samples each 5-minute slot covered
/// (`times`: the day's sample times that covered the series' vhost). A 5-minute slot without a
/// bucket stood still at the state before it (as `bucketize` left it out).
pub(crate) fn coarsen(
    prev: Option<Tuple>,
    fine: &[Record],
    times: &[i64],
    day: i64,
) -> Vec<Record> {
    let mut out = Buckets::new(prev);
    let mut next = 0;
    let mut ti = 0;
    for h in 0..DAY / HOUR_BUCKET_S {
        let hour = day + h * HOUR_BUCKET_S;
        let before = out.state;
        let mut acc = Acc::default();
        let mut sampled = false;
        for k in 0..HOUR_BUCKET_S / BUCKET_S {
            let slot = hour + k * BUCKET_S;
            let mut n = 0u32;
            while ti < times.len() && times[ti] < slot + BUCKET_S {
                n += u32::from(times[ti] >= slot);
                ti += 1;
            }
            let stats = match fine.get(next) {
                Some(Record::Bucket { t, stats, last }) if *t == slot => {
                    next += 1;
                    out.state = *last;
                    *stats
                }
                _ if n == 0 => continue,
                _ => out.state.map(|s| Stats::constant(&s)),
            };
            sampled = true;
            if let Some(s) = stats {
                acc.add(&s, n.max(1));
            }
        }
        if sampled {
            out.close(hour, before, acc.stats());
        }
    }
    out.finish()
}

/// Sums a bucket's min / weighted average / max.
#[derive(Default)]
struct Acc {
    n: u64,
    min: Option<Tuple>,
    max: Tuple,
    sum: [i128; 7],
}

impl Acc {
    /// Adds `s` (a bucket, or one sample as a constant bucket) covering `n` samples.
    fn add(&mut self, s: &Stats, n: u32) {
        let min = self.min.get_or_insert([i64::MAX; 7]);
        if self.n == 0 {
            self.max = [i64::MIN; 7];
        }
        for i in 0..7 {
            min[i] = min[i].min(s.min[i]);
            self.max[i] = self.max[i].max(s.max[i]);
            self.sum[i] += i128::from(s.avg[i]) * i128::from(n);
        }
        self.n += u64::from(n);
    }

    fn stats(&self) -> Option<Stats> {
        let min = self.min?;
        let mut avg = [0i64; 7];
        for i in 0..7 {
            avg[i] = (self.sum[i] as f64 / self.n as f64).round() as i64;
        }
        Some(Stats {
            min,
            avg,
            max: self.max,
        })
    }
}

/// The buckets of a series as they are closed, leaving out those where it stood still at its
/// previous state ("no bucket" reads as "unchanged"). A bucket's end state is kept exactly only
/// where the next one is left out (and at the end); the others say "ended at its max", which
/// costs nothing (busy series: a third of the bytes) and is a value within the bucket.
struct Buckets {
    /// The series' state now (after the records applied so far).
    state: Option<Tuple>,
    kept: Vec<Record>,
    exact: Vec<bool>,
}

impl Buckets {
    fn new(prev: Option<Tuple>) -> Buckets {
        Buckets {
            state: prev,
            kept: Vec::new(),
            exact: Vec::new(),
        }
    }

    /// Closes the slot at `t` that began at `before`, ending at `self.state`.
    fn close(&mut self, t: i64, before: Option<Tuple>, stats: Option<Stats>) {
        let unchanged = self.state == before && stats == before.map(|b| Stats::constant(&b));
        if unchanged {
            // The bucket before carries the state this one stands at: it must say it exactly.
            if let Some(x) = self.exact.last_mut() {
                *x = true;
            }
        } else {
            self.exact.push(false);
            self.kept.push(Record::Bucket {
                t,
                stats,
                last: self.state,
            });
        }
    }

    fn finish(mut self) -> Vec<Record> {
        if let Some(x) = self.exact.last_mut() {
            *x = true;
        }
        for (r, exact) in self.kept.iter_mut().zip(&self.exact) {
            if let Record::Bucket {
                stats: Some(s),
                last: last @ Some(_),
                ..
            } = r
            {
                if !exact {
                    *last = Some(s.max);
                }
            }
        }
        self.kept
    }
}

/// Appends bucket records to the series' day chunk (creating it).
pub(crate) fn append_buckets(
    conn: &Connection,
    id: i64,
    day: i64,
    new: Vec<Record>,
) -> rusqlite::Result<()> {
    if new.is_empty() {
        return Ok(());
    }
    let mut records = Vec::new();
    let existing: Option<Vec<u8>> = conn
        .prepare_cached("SELECT blob FROM chunks WHERE series_id = ?1 AND start = ?2 AND tier = 1")?
        .query_row(params![id, day], |r| r.get(0))
        .optional()?;
    if let Some(blob) = existing {
        decode_chunk(day, TIER_BUCKETS, &blob, &mut records);
    }
    records.extend(new);
    records.sort_by_key(Record::t);
    records.dedup_by_key(|r| r.t());
    conn.prepare_cached(
        "INSERT OR REPLACE INTO chunks (series_id, start, tier, blob) VALUES (?1, ?2, 1, ?3)",
    )?
    .execute(params![
        id,
        day,
        codec::pack(&codec::encode_buckets(day, BUCKET_S, &records))
    ])?;
    Ok(())
}

impl HistoryStore {
    pub(crate) fn maintain_inner(&mut self, now: i64) -> rusqlite::Result<()> {
        let newest: Option<i64> = self
            .conn
            .query_row("SELECT max(t) FROM samples", [], |r| r.get(0))?;
        let Some(newest) = newest else { return Ok(()) };
        let target = floor_to(now - FULL_RESOLUTION_S, HOUR);
        let mut worked = self.close_hours(floor_to(newest, CLOSE_S).max(target))?;
        worked |= self.downsample(target)?;
        worked |=
            self.coarsen_days(floor_to(now - FINE_BUCKETS_S, DAY).min(floor_to(target, DAY)))?;
        worked |= self.expire(now - RETENTION_S)?;
        if worked {
            let (free, pages): (i64, i64) = self.conn.query_row(
                "SELECT freelist_count, page_count FROM pragma_freelist_count, pragma_page_count",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if free * 8 > pages {
                self.conn.execute_batch("PRAGMA incremental_vacuum;")?;
            }
            let _: (i64, i64, i64) =
                self.conn
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?;
        }
        Ok(())
    }

    /// Packs the change rows before `boundary` (a 5-minute mark) into hourly blobs, merged into
    /// the hour's blob when part of the hour was packed before.
    fn close_hours(&mut self, boundary: i64) -> rusqlite::Result<bool> {
        if self.meta("closed_until")?.is_some_and(|c| c >= boundary) {
            return Ok(false);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut groups: Vec<(i64, i64, Vec<Record>)> = Vec::new();
        {
            let mut stmt = tx.prepare(
                "SELECT series_id, t, state FROM changes WHERE t < ?1 ORDER BY series_id, t",
            )?;
            let mut rows = stmt.query([boundary])?;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let t: i64 = r.get(1)?;
                let state = r
                    .get_ref(2)?
                    .as_blob_or_null()?
                    .and_then(codec::decode_tuple);
                let hour = floor_to(t, HOUR);
                match groups.last_mut() {
                    Some((gid, gh, recs)) if *gid == id && *gh == hour => {
                        recs.push(Record::Raw { t, state })
                    }
                    _ => groups.push((id, hour, vec![Record::Raw { t, state }])),
                }
            }
        }
        {
            let mut existing = tx.prepare_cached(
                "SELECT blob FROM chunks WHERE series_id = ?1 AND start = ?2 AND tier = 0",
            )?;
            let mut put =
                tx.prepare_cached("INSERT OR REPLACE INTO chunks (series_id, start, tier, blob) VALUES (?1, ?2, 0, ?3)")?;
            for (id, hour, mut recs) in groups {
                // Another process may have closed part of this hour already.
                if let Some(blob) = existing
                    .query_row(params![id, hour], |r| r.get::<_, Vec<u8>>(0))
                    .optional()?
                {
                    let mut old = Vec::new();
                    decode_chunk(hour, TIER_RAW, &blob, &mut old);
                    old.extend(recs);
                    old.sort_by_key(Record::t);
                    recs = old;
                }
                put.execute(params![
                    id,
                    hour,
                    codec::pack(&codec::encode_raw(hour, &recs))
                ])?;
            }
        }
        tx.execute("DELETE FROM changes WHERE t < ?1", [boundary])?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('closed_until', ?1)",
            [boundary],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Downsamples every hour before `target` that still holds full-resolution blobs, one
    /// transaction per hour.
    fn downsample(&mut self, target: i64) -> rusqlite::Result<bool> {
        let mut worked = false;
        loop {
            let frontier = self.meta("frontier")?.unwrap_or(i64::MIN);
            let next: Option<i64> = self.conn.query_row(
                "SELECT min(start) FROM chunks WHERE start >= ?1 AND tier = 0",
                [frontier],
                |r| r.get(0),
            )?;
            let Some(hour) = next.filter(|h| *h < target) else {
                if frontier < target {
                    self.conn.execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('frontier', ?1)",
                        [target],
                    )?;
                }
                return Ok(worked);
            };
            // Every due hour of that day at once: each day blob is rewritten once per pass.
            let end = (floor_to(hour, DAY) + DAY).min(target);
            self.downsample_hours(hour, end)?;
            worked = true;
        }
    }

    /// Downsamples the hours in [from, to) (within one day) in one transaction.
    fn downsample_hours(&mut self, from: i64, to: i64) -> rusqlite::Result<()> {
        self.refresh_samples()?;
        let samples: Vec<(i64, Option<String>)> = {
            let s = self.samples.borrow();
            let lo = s.rows.partition_point(|r| r.0 < from);
            let hi = s.rows.partition_point(|r| r.0 < to);
            s.rows[lo..hi].to_vec()
        };
        // The sample times covering each vhost, computed once per vhost.
        let mut times_of: rustc_hash::FxHashMap<String, Vec<i64>> = Default::default();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let chunks: Vec<(i64, String, i64, Vec<u8>)> = tx
            .prepare(
                "SELECT c.series_id, s.vhost, c.start, c.blob FROM chunks c JOIN series s ON s.id = c.series_id
                 WHERE c.start >= ?1 AND c.start < ?2 AND c.tier = 0 ORDER BY c.series_id, c.start",
            )?
            .query_map([from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let day = floor_to(from, DAY);
        let mut records = Vec::new();
        let mut k = 0;
        while k < chunks.len() {
            let id = chunks[k].0;
            let vhost = &chunks[k].1;
            let times = times_of.entry(vhost.clone()).or_insert_with(|| {
                samples
                    .iter()
                    .filter(|(_, v)| v.as_deref().is_none_or(|v| v == vhost))
                    .map(|(t, _)| *t)
                    .collect()
            });
            let mut state = state_before(&tx, id, chunks[k].2)?;
            let mut buckets = Vec::new();
            while k < chunks.len() && chunks[k].0 == id {
                let hour = chunks[k].2;
                records.clear();
                decode_chunk(hour, TIER_RAW, &chunks[k].3, &mut records);
                let lo = times.partition_point(|t| *t < hour);
                let hi = times.partition_point(|t| *t < hour + HOUR);
                buckets.extend(bucketize(
                    state,
                    &records,
                    &times[lo..hi],
                    hour,
                    HOUR / BUCKET_S,
                ));
                state = records.last().map_or(state, |r| r.state_after());
                k += 1;
            }
            append_buckets(&tx, id, day, buckets)?;
        }
        tx.execute(
            "DELETE FROM chunks WHERE start >= ?1 AND start < ?2 AND tier = 0",
            [from, to],
        )?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('frontier', ?1)",
            [to],
        )?;
        tx.commit()
    }

    /// Merges the 5-minute buckets of every day before `target` (a midnight) into hour buckets,
    /// one transaction per day.
    fn coarsen_days(&mut self, target: i64) -> rusqlite::Result<bool> {
        let mut worked = false;
        loop {
            let done = self.meta("coarse_frontier")?.unwrap_or(i64::MIN);
            let next: Option<i64> = self.conn.query_row(
                "SELECT min(start) FROM chunks WHERE start >= ?1 AND tier = ?2",
                params![done, TIER_BUCKETS],
                |r| r.get(0),
            )?;
            let Some(day) = next.filter(|d| *d < target) else {
                if done < target {
                    self.set_coarse_frontier(target)?;
                }
                return Ok(worked);
            };
            self.coarsen_day(day)?;
            worked = true;
        }
    }

    fn set_coarse_frontier(&self, t: i64) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('coarse_frontier', ?1)",
            [t],
        )?;
        Ok(())
    }

    fn coarsen_day(&mut self, day: i64) -> rusqlite::Result<()> {
        self.refresh_samples()?;
        let samples: Vec<(i64, Option<String>)> = {
            let s = self.samples.borrow();
            let lo = s.rows.partition_point(|r| r.0 < day);
            let hi = s.rows.partition_point(|r| r.0 < day + DAY);
            s.rows[lo..hi].to_vec()
        };
        let mut times_of: rustc_hash::FxHashMap<String, Vec<i64>> = Default::default();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let chunks: Vec<(i64, String, Vec<u8>)> = tx
            .prepare(
                "SELECT c.series_id, s.vhost, c.blob FROM chunks c JOIN series s ON s.id = c.series_id
                 WHERE c.start = ?1 AND c.tier = ?2",
            )?
            .query_map(params![day, TIER_BUCKETS], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut fine = Vec::new();
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO chunks (series_id, start, tier, blob) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (id, vhost, blob) in chunks {
                let times = times_of.entry(vhost).or_insert_with_key(|vhost| {
                    samples
                        .iter()
                        .filter(|(_, v)| v.as_deref().is_none_or(|v| v == vhost))
                        .map(|(t, _)| *t)
                        .collect()
                });
                fine.clear();
                decode_chunk(day, TIER_BUCKETS, &blob, &mut fine);
                let prev = state_before(&tx, id, day)?;
                let hours = coarsen(prev, &fine, times, day);
                put.execute(params![
                    id,
                    day,
                    TIER_HOURS,
                    codec::pack(&codec::encode_buckets(day, HOUR_BUCKET_S, &hours))
                ])?;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('coarse_frontier', ?1)",
            [day + DAY],
        )?;
        tx.commit()
    }

    /// Drops the days that ended before `horizon`, and the samples before it.
    fn expire(&mut self, horizon: i64) -> rusqlite::Result<bool> {
        let cut = floor_to(horizon, DAY);
        let any: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM chunks WHERE start < ?1 LIMIT 1",
                [cut],
                |r| r.get(0),
            )
            .optional()?;
        let old_samples: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM samples WHERE t < ?1 LIMIT 1",
                [horizon],
                |r| r.get(0),
            )
            .optional()?;
        if any.is_none() && old_samples.is_none() {
            return Ok(false);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            // A series with nothing after the cut keeps its last state as one bucket at the cut.
            let mut stmt = tx.prepare(
                "SELECT c.series_id, c.start, c.tier, c.blob FROM chunks c
                 WHERE c.start < ?1
                   AND c.start = (SELECT max(start) FROM chunks WHERE series_id = c.series_id)
                   AND NOT EXISTS (SELECT 1 FROM changes WHERE series_id = c.series_id)",
            )?;
            let last: Vec<(i64, i64, i64, Vec<u8>)> = stmt
                .query_map([cut], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut records = Vec::new();
            for (id, start, tier, blob) in last {
                records.clear();
                decode_chunk(start, tier, &blob, &mut records);
                if let Some(state) = records.last().and_then(Record::state_after) {
                    let carry = Record::Bucket {
                        t: cut,
                        stats: Some(Stats::constant(&state)),
                        last: Some(state),
                    };
                    tx.execute(
                        "INSERT OR REPLACE INTO chunks (series_id, start, tier, blob) VALUES (?1, ?2, ?3, ?4)",
                        params![id, cut, TIER_HOURS, codec::pack(&codec::encode_buckets(cut, HOUR_BUCKET_S, &[carry]))],
                    )?;
                }
            }
        }
        tx.execute("DELETE FROM chunks WHERE start < ?1", [cut])?;
        tx.execute("DELETE FROM samples WHERE t < ?1", [horizon])?;
        tx.commit()?;
        let mut s = self.samples.borrow_mut();
        let keep = s.rows.partition_point(|r| r.0 < horizon);
        s.rows.drain(..keep);
        Ok(true)
    }
}

/// The state of series `id` just before `t`.
fn state_before(conn: &Connection, id: i64, t: i64) -> rusqlite::Result<Option<Tuple>> {
    let mut stmt =
        conn.prepare_cached("SELECT start, tier, blob FROM chunks WHERE series_id = ?1 AND start < ?2 ORDER BY start DESC")?;
    let mut rows = stmt.query(params![id, t])?;
    let mut records = Vec::new();
    while let Some(r) = rows.next()? {
        records.clear();
        decode_chunk(r.get(0)?, r.get(1)?, r.get_ref(2)?.as_blob()?, &mut records);
        if let Some(rec) = records.iter().rev().find(|rec| rec.t() < t) {
            return Ok(rec.state_after());
        }
    }
    Ok(None)
}
