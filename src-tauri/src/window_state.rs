//! Remember the window's size and position across starts. tauri-plugin-window-state writes its
//! file only on a clean exit; saving shortly after the user stops resizing or moving also keeps
//! it when the app is killed (logout, crash, a test driver ending the session).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Runtime};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

static LATEST: AtomicU64 = AtomicU64::new(0);

/// Save 400 ms after the last resize/move event (a drag sends dozens).
pub fn save_soon<R: Runtime>(app: &AppHandle<R>) {
    let this = LATEST.fetch_add(1, Ordering::SeqCst) + 1;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        if LATEST.load(Ordering::SeqCst) == this {
            let _ = app.save_window_state(StateFlags::all());
        }
    });
}
