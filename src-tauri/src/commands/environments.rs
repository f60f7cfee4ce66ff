//! Environment commands. Passwords arrive once from the form and go straight into a
//! `SecretString` and the keyring; no command ever returns one.

use secrecy::SecretString;
use tauri::State;
use warren_core::connection_test::{test_connection, ConnectionReport};
use warren_core::rabbitmqadmin_import::{self, ImportReport};
use warren_core::store::AppStart;
use warren_core::{Environment, EnvironmentStore, EnvironmentView, Error, ErrorReport};

type CommandResult<T> = Result<T, ErrorReport>;

fn report(e: Error) -> ErrorReport {
    ErrorReport::from(&e)
}

fn secret(password: Option<String>) -> Option<SecretString> {
    password.filter(|p| !p.is_empty()).map(SecretString::from)
}

/// Creates the `local` environment on the very first start and says which one to open.
#[tauri::command]
pub async fn app_start(store: State<'_, EnvironmentStore>) -> CommandResult<AppStart> {
    store.app_start().map_err(report)
}

#[tauri::command]
pub async fn environments_list(
    store: State<'_, EnvironmentStore>,
) -> CommandResult<Vec<EnvironmentView>> {
    store.list().map_err(report)
}

#[tauri::command]
pub async fn environment_create(
    store: State<'_, EnvironmentStore>,
    environment: Environment,
    password: Option<String>,
) -> CommandResult<EnvironmentView> {
    store
        .create(environment, secret(password).as_ref())
        .map_err(report)
}

#[tauri::command]
pub async fn environment_update(
    store: State<'_, EnvironmentStore>,
    id: String,
    environment: Environment,
    password: Option<String>,
) -> CommandResult<EnvironmentView> {
    store
        .update(&id, environment, secret(password).as_ref())
        .map_err(report)
}

#[tauri::command]
pub async fn environment_duplicate(
    store: State<'_, EnvironmentStore>,
    id: String,
    new_id: String,
    new_name: Option<String>,
) -> CommandResult<EnvironmentView> {
    store
        .duplicate(&id, &new_id, new_name.as_deref())
        .map_err(report)
}

#[tauri::command]
pub async fn environment_remove(
    store: State<'_, EnvironmentStore>,
    id: String,
) -> CommandResult<()> {
    store.remove(&id).map_err(report)
}

/// Let a read-only environment's writes through for `minutes` (this app only; audited).
#[tauri::command]
pub async fn environment_arm(
    store: State<'_, EnvironmentStore>,
    id: String,
    minutes: u32,
) -> CommandResult<EnvironmentView> {
    let env = store.get(&id).map_err(report)?;
    warren_core::guard::arm(&env, minutes).map_err(report)?;
    store.view(&id).map_err(report)
}

/// End an arming early: the environment is read-only again.
#[tauri::command]
pub async fn environment_disarm(
    store: State<'_, EnvironmentStore>,
    id: String,
) -> CommandResult<EnvironmentView> {
    let env = store.get(&id).map_err(report)?;
    warren_core::guard::disarm(&env);
    store.view(&id).map_err(report)
}

/// Remember the environment the user switched to, to reopen it next time.
#[tauri::command]
pub async fn environment_select(
    store: State<'_, EnvironmentStore>,
    id: String,
) -> CommandResult<()> {
    store.set_last_environment(&id).map_err(report)
}

/// Test a saved environment, or an edited one before saving (`environment` given): the
/// password typed in the form is used for this test only, else the keyring's.
/// Requires the `management` tag and vhost access. Does not modify state.
#[tauri::command]
pub async fn environment_test(
    store: State<'_, EnvironmentStore>,
    id: String,
    environment: Option<Environment>,
    password: Option<String>,
) -> CommandResult<ConnectionReport> {
    let env = match environment {
        Some(e) => {
            e.validate().map_err(report)?;
            e
        }
        None => store.get(&id).map_err(report)?,
    };
    let password = store.password(&id, secret(password)).map_err(report)?;
    Ok(test_connection(&env, password).await)
}

/// Deprecated features the environment uses (classic mirroring policies, and what a 4.x
/// broker reports in use). Requires the `management` tag. Does not modify state.
#[tauri::command]
pub async fn environment_deprecations(
    store: State<'_, EnvironmentStore>,
    id: String,
) -> CommandResult<warren_core::deprecations::DeprecationReport> {
    let (env, password) = store.with_password(&id, None).map_err(report)?;
    warren_core::deprecations::check_deprecations(&env, password)
        .await
        .map_err(report)
}

#[tauri::command]
pub async fn environments_import_rabbitmqadmin(
    store: State<'_, EnvironmentStore>,
    path: Option<String>,
) -> CommandResult<ImportReport> {
    let path = path
        .filter(|p| !p.trim().is_empty())
        .map(std::path::PathBuf::from)
        .or_else(rabbitmqadmin_import::default_path)
        .ok_or_else(|| {
            report(Error::FileRead {
                path: "~/.rabbitmqadmin.conf".into(),
                reason: "no home directory".into(),
            })
        })?;
    rabbitmqadmin_import::apply(&store, &path).map_err(report)
}

/// The environment's logs link filled for `target` (`None`: the environment has none); with
/// `open`, also opened in the system browser. Does not modify state.
#[tauri::command]
pub async fn logs_link(
    app: tauri::AppHandle,
    store: State<'_, EnvironmentStore>,
    env_id: String,
    target: warren_core::logs::LogsTarget,
    open: bool,
) -> Result<Option<String>, ErrorReport> {
    use tauri_plugin_opener::OpenerExt;
    let env = store.get(&env_id).map_err(|e| ErrorReport::from(&e))?;
    let Some(template) = env.logs_url.as_deref().filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let url = warren_core::logs::render(template, &target);
    if open {
        app.opener().open_url(&url, None::<&str>).map_err(|e| {
            ErrorReport::from(&warren_core::Error::InvalidArgument(format!(
                "could not open the system browser for {url}: {e}"
            )))
        })?;
    }
    Ok(Some(url))
}
