//! `warren`: the command line front end over warren-core, sharing the app's config and keyring.
//! Every command that reads or changes a broker takes `--env ID`; `--json` prints stable,
//! machine-readable output for scripts. Exit status: 0 ok, 1 failed, 2 bad usage, 130
//! interrupted (see `output`).

mod alerts_cmd;
mod audit_cmd;
mod demo_cmd;
mod diff_cmd;
mod dlq_cmd;
mod dlq_edit_cmd;
mod env_cmd;
mod fleet_cmd;
mod history_cmd;
mod output;
mod peek_cmd;
mod publish_cmd;
mod queues_cmd;
mod realms_cmd;
mod watch_cmd;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

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
    /// Sample an environment into its local history every --interval, without the window.
    Watch(watch_cmd::WatchArgs),
    /// A realm's, worker's, queue's or the total's series from the local history; `growers`:
    /// the biggest growers and since when; `info`: the store's span and size.
    History(history_cmd::HistoryArgs),
    /// Read the messages of any queue without removing them: a classic or quorum queue from
    /// its head (the cost is said), a stream from an offset (free).
    Peek(peek_cmd::PeekArgs),
    /// Publish one message to an exchange, confirmed and mandatory (an unroutable message is an
    /// error); refused on read-only environments, audited without the body.
    Publish(publish_cmd::PublishArgs),
    /// Every environment at a glance: reachable, version, nodes, alarms, totals, dead letters,
    /// stalled queues, the heaviest realm and RabbitMQ's health checks, probed concurrently.
    /// Exit status 1 when any environment is unreachable or unhealthy.
    Fleet(fleet_cmd::FleetArgs),
    /// The drift between two environments (or two vhosts): queues, exchanges, bindings,
    /// policies and limits only one side has, and each setting that differs, per realm.
    /// Read-only. Exit status 1 when they differ.
    Diff(diff_cmd::DiffArgs),
    /// The alerts the environments' rules opened (`warren env edit ID --alert …`; evaluated on
    /// every sample by `warren watch` and the window), open ones first.
    Alerts(alerts_cmd::AlertsArgs),
}

impl Command {
    async fn run(self, store: &warren_core::EnvironmentStore) -> output::Exit {
        match self {
            Command::Env(cmd) => env_cmd::run(store, cmd).await,
            Command::Demo(cmd) => demo_cmd::run(store, cmd).await,
            Command::Dlq(cmd) => dlq_cmd::run(store, cmd).await,
            Command::Audit(cmd) => audit_cmd::run(cmd),
            Command::Queues(args) => queues_cmd::run(store, args).await,
            Command::Realms(args) => realms_cmd::run(store, args).await,
            Command::Watch(args) => watch_cmd::run(store, args).await,
            Command::History(args) => history_cmd::run(store, args).await,
            Command::Peek(args) => peek_cmd::run(store, args).await,
            Command::Publish(args) => publish_cmd::run(store, args).await,
            Command::Fleet(args) => fleet_cmd::run(store, args).await,
            Command::Diff(args) => diff_cmd::run(store, args).await,
            Command::Alerts(args) => alerts_cmd::run(store, args).await,
        }
    }
}

fn main() {
    let matches = Cli::command()
        .try_get_matches()
        .unwrap_or_else(|e| output::usage_error(e, json_despite()));
    // Scripts that asked for JSON get every failure as JSON.
    let as_json = output::asked_for_json(&matches);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| output::usage_error(e, as_json));
    let log = warren_core::logging::init("warren-cli");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let store = warren_core::EnvironmentStore::open_default();
    // The first run of any front end creates the `local` environment.
    let code = match store.ensure_first_start() {
        Ok(first) => {
            if let Some(w) = first.warning {
                eprintln!("warning: created the `local` environment without its password: {w}");
            }
            runtime.block_on(cli.command.run(&store))
        }
        Err(e) => Err(e.into()),
    };
    let code = code.unwrap_or_else(|failure| failure.report(as_json));
    // `exit` skips destructors: flush the log first.
    drop(log);
    std::process::exit(code);
}

/// Whether a command line clap refused asked for `--json`, so that its usage error prints as
/// JSON too.
///
/// This scans the raw arguments because clap cannot say: its lenient parse
/// (`Command::ignore_errors`) stops at the first unknown argument or refused value, so it misses
/// `--json` in `queues --bogus --json`, `audit list --since garbage --json` or
/// `env frobnicate --json`, and `--json` given to a command that does not take it
/// (`demo clean --json`) or before the subcommand is no flag clap knows there. A command line
/// clap accepted is read from its `ArgMatches` instead (`output::asked_for_json`).
fn json_despite() -> bool {
    std::env::args_os().any(|a| a == "--json")
}
