//! `warren realms`: the environment's queues summed per realm, worker or (worker, realm) cell,
//! heaviest first by a metric; `warren realms suggest` shows the template Warren would use.

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use warren_core::queues::inventory::Inventory;
use warren_core::queues::QueueRow;
use warren_core::queues::RowIndex;
use warren_core::realms::aggregate::{summarize_scope, Scope};
use warren_core::realms::policy::PolicyRequest;
use warren_core::realms::{self, policy, rank, Metric, RealmTemplate, Totals};
use warren_core::session::cache::realm_scope;
use warren_core::EnvironmentStore;

use crate::output::{self, Exit, Failure, Output, PlanOrConfirm, Refused, VhostTarget};
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

/// `--realm R [--worker W]`: a realm's queues, or one worker's in it.
#[derive(Args)]
struct RealmArgs {
    #[arg(long)]
    realm: String,
    /// Only this worker's queue(s) of the realm.
    #[arg(long)]
    worker: Option<String>,
}

#[derive(Args)]
struct ConsumersArgs {
    #[command(flatten)]
    at: VhostTarget,
    #[command(flatten)]
    realm: RealmArgs,
    #[command(flatten)]
    out: Output,
}

#[derive(Args)]
struct PolicyArgs {
    #[command(flatten)]
    at: VhostTarget,
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
    /// Remove one of Warren's policies (with --vhost, the policy's vhost).
    #[arg(
        long,
        value_name = "NAME",
        requires = "vhost",
        conflicts_with = "realm"
    )]
    remove: Option<String>,
    #[command(flatten)]
    change: PlanOrConfirm,
    #[command(flatten)]
    out: Output,
}

#[derive(Args)]
struct PurgeArgs {
    #[command(flatten)]
    at: VhostTarget,
    #[command(flatten)]
    realm: RealmArgs,
    #[command(flatten)]
    change: PlanOrConfirm,
    #[command(flatten)]
    out: Output,
}

#[derive(Clone, Copy, ValueEnum)]
enum By {
    Realm,
    Worker,
    Cell,
}

#[derive(Args)]
struct ListArgs {
    #[command(flatten)]
    at: VhostTarget,
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
    #[command(flatten)]
    out: Output,
}

#[derive(Args)]
struct SuggestArgs {
    #[command(flatten)]
    at: VhostTarget,
    #[command(flatten)]
    out: Output,
}

/// One line of `--json`: the key(s) and the totals, with its share of the environment's total.
#[derive(Serialize)]
struct Line {
    #[serde(skip_serializing_if = "Option::is_none")]
    worker: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    realm: Option<String>,
    /// Set when the listing covers several vhosts whose realms are kept apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    vhost: Option<String>,
    #[serde(flatten)]
    totals: Totals,
    /// Fraction (0..1) of the environment's total of the chosen metric.
    share: f64,
}

pub async fn run(store: &EnvironmentStore, args: RealmsArgs) -> Exit {
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

/// The queues of `--realm` (and `--worker`) in the inventory, or why there are none.
fn realm_queues<'a>(
    inventory: &'a Inventory,
    env_id: &str,
    selected: &RealmArgs,
) -> Result<Vec<&'a QueueRow>, Failure> {
    let queues = realms::queues_of(&inventory.rows, &selected.realm, selected.worker.as_deref());
    if queues.is_empty() {
        let what = match &selected.worker {
            Some(w) => format!("worker `{w}` in realm `{}`", selected.realm),
            None => format!("realm `{}`", selected.realm),
        };
        return Err(output::failed(format!(
            "no queue of {what} in environment `{env_id}` (template `{}`): `warren realms --env {env_id}` lists the realms",
            inventory.realm_template.as_ref().map_or("none", |t| t.source()),
        )));
    }
    Ok(queues)
}

/// The environment's realm template (its own, else the suggestion), or how to set one.
fn template_of(inventory: &Inventory, env_id: &str) -> Result<RealmTemplate, Failure> {
    inventory.realm_template.clone().ok_or_else(|| {
        output::failed(format!(
            "environment `{env_id}` has no realm template and its queue names suggest none: set one with `warren env edit {env_id} --realm-template '{{worker}}.{{realm}}'`"
        ))
    })
}

async fn run_list(store: &EnvironmentStore, args: ListArgs) -> Exit {
    let metric: Metric = args.metric.parse().refused("--metric: ")?;
    let (env, password, inventory) =
        inventory_of(store, args.out, &args.at.target, args.at.vhost).await?;
    let template = template_of(&inventory, &env.id)?;
    // Over several vhosts, each vhost's realms stay apart (unless the vhost is the realm).
    let scope = realm_scope(&inventory, None);
    let mut summary = summarize_scope(&RowIndex::new(&inventory.rows), scope);
    // Dead letters per realm: a failure here (e.g. no access to a vhost's bindings) costs that
    // column, not the listing.
    match warren_core::deadletters::realm_dead_letters(
        &env,
        password,
        &inventory.rows,
        args.scan_dead_letters,
        10_000,
        scope == Scope::PerVhost,
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
                        vhost: g.vhost,
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
                    vhost: summary.realms[c.realm as usize].vhost.clone(),
                    totals: c.totals,
                })
                .collect()
        }
    };
    args.out.show(&lines, |lines| {
        eprintln!(
            "template `{}`: {} realms, {} workers, {} unpartitioned queue(s); by {}",
            template.source(),
            summary.realms.len(),
            summary.workers.len(),
            summary.unpartitioned.queues,
            args.metric
        );
        let rows = lines.iter().map(|l| {
            let key = match (&l.worker, &l.realm) {
                (Some(w), Some(r)) => format!("{w} / {r}"),
                (Some(k), None) | (None, Some(k)) => k.clone(),
                (None, None) => String::new(),
            };
            let key = match &l.vhost {
                Some(v) => format!("{key} (vhost {v})"),
                None => key,
            };
            let t = &l.totals;
            let bar = "█".repeat((l.share * 20.0).round() as usize);
            vec![
                key,
                t.queues.to_string(),
                t.messages.to_string(),
                t.messages_unacknowledged.to_string(),
                t.consumers.to_string(),
                t.memory.to_string(),
                t.dead_letters.to_string(),
                format!("{bar} {:.0}%", l.share * 100.0),
            ]
        });
        let headers = [
            "KEY",
            ">QUEUES",
            ">MESSAGES",
            ">UNACKED",
            ">CONSUMERS",
            ">MEMORY",
            ">DEAD",
            "SHARE",
        ];
        output::print_table(&headers, rows);
    });
    Ok(0)
}

async fn run_suggest(store: &EnvironmentStore, args: SuggestArgs) -> Exit {
    let (_, _, inventory) = inventory_of(store, args.out, &args.at.target, args.at.vhost).await?;
    let p = realms::preview(
        warren_core::template::AUTO,
        &inventory.rows,
        &inventory.realm_exclude,
        5,
    );
    args.out.show(&p, |p| {
        let excluded = if p.excluded > 0 {
            format!(" ({} excluded by the environment's realm_exclude)", p.excluded)
        } else {
            String::new()
        };
        let Some(t) = &p.template else {
            println!(
                "no template suggested: no queue names repeat a segment across several prefixes{excluded}"
            );
            return;
        };
        println!("suggested template: {t}");
        if let Some(reason) = &p.reason {
            println!("why: {reason}");
        }
        println!(
            "maps {} queue(s) to {} realm(s) and {} worker(s); {} unpartitioned{excluded}",
            p.matched, p.realms, p.workers, p.unmatched
        );
        for e in &p.examples_matched {
            println!("  {} -> worker `{}`, realm `{}`", e.name, e.worker, e.realm);
        }
        for name in &p.examples_unmatched {
            println!("  {name} (unpartitioned)");
        }
        for a in &p.alternatives {
            println!(
                "  also considered {}: {} queue(s), {} realm(s) x {} worker(s), evidence {:+.2}",
                a.template, a.matched, a.realms, a.workers, a.evidence
            );
        }
    });
    Ok(0)
}

async fn run_purge(store: &EnvironmentStore, args: PurgeArgs) -> Exit {
    let (env, password, inventory) =
        inventory_of(store, args.out, &args.at.target, args.at.vhost).await?;
    let targets: Vec<QueueRow> = realm_queues(&inventory, &env.id, &args.realm)?
        .into_iter()
        .cloned()
        .collect();
    confirm_and_purge(&env, &password, &targets, args.change, args.out).await
}

async fn run_policy(store: &EnvironmentStore, args: PolicyArgs) -> Exit {
    if args.list || args.remove.is_some() {
        return list_or_remove_policies(store, &args).await;
    }
    // Settings are the command line's: a bad one is a usage error, found before connecting.
    policy::definition(&args.settings).map_err(Failure::Usage)?;
    let (env, password, inventory) =
        inventory_of(store, args.out, &args.at.target, args.at.vhost.clone()).await?;
    template_of(&inventory, &env.id)?;
    let request = PolicyRequest {
        realm: args.realm.clone().unwrap_or_default(),
        worker: args.worker.clone(),
        vhost: args.at.vhost.clone(),
        settings: args.settings.clone(),
        priority: args.priority,
        apply: false,
    };
    let plan = policy::run(&env, &password, &inventory, &request).await?;
    let dry_run = args.change.dry_run;
    if !dry_run {
        args.change.confirm.required(|| {
            format!(
                "policy `{}` would apply to {} queue(s) in `{}` ({:?}): confirm with --yes; --dry-run shows them",
                plan.name,
                plan.queues.len(),
                env.id,
                env.tier
            )
        })?;
        policy::apply(&env, &password, &plan).await?;
    }
    let report = serde_json::json!({ "dry_run": dry_run, "policy": plan });
    args.out.show(&report, |_| {
        let verb = if dry_run { "would apply" } else { "applied" };
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
    });
    Ok(0)
}

/// `realms policy --list`, or `--remove NAME --vhost V --yes`.
async fn list_or_remove_policies(store: &EnvironmentStore, args: &PolicyArgs) -> Exit {
    let (env, password) = args.at.target.open(store)?;
    let (Some(name), Some(vhost)) = (&args.remove, &args.at.vhost) else {
        let list = policy::list(&env, &password).await?;
        args.out.show(&list, |list| {
            if list.is_empty() {
                println!("no Warren policies");
            }
            // Quoted as JSON, so a name with spaces stays one word.
            let quoted = |s: &str| serde_json::Value::from(s);
            for p in list {
                println!(
                    "{}  {}  pattern {}  priority {}  {}",
                    quoted(&p.vhost),
                    quoted(&p.name),
                    quoted(&p.pattern),
                    p.priority,
                    serde_json::Value::Object(p.definition.clone())
                );
            }
        });
        return Ok(0);
    };
    args.change.confirm.required(|| {
        format!(
            "removing policy `{name}` in `{vhost}` of `{}` needs --yes",
            env.id
        )
    })?;
    policy::remove(&env, &password, vhost, name).await?;
    args.out.show(
        &serde_json::json!({ "removed": name, "vhost": vhost }),
        |_| {
            println!(
                "removed policy {} in {}",
                serde_json::Value::from(name.as_str()),
                serde_json::Value::from(vhost.as_str())
            )
        },
    );
    Ok(0)
}

async fn run_consumers(store: &EnvironmentStore, args: ConsumersArgs) -> Exit {
    let (env, password, inventory) =
        inventory_of(store, args.out, &args.at.target, args.at.vhost).await?;
    let queues = realm_queues(&inventory, &env.id, &args.realm)?;
    let r = realms::consumers::realm_consumers(&env, password, &queues).await?;
    args.out.show(&r, |r| {
        if r.connections.is_empty() {
            println!("no consumer on the queues of realm `{}`", args.realm.realm);
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
    });
    Ok(0)
}
