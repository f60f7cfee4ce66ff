//! `warren demo seed|clean`: the demo topology (see warren_core::demo).

use clap::Subcommand;
use warren_core::{demo, EnvironmentStore};

use crate::output::{self, json};

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Build the demo topology in its own vhost (recreated each time, so it is idempotent).
    Seed {
        #[arg(long)]
        env: String,
        #[arg(long, default_value = demo::DEFAULT_VHOST)]
        vhost: String,
        /// Also add N empty queues (`<worker>.tenant-NNNN`) to try Warren at scale.
        #[arg(long, default_value_t = 0, value_name = "N")]
        extra_queues: u32,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove the demo vhost and everything in it.
    Clean {
        #[arg(long)]
        env: String,
        #[arg(long, default_value = demo::DEFAULT_VHOST)]
        vhost: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

pub async fn run(store: &EnvironmentStore, cmd: DemoCommand) -> i32 {
    match cmd {
        DemoCommand::Seed {
            env,
            vhost,
            extra_queues,
            json: as_json,
            password_stdin,
        } => {
            let result = async {
                let (environment, password) =
                    store.with_password(&env, output::password_for_run(password_stdin)?)?;
                let mut report = demo::seed(&environment, password.clone(), &vhost).await?;
                report.queues +=
                    demo::add_bulk_queues(&environment, &password, &vhost, extra_queues).await?;
                Ok::<_, warren_core::Error>(report)
            }
            .await;
            match result {
                Ok(r) if as_json => {
                    json(&r);
                    0
                }
                Ok(r) => {
                    println!(
                        "seeded vhost `{}`: {} queues, {} messages waiting, {} dead-lettered",
                        r.vhost, r.queues, r.messages, r.dead_lettered
                    );
                    0
                }
                Err(e) => output::error(&e, as_json),
            }
        }
        DemoCommand::Clean {
            env,
            vhost,
            password_stdin,
        } => {
            let result = async {
                let (environment, password) =
                    store.with_password(&env, output::password_for_run(password_stdin)?)?;
                demo::clean(&environment, password, &vhost).await
            }
            .await;
            match result {
                Ok(()) => {
                    println!("removed vhost `{vhost}`");
                    0
                }
                Err(e) => output::error(&e, false),
            }
        }
    }
}
