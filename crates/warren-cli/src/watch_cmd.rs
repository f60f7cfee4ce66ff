//! `warren watch`: sample an environment into its local history every `--interval` without the
//! window (a laptop session, a jump host), for `--duration` or until Ctrl-C. Each sample is one
//! line: on stderr for people, one JSON object per line on stdout with `--json`. Alerts that
//! open (the environment's rules) are printed too, `{"alert": {…}}` lines with `--json`;
//! `--fail-on-alert` stops at the first with exit status 1.

use std::time::{Duration, Instant};

use clap::Args;
use warren_core::{EnvironmentStore, Session};

use crate::history_cmd::parse_span;
use crate::output::{self, Exit, Output, RunPassword};

#[derive(Args)]
pub struct WatchArgs {
    /// The environment's id (`warren env list`).
    #[arg(long)]
    env: String,
    /// Only this vhost (default: the environment's default vhost, else all vhosts).
    #[arg(long)]
    vhost: Option<String>,
    /// Time between samples, e.g. 15s, 1m (at least 5s: each sample lists every queue).
    #[arg(long, default_value = "15s", value_parser = parse_span)]
    interval: Duration,
    /// Stop after this long, e.g. 8h (default: until Ctrl-C).
    #[arg(long, value_parser = parse_span)]
    duration: Option<Duration>,
    /// Stop with exit status 1 at the first alert that opens (the environment's rules,
    /// `warren env edit ID --alert …`), after printing it.
    #[arg(long)]
    fail_on_alert: bool,
    #[command(flatten)]
    password: RunPassword,
    #[command(flatten)]
    out: Output,
}

pub async fn run(store: &EnvironmentStore, args: WatchArgs) -> Exit {
    if args.interval < Duration::from_secs(5) {
        return Err(output::usage(
            "--interval: at least 5s (each sample lists every queue of the broker)",
        ));
    }
    // Fails early on an unknown environment or a missing password, before the first tick.
    let (env, password) = args.password.open(store, &args.env)?;
    let session = Session::with_password(store.clone(), Some(password));
    let interrupted = output::interrupt_flag();
    let started = Instant::now();
    let mut ticks = tokio::time::interval(args.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut recorded, mut failed) = (0u64, 0u64);
    if !args.out.json {
        eprintln!(
            "watching `{}` every {}{}; Ctrl-C stops",
            env.id,
            humantime::format_duration(args.interval),
            args.duration
                .map(|d| format!(" for {}", humantime::format_duration(d)))
                .unwrap_or_default()
        );
    }
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = wait_for(&interrupted) => break,
        }
        if args.duration.is_some_and(|d| started.elapsed() >= d) || interrupted() {
            break;
        }
        match session.sample(&env.id, args.vhost.clone()).await {
            Ok(report) => {
                recorded += u64::from(!report.skipped);
                for alert in &report.alerts {
                    if args.out.json {
                        output::json_line(&serde_json::json!({ "alert": alert }));
                    } else {
                        eprintln!("ALERT {}: {} ({})", alert.env, alert.message, alert.rule_id);
                    }
                }
                if args.fail_on_alert && !report.alerts.is_empty() {
                    return Ok(output::FAILED);
                }
                if args.out.json {
                    output::json_line(&report);
                } else {
                    eprintln!(
                        "[{}] {}  {} queues · {} messages · {:.1} s{}",
                        recorded + failed,
                        report.at,
                        report.queues,
                        report.messages,
                        report.took_ms as f64 / 1000.0,
                        if report.skipped {
                            "  (partial listing: not recorded)"
                        } else {
                            ""
                        }
                    );
                }
            }
            // Credentials or permissions will not come back by themselves: stop and say so.
            Err(e) if gives_up(e.kind()) => return Err(e.into()),
            // A blip (a restart, a timeout) must not end a night-long watch.
            Err(e) => {
                failed += 1;
                if args.out.json {
                    output::json_line(
                        &serde_json::json!({"error": {"kind": e.kind(), "message": e.to_string()}}),
                    );
                } else {
                    eprintln!("warning: sample failed, retrying at the next tick: {e}");
                }
            }
        }
    }
    if !args.out.json {
        eprintln!(
            "recorded {recorded} sample(s) in {} ({failed} failed); `warren history info --env {}` shows the store",
            humantime::format_duration(Duration::from_secs(started.elapsed().as_secs())),
            env.id
        );
    }
    Ok(if interrupted() {
        output::INTERRUPTED
    } else {
        0
    })
}

async fn wait_for(flag: &impl Fn() -> bool) {
    while !flag() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Failures a later tick will not fix: a wrong password, a missing tag or permission, TLS
/// settings that do not match, a vhost that does not exist.
fn gives_up(kind: &str) -> bool {
    matches!(
        kind,
        "wrong_credentials"
            | "missing_management_tag"
            | "vhost_access_refused"
            | "management_not_enabled"
            | "tls_verification"
            | "tls_mismatch"
            | "tls_files"
            | "not_rabbitmq"
            | "not_found"
            | "invalid_argument"
    )
}
