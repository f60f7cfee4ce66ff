//! Error queues that a messaging framework fills itself, without the broker's dead-lettering:
//! MassTransit (`<queue>_error`, `MT-Fault-*`), NServiceBus (`error`, `NServiceBus.FailedQ`,
//! `NServiceBus.ExceptionInfo.*`) and Spring AMQP's `RepublishMessageRecoverer`
//! (`x-original-exchange`, `x-original-routingKey`, `x-exception-*`). This module reads where
//! such a message came from and why it failed, and says which of the framework's headers a
//! retry keeps.
//!
//! Header policy on a replay (what each framework's own retry tooling does):
//! - **MassTransit**: kept. MassTransit's documented way back is moving the message from
//!   `<queue>_error` to `<queue>` (a shovel or the management UI's "move messages"), which keeps
//!   every header; if it fails again, MassTransit overwrites `MT-Fault-*` and `MT-Reason`.
//! - **NServiceBus**: removed. ServiceControl's retry strips `NServiceBus.FailedQ`,
//!   `NServiceBus.TimeOfFailure` and every `NServiceBus.ExceptionInfo.*` header before sending
//!   the message back to its endpoint, so a retried message does not look failed; Warren does
//!   the same (and keeps the rest: message id, endpoint, enclosed types, …).
//! - **Spring AMQP**: kept. The recoverer overwrites its four headers on every failure, and
//!   Spring's documented re-route of a failed message sends it as it is.
//!
//! Spring records the exchange and routing key the message was received with, not the queue:
//! "replay to origin" sends it back there (the default exchange with its key: exactly that
//! queue; a named exchange: every queue bound to that key gets a copy, as when it was first
//! published — the plan lists them). Its origin reads `exchange/key` then.

use lapin::types::{AMQPValue, FieldTable};
use serde::Serialize;
use ts_rs::TS;

use super::xdeath::{as_int, as_text};

/// Who put a message (or a queue's messages) where it is: the broker's dead-lettering or a
/// framework's error handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DeadLetterKind {
    /// RabbitMQ's dead-lettering (`x-dead-letter-exchange`, `x-death`).
    #[default]
    Broker,
    /// MassTransit's `<queue>_error` (`MT-Fault-*` headers).
    Masstransit,
    /// NServiceBus's error queue (`NServiceBus.FailedQ`, `NServiceBus.ExceptionInfo.*`).
    Nservicebus,
    /// Spring AMQP's `RepublishMessageRecoverer` (`x-original-exchange`, `x-exception-*`).
    Spring,
}

impl DeadLetterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterKind::Broker => "broker",
            DeadLetterKind::Masstransit => "masstransit",
            DeadLetterKind::Nservicebus => "nservicebus",
            DeadLetterKind::Spring => "spring",
        }
    }
}

pub const MT_INPUT_ADDRESS: &str = "MT-Fault-InputAddress";
pub const MT_FAULT_MESSAGE: &str = "MT-Fault-Message";
pub const MT_REASON: &str = "MT-Reason";
pub const NSB_FAILED_Q: &str = "NServiceBus.FailedQ";
pub const NSB_EXCEPTION_MESSAGE: &str = "NServiceBus.ExceptionInfo.Message";
pub const NSB_EXCEPTION_PREFIX: &str = "NServiceBus.ExceptionInfo.";
pub const NSB_TIME_OF_FAILURE: &str = "NServiceBus.TimeOfFailure";
pub const SPRING_EXCHANGE: &str = "x-original-exchange";
pub const SPRING_ROUTING_KEY: &str = "x-original-routingKey";
pub const SPRING_EXCEPTION_MESSAGE: &str = "x-exception-message";
pub const SPRING_STACKTRACE: &str = "x-exception-stacktrace";

/// A reason longer than this is cut (groups and filters use it; the whole text stays in
/// `FrameworkFailure::message`).
const REASON_CHARS: usize = 200;
/// The stack trace shown is cut to this many characters.
const STACK_CHARS: usize = 8 * 1024;

/// What a framework wrote on a message it moved to its error queue.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export, optional_fields)]
pub struct FrameworkFailure {
    pub framework: DeadLetterKind,
    /// The queue it failed in, when the framework names it (MassTransit, NServiceBus, Spring
    /// through the default exchange).
    pub queue: Option<String>,
    /// Spring: the exchange and routing key it was received with.
    pub exchange: Option<String>,
    pub routing_key: Option<String>,
    /// The framework's own address of the origin: `MT-Fault-InputAddress`, `NServiceBus.FailedQ`.
    pub address: Option<String>,
    pub exception_type: Option<String>,
    /// The exception's message.
    pub message: Option<String>,
    /// The start of the stack trace.
    pub stack_trace: Option<String>,
    /// When it failed, as the framework wrote it.
    pub failed_at: Option<String>,
    /// The machine (and endpoint or process) that failed.
    pub host: Option<String>,
    /// MassTransit's `MT-Reason` (`fault`, `skip`).
    pub mt_reason: Option<String>,
}

impl FrameworkFailure {
    /// The origin as groups and filters show it: the queue, else Spring's `exchange/key`.
    pub fn origin(&self) -> Option<String> {
        if let Some(q) = &self.queue {
            return Some(q.clone());
        }
        match (&self.exchange, &self.routing_key) {
            (Some(x), Some(k)) => Some(format!("{x}/{k}")),
            _ => None,
        }
    }

    /// Why it failed, for grouping: the exception's message (cut), else its type, else
    /// MassTransit's reason.
    pub fn reason(&self) -> String {
        let r = self
            .message
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .or(self.exception_type.as_deref())
            .or(self.mt_reason.as_deref())
            .unwrap_or("failed");
        let one_line = r.lines().next().unwrap_or("").trim();
        cut(one_line, REASON_CHARS)
    }

    /// Where "replay to origin" sends it: (exchange, routing key).
    pub fn destination(&self) -> Option<(String, String)> {
        if let Some(q) = &self.queue {
            return Some((String::new(), q.clone()));
        }
        match (&self.exchange, &self.routing_key) {
            (Some(x), Some(k)) => Some((x.clone(), k.clone())),
            _ => None,
        }
    }
}

fn cut(s: &str, chars: usize) -> String {
    match s.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

fn text(t: &FieldTable, key: &str) -> Option<String> {
    let v = t.inner().get(key)?;
    as_text(v)
        .or_else(|| as_int(v).map(|i| i.to_string()))
        .or_else(|| match v {
            AMQPValue::ByteArray(b) => Some(String::from_utf8_lossy(b.as_slice()).into_owned()),
            _ => None,
        })
}

/// The queue a MassTransit input address names: `rabbitmq://host/queue`,
/// `rabbitmq://host/vhost/queue?bind=true`, a `queue=` parameter, or the short `queue:name`.
pub fn masstransit_queue(address: &str) -> Option<String> {
    let address = address.trim();
    if let Some(name) = address
        .strip_prefix("queue:")
        .or_else(|| address.strip_prefix("exchange:"))
    {
        let name = name.split('?').next().unwrap_or("");
        return (!name.is_empty()).then(|| decode(name));
    }
    let (_, rest) = address.split_once("://")?;
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if let Some(q) = query.and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("queue="))
            .filter(|v| !v.is_empty())
    }) {
        return Some(decode(q));
    }
    // host[:port]/[vhost/]queue
    let last = path.split('/').skip(1).filter(|s| !s.is_empty()).last()?;
    Some(decode(last))
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The queue `NServiceBus.FailedQ` names: `Sales`, or `Sales@MACHINE` (the MSMQ-era form).
pub fn nservicebus_queue(failed_q: &str) -> Option<String> {
    let q = failed_q.split('@').next().unwrap_or("").trim();
    (!q.is_empty()).then(|| q.to_string())
}

/// Which framework's failure headers the message carries, if any (cheap: a few lookups).
pub fn kind_of(headers: Option<&FieldTable>) -> Option<DeadLetterKind> {
    let h = headers?;
    if h.contains_key(MT_INPUT_ADDRESS)
        || (h.contains_key(MT_REASON) && h.contains_key(MT_FAULT_MESSAGE))
    {
        Some(DeadLetterKind::Masstransit)
    } else if h.contains_key(NSB_FAILED_Q) || h.contains_key(NSB_EXCEPTION_MESSAGE) {
        Some(DeadLetterKind::Nservicebus)
    } else if h.contains_key(SPRING_EXCHANGE)
        && h.contains_key(SPRING_ROUTING_KEY)
        && (h.contains_key(SPRING_EXCEPTION_MESSAGE) || h.contains_key(SPRING_STACKTRACE))
    {
        Some(DeadLetterKind::Spring)
    } else {
        None
    }
}

/// Decode a framework's failure headers; `None` when the message carries none.
pub fn failure(headers: Option<&FieldTable>) -> Option<FrameworkFailure> {
    let kind = kind_of(headers)?;
    let h = headers?;
    let get = |k: &str| text(h, k).filter(|v| !v.is_empty());
    let join = |a: Option<String>, b: Option<String>| match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a} ({b})")),
        (a, b) => a.or(b),
    };
    let blank = FrameworkFailure {
        framework: kind,
        queue: None,
        exchange: None,
        routing_key: None,
        address: None,
        exception_type: None,
        message: None,
        stack_trace: None,
        failed_at: None,
        host: None,
        mt_reason: None,
    };
    Some(match kind {
        DeadLetterKind::Masstransit => {
            let address = get(MT_INPUT_ADDRESS);
            FrameworkFailure {
                queue: address.as_deref().and_then(masstransit_queue),
                address,
                exception_type: get("MT-Fault-ExceptionType"),
                message: get(MT_FAULT_MESSAGE),
                stack_trace: get("MT-Fault-StackTrace").map(|s| cut(&s, STACK_CHARS)),
                failed_at: get("MT-Fault-Timestamp"),
                host: join(get("MT-Host-MachineName"), get("MT-Host-ProcessName")),
                mt_reason: get(MT_REASON),
                ..blank
            }
        }
        DeadLetterKind::Nservicebus => {
            let address = get(NSB_FAILED_Q);
            FrameworkFailure {
                queue: address.as_deref().and_then(nservicebus_queue),
                address,
                exception_type: get("NServiceBus.ExceptionInfo.ExceptionType"),
                message: get(NSB_EXCEPTION_MESSAGE),
                stack_trace: get("NServiceBus.ExceptionInfo.StackTrace")
                    .map(|s| cut(&s, STACK_CHARS)),
                failed_at: get(NSB_TIME_OF_FAILURE),
                host: join(
                    get("NServiceBus.ProcessingMachine"),
                    get("NServiceBus.ProcessingEndpoint"),
                ),
                ..blank
            }
        }
        DeadLetterKind::Spring => {
            // Absent means null in Spring (never received through an exchange): the default.
            let exchange = text(h, SPRING_EXCHANGE).unwrap_or_default();
            let key = text(h, SPRING_ROUTING_KEY).unwrap_or_default();
            let stack = get(SPRING_STACKTRACE);
            FrameworkFailure {
                // Through the default exchange the key is the queue itself.
                queue: (exchange.is_empty() && !key.is_empty()).then(|| key.clone()),
                exchange: (!exchange.is_empty()).then_some(exchange),
                routing_key: Some(key),
                // The trace's first line is `java.lang.IllegalStateException: message`.
                exception_type: stack.as_deref().and_then(|s| {
                    let first = s.lines().next()?.trim();
                    let ty = first.split(':').next()?.trim();
                    (!ty.is_empty() && !ty.contains(' ')).then(|| ty.to_string())
                }),
                message: get(SPRING_EXCEPTION_MESSAGE),
                stack_trace: stack.map(|s| cut(&s, STACK_CHARS)),
                ..blank
            }
        }
        DeadLetterKind::Broker => return None,
    })
}

/// Is this header one the framework's own retry removes (see the module's policy)?
fn removed_on_retry(kind: DeadLetterKind, key: &str) -> bool {
    match kind {
        DeadLetterKind::Nservicebus => {
            key == NSB_FAILED_Q
                || key == NSB_TIME_OF_FAILURE
                || key.starts_with(NSB_EXCEPTION_PREFIX)
        }
        DeadLetterKind::Broker | DeadLetterKind::Masstransit | DeadLetterKind::Spring => false,
    }
}

/// The headers a retried copy carries: the framework's failure headers removed where its own
/// retry removes them (NServiceBus), else `None` (unchanged). A message the broker
/// dead-lettered (it has `x-death`) is the broker's and keeps everything.
pub fn retry_headers(headers: &FieldTable) -> Option<FieldTable> {
    if headers.contains_key("x-death") {
        return None;
    }
    let kind = kind_of(Some(headers))?;
    if !headers
        .inner()
        .keys()
        .any(|k| removed_on_retry(kind, k.as_str()))
    {
        return None;
    }
    let inner: std::collections::BTreeMap<_, _> = headers
        .inner()
        .iter()
        .filter(|(k, _)| !removed_on_retry(kind, k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Some(FieldTable::from(inner))
}

/// Is this queue name a framework's error-queue convention? `<queue>_error` is MassTransit's,
/// `error` NServiceBus's default.
pub fn kind_by_name(name: &str) -> Option<DeadLetterKind> {
    if name == "error" {
        Some(DeadLetterKind::Nservicebus)
    } else if name.len() > "_error".len() && name.ends_with("_error") {
        Some(DeadLetterKind::Masstransit)
    } else {
        None
    }
}

/// An exchange whose name says it collects failures (`app.errors`, `errorExchange`): the queues
/// bound to it are error queues (Spring's recoverer publishes to such an exchange).
pub fn is_error_exchange(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !lower.is_empty() && !lower.starts_with("amq.") && lower.contains("error")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn table(pairs: &[(&str, &str)]) -> FieldTable {
        let mut t = FieldTable::default();
        for (k, v) in pairs {
            t.insert((*k).into(), AMQPValue::LongString((*v).into()));
        }
        t
    }

    #[test]
    fn masstransit_input_addresses_name_the_queue() {
        for (a, q) in [
            ("rabbitmq://localhost/orders", "orders"),
            ("rabbitmq://rabbit:5672/shop/orders?bind=true", "orders"),
            (
                "rabbitmqs://host/my%2Fvhost/submit-order?durable=true",
                "submit-order",
            ),
            (
                "rabbitmq://localhost/shop/whatever?bind=true&queue=billing",
                "billing",
            ),
            ("queue:orders", "orders"),
        ] {
            assert_eq!(masstransit_queue(a).as_deref(), Some(q), "{a}");
        }
        assert_eq!(masstransit_queue("rabbitmq://localhost/"), None);
        assert_eq!(masstransit_queue("nonsense"), None);
    }

    #[test]
    fn nservicebus_failed_queues_drop_the_machine() {
        assert_eq!(nservicebus_queue("Sales@WEB01").as_deref(), Some("Sales"));
        assert_eq!(nservicebus_queue("Sales").as_deref(), Some("Sales"));
        assert_eq!(nservicebus_queue("@x"), None);
    }

    #[test]
    fn each_framework_is_recognised_by_its_headers() {
        let mt = table(&[
            (
                MT_INPUT_ADDRESS,
                "rabbitmq://localhost/shop/orders?bind=true",
            ),
            (MT_REASON, "fault"),
            (MT_FAULT_MESSAGE, "Budget exceeded"),
            ("MT-Fault-ExceptionType", "System.InvalidOperationException"),
            ("MT-Host-MachineName", "web01"),
        ]);
        let f = failure(Some(&mt)).unwrap();
        assert_eq!(f.framework, DeadLetterKind::Masstransit);
        assert_eq!(f.origin().as_deref(), Some("orders"));
        assert_eq!(f.reason(), "Budget exceeded");
        assert_eq!(f.destination(), Some((String::new(), "orders".into())));

        let nsb = table(&[
            (NSB_FAILED_Q, "Sales@WEB01"),
            (
                "NServiceBus.ExceptionInfo.ExceptionType",
                "System.Exception",
            ),
            ("NServiceBus.ProcessingEndpoint", "Sales"),
        ]);
        let f = failure(Some(&nsb)).unwrap();
        assert_eq!(f.framework, DeadLetterKind::Nservicebus);
        assert_eq!(f.origin().as_deref(), Some("Sales"));
        // No message: the exception type is the reason.
        assert_eq!(f.reason(), "System.Exception");

        let spring = table(&[
            (SPRING_EXCHANGE, "orders.exchange"),
            (SPRING_ROUTING_KEY, "orders.created"),
            (SPRING_EXCEPTION_MESSAGE, "Listener threw"),
            (
                SPRING_STACKTRACE,
                "org.springframework.amqp.AmqpRejectAndDontRequeueException: Listener threw\n\tat x",
            ),
        ]);
        let f = failure(Some(&spring)).unwrap();
        assert_eq!(f.framework, DeadLetterKind::Spring);
        assert_eq!(
            f.origin().as_deref(),
            Some("orders.exchange/orders.created")
        );
        assert_eq!(
            f.destination(),
            Some(("orders.exchange".into(), "orders.created".into()))
        );
        assert_eq!(
            f.exception_type.as_deref(),
            Some("org.springframework.amqp.AmqpRejectAndDontRequeueException")
        );
        let through_default = table(&[
            (SPRING_EXCHANGE, ""),
            (SPRING_ROUTING_KEY, "invoices"),
            (SPRING_EXCEPTION_MESSAGE, "x"),
        ]);
        assert_eq!(
            failure(Some(&through_default)).unwrap().origin().as_deref(),
            Some("invoices")
        );
        // Spring's exchange header alone is not a failure.
        assert!(failure(Some(&table(&[
            (SPRING_EXCHANGE, "x"),
            (SPRING_ROUTING_KEY, "k")
        ])))
        .is_none());
        assert!(failure(None).is_none());
    }

    #[test]
    fn long_reasons_are_cut_to_their_first_line() {
        let long = format!("{}\nsecond line", "é".repeat(300));
        let f = failure(Some(&table(&[
            (NSB_FAILED_Q, "Sales"),
            (NSB_EXCEPTION_MESSAGE, long.as_str()),
        ])))
        .unwrap();
        assert_eq!(f.reason().chars().count(), REASON_CHARS + 1);
        assert!(!f.reason().contains("second"));
        assert_eq!(f.message.as_deref(), Some(long.as_str()));
    }

    #[test]
    fn only_nservicebus_failure_headers_are_removed_on_retry() {
        let nsb = table(&[
            (NSB_FAILED_Q, "Sales"),
            (NSB_TIME_OF_FAILURE, "2026-12-01 19:00:00:000000 Z"),
            (NSB_EXCEPTION_MESSAGE, "boom"),
            ("NServiceBus.ExceptionInfo.Data.Message ID", "1"),
            ("NServiceBus.MessageId", "1"),
            ("NServiceBus.ProcessingEndpoint", "Sales"),
        ]);
        let out = retry_headers(&nsb).unwrap();
        let keys: Vec<&str> = out.inner().keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            ["NServiceBus.MessageId", "NServiceBus.ProcessingEndpoint"]
        );
        let mt = table(&[(MT_INPUT_ADDRESS, "queue:orders"), (MT_REASON, "fault")]);
        assert!(retry_headers(&mt).is_none());
        // The broker's dead letter keeps everything.
        let mut both = nsb.clone();
        both.insert("x-death".into(), AMQPValue::FieldArray(vec![].into()));
        assert!(retry_headers(&both).is_none());
    }

    #[test]
    fn names_and_exchanges() {
        assert_eq!(
            kind_by_name("orders_error"),
            Some(DeadLetterKind::Masstransit)
        );
        assert_eq!(kind_by_name("error"), Some(DeadLetterKind::Nservicebus));
        assert_eq!(kind_by_name("_error"), None);
        assert_eq!(kind_by_name("errors"), None);
        assert!(is_error_exchange("app.errors") && is_error_exchange("errorExchange"));
        assert!(!is_error_exchange("amq.direct") && !is_error_exchange("orders"));
    }
}
