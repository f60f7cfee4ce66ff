//! `warren realms`: the environment's queues summed per realm, worker or (worker, realm) cell,
//! heaviest first by a metric; `warren realms suggest` shows the template Warren would use.

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use warren_core::realms::{self, rank, summarize, Metric, Totals};
use warren_core::EnvironmentStore;

use crate::output::{self, json};
use crate::queues_cmd::{confirm_and_purge, inventory_of};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct RealmsArgs {
    #[command(subcommand)]
    action: Option<RealmsAction>,
    #[command(flatten)]
    list: ListArgs,
}

#[derive(Subcommand)]
enum RealmsAction {
    /// Suggest a realm template from the queue names, with examples of what it maps.
    Suggest(SuggestArgs),
    /// Purge every queue of a realm, or of one worker in a realm (--dry-run lists them).
    Purge(PurgeArgs),
    /// Apply a policy (max-length, message-ttl, overflow, …) to a realm's or a worker's queues;
    /// --list shows Warren's policies, --remove NAME deletes one.
    Policy(PolicyArgs),
    /// The connections, channels and consumers serving a realm's queues (which worker
    /// instances serve it), and its queues nobody consumes.
    Consumers(ConsumersArgs),
}

#[derive(Args)]
struct ConsumersArgs {
    #[arg(long)]
    env: String,
    #[arg(long)]
    vhost: Option<String>,
    #[arg(long)]
    realm: String,
    #[arg(long)]
    worker: Option<String>,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
struct PolicyArgs {
    #[arg(long)]
    env: String,
    /// Only this vhost (default: the environment's, else all); with --remove, the policy's vhost.
    #[arg(long)]
    vhost: Option<String>,
    #[arg(long, required_unless_present_any = ["list", "remove"])]
    realm: Option<String>,
    #[arg(long)]
    worker: Option<String>,
    /// A policy setting, KEY=VALUE (repeat), e.g. --set max-length=10000 --set overflow=reject-publish.
    #[arg(long = "set", value_name = "KEY=VALUE", required_unless_present_any = ["list", "remove"])]
    settings: Vec<String>,
    /// Policy priority: RabbitMQ applies only the highest-priority policy matching a queue.
    #[arg(long, default_value_t = 10)]
    priority: i32,
    /// List Warren's policies (named warren-realm-…).
    #[arg(long, conflicts_with_all = ["realm", "remove"])]
    list: bool,
    /// Remove one of Warren's policies (with --vhost).
    #[arg(
        long,
        value_name = "NAME",
        requires = "vhost",
        conflicts_with = "realm"
    )]
    remove: Option<String>,
    /// Show the policy, its pattern and the queues it matches, and change nothing.
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
struct PurgeArgs {
    #[arg(long)]
    env: String,
    /// Only this vhost (default: the environment's, else all).
    #[arg(long)]
    vhost: Option<String>,
    #[arg(long)]
    realm: String,
    /// Only this worker's queue(s) of the realm.
    #[arg(long)]
    worker: Option<String>,
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

#[derive(Clone, Copy, ValueEnum)]
enum By {
    Realm,
    Worker,
    Cell,
}

#[derive(Args)]
struct ListArgs {
    #[arg(long, required = true)]
    env: Option<String>,
    /// Only this vhost (default: the environment's, else all).
    #[arg(long)]
    vhost: Option<String>,
    #[arg(long, value_enum, default_value = "realm")]
    by: By,
    /// messages, ready, unacked, consumers, memory, publish_rate, deliver_rate, queues or
    /// dead_letters.
    #[arg(long, default_value = "messages")]
    metric: String,
    /// Only the N heaviest.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Read the messages of DLQs shared by several realms (up to 10,000 each) to split their
    /// dead letters per realm. Reading marks them redelivered; without it those count as
    /// unattributed.
    #[arg(long)]
    scan_dead_letters: bool,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    password_stdin: bool,
}

#[derive(Args)]
struct SuggestArgs {
    #[arg(long)]
    env: String,
    #[arg(long)]
    vhost: Option<String>,
    #[arg(long)]
    json: bool,
    #[arg(long)]
    password_stdin: bool,
}

/// One line of `--json`: the key(s) and the totals, with its share of the environment's total.
#[derive(Serialize)]
struct Line {
    #[serde(skip_serializing_if = "Option::is_none")]
    worker: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    realm: Option<String>,
    #[serde(flatten)]
    totals: Totals,
    /// Fraction (0..1) of the environment's total of the chosen metric.
    share: f64,
}

pub async fn run(store: &EnvironmentStore, args: RealmsArgs) -> i32 {
    match args.action {
        Some(RealmsAction::Suggest(s)) => run_suggest(store, s).await,
        Some(RealmsAction::Purge(p)) => run_purge(store, p).await,
        Some(RealmsAction::Policy(p)) => run_policy(store, p).await,
        Some(RealmsAction::Consumers(c)) => run_consumers(store, c).await,
        None => run_list(store, args.list).await,
    }
}

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole
    } else {
        0.0
    }
}

async fn run_list(store: &EnvironmentStore, args: ListArgs) -> i32 {
    let as_json = args.json;
    let metric: Metric = match args.metric.parse() {
        Ok(m) => m,
        Err(e) => {
            return output::error(
                &warren_core::Error::InvalidArgument(format!("--metric: {e}")),
                as_json,
            )
        }
    };
    let env_id = args.env.unwrap_or_default();
    let (env, password, inventory) =
        match inventory_of(store, &env_id, args.vhost, args.password_stdin).await {
            Ok(v) => v,
            Err(e) => return output::error(&e, as_json),
        };
    let Some(template) = inventory.realm_template.clone() else {
        let e = warren_core::Error::InvalidArgument(format!(
            "environment `{}` has no realm template and its queue names suggest none: set one with `warren env edit {} --realm-template '{{worker}}.{{realm}}'`",
            env.id, env.id
        ));
        return output::error(&e, as_json);
    };
    let mut summary = summarize(&inventory.rows);
    // Dead letters per realm: a failure here (e.g. no access to a vhost's bindings) costs that
    // column, not the listing.
    match warren_core::deadletters::realm_dead_letters(
        &env,
        password,
        &inventory.rows,
        args.scan_dead_letters,
        10_000,
    )
    .await
    {
        Ok((_, dl)) => {
            summary.set_dead_letters(&dl);
            if !dl.shared.is_empty() {
                eprintln!(
                    "{} dead letter(s) in DLQs shared by several realms ({}) are not attributed: --scan-dead-letters reads them to split them",
                    dl.unattributed,
                    dl.shared.join(", ")
                );
            }
        }
        Err(e) => eprintln!("warning: dead letters per realm unknown: {e}"),
    }
    let whole = summary.total.metric(metric);
    let lines: Vec<Line> = match args.by {
        By::Realm | By::Worker => {
            let groups = if matches!(args.by, By::Realm) {
                &summary.realms
            } else {
                &summary.workers
            };
            rank(groups, metric, args.top)
                .into_iter()
                .map(|g| {
                    let (worker, realm) = if matches!(args.by, By::Realm) {
                        (None, Some(g.key))
                    } else {
                        (Some(g.key), None)
                    };
                    Line {
                        worker,
                        realm,
                        share: share(g.totals.metric(metric), whole),
                        totals: g.totals,
                    }
                })
                .collect()
        }
        By::Cell => {
            // Heaviest first; ties in (worker, realm) order, which the indices follow.
            let mut cells = summary.cells.clone();
            cells.sort_by(|a, b| {
                b.totals
                    .metric(metric)
                    .total_cmp(&a.totals.metric(metric))
                    .then_with(|| (a.worker, a.realm).cmp(&(b.worker, b.realm)))
            });
            cells.truncate(args.top.unwrap_or(usize::MAX));
            cells
                .into_iter()
                .map(|c| Line {
                    share: share(c.totals.metric(metric), whole),
                    worker: Some(summary.workers[c.worker as usize].key.clone()),
                    realm: Some(summary.realms[c.realm as usize].key.clone()),
                    totals: c.totals,
                })
                .collect()
        }
    };
    if as_json {
        json(&lines);
        return 0;
    }
    eprintln!(
        "template `{template}`: {} realms, {} workers, {} unpartitioned queue(s); by {}",
        summary.realms.len(),
        summary.workers.len(),
        summary.unpartitioned.queues,
        args.metric
    );
    println!(
        "{:<32} {:>7} {:>12} {:>10} {:>9} {:>10} {:>8}  share",
        "KEY", "QUEUES", "MESSAGES", "UNACKED", "CONSUMERS", "MEMORY", "DEAD"
    );
    for l in &lines {
        let key = match (&l.worker, &l.realm) {
            (Some(w), Some(r)) => format!("{w} / {r}"),
            (Some(k), None) | (None, Some(k)) => k.clone(),
            (None, None) => String::new(),
        };
        let bar = "█".repeat((l.share * 20.0).round() as usize);
        println!(
            "{key:<32} {:>7} {:>12} {:>10} {:>9} {:>10} {:>8}  {bar} {:.0}%",
            l.totals.queues,
            l.totals.messages,
            l.totals.messages_unacknowledged,
            l.totals.consumers,
            l.totals.memory,
            l.totals.dead_letters,
            l.share * 100.0
        );
    }
    0
}

async fn run_suggest(store: &EnvironmentStore, args: SuggestArgs) -> i32 {
    let as_json = args.json;
    let (_, _, inventory) =
        match inventory_of(store, &args.env, args.vhost, args.password_stdin).await {
            Ok(v) => v,
            Err(e) => return output::error(&e, as_json),
        };
    let p = realms::preview(realms::template::AUTO, &inventory.rows, 5);
    if as_json {
        json(&p);
    } else if let Some(t) = &p.template {
        println!("suggested template: {t}");
        println!(
            "maps {} queue(s) to {} realm(s) and {} worker(s); {} unpartitioned",
            p.matched, p.realms, p.workers, p.unmatched
        );
        for e in &p.examples_matched {
            println!("  {} -> worker `{}`, realm `{}`", e.name, e.worker, e.realm);
        }
        for name in &p.examples_unmatched {
            println!("  {name} (unpartitioned)");
        }
    } else {
        println!("no template suggested: no queue names repeat a segment across several prefixes");
    }
    0
}

async fn run_purge(store: &EnvironmentStore, args: PurgeArgs) -> i32 {
    let as_json = args.json;
    let (env, password, inventory) =
        match inventory_of(store, &args.env, args.vhost, args.password_stdin).await {
            Ok(v) => v,
            Err(e) => return output::error(&e, as_json),
        };
    let targets: Vec<_> = realms::queues_of(&inventory.rows, &args.realm, args.worker.as_deref())
        .into_iter()
        .cloned()
        .collect();
    if targets.is_empty() {
        let what = match &args.worker {
            Some(w) => format!("worker `{w}` in realm `{}`", args.realm),
            None => format!("realm `{}`", args.realm),
        };
        let e = warren_core::Error::InvalidArgument(format!(
            "no queue of {what} in environment `{}` (template `{}`): `warren realms --env {}` lists the realms",
            env.id,
            inventory.realm_template.as_deref().unwrap_or("none"),
            env.id
        ));
        return output::error(&e, as_json);
    }
    confirm_and_purge(&env, &password, &targets, args.dry_run, args.yes, as_json).await
}

async fn run_policy(store: &EnvironmentStore, args: PolicyArgs) -> i32 {
    use warren_core::realms::policy;
    let as_json = args.json;
    if args.list || args.remove.is_some() {
        let result =
            async {
                let (env, password) = store
                    .with_password(&args.env, output::password_for_run(args.password_stdin)?)?;
                match (&args.remove, &args.vhost) {
                    (Some(name), Some(vhost)) => {
                        if !args.yes {
                            return Err(warren_core::Error::InvalidArgument(format!(
                                "removing policy `{name}` in `{vhost}` of `{}` needs --yes",
                                env.id
                            )));
                        }
                        policy::remove(&env, &password, vhost, name).await?;
                        Ok(serde_json::json!({ "removed": name, "vhost": vhost }))
                    }
                    _ => Ok(serde_json::to_value(policy::list(&env, &password).await?)
                        .unwrap_or_default()),
                }
            }
            .await;
        return match result {
            Ok(v) if as_json => {
                json(&v);
                0
            }
            Ok(v) => {
                match v.as_array() {
                    Some(list) if list.is_empty() => println!("no Warren policies"),
                    Some(list) => {
                        for p in list {
                            println!(
                                "{}  {}  pattern {}  priority {}  {}",
                                p["vhost"], p["name"], p["pattern"], p["priority"], p["definition"]
                            );
                        }
                    }
                    None => println!("removed policy {} in {}", v["removed"], v["vhost"]),
                }
                0
            }
            Err(e) => output::error(&e, as_json),
        };
    }
    let realm = args.realm.clone().unwrap_or_default();
    let result = async {
        let definition = policy::definition(&args.settings)?;
        let (env, password, inventory) = inventory_of(store, &args.env, args.vhost.clone(), args.password_stdin).await?;
        let template = realms::resolve(env.realm_template.as_deref(), &inventory.rows)
            .map_err(|e| warren_core::Error::InvalidArgument(e.0))?
            .ok_or_else(|| warren_core::Error::InvalidArgument(format!("environment `{}` has no realm template: set one with `warren env edit {} --realm-template …`", env.id, env.id)))?;
        let existing = policy::existing_policies(&env, &password).await?;
        let plan = policy::plan(&template, &inventory.rows, &realm, args.worker.as_deref(), definition, args.priority, &existing)?;
        if !args.dry_run {
            if !args.yes {
                return Err(warren_core::Error::InvalidArgument(format!(
                    "policy `{}` would apply to {} queue(s) in `{}` ({:?}): confirm with --yes; --dry-run shows them",
                    plan.name,
                    plan.queues.len(),
                    env.id,
                    env.tier
                )));
            }
            policy::apply(&env, &password, &plan).await?;
        }
        Ok(plan)
    }
    .await;
    match result {
        Ok(plan) if as_json => {
            json(&serde_json::json!({ "dry_run": args.dry_run, "policy": plan }));
            0
        }
        Ok(plan) => {
            let verb = if args.dry_run {
                "would apply"
            } else {
                "applied"
            };
            println!(
                "{verb} policy {} (priority {}) in {} with pattern {}",
                plan.name,
                plan.priority,
                plan.vhosts.join(", "),
                plan.pattern
            );
            println!(
                "definition: {}",
                serde_json::Value::Object(plan.definition.clone())
            );
            println!("matches {} queue(s):", plan.queues.len());
            for q in &plan.queues {
                println!("  {q}");
            }
            for o in &plan.overrides {
                println!("  overrides {o}");
            }
            for o in &plan.loses_to {
                println!("  WARNING: no effect on {o}: that policy's priority is not lower; raise --priority");
            }
            0
        }
        Err(e) => output::error(&e, as_json),
    }
}

async fn run_consumers(store: &EnvironmentStore, args: ConsumersArgs) -> i32 {
    let as_json = args.json;
    let result = async {
        let (env, password, inventory) =
            inventory_of(store, &args.env, args.vhost.clone(), args.password_stdin).await?;
        let queues = realms::queues_of(&inventory.rows, &args.realm, args.worker.as_deref());
        if queues.is_empty() {
            return Err(warren_core::Error::InvalidArgument(format!(
                "no queue of realm `{}` in environment `{}`: `warren realms --env {}` lists the realms",
                args.realm, env.id, env.id
            )));
        }
        Ok(realms::consumers::realm_consumers(&env, password, &queues).await?)
    }
    .await;
    match result {
        Ok(r) if as_json => {
            json(&r);
            0
        }
        Ok(r) => {
            if r.connections.is_empty() {
                println!("no consumer on the queues of realm `{}`", args.realm);
            }
            for c in &r.connections {
                println!(
                    "{}  user {}  {}{}  {} channel(s)",
                    c.name,
                    c.user,
                    c.client_name
                        .as_deref()
                        .map(|n| format!("`{n}` "))
                        .unwrap_or_default(),
                    c.client.as_deref().unwrap_or("unknown client"),
                    c.channels
                );
                for k in &c.consumers {
                    println!(
                        "  {}  tag {}  prefetch {}{}",
                        k.queue,
                        k.consumer_tag,
                        k.prefetch_count,
                        if k.ack_required { "" } else { "  (auto-ack)" }
                    );
                }
            }
            if !r.unserved.is_empty() {
                println!("no consumer: {}", r.unserved.join(", "));
            }
            0
        }
        Err(e) => output::error(&e, as_json),
    }
}
