//! Brokers behind an SSH jump host: Warren opens the tunnel itself (russh, in-process, so it
//! reads the key's passphrase from the keyring and behaves the same on every OS), checks the
//! jump host's key against `known_hosts` (an unknown or changed key is refused with its
//! fingerprint, never trusted silently), and forwards each broker address it is asked for
//! (management, AMQP, Prometheus) through a listener on 127.0.0.1. One SSH connection per
//! environment and process, opened on first use and kept while the process runs.
//!
//! The clients call `local_url` before each connection: the URL it returns points at the local
//! end of the forward. TLS endpoints cannot be reached that way while their certificate is
//! verified (the host name would be 127.0.0.1): they are refused with an explanation.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex as StdMutex};
use std::time::Duration;

use russh::client;
use russh::keys::{self, HashAlg, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use ts_rs::TS;
use url::Url;

use super::{BrokerError, BrokerErrorKind, CONNECT_TIMEOUT};

/// The SSH jump host an environment's brokers are reached through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SshJump {
    /// A host name, or an alias of `~/.ssh/config` (its HostName, User, Port and IdentityFile
    /// apply unless set here).
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub port: Option<u16>,
    /// A private key file; its passphrase, if any, lives in the keyring (`warren env
    /// set-ssh-passphrase ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub key_file: Option<String>,
    /// Also offer the SSH agent's keys (`SSH_AUTH_SOCK`).
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    #[ts(optional, as = "Option<bool>")]
    pub use_agent: bool,
    /// The known_hosts file the jump host's key is checked against (default
    /// `~/.ssh/known_hosts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub known_hosts: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

/// The keyring account of an environment's key passphrase (ids never contain `:`).
pub fn passphrase_account(env_id: &str) -> String {
    format!("ssh:{env_id}")
}

/// The jump host with `~/.ssh/config` and the defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub keys: Vec<PathBuf>,
    pub known_hosts: PathBuf,
    pub use_agent: bool,
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn expand(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => home().join(rest),
        None => PathBuf::from(p),
    }
}

/// The SSH client config read: `WARREN_SSH_CONFIG` (tests), else `~/.ssh/config` if present.
fn ssh_config() -> Option<ssh2_config::SshConfig> {
    let path = std::env::var_os("WARREN_SSH_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".ssh").join("config"));
    let file = std::fs::File::open(path).ok()?;
    ssh2_config::SshConfig::default()
        .parse(
            &mut std::io::BufReader::new(file),
            ssh2_config::ParseRule::ALLOW_UNKNOWN_FIELDS,
        )
        .ok()
}

/// Explicit fields first, then the SSH config's entry for the host (alias), then the defaults
/// (port 22, `$USER`, `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`, `~/.ssh/known_hosts`).
pub fn resolve(jump: &SshJump) -> Resolved {
    let params = ssh_config().map(|c| c.query(&jump.host));
    let from_config = params.as_ref();
    let keys = match &jump.key_file {
        Some(k) => vec![expand(k)],
        None => from_config
            .and_then(|p| p.identity_file.clone())
            .unwrap_or_else(|| {
                ["id_ed25519", "id_ecdsa", "id_rsa"]
                    .iter()
                    .map(|k| home().join(".ssh").join(k))
                    .filter(|p| p.exists())
                    .collect()
            }),
    };
    Resolved {
        host: from_config
            .and_then(|p| p.host_name.clone())
            .unwrap_or_else(|| jump.host.clone()),
        port: jump
            .port
            .or_else(|| from_config.and_then(|p| p.port))
            .unwrap_or(22),
        user: jump
            .user
            .clone()
            .or_else(|| from_config.and_then(|p| p.user.clone()))
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "root".into()),
        keys,
        known_hosts: jump
            .known_hosts
            .as_deref()
            .map(expand)
            .unwrap_or_else(|| home().join(".ssh").join("known_hosts")),
        use_agent: jump.use_agent,
    }
}

/// Checks the jump host's key against known_hosts and says why it refused one.
struct Checker {
    host: String,
    port: u16,
    known_hosts: PathBuf,
    refusal: Arc<StdMutex<Option<BrokerError>>>,
}

impl Checker {
    fn verdict(&self, key: &keys::PublicKey) -> Result<(), BrokerError> {
        let fp = key.fingerprint(HashAlg::Sha256);
        let (host, port, file) = (&self.host, self.port, self.known_hosts.display());
        let unknown = || {
            BrokerError::new(
                BrokerErrorKind::HostKeyUnknown,
                format!("the jump host {host}:{port} is not in {file} (its key is {fp}): check that fingerprint with the host's owner, then add the key (`ssh-keyscan -p {port} {host} >> {file}`). Warren never trusts an unknown host key by itself"),
            )
        };
        if !self.known_hosts.exists() {
            return Err(unknown());
        }
        match keys::check_known_hosts_path(host, port, key, &self.known_hosts) {
            Ok(true) => Ok(()),
            Ok(false) => Err(unknown()),
            Err(keys::Error::KeyChanged { line }) => Err(BrokerError::new(
                BrokerErrorKind::HostKeyChanged,
                format!("the jump host {host}:{port} presents the key {fp}, but line {line} of {file} records another one for it: the connection may be intercepted, or the host was reinstalled. Verify with its owner before replacing that line; Warren does not connect meanwhile"),
            )),
            Err(e) => Err(BrokerError::new(
                BrokerErrorKind::Ssh,
                format!("cannot read {file} to check the jump host's key: {e}"),
            )),
        }
    }
}

impl client::Handler for Checker {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let verdict = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => self.verdict(key),
            PublicKeyOrCertificate::Certificate(_) => Err(BrokerError::new(
                BrokerErrorKind::Ssh,
                format!("the jump host {}:{} presents a host certificate, which Warren does not check yet: give it a plain host key in known_hosts", self.host, self.port),
            )),
        };
        match verdict {
            Ok(()) => Ok(true),
            Err(e) => {
                *self.refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                Ok(false)
            }
        }
    }
}

/// One SSH connection and the forwards made through it.
pub struct Tunnel {
    jump: SshJump,
    shown: String,
    handle: Arc<client::Handle<Checker>>,
    /// (broker host, port) → local port.
    forwards: tokio::sync::Mutex<HashMap<(String, u16), u16>>,
    tasks: StdMutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
    }
}

/// How long the SSH handshake and authentication may take.
const SSH_TIMEOUT: Duration = Duration::from_secs(10);

impl Tunnel {
    /// Connect to the jump host, check its key, log in (key file, then the agent).
    pub async fn open(
        jump: &SshJump,
        passphrase: Option<SecretString>,
    ) -> Result<Tunnel, BrokerError> {
        let r = resolve(jump);
        let shown = format!("{}@{}:{}", r.user, r.host, r.port);
        let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((r.host.as_str(), r.port))).await {
            Err(_) => {
                return Err(BrokerError::new(
                    BrokerErrorKind::Timeout,
                    format!("the jump host {}:{} did not accept a connection within {} s: check the host and port, and the network to it", r.host, r.port, CONNECT_TIMEOUT.as_secs()),
                ))
            }
            Ok(Err(e)) => {
                let kind = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    BrokerErrorKind::Unreachable
                } else if e.to_string().contains("lookup") || e.to_string().contains("resolve") {
                    BrokerErrorKind::Dns
                } else {
                    BrokerErrorKind::Unreachable
                };
                return Err(BrokerError::new(
                    kind,
                    format!("cannot reach the jump host {}:{} ({e}): check the host and port, and that sshd runs there", r.host, r.port),
                ));
            }
            Ok(Ok(s)) => s,
        };
        let _ = tcp.set_nodelay(true);
        let refusal = Arc::new(StdMutex::new(None));
        let checker = Checker {
            host: r.host.clone(),
            port: r.port,
            known_hosts: r.known_hosts.clone(),
            refusal: refusal.clone(),
        };
        let config = Arc::new(client::Config {
            keepalive_interval: Some(Duration::from_secs(30)),
            nodelay: true,
            ..Default::default()
        });
        let connected =
            tokio::time::timeout(SSH_TIMEOUT, client::connect_stream(config, tcp, checker)).await;
        let mut handle = match connected {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => {
                let refused = refusal.lock().unwrap_or_else(|p| p.into_inner()).take();
                return Err(refused.unwrap_or_else(|| {
                    BrokerError::new(
                        BrokerErrorKind::Ssh,
                        format!("the SSH handshake with the jump host {shown} failed: {e}"),
                    )
                }));
            }
            Err(_) => {
                return Err(BrokerError::new(
                    BrokerErrorKind::Timeout,
                    format!("the jump host {shown} accepted the connection but did not complete the SSH handshake within {} s: is it an SSH port?", SSH_TIMEOUT.as_secs()),
                ))
            }
        };
        tokio::time::timeout(
            SSH_TIMEOUT,
            authenticate(&mut handle, &r, passphrase.as_ref(), &shown),
        )
        .await
        .map_err(|_| {
            BrokerError::new(
                BrokerErrorKind::Timeout,
                format!(
                    "the jump host {shown} did not finish the login within {} s",
                    SSH_TIMEOUT.as_secs()
                ),
            )
        })??;
        tracing::info!(jump = %shown, "tunnel: open");
        Ok(Tunnel {
            jump: jump.clone(),
            shown,
            handle: Arc::new(handle),
            forwards: Default::default(),
            tasks: Default::default(),
        })
    }

    /// The local port forwarding to `host:port` through the jump host, made on first use. The
    /// first use opens a channel at once, so a jump host that refuses to forward (or cannot
    /// reach the broker) says so here, not as a connection closed later.
    pub async fn forward(&self, host: &str, port: u16) -> Result<u16, BrokerError> {
        let mut forwards = self.forwards.lock().await;
        if let Some(p) = forwards.get(&(host.to_string(), port)) {
            return Ok(*p);
        }
        let refused = |e: russh::Error| {
            BrokerError::new(
                BrokerErrorKind::Refused,
                format!("the jump host {} refused to forward to {host}:{port} ({e}): its sshd must allow TCP forwarding (AllowTcpForwarding) and reach that address", self.shown),
            )
        };
        let probe = self
            .handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
            .await
            .map_err(refused)?;
        let _ = probe.close().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| {
            BrokerError::new(
                BrokerErrorKind::Other,
                format!("cannot listen on 127.0.0.1 for the tunnel: {e}"),
            )
        })?;
        let local = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let handle = self.handle.clone();
        let (target, shown) = (host.to_string(), self.shown.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut socket, peer)) = listener.accept().await {
                let (handle, target, shown) = (handle.clone(), target.clone(), shown.clone());
                tokio::spawn(async move {
                    let channel = handle
                        .channel_open_direct_tcpip(
                            target.as_str(),
                            u32::from(port),
                            peer.ip().to_string(),
                            u32::from(peer.port()),
                        )
                        .await;
                    match channel {
                        Ok(ch) => {
                            let mut stream = ch.into_stream();
                            let _ = tokio::io::copy_bidirectional(&mut socket, &mut stream).await;
                        }
                        Err(e) => {
                            tracing::info!(jump = %shown, target = %target, error = %e, "tunnel: channel refused")
                        }
                    }
                });
            }
        });
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(task);
        forwards.insert((host.to_string(), port), local);
        tracing::info!(jump = %self.shown, target = %format!("{host}:{port}"), local, "tunnel: forward");
        Ok(local)
    }

    fn alive(&self) -> bool {
        !self.handle.is_closed()
    }
}

/// Log in as the resolved user: each key file (its passphrase from the keyring), then the
/// agent's keys. The error names what was tried.
async fn authenticate(
    handle: &mut client::Handle<Checker>,
    r: &Resolved,
    passphrase: Option<&SecretString>,
    shown: &str,
) -> Result<(), BrokerError> {
    let ssh = |m: String| BrokerError::new(BrokerErrorKind::Ssh, m);
    let mut tried = vec![];
    let hash = handle
        .best_supported_rsa_hash()
        .await
        .ok()
        .flatten()
        .flatten();
    for path in &r.keys {
        let key = match keys::load_secret_key(path, passphrase.map(|p| p.expose_secret())) {
            Ok(k) => k,
            Err(keys::Error::KeyIsEncrypted) => {
                return Err(ssh(format!("the key {} is protected by a passphrase Warren does not have: store it in the keyring with `warren env set-ssh-passphrase ID` (or the environment's settings)", path.display())))
            }
            Err(e) if passphrase.is_some() && path.exists() => {
                return Err(ssh(format!("cannot open the key {} with the passphrase in the keyring ({e}): is it the right passphrase? Store it again with `warren env set-ssh-passphrase ID`", path.display())))
            }
            Err(e) => return Err(ssh(format!("cannot read the key {} ({e}): check the path", path.display()))),
        };
        let result = handle
            .authenticate_publickey(
                r.user.clone(),
                PrivateKeyWithHashAlg::new(Arc::new(key), hash),
            )
            .await
            .map_err(|e| ssh(format!("the login to {shown} failed: {e}")))?;
        if result.success() {
            return Ok(());
        }
        tried.push(path.display().to_string());
    }
    if r.use_agent && std::env::var_os("SSH_AUTH_SOCK").is_some() {
        if let Ok(mut agent) = keys::agent::client::AgentClient::connect_env().await {
            for identity in agent.request_identities().await.unwrap_or_default() {
                let public = identity.public_key().into_owned();
                let ok = handle
                    .authenticate_publickey_with(r.user.clone(), public, hash, &mut agent)
                    .await
                    .map(|a| a.success())
                    .unwrap_or(false);
                if ok {
                    return Ok(());
                }
            }
            tried.push("the SSH agent's keys".into());
        }
    }
    Err(ssh(if tried.is_empty() {
        format!("no key to log in to {shown}: name one (`--ssh-key PATH`), add an IdentityFile to ~/.ssh/config, or load it into the SSH agent")
    } else {
        format!("the jump host {shown} refused {} for user `{}`: check the user and that its authorized_keys holds the key", tried.join(" and "), r.user)
    }))
}

/// One tunnel per environment and process, each behind its own lock: opening one (seconds,
/// for a slow jump host) never holds up another environment's.
type Slot = Arc<tokio::sync::Mutex<Option<Arc<Tunnel>>>>;
static TUNNELS: LazyLock<StdMutex<HashMap<String, Slot>>> = LazyLock::new(Default::default);

fn slot(env_id: &str) -> Slot {
    TUNNELS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(env_id.to_string())
        .or_default()
        .clone()
}

/// The environment's tunnel: the open one, or a new one (its key passphrase from the keyring).
pub async fn tunnel_for(env_id: &str, jump: &SshJump) -> Result<Arc<Tunnel>, BrokerError> {
    let slot = slot(env_id);
    let mut current = slot.lock().await;
    if let Some(t) = current.as_ref().filter(|t| t.alive() && t.jump == *jump) {
        return Ok(t.clone());
    }
    let passphrase = crate::secrets::Keyring::default()
        .get(&passphrase_account(env_id))
        .ok()
        .flatten();
    let tunnel = Arc::new(Tunnel::open(jump, passphrase).await?);
    *current = Some(tunnel.clone());
    Ok(tunnel)
}

/// Close the environment's tunnel (its settings changed, or it was removed).
pub async fn close(env_id: &str) {
    let slot = TUNNELS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(env_id);
    if let Some(slot) = slot {
        slot.lock().await.take();
    }
}

/// The port a URL's scheme implies when it names none.
fn default_port(url: &Url) -> Option<u16> {
    url.port_or_known_default().or(match url.scheme() {
        "amqp" => Some(5672),
        "amqps" => Some(5671),
        _ => None,
    })
}

/// `url` as this process reaches it: itself without a jump host, else the local end of its
/// forward through the environment's tunnel (opened on first use).
pub async fn local_url(
    env_id: &str,
    jump: Option<&SshJump>,
    url: &Url,
    verify_tls: bool,
) -> Result<Url, BrokerError> {
    let Some(jump) = jump else {
        return Ok(url.clone());
    };
    if verify_tls && matches!(url.scheme(), "https" | "amqps") {
        return Err(BrokerError::new(
            BrokerErrorKind::Ssh,
            format!("{url}: TLS through the jump host is not supported while the certificate is verified (the connection would name 127.0.0.1, not the broker): use the broker's plain port on the private network, or an ssh LocalForward with a host name the certificate names"),
        ));
    }
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_string();
    let port = default_port(url).ok_or_else(|| {
        BrokerError::new(BrokerErrorKind::Other, format!("{url}: no port to forward"))
    })?;
    let local = tunnel_for(env_id, jump).await?.forward(&host, port).await?;
    let mut out = url.clone();
    let _ = out.set_host(Some("127.0.0.1"));
    let _ = out.set_port(Some(local));
    Ok(out)
}

/// Whether a path names a readable file (for the settings' checks).
pub fn readable(path: &str) -> bool {
    Path::new(&expand(path)).is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_of_the_ssh_config_fills_what_the_environment_leaves_out() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config");
        std::fs::write(
            &cfg,
            "Host bastion-eu\n  HostName 10.1.2.3\n  User ops\n  Port 2200\n  IdentityFile /keys/eu\n",
        )
        .unwrap();
        std::env::set_var("WARREN_SSH_CONFIG", &cfg);
        let jump = SshJump {
            host: "bastion-eu".into(),
            user: None,
            port: None,
            key_file: None,
            use_agent: true,
            known_hosts: Some("/kh".into()),
        };
        let r = resolve(&jump);
        assert_eq!(
            (r.host.as_str(), r.port, r.user.as_str()),
            ("10.1.2.3", 2200, "ops")
        );
        assert_eq!(r.keys, vec![PathBuf::from("/keys/eu")]);
        let r = resolve(&SshJump {
            user: Some("me".into()),
            port: Some(22),
            ..jump
        });
        assert_eq!(
            (r.port, r.user.as_str()),
            (22, "me"),
            "the environment's own fields win"
        );
        std::env::remove_var("WARREN_SSH_CONFIG");
    }

    #[test]
    fn amqp_urls_without_a_port_forward_the_protocols_port() {
        assert_eq!(
            default_port(&Url::parse("amqp://rabbit.internal").unwrap()),
            Some(5672)
        );
        assert_eq!(
            default_port(&Url::parse("amqps://rabbit.internal/").unwrap()),
            Some(5671)
        );
        assert_eq!(
            default_port(&Url::parse("http://rabbit.internal:15672").unwrap()),
            Some(15672)
        );
    }
}
