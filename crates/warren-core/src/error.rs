//! The one error type of warren-core. Each variant reads as a sentence an operator can act on;
//! none ever carries a secret (passwords are never formatted into an error).

use serde::Serialize;
use ts_rs::TS;

/// One invalid field of a form or a command line, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FieldError {
    /// The field, as the form names it: `management_urls[1]`, `username`, `tls.client_key`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid environment: {}", format_fields(.0))]
    Invalid(Vec<FieldError>),

    #[error("{0}")]
    InvalidArgument(String),

    #[error("no environment with id `{0}`; `warren env list` shows the ids")]
    UnknownEnvironment(String),

    #[error("an environment with id `{0}` already exists; pick another id or edit that one")]
    DuplicateEnvironment(String),

    #[error("environment `{0}` is read-only; turn off its read-only flag to change the broker")]
    ReadOnly(String),

    #[error("no password stored for environment `{0}`: set one (UI: Edit environment; CLI: `warren env edit {0} --password-stdin`) or pass WARREN_PASSWORD for one run")]
    MissingSecret(String),

    #[error("no OS keyring is reachable: {detail}. Warren keeps passwords only in the OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows) and never in a file. On Linux start a desktop session or gnome-keyring-daemon inside a D-Bus session, or pass the password for one run with --password-stdin / WARREN_PASSWORD")]
    KeyringUnavailable { detail: String },

    #[error("the OS keyring refused the operation: {0}")]
    Keyring(String),

    #[error("cannot read config file {path}: {reason}")]
    ConfigRead { path: String, reason: String },

    #[error("cannot write config file {path}: {reason}")]
    ConfigWrite { path: String, reason: String },

    #[error("cannot read {path}: {reason}")]
    FileRead { path: String, reason: String },

    #[error("cannot write {path}: {reason}")]
    FileWrite { path: String, reason: String },

    #[error("{0}")]
    Broker(#[from] crate::broker::BrokerError),

    #[error("the queues of environment `{0}` are not loaded yet: open the Queues tab or refresh")]
    NotLoaded(String),

    #[error("the head message of quorum queue `{queue}` (vhost `{vhost}`) has been given back {returned} time(s) against its delivery limit of {limit}: its next read makes the broker drop or dead-letter it, and every browse is a read. Replay or move the messages instead, or insist to read anyway (CLI: --insist)")]
    NearDeliveryLimit {
        vhost: String,
        queue: String,
        returned: u64,
        limit: u64,
    },

    #[error("`{queue}` (vhost `{vhost}`) is a stream: {action} does not apply to streams (reading one removes nothing, and messages leave only by the stream's retention, max-age or max-length-bytes)")]
    NotForStreams {
        action: String,
        vhost: String,
        queue: String,
    },

    /// The local history store failed (a damaged or unwritable file, a worker thread lost).
    #[error("history store: {0}")]
    History(String),

    /// A message published with `mandatory` came back: nothing received it.
    #[error("no queue is bound to {} with routing key `{routing_key}` in vhost `{vhost}`: the broker returned the message{}", exchange_words(.exchange), .kept)]
    Unroutable {
        vhost: String,
        exchange: String,
        routing_key: String,
        /// What became of the message (e.g. " and the original stays in the DLQ"); may be empty.
        kept: String,
    },

    /// A message looked up by its id or key is not among those read.
    #[error("no message in `{queue}` (vhost `{vhost}`) has the message id or key `{id}` among the {read} message(s) read from its head; `warren dlq show` lists them")]
    MessageNotFound {
        vhost: String,
        queue: String,
        id: String,
        read: u32,
    },
}

fn exchange_words(exchange: &str) -> String {
    if exchange.is_empty() {
        "the default exchange (no queue has that name)".to_string()
    } else {
        format!("exchange `{exchange}`")
    }
}

fn format_fields(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// A stable machine-readable name for the UI and `--json` output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::InvalidArgument(_) => "invalid_argument",
            Error::UnknownEnvironment(_) => "unknown_environment",
            Error::DuplicateEnvironment(_) => "duplicate_environment",
            Error::ReadOnly(_) => "read_only",
            Error::MissingSecret(_) => "missing_secret",
            Error::KeyringUnavailable { .. } => "keyring_unavailable",
            Error::Keyring(_) => "keyring",
            Error::ConfigRead { .. } | Error::ConfigWrite { .. } => "config",
            Error::FileRead { .. } | Error::FileWrite { .. } => "file",
            Error::Broker(e) => e.kind.as_str(),
            Error::NotLoaded(_) => "not_loaded",
            Error::NearDeliveryLimit { .. } => "near_delivery_limit",
            Error::NotForStreams { .. } => "not_for_streams",
            Error::History(_) => "history",
            Error::Unroutable { .. } => "unroutable",
            Error::MessageNotFound { .. } => "message_not_found",
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            Error::Invalid(f) => f,
            _ => &[],
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error as the UI receives it over IPC: a stable kind, the sentence, and field errors.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ErrorReport {
    pub kind: String,
    pub message: String,
    pub fields: Vec<FieldError>,
}

/// The one conversion to what crosses IPC: a command body ends in `?`.
impl From<Error> for ErrorReport {
    fn from(e: Error) -> Self {
        ErrorReport::from(&e)
    }
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        ErrorReport {
            kind: e.kind().to_string(),
            message: e.to_string(),
            fields: e.fields().to_vec(),
        }
    }
}
