//! `warren env …`: list, add, edit, duplicate, remove, test, import-rabbitmqadmin.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use warren_core::alerts::AlertRule;
use warren_core::broker::tunnel::SshJump;
use warren_core::connection_test::test_connection;
use warren_core::{rabbitmqadmin_import, Environment, EnvironmentStore, Tier, TlsSettings};

use crate::output::{self, Exit, Output, RunPassword};

#[derive(Subcommand)]
pub enum EnvCommand {
    /// List environments (`--json`: id, name, tier, management_urls, amqp_urls, username, read_only, has_secret, …).
    List {
        #[command(flatten)]
        out: Output,
    },
    /// One environment's settings (`--json`: as in `env list`).
    Show {
        id: String,
        #[command(flatten)]
        out: Output,
    },
    /// Add an environment; `--password-stdin` stores the password in the OS keyring.
    Add {
        id: String,
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        out: Output,
    },
    /// Change settings of an environment; only the flags given change.
    Edit {
        id: String,
        #[command(flatten)]
        settings: Settings,
        /// Clear the read-only flag.
        #[arg(long, conflicts_with = "read_only")]
        writable: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Copy an environment (and its keyring password) under a new id.
    Duplicate {
        id: String,
        new_id: String,
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        out: Output,
    },
    /// Remove an environment and its keyring entry (`--json`: `{"removed": ID}`).
    Remove {
        id: String,
        #[command(flatten)]
        out: Output,
    },
    /// Test the management API and AMQP separately; non-zero exit if either fails.
    Test {
        id: String,
        #[command(flatten)]
        out: Output,
        #[command(flatten)]
        password: RunPassword,
    },
    /// Deprecated features in use: classic mirroring policies (`ha-*`, gone in 4.x) and what a
    /// 4.x broker reports via /api/deprecated-features/used (`--json`: version, broker_checked,
    /// findings[{severity, feature, subject, message, doc_url?}], warnings).
    Check {
        id: String,
        #[command(flatten)]
        out: Output,
        #[command(flatten)]
        password: RunPassword,
    },
    /// Import the sections of rabbitmqadmin-ng's config (default ~/.rabbitmqadmin.conf).
    ImportRabbitmqadmin {
        path: Option<PathBuf>,
        #[command(flatten)]
        out: Output,
    },
    /// Store the passphrase of the jump host's key in the OS keyring, read from standard
    /// input (never an argument: it would be in the shell history); an empty line removes it.
    SetSshPassphrase { id: String },
}

#[derive(Args, Default)]
pub struct Settings {
    #[arg(long)]
    name: Option<String>,
    #[arg(long, value_parser = parse_tier)]
    tier: Option<Tier>,
    /// Management base URL; repeat for each node of the cluster (tried in order).
    #[arg(long = "management-url")]
    management_urls: Vec<String>,
    /// AMQP URL; repeat for each node of the cluster (tried in order).
    #[arg(long = "amqp-url")]
    amqp_urls: Vec<String>,
    #[arg(long)]
    username: Option<String>,
    /// Read the password from standard input and store it in the OS keyring.
    #[arg(long)]
    password_stdin: bool,
    /// Default vhost filter (empty string: all vhosts).
    #[arg(long)]
    vhost: Option<String>,
    #[arg(long)]
    read_only: bool,
    /// PEM CA bundle to trust for HTTPS/AMQPS.
    #[arg(long)]
    ca_bundle: Option<String>,
    #[arg(long, requires = "client_key")]
    client_cert: Option<String>,
    #[arg(long, requires = "client_cert")]
    client_key: Option<String>,
    /// Turn TLS certificate verification off for this environment (shown as a warning everywhere).
    #[arg(long)]
    no_tls_verify: bool,
    /// Queue naming template mapping queues to worker and realm, e.g. `{worker}.{realm}`.
    #[arg(long)]
    realm_template: Option<String>,
    /// A queue that is not partitioned by realm: a name, a glob (`events.*`, `*.stream`) or a
    /// /regex/; repeat for several (they replace the list; '' clears it).
    #[arg(long = "realm-exclude", value_name = "PATTERN")]
    realm_exclude: Vec<String>,
    /// Logs link with {worker}, {realm}, {queue}, {vhost}, e.g. a Kibana Discover URL ('' clears it).
    #[arg(long)]
    logs_url: Option<String>,
    /// The rabbitmq_prometheus endpoint, e.g. http://rabbit.internal:15692 ('' = the default:
    /// the management URL's host on port 15692). Warren reads queue metrics there when it answers.
    #[arg(long)]
    prometheus_url: Option<String>,
    /// An alert rule, evaluated on every sample (`warren watch`, the window): `dlq_growth by=100
    /// within=10m [queue=Q]`, `no_consumer for=15m [queue=Q]`, `realm_backlog above=50000
    /// [realm=R]`, `node_down_or_alarm`; each takes `id=NAME`. Repeat for several (they replace
    /// the list; '' clears it).
    #[arg(long = "alert", value_name = "RULE", value_parser = parse_alert)]
    alerts: Vec<Option<AlertRule>>,
    /// Reach the brokers through this SSH jump host: a host name or an alias of ~/.ssh/config
    /// ('' removes the jump host). Its key is checked against known_hosts, never skipped.
    #[arg(long)]
    ssh_host: Option<String>,
    /// The jump host's user (default: ~/.ssh/config's, else $USER).
    #[arg(long, requires = "ssh_host")]
    ssh_user: Option<String>,
    /// The jump host's SSH port (default: ~/.ssh/config's, else 22).
    #[arg(long, requires = "ssh_host")]
    ssh_port: Option<u16>,
    /// The private key to log in with (default: ~/.ssh/config's IdentityFile, else
    /// ~/.ssh/id_ed25519, id_ecdsa, id_rsa); its passphrase: `warren env set-ssh-passphrase ID`.
    #[arg(long, requires = "ssh_host")]
    ssh_key: Option<String>,
    /// Do not offer the SSH agent's keys.
    #[arg(long, requires = "ssh_host")]
    ssh_no_agent: bool,
    /// The known_hosts file to check the jump host's key against (default ~/.ssh/known_hosts).
    #[arg(long, requires = "ssh_host")]
    ssh_known_hosts: Option<String>,
}

/// A rule, or `None` for '' (clear the list).
fn parse_alert(s: &str) -> Result<Option<AlertRule>, String> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        AlertRule::parse(s).map(Some)
    }
}

fn parse_tier(s: &str) -> Result<Tier, String> {
    s.parse()
}

impl Settings {
    fn apply(self, env: &mut Environment) {
        if let Some(v) = self.name {
            env.name = v;
        }
        if let Some(v) = self.tier {
            env.tier = v;
        }
        if !self.management_urls.is_empty() {
            env.management_urls = self.management_urls;
        }
        if !self.amqp_urls.is_empty() {
            env.amqp_urls = self.amqp_urls;
        }
        if let Some(v) = self.username {
            env.username = v;
        }
        if let Some(v) = self.vhost {
            env.vhost = Some(v).filter(|v| !v.is_empty());
        }
        if self.read_only {
            env.read_only = true;
        }
        if let Some(v) = self.ca_bundle {
            env.tls.ca_bundle = Some(v).filter(|v| !v.is_empty());
        }
        if let (Some(c), Some(k)) = (self.client_cert, self.client_key) {
            env.tls.client_cert = Some(c).filter(|v| !v.is_empty());
            env.tls.client_key = Some(k).filter(|v| !v.is_empty());
        }
        if self.no_tls_verify {
            env.tls.verify = false;
        }
        if let Some(v) = self.logs_url {
            env.logs_url = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = self.prometheus_url {
            env.prometheus_url = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = self.realm_template {
            env.realm_template = Some(v).filter(|v| !v.is_empty());
        }
        if !self.realm_exclude.is_empty() {
            env.realm_exclude = self
                .realm_exclude
                .into_iter()
                .filter(|p| !p.trim().is_empty())
                .collect();
        }
        if !self.alerts.is_empty() {
            env.alerts = self.alerts.into_iter().flatten().collect();
        }
        if let Some(host) = self.ssh_host {
            env.ssh = (!host.trim().is_empty()).then_some(SshJump {
                host,
                user: self.ssh_user,
                port: self.ssh_port,
                key_file: self.ssh_key,
                use_agent: !self.ssh_no_agent,
                known_hosts: self.ssh_known_hosts,
            });
        }
    }
}

impl Settings {
    /// The password `--password-stdin` gives, to store in the keyring.
    fn password(&self) -> Result<Option<secrecy::SecretString>, warren_core::Error> {
        self.password_stdin
            .then(output::read_stdin_password)
            .transpose()
    }
}

pub async fn run(store: &EnvironmentStore, cmd: EnvCommand) -> Exit {
    match cmd {
        EnvCommand::List { out } => out.show(&store.list()?, |list| {
            let rows = list.iter().map(|v| {
                let e = &v.environment;
                let flags = [
                    (e.read_only, "read-only"),
                    (!v.has_secret, "no-password"),
                    (!e.tls.verify, "TLS-VERIFY-OFF"),
                ];
                vec![
                    e.id.clone(),
                    format!("{:?}", e.tier).to_lowercase(),
                    e.management_urls.join(","),
                    e.username.clone(),
                    flags
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, flag)| *flag)
                        .collect::<Vec<_>>()
                        .join(" "),
                ]
            });
            output::print_table(&["ID", "TIER", "MANAGEMENT", "USER", "FLAGS"], rows);
        }),
        EnvCommand::Show { id, out } => {
            out.show(&store.view(&id)?, print_environment);
        }
        EnvCommand::Add { id, settings, out } => {
            let password = settings.password()?;
            let mut env = Environment {
                id,
                name: String::new(),
                tier: Tier::Dev,
                management_urls: vec![],
                amqp_urls: vec![],
                username: String::new(),
                vhost: None,
                tls: TlsSettings::default(),
                read_only: false,
                realm_template: None,
                realm_exclude: Vec::new(),
                logs_url: None,
                prometheus_url: None,
                alerts: Vec::new(),
                ssh: None,
            };
            settings.apply(&mut env);
            if env.name.is_empty() {
                env.name = env.id.clone();
            }
            saved(store.create(env, password.as_ref())?, out, "added");
        }
        EnvCommand::Edit {
            id,
            settings,
            writable,
            out,
        } => {
            let mut env = store.get(&id)?;
            let password = settings.password()?;
            settings.apply(&mut env);
            if writable {
                env.read_only = false;
            }
            saved(store.update(&id, env, password.as_ref())?, out, "updated");
        }
        EnvCommand::Duplicate {
            id,
            new_id,
            name,
            out,
        } => saved(
            store.duplicate(&id, &new_id, name.as_deref())?,
            out,
            "added",
        ),
        EnvCommand::Remove { id, out } => {
            store.remove(&id)?;
            // The window's last inventory of it (queue names) goes too.
            let kept = warren_core::queues::last_known::LastKnownInventories::default();
            if let Err(e) = kept.forget(&id) {
                eprintln!(
                    "warning: could not remove {}: {e}; delete it by hand",
                    kept.path_for(&id).display()
                );
            }
            out.show(&serde_json::json!({ "removed": id }), |_| {
                println!("removed environment `{id}`, its keyring entry and its last loaded queue list");
                println!("kept: its recorded history (`warren history info --env {id}`) and its audit records")
            });
        }
        EnvCommand::Check { id, out, password } => {
            let (env, password) = password.open(store, &id)?;
            let report = warren_core::deprecations::check_deprecations(&env, password).await?;
            out.show(&report, print_deprecations);
        }
        EnvCommand::Test { id, out, password } => {
            let (env, password) = password.open(store, &id)?;
            let report = test_connection(&env, password).await;
            out.show(&report, print_connection_test);
            return Ok(i32::from(!report.ok()) * output::FAILED);
        }
        EnvCommand::SetSshPassphrase { id } => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| warren_core::Error::FileRead {
                    path: "standard input".into(),
                    reason: e.to_string(),
                })?;
            let passphrase =
                secrecy::SecretString::from(line.trim_end_matches(['\n', '\r']).to_string());
            if secrecy::ExposeSecret::expose_secret(&passphrase).is_empty() {
                store.set_ssh_passphrase(&id, None)?;
                eprintln!("removed the jump host key's passphrase of `{id}` from the keyring");
            } else {
                store.set_ssh_passphrase(&id, Some(&passphrase))?;
                eprintln!("stored the jump host key's passphrase of `{id}` in the keyring");
            }
        }
        EnvCommand::ImportRabbitmqadmin { path, out } => {
            let path = path
                .or_else(rabbitmqadmin_import::default_path)
                .ok_or_else(|| {
                    warren_core::Error::InvalidArgument(
                        "no home directory: give the path of rabbitmqadmin.conf".into(),
                    )
                })?;
            out.show(&rabbitmqadmin_import::apply(store, &path)?, |report| {
                for i in &report.imported {
                    let pw = if i.has_secret {
                        "password in keyring"
                    } else {
                        "no password"
                    };
                    println!("imported  [{}] as `{}` ({pw})", i.section, i.id);
                }
                for s in &report.skipped {
                    println!("skipped   [{}]: {}", s.section, s.reason);
                }
            });
        }
    }
    Ok(0)
}

/// An environment created or changed: the view, or a line saying where its password is.
fn saved(view: warren_core::EnvironmentView, out: Output, verb: &str) {
    out.show(&view, |view| {
        let pw = if view.has_secret {
            "password in the OS keyring"
        } else {
            "no password stored"
        };
        println!("{verb} environment `{}` ({pw})", view.environment.id);
    });
}

/// `warren env show` for people: one setting a line, unset ones left out.
fn print_environment(view: &warren_core::EnvironmentView) {
    let e = &view.environment;
    let mut lines = vec![
        ("id", e.id.clone()),
        ("name", e.name.clone()),
        ("tier", format!("{:?}", e.tier).to_lowercase()),
        ("management", e.management_urls.join(", ")),
        ("amqp", e.amqp_urls.join(", ")),
        ("username", e.username.clone()),
        (
            "password",
            if view.has_secret {
                "in the OS keyring"
            } else {
                "none stored"
            }
            .into(),
        ),
        ("vhost", e.vhost.clone().unwrap_or_else(|| "all".into())),
        (
            "realm template",
            e.realm_template
                .clone()
                .unwrap_or_else(|| "auto (suggested from the queue names)".into()),
        ),
    ];
    if !e.realm_exclude.is_empty() {
        lines.push(("realm exclude", e.realm_exclude.join(", ")));
    }
    for rule in &e.alerts {
        lines.push(("alert", rule.spec()));
    }
    if let Some(j) = &e.ssh {
        lines.push((
            "ssh jump host",
            format!(
                "{}{}{}{}",
                j.user.as_ref().map(|u| format!("{u}@")).unwrap_or_default(),
                j.host,
                j.port.map(|p| format!(":{p}")).unwrap_or_default(),
                j.key_file
                    .as_ref()
                    .map(|k| format!(" (key {k})"))
                    .unwrap_or_default()
            ),
        ));
    }
    if let Some(u) = &e.logs_url {
        lines.push(("logs", u.clone()));
    }
    match (
        &e.prometheus_url,
        warren_core::broker::prometheus::endpoint(e),
    ) {
        (Some(u), _) => lines.push(("prometheus", u.clone())),
        (None, Some(u)) => lines.push(("prometheus", format!("{u} (default)"))),
        (None, None) => {}
    }
    if e.read_only {
        lines.push(("read-only", "yes".into()));
    }
    if !e.tls.verify {
        lines.push(("TLS verify", "OFF".into()));
    }
    for (k, v) in lines {
        println!("{k:<15} {v}");
    }
}

fn print_connection_test(report: &warren_core::connection_test::ConnectionReport) {
    let m = &report.management;
    if m.ok {
        println!(
            "management  ok   RabbitMQ {} on Erlang {} · cluster {} · {} node(s) · user tags [{}]",
            m.rabbitmq_version.as_deref().unwrap_or("?"),
            m.erlang_version.as_deref().unwrap_or("?"),
            m.cluster_name.as_deref().unwrap_or("?"),
            m.node_count
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into()),
            m.user_tags.clone().unwrap_or_default().join(", ")
        );
    } else {
        println!(
            "management  FAIL {}",
            m.error.as_deref().unwrap_or("unknown error")
        );
    }
    for w in &m.warnings {
        println!("            note: {w}");
    }
    match &report.amqp.error {
        None => println!("amqp        ok"),
        Some(e) => println!("amqp        FAIL {e}"),
    }
    let p = &report.prometheus;
    println!(
        "prometheus  {} {}",
        if p.ok { "ok  " } else { "warn" },
        p.message
    );
}

/// `warren env check` for people: what the environment uses that RabbitMQ deprecated or removed.
fn print_deprecations(report: &warren_core::deprecations::DeprecationReport) {
    use warren_core::deprecations::DeprecationSeverity as S;
    for f in &report.findings {
        let label = match f.severity {
            S::BreaksOnUpgrade => "WILL BREAK ON UPGRADE",
            S::InUseAndDeprecated => "IN USE AND DEPRECATED",
            S::NoEffect => "NO EFFECT",
        };
        println!("{label}  {}", f.message);
    }
    if report.findings.is_empty() {
        println!(
            "no deprecated features in use (RabbitMQ {}{})",
            report.rabbitmq_version.as_deref().unwrap_or("?"),
            if report.broker_checked {
                ", checked by the broker too"
            } else {
                "; this broker has no deprecated-features API, Warren checked the policies"
            }
        );
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
}
