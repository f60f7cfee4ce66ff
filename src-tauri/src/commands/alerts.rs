//! Alerts: the list (every environment's, open ones first) and each environment's rules,
//! written one per line as in the CLI.

use tauri::State;
use warren_core::alerts::Alert;
use warren_core::{EnvironmentView, ErrorReport, Session};

#[tauri::command]
pub async fn alerts_list(
    s: State<'_, Session>,
    env_id: Option<String>,
    limit: usize,
) -> Result<Vec<Alert>, ErrorReport> {
    Ok(s.alerts_list(env_id.as_deref(), limit.clamp(1, 1000))
        .await?)
}

#[tauri::command]
pub async fn alert_rules(
    s: State<'_, Session>,
    env_id: String,
) -> Result<Vec<String>, ErrorReport> {
    Ok(s.alert_rules(&env_id)?)
}

#[tauri::command]
pub async fn alert_rules_set(
    s: State<'_, Session>,
    env_id: String,
    rules: Vec<String>,
) -> Result<EnvironmentView, ErrorReport> {
    Ok(s.set_alert_rules(&env_id, &rules)?)
}
