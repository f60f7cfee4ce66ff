//! The demo topology from the window (the empty queue list offers it).

use tauri::State;
use warren_core::demo::DemoReport;
use warren_core::{ErrorReport, Session};

#[tauri::command]
pub async fn demo_seed(s: State<'_, Session>, env_id: String) -> Result<DemoReport, ErrorReport> {
    Ok(s.demo_seed(&env_id).await?)
}
