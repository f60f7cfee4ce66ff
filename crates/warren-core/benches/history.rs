//! The history store on a synthesised fleet (issue 14 §2). Targets: appending one sample of
//! 50,000 queues ≤ 50 ms; a realm's 7-day series ≤ 20 ms; growers over 50,000 queues and 24 h
//! ≤ 200 ms; 50,000 queues sampled every 15 s for 30 days ≤ 1 GB on disk.
//! Run with `cargo bench -p warren-core --bench history` (HISTORY_BENCH_DAYS=3 for a quick run).
//!
//! The fleet (an assumption, stated in /work/notes/history-readme.md): 50,000 queues in one
//! vhost, 100 realms × 10 workers; 5 % busy (every figure moves at every sample: messages walk
//! ±5, memory with them, rates walk ±0.5/s), 5 % occasional (the same, at one sample in 20 on
//! average), 90 % idle.
//! Every realm, worker and cell holds busy queues, so every aggregate moves at every sample.
//!
//! The 30 days are synthesised hour by hour through `HistoryStore::import_hour` (which writes
//! an hour exactly as appends followed by `maintain` pack it, with the same encoder) and the
//! real `maintain`, which downsamples what is older than 48 h and drops what is older than
//! 30 days, so the size measured is that of a store the sampler would have filled. The last
//! samples and every timed append go through `append`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use warren_core::history::{FixedRecord, HistoryMetric, HistoryStore, SeriesKind, SeriesSelector};
use warren_core::queues::QueueRow;

const QUEUES: usize = 50_000;
const REALMS: usize = 100;
const WORKERS: usize = 10;
const INTERVAL: i64 = 15;
const HOUR: i64 = 3600;

struct Fleet {
    rows: Vec<QueueRow>,
    busy: Vec<usize>,
    occasional: Vec<usize>,
    rng: u64,
}

impl Fleet {
    fn new() -> Fleet {
        let mut rows = Vec::with_capacity(QUEUES);
        let (mut busy, mut occasional) = (Vec::new(), Vec::new());
        for i in 0..QUEUES {
            let (r, w) = (i % REALMS, (i / REALMS) % WORKERS);
            let mut row = QueueRow::default();
            row.vhost = "/".into();
            row.name = format!("w{w}.worker.realm-{r}.q{i}");
            row.messages = (i % 7) as u64;
            row.messages_ready = row.messages;
            row.consumers = (i % 3 != 0) as u64;
            row.memory = 30_000 + row.messages * 200;
            row.realm = Some(format!("realm-{r}"));
            row.worker = Some(format!("w{w}"));
            rows.push(row);
            match i % 20 {
                0 => busy.push(i),
                1 => occasional.push(i),
                _ => {}
            }
        }
        Fleet {
            rows,
            busy,
            occasional,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn next(&mut self) -> u64 {
        // xorshift64: enough randomness for a synthetic fleet, no dependency.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn change(&mut self, i: usize) {
        let a = self.next();
        let r = &mut self.rows[i];
        r.messages = (r.messages as i64 + (a % 11) as i64 - 5).max(0) as u64;
        r.messages_unacknowledged = r.messages.min((a >> 8) % 4);
        r.messages_ready = r.messages - r.messages_unacknowledged;
        r.memory = 30_000 + r.messages * 200;
        // Rates as the broker reports them: one decimal, moving by up to ±0.5/s a sample
        // (the management API averages them over its sampling window).
        let step =
            |rate: f64, r: u64| ((rate * 10.0).round() + (r % 11) as f64 - 5.0).max(0.0) / 10.0;
        r.publish_rate = step(r.publish_rate, a >> 16);
        r.deliver_rate = step(r.deliver_rate, a >> 32);
    }

    /// One sample's worth of change; returns the queues that changed.
    fn step(&mut self, changed: &mut Vec<usize>) {
        changed.clear();
        for k in 0..self.busy.len() {
            let i = self.busy[k];
            self.change(i);
            changed.push(i);
        }
        // About one occasional queue in 20 changes at each sample.
        for _ in 0..self.occasional.len() / 20 {
            let pick = (self.next() % self.occasional.len() as u64) as usize;
            let i = self.occasional[pick];
            self.change(i);
            changed.push(i);
        }
    }
}

fn fixed(r: &QueueRow) -> [i64; 7] {
    [
        r.messages as i64,
        r.messages_ready as i64,
        r.messages_unacknowledged as i64,
        r.consumers as i64,
        r.memory as i64,
        (r.publish_rate * 1000.0).round() as i64,
        (r.deliver_rate * 1000.0).round() as i64,
    ]
}

fn sub(a: &mut [i64; 7], b: &[i64; 7], sign: i64) {
    for i in 0..7 {
        a[i] += sign * b[i];
    }
}

/// Realm, worker, cell and total sums kept up to date as queues change.
struct Sums {
    realm: Vec<[i64; 7]>,
    worker: Vec<[i64; 7]>,
    cell: Vec<[i64; 7]>,
    total: [i64; 7],
}

impl Sums {
    fn of(f: &Fleet) -> Sums {
        let mut s = Sums {
            realm: vec![[0; 7]; REALMS],
            worker: vec![[0; 7]; WORKERS],
            cell: vec![[0; 7]; REALMS * WORKERS],
            total: [0; 7],
        };
        for (i, r) in f.rows.iter().enumerate() {
            s.apply(i, &fixed(r), 1);
        }
        s
    }

    fn apply(&mut self, i: usize, v: &[i64; 7], sign: i64) {
        let (r, w) = (i % REALMS, (i / REALMS) % WORKERS);
        sub(&mut self.realm[r], v, sign);
        sub(&mut self.worker[w], v, sign);
        sub(&mut self.cell[w * REALMS + r], v, sign);
        sub(&mut self.total, v, sign);
    }
}

/// Fills `store` with `days` of history ending at `end`: all but the last hour synthesised
/// through `import_hour` + `maintain`; the caller appends the rest.
fn synthesise(store: &mut HistoryStore, fleet: &mut Fleet, start: i64, end: i64) {
    let mut sums = Sums::of(fleet);
    let mut prev: Vec<[i64; 7]> = fleet.rows.iter().map(fixed).collect();
    let realm_names: Vec<String> = (0..REALMS).map(|r| format!("realm-{r}")).collect();
    let worker_names: Vec<String> = (0..WORKERS).map(|w| format!("w{w}")).collect();
    let mut changed = Vec::new();
    let mut first = true;
    let mut hour = start;
    let started = Instant::now();
    while hour < end {
        let mut q: Vec<Vec<FixedRecord>> = vec![Vec::new(); QUEUES];
        let mut agg_r: Vec<Vec<FixedRecord>> = vec![Vec::new(); REALMS];
        let mut agg_w: Vec<Vec<FixedRecord>> = vec![Vec::new(); WORKERS];
        let mut agg_c: Vec<Vec<FixedRecord>> = vec![Vec::new(); REALMS * WORKERS];
        let mut agg_t: Vec<FixedRecord> = Vec::new();
        let times: Vec<i64> = (0..HOUR / INTERVAL).map(|k| hour + k * INTERVAL).collect();
        for &t in &times {
            if first {
                for (i, r) in fleet.rows.iter().enumerate() {
                    q[i].push((t, Some(fixed(r))));
                }
                first = false;
            } else {
                fleet.step(&mut changed);
                changed.sort_unstable();
                changed.dedup();
                for &i in &changed {
                    // The sums move by the change; the queue gets a record.
                    let new = fixed(&fleet.rows[i]);
                    sums.apply(i, &prev[i], -1);
                    sums.apply(i, &new, 1);
                    prev[i] = new;
                    q[i].push((t, Some(new)));
                }
            }
            for (recs, v) in agg_r.iter_mut().zip(&sums.realm) {
                recs.push((t, Some(*v)));
            }
            for (recs, v) in agg_w.iter_mut().zip(&sums.worker) {
                recs.push((t, Some(*v)));
            }
            for (recs, v) in agg_c.iter_mut().zip(&sums.cell) {
                recs.push((t, Some(*v)));
            }
            agg_t.push((t, Some(sums.total)));
        }
        let mut series: Vec<(SeriesKind, &str, &str, &str, Vec<FixedRecord>)> = Vec::new();
        for (i, recs) in q.into_iter().enumerate() {
            if !recs.is_empty() {
                series.push((
                    SeriesKind::Queue,
                    "/",
                    fleet.rows[i].name.as_str(),
                    "",
                    dedup(recs),
                ));
            }
        }
        for (r, recs) in agg_r.into_iter().enumerate() {
            series.push((SeriesKind::Realm, "/", &realm_names[r], "", dedup(recs)));
        }
        for (w, recs) in agg_w.into_iter().enumerate() {
            series.push((SeriesKind::Worker, "/", &worker_names[w], "", dedup(recs)));
        }
        for (c, recs) in agg_c.into_iter().enumerate() {
            series.push((
                SeriesKind::Cell,
                "/",
                &worker_names[c / REALMS],
                &realm_names[c % REALMS],
                dedup(recs),
            ));
        }
        series.push((SeriesKind::Total, "/", "", "", dedup(agg_t)));
        series.retain(|s| !s.4.is_empty());
        store.import_hour(hour, &times, &series).unwrap();
        hour += HOUR;
        // Once a synthesised day (the session maintains every ~10 minutes; a day's worth at
        // once is the same work, each day blob written once instead of 24 times).
        if (hour - start) % 86_400 == 0 || hour == end {
            store.maintain(hour).unwrap();
        }
        if (hour - start) % 86_400 == 0 {
            eprintln!(
                "synthesised day {} ({:.0} s, {:.1} MB)",
                (hour - start) / 86_400,
                started.elapsed().as_secs_f64(),
                store.bytes_on_disk() as f64 / 1e6
            );
        }
    }
}

/// Keeps only the records whose state differs from the previous one, as `append` does.
fn dedup(recs: Vec<FixedRecord>) -> Vec<FixedRecord> {
    let mut out: Vec<FixedRecord> = Vec::with_capacity(recs.len());
    for r in recs {
        if out.last().is_none_or(|l| l.1 != r.1) {
            out.push(r);
        }
    }
    out
}

fn median_of(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let days: i64 = std::env::var("HISTORY_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(30);
    let dir = tempfile::tempdir().unwrap();
    // HISTORY_BENCH_KEEP=DIR keeps the synthesised store there (to look at it afterwards).
    let keep = std::env::var_os("HISTORY_BENCH_KEEP").map(std::path::PathBuf::from);
    let path = HistoryStore::path_for(keep.as_deref().unwrap_or(dir.path()), "bench");
    let _ = std::fs::remove_file(&path);
    let end: i64 = 1_790_000_000 - 1_790_000_000 % HOUR;
    let start = end - days * 86_400;
    let mut fleet = Fleet::new();
    let mut store = HistoryStore::open(&path).unwrap();
    synthesise(&mut store, &mut fleet, start, end);
    let mut changed = Vec::new();
    let mut t = end;
    // The open hour's first samples through the real append.
    let mut first_append = Vec::new();
    for _ in 0..3 {
        drop(store);
        store = HistoryStore::open(&path).unwrap();
        fleet.step(&mut changed);
        let t0 = Instant::now();
        store.append(t, None, &fleet.rows).unwrap();
        first_append.push(t0.elapsed());
        t += INTERVAL;
    }
    for _ in 0..20 {
        fleet.step(&mut changed);
        store.append(t, None, &fleet.rows).unwrap();
        t += INTERVAL;
    }
    store.maintain(t).unwrap();
    let info = store.info().unwrap();
    println!(
        "history size after {days} days of {QUEUES} queues every {INTERVAL} s: {:.1} MB on disk ({} series, {} samples); first append after open: median {:.1} ms",
        info.bytes as f64 / 1e6,
        info.series,
        info.samples,
        median_of(first_append).as_secs_f64() * 1e3,
    );

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    // The session runs `maintain` every 5 minutes (20 samples at 15 s); timed apart from the
    // appends and printed below.
    let mut maintains = Vec::new();
    c.bench_function("history/append 50k queues (5% busy, 5% occasional)", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                fleet.step(&mut changed);
                let t0 = Instant::now();
                store.append(t, None, &fleet.rows).unwrap();
                total += t0.elapsed();
                t += INTERVAL;
                if (t / INTERVAL) % 20 == 0 {
                    let t1 = Instant::now();
                    store.maintain(t).unwrap();
                    maintains.push(t1.elapsed());
                }
            }
            total
        })
    });
    let n = maintains.len();
    let median = if n == 0 {
        Duration::ZERO
    } else {
        median_of(maintains)
    };
    println!(
        "maintain every 5 minutes during the appends: median {:.0} ms over {n} runs ({:.1} ms a sample, amortised)",
        median.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3 / 20.0
    );
    let now = t;
    let realm = SeriesSelector {
        kind: SeriesKind::Realm,
        vhost: Some("/".into()),
        key: Some("realm-3".into()),
        realm: None,
    };
    let week = (7 * 86_400).min(days * 86_400);
    c.bench_function("history/realm series 7 d", |b| {
        b.iter(|| {
            black_box(
                store
                    .series(&realm, HistoryMetric::Messages, now - week, now)
                    .unwrap(),
            )
        })
    });
    c.bench_function("history/realm series 24 h (full resolution)", |b| {
        b.iter(|| {
            black_box(
                store
                    .series(&realm, HistoryMetric::Messages, now - 86_400, now)
                    .unwrap(),
            )
        })
    });
    c.bench_function("history/growers queues 24 h", |b| {
        b.iter(|| {
            black_box(
                store
                    .growers(
                        SeriesKind::Queue,
                        None,
                        HistoryMetric::Messages,
                        now - 86_400,
                        now,
                        20,
                    )
                    .unwrap(),
            )
        })
    });
    c.bench_function("history/growers realms 24 h", |b| {
        b.iter(|| {
            black_box(
                store
                    .growers(
                        SeriesKind::Realm,
                        None,
                        HistoryMetric::Messages,
                        now - 86_400,
                        now,
                        20,
                    )
                    .unwrap(),
            )
        })
    });
    let rows: Vec<SeriesSelector> = (0..50)
        .map(|i| SeriesSelector {
            kind: SeriesKind::Queue,
            vhost: Some("/".into()),
            key: Some(fleet.rows[i * 7].name.clone()),
            realm: None,
        })
        .collect();
    c.bench_function("history/sparklines 50 rows 24 h", |b| {
        b.iter(|| {
            black_box(
                store
                    .sparklines(&rows, HistoryMetric::Messages, now - 86_400, now, 48)
                    .unwrap(),
            )
        })
    });
    c.final_summary();
}
