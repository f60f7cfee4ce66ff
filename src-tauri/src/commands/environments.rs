//! Environment commands. Passwords arrive once from the form and go straight into a
//! `SecretString` and the keyring; no command ever returns one.

use secrecy::SecretString;
use tauri::State;
use warren_core::connection_test::ConnectionReport;
use warren_core::deprecations::DeprecationReport;
use warren_core::logs::LogsTarget;
use warren_core::rabbitmqadmin_import::ImportReport;
use warren_core::store::AppStart;
use warren_core::{Environment, EnvironmentStore, EnvironmentView, Error, ErrorReport, Session};

type CommandResult<T> = Result<T, ErrorReport>;

fn secret(password: Option<String>) -> Option<SecretString> {
    password.filter(|p| !p.is_empty()).map(SecretString::from)
}

/// Creates the `local` environment on the very first start and says which one to open.
#[tauri::command]
pub async fn app_start(store: State<'_, EnvironmentStore>) -> CommandResult<AppStart> {
    Ok(store.app_start()?)
}

#[tauri::command]
pub async fn environments_list(
    store: State<'_, EnvironmentStore>,
) -> CommandResult<Vec<EnvironmentView>> {
    Ok(store.list()?)
}

#[tauri::command]
pub async fn environment_create(
    store: State<'_, EnvironmentStore>,
    environment: Environment,
    password: Option<String>,
) -> CommandResult<EnvironmentView> {
    Ok(store.create(environment, secret(password).as_ref())?)
}

#[tauri::command]
pub async fn environment_update(
    store: State<'_, EnvironmentStore>,
    id: String,
    environment: Environment,
    password: Option<String>,
) -> CommandResult<EnvironmentView> {
    Ok(store.update(&id, environment, secret(password).as_ref())?)
}

#[tauri::command]
pub async fn environment_duplicate(
    store: State<'_, EnvironmentStore>,
    id: String,
    new_id: String,
    new_name: Option<String>,
) -> CommandResult<EnvironmentView> {
    Ok(store.duplicate(&id, &new_id, new_name.as_deref())?)
}

#[tauri::command]
pub async fn environment_remove(
    store: State<'_, EnvironmentStore>,
    s: State<'_, Session>,
    id: String,
) -> CommandResult<()> {
    store.remove(&id)?;
    // Its queue names go too; the environment is gone, so this cannot fail the removal.
    if let Err(e) = s.forget(&id) {
        tracing::warn!(env = %id, error = %e, "last inventory not removed");
    }
    // Its SSH tunnel, if it had one, goes with it.
    warren_core::broker::tunnel::close(&id).await;
    Ok(())
}

/// Let a read-only environment's writes through for `minutes` (this app only; audited).
#[tauri::command]
pub async fn environment_arm(
    s: State<'_, Session>,
    id: String,
    minutes: u32,
) -> CommandResult<EnvironmentView> {
    Ok(s.arm(&id, minutes)?)
}

/// End an arming early: the environment is read-only again.
#[tauri::command]
pub async fn environment_disarm(
    s: State<'_, Session>,
    id: String,
) -> CommandResult<EnvironmentView> {
    Ok(s.disarm(&id)?)
}

/// Remember the environment the user switched to, to reopen it next time.
#[tauri::command]
pub async fn environment_select(
    store: State<'_, EnvironmentStore>,
    id: String,
) -> CommandResult<()> {
    Ok(store.set_last_environment(&id)?)
}

/// Test a saved environment, or an edited one before saving (`environment` given): the
/// password typed in the form is used for this test only, else the keyring's.
#[tauri::command]
pub async fn environment_test(
    s: State<'_, Session>,
    id: String,
    environment: Option<Environment>,
    password: Option<String>,
) -> CommandResult<ConnectionReport> {
    Ok(s.test_environment(&id, environment, secret(password))
        .await?)
}

#[tauri::command]
pub async fn environment_deprecations(
    s: State<'_, Session>,
    id: String,
) -> CommandResult<DeprecationReport> {
    Ok(s.deprecations(&id).await?)
}

#[tauri::command]
pub async fn environments_import_rabbitmqadmin(
    s: State<'_, Session>,
    path: Option<String>,
) -> CommandResult<ImportReport> {
    Ok(s.import_rabbitmqadmin(path.as_deref())?)
}

/// The environment's logs link filled for `target` (`None`: the environment has none); with
/// `open`, also opened in the system browser (from Rust: the webview needs no permission).
#[tauri::command]
pub async fn logs_link(
    app: tauri::AppHandle,
    s: State<'_, Session>,
    env_id: String,
    target: LogsTarget,
    open: bool,
) -> CommandResult<Option<String>> {
    use tauri_plugin_opener::OpenerExt;
    let url = s.logs_link(&env_id, &target)?;
    if let (Some(url), true) = (&url, open) {
        app.opener().open_url(url, None::<&str>).map_err(|e| {
            Error::InvalidArgument(format!("could not open the system browser for {url}: {e}"))
        })?;
    }
    Ok(url)
}

/// The jump host key's passphrase, to the keyring (an empty one removes it); never sent back.
#[tauri::command]
pub async fn environment_ssh_passphrase(
    store: State<'_, EnvironmentStore>,
    id: String,
    passphrase: String,
) -> CommandResult<()> {
    let secret = (!passphrase.is_empty()).then(|| secrecy::SecretString::from(passphrase));
    Ok(store.set_ssh_passphrase(&id, secret.as_ref())?)
}
