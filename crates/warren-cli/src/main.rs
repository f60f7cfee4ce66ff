//! `warren`: the command line front end over warren-core, sharing the app's config and keyring.
//! Every command that reads or changes a broker takes `--env ID`; `--json` prints stable,
//! machine-readable output for scripts. Exit status: 0 ok, 1 failed, 2 bad usage.

mod audit_cmd;
mod demo_cmd;
mod dlq_cmd;
mod env_cmd;
mod output;
mod queues_cmd;
mod realms_cmd;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "warren",
    version,
    about = "Warren: a console for RabbitMQ fleets",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage environments (brokers or clusters) and their keyring-held passwords.
    #[command(subcommand)]
    Env(env_cmd::EnvCommand),
    /// List and filter the queues of an environment.
    Queues(queues_cmd::QueuesArgs),
    /// Sum the queues per realm, worker or (worker, realm) cell: who weighs the most.
    Realms(realms_cmd::RealmsArgs),
    /// Dead-letter queues: find them, read them in place, replay or discard their messages.
    #[command(subcommand)]
    Dlq(dlq_cmd::DlqCommand),
    /// The local audit log of every change Warren made: list, verify the hash chain, export.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
    /// Build or remove a realistic demo topology in a vhost of its own.
    #[command(subcommand)]
    Demo(demo_cmd::DemoCommand),
}

fn main() {
    // Scripts that asked for JSON get every failure as JSON, argument errors included.
    let wants_json = std::env::args_os().any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => output::usage_error(e, wants_json),
    };
    let log = warren_core::logging::init("warren-cli");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let store = warren_core::EnvironmentStore::open_default();
    // The first run of any front end creates the `local` environment.
    match store.ensure_first_start() {
        Ok(first) => {
            if let Some(w) = first.warning {
                eprintln!("warning: created the `local` environment without its password: {w}");
            }
        }
        Err(e) => output::fail(&e, wants_json),
    }
    let code = runtime.block_on(async {
        match cli.command {
            Command::Env(cmd) => env_cmd::run(&store, cmd).await,
            Command::Demo(cmd) => demo_cmd::run(&store, cmd).await,
            Command::Dlq(cmd) => dlq_cmd::run(&store, cmd).await,
            Command::Audit(cmd) => audit_cmd::run(cmd),
            Command::Queues(args) => queues_cmd::run(&store, args).await,
            Command::Realms(args) => realms_cmd::run(&store, args).await,
        }
    });
    // `exit` skips destructors: flush the log first.
    drop(log);
    std::process::exit(code);
}
