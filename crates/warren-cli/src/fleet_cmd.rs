//! `warren fleet`: every environment at a glance, probed concurrently (each within its own
//! budget, so an unreachable one never delays the others). Exit status 1 when any environment
//! is unreachable or fails a health check, so a cron job or a CI step can alert on it.

use std::time::Duration;

use clap::Args;
use warren_core::fleet::{EnvStatus, FleetOptions};
use warren_core::{EnvironmentStore, Session};

use crate::output::{self, Exit, Output};

#[derive(Args)]
pub struct FleetArgs {
    /// Only these environments (repeat; default: every environment, in the config's order).
    #[arg(long = "env", value_name = "ID")]
    envs: Vec<String>,
    /// Skip the per-queue figures (dead letters, stalled queues, heaviest realm): only the
    /// overview and the health checks, a few small requests per environment.
    #[arg(long)]
    quick: bool,
    /// How many environments are probed at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    parallel: u16,
    /// Seconds each environment may take in all; one that has not answered by then is
    /// reported as a timeout (the others are not held up).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: u64,
    /// Seconds a queue with ready messages and no consumer (or consumers that take nothing)
    /// must have been idle to count as stalled. Dead-letter queues never count.
    #[arg(long, default_value_t = 300)]
    stalled_after: u64,
    #[command(flatten)]
    out: Output,
}

pub async fn run(store: &EnvironmentStore, args: FleetArgs) -> Exit {
    let session = Session::new(store.clone());
    let opts = FleetOptions {
        parallel: usize::from(args.parallel),
        budget: Duration::from_secs(args.timeout),
        quick: args.quick,
        stalled_after: Duration::from_secs(args.stalled_after),
    };
    let ids = (!args.envs.is_empty()).then_some(args.envs);
    let statuses = session.fleet_status(ids, &opts, |_| {}).await?;
    args.out.show(&statuses, |s| print(s));
    Ok(if statuses.iter().all(|s| s.ok) {
        0
    } else {
        output::FAILED
    })
}

fn print(statuses: &[EnvStatus]) {
    let n = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    output::print_table(
        &[
            "ENV",
            "TIER",
            "STATE",
            "VERSION",
            "NODES",
            ">QUEUES",
            ">MESSAGES",
            ">UNACKED",
            ">DEAD",
            ">STALLED",
            "HEAVIEST REALM",
            "TREND 1H",
        ],
        statuses.iter().map(|s| {
            let state = match (&s.error_kind, s.ok) {
                (Some(k), _) => k.as_str().to_string(),
                (None, true) => "ok".into(),
                (None, false) => "unhealthy".into(),
            };
            vec![
                s.id.clone(),
                format!("{:?}", s.tier).to_lowercase(),
                state,
                s.rabbitmq_version.clone().unwrap_or_else(|| "-".into()),
                if s.nodes.total > 0 {
                    format!("{}/{}", s.nodes.running, s.nodes.total)
                } else {
                    "-".into()
                },
                n(s.queues),
                n(s.messages),
                n(s.messages_unacknowledged),
                n(s.dead_letters),
                n(s.stalled_queues),
                s.heaviest_realm
                    .as_ref()
                    .map_or("-".into(), |r| format!("{} ({})", r.realm, r.messages)),
                s.trend
                    .as_ref()
                    .map_or("-".into(), |t| format!("{:+}", t.delta)),
            ]
        }),
    );
    for s in statuses {
        if let Some(e) = &s.error {
            println!("\n{}: {e}", s.id);
        }
        for c in s.checks.iter().filter(|c| !c.ok) {
            println!("\n{}: check {} failed: {}", s.id, c.name, c.detail);
        }
        for a in &s.alarms {
            println!("{}: alarm {} on {}", s.id, a.resource, a.node);
        }
    }
}
