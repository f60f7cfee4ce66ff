//! Drift between two environments (or two vhosts), and its export to the Downloads folder.

use tauri::State;
use warren_core::drift::DriftReport;
use warren_core::{ErrorReport, Session};

#[tauri::command]
pub async fn drift_compare(
    s: State<'_, Session>,
    env_a: String,
    vhost_a: Option<String>,
    env_b: String,
    vhost_b: Option<String>,
) -> Result<DriftReport, ErrorReport> {
    Ok(s.drift(&env_a, vhost_a, &env_b, vhost_b).await?)
}

#[tauri::command]
pub async fn drift_export(
    s: State<'_, Session>,
    report: DriftReport,
    csv: bool,
) -> Result<String, ErrorReport> {
    Ok(s.drift_export(&report, csv)?)
}
