//! While the window is open, the environment on screen is sampled into its history every
//! `WARREN_SAMPLE_INTERVAL` seconds (default 60), unless a refresh just recorded one. A full
//! listing costs a big broker seconds of CPU: the interval is deliberately longer than
//! `warren watch`'s default, and an operator who wants a dense history runs `warren watch`.

use std::time::Duration;

use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;
use warren_core::{EnvironmentStore, Session};

const DEFAULT_INTERVAL_S: u64 = 60;

fn interval() -> Duration {
    let secs = std::env::var("WARREN_SAMPLE_INTERVAL")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s >= 5)
        .unwrap_or(DEFAULT_INTERVAL_S);
    Duration::from_secs(secs)
}

pub fn start(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let every = interval();
        loop {
            tokio::time::sleep(every).await;
            let current = app.state::<EnvironmentStore>().last_environment();
            let Ok(Some(env_id)) = current else { continue };
            match app.state::<Session>().sample_if_due(&env_id, every).await {
                Ok(Some(r)) => {
                    tracing::debug!(env = %env_id, queues = r.queues, took_ms = r.took_ms, "history: sampled")
                }
                Ok(None) => {}
                Err(e) => tracing::info!(env = %env_id, error = %e, "history: sample failed"),
            }
            notify_new_alerts(&app);
        }
    });
}

/// Tell each alert that opened (after a sample or a refresh) once: a desktop notification
/// titled with the environment (the D-Bus call's failure, e.g. no notification daemon, is
/// not reported by the plugin: the in-app list is the record), and an event for the list.
pub fn notify_new_alerts(app: &AppHandle) {
    for alert in app.state::<Session>().take_new_alerts() {
        let shown = app
            .notification()
            .builder()
            .title(format!("{}: {}", alert.env, alert.message))
            .body(format!("{} · rule {}", alert.subject, alert.rule_id))
            .show();
        if let Err(e) = shown {
            tracing::info!(error = %e, "alerts: no desktop notification");
        }
        tracing::info!(env = %alert.env, rule = %alert.rule_id, subject = %alert.subject, "alerts: opened");
        let _ = app.emit("alerts://fired", &alert);
    }
}
