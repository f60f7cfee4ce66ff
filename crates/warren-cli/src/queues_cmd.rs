//! `warren queues`: list and filter the queues of an environment (table, `--json` or `--csv`);
//! `warren queues purge`: empty queues chosen by name or filter, after a dry run or `--yes`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Args, Subcommand};
use warren_core::broker::management::ManagementClient;
use warren_core::queues::columns::{self, Column};
use warren_core::queues::inventory::{
    load_inventory_observed, Inventory, InventoryOptions, LoadEvent,
};
use warren_core::queues::move_messages::move_messages;
use warren_core::queues::purge::purge;
use warren_core::queues::{parse, QueueRow};
use warren_core::EnvironmentStore;

use crate::output::{self, json};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct QueuesArgs {
    #[command(subcommand)]
    action: Option<QueuesAction>,
    #[command(flatten)]
    list: ListArgs,
}

#[derive(Subcommand)]
enum QueuesAction {
    /// Remove every message from the chosen queues (the queues stay). Needs --yes (or --dry-run).
    Purge(PurgeArgs),
    /// Move every message of a queue to another queue (broker-side shovel). Needs --yes.
    Move(MoveArgs),
}

#[derive(Args)]
struct MoveArgs {
    #[arg(long)]
    env: String,
    #[arg(long)]
    vhost: String,
    /// The queue to empty.
    #[arg(long)]
    queue: String,
    /// The destination queue (declared by the shovel if it does not exist).
    #[arg(long)]
    to: String,
    #[arg(long)]
    yes: bool,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["queue", "filter"]))]
struct PurgeArgs {
    #[arg(long)]
    env: String,
    #[arg(long)]
    vhost: String,
    /// One queue, by its exact name.
    #[arg(long)]
    queue: Option<String>,
    /// Every queue of the vhost matching this filter query.
    #[arg(long)]
    filter: Option<String>,
    /// List what would be purged and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Confirm the purge (scripts; there is no prompt).
    #[arg(long)]
    yes: bool,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
struct ListArgs {
    #[arg(long, required = true)]
    env: Option<String>,
    /// Only this vhost (default: the environment's default vhost, else all vhosts).
    #[arg(long)]
    vhost: Option<String>,
    /// Filter query, e.g. 'billing messages>1000 consumers=0' (see README: filter language).
    #[arg(long)]
    filter: Option<String>,
    /// FIELD or FIELD:desc, e.g. messages:desc.
    #[arg(long, default_value = "name")]
    sort: String,
    /// Comma-separated columns for the table and CSV (default: vhost,name,type,messages,ready,unacked,consumers,memory).
    #[arg(long, value_delimiter = ',')]
    columns: Vec<String>,
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    #[arg(long)]
    csv: bool,
    #[arg(long)]
    password_stdin: bool,
}

fn usage(message: String, as_json: bool) -> i32 {
    output::error(&warren_core::Error::InvalidArgument(message), as_json)
}

pub async fn run(store: &EnvironmentStore, args: QueuesArgs) -> i32 {
    match args.action {
        Some(QueuesAction::Purge(p)) => run_purge(store, p).await,
        Some(QueuesAction::Move(m)) => run_move(store, m).await,
        None => run_list(store, args.list).await,
    }
}

/// The environment, its password, and its inventory (one vhost or the default).
pub(crate) async fn inventory_of(
    store: &EnvironmentStore,
    env_id: &str,
    vhost: Option<String>,
    password_stdin: bool,
) -> Result<(warren_core::Environment, secrecy::SecretString, Inventory), warren_core::Error> {
    let (env, password) =
        output::password_for_run(password_stdin).and_then(|p| store.with_password(env_id, p))?;
    let client = ManagementClient::new(&env, password.clone())?;
    let opts = InventoryOptions {
        vhost: vhost.or(env.vhost.clone()),
        ..Default::default()
    };
    // A big broker takes seconds per listing: show the pages on a terminal (never in a pipe).
    let show = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut inventory = load_inventory_observed(&client, &opts, |event| {
        if let (true, LoadEvent::Page { done, pages }) = (show, event) {
            eprint!("\rreading queues: page {done} of {pages}   ");
            if done == pages {
                eprint!("\r{:30}\r", "");
            }
        }
    })
    .await?;
    warren_core::realms::map_inventory(env.realm_template.as_deref(), &mut inventory)
        .map_err(|e| warren_core::Error::InvalidArgument(e.0))?;
    if inventory.partial {
        eprintln!(
            "warning: partial inventory, pages {:?} failed: {}",
            inventory.failed_pages,
            inventory.errors.join("; ")
        );
    }
    Ok((env, password, inventory))
}

async fn run_purge(store: &EnvironmentStore, args: PurgeArgs) -> i32 {
    let as_json = args.json;
    let query = match args.filter.as_deref().map(parse).transpose() {
        Ok(q) => q,
        Err(e) => return usage(format!("--filter {e}"), as_json),
    };
    let (env, password, inventory) = match inventory_of(
        store,
        &args.env,
        Some(args.vhost.clone()),
        args.password_stdin,
    )
    .await
    {
        Ok(v) => v,
        Err(e) => return output::error(&e, as_json),
    };
    let targets: Vec<QueueRow> = match (&args.queue, &query) {
        (Some(name), _) => {
            let found: Vec<QueueRow> = inventory
                .rows
                .into_iter()
                .filter(|r| &r.name == name)
                .collect();
            if found.is_empty() {
                return usage(
                    format!("no queue named `{name}` in vhost `{}`", args.vhost),
                    as_json,
                );
            }
            found
        }
        (None, Some(q)) => inventory
            .rows
            .into_iter()
            .filter(|r| q.matches(r, now()))
            .collect(),
        (None, None) => unreachable!("clap requires --queue or --filter"),
    };
    confirm_and_purge(&env, &password, &targets, args.dry_run, args.yes, as_json).await
}

/// Purge `targets` once confirmed (`--yes`) or list them (`--dry-run`); the report's shape is
/// the same for every purge command. The core refuses on a read-only environment.
pub(crate) async fn confirm_and_purge(
    env: &warren_core::Environment,
    password: &secrecy::SecretString,
    targets: &[QueueRow],
    dry_run: bool,
    yes: bool,
    as_json: bool,
) -> i32 {
    if !dry_run && !yes {
        let messages: u64 = targets.iter().map(|r| r.messages).sum();
        return usage(
            format!(
                "purging {} queue(s) with about {messages} message(s) in `{}` ({:?}) needs --yes; --dry-run lists them",
                targets.len(),
                env.id,
                env.tier
            ),
            as_json,
        );
    }
    match purge(env, password, targets, dry_run).await {
        Ok(report) => {
            if as_json {
                json(&report);
            } else {
                let verb = if report.dry_run {
                    "would purge"
                } else {
                    "purged"
                };
                for p in &report.purged {
                    println!("{verb}  {}/{}  {} message(s)", p.vhost, p.name, p.messages);
                }
                for f in &report.failed {
                    println!("FAILED  {}/{}: {}", f.vhost, f.name, f.error);
                }
            }
            if report.failed.is_empty() {
                0
            } else {
                1
            }
        }
        Err(e) => output::error(&e, as_json),
    }
}

async fn run_move(store: &EnvironmentStore, args: MoveArgs) -> i32 {
    let as_json = args.json;
    let (env, password) = match output::password_for_run(args.password_stdin)
        .and_then(|p| store.with_password(&args.env, p))
    {
        Ok(v) => v,
        Err(e) => return output::error(&e, as_json),
    };
    if !args.yes {
        return usage(
            format!(
                "moving every message of `{}` to `{}` in `{}` ({:?}) needs --yes",
                args.queue, args.to, env.id, env.tier
            ),
            as_json,
        );
    }
    let progress = |p: warren_core::progress::Progress| {
        if !as_json {
            eprint!("\rmoved {} of {} ({:.0} msg/s)   ", p.done, p.total, p.rate);
        }
    };
    // Ctrl-C stops the broker's shovel instead of leaving it running without anyone watching.
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::SeqCst);
        }
    });
    let cancelled = || interrupted.load(Ordering::SeqCst);
    let result = move_messages(
        &env,
        &password,
        &args.vhost,
        &args.queue,
        &args.to,
        progress,
        cancelled,
    )
    .await;
    if !as_json {
        eprintln!();
    }
    match result {
        Ok(report) if as_json => {
            json(&report);
            0
        }
        Ok(report) if report.cancelled => {
            println!(
                "interrupted: moved {} message(s) from `{}` to `{}`, the rest stays in `{}` (the shovel is removed)",
                report.moved, report.from, report.to, report.from
            );
            130
        }
        Ok(report) => {
            println!(
                "moved {} message(s) from `{}` to `{}` in {:.1} s",
                report.moved, report.from, report.to, report.seconds
            );
            0
        }
        Err(e) => output::error(&e, as_json),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn run_list(store: &EnvironmentStore, args: ListArgs) -> i32 {
    let as_json = args.json;
    let query = match parse(args.filter.as_deref().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => return usage(format!("--filter {e}"), as_json),
    };
    let (sort_col, desc) = match columns::parse_sort(&args.sort) {
        Ok(s) => s,
        Err(e) => return usage(format!("--sort: {e}"), as_json),
    };
    let cols: Vec<Column> = if args.columns.is_empty() {
        columns::DEFAULT.to_vec()
    } else {
        match args
            .columns
            .iter()
            .map(|c| c.parse())
            .collect::<Result<_, String>>()
        {
            Ok(c) => c,
            Err(e) => return usage(format!("--columns: {e}"), as_json),
        }
    };
    let env_id = args.env.unwrap_or_default();
    let (env, _, inventory) =
        match inventory_of(store, &env_id, args.vhost, args.password_stdin).await {
            Ok(v) => v,
            Err(e) => return output::error(&e, as_json),
        };
    if query.uses_realms() && inventory.realm_template.is_none() {
        eprintln!("note: realm:/worker: match only queues mapped by a realm template; environment `{}` has none, and none could be suggested from its queue names", env.id);
    }
    let partial = inventory.partial;
    let mut rows: Vec<QueueRow> = inventory
        .rows
        .into_iter()
        .filter(|r| query.matches(r, now()))
        .collect();
    columns::sort_rows(&mut rows, sort_col, desc);
    if as_json {
        json(&rows);
    } else if args.csv {
        println!(
            "{}",
            cols.iter()
                .map(|c| c.header())
                .collect::<Vec<_>>()
                .join(",")
        );
        for r in &rows {
            println!(
                "{}",
                cols.iter()
                    .map(|c| csv_field(&c.text(r)))
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
    } else {
        print_table(&rows, &cols);
        eprintln!("{} of {} queues", rows.len(), inventory.total);
    }
    if partial {
        1
    } else {
        0
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn print_table(rows: &[QueueRow], cols: &[Column]) {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| cols.iter().map(|c| c.text(r)).collect())
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
                .max(c.header().len())
        })
        .collect();
    let line = |values: Vec<String>| {
        values
            .iter()
            .zip(cols)
            .zip(&widths)
            .map(|((v, c), w)| {
                if c.numeric() {
                    format!("{v:>w$}")
                } else {
                    format!("{v:<w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!(
        "{}",
        line(cols.iter().map(|c| c.header().to_uppercase()).collect())
    );
    for row in cells {
        println!("{}", line(row));
    }
}
