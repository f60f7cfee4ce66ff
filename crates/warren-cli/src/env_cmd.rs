//! `warren env …`: list, add, edit, duplicate, remove, test, import-rabbitmqadmin.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use warren_core::connection_test::test_connection;
use warren_core::{rabbitmqadmin_import, Environment, EnvironmentStore, Tier, TlsSettings};

use crate::output::{self, json};

#[derive(Subcommand)]
pub enum EnvCommand {
    /// List environments (`--json`: id, name, tier, management_urls, amqp_urls, username, read_only, has_secret, …).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add an environment; `--password-stdin` stores the password in the OS keyring.
    Add {
        id: String,
        #[command(flatten)]
        settings: Settings,
        #[arg(long)]
        json: bool,
    },
    /// Change settings of an environment; only the flags given change.
    Edit {
        id: String,
        #[command(flatten)]
        settings: Settings,
        /// Clear the read-only flag.
        #[arg(long, conflicts_with = "read_only")]
        writable: bool,
        #[arg(long)]
        json: bool,
    },
    /// Copy an environment (and its keyring password) under a new id.
    Duplicate {
        id: String,
        new_id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Remove an environment and its keyring entry.
    Remove {
        id: String,
        /// Print `{"removed": ID}`.
        #[arg(long)]
        json: bool,
    },
    /// Test the management API and AMQP separately; non-zero exit if either fails.
    Test {
        id: String,
        #[arg(long)]
        json: bool,
        /// Read the password for this run from standard input instead of the keyring (not stored).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Deprecated features in use: classic mirroring policies (`ha-*`, gone in 4.x) and what a
    /// 4.x broker reports via /api/deprecated-features/used (`--json`: version, broker_checked,
    /// findings[{severity, feature, subject, message, doc_url?}], warnings).
    Check {
        id: String,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Import the sections of rabbitmqadmin-ng's config (default ~/.rabbitmqadmin.conf).
    ImportRabbitmqadmin {
        path: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
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
    /// Logs link with {worker}, {realm}, {queue}, {vhost}, e.g. a Kibana Discover URL ('' clears it).
    #[arg(long)]
    logs_url: Option<String>,
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
        if let Some(v) = self.realm_template {
            env.realm_template = Some(v).filter(|v| !v.is_empty());
        }
    }
}

pub async fn run(store: &EnvironmentStore, cmd: EnvCommand) -> i32 {
    match cmd {
        EnvCommand::List { json: as_json } => match store.list() {
            Ok(list) if as_json => {
                json(&list);
                0
            }
            Ok(list) => {
                println!(
                    "{:<20} {:<8} {:<28} {:<10} FLAGS",
                    "ID", "TIER", "MANAGEMENT", "USER"
                );
                for v in list {
                    let e = &v.environment;
                    let mut flags = vec![];
                    if e.read_only {
                        flags.push("read-only");
                    }
                    if !v.has_secret {
                        flags.push("no-password");
                    }
                    if !e.tls.verify {
                        flags.push("TLS-VERIFY-OFF");
                    }
                    let tier = format!("{:?}", e.tier).to_lowercase();
                    println!(
                        "{:<20} {:<8} {:<28} {:<10} {}",
                        e.id,
                        tier,
                        e.management_urls.join(","),
                        e.username,
                        flags.join(" ")
                    );
                }
                0
            }
            Err(e) => output::error(&e, as_json),
        },
        EnvCommand::Add {
            id,
            settings,
            json: as_json,
        } => {
            let password = match settings
                .password_stdin
                .then(output::read_stdin_password)
                .transpose()
            {
                Ok(p) => p,
                Err(e) => return output::error(&e, as_json),
            };
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
                logs_url: None,
            };
            settings.apply(&mut env);
            if env.name.is_empty() {
                env.name = env.id.clone();
            }
            finish(store.create(env, password.as_ref()), as_json, "added")
        }
        EnvCommand::Edit {
            id,
            settings,
            writable,
            json: as_json,
        } => {
            let mut env = match store.get(&id) {
                Ok(e) => e,
                Err(e) => return output::error(&e, as_json),
            };
            let password = match settings
                .password_stdin
                .then(output::read_stdin_password)
                .transpose()
            {
                Ok(p) => p,
                Err(e) => return output::error(&e, as_json),
            };
            settings.apply(&mut env);
            if writable {
                env.read_only = false;
            }
            finish(
                store.update(&id, env, password.as_ref()),
                as_json,
                "updated",
            )
        }
        EnvCommand::Duplicate {
            id,
            new_id,
            name,
            json: as_json,
        } => finish(
            store.duplicate(&id, &new_id, name.as_deref()),
            as_json,
            "added",
        ),
        EnvCommand::Remove { id, json: as_json } => match store.remove(&id) {
            Ok(()) if as_json => {
                json(&serde_json::json!({ "removed": id }));
                0
            }
            Ok(()) => {
                println!("removed environment `{id}` and its keyring entry");
                0
            }
            Err(e) => output::error(&e, as_json),
        },
        EnvCommand::Check {
            id,
            json: as_json,
            password_stdin,
        } => run_check(store, &id, as_json, password_stdin).await,
        EnvCommand::Test {
            id,
            json: as_json,
            password_stdin,
        } => {
            let prepared =
                output::password_for_run(password_stdin).and_then(|p| store.with_password(&id, p));
            let (env, password) = match prepared {
                Ok(v) => v,
                Err(e) => return output::error(&e, as_json),
            };
            let report = test_connection(&env, password).await;
            if as_json {
                json(&report);
            } else {
                let m = &report.management;
                if m.ok {
                    println!(
                        "management  ok   RabbitMQ {} on Erlang {} · cluster {} · {} node(s) · user tags [{}]",
                        m.rabbitmq_version.as_deref().unwrap_or("?"),
                        m.erlang_version.as_deref().unwrap_or("?"),
                        m.cluster_name.as_deref().unwrap_or("?"),
                        m.node_count.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
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
            }
            if report.ok() {
                0
            } else {
                1
            }
        }
        EnvCommand::ImportRabbitmqadmin {
            path,
            json: as_json,
        } => {
            let Some(path) = path.or_else(rabbitmqadmin_import::default_path) else {
                eprintln!("error: no home directory: give the path of rabbitmqadmin.conf");
                return 1;
            };
            match rabbitmqadmin_import::apply(store, &path) {
                Ok(report) if as_json => {
                    json(&report);
                    0
                }
                Ok(report) => {
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
                    0
                }
                Err(e) => output::error(&e, as_json),
            }
        }
    }
}

fn finish(
    result: warren_core::Result<warren_core::EnvironmentView>,
    as_json: bool,
    verb: &str,
) -> i32 {
    match result {
        Ok(view) if as_json => {
            json(&view);
            0
        }
        Ok(view) => {
            let pw = if view.has_secret {
                "password in the OS keyring"
            } else {
                "no password stored"
            };
            println!("{verb} environment `{}` ({pw})", view.environment.id);
            0
        }
        Err(e) => output::error(&e, as_json),
    }
}

/// `warren env check`: what the environment uses that RabbitMQ deprecated or removed.
async fn run_check(store: &EnvironmentStore, id: &str, as_json: bool, password_stdin: bool) -> i32 {
    let prepared =
        output::password_for_run(password_stdin).and_then(|p| store.with_password(id, p));
    let report = match prepared {
        Ok((env, password)) => warren_core::deprecations::check_deprecations(&env, password).await,
        Err(e) => Err(e),
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => return output::error(&e, as_json),
    };
    if as_json {
        json(&report);
        return 0;
    }
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
    0
}
