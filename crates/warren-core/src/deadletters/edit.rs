//! Editing one dead letter and retrying the edited copy to its origin. The message is found by
//! its `message_id` or Warren's key (`DeadLetter::key`), nearest the head first; its body can
//! be replaced (JSON — validated and stored pretty-printed —, text, or base64 for binary) and
//! headers set or removed. The preview shows a line diff of the bodies and the changed header
//! names; the retry publishes the copy with Warren's replay mark to the queue the message died
//! in (as a replay to its origin does), with confirms and `mandatory`, and acks the original
//! only after the copy is confirmed and routed.
//!
//! Messages read before the one edited are held unacknowledged while it is found and then all
//! given back with one `nack(multiple, requeue)`, so they keep their places (no copy of them is
//! ever made, so none can be lost or duplicated); what the read costs is what a browse costs
//! (redelivered flag; a delivery count on quorum queues up to 4.2). A copy the broker returns
//! or refuses leaves the original in the DLQ. The audit record holds both bodies' SHA-256 and
//! the changed header names, never a body.
//!
//! Requires read permission on the DLQ (preview); and write permission on the vhost (retry,
//! which modifies state).

use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicNackOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::BasicProperties;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use ts_rs::TS;

use super::browse::{cost, delivery_count, MAX_LIMIT};
use super::message::{dead_letter, message_key, table_json, DeadLetter};
use super::replay::{destination, new_replay_id, Target};
use super::xdeath::{self, REPLAY_COUNT, REPLAY_ID, REPLAY_TIME};
use crate::audit::Action;
use crate::broker::management::ManagementClient;
use crate::broker::{amqp, BrokerError, BrokerErrorKind};
use crate::environment::Environment;
use crate::error::{Error, Result};
use crate::guard::guarded;
use crate::lines::{broker_line, Line};
use crate::messages::publish::publish_confirmed;
use crate::messages::{close_connection, header_value, sha256_hex, MessageBody, CLOSE_WAIT};
use crate::queues::QueueRow;

/// Bodies up to this size can be edited (an editor, a diff and an audit hash of each).
pub const EDIT_MAX_BYTES: usize = 4 * 1024 * 1024;
/// The diff shows at most this many lines.
const DIFF_MAX_LINES: usize = 5000;
/// Bodies larger than this are not diffed line by line (the hashes still differ).
const DIFF_MAX_BYTES: usize = 1024 * 1024;
/// The search stops when no further message arrives for this long.
const IDLE: Duration = Duration::from_millis(1500);
/// Headers the broker adds to each delivery of a quorum queue: not part of the message.
const DELIVERY_ANNOTATIONS: [&str; 2] = ["x-delivery-count", "x-acquired-count"];

/// One dead letter to edit and retry, as the window and `warren dlq edit-retry` give it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EditRequest {
    pub vhost: String,
    /// The dead-letter queue holding the message.
    pub queue: String,
    /// The message: its `message_id` property or Warren's key (`DeadLetter.key`); the first
    /// message from the head that has it.
    pub id: String,
    /// The new body; `null`: unchanged (sent byte for byte as it is).
    #[serde(default)]
    #[ts(optional)]
    pub body: Option<MessageBody>,
    /// Headers to set (JSON; a string stays a string, see `messages::header_value`).
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    pub set_headers: Map<String, Value>,
    /// Header names to remove.
    #[serde(default)]
    pub remove_headers: Vec<String>,
    /// Read a quorum DLQ even when a message before the edited one is one read from its
    /// delivery limit (that read makes the broker drop or dead-letter it).
    #[serde(default)]
    pub insist: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DiffChange {
    Same,
    Removed,
    Added,
}

/// One line of the body diff (`text` without its line break).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DiffLine {
    pub change: DiffChange,
    pub text: String,
}

/// What a retry would send, before anything changes.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct EditPreview {
    pub vhost: String,
    pub queue: String,
    /// The message found: its key, and its position when read (0 = head).
    pub key: String,
    pub position: u32,
    /// The original as read (properties, headers, decoded `x-death`, body preview).
    pub original: DeadLetter,
    /// The whole original body, as an editor opens it (pretty JSON, text or base64).
    pub original_body: MessageBody,
    /// The body the copy carries, in the same form.
    pub edited_body: MessageBody,
    pub body_changed: bool,
    /// A line diff of the two bodies as shown (JSON pretty-printed, binary as base64).
    pub diff: Vec<DiffLine>,
    /// The diff was cut short (or skipped: a body over 1 MiB).
    pub diff_truncated: bool,
    /// Header names whose value the edit sets to something new, adds or removes.
    pub changed_headers: Vec<String>,
    /// The copy's headers (Warren's replay mark included), as JSON.
    #[ts(type = "Record<string, unknown>")]
    pub headers: Map<String, Value>,
    /// The queue the copy goes to (the one the message died in); absent: the message has no
    /// death record, so it has no origin and cannot be retried.
    pub destination: Option<String>,
    pub original_sha256: String,
    pub edited_sha256: String,
    /// What finding the message cost (messages read before it were given back in place).
    pub cost: String,
}

/// The outcome of `warren dlq edit-retry` (a dry run: the preview alone).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct EditRetryReport {
    pub dry_run: bool,
    /// The copy was confirmed and routed to `preview.destination`, and the original acked.
    pub retried: bool,
    /// The copy's replay id (its `x-warren-replay-id` header).
    pub replay_id: Option<String>,
    pub preview: EditPreview,
}

fn other(what: &str, e: impl std::fmt::Display) -> Error {
    BrokerError::new(BrokerErrorKind::Other, format!("{what}: {e}")).into()
}

/// The edit itself, checked before anything is read.
struct Edit {
    /// The new body's bytes (`None`: unchanged).
    body: Option<Vec<u8>>,
    set: Vec<(String, AMQPValue)>,
    remove: Vec<String>,
}

fn check_edit(req: &EditRequest) -> Result<Edit> {
    amqp::check_name("queue name", &req.queue)?;
    if req.id.trim().is_empty() {
        return Err(Error::InvalidArgument(
            "name the message to edit by its message id or key".into(),
        ));
    }
    let body = req.body.as_ref().map(|b| b.bytes(true)).transpose()?;
    if let Some(b) = &body {
        if b.len() > EDIT_MAX_BYTES {
            return Err(Error::InvalidArgument(format!(
                "the edited body is {} bytes; Warren edits bodies up to {EDIT_MAX_BYTES} bytes",
                b.len()
            )));
        }
    }
    let reserved = |k: &str| [REPLAY_COUNT, REPLAY_ID, REPLAY_TIME].contains(&k);
    let mut set = Vec::new();
    for (k, v) in &req.set_headers {
        if reserved(k) {
            return Err(Error::InvalidArgument(format!(
                "`{k}` is Warren's replay mark: the retry sets it itself"
            )));
        }
        amqp::check_name("header name", k)?;
        set.push((k.clone(), header_value(v, &format!("headers.{k}"))?));
    }
    for k in &req.remove_headers {
        if reserved(k) {
            return Err(Error::InvalidArgument(format!(
                "`{k}` is Warren's replay mark: the retry sets it itself"
            )));
        }
        if req.set_headers.contains_key(k) {
            return Err(Error::InvalidArgument(format!(
                "header `{k}` is both set and removed: pick one"
            )));
        }
    }
    Ok(Edit {
        body,
        set,
        remove: req.remove_headers.clone(),
    })
}

/// The queue's delivery limit where reading counts against it (quorum queues up to 4.2), for
/// the guard; refuses a stream.
async fn read_guard(
    env: &Environment,
    password: &SecretString,
    vhost: &str,
    queue: &str,
) -> Result<(String, Option<u64>, bool)> {
    let client = ManagementClient::new(env, password.clone())?;
    let line = broker_line(&client).await?;
    let path = format!(
        "queues/{}/{}",
        utf8_percent_encode(vhost, NON_ALPHANUMERIC),
        utf8_percent_encode(queue, NON_ALPHANUMERIC)
    );
    let (api, _): (Value, _) = client.get_json(&path).await?;
    let queue_type = QueueRow::from_api(&api).queue_type;
    if queue_type == "stream" {
        return Err(Error::NotForStreams {
            action: "edit and retry".into(),
            vhost: vhost.into(),
            queue: queue.into(),
        });
    }
    let limit = QueueRow::delivery_limit_or(&api, line.and_then(Line::default_delivery_limit));
    let counts = queue_type == "quorum" && line.is_none_or(Line::nack_counts_against_the_limit);
    Ok((queue_type, limit, counts))
}

/// The DLQ being searched: the consumer's channel, every delivery tag it holds, and the
/// message found.
struct Held {
    ch: lapin::Channel,
    /// The highest delivery tag received (all of them are held unacked).
    highest: u64,
    read: u32,
    found: Option<(u32, Delivery)>,
}

impl Held {
    /// Give back every held delivery, in place.
    async fn give_back(&self) -> Result<()> {
        self.nack_up_to(self.highest).await
    }

    /// Give back every held delivery but `acked` (already acked). The channel's tags run
    /// 1, 2, 3… and all are held: a `multiple` nack must name a tag still held (the broker
    /// closes the channel on an unknown one), so it names the highest other than `acked`.
    async fn give_back_all_but(&self, acked: u64) -> Result<()> {
        let up_to = if self.highest > acked {
            self.highest
        } else {
            acked.saturating_sub(1)
        };
        self.nack_up_to(up_to).await
    }

    async fn nack_up_to(&self, tag: u64) -> Result<()> {
        if tag > 0 {
            self.ch
                .basic_nack(
                    tag,
                    BasicNackOptions {
                        multiple: true,
                        requeue: true,
                    },
                )
                .await
                .map_err(|e| other("give the messages back", e))?;
        }
        Ok(())
    }
}

fn matches(d: &Delivery, id: &str) -> bool {
    let props = &d.properties;
    if props
        .message_id()
        .as_ref()
        .is_some_and(|m| m.as_str() == id)
    {
        return true;
    }
    let deaths = xdeath::deaths(props.headers().as_ref()).unwrap_or_default();
    message_key(props, &d.data, &deaths) == id
}

/// Consume the DLQ until the message `id` arrives, holding everything read unacked. A message
/// one read from its delivery limit (`guard`) stops the search: everything is given back and
/// the error says so.
async fn find(
    conn: &lapin::Connection,
    vhost: &str,
    queue: &str,
    id: &str,
    guard: Option<u64>,
) -> Result<Held> {
    let depth = amqp::queue_depth(conn, vhost, queue).await?;
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| other("open a channel", e))?;
    let mut held = Held {
        ch: ch.clone(),
        highest: 0,
        read: 0,
        found: None,
    };
    let want = depth.min(u64::from(MAX_LIMIT)) as u32;
    if want == 0 {
        return Ok(held);
    }
    let tag = "warren-edit";
    let mut consumer = amqp::consume(&ch, queue, tag, want as u16)
        .await
        .map_err(|e| other("start reading the DLQ", e))?;
    let mut refused = None;
    while held.read < want {
        match tokio::time::timeout(IDLE, consumer.next()).await {
            Ok(Some(Ok(d))) => {
                held.highest = held.highest.max(d.delivery_tag);
                let position = held.read;
                held.read += 1;
                if matches(&d, id) {
                    held.found = Some((position, d));
                    break;
                }
                if let Some(limit) = guard {
                    let count = delivery_count(&d);
                    if count + 1 >= limit {
                        refused = Some(Error::NearDeliveryLimit {
                            vhost: vhost.into(),
                            queue: queue.into(),
                            returned: count + 1,
                            limit,
                        });
                        break;
                    }
                }
            }
            Ok(Some(Err(e))) => {
                let _ = held.give_back().await;
                return Err(other("read the DLQ", e));
            }
            Ok(None) | Err(_) => break,
        }
    }
    // Cancel, then learn of any delivery already on its way (a nack must cover it too).
    let _ = ch
        .basic_cancel(tag.into(), BasicCancelOptions::default())
        .await;
    while let Ok(Some(Ok(d))) =
        tokio::time::timeout(Duration::from_millis(100), consumer.next()).await
    {
        held.highest = held.highest.max(d.delivery_tag);
    }
    if let Some(e) = refused {
        held.give_back().await?;
        return Err(e);
    }
    Ok(held)
}

/// The copy's properties: the original's (without the broker's delivery annotations), the
/// headers edited, and Warren's replay mark as a replay adds it.
fn copy_properties(
    props: &BasicProperties,
    edit: &Edit,
    replay_id: &str,
) -> (BasicProperties, Vec<String>) {
    let original = props.headers().clone().unwrap_or_default();
    let mut headers: std::collections::BTreeMap<_, _> = original
        .inner()
        .iter()
        .filter(|(k, _)| !DELIVERY_ANNOTATIONS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut changed = Vec::new();
    for k in &edit.remove {
        if headers.remove(k.as_str()).is_some() {
            changed.push(k.clone());
        }
    }
    for (k, v) in &edit.set {
        if original.inner().get(k.as_str()) != Some(v) {
            changed.push(k.clone());
        }
        headers.insert(k.as_str().into(), v.clone());
    }
    changed.sort();
    let replays = xdeath::replay_mark(props.headers().as_ref()).map_or(0, |m| m.count);
    headers.insert(
        REPLAY_COUNT.into(),
        AMQPValue::LongLongInt(i64::from(replays) + 1),
    );
    headers.insert(REPLAY_ID.into(), AMQPValue::LongString(replay_id.into()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    headers.insert(REPLAY_TIME.into(), AMQPValue::Timestamp(now));
    (
        props.clone().with_headers(FieldTable::from(headers)),
        changed,
    )
}

/// A line diff of two bodies as shown (see `MessageBody::of`).
fn diff(before: &MessageBody, after: &MessageBody) -> (Vec<DiffLine>, bool) {
    if before.content.len() > DIFF_MAX_BYTES || after.content.len() > DIFF_MAX_BYTES {
        return (Vec::new(), true);
    }
    let d = similar::TextDiff::from_lines(&before.content, &after.content);
    let mut lines = Vec::new();
    for c in d.iter_all_changes() {
        if lines.len() == DIFF_MAX_LINES {
            return (lines, true);
        }
        let change = match c.tag() {
            similar::ChangeTag::Equal => DiffChange::Same,
            similar::ChangeTag::Delete => DiffChange::Removed,
            similar::ChangeTag::Insert => DiffChange::Added,
        };
        let text = c.value().trim_end_matches(['\n', '\r']).to_string();
        lines.push(DiffLine { change, text });
    }
    (lines, false)
}

/// The preview of `edit` applied to the delivery `d` found at `position`, and the copy to send.
fn preview_of(
    req: &EditRequest,
    edit: &Edit,
    position: u32,
    d: &Delivery,
    replay_id: &str,
    cost_words: String,
) -> Result<(EditPreview, BasicProperties, Vec<u8>)> {
    if d.data.len() > EDIT_MAX_BYTES {
        return Err(Error::InvalidArgument(format!(
            "the message is {} bytes; Warren edits bodies up to {EDIT_MAX_BYTES} bytes",
            d.data.len()
        )));
    }
    let original = dead_letter(
        position,
        d.exchange.as_str(),
        d.routing_key.as_str(),
        d.redelivered,
        &d.properties,
        &d.data,
    );
    let body = edit.body.clone().unwrap_or_else(|| d.data.to_vec());
    let (props, changed_headers) = copy_properties(&d.properties, edit, replay_id);
    let original_body = MessageBody::of(&d.data);
    let edited_body = MessageBody::of(&body);
    let (diff, diff_truncated) = diff(&original_body, &edited_body);
    let destination =
        destination(&Target::Origin, d.properties.headers().as_ref()).map(|dest| dest.routing_key);
    let preview = EditPreview {
        vhost: req.vhost.clone(),
        queue: req.queue.clone(),
        key: original.key.clone(),
        position,
        original_sha256: sha256_hex(&d.data),
        edited_sha256: sha256_hex(&body),
        body_changed: body != d.data,
        original,
        original_body,
        edited_body,
        diff,
        diff_truncated,
        changed_headers,
        headers: props.headers().as_ref().map(table_json).unwrap_or_default(),
        destination,
        cost: cost_words,
    };
    Ok((preview, props, body))
}

fn not_found(req: &EditRequest, read: u32) -> Error {
    Error::MessageNotFound {
        vhost: req.vhost.clone(),
        queue: req.queue.clone(),
        id: req.id.clone(),
        read,
    }
}

/// Find the message and show what a retry of the edit would send, changing nothing (every
/// message read is given back in place). Requires the `management` tag and read permission on
/// the DLQ. Removes no message.
pub async fn edit_preview(
    env: &Environment,
    password: &SecretString,
    req: &EditRequest,
) -> Result<EditPreview> {
    let edit = check_edit(req)?;
    let (queue_type, limit, counts) = read_guard(env, password, &req.vhost, &req.queue).await?;
    let guard = limit.filter(|_| counts && !req.insist);
    let conn = amqp::connect(
        env,
        password,
        Some(&req.vhost),
        "preview a dead-letter edit",
    )
    .await?;
    let result = async {
        let held = find(&conn, &req.vhost, &req.queue, &req.id, guard).await?;
        let outcome = match &held.found {
            Some((position, d)) => preview_of(
                req,
                &edit,
                *position,
                d,
                "(assigned at retry)",
                cost(held.read, &queue_type, limit, counts, 0),
            )
            .map(|p| p.0),
            None => Err(not_found(req, held.read)),
        };
        held.give_back().await?;
        outcome
    }
    .await;
    close_connection(&conn, "preview done").await;
    result
}

/// Find the message, publish the edited copy (with Warren's replay mark) to the queue it died
/// in with confirms and `mandatory`, and ack the original only once the copy is confirmed and
/// routed; every other message read is given back in place. A returned or refused copy leaves
/// the original in the DLQ (the error says so). Requires read and write permission on the
/// vhost. Modifies state (through the gate: refused on a read-only environment, audited with
/// both bodies' SHA-256 and the changed header names, never a body).
pub async fn edit_retry(
    env: &Environment,
    password: &SecretString,
    req: &EditRequest,
) -> Result<EditRetryReport> {
    let edit = check_edit(req)?;
    let action = Action::new(
        "dlq.edit_retry",
        Some(&req.vhost),
        vec![req.queue.clone()],
        json!({
            "id": req.id,
            "body_edited": req.body.is_some(),
            "edited_sha256": edit.body.as_deref().map(sha256_hex),
            "set_headers": req.set_headers.keys().collect::<Vec<_>>(),
            "remove_headers": req.remove_headers,
        }),
    );
    let counts = |r: &EditRetryReport| {
        json!({
            "retried": r.retried,
            "replay_id": r.replay_id,
            "key": r.preview.key,
            "destination": r.preview.destination,
            "original_sha256": r.preview.original_sha256,
            "edited_sha256": r.preview.edited_sha256,
            "changed_headers": r.preview.changed_headers,
        })
    };
    guarded(env, action, counts, |gate| async move {
        let (queue_type, limit, counts) =
            read_guard(env, password, &req.vhost, &req.queue).await?;
        let guard = limit.filter(|_| counts && !req.insist);
        let conn = amqp::connect_to_write(
            &gate,
            env,
            password,
            Some(&req.vhost),
            "retry an edited dead letter",
        )
        .await?;
        let result = async {
            let held = find(&conn, &req.vhost, &req.queue, &req.id, guard).await?;
            let Some((position, d)) = &held.found else {
                held.give_back().await?;
                return Err(not_found(req, held.read));
            };
            let replay_id = new_replay_id();
            let words = cost(held.read, &queue_type, limit, counts, 0);
            let prepared = preview_of(req, &edit, *position, d, &replay_id, words);
            let (preview, props, body) = match prepared {
                Ok(p) => p,
                Err(e) => {
                    held.give_back().await?;
                    return Err(e);
                }
            };
            let Some(origin) = preview.destination.clone() else {
                held.give_back().await?;
                return Err(Error::InvalidArgument(format!(
                    "message `{}` has no death record (x-death): it has no origin to retry to; the original stays in `{}`",
                    preview.key, req.queue
                )));
            };
            let kept = format!("; the original stays in `{}`", req.queue);
            let sent =
                publish_confirmed(&conn, &req.vhost, "", &origin, props, &body, &kept).await;
            if let Err(e) = sent {
                held.give_back().await?;
                return Err(e);
            }
            // The copy is confirmed and routed: now, and only now, the original goes.
            held.ch
                .basic_ack(d.delivery_tag, BasicAckOptions { multiple: false })
                .await
                .map_err(|e| other("ack the original (the copy is already in its origin: the original may now be there twice)", e))?;
            held.give_back_all_but(d.delivery_tag).await?;
            // The channel's close-ok says the ack and the nack were processed.
            let closed = tokio::time::timeout(CLOSE_WAIT, held.ch.close(200, "edit retried".into())).await;
            if !matches!(closed, Ok(Ok(()))) {
                return Err(other(
                    "close the DLQ channel",
                    format!("the broker did not confirm the ack of the original within {} s; the edited copy is in `{origin}`, and the original may still be in `{}` (then it is there twice)", CLOSE_WAIT.as_secs(), req.queue),
                ));
            }
            Ok(EditRetryReport {
                dry_run: false,
                retried: true,
                replay_id: Some(replay_id),
                preview,
            })
        }
        .await;
        close_connection(&conn, "edit retry done").await;
        result
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadletters::xdeath::tests::{death_entry, headers_with};
    use crate::messages::BodyFormat;

    fn request(body: Option<(&str, BodyFormat)>) -> EditRequest {
        EditRequest {
            vhost: "/".into(),
            queue: "dlq".into(),
            id: "m1".into(),
            body: body.map(|(c, format)| MessageBody {
                format,
                content: c.into(),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn invalid_json_and_replay_marks_are_refused_before_anything_is_read() {
        let e = check_edit(&request(Some(("{\"a\":", BodyFormat::Json))))
            .err()
            .unwrap();
        assert!(e.to_string().contains("not valid JSON"), "{e}");
        let mut r = request(None);
        r.set_headers.insert(REPLAY_COUNT.into(), json!(0));
        assert!(check_edit(&r).is_err());
        let mut r = request(None);
        r.set_headers.insert("k".into(), json!("v"));
        r.remove_headers.push("k".into());
        assert!(check_edit(&r).err().unwrap().to_string().contains("both"));
    }

    #[test]
    fn the_copy_changes_only_the_named_headers_and_gets_the_replay_mark() {
        let mut h = headers_with(vec![death_entry("billing.acme", "rejected", 1)]);
        h.insert("tenant".into(), AMQPValue::LongString("acme".into()));
        h.insert("trace".into(), AMQPValue::LongString("t1".into()));
        h.insert("x-delivery-count".into(), AMQPValue::LongLongInt(2));
        let props = BasicProperties::default().with_headers(h);
        let mut r = request(None);
        r.set_headers.insert("tenant".into(), json!("acme"));
        r.set_headers.insert("fixed".into(), json!("yes"));
        r.remove_headers.push("trace".into());
        r.remove_headers.push("absent".into());
        let edit = check_edit(&r).unwrap();
        let (copy, changed) = copy_properties(&props, &edit, "r1");
        assert_eq!(changed, vec!["fixed".to_string(), "trace".to_string()]);
        let ch = copy.headers().clone().unwrap();
        assert!(ch.contains_key("x-death"), "the death record stays");
        assert!(!ch.contains_key("trace") && !ch.contains_key("x-delivery-count"));
        assert_eq!(
            ch.inner().get(REPLAY_COUNT),
            Some(&AMQPValue::LongLongInt(1))
        );
        assert_eq!(
            ch.inner().get(REPLAY_ID),
            Some(&AMQPValue::LongString("r1".into()))
        );
    }

    #[test]
    fn the_diff_compares_bodies_as_shown() {
        let before = MessageBody::of(br#"{"amount":1,"currency":"EUR"}"#);
        let after = MessageBody::of(br#"{"amount":2,"currency":"EUR"}"#);
        let (lines, cut) = diff(&before, &after);
        assert!(!cut);
        let removed: Vec<_> = lines
            .iter()
            .filter(|l| l.change == DiffChange::Removed)
            .map(|l| l.text.as_str())
            .collect();
        let added: Vec<_> = lines
            .iter()
            .filter(|l| l.change == DiffChange::Added)
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(removed, vec!["  \"amount\": 1,"]);
        assert_eq!(added, vec!["  \"amount\": 2,"]);
        assert!(lines
            .iter()
            .any(|l| l.text.contains("currency") && l.change == DiffChange::Same));
    }
}
