//! History commands: series, sparklines, growers and the store's size, from the environment's
//! local history (a sample is recorded on each refresh and by the background sampler).

use tauri::State;
use warren_core::history::{
    Grower, HistoryInfo, HistoryMetric, Series, SeriesKind, SeriesSelector,
};
use warren_core::{ErrorReport, Session};

#[tauri::command]
pub async fn history_series(
    s: State<'_, Session>,
    env_id: String,
    selector: SeriesSelector,
    metric: HistoryMetric,
    since_s: u32,
) -> Result<Series, ErrorReport> {
    Ok(s.history_series(&env_id, selector, metric, since_s).await?)
}

#[tauri::command]
pub async fn history_sparklines(
    s: State<'_, Session>,
    env_id: String,
    selectors: Vec<SeriesSelector>,
    metric: HistoryMetric,
    since_s: u32,
    buckets: usize,
) -> Result<Vec<Vec<Option<f64>>>, ErrorReport> {
    Ok(
        s.history_sparklines(&env_id, selectors, metric, since_s, buckets)
            .await?,
    )
}

#[tauri::command]
pub async fn history_growers(
    s: State<'_, Session>,
    env_id: String,
    by: SeriesKind,
    vhost: Option<String>,
    metric: HistoryMetric,
    since_s: u32,
    limit: usize,
) -> Result<Vec<Grower>, ErrorReport> {
    Ok(
        s.history_growers(&env_id, by, vhost, metric, since_s, limit)
            .await?,
    )
}

#[tauri::command]
pub async fn history_info(
    s: State<'_, Session>,
    env_id: String,
) -> Result<HistoryInfo, ErrorReport> {
    Ok(s.history_info(&env_id).await?)
}
