//! What an `Auto` inventory learned about a broker, kept for the next load of the same broker
//! by the same user (process-wide): its line, so a 3.x broker's first page starts at once, and
//! for a minute the chosen strategy, so a refresh starts without the requests choosing takes
//! (whoami, nodes, the scrape's node, the overview). Keyed by the environment, user, every
//! endpoint, jump host and Prometheus endpoint. A change within the minute costs: an upgrade,
//! one page without its head start; a lost tag, one failed strategy and its fallback (which
//! forgets the choice); a node joining a one-node broker, up to a minute of definitions +
//! scrape figures that show the new node's queues as `down` until the next choice.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use super::{InventoryOptions, Strategy};
use crate::broker::management::ManagementClient;
use crate::lines::Line;

/// How long a chosen strategy is reused (as long as `PrometheusClient::usable` is cached).
const CHOICE_KEPT: Duration = Duration::from_secs(60);

type Choice = (Strategy, Option<String>);

#[derive(Default, Clone)]
pub(super) struct Remembered {
    pub line: Option<Line>,
    chosen: Option<(Instant, Choice)>,
}

impl Remembered {
    /// The strategy chosen less than a minute ago.
    pub fn chosen(&self) -> Option<Choice> {
        self.chosen
            .as_ref()
            .filter(|(at, _)| at.elapsed() < CHOICE_KEPT)
            .map(|(_, c)| c.clone())
    }
}

static KNOWN: LazyLock<Mutex<HashMap<String, Remembered>>> = LazyLock::new(Default::default);

fn key(client: &ManagementClient, opts: &InventoryOptions) -> String {
    let prometheus = opts.prometheus.as_ref().map_or("", |p| p.base().as_str());
    format!("{} {prometheus}", client.identity())
}

pub(super) fn recall(client: &ManagementClient, opts: &InventoryOptions) -> Remembered {
    KNOWN
        .lock()
        .ok()
        .and_then(|known| known.get(&key(client, opts)).cloned())
        .unwrap_or_default()
}

pub(super) fn remember(
    client: &ManagementClient,
    opts: &InventoryOptions,
    line: Option<Line>,
    chosen: &Choice,
) {
    if let Ok(mut known) = KNOWN.lock() {
        let entry = known.entry(key(client, opts)).or_default();
        entry.line = line.or(entry.line);
        entry.chosen = Some((Instant::now(), chosen.clone()));
    }
}

/// The remembered strategy failed: the next load chooses again.
pub(super) fn forget_choice(client: &ManagementClient, opts: &InventoryOptions) {
    if let Ok(mut known) = KNOWN.lock() {
        if let Some(entry) = known.get_mut(&key(client, opts)) {
            entry.chosen = None;
        }
    }
}
