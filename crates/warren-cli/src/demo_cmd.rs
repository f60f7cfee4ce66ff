//! `warren demo seed|clean`: the demo topology (see warren_core::demo).

use clap::Subcommand;
use warren_core::{demo, EnvironmentStore};

use crate::output::{Exit, Output, Target};

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Build the demo topology in its own vhost (recreated each time, so it is idempotent).
    Seed {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value = demo::DEFAULT_VHOST)]
        vhost: String,
        /// Also add N empty queues (`<worker>.tenant-NNNN`) to try Warren at scale.
        #[arg(long, default_value_t = 0, value_name = "N")]
        extra_queues: u32,
        #[command(flatten)]
        out: Output,
    },
    /// Remove the demo vhost and everything in it.
    Clean {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value = demo::DEFAULT_VHOST)]
        vhost: String,
    },
}

pub async fn run(store: &EnvironmentStore, cmd: DemoCommand) -> Exit {
    match cmd {
        DemoCommand::Seed {
            target,
            vhost,
            extra_queues,
            out,
        } => {
            let (environment, password) = target.open(store)?;
            let mut report = demo::seed(&environment, password.clone(), &vhost).await?;
            report.queues +=
                demo::add_bulk_queues(&environment, &password, &vhost, extra_queues).await?;
            out.show(&report, |r| {
                println!(
                    "seeded vhost `{}`: {} queues, {} messages waiting, {} dead-lettered",
                    r.vhost, r.queues, r.messages, r.dead_lettered
                )
            });
        }
        DemoCommand::Clean { target, vhost } => {
            let (environment, password) = target.open(store)?;
            demo::clean(&environment, password, &vhost).await?;
            println!("removed vhost `{vhost}`");
        }
    }
    Ok(0)
}
