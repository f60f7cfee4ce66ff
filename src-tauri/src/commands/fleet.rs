//! The fleet overview: every environment's status, each sent on `on_status` as soon as it is
//! known (a slow or dead environment never holds the other cards back), then all of them.

use std::time::Duration;

use tauri::ipc::Channel;
use tauri::State;
use warren_core::fleet::{EnvStatus, FleetOptions};
use warren_core::{ErrorReport, Session};

#[tauri::command]
pub async fn fleet_status(
    s: State<'_, Session>,
    quick: bool,
    on_status: Channel<EnvStatus>,
) -> Result<Vec<EnvStatus>, ErrorReport> {
    let opts = FleetOptions {
        quick,
        budget: Duration::from_secs(8),
        ..FleetOptions::default()
    };
    Ok(
        s.fleet_status(None, &opts, |status| drop(on_status.send(status.clone())))
            .await?,
    )
}

/// One environment's health checks, nodes and alarms (the fleet card without the queue
/// figures), for its environment page.
#[tauri::command]
pub async fn environment_health(
    s: State<'_, Session>,
    id: String,
) -> Result<EnvStatus, ErrorReport> {
    let opts = FleetOptions {
        quick: true,
        ..FleetOptions::default()
    };
    let mut all = s.fleet_status(Some(vec![id]), &opts, |_| {}).await?;
    Ok(all.remove(0))
}
