//! What the app and the CLI did, as structured lines in a file the admin can read: one file a
//! day in `<data dir>/logs/` (`warren-app.log.2026-11-26`, `warren-cli.log…`), the last 14 kept.
//! `WARREN_LOG` sets the filter (default `info`). Lines carry fields (`environment`, `action`,
//! `outcome`…); secrets cannot reach them by construction: passwords are `SecretString`,
//! whose `Debug` prints `[REDACTED]` and which has no `Display`. The files are owner-only (0600),
//! like the audit log: they name environments, queues and who did what.

use std::io::Write;
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// Start logging to the data dir's `logs/` folder. Keep the guard alive for the whole run (it
/// flushes on drop). `None` when the folder cannot be used: Warren runs on without a log.
pub fn init(component: &str) -> Option<WorkerGuard> {
    let dir = crate::audit::data_dir().join("logs");
    crate::config::create_private_dir(&dir).ok()?;
    let prefix = format!("{component}.log");
    // The appender opens today's file as it is built: have it exist owner-only first.
    let mut files = PrivateFiles {
        dir: dir.clone(),
        prefix: prefix.clone(),
        day: String::new(),
        appender: None,
    };
    files.make_private();
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(prefix)
        .max_log_files(14)
        .build(&dir)
        .ok()?;
    files.appender = Some(appender);
    let (writer, guard) = tracing_appender::non_blocking(files);
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

/// The daily files, owner-only. tracing-appender creates each day's file with the process's
/// umask (0644 usually); it appends to a file that exists, so each day's file is created here
/// first, 0600, when the (UTC) day changes, and any group/other bits on the others are removed.
struct PrivateFiles {
    dir: PathBuf,
    prefix: String,
    day: String,
    appender: Option<RollingFileAppender>,
}

impl PrivateFiles {
    fn make_private(&mut self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let day = crate::audit::rfc3339(now.as_secs() as i64, 0)[..10].to_string();
        if day == self.day {
            return;
        }
        let today = self.dir.join(format!("{}.{day}", self.prefix));
        let _ = crate::config::open_private_append(&today);
        private_files(&self.dir, &self.prefix);
        self.day = day;
    }
}

/// Remove group/other permissions from the files in `dir` whose names start with `prefix`.
pub fn private_files(dir: &Path, prefix: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            if !entry.file_name().to_string_lossy().starts_with(prefix) {
                continue;
            }
            if let Ok(meta) = entry.metadata() {
                let mode = meta.permissions().mode();
                if meta.is_file() && mode & 0o077 != 0 {
                    let _ = std::fs::set_permissions(
                        entry.path(),
                        std::fs::Permissions::from_mode(mode & 0o700),
                    );
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, prefix);
}

impl Write for PrivateFiles {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.make_private();
        match &mut self.appender {
            Some(a) => a.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.appender {
            Some(a) => a.flush(),
            None => Ok(()),
        }
    }
}
