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
            json: as_json,
            password_stdin,
        } => {
            let result = async {
                let (environment, password) =
                    store.with_password(&env, output::password_for_run(password_stdin)?)?;
                demo::seed(&environment, password, &vhost).await
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
