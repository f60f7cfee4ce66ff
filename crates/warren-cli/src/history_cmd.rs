//! `warren history`: a realm's, worker's, cell's, queue's or the total's series from the
//! environment's local history; `warren history growers`: the biggest growers and since when
//! they grow; `warren history info`: what the store holds and its size. The samples come from
//! the window (each refresh, and a background sampler while it is open) and `warren watch`.

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use warren_core::history::{
    Grower, HistoryInfo, HistoryMetric, Series, SeriesKind, SeriesSelector,
};
use warren_core::{EnvironmentStore, Session};

use crate::output::{self, Exit, Failure, Output};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct HistoryArgs {
    #[command(subcommand)]
    action: Option<HistoryAction>,
    #[command(flatten)]
    series: SeriesArgs,
}

#[derive(Subcommand)]
enum HistoryAction {
    /// The biggest growers over a window, with their start, end, delta and "growing since".
    Growers(GrowersArgs),
    /// What the environment's history holds: samples, span, series and size on disk.
    Info(InfoArgs),
}

/// `--env ID [--vhost V]`: whose history (no broker is contacted).
#[derive(Args)]
struct Env {
    /// The environment's id (`warren env list`).
    // An `Option` that clap requires, so `warren history growers …` builds its parent's
    // arguments without it (`subcommand_negates_reqs`).
    #[arg(long, required = true)]
    env: Option<String>,
    /// Only this vhost (default: summed over every vhost sampled).
    #[arg(long)]
    vhost: Option<String>,
}

impl Env {
    fn id(&self) -> &str {
        self.env.as_deref().unwrap_or_default()
    }
}

#[derive(Args)]
struct SeriesArgs {
    #[command(flatten)]
    at: Env,
    /// A realm's series (with --worker: one worker in that realm).
    #[arg(long, conflicts_with_all = ["queue", "total"])]
    realm: Option<String>,
    /// A worker's series (with --realm: that worker in one realm).
    #[arg(long, conflicts_with_all = ["queue", "total"])]
    worker: Option<String>,
    /// One queue's series (with --vhost when queues of that name live in several vhosts).
    #[arg(long, conflicts_with = "total")]
    queue: Option<String>,
    /// The sum of every queue.
    #[arg(long)]
    total: bool,
    /// messages, ready, unacked, consumers, memory, publish_rate or deliver_rate.
    #[arg(long, default_value = "messages")]
    metric: String,
    /// How far back, e.g. 30m, 6h, 7d (full resolution for the last 48 h, then 5-minute buckets, hour buckets past 10 days).
    #[arg(long, default_value = "6h", value_parser = parse_span)]
    since: Duration,
    #[command(flatten)]
    out: Output,
}

#[derive(Clone, Copy, ValueEnum)]
enum By {
    Realm,
    Worker,
    Queue,
}

#[derive(Args)]
struct GrowersArgs {
    #[command(flatten)]
    at: Env,
    #[arg(long, value_enum, default_value = "realm")]
    by: By,
    /// The window, e.g. 15m, 1h, 24h, 7d.
    #[arg(long, default_value = "1h", value_parser = parse_span)]
    since: Duration,
    /// messages, ready, unacked, consumers, memory, publish_rate or deliver_rate.
    #[arg(long, default_value = "messages")]
    metric: String,
    /// At most this many.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    #[command(flatten)]
    out: Output,
}

#[derive(Args)]
struct InfoArgs {
    /// The environment's id (`warren env list`).
    #[arg(long)]
    env: String,
    #[command(flatten)]
    out: Output,
}

/// `15s`, `30m`, `6h`, `7d`, `1h30m`: a span of time (humantime's syntax).
pub fn parse_span(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("`{s}` is not a span of time ({e}); write e.g. 15s, 30m, 6h or 7d"))?;
    if d.is_zero() {
        return Err(format!(
            "`{s}` is no time at all; write e.g. 15s, 30m, 6h or 7d"
        ));
    }
    Ok(d)
}

fn metric(name: &str) -> Result<HistoryMetric, Failure> {
    HistoryMetric::parse(name).ok_or_else(|| {
        output::usage(format!(
            "--metric: `{name}` is not recorded; use one of messages, ready, unacked, consumers, memory, publish_rate, deliver_rate"
        ))
    })
}

fn seconds(d: Duration) -> u32 {
    d.as_secs().min(u64::from(u32::MAX)) as u32
}

pub async fn run(store: &EnvironmentStore, args: HistoryArgs) -> Exit {
    let session = Session::new(store.clone());
    match args.action {
        Some(HistoryAction::Growers(g)) => run_growers(&session, g).await,
        Some(HistoryAction::Info(i)) => run_info(&session, i).await,
        None => run_series(&session, args.series).await,
    }
}

fn selector(args: &SeriesArgs) -> Result<SeriesSelector, Failure> {
    let vhost = args.at.vhost.clone();
    let (kind, key, realm) =
        match (&args.realm, &args.worker, &args.queue, args.total) {
            (Some(r), Some(w), _, _) => (SeriesKind::Cell, Some(w.clone()), Some(r.clone())),
            (Some(r), None, _, _) => (SeriesKind::Realm, Some(r.clone()), None),
            (None, Some(w), _, _) => (SeriesKind::Worker, Some(w.clone()), None),
            (None, None, Some(q), _) => (SeriesKind::Queue, Some(q.clone()), None),
            (None, None, None, true) => (SeriesKind::Total, None, None),
            (None, None, None, false) => return Err(output::usage(
                "say which series: --realm R, --worker W (both: one cell), --queue Q or --total",
            )),
        };
    Ok(SeriesSelector {
        kind,
        vhost,
        key,
        realm,
    })
}

fn describe(sel: &SeriesSelector) -> String {
    let what = match sel.kind {
        SeriesKind::Realm => format!("realm {}", sel.key.as_deref().unwrap_or_default()),
        SeriesKind::Worker => format!("worker {}", sel.key.as_deref().unwrap_or_default()),
        SeriesKind::Queue => format!("queue {}", sel.key.as_deref().unwrap_or_default()),
        SeriesKind::Cell => format!(
            "worker {} in realm {}",
            sel.key.as_deref().unwrap_or_default(),
            sel.realm.as_deref().unwrap_or_default()
        ),
        SeriesKind::Total => "every queue".to_string(),
    };
    match &sel.vhost {
        Some(v) => format!("{what} (vhost {v})"),
        None => what,
    }
}

async fn run_series(session: &Session, args: SeriesArgs) -> Exit {
    let sel = selector(&args)?;
    let metric = metric(&args.metric)?;
    let series = session
        .history_series(args.at.id(), sel.clone(), metric, seconds(args.since))
        .await?;
    args.out
        .show(&series, |s| print_series(args.at.id(), &sel, metric, s));
    Ok(0)
}

/// Eight levels of a bar, for a series read at a glance in a terminal.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `values` resampled to at most `width` columns (each the last value of its slice) as bars.
pub fn sparkline(values: &[f64], width: usize) -> String {
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let cols: Vec<f64> = if values.len() <= width {
        values.to_vec()
    } else {
        (0..width)
            .map(|c| values[((c + 1) * values.len() / width).max(1) - 1])
            .collect()
    };
    let (lo, hi) = cols
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    cols.iter()
        .map(|v| {
            let level = if hi > lo {
                (v - lo) / (hi - lo) * 7.0
            } else {
                0.0
            };
            BARS[level.round().clamp(0.0, 7.0) as usize]
        })
        .collect()
}

fn print_series(env: &str, sel: &SeriesSelector, metric: HistoryMetric, s: &Series) {
    let (Some(first), Some(last)) = (s.series.first(), s.series.last()) else {
        println!(
            "no samples of {} in environment `{env}` over that window: the window records one on each refresh, or run `warren watch --env {env}`",
            describe(sel)
        );
        return;
    };
    let values: Vec<f64> = s.series.iter().map(|p| p.value).collect();
    let lo = values.iter().copied().fold(f64::MAX, f64::min);
    let hi = values.iter().copied().fold(f64::MIN, f64::max);
    println!(
        "{} of {}: {} point(s), one per {} s",
        metric.name(),
        describe(sel),
        s.series.len(),
        s.resolution_s
    );
    println!("{}", sparkline(&values, 72));
    println!(
        "{} {}  →  {} {}   (min {}, max {}, change {:+})",
        first.t,
        number(first.value),
        last.t,
        number(last.value),
        number(lo),
        number(hi),
        last.value - first.value
    );
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// `warren history growers --json`.
#[derive(Serialize)]
struct GrowersOut<'a> {
    by: &'static str,
    metric: &'static str,
    since_s: u32,
    growers: &'a [Grower],
}

async fn run_growers(session: &Session, args: GrowersArgs) -> Exit {
    let metric = metric(&args.metric)?;
    let (kind, by) = match args.by {
        By::Realm => (SeriesKind::Realm, "realm"),
        By::Worker => (SeriesKind::Worker, "worker"),
        By::Queue => (SeriesKind::Queue, "queue"),
    };
    let since_s = seconds(args.since);
    let growers = session
        .history_growers(
            args.at.id(),
            kind,
            args.at.vhost.clone(),
            metric,
            since_s,
            args.limit,
        )
        .await?;
    let out = GrowersOut {
        by,
        metric: metric.name(),
        since_s,
        growers: &growers,
    };
    args.out.show(&out, |o| {
        if o.growers.is_empty() {
            println!(
                "nothing grew in {} over the last {}: no sample shows a {by} with more {} at the end than at the start",
                args.at.id(),
                humantime::format_duration(args.since),
                metric.name()
            );
            return;
        }
        output::print_table(
            &[by, "vhost", "start", "end", "delta", "growing since"],
            o.growers.iter().map(|g| {
                vec![
                    g.key.clone(),
                    g.vhost.clone().unwrap_or_default(),
                    number(g.start),
                    number(g.end),
                    format!("{:+}", g.delta),
                    g.growing_since.clone().unwrap_or_default(),
                ]
            }),
        );
    });
    Ok(0)
}

async fn run_info(session: &Session, args: InfoArgs) -> Exit {
    let info: HistoryInfo = session.history_info(&args.env).await?;
    args.out.show(&info, |i| {
        println!("history of `{}`: {}", args.env, i.path);
        println!(
            "{} sample(s), {} series, {:.1} MB on disk",
            i.samples,
            i.series,
            i.bytes as f64 / 1e6
        );
        if let (Some(a), Some(b)) = (&i.oldest, &i.newest) {
            println!("from {a} to {b}");
        }
        println!(
            "full resolution for {}, then {} buckets for {}",
            humantime::format_duration(Duration::from_secs(i.full_resolution_s.into())),
            humantime::format_duration(Duration::from_secs(i.bucket_s.into())),
            humantime::format_duration(Duration::from_secs(i.retention_s.into())),
        );
    });
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_operators_write_them() {
        assert_eq!(parse_span("15s").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_span("6h").unwrap(), Duration::from_secs(6 * 3600));
        assert_eq!(parse_span("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert!(parse_span("soon").unwrap_err().contains("e.g. 15s"));
        assert!(parse_span("0s").is_err());
    }

    #[test]
    fn a_sparkline_rises_with_its_values_and_fits_its_width() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 7.0], 10), "▁▂▃█");
        assert_eq!(sparkline(&[5.0, 5.0], 10), "▁▁");
        let long: Vec<f64> = (0..1000).map(f64::from).collect();
        let s = sparkline(&long, 50);
        assert_eq!(s.chars().count(), 50);
        assert!(s.ends_with('█') && s.starts_with('▁'));
    }
}
