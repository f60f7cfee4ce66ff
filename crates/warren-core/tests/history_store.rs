//! The history store survives a writer killed at any moment: the file stays intact (SQLite's
//! integrity check) and every sample the writer had committed reads back, losing at most the
//! one in flight. The writer is this test binary re-executed as a child process
//! (`WARREN_HISTORY_CHILD`), killed with SIGKILL while it appends and maintains. No broker.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use warren_core::history::{HistoryMetric, HistoryStore, SeriesKind, SeriesSelector};
use warren_core::queues::QueueRow;

const T0: i64 = 1_790_000_000 - 1_790_000_000 % 3600;
/// A minute between samples, so hours close (and `maintain` packs them) during the test.
const STEP: i64 = 60;
const QUEUES: usize = 20_000;
const BUSY: usize = 50;

fn messages(j: usize, k: i64) -> u64 {
    if j < BUSY {
        ((k * 31 + j as i64 * 7) % 1000) as u64
    } else {
        (j % 5) as u64
    }
}

fn rows(k: i64) -> Vec<QueueRow> {
    (0..QUEUES)
        .map(|j| {
            let mut r = QueueRow::default();
            r.vhost = "/".into();
            r.name = format!("q{j}");
            r.messages = messages(j, k);
            r.messages_ready = r.messages;
            r.realm = Some(format!("realm-{}", j % 10));
            r.worker = Some("w".into());
            r.publish_rate = (k % 7) as f64 / 10.0;
            r
        })
        .collect()
}

/// The child: appends samples (and runs `maintain` every 10) until it is killed, printing each
/// sample number once its transaction has committed.
#[test]
fn child_appends_until_killed() {
    let Some(path) = std::env::var_os("WARREN_HISTORY_CHILD") else {
        return;
    };
    let mut store = HistoryStore::open(Path::new(&path)).unwrap();
    let mut k = store.info().unwrap().samples as i64;
    loop {
        let t = T0 + k * STEP;
        store.append(t, None, &rows(k)).unwrap();
        println!("committed {k}");
        if k % 10 == 9 {
            store.maintain(t).unwrap();
            println!("maintained {k}");
        }
        k += 1;
    }
}

fn queue(j: usize) -> SeriesSelector {
    SeriesSelector {
        kind: SeriesKind::Queue,
        vhost: Some("/".into()),
        key: Some(format!("q{j}")),
        realm: None,
    }
}

#[test]
fn a_writer_killed_mid_write_loses_at_most_the_sample_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let path = HistoryStore::path_for(dir.path(), "crash");
    let mut committed: i64 = -1;
    // Kill at a different moment each round: after some commits, plus a few milliseconds.
    for (round, extra_ms) in [(0u32, 0u64), (1, 7), (2, 23), (3, 41), (4, 3)] {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_appends_until_killed",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("WARREN_HISTORY_CHILD", &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen_this_round = 0;
        while let Some(Ok(line)) = lines.next() {
            if let Some(k) = line.strip_prefix("committed ") {
                committed = k.parse().unwrap();
                seen_this_round += 1;
                if seen_this_round == 12 + round as usize * 3 {
                    break;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(extra_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Lines the child printed before it died still count as committed.
        for line in lines.map_while(Result::ok) {
            if let Some(k) = line.strip_prefix("committed ") {
                committed = k.parse().unwrap();
            }
        }

        let conn = rusqlite::Connection::open(&path).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "round {round}");
        drop(conn);

        let store = HistoryStore::open(&path).unwrap();
        let samples = store.info().unwrap().samples as i64;
        // Every printed sample is there; at most the one in flight (committed, not yet printed)
        // is there too.
        assert!(
            samples == committed + 1 || samples == committed + 2,
            "round {round}: {samples} samples for {committed} committed"
        );
        let until = T0 + (samples - 1) * STEP;
        for j in [0, 1, BUSY - 1, BUSY, QUEUES - 1] {
            let got: Vec<f64> = store
                .series(&queue(j), HistoryMetric::Messages, T0, until)
                .unwrap()
                .series
                .iter()
                .map(|p| p.value)
                .collect();
            let want: Vec<f64> = (0..samples).map(|k| messages(j, k) as f64).collect();
            assert_eq!(got, want, "round {round}, queue q{j}");
        }
        let total = store
            .series(
                &SeriesSelector {
                    kind: SeriesKind::Total,
                    vhost: None,
                    key: None,
                    realm: None,
                },
                HistoryMetric::Messages,
                until,
                until,
            )
            .unwrap();
        let want: u64 = (0..QUEUES).map(|j| messages(j, samples - 1)).sum();
        assert_eq!(total.series[0].value, want as f64, "round {round}");
        committed = samples - 1;
    }
    // The rounds ran past at least one hour boundary, so packing was interrupted too.
    assert!(committed * STEP > 3600, "only {committed} samples");
}
