//! `warren queues`: list and filter the queues of an environment (table, `--json` or `--csv`);
//! `warren queues purge|move`: empty queues chosen by name or filter, or move one's messages.

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

use crate::output::{
    self, Bar, Confirm, Exit, Failure, Output, PlanOrConfirm, QueueTarget, Refused, Target,
    VhostTarget,
};

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
    /// Move every message of --queue to the queue --to (broker-side shovel; it declares --to if
    /// it does not exist). Needs --yes.
    Move(MoveArgs),
}

#[derive(Args)]
struct MoveArgs {
    #[command(flatten)]
    from: QueueTarget,
    #[arg(long)]
    to: String,
    #[command(flatten)]
    confirm: Confirm,
    #[command(flatten)]
    out: Output,
}

#[derive(Args)]
#[command(group = clap::ArgGroup::new("target").required(true).args(["queue", "filter"]))]
struct PurgeArgs {
    #[command(flatten)]
    target: Target,
    #[arg(long)]
    vhost: String,
    /// One queue, by its exact name.
    #[arg(long)]
    queue: Option<String>,
    /// Every queue of the vhost matching this filter query.
    #[arg(long)]
    filter: Option<String>,
    #[command(flatten)]
    change: PlanOrConfirm,
    #[command(flatten)]
    out: Output,
}

#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    at: VhostTarget,
    /// Filter query, e.g. 'billing messages>1000 consumers=0' (see README: filter language).
    #[arg(long)]
    filter: Option<String>,
    /// FIELD or FIELD:desc, e.g. messages:desc.
    #[arg(long, default_value = "name")]
    sort: String,
    /// Comma-separated columns for the table and CSV (default: vhost,name,type,messages,ready,unacked,consumers,memory).
    #[arg(long, value_delimiter = ',')]
    columns: Vec<String>,
    #[command(flatten)]
    out: Output,
    #[arg(long, conflicts_with = "json")]
    csv: bool,
}

pub async fn run(store: &EnvironmentStore, args: QueuesArgs) -> Exit {
    match args.action {
        Some(QueuesAction::Purge(p)) => run_purge(store, p).await,
        Some(QueuesAction::Move(m)) => run_move(store, m).await,
        None => run_list(store, args.list).await,
    }
}

/// The environment, its password, and its inventory (one vhost or the environment's default)
/// mapped to realms.
pub(crate) async fn inventory_of(
    store: &EnvironmentStore,
    out: Output,
    target: &Target,
    vhost: Option<String>,
) -> Result<(warren_core::Environment, secrecy::SecretString, Inventory), Failure> {
    let (env, password) = target.open(store)?;
    let client = ManagementClient::new(&env, password.clone())?;
    let opts = InventoryOptions {
        // A terminal shows no first rows: no page read for them.
        early_first_page: false,
        ..InventoryOptions::for_environment(&env, vhost.or(env.vhost.clone()))
    };
    // A big broker takes seconds per listing: show the pages.
    let bar = Bar::new(out, "reading queues (pages)");
    let mut inventory = load_inventory_observed(&client, &opts, |event| {
        if let LoadEvent::Page { done, pages } = event {
            bar.set(done.into(), pages.into(), None);
        }
    })
    .await?;
    drop(bar);
    inventory.map_env_realms(&env)?;
    if inventory.partial {
        eprintln!(
            "warning: partial inventory, pages {:?} failed: {}",
            inventory.failed_pages,
            inventory.errors.join("; ")
        );
    }
    Ok((env, password, inventory))
}

/// The inventory around one queue: the queues of its vhost (which exist, and their realms).
pub(crate) async fn inventory_for(
    store: &EnvironmentStore,
    out: Output,
    queue: &QueueTarget,
) -> Result<(warren_core::Environment, secrecy::SecretString, Inventory), Failure> {
    inventory_of(store, out, &queue.target, Some(queue.vhost.clone())).await
}

async fn run_purge(store: &EnvironmentStore, args: PurgeArgs) -> Exit {
    let query = args
        .filter
        .as_deref()
        .map(parse)
        .transpose()
        .refused("--filter ")?;
    let (env, password, inventory) =
        inventory_of(store, args.out, &args.target, Some(args.vhost.clone())).await?;
    let targets: Vec<QueueRow> = match (&args.queue, &query) {
        (Some(name), _) => {
            let found: Vec<QueueRow> = inventory
                .rows
                .into_iter()
                .filter(|r| &r.name == name)
                .collect();
            if found.is_empty() {
                return Err(output::failed(format!(
                    "no queue named `{name}` in vhost `{}`",
                    args.vhost
                )));
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
    confirm_and_purge(&env, &password, &targets, args.change, args.out).await
}

/// Purge `targets` once confirmed (`--yes`) or list them (`--dry-run`); the report's shape is
/// the same for every purge command. The core refuses on a read-only environment.
pub(crate) async fn confirm_and_purge(
    env: &warren_core::Environment,
    password: &secrecy::SecretString,
    targets: &[QueueRow],
    change: PlanOrConfirm,
    out: Output,
) -> Exit {
    if !change.dry_run {
        let what = || {
            let messages: u64 = targets.iter().map(|r| r.messages).sum();
            format!(
                "purging {} queue(s) with about {messages} message(s)",
                targets.len()
            )
        };
        change
            .confirm
            .required_in(env, what, "; --dry-run lists them")?;
    }
    let report = purge(env, password, targets, change.dry_run).await?;
    out.show(&report, |report| {
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
    });
    Ok(i32::from(!report.failed.is_empty()) * output::FAILED)
}

async fn run_move(store: &EnvironmentStore, args: MoveArgs) -> Exit {
    let (env, password) = args.from.target.open(store)?;
    let QueueTarget { vhost, queue, .. } = &args.from;
    let what = || format!("moving every message of `{queue}` to `{}`", args.to);
    args.confirm.required_in(&env, what, "")?;
    let bar = Bar::new(args.out, "moving");
    // Ctrl-C stops the broker's shovel instead of leaving it running without anyone watching.
    let report = move_messages(
        &env,
        &password,
        vhost,
        queue,
        &args.to,
        |p| bar.progress(p),
        output::interrupt_flag(),
    )
    .await?;
    drop(bar);
    args.out.show(&report, |report| {
        if report.cancelled {
            println!(
                "interrupted: moved {} message(s) from `{}` to `{}`, the rest stays in `{}` (the shovel is removed)",
                report.moved, report.from, report.to, report.from
            );
        } else {
            println!(
                "moved {} message(s) from `{}` to `{}` in {:.1} s",
                report.moved, report.from, report.to, report.seconds
            );
        }
    });
    Ok(output::run_status(report.cancelled, false))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn run_list(store: &EnvironmentStore, args: ListArgs) -> Exit {
    let query = parse(args.filter.as_deref().unwrap_or("")).refused("--filter ")?;
    let (sort_col, desc) = columns::parse_sort(&args.sort).refused("--sort: ")?;
    let cols: Vec<Column> = if args.columns.is_empty() {
        columns::DEFAULT.to_vec()
    } else {
        args.columns
            .iter()
            .map(|c| c.parse())
            .collect::<Result<_, String>>()
            .refused("--columns: ")?
    };
    let (env, _, inventory) = inventory_of(store, args.out, &args.at.target, args.at.vhost).await?;
    if query.uses_realms() && inventory.realm_template.is_none() {
        eprintln!("note: realm:/worker: match only queues mapped by a realm template; environment `{}` has none, and none could be suggested from its queue names", env.id);
    }
    let mut rows: Vec<QueueRow> = inventory
        .rows
        .into_iter()
        .filter(|r| query.matches(r, now()))
        .collect();
    columns::sort_rows(&mut rows, sort_col, desc);
    let cells = |r: &QueueRow, quote: fn(String) -> String| -> Vec<String> {
        cols.iter().map(|c| quote(c.text(r))).collect()
    };
    if args.csv {
        let header: Vec<String> = cols.iter().map(|c| c.header().to_string()).collect();
        println!("{}", header.join(","));
        for r in &rows {
            println!("{}", cells(r, csv_field).join(","));
        }
    } else {
        args.out.show(&rows, |rows| {
            let headers: Vec<String> = cols
                .iter()
                .map(|c| {
                    let align = if c.numeric() { ">" } else { "" };
                    format!("{align}{}", c.header().to_uppercase())
                })
                .collect();
            output::print_table(&headers, rows.iter().map(|r| cells(r, |s| s)));
            eprintln!("{} of {} queues", rows.len(), inventory.total);
        });
    }
    Ok(i32::from(inventory.partial) * output::FAILED)
}

fn csv_field(s: String) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}
