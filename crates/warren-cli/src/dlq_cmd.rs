//! `warren dlq list|show|replay|discard|export|import`: find dead-letter queues, read their
//! messages in place with `x-death` decoded and grouped, and send them back where they died (or
//! elsewhere) with the core's replay engine: confirms before acks, nothing lost, a report at the
//! end. Replay and discard share one run; they differ in their options and their words.

use clap::{Args, Subcommand};
use warren_core::deadletters::browse::{BrowseOptions, DEFAULT_LIMIT, MAX_LIMIT};
use warren_core::deadletters::filter::DeadLetterFilter;
use warren_core::deadletters::replay::{
    ReplayOptions, ReplayPath, Scope, Target, DEFAULT_MAX_REPLAYS,
};
use warren_core::deadletters::{self, jsonl, ReplayPlan, ReplayReport};
use warren_core::EnvironmentStore;

use crate::output::{
    self, usage, Bar, Confirm, Exit, Failure, Output, PlanOrConfirm, QueueTarget, Refused,
    VhostTarget,
};
use crate::queues_cmd::{inventory_for, inventory_of};

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
    /// Publish the messages of such a JSON Lines file into --queue (through the default
    /// exchange, with confirms).
    Import(ImportArgs),
    /// Edit one dead letter (body, headers) and send the edited copy back to the queue it died
    /// in; the original is acked only after the copy is confirmed. --dry-run shows the diff.
    EditRetry(crate::dlq_edit_cmd::EditRetryArgs),
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    at: VhostTarget,
    #[command(flatten)]
    out: Output,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    queue: QueueTarget,
    /// How many messages to read from the head (at most 65535).
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    limit: u32,
    /// Read a quorum queue even when its head message is one read from its delivery limit
    /// (that read makes the broker drop or dead-letter it).
    #[arg(long)]
    insist: bool,
    #[command(flatten)]
    out: Output,
}

/// What replay and discard both take: the DLQ, which of its messages, and the confirmation.
#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    queue: QueueTarget,
    /// Only these messages, e.g. 'reason:rejected origin:billing.acme' (fields: reason, origin,
    /// realm, worker, exchange; `*` wildcards); the others stay in the DLQ. Without it, every
    /// message of the queue.
    #[arg(long, default_value = "")]
    filter: String,
    #[command(flatten)]
    change: PlanOrConfirm,
    #[command(flatten)]
    out: Output,
}

#[derive(Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    run: RunArgs,
    /// origin (the queue each message died in), original-exchange (its exchange and routing
    /// keys: every bound queue gets a copy), queue:NAME, or exchange:NAME[:KEY].
    #[arg(long, default_value = "origin")]
    to: String,
    /// Keep messages Warren already replayed this many times (a loop guard).
    #[arg(long, default_value_t = DEFAULT_MAX_REPLAYS)]
    max_replays: u32,
    /// Replay over Warren's own connection even where the broker-side shovel could move the
    /// whole DLQ: every message gets Warren's replay header, and a run stopped early (even by
    /// `kill -9`) leaves a journal the next run uses to skip what was already delivered.
    #[arg(long)]
    client_path: bool,
}

#[derive(Args)]
pub struct DiscardArgs {
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    queue: QueueTarget,
    /// Only these messages (as for replay).
    #[arg(long, default_value = "")]
    filter: String,
    /// Read at most this many messages from the head (at most 65535).
    #[arg(long, default_value_t = MAX_LIMIT)]
    limit: u32,
    /// The file to write (created with owner-only permissions).
    #[arg(long)]
    out: std::path::PathBuf,
    #[command(flatten)]
    output: Output,
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    queue: QueueTarget,
    #[arg(long)]
    file: std::path::PathBuf,
    #[command(flatten)]
    confirm: Confirm,
    #[command(flatten)]
    out: Output,
}

pub async fn run(store: &EnvironmentStore, cmd: DlqCommand) -> Exit {
    match cmd {
        DlqCommand::List(a) => run_list(store, a).await,
        DlqCommand::Show(a) => run_show(store, a).await,
        DlqCommand::Replay(a) => {
            let target: Target = a.to.parse().refused("--to: ")?;
            let mut options = ReplayOptions {
                target,
                max_replays: a.max_replays,
                ..scoped(&a.run.filter)?
            };
            options.broker_path &= !a.client_path;
            run_dead_letters(store, &a.run, options).await
        }
        DlqCommand::Discard(a) => {
            let options = ReplayOptions {
                // Discarded messages go nowhere; a target is needed only for the plan's shape.
                target: Target::Origin,
                discard: true,
                // Discarding ignores the loop guard.
                max_replays: u32::MAX,
                ..scoped(&a.run.filter)?
            };
            run_dead_letters(store, &a.run, options).await
        }
        DlqCommand::Export(a) => run_export(store, a).await,
        DlqCommand::Import(a) => run_import(store, a).await,
        DlqCommand::EditRetry(a) => crate::dlq_edit_cmd::run(store, a).await,
    }
}

/// A run's options with `--filter` parsed (the realm template comes with the inventory).
fn scoped(filter: &str) -> Result<ReplayOptions, Failure> {
    Ok(ReplayOptions {
        scope: scope(filter)?,
        // A replay to origin of the whole DLQ goes broker-side when the broker can.
        broker_path: true,
        ..Default::default()
    })
}

fn scope(filter: &str) -> Result<Scope, Failure> {
    Ok(Scope {
        filter: DeadLetterFilter::parse(filter).refused("--filter: ")?,
        ..Default::default()
    })
}

/// `--limit`: a read holds every message it reads unacknowledged.
fn check_limit(limit: u32, why: &str) -> Result<(), Failure> {
    if limit == 0 || limit > MAX_LIMIT {
        return Err(usage(format!("--limit must be 1..={MAX_LIMIT}{why}")));
    }
    Ok(())
}

async fn run_list(store: &EnvironmentStore, args: ListArgs) -> Exit {
    let (env, password, inventory) =
        inventory_of(store, args.out, &args.at.target, args.at.vhost).await?;
    let topology = deadletters::discover(&env, password, &inventory.rows).await?;
    for u in &topology.unrouted {
        eprintln!(
            "warning: dead letters of {}/{} are dropped: {}",
            u.vhost, u.queue, u.problem
        );
    }
    args.out.show(&topology.queues, |queues| {
        if queues.is_empty() {
            println!("no dead-letter queues");
        }
        let rows = queues.iter().map(|q| {
            let fed = match q.feeders.len() {
                0 => String::from("-"),
                1..=3 => q.feeders.join(", "),
                n => format!("{}, … ({n} queues)", q.feeders[..2].join(", ")),
            };
            vec![
                q.vhost.clone(),
                q.name.clone(),
                q.kind.as_str().to_string(),
                q.messages.to_string(),
                q.wiring.label().to_string(),
                fed,
            ]
        });
        output::print_table(
            &["VHOST", "QUEUE", "KIND", ">MESSAGES", "FOUND", "FED BY"],
            rows,
        );
    });
    Ok(0)
}

async fn run_show(store: &EnvironmentStore, args: ShowArgs) -> Exit {
    check_limit(
        args.limit,
        ": a read holds every message it reads unacknowledged",
    )?;
    let (env, password, inventory) = inventory_for(store, args.out, &args.queue).await?;
    let QueueTarget { vhost, queue, .. } = &args.queue;
    // The core asks the broker for the queue's type and delivery limit.
    let opts = BrowseOptions {
        limit: args.limit,
        insist: args.insist,
    };
    let template = inventory.realm_template.as_ref();
    let b =
        deadletters::browse::browse_queue(&env, &password, vhost, queue, template, &opts).await?;
    args.out.show(&b, |b| {
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
        println!();
        let groups = b.groups.iter().map(|g| {
            vec![
                g.count.to_string(),
                g.origin.clone(),
                g.reason.clone(),
                g.realm.clone().unwrap_or_else(|| "-".into()),
            ]
        });
        output::print_table(&[">COUNT", "ORIGIN", "REASON", "REALM"], groups);
        println!();
        let messages = b.messages.iter().map(|m| {
            let text = |v: Option<&str>| v.unwrap_or("-").to_string();
            vec![
                m.position.to_string(),
                text(m.properties.get("message_id").and_then(|v| v.as_str())),
                text(m.origin.as_deref()),
                text(m.reason.as_deref()),
                m.deaths.iter().map(|d| d.count).sum::<u64>().to_string(),
                m.body.size.to_string(),
                m.reads_left.map_or("-".to_string(), |n| n.to_string()),
            ]
        });
        let headers = [
            ">#",
            "MESSAGE ID",
            "ORIGIN",
            "REASON",
            ">DEATHS",
            ">BYTES",
            ">READS LEFT",
        ];
        output::print_table(&headers, messages);
    });
    Ok(0)
}

/// Replay or discard (`options.discard`): plan it (`--dry-run`), refuse it without `--yes`, or
/// run it with a progress bar until done, stopped or interrupted (Ctrl-C settles what is in
/// flight).
async fn run_dead_letters(
    store: &EnvironmentStore,
    args: &RunArgs,
    mut options: ReplayOptions,
) -> Exit {
    let (env, password, inventory) = inventory_for(store, args.out, &args.queue).await?;
    let QueueTarget { vhost, queue, .. } = &args.queue;
    options.scope.template = inventory.realm_template.clone();
    let discard = options.discard;
    let rows = &inventory.rows;
    let plan = || deadletters::plan(&env, &password, vhost, queue, &options, rows, MAX_LIMIT);
    if args.change.dry_run {
        let p = plan().await?;
        if discard {
            let counts = serde_json::json!({ "dry_run": true, "discard": p.in_scope, "keep": p.out_of_scope });
            args.out.show(&counts, |_| {
                println!(
                    "would discard {} and keep {} of {} message(s)",
                    p.in_scope, p.out_of_scope, p.depth
                )
            });
        } else {
            let planned = serde_json::json!({ "dry_run": true, "plan": p });
            args.out.show(&planned, |_| print_plan(&p));
        }
        return Ok(0);
    }
    if discard && !args.change.confirm.yes {
        let p = plan().await?;
        return Err(usage(format!(
            "discarding {} dead letter(s) of `{queue}` in `{}` ({:?}) removes them for good and needs --yes",
            p.in_scope, env.id, env.tier
        )));
    }
    let what = || format!("replaying the dead letters of `{queue}`");
    let hint = "; --dry-run shows where they go";
    args.change.confirm.required_in(&env, what, hint)?;
    let bar = Bar::new(args.out, if discard { "discarding" } else { "replaying" })
        .acted(if discard { "discarded" } else { "replayed" });
    let r = deadletters::replay(
        &env,
        &password,
        vhost,
        queue,
        &options,
        |p| bar.progress(p),
        output::interrupt_flag(),
    )
    .await?;
    drop(bar);
    args.out.show(&r, |r| {
        if discard {
            println!(
                "discarded {} message(s); kept {} in {}",
                r.discarded, r.kept, r.queue
            );
        } else {
            print_replayed(r);
        }
        if let Some(why) = &r.stopped {
            println!("stopped: {why}");
            if !discard {
                println!(
                    "at most {} message(s) may now be both in {} and at their destination",
                    r.possible_duplicates, r.queue
                );
            }
        }
        if r.cancelled {
            println!("interrupted: the rest stays in {}", r.queue);
        }
    });
    Ok(output::run_status(r.cancelled, r.stopped.is_some()))
}

fn print_plan(p: &ReplayPlan) {
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
    println!("path: {}", p.path_note);
}

fn print_replayed(r: &ReplayReport) {
    println!(
        "replayed {} message(s) in {:.1} s; kept {} in {} (unroutable {}, nacked {}, out of scope {}, loop guard {})",
        r.replayed, r.seconds, r.kept, r.queue, r.unroutable, r.nacked, r.out_of_scope, r.loop_guarded
    );
    for d in &r.destinations {
        println!("  {:>7}  -> {}", d.messages, d.destination);
    }
    if r.path == ReplayPath::Broker {
        println!(
            "  moved broker-side ({} through a temporary exchange)",
            shovel_kind(r.shovel.as_deref())
        );
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
}

/// The kind of shovel a broker-path replay used, in words.
fn shovel_kind(protocol: Option<&str>) -> &'static str {
    match protocol {
        Some("local") => "a local shovel, inside the broker,",
        _ => "an AMQP 0-9-1 shovel",
    }
}

async fn run_export(store: &EnvironmentStore, args: ExportArgs) -> Exit {
    let scope = scope(&args.filter)?;
    check_limit(args.limit, "")?;
    let (env, password) = args.queue.target.open(store)?;
    let (vhost, queue) = (&args.queue.vhost, &args.queue.queue);
    let r = jsonl::export(&env, &password, vhost, queue, args.limit, &scope, &args.out).await?;
    args.output.show(&r, |r| {
        println!(
            "wrote {} of {} message(s) read ({} in the queue) to {}",
            r.exported, r.read, r.depth, r.path
        )
    });
    Ok(0)
}

async fn run_import(store: &EnvironmentStore, args: ImportArgs) -> Exit {
    let (env, password) = args.queue.target.open(store)?;
    let QueueTarget { vhost, queue, .. } = &args.queue;
    let what = || format!("publishing {} into `{queue}`", args.file.display());
    args.confirm.required_in(&env, what, "")?;
    let r = jsonl::import(&env, &password, vhost, queue, &args.file).await?;
    args.out.show(&r, |r| {
        println!(
            "published {} message(s) into {queue}; {} refused (unroutable or nacked)",
            r.published, r.refused
        )
    });
    Ok(i32::from(r.refused > 0) * output::FAILED)
}
