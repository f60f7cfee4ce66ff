//! `warren dlq list|show|replay|discard`: find dead-letter queues, read their messages in place
//! with `x-death` decoded and grouped, and send them back where they died (or elsewhere) with
//! the core's replay engine: confirms before acks, nothing lost, a report at the end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Args, Subcommand};
use warren_core::deadletters::browse::{DEFAULT_LIMIT, MAX_LIMIT};
use warren_core::deadletters::filter::DeadLetterFilter;
use warren_core::deadletters::replay::{ReplayOptions, Scope, Target, DEFAULT_MAX_REPLAYS};
use warren_core::deadletters::{self, Wiring};
use warren_core::realms::RealmTemplate;
use warren_core::EnvironmentStore;

use crate::output::{self, json};
use crate::queues_cmd::inventory_of;

#[derive(Subcommand)]
pub enum DlqCommand {
    /// The dead-letter queues: wired (some queue's dead-letter exchange routes to them) or named
    /// like one; with their depth and the queues that feed them.
    List(ListArgs),
    /// Read the first messages of a DLQ without removing them: x-death decoded, grouped by
    /// origin queue and reason, and by realm.
    Show(ShowArgs),
    /// Send dead letters back where they died (or to a queue or exchange); --dry-run plans it.
    Replay(ReplayArgs),
    /// Remove dead letters for good (those the filter selects); --dry-run counts them.
    Discard(DiscardArgs),
    /// Write a DLQ's messages (read in place) to a JSON Lines file: properties, typed
    /// headers, base64 body.
    Export(ExportArgs),
    /// Publish the messages of such a JSON Lines file into a queue (with confirms).
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ExportArgs {
    #[arg(long)]
    env: String,
    #[arg(long)]
    vhost: String,
    #[arg(long)]
    queue: String,
    /// Only these messages (as for replay).
    #[arg(long, default_value = "")]
    filter: String,
    /// Read at most this many messages from the head (at most 65535).
    #[arg(long, default_value_t = MAX_LIMIT)]
    limit: u32,
    /// The file to write (created with owner-only permissions).
    #[arg(long)]
    out: std::path::PathBuf,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct ImportArgs {
    #[arg(long)]
    env: String,
    #[arg(long)]
    vhost: String,
    /// The queue to publish into (through the default exchange).
    #[arg(long)]
    queue: String,
    #[arg(long)]
    file: std::path::PathBuf,
    #[arg(long)]
    yes: bool,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct ListArgs {
    #[arg(long)]
    env: String,
    /// Only this vhost (default: the environment's, else all).
    #[arg(long)]
    vhost: Option<String>,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct ShowArgs {
    #[arg(long)]
    env: String,
    #[arg(long)]
    vhost: String,
    #[arg(long)]
    queue: String,
    /// How many messages to read from the head (at most 65535).
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    limit: u32,
    /// Read a quorum queue even when its head message is one read from its delivery limit
    /// (that read makes the broker drop or dead-letter it).
    #[arg(long)]
    insist: bool,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct ReplayArgs {
    #[arg(long)]
    env: String,
    #[arg(long)]
    vhost: String,
    #[arg(long)]
    queue: String,
    /// origin (the queue each message died in), original-exchange (its exchange and routing
    /// keys: every bound queue gets a copy), queue:NAME, or exchange:NAME[:KEY].
    #[arg(long, default_value = "origin")]
    to: String,
    /// Only these messages, e.g. 'reason:rejected origin:billing.acme' (fields: reason, origin,
    /// realm, worker, exchange; `*` wildcards). The others stay in the DLQ.
    #[arg(long, default_value = "")]
    filter: String,
    /// Keep messages Warren already replayed this many times (a loop guard).
    #[arg(long, default_value_t = DEFAULT_MAX_REPLAYS)]
    max_replays: u32,
    /// Plan only: where the messages would go, which destinations are missing.
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    yes: bool,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
pub struct DiscardArgs {
    #[arg(long)]
    env: String,
    #[arg(long)]
    vhost: String,
    #[arg(long)]
    queue: String,
    /// Only these messages (as for replay). Without it, every message of the queue.
    #[arg(long, default_value = "")]
    filter: String,
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    yes: bool,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    password_stdin: bool,
}

fn usage(message: String, as_json: bool) -> i32 {
    output::error(&warren_core::Error::InvalidArgument(message), as_json)
}

pub async fn run(store: &EnvironmentStore, cmd: DlqCommand) -> i32 {
    match cmd {
        DlqCommand::List(a) => run_list(store, a).await,
        DlqCommand::Show(a) => run_show(store, a).await,
        DlqCommand::Replay(a) => run_replay(store, a).await,
        DlqCommand::Discard(a) => run_discard(store, a).await,
        DlqCommand::Export(a) => run_export(store, a).await,
        DlqCommand::Import(a) => run_import(store, a).await,
    }
}

async fn run_list(store: &EnvironmentStore, args: ListArgs) -> i32 {
    let as_json = args.json;
    let result = async {
        let (env, password, inventory) =
            inventory_of(store, &args.env, args.vhost, args.password_stdin).await?;
        deadletters::discover(&env, password, &inventory.rows).await
    }
    .await;
    let topology = match result {
        Ok(t) => t,
        Err(e) => return output::error(&e, as_json),
    };
    for u in &topology.unrouted {
        eprintln!(
            "warning: dead letters of {}/{} are dropped: {}",
            u.vhost, u.queue, u.problem
        );
    }
    if as_json {
        json(&topology.queues);
        return 0;
    }
    if topology.queues.is_empty() {
        println!("no dead-letter queues");
    }
    println!(
        "{:<16} {:<32} {:>9}  {:<9} FED BY",
        "VHOST", "QUEUE", "MESSAGES", "FOUND"
    );
    for q in &topology.queues {
        let fed = match q.feeders.len() {
            0 => String::from("-"),
            1..=3 => q.feeders.join(", "),
            n => format!("{}, … ({n} queues)", q.feeders[..2].join(", ")),
        };
        println!(
            "{:<16} {:<32} {:>9}  {:<9} {fed}",
            q.vhost,
            q.name,
            q.messages,
            if q.wiring == Wiring::Wired {
                "wired"
            } else {
                "by name"
            }
        );
    }
    0
}

/// The environment's template (for realm grouping and `realm:` filters), if it has one.
fn template_of(inventory: &warren_core::queues::Inventory) -> Option<RealmTemplate> {
    inventory
        .realm_template
        .as_deref()
        .and_then(|t| RealmTemplate::parse(t).ok())
}

async fn run_show(store: &EnvironmentStore, args: ShowArgs) -> i32 {
    let as_json = args.json;
    if args.limit == 0 || args.limit > MAX_LIMIT {
        return usage(
            format!("--limit must be 1..={MAX_LIMIT}: a read holds every message it reads unacknowledged"),
            as_json,
        );
    }
    let result = async {
        let (env, password, inventory) = inventory_of(
            store,
            &args.env,
            Some(args.vhost.clone()),
            args.password_stdin,
        )
        .await?;
        // The core asks the broker for the queue's type and delivery limit.
        let opts = deadletters::browse::BrowseOptions {
            limit: args.limit,
            insist: args.insist,
        };
        deadletters::browse::browse_queue(
            &env,
            &password,
            &args.vhost,
            &args.queue,
            template_of(&inventory).as_ref(),
            &opts,
        )
        .await
    }
    .await;
    let b = match result {
        Ok(b) => b,
        Err(e) => return output::error(&e, as_json),
    };
    if as_json {
        json(&b);
        return 0;
    }
    println!(
        "{}/{}: read {} of {} message(s){}",
        b.vhost,
        b.queue,
        b.read,
        b.depth,
        if b.complete {
            ""
        } else {
            " (the groups cover those read)"
        }
    );
    eprintln!("{}", b.cost);
    println!("\n{:>6}  {:<40} {:<10} REALM", "COUNT", "ORIGIN", "REASON");
    for g in &b.groups {
        println!(
            "{:>6}  {:<40} {:<10} {}",
            g.count,
            g.origin,
            g.reason,
            g.realm.as_deref().unwrap_or("-")
        );
    }
    println!(
        "\n{:>5}  {:<24} {:<32} {:<10} {:>5} {:>9} {:>10}",
        "#", "MESSAGE ID", "ORIGIN", "REASON", "DEATHS", "BYTES", "READS LEFT"
    );
    for m in &b.messages {
        println!(
            "{:>5}  {:<24} {:<32} {:<10} {:>5} {:>9} {:>10}",
            m.position,
            m.properties
                .get("message_id")
                .and_then(|v| v.as_str())
                .unwrap_or("-"),
            m.origin.as_deref().unwrap_or("-"),
            m.reason.as_deref().unwrap_or("-"),
            m.deaths.iter().map(|d| d.count).sum::<u64>(),
            m.body.size,
            m.reads_left.map_or("-".to_string(), |n| n.to_string())
        );
    }
    0
}

/// The environment, its password, the vhost's inventory (which queues exist) and the run's
/// options, built with the environment's realm template.
async fn prepare(
    store: &EnvironmentStore,
    env_id: &str,
    vhost: &str,
    password_stdin: bool,
    options: impl FnOnce(Option<RealmTemplate>) -> ReplayOptions,
) -> Result<
    (
        warren_core::Environment,
        secrecy::SecretString,
        warren_core::queues::Inventory,
        ReplayOptions,
    ),
    warren_core::Error,
> {
    let (env, password, inventory) =
        inventory_of(store, env_id, Some(vhost.to_string()), password_stdin).await?;
    let options = options(template_of(&inventory));
    Ok((env, password, inventory, options))
}

/// Ctrl-C asks the run to stop; it settles what is in flight and reports.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            f.store(true, Ordering::SeqCst);
        }
    });
    flag
}

async fn run_replay(store: &EnvironmentStore, args: ReplayArgs) -> i32 {
    let as_json = args.json;
    let target: Target = match args.to.parse() {
        Ok(t) => t,
        Err(e) => return usage(format!("--to: {e}"), as_json),
    };
    let filter = match DeadLetterFilter::parse(&args.filter) {
        Ok(f) => f,
        Err(e) => return usage(format!("--filter: {e}"), as_json),
    };
    let prepared = prepare(
        store,
        &args.env,
        &args.vhost,
        args.password_stdin,
        |template| ReplayOptions {
            target,
            scope: Scope {
                filter,
                keys: None,
                template,
            },
            max_replays: args.max_replays,
            ..Default::default()
        },
    )
    .await;
    let (env, password, inventory, options) = match prepared {
        Ok(v) => v,
        Err(e) => return output::error(&e, as_json),
    };
    if args.dry_run {
        return match deadletters::plan(
            &env,
            &password,
            &args.vhost,
            &args.queue,
            &options,
            &inventory.rows,
            MAX_LIMIT,
        )
        .await
        {
            Ok(p) if as_json => {
                json(&serde_json::json!({ "dry_run": true, "plan": p }));
                0
            }
            Ok(p) => {
                println!(
                    "would replay {} of {} message(s) of {}/{} ({} stay: out of scope {}, loop guard {}, no origin {}){}",
                    p.in_scope - p.loop_guarded - p.no_origin,
                    p.depth,
                    p.vhost,
                    p.queue,
                    p.out_of_scope + p.loop_guarded + p.no_origin,
                    p.out_of_scope,
                    p.loop_guarded,
                    p.no_origin,
                    if p.complete { "" } else { " — planned on the first 65535" }
                );
                for d in &p.destinations {
                    println!(
                        "  {:>7}  -> {}{}",
                        d.messages,
                        d.destination,
                        if d.exists {
                            ""
                        } else {
                            "  (does not exist: stays, unroutable)"
                        }
                    );
                }
                for w in &p.warnings {
                    println!("warning: {w}");
                }
                0
            }
            Err(e) => output::error(&e, as_json),
        };
    }
    if !args.yes {
        return usage(
            format!(
                "replaying the dead letters of `{}` in `{}` ({:?}) needs --yes; --dry-run shows where they go",
                args.queue, env.id, env.tier
            ),
            as_json,
        );
    }
    let flag = interrupt_flag();
    let result = deadletters::replay(
        &env,
        &password,
        &args.vhost,
        &args.queue,
        &options,
        |p| {
            if !as_json {
                let pct = if p.total > 0 {
                    p.done * 100 / p.total
                } else {
                    100
                };
                let bar = "█".repeat((pct / 5) as usize);
                let eta = if p.rate > 0.0 {
                    format!(
                        "{:.0} s left",
                        (p.total.saturating_sub(p.done)) as f64 / p.rate
                    )
                } else {
                    String::new()
                };
                eprint!(
                    "\r[{bar:<20}] {pct:>3} %  {} of {}  {:.0} msg/s  {eta}   ",
                    p.done, p.total, p.rate
                );
            }
        },
        || flag.load(Ordering::SeqCst),
    )
    .await;
    if !as_json {
        eprintln!();
    }
    match result {
        Ok(r) => {
            if as_json {
                json(&r);
            } else {
                println!(
                    "replayed {} message(s) in {:.1} s; kept {} in {} (unroutable {}, nacked {}, out of scope {}, loop guard {})",
                    r.replayed, r.seconds, r.kept, r.queue, r.unroutable, r.nacked, r.out_of_scope, r.loop_guarded
                );
                for d in &r.destinations {
                    println!("  {:>7}  -> {}", d.messages, d.destination);
                }
                if r.name_too_long > 0 {
                    println!(
                        "  {} kept: their destination's name is longer than AMQP's 255 bytes",
                        r.name_too_long
                    );
                }
                if r.deduplicated > 0 {
                    println!(
                        "  {} acked without a second copy: the earlier run {} that stopped early had already delivered them",
                        r.deduplicated,
                        r.resumed_from.as_deref().unwrap_or("")
                    );
                }
                if let Some(why) = &r.stopped {
                    println!("stopped: {why}");
                    println!(
                        "at most {} message(s) may now be both in {} and at their destination",
                        r.possible_duplicates, r.queue
                    );
                }
                if r.cancelled {
                    println!("interrupted: the rest stays in {}", r.queue);
                }
            }
            if r.cancelled {
                130
            } else if r.stopped.is_some() {
                1
            } else {
                0
            }
        }
        Err(e) => output::error(&e, as_json),
    }
}

async fn run_discard(store: &EnvironmentStore, args: DiscardArgs) -> i32 {
    let as_json = args.json;
    let filter = match DeadLetterFilter::parse(&args.filter) {
        Ok(f) => f,
        Err(e) => return usage(format!("--filter: {e}"), as_json),
    };
    let prepared = prepare(
        store,
        &args.env,
        &args.vhost,
        args.password_stdin,
        |template| ReplayOptions {
            // Discarded messages go nowhere; a target is needed only for the plan's shape.
            target: Target::Origin,
            scope: Scope {
                filter,
                keys: None,
                template,
            },
            discard: true,
            // Discarding ignores the loop guard.
            max_replays: u32::MAX,
            ..Default::default()
        },
    )
    .await;
    let (env, password, inventory, options) = match prepared {
        Ok(v) => v,
        Err(e) => return output::error(&e, as_json),
    };
    if args.dry_run || !args.yes {
        let plan = deadletters::plan(
            &env,
            &password,
            &args.vhost,
            &args.queue,
            &options,
            &inventory.rows,
            MAX_LIMIT,
        )
        .await;
        return match plan {
            Ok(p) if !args.dry_run => usage(
                format!(
                    "discarding {} dead letter(s) of `{}` in `{}` ({:?}) removes them for good and needs --yes",
                    p.in_scope, args.queue, env.id, env.tier
                ),
                as_json,
            ),
            Ok(p) if as_json => {
                json(&serde_json::json!({ "dry_run": true, "discard": p.in_scope, "keep": p.out_of_scope }));
                0
            }
            Ok(p) => {
                println!("would discard {} and keep {} of {} message(s)", p.in_scope, p.out_of_scope, p.depth);
                0
            }
            Err(e) => output::error(&e, as_json),
        };
    }
    let flag = interrupt_flag();
    match deadletters::replay(
        &env,
        &password,
        &args.vhost,
        &args.queue,
        &options,
        |_| {},
        || flag.load(Ordering::SeqCst),
    )
    .await
    {
        Ok(r) if as_json => {
            json(&r);
            i32::from(r.stopped.is_some())
        }
        Ok(r) => {
            println!(
                "discarded {} message(s); kept {} in {}",
                r.discarded, r.kept, r.queue
            );
            if let Some(why) = &r.stopped {
                println!("stopped: {why}");
            }
            i32::from(r.stopped.is_some())
        }
        Err(e) => output::error(&e, as_json),
    }
}

async fn run_export(store: &EnvironmentStore, args: ExportArgs) -> i32 {
    use warren_core::deadletters::jsonl;
    let as_json = args.json;
    let filter = match DeadLetterFilter::parse(&args.filter) {
        Ok(f) => f,
        Err(e) => return usage(format!("--filter: {e}"), as_json),
    };
    if args.limit == 0 || args.limit > MAX_LIMIT {
        return usage(format!("--limit must be 1..={MAX_LIMIT}"), as_json);
    }
    let result = async {
        let (env, password) =
            store.with_password(&args.env, output::password_for_run(args.password_stdin)?)?;
        jsonl::export(
            &env,
            &password,
            &args.vhost,
            &args.queue,
            args.limit,
            &Scope {
                filter,
                ..Default::default()
            },
            &args.out,
        )
        .await
    }
    .await;
    match result {
        Ok(r) if as_json => {
            json(&r);
            0
        }
        Ok(r) => {
            println!(
                "wrote {} of {} message(s) read ({} in the queue) to {}",
                r.exported, r.read, r.depth, r.path
            );
            0
        }
        Err(e) => output::error(&e, as_json),
    }
}

async fn run_import(store: &EnvironmentStore, args: ImportArgs) -> i32 {
    use warren_core::deadletters::jsonl;
    let as_json = args.json;
    let result = async {
        let (env, password) =
            store.with_password(&args.env, output::password_for_run(args.password_stdin)?)?;
        if !args.yes {
            return Err(warren_core::Error::InvalidArgument(format!(
                "publishing {} into `{}` in `{}` ({:?}) needs --yes",
                args.file.display(),
                args.queue,
                env.id,
                env.tier
            )));
        }
        jsonl::import(&env, &password, &args.vhost, &args.queue, &args.file).await
    }
    .await;
    match result {
        Ok(r) if as_json => {
            json(&r);
            i32::from(r.refused > 0)
        }
        Ok(r) => {
            println!(
                "published {} message(s) into {}; {} refused (unroutable or nacked)",
                r.published, args.queue, r.refused
            );
            i32::from(r.refused > 0)
        }
        Err(e) => output::error(&e, as_json),
    }
}
