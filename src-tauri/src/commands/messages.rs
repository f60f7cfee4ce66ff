//! Message commands: peek at any queue (a stream from an offset), publish a message, and edit
//! one dead letter and retry the edited copy to its origin.

use tauri::State;
use warren_core::deadletters::edit::{EditPreview, EditRequest, EditRetryReport};
use warren_core::messages::{Peek, PeekOptions, PublishReport, PublishRequest, StreamOffset};
use warren_core::{ErrorReport, Session};

/// Requires the `management` tag and read permission on the queue. Removes no message.
#[tauri::command]
pub async fn messages_peek(
    s: State<'_, Session>,
    env_id: String,
    vhost: String,
    queue: String,
    limit: u32,
    offset: Option<StreamOffset>,
    insist: Option<bool>,
) -> Result<Peek, ErrorReport> {
    let opts = PeekOptions {
        limit,
        offset,
        insist: insist.unwrap_or(false),
    };
    Ok(s.messages_peek(&env_id, &vhost, &queue, &opts).await?)
}

/// Requires write permission on the exchange. Modifies state (read-only refused, audited).
#[tauri::command]
pub async fn messages_publish(
    s: State<'_, Session>,
    env_id: String,
    request: PublishRequest,
) -> Result<PublishReport, ErrorReport> {
    Ok(s.messages_publish(&env_id, &request).await?)
}

/// Requires the `management` tag and read permission on the DLQ. Removes no message.
#[tauri::command]
pub async fn dlq_edit_preview(
    s: State<'_, Session>,
    env_id: String,
    request: EditRequest,
) -> Result<EditPreview, ErrorReport> {
    Ok(s.dlq_edit_preview(&env_id, &request).await?)
}

/// Requires read and write permission on the vhost. Modifies state (read-only refused,
/// audited).
#[tauri::command]
pub async fn dlq_edit_retry(
    s: State<'_, Session>,
    env_id: String,
    request: EditRequest,
) -> Result<EditRetryReport, ErrorReport> {
    Ok(s.dlq_edit_retry(&env_id, &request).await?)
}
