//! The audit log for the window: its records and the state of its hash chain. Read-only.

use warren_core::audit::{AuditLog, AuditRecord, Verification};
use warren_core::ErrorReport;

/// Every record, oldest first. Does not modify state.
#[tauri::command]
pub async fn audit_list() -> Result<Vec<AuditRecord>, ErrorReport> {
    Ok(AuditLog::open_default().read()?)
}

/// Check the hash chain. Does not modify state.
#[tauri::command]
pub async fn audit_verify() -> Result<Verification, ErrorReport> {
    Ok(AuditLog::open_default().verify()?)
}
