//! The message requests: peek at any queue, publish a message, and edit one dead letter and
//! retry it to its origin.

use super::Session;
use crate::deadletters::edit::{self, EditPreview, EditRequest, EditRetryReport};
use crate::error::Result;
use crate::messages::{self, Peek, PeekOptions, PublishReport, PublishRequest};

impl Session {
    /// Read up to `opts.limit` messages of any queue in place (a stream from `opts.offset`).
    /// Dead letters' origins are mapped to realms when the inventory is loaded. Requires the
    /// `management` tag and read permission on the queue. Removes no message.
    pub async fn messages_peek(
        &self,
        env_id: &str,
        vhost: &str,
        queue: &str,
        opts: &PeekOptions,
    ) -> Result<Peek> {
        let (env, password) = self.connect(env_id)?;
        let inventory = self.loaded(env_id).ok();
        let template = inventory.as_ref().and_then(|i| i.realm_template.as_ref());
        messages::peek(&env, &password, vhost, queue, template, opts).await
    }

    /// Publish one message with confirms and `mandatory`. Requires write permission on the
    /// exchange. Modifies state (through the gate: read-only refused, audited without the body).
    pub async fn messages_publish(
        &self,
        env_id: &str,
        request: &PublishRequest,
    ) -> Result<PublishReport> {
        let (env, password) = self.connect(env_id)?;
        let report = messages::publish(&env, &password, request).await?;
        // The queues it reached are not known (an exchange may route anywhere): a queue named
        // by the default exchange's routing key is.
        if request.exchange.is_empty() {
            let touched = vec![(request.vhost.clone(), request.routing_key.clone())];
            self.cache.touched.note(env_id, touched);
        }
        Ok(report)
    }

    /// What retrying the edited dead letter would send (the diff, the changed headers, the
    /// destination). Requires the `management` tag and read permission. Removes no message.
    pub async fn dlq_edit_preview(
        &self,
        env_id: &str,
        request: &EditRequest,
    ) -> Result<EditPreview> {
        let (env, password) = self.connect(env_id)?;
        edit::edit_preview(&env, &password, request).await
    }

    /// Retry the edited dead letter to its origin; the original is acked only after the copy is
    /// confirmed. Requires read and write permission on the vhost. Modifies state (through the
    /// gate: read-only refused, audited with the bodies' SHA-256, never a body).
    pub async fn dlq_edit_retry(
        &self,
        env_id: &str,
        request: &EditRequest,
    ) -> Result<EditRetryReport> {
        let (env, password) = self.connect(env_id)?;
        let report = edit::edit_retry(&env, &password, request).await?;
        let mut touched = vec![(request.vhost.clone(), request.queue.clone())];
        if let Some(origin) = &report.preview.destination {
            touched.push((request.vhost.clone(), origin.clone()));
        }
        self.cache.touched.note(env_id, touched);
        Ok(report)
    }
}
