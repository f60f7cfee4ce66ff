//! The queue inventory of one environment, read by the fastest complete strategy the broker
//! allows (`strategies.rs`, chosen in `selection.rs`): the management API's listing without
//! statistics plus the Prometheus plugin's per-queue gauges when it answers, else one
//! unpaginated listing with only the columns Warren shows; the old page-by-page listing stays
//! for comparison (on 4.x it is slower than one call: each page lists and sorts the vhost).
//!
//! Requires the `management` tag (sees the vhosts the user has permissions on) or `monitoring`
//! (all vhosts). Does not modify state.

mod remembered;
mod selection;
pub mod strategies;

pub use selection::choose;
pub use strategies::{CounterSnapshot, Strategy};
use strategies::{EarlyPage, FirstPage};

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::row::{ApiQueue, QueueRow};
use crate::broker::management::ManagementClient;
use crate::broker::prometheus::PrometheusClient;
use crate::broker::{BrokerError, BrokerErrorKind};
use crate::environment::Environment;
use crate::lines::Line;
use crate::template::{resolve, Exclusions, RealmTemplate};

/// The largest page the management API accepts.
pub const PAGE_SIZE: u32 = 500;
/// Pages in flight at once: enough to hide latency, few enough not to load the broker.
pub const PAGES_IN_FLIGHT: usize = 4;
const RETRIES: u32 = 2;
/// The longest one Prometheus scrape for an inventory may take.
pub const PROMETHEUS_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) const COLUMNS: &str = "name,vhost,type,state,durable,exclusive,auto_delete,messages,messages_ready,\
messages_unacknowledged,consumers,consumer_utilisation,memory,message_stats.publish_details.rate,\
message_stats.deliver_get_details.rate,message_stats.ack_details.rate,message_stats.redeliver_details.rate,\
policy,effective_policy_definition,arguments,node,idle_since,delivery_limit,members,online,leader,\
delayed_retry,messages_delayed,messages_dlx";

#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct Inventory {
    pub rows: Vec<QueueRow>,
    /// The broker's count of queues when the first page was read.
    #[ts(type = "number")]
    pub total: u64,
    /// Some pages could not be read (after retries): `rows` lacks their queues.
    pub partial: bool,
    pub failed_pages: Vec<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// The realm template that filled the rows' `worker` and `realm` (the environment's own or
    /// the suggestion); `None`: nothing is partitioned.
    #[ts(optional, type = "string")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm_template: Option<RealmTemplate>,
    /// The environment's `realm_exclude` the rows were mapped with (excluded queues are
    /// unpartitioned); previews of other templates on these rows keep them out too.
    #[serde(skip)]
    #[ts(skip)]
    pub realm_exclude: Exclusions,
    /// How the rows were read (the strategy `selection` chose, or the one asked for).
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Why a faster strategy was not used (a plugin off, a permission missing), if one was not.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// Each queue's message counters at this load (strategies without the management API's
    /// rates): pass it as the next load's `InventoryOptions::previous` to get rates.
    #[serde(skip)]
    #[ts(skip)]
    pub counters: Arc<CounterSnapshot>,
}

impl Inventory {
    /// Map every queue to (worker, realm) with the environment's template (`configured`; unset
    /// or `auto`: the suggestion from these queues) and keep the template used.
    pub fn map_realms(&mut self, configured: Option<&str>) -> crate::Result<()> {
        self.map_realms_excluding(configured, Exclusions::default())
    }

    /// `map_realms` with the environment's template and exclusions.
    pub fn map_env_realms(&mut self, env: &Environment) -> crate::Result<()> {
        self.map_realms_excluding(
            env.realm_template.as_deref(),
            Exclusions::lenient(&env.realm_exclude),
        )
    }

    fn map_realms_excluding(
        &mut self,
        configured: Option<&str>,
        exclude: Exclusions,
    ) -> crate::Result<()> {
        let (template, _) = resolve(
            configured,
            &exclude,
            self.rows.iter().map(|r| (r.vhost.as_str(), r.name.as_str())),
        )
        .map_err(|e| {
            crate::Error::InvalidArgument(format!("the environment's realm template `{}` is not usable: {e}; fix it with `warren env edit ID --realm-template …` or in the environment's settings", configured.unwrap_or_default()))
        })?;
        map_rows_excluding(template.as_ref(), &exclude, &mut self.rows);
        self.realm_template = template;
        self.realm_exclude = exclude;
        Ok(())
    }
}

/// The rows in the vhost `scope` (`None`: all), for a view or an action over one vhost.
pub fn rows_in(rows: &[QueueRow], scope: Option<&str>) -> Vec<QueueRow> {
    rows.iter()
        .filter(|r| scope.is_none_or(|v| r.vhost == v))
        .cloned()
        .collect()
}

/// Fill each row's `worker` and `realm` by `template` (cleared where it does not match).
pub fn map_rows(template: Option<&RealmTemplate>, rows: &mut [QueueRow]) {
    map_rows_excluding(template, &Exclusions::default(), rows)
}

/// `map_rows`, leaving the queues `exclude` names unpartitioned.
pub fn map_rows_excluding(
    template: Option<&RealmTemplate>,
    exclude: &Exclusions,
    rows: &mut [QueueRow],
) {
    for row in rows {
        let mapped = template
            .filter(|_| !exclude.excludes(&row.name))
            .and_then(|t| t.map(&row.vhost, &row.name));
        (row.worker, row.realm) = match mapped {
            Some((w, r)) => (Some(w.to_string()), Some(r.to_string())),
            None => (None, None),
        };
    }
}

#[derive(Debug, Clone)]
pub struct InventoryOptions {
    /// Only this vhost; `None`: every vhost the user can see.
    pub vhost: Option<String>,
    pub page_size: u32,
    pub pages_in_flight: usize,
    /// `Auto`: the fastest complete strategy this broker and user allow (`selection::choose`).
    pub strategy: Strategy,
    /// The environment's Prometheus endpoint (`InventoryOptions::for_environment` fills it);
    /// `None`: only the management API is used.
    pub prometheus: Option<PrometheusClient>,
    /// The previous load's counters (`Inventory::counters`): rates are their differences.
    /// `None` (a first load): rates of strategies without the management API's rates are 0.
    pub previous: Option<Arc<CounterSnapshot>>,
    /// Strategies that read everything at once also fetch the first page of 500 and report it
    /// as `LoadEvent::FirstPage` if it arrives first (the window's first rows): `Auto` gives
    /// it a head start on 3.x and none on 4.x when the definitions hand over every name first.
    pub early_first_page: bool,
}

impl Default for InventoryOptions {
    fn default() -> Self {
        InventoryOptions {
            vhost: None,
            page_size: PAGE_SIZE,
            pages_in_flight: PAGES_IN_FLIGHT,
            strategy: Strategy::Auto,
            prometheus: None,
            previous: None,
            early_first_page: true,
        }
    }
}

impl InventoryOptions {
    /// Options for `env`: its Prometheus endpoint (or the default one) so `Auto` can use it.
    pub fn for_environment(env: &Environment, vhost: Option<String>) -> InventoryOptions {
        InventoryOptions {
            vhost,
            // A scrape of 50,000 queues is ~120 MB and took 7–17 s on a busy 4.3: more than
            // one management request is given, still bounded.
            prometheus: PrometheusClient::new(env, PROMETHEUS_TIMEOUT).ok(),
            ..Default::default()
        }
    }
}

#[derive(Deserialize)]
struct Page {
    items: Vec<ApiQueue>,
    #[serde(default)]
    page_count: u32,
    #[serde(default)]
    total_count: u64,
}

pub(crate) fn vhost_path(resource: &str, vhost: Option<&str>) -> String {
    match vhost {
        Some(v) => format!("{resource}/{}", utf8_percent_encode(v, NON_ALPHANUMERIC)),
        None => resource.to_string(),
    }
}

fn page_path(opts: &InventoryOptions, page: u32) -> String {
    let base = match &opts.vhost {
        Some(v) => format!("queues/{}", utf8_percent_encode(v, NON_ALPHANUMERIC)),
        None => "queues".to_string(),
    };
    format!(
        "{base}?page={page}&page_size={}&columns={COLUMNS}",
        opts.page_size.clamp(1, PAGE_SIZE)
    )
}

async fn fetch_page(
    client: &ManagementClient,
    opts: &InventoryOptions,
    page: u32,
) -> Result<Page, BrokerError> {
    let mut attempt = 0;
    loop {
        match client.get_json::<Page>(&page_path(opts, page)).await {
            Ok((p, _)) => return Ok(p),
            // A refusal or bad credentials will not improve with a retry; a 5xx or a dropped
            // connection may. A timeout is not retried: the request already waited for as long
            // as a silent peer is given, and retrying would only multiply that wait.
            Err(e)
                if attempt < RETRIES
                    && matches!(
                        e.kind,
                        BrokerErrorKind::Other | BrokerErrorKind::Unreachable
                    ) =>
            {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// What a load reports while it runs: the first rows as soon as they are read (the window shows
/// them at once: on a big broker each page costs the broker a listing of every queue, so the
/// whole inventory takes seconds), then each further page.
pub enum LoadEvent<'a> {
    FirstPage {
        rows: &'a [QueueRow],
        total: u64,
        pages: u32,
        /// Every queue, but without its figures yet (counts 0, `state` empty): the names,
        /// types, arguments and policies came first (definitions), the figures follow.
        figures_pending: bool,
    },
    Page {
        done: u32,
        pages: u32,
    },
}

/// Read every queue (of one vhost, or all visible) with `opts.strategy` (`Auto`: the fastest
/// complete one available, falling back to the management listing, see `selection`).
/// Needs the `management` tag (`monitoring` to see every vhost). Does not modify state.
pub async fn load_inventory(
    client: &ManagementClient,
    opts: &InventoryOptions,
) -> Result<Inventory, BrokerError> {
    // Nobody sees first rows here: no page read for them.
    let opts = InventoryOptions {
        early_first_page: false,
        ..opts.clone()
    };
    load_inventory_observed(client, &opts, |_| {}).await
}

/// `load_inventory`, telling `observe` about the first rows and each page after them.
/// Needs the `management` tag (`monitoring` to see every vhost). Does not modify state.
pub async fn load_inventory_observed(
    client: &ManagementClient,
    opts: &InventoryOptions,
    observe: impl FnMut(LoadEvent<'_>),
) -> Result<Inventory, BrokerError> {
    // An explicit strategy reads the queue count only if it lists queues (see `Allowance`)
    // and races its first page against the whole load.
    let (chosen, counted, early) = match opts.strategy {
        Strategy::Auto => choose_and_start(client, opts).await,
        s if opts.early_first_page && s != Strategy::Paged => (
            (s, None),
            None,
            EarlyPage::Race(FirstPage::start(client, opts)),
        ),
        s => ((s, None), None, EarlyPage::None),
    };
    let (mut strategy, mut fallback) = chosen;
    let mut allowance = Allowance {
        base: client,
        counted,
        widened: None,
    };
    let auto = opts.strategy == Strategy::Auto;
    let mut observe = observe;
    let mut result = strategies::load_with(
        strategy,
        allowance.for_(strategy).await?,
        opts,
        early,
        &mut observe,
    )
    .await;
    // Auto falls back along: the chosen one → one unpaginated listing → pages (a listing so
    // big that the broker stays silent longer than the client waits needs pages).
    if auto && result.is_err() {
        remembered::forget_choice(client, opts);
    }
    for next in [Strategy::Unpaginated, Strategy::Paged] {
        let Err(e) = &result else { break };
        if !auto || strategy == next || strategy == Strategy::Paged {
            break;
        }
        let why = format!(
            "the {} inventory failed ({}); trying {} instead",
            strategy.as_str(),
            e.message,
            next.as_str()
        );
        tracing::info!("inventory: {why}");
        fallback = Some(why);
        strategy = next;
        let client = allowance.for_(next).await?;
        result = strategies::load_with(next, client, opts, EarlyPage::None, &mut observe).await;
    }
    let mut inventory = result?;
    inventory.strategy = Some(strategy);
    inventory.fallback = fallback;
    Ok(inventory)
}

/// What an `Auto` load uses: the strategy (remembered for a minute, else chosen while the
/// overview reads the broker's queue count and line), the count when read, and the first page.
/// The first page starts at once on a broker remembered as 3.x, else as soon as the overview
/// says 3.x (a page is cheap there), and gets a head start on the whole load; on 4.x a page
/// costs a sort of the whole vhost (17 s of 50,000 queues on 4.3) and only races a strategy
/// that does not hand over every name first.
async fn choose_and_start(
    client: &ManagementClient,
    opts: &InventoryOptions,
) -> ((Strategy, Option<String>), Option<Option<u64>>, EarlyPage) {
    let known = remembered::recall(client, opts);
    let head_start_on = |line: Option<Line>| {
        (opts.early_first_page && line.is_some_and(|l| l.major < 4))
            .then(|| FirstPage::start(client, opts))
    };
    // A broker loaded before needs no overview to start its page.
    let page = head_start_on(known.line);
    let early = |page: Option<FirstPage>, chosen: &(Strategy, Option<String>)| match page {
        Some(page) => EarlyPage::HeadStart(page),
        None if opts.early_first_page && chosen.0 != Strategy::DefinitionsPrometheus => {
            EarlyPage::Race(FirstPage::start(client, opts))
        }
        None => EarlyPage::None,
    };
    match known.chosen() {
        Some(chosen) => {
            let early = early(page, &chosen);
            (chosen, None, early)
        }
        None => {
            let started = page.is_some();
            let sizing = async {
                let (queues, line) = overview_size(client).await;
                (
                    queues,
                    line,
                    if started { None } else { head_start_on(line) },
                )
            };
            let (chosen, (queues, line, learned)) = tokio::join!(choose(client, opts), sizing);
            remembered::remember(client, opts, line, &chosen);
            let early = early(page.or(learned), &chosen);
            (chosen, Some(queues), early)
        }
    }
}

/// The client an inventory's requests go through: a broker of tens of thousands of queues
/// builds a listing for longer than any request is given, so strategies that list queues get
/// an allowance that grows with the broker's queue count. The definitions + scrape strategy
/// lists nothing (the definitions of 50,000 queues took 0.7–3.2 s; the scrape has its own
/// limit) and needs no count.
struct Allowance<'a> {
    base: &'a ManagementClient,
    /// The overview's count, once read (`Some(None)`: it did not answer).
    counted: Option<Option<u64>>,
    widened: Option<ManagementClient>,
}

impl Allowance<'_> {
    async fn for_(&mut self, strategy: Strategy) -> Result<&ManagementClient, BrokerError> {
        if strategy == Strategy::DefinitionsPrometheus {
            return Ok(self.base);
        }
        let queues = match self.counted {
            Some(q) => q,
            None => *self.counted.insert(queue_count(self.base).await),
        };
        if self.widened.is_none() {
            self.widened = widened_for(self.base, queues.unwrap_or(0))?;
        }
        Ok(self.widened.as_ref().unwrap_or(self.base))
    }
}

/// `client` with the time one listing of `queues` queues may take, when that is more than
/// the usual request timeout (`None`: the usual will do).
pub(crate) fn widened_for(
    client: &ManagementClient,
    queues: u64,
) -> Result<Option<ManagementClient>, BrokerError> {
    let allowance = listing_allowance(queues);
    if allowance <= crate::broker::REQUEST_TIMEOUT {
        return Ok(None);
    }
    tracing::debug!(
        "{queues} queues: allowing {} s per listing request",
        allowance.as_secs()
    );
    client.widened(allowance).map(Some)
}

/// How long one request of an inventory of `queues` queues may take (and the broker stay
/// silent while it builds the answer): the usual 15 s up to 5,000 queues, then 1.5 s more per
/// 1,000 (measured on 4.3 at 50,000 queues: the listing without statistics 18–32 s, one page
/// 18 s; the full listing did not answer before the broker's own 60 s), at most 2 minutes.
pub fn listing_allowance(queues: u64) -> Duration {
    let extra = queues.saturating_sub(5_000).saturating_mul(3) / 2;
    (crate::broker::REQUEST_TIMEOUT + Duration::from_millis(extra.min(105_000)))
        .min(Duration::from_secs(120))
}

/// The broker's count of queues (`object_totals`, every vhost the user sees); `None` when the
/// overview does not answer (the inventory then says why itself).
pub(crate) async fn queue_count(client: &ManagementClient) -> Option<u64> {
    overview_size(client).await.0
}

/// The broker's count of queues and its line, from one overview request (`None` for what it
/// does not answer).
async fn overview_size(client: &ManagementClient) -> (Option<u64>, Option<Line>) {
    let Ok((overview, _)) = client
        .get_json::<serde_json::Value>("overview?columns=object_totals,rabbitmq_version")
        .await
    else {
        return (None, None);
    };
    (
        overview
            .pointer("/object_totals/queues")
            .and_then(|q| q.as_u64()),
        crate::lines::line_of(&overview),
    )
}

/// Today's paged listing: the first page must succeed (it says how many pages there are);
/// later pages are fetched a few at a time, in any order, and sorted.
pub(crate) async fn load_paged(
    client: &ManagementClient,
    opts: &InventoryOptions,
    mut observe: impl FnMut(LoadEvent<'_>),
) -> Result<Inventory, BrokerError> {
    let first = fetch_page(client, opts, 1).await?;
    let pages = first.page_count.max(1);
    let mut inventory = Inventory {
        total: first.total_count,
        ..Default::default()
    };
    inventory
        .rows
        .extend(first.items.into_iter().map(QueueRow::from));
    observe(LoadEvent::FirstPage {
        rows: &inventory.rows,
        total: inventory.total,
        pages,
        figures_pending: false,
    });
    let mut results = stream::iter(2..=pages)
        .map(|page| async move { (page, fetch_page(client, opts, page).await) })
        .buffer_unordered(opts.pages_in_flight.max(1));
    let mut done = 1;
    while let Some((page, result)) = results.next().await {
        done += 1;
        observe(LoadEvent::Page { done, pages });
        match result {
            Ok(p) => inventory
                .rows
                .extend(p.items.into_iter().map(QueueRow::from)),
            Err(e) => {
                inventory.partial = true;
                inventory.failed_pages.push(page);
                inventory.errors.push(format!("page {page}: {}", e.message));
            }
        }
    }
    inventory.failed_pages.sort_unstable();
    inventory.rows.sort_by(|a, b| {
        (a.vhost.as_str(), a.name.as_str()).cmp(&(b.vhost.as_str(), b.name.as_str()))
    });
    // Pages shift when queues come and go during the listing: keep each queue once.
    inventory
        .rows
        .dedup_by(|a, b| a.vhost == b.vhost && a.name == b.name);
    Ok(inventory)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_encode_the_vhost_and_cap_the_page_size() {
        let opts = InventoryOptions {
            vhost: Some("/".into()),
            page_size: 9000,
            ..Default::default()
        };
        let p = page_path(&opts, 3);
        assert!(
            p.starts_with("queues/%2F?page=3&page_size=500&columns=name,vhost,"),
            "{p}"
        );
        assert!(page_path(&InventoryOptions::default(), 1).starts_with("queues?page=1&"));
    }

    #[test]
    fn big_brokers_get_a_longer_allowance_within_bounds() {
        assert_eq!(listing_allowance(0), crate::broker::REQUEST_TIMEOUT);
        assert_eq!(listing_allowance(5_000), crate::broker::REQUEST_TIMEOUT);
        assert_eq!(listing_allowance(10_000), Duration::from_millis(22_500));
        assert_eq!(listing_allowance(50_000), Duration::from_millis(82_500));
        assert_eq!(listing_allowance(u64::MAX), Duration::from_secs(120));
    }
}
