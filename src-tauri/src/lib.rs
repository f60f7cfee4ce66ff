//! The Tauri shell: builds the window, holds the session (environment store, loaded inventories,
//! running jobs), registers the commands. No business logic lives here; each command is one
//! call into warren-core.

mod commands;
mod sampler;
mod window_state;

use tauri::Manager;
use warren_core::{EnvironmentStore, Session};

pub fn run() {
    // Start-up phases go to the log: where the time to the first window goes (the e2e run
    // measures the whole, process start to the environment list).
    let started = std::time::Instant::now();
    let since = move || started.elapsed().as_millis() as u64;
    let _log = warren_core::logging::init("warren-app");
    let store = EnvironmentStore::open_default();
    tauri::Builder::default()
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .setup(move |app| {
            sampler::start(app.handle());
            tracing::info!(elapsed_ms = since(), "start-up: the app is set up");
            Ok(())
        })
        .on_page_load(move |_, page| {
            tracing::info!(elapsed_ms = since(), event = ?page.event(), "start-up: page load");
        })
        .on_window_event(|window, event| {
            if matches!(
                event,
                tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Moved(_)
            ) {
                window_state::save_soon(window.app_handle());
            }
        })
        // The environment commands take the store; the others the session, which holds a copy
        // of the same store (it is a path: both read and write the same config file).
        .manage(store.clone())
        .manage(Session::new(store))
        .invoke_handler(tauri::generate_handler![
            commands::environments::app_start,
            commands::environments::environments_list,
            commands::environments::environment_create,
            commands::environments::environment_update,
            commands::environments::environment_duplicate,
            commands::environments::environment_remove,
            commands::environments::environment_select,
            commands::environments::environment_test,
            commands::environments::environment_deprecations,
            commands::environments::environments_import_rabbitmqadmin,
            commands::environments::logs_link,
            commands::environments::environment_ssh_passphrase,
            commands::queues::queues_refresh,
            commands::queues::queues_filter,
            commands::queues::queues_purge,
            commands::queues::queue_details,
            commands::queues::queues_move,
            commands::queues::queues_move_cancel,
            commands::realms::realms_summary,
            commands::realms::realms_preview,
            commands::realms::realms_policy,
            commands::realms::realms_policies,
            commands::realms::realms_policy_remove,
            commands::realms::realms_dead_letters,
            commands::realms::realms_consumers,
            commands::deadletters::dlq_list,
            commands::deadletters::dlq_browse,
            commands::deadletters::dlq_plan,
            commands::deadletters::dlq_replay,
            commands::deadletters::dlq_cancel,
            commands::deadletters::dlq_export,
            commands::messages::messages_peek,
            commands::messages::messages_publish,
            commands::messages::dlq_edit_preview,
            commands::messages::dlq_edit_retry,
            commands::audit::audit_list,
            commands::environments::environment_arm,
            commands::environments::environment_disarm,
            commands::audit::audit_verify,
            commands::demo::demo_seed,
            commands::history::history_series,
            commands::history::history_sparklines,
            commands::history::history_growers,
            commands::history::history_info,
            commands::fleet::fleet_status,
            commands::fleet::environment_health,
            commands::drift::drift_compare,
            commands::drift::drift_export,
            commands::alerts::alerts_list,
            commands::alerts::alert_rules,
            commands::alerts::alert_rules_set,
        ])
        .run(tauri::generate_context!())
        .expect("error while running Warren");
}
