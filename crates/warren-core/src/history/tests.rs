//! The store's behaviour on hand-made samples: what is written reads back, sums, queues that
//! disappear, downsampling, retention, growers, sparklines.

use super::*;
use crate::queues::row::QueueRow;

const T0: i64 = 1_790_000_000 - 1_790_000_000 % 86_400; // a midnight

fn q(
    vhost: &str,
    name: &str,
    realm: Option<&str>,
    worker: Option<&str>,
    messages: u64,
) -> QueueRow {
    QueueRow {
        vhost: vhost.into(),
        name: name.into(),
        messages,
        messages_ready: messages / 2,
        messages_unacknowledged: messages - messages / 2,
        consumers: 1,
        memory: 10_000 + messages * 100,
        publish_rate: messages as f64 / 10.0,
        deliver_rate: 0.5,
        realm: realm.map(Into::into),
        worker: worker.map(Into::into),
        ..QueueRow::default()
    }
}

fn store() -> (tempfile::TempDir, HistoryStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = HistoryStore::open(&HistoryStore::path_for(dir.path(), "env")).unwrap();
    (dir, s)
}

fn sel(kind: SeriesKind, vhost: Option<&str>, key: Option<&str>) -> SeriesSelector {
    SeriesSelector {
        kind,
        vhost: vhost.map(Into::into),
        key: key.map(Into::into),
        realm: None,
    }
}

fn values(
    s: &HistoryStore,
    sel: &SeriesSelector,
    m: HistoryMetric,
    since: i64,
    until: i64,
) -> Vec<(String, f64)> {
    s.series(sel, m, since, until)
        .unwrap()
        .series
        .into_iter()
        .map(|p| (p.t, p.value))
        .collect()
}

/// The messages series as (time, average, min, max).
fn bands(
    s: &HistoryStore,
    sel: &SeriesSelector,
    since: i64,
    until: i64,
) -> Vec<(String, f64, Option<f64>, Option<f64>)> {
    s.series(sel, HistoryMetric::Messages, since, until)
        .unwrap()
        .series
        .into_iter()
        .map(|p| (p.t, p.value, p.min, p.max))
        .collect()
}

fn figure(r: &QueueRow, m: HistoryMetric) -> f64 {
    match m {
        HistoryMetric::Messages => r.messages as f64,
        HistoryMetric::Ready => r.messages_ready as f64,
        HistoryMetric::Unacked => r.messages_unacknowledged as f64,
        HistoryMetric::Consumers => r.consumers as f64,
        HistoryMetric::Memory => r.memory as f64,
        HistoryMetric::PublishRate => r.publish_rate,
        HistoryMetric::DeliverRate => r.deliver_rate,
    }
}

#[test]
fn every_figure_written_reads_back_equal_before_and_after_packing() {
    let (_d, mut s) = store();
    // 2 hours at 15 s: some samples change, most repeat; crosses an hour boundary.
    let mut written: Vec<(i64, Vec<QueueRow>)> = Vec::new();
    for k in 0..480i64 {
        let t = T0 + 15 * k;
        let rows = vec![
            q(
                "/",
                "busy",
                Some("acme"),
                Some("billing"),
                (k * 7 % 23) as u64,
            ),
            q("/", "idle", Some("acme"), Some("mail"), 3),
            q("/", "slow", None, None, (k / 100) as u64),
        ];
        s.append(t, None, &rows).unwrap();
        written.push((t, rows));
    }
    let check = |s: &HistoryStore| {
        for (i, name) in ["busy", "idle", "slow"].iter().enumerate() {
            for m in HistoryMetric::ALL {
                let got = values(
                    s,
                    &sel(SeriesKind::Queue, Some("/"), Some(name)),
                    m,
                    T0,
                    T0 + 7200,
                );
                let want: Vec<(String, f64)> = written
                    .iter()
                    .map(|(t, rows)| (rfc3339(*t), figure(&rows[i], m)))
                    .collect();
                assert_eq!(got, want, "{name} {m:?}");
            }
        }
    };
    check(&s);
    s.maintain(T0 + 7200).unwrap(); // packs the first hour into blobs
    let packed: i64 = s
        .conn
        .query_row("SELECT count(*) FROM chunks", [], |r| r.get(0))
        .unwrap();
    assert!(packed > 0, "the closed hour was packed");
    check(&s);
    // A fresh process reads the same.
    let again = HistoryStore::open(s.path()).unwrap();
    check(&again);
    assert_eq!(
        s.series(
            &sel(SeriesKind::Queue, Some("/"), Some("busy")),
            HistoryMetric::Messages,
            T0,
            T0 + 60
        )
        .unwrap()
        .resolution_s,
        15
    );
}

#[test]
fn only_changed_series_are_written() {
    let (_d, mut s) = store();
    let rows = vec![
        q("/", "a", Some("r"), Some("w"), 1),
        q("/", "b", Some("r"), Some("w"), 2),
    ];
    s.append(T0, None, &rows).unwrap();
    let first: i64 = s
        .conn
        .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
        .unwrap();
    s.append(T0 + 15, None, &rows).unwrap();
    let second: i64 = s
        .conn
        .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(first, second, "an unchanged sample adds no change rows");
    // 2 queues + realm + worker + cell + total.
    assert_eq!(first, 6);
}

#[test]
fn aggregates_sum_their_queues_and_no_vhost_sums_the_vhosts() {
    let (_d, mut s) = store();
    let rows = vec![
        q("a", "q1", Some("acme"), Some("billing"), 10),
        q("a", "q2", Some("acme"), Some("mail"), 5),
        q("a", "q3", Some("zeta"), Some("billing"), 7),
        q("b", "q1", Some("acme"), Some("billing"), 100),
        q("b", "odd", None, None, 1),
    ];
    s.append(T0, None, &rows).unwrap();
    let m = HistoryMetric::Messages;
    let one = |sel: SeriesSelector| values(&s, &sel, m, T0, T0)[0].1;
    assert_eq!(one(sel(SeriesKind::Realm, Some("a"), Some("acme"))), 15.0);
    assert_eq!(one(sel(SeriesKind::Realm, None, Some("acme"))), 115.0);
    assert_eq!(
        one(sel(SeriesKind::Worker, Some("a"), Some("billing"))),
        17.0
    );
    assert_eq!(one(sel(SeriesKind::Total, Some("b"), None)), 101.0);
    assert_eq!(one(sel(SeriesKind::Total, None, None)), 123.0);
    let cell = SeriesSelector {
        realm: Some("acme".into()),
        ..sel(SeriesKind::Cell, None, Some("billing"))
    };
    assert_eq!(one(cell), 110.0);
    assert_eq!(one(sel(SeriesKind::Queue, None, Some("q1"))), 110.0);
    // Rates are summed too, in their unit.
    let rate = values(
        &s,
        &sel(SeriesKind::Realm, Some("a"), Some("acme")),
        HistoryMetric::PublishRate,
        T0,
        T0,
    )[0]
    .1;
    assert_eq!(rate, 1.5);
}

#[test]
fn a_queue_missing_from_a_covering_sample_is_gone_and_other_vhosts_are_untouched() {
    let (_d, mut s) = store();
    s.append(
        T0,
        None,
        &[
            q("a", "x", Some("r"), None, 1),
            q("b", "y", Some("r"), None, 2),
        ],
    )
    .unwrap();
    // A sample of vhost b only: a's queue is not touched.
    s.append(T0 + 15, Some("b"), &[q("b", "y", Some("r"), None, 3)])
        .unwrap();
    // A full sample without x: x is gone from then on, and so is realm r in vhost a.
    s.append(T0 + 30, None, &[q("b", "y", Some("r"), None, 4)])
        .unwrap();
    s.append(
        T0 + 45,
        None,
        &[
            q("a", "x", Some("r"), None, 9),
            q("b", "y", Some("r"), None, 4),
        ],
    )
    .unwrap();
    let m = HistoryMetric::Messages;
    let x = values(
        &s,
        &sel(SeriesKind::Queue, Some("a"), Some("x")),
        m,
        T0,
        T0 + 60,
    );
    assert_eq!(
        x,
        vec![(rfc3339(T0), 1.0), (rfc3339(T0 + 30 + 15), 9.0)],
        "absent at +30, back at +45; +15 did not sample vhost a"
    );
    let y = values(
        &s,
        &sel(SeriesKind::Queue, Some("b"), Some("y")),
        m,
        T0,
        T0 + 60,
    );
    assert_eq!(
        y.iter().map(|p| p.1).collect::<Vec<_>>(),
        vec![2.0, 3.0, 4.0, 4.0]
    );
    let realm_a = values(
        &s,
        &sel(SeriesKind::Realm, Some("a"), Some("r")),
        m,
        T0,
        T0 + 60,
    );
    assert_eq!(
        realm_a.iter().map(|p| p.1).collect::<Vec<_>>(),
        vec![1.0, 9.0]
    );
    // Summed over vhosts, a's last value is carried while only b is sampled.
    let realm = values(&s, &sel(SeriesKind::Realm, None, Some("r")), m, T0, T0 + 60);
    assert_eq!(
        realm.iter().map(|p| p.1).collect::<Vec<_>>(),
        vec![3.0, 4.0, 4.0, 13.0]
    );
}

#[test]
fn samples_out_of_order_are_refused() {
    let (_d, mut s) = store();
    s.append(T0, None, &[q("/", "a", None, None, 1)]).unwrap();
    let e = s
        .append(T0 - 15, None, &[q("/", "a", None, None, 2)])
        .unwrap_err();
    assert!(e.to_string().contains("time order"), "{e}");
    // The store still works and did not take the refused sample.
    s.append(T0 + 15, None, &[q("/", "a", None, None, 3)])
        .unwrap();
    let v = values(
        &s,
        &sel(SeriesKind::Queue, Some("/"), Some("a")),
        HistoryMetric::Messages,
        T0 - 60,
        T0 + 60,
    );
    assert_eq!(v.iter().map(|p| p.1).collect::<Vec<_>>(), vec![1.0, 3.0]);
}

#[test]
fn old_hours_become_five_minute_min_avg_max_buckets_and_expire_after_30_days() {
    let (_d, mut s) = store();
    // Hour 0: "a" steps 0,1,2,…,19 in each 5-minute slot (20 samples a slot); "idle" stays 7.
    let mut expected = Vec::new();
    for k in 0..240i64 {
        let t = T0 + 15 * k;
        s.append(
            t,
            None,
            &[
                q("/", "a", Some("r"), None, (k % 20) as u64),
                q("/", "idle", Some("r"), None, 7),
            ],
        )
        .unwrap();
    }
    for slot in 0..12 {
        expected.push((rfc3339(T0 + slot * 300), 9.5, 0.0, 19.0));
    }
    // Three days later (a sample then, so the store moves on), maintain downsamples hour 0.
    let later = T0 + 3 * 86_400;
    s.append(
        later,
        None,
        &[
            q("/", "a", Some("r"), None, 50),
            q("/", "idle", Some("r"), None, 7),
        ],
    )
    .unwrap();
    s.maintain(later).unwrap();
    let tiers: Vec<i64> = s
        .conn
        .prepare("SELECT DISTINCT tier FROM chunks")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(tiers, vec![TIER_BUCKETS], "hour 0 holds buckets only");
    let a = s
        .series(
            &sel(SeriesKind::Queue, Some("/"), Some("a")),
            HistoryMetric::Messages,
            T0,
            T0 + 3599,
        )
        .unwrap();
    assert_eq!(a.resolution_s, 300);
    let got: Vec<_> = a
        .series
        .iter()
        .map(|p| (p.t.clone(), p.value, p.min.unwrap(), p.max.unwrap()))
        .collect();
    assert_eq!(got, expected);
    // Memory avg: 10_000 + 100 × messages.
    let mem = s
        .series(
            &sel(SeriesKind::Queue, Some("/"), Some("a")),
            HistoryMetric::Memory,
            T0,
            T0 + 299,
        )
        .unwrap();
    assert_eq!(mem.series[0].value, 10_950.0);
    // The idle queue reads as standing still, and the realm sums both.
    let idle = s
        .series(
            &sel(SeriesKind::Queue, Some("/"), Some("idle")),
            HistoryMetric::Messages,
            T0,
            T0 + 3599,
        )
        .unwrap();
    assert_eq!(idle.series.len(), 12);
    assert!(idle
        .series
        .iter()
        .all(|p| p.value == 7.0 && p.min == Some(7.0) && p.max == Some(7.0)));
    let realm = bands(
        &s,
        &sel(SeriesKind::Realm, Some("/"), Some("r")),
        T0,
        T0 + 299,
    );
    assert_eq!(realm[0], (rfc3339(T0), 16.5, Some(7.0), Some(26.0)));
    // A long window mixes stored buckets and buckets made from full resolution.
    let long = s
        .series(
            &sel(SeriesKind::Queue, Some("/"), Some("a")),
            HistoryMetric::Messages,
            T0,
            later,
        )
        .unwrap();
    assert_eq!(long.series.len(), 13);
    assert_eq!(long.series[12].value, 50.0);
    // Maintaining again does nothing more.
    let bytes_before: i64 = s
        .conn
        .query_row("SELECT sum(length(blob)) FROM chunks", [], |r| r.get(0))
        .unwrap();
    s.maintain(later).unwrap();
    let bytes_after: i64 = s
        .conn
        .query_row("SELECT sum(length(blob)) FROM chunks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(bytes_before, bytes_after);

    // 31 days on, hour 0 is dropped; the idle queue's state survives as one carried bucket.
    let much_later = later + 31 * 86_400;
    s.append(much_later, None, &[q("/", "idle", Some("r"), None, 7)])
        .unwrap();
    s.maintain(much_later).unwrap();
    let oldest: i64 = s
        .conn
        .query_row("SELECT min(t) FROM samples", [], |r| r.get(0))
        .unwrap();
    assert!(oldest >= much_later - RETENTION_S);
    assert!(s
        .series(
            &sel(SeriesKind::Queue, Some("/"), Some("a")),
            HistoryMetric::Messages,
            T0,
            T0 + 3599
        )
        .unwrap()
        .series
        .is_empty());
    let idle = values(
        &s,
        &sel(SeriesKind::Queue, Some("/"), Some("idle")),
        HistoryMetric::Messages,
        much_later - 60,
        much_later,
    );
    assert_eq!(idle, vec![(rfc3339(much_later), 7.0)]);
    let info = s.info().unwrap();
    assert_eq!(info.samples, 1);
    assert!(info.bytes > 0);
}

#[test]
fn growers_rank_by_delta_and_know_since_when() {
    let (_d, mut s) = store();
    // "up" sat at 2 early on, rose to 10, dipped to 0 at k=10, then grows steadily from k=20.
    // "down" shrinks, "flat" stays, "small" grows a little.
    for k in 0..60i64 {
        let t = T0 + 15 * k;
        let up = match k {
            0..=4 => 2,
            5..=9 => 10,
            10..=19 => 0,
            _ => (k - 19) as u64 * 3,
        };
        s.append(
            t,
            None,
            &[
                q("/", "up", Some("r1"), None, up),
                q("/", "down", Some("r2"), None, 100 - k as u64),
                q("/", "flat", Some("r2"), None, 5),
                q("/", "small", Some("r3"), None, 1 + (k / 30) as u64),
            ],
        )
        .unwrap();
    }
    let since = T0 + 15 * 29;
    let until = T0 + 15 * 59;
    let g = s
        .growers(
            SeriesKind::Queue,
            None,
            HistoryMetric::Messages,
            since,
            until,
            10,
        )
        .unwrap();
    let keys: Vec<_> = g.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, vec!["up", "small"]);
    assert_eq!((g[0].start, g[0].end, g[0].delta), (30.0, 120.0, 90.0));
    assert_eq!(g[0].vhost.as_deref(), Some("/"));
    // Lowest value 0, last seen at k=19: growing since then, from before the window.
    assert_eq!(g[0].growing_since, Some(rfc3339(T0 + 15 * 19)));
    assert_eq!(g[1].growing_since, Some(rfc3339(T0 + 15 * 29)));
    // A store that has not appended (the CLI) finds them in the file, the same.
    let cold = HistoryStore::open(s.path()).unwrap();
    let from_file = cold
        .growers(
            SeriesKind::Queue,
            None,
            HistoryMetric::Messages,
            since,
            until,
            10,
        )
        .unwrap();
    assert_eq!(format!("{from_file:?}"), format!("{g:?}"));
    // The window ending before the newest sample cannot use the cache either.
    let earlier = s
        .growers(
            SeriesKind::Queue,
            None,
            HistoryMetric::Messages,
            T0,
            T0 + 15 * 9,
            10,
        )
        .unwrap();
    assert_eq!(
        earlier
            .iter()
            .map(|g| (g.key.as_str(), g.start, g.end))
            .collect::<Vec<_>>(),
        vec![("up", 2.0, 10.0)]
    );
    let top1 = s
        .growers(
            SeriesKind::Queue,
            Some("/"),
            HistoryMetric::Messages,
            since,
            until,
            1,
        )
        .unwrap();
    assert_eq!(top1.len(), 1);
    let realms = s
        .growers(
            SeriesKind::Realm,
            None,
            HistoryMetric::Messages,
            since,
            until,
            10,
        )
        .unwrap();
    assert_eq!(
        realms.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
        vec!["r1", "r3"]
    );
    assert!(s
        .growers(
            SeriesKind::Queue,
            Some("other"),
            HistoryMetric::Messages,
            since,
            until,
            10
        )
        .unwrap()
        .is_empty());
    // Still right once the samples are packed into blobs and downsampled.
    s.append(
        T0 + 3 * 86_400,
        None,
        &[q("/", "up", Some("r1"), None, 500)],
    )
    .unwrap();
    s.maintain(T0 + 3 * 86_400).unwrap();
    let g = s
        .growers(
            SeriesKind::Queue,
            None,
            HistoryMetric::Messages,
            T0 + 86_400,
            T0 + 3 * 86_400,
            10,
        )
        .unwrap();
    assert_eq!(g.len(), 1);
    assert_eq!(
        (g[0].key.as_str(), g[0].start, g[0].end),
        ("up", 120.0, 500.0)
    );
    // Downsampled, the last time at 0 is known to the 5-minute bucket.
    assert_eq!(g[0].growing_since, Some(rfc3339(T0 + 15 * 19)));
}

#[test]
fn sparklines_average_points_into_equal_slots() {
    let (_d, mut s) = store();
    for k in 0..8i64 {
        if k == 4 || k == 5 {
            continue; // not sampled
        }
        s.append(T0 + 15 * k, None, &[q("/", "a", None, None, k as u64)])
            .unwrap();
    }
    let sels = [
        sel(SeriesKind::Queue, Some("/"), Some("a")),
        sel(SeriesKind::Queue, Some("/"), Some("nope")),
    ];
    let lines = s
        .sparklines(&sels, HistoryMetric::Messages, T0, T0 + 120, 4)
        .unwrap();
    assert_eq!(lines[0], vec![Some(0.5), Some(2.5), None, Some(6.5)]);
    assert_eq!(lines[1], vec![None; 4]);
}

#[test]
fn a_second_writer_on_the_same_file_is_noticed() {
    let (d, mut a) = store();
    let mut b = HistoryStore::open(&HistoryStore::path_for(d.path(), "env")).unwrap();
    a.append(T0, None, &[q("/", "x", None, None, 5)]).unwrap();
    b.append(T0 + 15, None, &[q("/", "x", None, None, 7)])
        .unwrap();
    // a still remembers 5: it must notice b's sample and write its 5 again.
    a.append(T0 + 30, None, &[q("/", "x", None, None, 5)])
        .unwrap();
    let v = values(
        &b,
        &sel(SeriesKind::Queue, Some("/"), Some("x")),
        HistoryMetric::Messages,
        T0,
        T0 + 30,
    );
    assert_eq!(
        v.iter().map(|p| p.1).collect::<Vec<_>>(),
        vec![5.0, 7.0, 5.0]
    );
}

#[test]
fn a_history_that_begins_inside_the_window_starts_growers_at_the_first_sample() {
    let (_d, mut s) = store();
    // Sampled from T0 only: a window reaching back before it starts at the first sample.
    for (k, depth) in [1u64, 1, 6, 6].into_iter().enumerate() {
        let t = T0 + 15 * k as i64;
        let rows = [
            q("/", "grew", None, None, depth),
            q("/", "still", None, None, 7),
        ];
        // "new" appears at the third sample: it did not exist before, so it grew from 0.
        let new = q("/", "new", None, None, 3);
        let rows: Vec<QueueRow> = if k >= 2 {
            [&rows[..], &[new]].concat()
        } else {
            rows.to_vec()
        };
        s.append(t, None, &rows).unwrap();
    }
    let g = s
        .growers(
            SeriesKind::Queue,
            None,
            HistoryMetric::Messages,
            T0 - 600,
            T0 + 45,
            10,
        )
        .unwrap();
    let found: Vec<(&str, f64, f64)> = g.iter().map(|g| (g.key.as_str(), g.start, g.end)).collect();
    assert_eq!(found, vec![("grew", 1.0, 6.0), ("new", 0.0, 3.0)]);
}

#[test]
fn buckets_older_than_ten_days_become_hour_buckets_weighted_by_their_samples() {
    let (_d, mut s) = store();
    let both = |t: i64, a: u64, s: &mut HistoryStore| {
        s.append(
            t,
            None,
            &[
                q("/", "a", Some("r"), None, a),
                q("/", "idle", Some("r"), None, 7),
            ],
        )
        .unwrap();
    };
    // Day 0, hour 0: "a" steps 0..19 in each 5-minute slot; hour 1: it stands at 50, sampled in
    // its first 5 minutes only (20 samples), so the hour's average weighs those samples.
    for k in 0..240i64 {
        both(T0 + 15 * k, (k % 20) as u64, &mut s);
    }
    for k in 0..20i64 {
        both(T0 + 3600 + 15 * k, 50, &mut s);
    }
    // Day 5 (between 48 h and 10 days old when maintained): 5-minute buckets stay.
    for k in 0..20i64 {
        both(T0 + 5 * 86_400 + 15 * k, 3, &mut s);
    }
    let now = T0 + 12 * 86_400;
    both(now, 4, &mut s);
    s.maintain(now).unwrap();
    let tiers: Vec<(i64, i64)> = s
        .conn
        .prepare("SELECT DISTINCT start, tier FROM chunks ORDER BY start")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        tiers,
        vec![(T0, TIER_HOURS), (T0 + 5 * 86_400, TIER_BUCKETS)]
    );

    let a = sel(SeriesKind::Queue, Some("/"), Some("a"));
    let old = s
        .series(&a, HistoryMetric::Messages, T0, T0 + 2 * 3600 - 1)
        .unwrap();
    assert_eq!(old.resolution_s, 3600);
    let got: Vec<_> = old
        .series
        .iter()
        .map(|p| (p.t.clone(), p.value, p.min, p.max))
        .collect();
    assert_eq!(
        got,
        vec![
            (rfc3339(T0), 9.5, Some(0.0), Some(19.0)),
            (rfc3339(T0 + 3600), 50.0, Some(50.0), Some(50.0)),
        ]
    );
    let realm = bands(
        &s,
        &sel(SeriesKind::Realm, Some("/"), Some("r")),
        T0,
        T0 + 3599,
    );
    assert_eq!(realm[0], (rfc3339(T0), 16.5, Some(7.0), Some(26.0)));
    // A window that starts after the coarse frontier keeps 5-minute buckets.
    let mid = s
        .series(
            &a,
            HistoryMetric::Messages,
            T0 + 5 * 86_400,
            T0 + 5 * 86_400 + 3599,
        )
        .unwrap();
    assert_eq!(mid.resolution_s, 300);
    assert_eq!(mid.series.len(), 1);
    assert_eq!((mid.series[0].value, mid.series[0].max), (3.0, Some(3.0)));
    // The whole retention reads as hours: day 0's two, day 5's one, the last sample's hour.
    let all = values(&s, &a, HistoryMetric::Messages, T0, now);
    assert_eq!(
        all,
        vec![
            (rfc3339(T0), 9.5),
            (rfc3339(T0 + 3600), 50.0),
            (rfc3339(T0 + 5 * 86_400), 3.0),
            (rfc3339(now), 4.0)
        ]
    );
    // Maintaining again changes nothing.
    let bytes = |s: &HistoryStore| -> i64 {
        s.conn
            .query_row("SELECT sum(length(blob)) FROM chunks", [], |r| r.get(0))
            .unwrap()
    };
    let before = bytes(&s);
    s.maintain(now).unwrap();
    assert_eq!(bytes(&s), before);
    // Growers over the whole span see the hour buckets too.
    let g = s
        .growers(
            SeriesKind::Queue,
            None,
            HistoryMetric::Messages,
            T0 + 3600,
            now,
            10,
        )
        .unwrap();
    assert!(g.is_empty(), "a fell from 50 to 4: {g:?}");
}

#[test]
fn a_second_writer_in_the_same_second_is_kept_once() {
    // The window and `warren watch` may both sample one vhost within a second.
    let (_d, mut s) = store();
    s.append(T0, None, &[q("/", "a", None, None, 1)]).unwrap();
    s.append(T0, None, &[q("/", "a", None, None, 2)]).unwrap();
    let v = values(
        &s,
        &sel(SeriesKind::Queue, Some("/"), Some("a")),
        HistoryMetric::Messages,
        T0 - 60,
        T0 + 60,
    );
    assert_eq!(v.iter().map(|p| p.1).collect::<Vec<_>>(), vec![1.0]);
}
