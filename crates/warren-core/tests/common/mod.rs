//! Set-up for the core's integration tests against a real RabbitMQ, guest/guest: what needs the
//! core's own types (the `local` environment, the admin client, a vhost with Warren's AMQP
//! connection). Everything else, and the choice of broker (`WARREN_TEST_BROKER`), is in
//! warren-test-support, re-exported here. Each test makes its own vhost/users and removes them.
#![allow(dead_code)]

use std::sync::OnceLock;

use rabbitmq_http_client::api::Client;
use secrecy::SecretString;
use warren_core::deadletters::replay::{replay, ReplayOptions, ReplayReport};
use warren_core::Environment;
pub use warren_test_support::*;

/// The built-in `local` environment, pointed at the broker under test.
pub fn local() -> Environment {
    let mut env = Environment::local_default();
    env.management_urls = vec![management_url().to_string()];
    env.amqp_urls = vec![amqp_url().to_string()];
    env
}

/// `local` showing only `vhost`.
pub fn scoped_to(vhost: &str) -> Environment {
    Environment {
        vhost: Some(vhost.to_string()),
        ..local()
    }
}

/// A session with `env` as its one environment, its config in `dir` (guest's password given
/// for the run, not kept).
pub fn session_on(dir: &tempfile::TempDir, env: Environment) -> warren_core::Session {
    let store =
        warren_core::EnvironmentStore::new(dir.path(), warren_core::secrets::Keyring::default());
    store.create(env, None).expect("create the environment");
    warren_core::Session::with_password(store, Some(guest()))
}

/// `local`, marked read-only.
pub fn read_only() -> Environment {
    let mut env = local();
    env.read_only = true;
    env
}

pub fn guest() -> SecretString {
    SecretString::from("guest")
}

pub fn admin() -> Client<&'static str, &'static str, &'static str> {
    static API: OnceLock<String> = OnceLock::new();
    warren_core::broker::tls::install_crypto_provider();
    Client::new(
        API.get_or_init(|| format!("{}/api", management_url()))
            .as_str(),
        "guest",
        "guest",
    )
}

/// A fresh vhost for one test (guest may use it), Warren's AMQP connection to it, and its
/// removal when the test ends, passed or not.
pub struct TestVhost {
    pub name: String,
    pub conn: lapin::Connection,
    _vhost: Vhost,
}

impl TestVhost {
    /// A channel on the test's connection.
    pub async fn channel(&self) -> lapin::Channel {
        self.conn.create_channel().await.unwrap()
    }

    /// A channel in confirm mode.
    pub async fn confirming_channel(&self) -> lapin::Channel {
        let ch = self.channel().await;
        ch.confirm_select(Default::default()).await.unwrap();
        ch
    }

    pub async fn new(prefix: &str) -> TestVhost {
        let vhost = Vhost::new(prefix);
        let conn = connect_as_warren(&vhost.name, prefix).await;
        TestVhost {
            name: vhost.name.clone(),
            conn,
            _vhost: vhost,
        }
    }
}

/// Warren's own AMQP connection (`local`, guest) to `vhost`, named after `purpose`.
pub async fn connect_as_warren(vhost: &str, purpose: &str) -> lapin::Connection {
    warren_core::broker::amqp::connect(&local(), &guest(), Some(vhost), purpose)
        .await
        .expect("connect to the test vhost")
}

/// A replay of `dlq` in `vhost` as `local`, watched by `progress` and stopped by `cancelled`.
pub async fn replay_as_local(
    vhost: &str,
    dlq: &str,
    options: &ReplayOptions,
    progress: impl FnMut(warren_core::progress::Progress),
    cancelled: impl Fn() -> bool,
) -> ReplayReport {
    replay(&local(), &guest(), vhost, dlq, options, progress, cancelled)
        .await
        .unwrap_or_else(|e| panic!("replay {dlq} in {vhost}: {e}"))
}

/// A replay of `dlq` in `vhost` as `local`, nobody watching its progress or cancelling it.
pub async fn replay_unattended(vhost: &str, dlq: &str, options: &ReplayOptions) -> ReplayReport {
    replay_as_local(vhost, dlq, options, |_| {}, || false).await
}

/// After a run that stopped half-way (`first`) and a second one that finished (`second`):
/// every one of the `total` messages arrived (`arrived`: how often each id is in its origin),
/// and the copies left twice plus those the second run skipped stay within the first run's
/// bound. The duplicates left.
pub fn assert_rerun_within_bound(
    arrived: &std::collections::BTreeMap<String, u64>,
    total: usize,
    first: &ReplayReport,
    second: &ReplayReport,
) -> u64 {
    assert_eq!(arrived.len(), total, "every message arrived");
    let duplicates: u64 = arrived.values().map(|n| n - 1).sum();
    assert!(
        duplicates + second.deduplicated <= first.possible_duplicates,
        "{duplicates} duplicates + {} skipped > bound {}",
        second.deduplicated,
        first.possible_duplicates
    );
    duplicates
}

/// The inventory of `vhost` as `local` lists it, mapped to realms by `template` (`None`: the
/// suggested one).
pub async fn mapped_inventory(
    vhost: &str,
    template: Option<&str>,
) -> warren_core::queues::inventory::Inventory {
    use warren_core::queues::inventory::{load_inventory, InventoryOptions};
    let client = warren_core::broker::management::ManagementClient::new(&local(), guest()).unwrap();
    let opts = InventoryOptions {
        vhost: Some(vhost.to_string()),
        ..Default::default()
    };
    let mut inventory = load_inventory(&client, &opts).await.unwrap();
    inventory.map_realms(template).unwrap();
    inventory
}

/// One first view a load showed (`LoadEvent::FirstPage`).
pub struct FirstView {
    pub rows: Vec<warren_core::queues::QueueRow>,
    pub total: u64,
    pub figures_pending: bool,
}

/// A load with `opts` and every first view it showed, in order.
pub async fn load_with_first_views(
    client: &warren_core::broker::management::ManagementClient,
    opts: &warren_core::queues::inventory::InventoryOptions,
) -> (warren_core::queues::inventory::Inventory, Vec<FirstView>) {
    use warren_core::queues::inventory::{load_inventory_observed, LoadEvent};
    let mut views = Vec::new();
    let whole = load_inventory_observed(client, opts, |e| {
        if let LoadEvent::FirstPage {
            rows,
            total,
            figures_pending,
            ..
        } = e
        {
            views.push(FirstView {
                rows: rows.to_vec(),
                total,
                figures_pending,
            });
        }
    })
    .await
    .unwrap();
    (whole, views)
}
