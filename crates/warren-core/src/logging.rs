//! What the app and the CLI did, as structured lines in a file the admin can read: one file a
//! day in `<data dir>/logs/` (`warren-app.log.2026-11-26`, `warren-cli.log…`), the last 14 kept.
//! `WARREN_LOG` sets the filter (default `info`). Lines carry fields (`environment`, `action`,
//! `outcome`…); secrets cannot reach them by construction: passwords are `SecretString`,
//! whose `Debug` prints `[REDACTED]` and which has no `Display`.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;

/// Start logging to the data dir's `logs/` folder. Keep the guard alive for the whole run (it
/// flushes on drop). `None` when the folder cannot be used: Warren runs on without a log.
pub fn init(component: &str) -> Option<WorkerGuard> {
    let dir = crate::audit::data_dir().join("logs");
    crate::config::create_private_dir(&dir).ok()?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(format!("{component}.log"))
        .max_log_files(14)
        .build(&dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("WARREN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_target(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    tracing::info!(component, version = env!("CARGO_PKG_VERSION"), "started");
    Some(guard)
}
