//! Framework error queues against the real broker: each built the way MassTransit, NServiceBus
//! and Spring AMQP's republishing recoverer build theirs (queue and exchange names, the headers
//! they write), then discovered with the right kind, decoded (origin and reason), grouped, and
//! replayed to origin: every message back in the queue it failed in, exactly once, with the
//! framework's headers kept or removed as its own retry tooling does.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use lapin::options::{
    BasicPublishOptions, ExchangeBindOptions, ExchangeDeclareOptions, QueueBindOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel, ExchangeKind};
use warren_core::deadletters::browse::{browse_queue, Browse, BrowseOptions};
use warren_core::deadletters::replay::{replay, ReplayOptions, ReplayRequest, Scope, Target};
use warren_core::deadletters::xdeath::REPLAY_COUNT;
use warren_core::deadletters::{self, DeadLetterKind, DeadLetterTopology, Wiring};
use warren_core::queues::QueueRow;

/// A durable exchange of `kind`.
async fn exchange(ch: &Channel, name: &str, kind: ExchangeKind) {
    ch.exchange_declare(
        name.into(),
        kind,
        ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("exchange {name}: {e}"));
}

async fn bind(ch: &Channel, queue: &str, exchange: &str, key: &str) {
    ch.queue_bind(
        queue.into(),
        exchange.into(),
        key.into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap_or_else(|e| panic!("bind {queue} to {exchange}: {e}"));
}

/// A queue with an exchange of the same name bound to it (fanout): how MassTransit and
/// NServiceBus's conventional routing topology declare every endpoint queue.
async fn endpoint(ch: &Channel, name: &str) {
    declare_durable(ch, name, FieldTable::default()).await;
    exchange(ch, name, ExchangeKind::Fanout).await;
    bind(ch, name, name, "").await;
}

fn headers(pairs: &[(&str, &str)]) -> FieldTable {
    let mut t = FieldTable::default();
    for (k, v) in pairs {
        t.insert((*k).into(), AMQPValue::LongString(LongString::from(*v)));
    }
    t
}

/// Publish through `exchange` with `key`, persistent, confirmed and routed.
async fn send(ch: &Channel, exchange: &str, key: &str, body: &str, props: BasicProperties) {
    let confirm = ch
        .basic_publish(
            exchange.into(),
            key.into(),
            BasicPublishOptions {
                mandatory: true,
                immediate: false,
            },
            body.as_bytes(),
            props.with_delivery_mode(2),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert!(
        confirm.is_ack() && confirm.take_message().is_none(),
        "{exchange}/{key} routed it"
    );
}

/// The vhost's inventory once the management API lists `expect` messages in each named queue
/// (its counts lag a stats interval).
async fn inventory_with(vhost: &str, expect: &[(&str, u64)]) -> Vec<QueueRow> {
    for _ in 0..60 {
        let rows = mapped_inventory(vhost, None).await.rows;
        let ok = expect
            .iter()
            .all(|(q, n)| rows.iter().any(|r| r.name == *q && r.messages == *n));
        if ok {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("the management API never listed {expect:?}");
}

async fn discover(rows: &[QueueRow]) -> DeadLetterTopology {
    deadletters::discover(&local(), guest(), rows)
        .await
        .unwrap()
}

async fn read_all(vhost: &str, queue: &str) -> Browse {
    let opts = BrowseOptions {
        limit: 100,
        insist: false,
    };
    browse_queue(&local(), &guest(), vhost, queue, None, &opts)
        .await
        .unwrap()
}

/// The (origin, reason, count) of each group, as the window and `dlq show` list them.
fn groups(b: &Browse) -> Vec<(String, String, u32)> {
    let mut g: Vec<_> = b
        .groups
        .iter()
        .map(|g| (g.origin.clone(), g.reason.clone(), g.count))
        .collect();
    g.sort();
    g
}

/// Every message of `q` (drained): message id → headers.
async fn drain(ch: &Channel, q: &str) -> BTreeMap<String, FieldTable> {
    let n = settled_depth(ch, q).await as usize;
    let mut out = BTreeMap::new();
    if n == 0 {
        return out;
    }
    let tag = format!("drain-{q}");
    let mut c = consume(ch, q, &tag, 100, true).await;
    while out.len() < n {
        let d = c.next().await.unwrap().unwrap();
        let prev = out.insert(
            message_id(&d),
            d.properties.headers().clone().unwrap_or_default(),
        );
        assert!(prev.is_none(), "one copy of {}", message_id(&d));
    }
    ch.basic_cancel(tag.as_str().into(), Default::default())
        .await
        .unwrap();
    out
}

fn ids(m: &BTreeMap<String, FieldTable>) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

fn replayed_once(h: &FieldTable) -> bool {
    h.inner().get(REPLAY_COUNT) == Some(&AMQPValue::LongLongInt(1))
}

/// What MassTransit writes on a message it moves to `<queue>_error` (MoveExceptionToTransport:
/// `SetExceptionHeaders` and `SetHostHeaders`), for an endpoint `queue` in `vhost`.
fn masstransit_fault(
    vhost: &str,
    queue: &str,
    id: &str,
    ty: &str,
    message: &str,
) -> BasicProperties {
    let input = format!("rabbitmq://localhost/{vhost}/{queue}");
    let mut h = headers(&[
        ("MT-Reason", "fault"),
        ("MT-Fault-ExceptionType", ty),
        ("MT-Fault-Message", message),
        ("MT-Fault-Timestamp", "2026-12-01T19:04:05.1234567Z"),
        (
            "MT-Fault-StackTrace",
            "   at Shop.SubmitOrderConsumer.Consume(ConsumeContext`1 context)",
        ),
        ("MT-Fault-InputAddress", input.as_str()),
        ("MT-Fault-ConsumerType", "Shop.SubmitOrderConsumer"),
        ("MT-Fault-MessageType", "Shop.Contracts.SubmitOrder"),
        ("MT-Host-MachineName", "web01"),
        ("MT-Host-ProcessName", "Shop.Service"),
        ("MT-Host-Assembly", "Shop.Service"),
        ("MT-Host-MassTransitVersion", "8.3.0.0"),
        ("MT-Host-FrameworkVersion", "8.0.11"),
        ("MT-Host-OperatingSystemVersion", "Unix 6.1.0.0"),
    ]);
    h.insert("MT-Fault-RetryCount".into(), AMQPValue::LongInt(2));
    h.insert("MT-Host-ProcessId".into(), AMQPValue::LongInt(4242));
    BasicProperties::default()
        .with_message_id(id.into())
        .with_content_type("application/vnd.masstransit+json".into())
        .with_headers(h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masstransit_error_queues_are_found_decoded_grouped_and_replayed_keeping_their_headers() {
    let t = TestVhost::new("warren-test-mt").await;
    let ch = t.confirming_channel().await;
    // MassTransit's topology for the endpoint `submit-order`: queue + fanout exchange of that
    // name, and its error transport `submit-order_error` (exchange bound to queue).
    endpoint(&ch, "submit-order").await;
    endpoint(&ch, "submit-order_error").await;
    let faults = [
        ("m1", "System.InvalidOperationException", "Budget exceeded"),
        (
            "m2",
            "System.TimeoutException",
            "The supplier did not answer in 30 s",
        ),
        ("m3", "System.InvalidOperationException", "Budget exceeded"),
    ];
    for (id, ty, message) in faults {
        let props = masstransit_fault(&t.name, "submit-order", id, ty, message);
        let body = format!(
            r#"{{"messageId":"{id}","messageType":["urn:message:Shop.Contracts:SubmitOrder"],"message":{{"orderId":"{id}"}}}}"#
        );
        send(&ch, "submit-order_error", "", &body, props).await;
    }

    let rows = inventory_with(&t.name, &[("submit-order_error", 3)]).await;
    let topology = discover(&rows).await;
    let q = topology
        .find(&t.name, "submit-order_error")
        .expect("the error queue is listed");
    assert_eq!(
        (q.kind, q.wiring),
        (DeadLetterKind::Masstransit, Wiring::ByName)
    );
    assert_eq!(q.messages, 3);
    assert!(
        topology.find(&t.name, "submit-order").is_none(),
        "the endpoint queue itself is not an error queue"
    );

    let b = read_all(&t.name, "submit-order_error").await;
    assert_eq!(b.read, 3);
    for m in &b.messages {
        assert_eq!(m.kind, DeadLetterKind::Masstransit);
        assert_eq!(m.origin.as_deref(), Some("submit-order"));
        let f = m.failure.as_ref().expect("decoded");
        assert_eq!(f.mt_reason.as_deref(), Some("fault"));
        assert_eq!(f.host.as_deref(), Some("web01 (Shop.Service)"));
        assert!(f
            .address
            .as_deref()
            .unwrap()
            .starts_with("rabbitmq://localhost/"));
    }
    assert_eq!(
        groups(&b),
        [
            ("submit-order".into(), "Budget exceeded".into(), 2),
            (
                "submit-order".into(),
                "The supplier did not answer in 30 s".into(),
                1
            ),
        ]
    );

    // One group first (the filter the window builds for it), then the rest.
    let group = ReplayOptions {
        target: Target::Origin,
        scope: Scope {
            filter: deadletters::filter::DeadLetterFilter::parse(
                "origin:submit-order reason:Budget*exceeded",
            )
            .unwrap(),
            ..Default::default()
        },
        ..Default::default()
    };
    let r = replay_unattended(&t.name, "submit-order_error", &group).await;
    assert_eq!((r.replayed, r.out_of_scope, r.unroutable), (2, 1, 0));
    let back = drain(&ch, "submit-order").await;
    assert_eq!(ids(&back), ["m1", "m3"]);
    let r = replay_unattended(&t.name, "submit-order_error", &ReplayOptions::default()).await;
    assert_eq!((r.replayed, r.unroutable), (1, 0));
    assert_eq!(settled_depth(&ch, "submit-order_error").await, 0);
    let rest = drain(&ch, "submit-order").await;
    assert_eq!(ids(&rest), ["m2"]);
    // MassTransit's way back keeps its headers (it overwrites them if the message fails again).
    for h in back.values().chain(rest.values()) {
        assert!(replayed_once(h));
        assert!(h.contains_key("MT-Fault-InputAddress") && h.contains_key("MT-Reason"));
        assert_eq!(
            h.inner().get("MT-Fault-RetryCount"),
            Some(&AMQPValue::LongInt(2))
        );
    }
}

/// What NServiceBus writes on a message its recoverability moves to the error queue
/// (`NServiceBus.FailedQ`, `NServiceBus.TimeOfFailure`, `NServiceBus.ExceptionInfo.*`), beside
/// the headers every NServiceBus message carries.
fn nservicebus_failure(id: &str, failed_q: &str, ty: &str, message: &str) -> BasicProperties {
    let endpoint = failed_q.split('@').next().unwrap();
    let h = headers(&[
        ("NServiceBus.MessageId", id),
        ("NServiceBus.MessageIntent", "Send"),
        ("NServiceBus.ConversationId", "c-1"),
        ("NServiceBus.CorrelationId", id),
        ("NServiceBus.OriginatingEndpoint", "Web"),
        ("NServiceBus.OriginatingMachine", "web01"),
        ("NServiceBus.ContentType", "application/json"),
        (
            "NServiceBus.EnclosedMessageTypes",
            "Shop.Messages.PlaceOrder, Shop.Messages",
        ),
        ("NServiceBus.Version", "9.2.3"),
        ("NServiceBus.TimeSent", "2026-12-01 19:00:00:000000 Z"),
        ("NServiceBus.ProcessingEndpoint", endpoint),
        ("NServiceBus.ProcessingMachine", "app02"),
        ("NServiceBus.FailedQ", failed_q),
        ("NServiceBus.TimeOfFailure", "2026-12-01 19:00:07:123456 Z"),
        ("NServiceBus.ExceptionInfo.ExceptionType", ty),
        ("NServiceBus.ExceptionInfo.HelpLink", ""),
        ("NServiceBus.ExceptionInfo.Message", message),
        ("NServiceBus.ExceptionInfo.Source", "Shop.Sales"),
        (
            "NServiceBus.ExceptionInfo.StackTrace",
            "System.Exception: x\n   at Shop.Sales.PlaceOrderHandler.Handle()",
        ),
        (
            "NServiceBus.ExceptionInfo.Data.Message type",
            "Shop.Messages.PlaceOrder",
        ),
        (
            "NServiceBus.ExceptionInfo.Data.Handler type",
            "Shop.Sales.PlaceOrderHandler",
        ),
    ]);
    BasicProperties::default()
        .with_message_id(id.into())
        .with_correlation_id(id.into())
        .with_content_type("application/json".into())
        .with_type("Shop.Messages.PlaceOrder, Shop.Messages".into())
        .with_headers(h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nservicebus_error_queue_is_replayed_to_each_endpoint_without_its_failure_headers() {
    let t = TestVhost::new("warren-test-nsb").await;
    let ch = t.confirming_channel().await;
    // The conventional routing topology: each endpoint queue with its fanout exchange, and the
    // shared `error` queue the same way.
    for q in ["Sales", "Billing", "error"] {
        endpoint(&ch, q).await;
    }
    let failures = [
        (
            "n1",
            "Sales",
            "System.InvalidOperationException",
            "Order 17 is locked",
        ),
        (
            "n2",
            "Billing@APP02",
            "System.Data.SqlClient.SqlException",
            "Deadlock victim",
        ),
        (
            "n3",
            "Sales",
            "System.InvalidOperationException",
            "Order 17 is locked",
        ),
    ];
    for (id, failed_q, ty, message) in failures {
        let props = nservicebus_failure(id, failed_q, ty, message);
        send(&ch, "error", "", r#"{"OrderId":17}"#, props).await;
    }

    let rows = inventory_with(&t.name, &[("error", 3)]).await;
    let topology = discover(&rows).await;
    let q = topology.find(&t.name, "error").expect("listed");
    assert_eq!(
        (q.kind, q.wiring),
        (DeadLetterKind::Nservicebus, Wiring::ByName)
    );
    assert!(topology.find(&t.name, "Sales").is_none());

    let b = read_all(&t.name, "error").await;
    assert!(b
        .messages
        .iter()
        .all(|m| m.kind == DeadLetterKind::Nservicebus));
    let n2 = b
        .messages
        .iter()
        .find(|m| m.properties["message_id"] == "n2")
        .unwrap();
    let f = n2.failure.as_ref().unwrap();
    assert_eq!(f.address.as_deref(), Some("Billing@APP02"));
    assert_eq!(
        f.exception_type.as_deref(),
        Some("System.Data.SqlClient.SqlException")
    );
    assert_eq!(f.failed_at.as_deref(), Some("2026-12-01 19:00:07:123456 Z"));
    assert_eq!(f.host.as_deref(), Some("app02 (Billing)"));
    assert_eq!(
        groups(&b),
        [
            ("Billing".into(), "Deadlock victim".into(), 1),
            ("Sales".into(), "Order 17 is locked".into(), 2),
        ]
    );

    // As the window and the CLI ask for it (the broker path allowed, if it qualifies).
    let request = ReplayRequest {
        vhost: t.name.clone(),
        queue: "error".into(),
        target: Target::Origin,
        filter: String::new(),
        keys: None,
        discard: false,
        expected: None,
    };
    let options = request.options(None).unwrap();
    let plan = deadletters::plan(&local(), &guest(), &t.name, "error", &options, &rows, 100)
        .await
        .unwrap();
    let mut planned: Vec<(String, u32, bool)> = plan
        .destinations
        .iter()
        .map(|d| (d.destination.clone(), d.messages, d.exists))
        .collect();
    planned.sort();
    assert_eq!(
        planned,
        [
            ("queue Billing".into(), 1, true),
            ("queue Sales".into(), 2, true)
        ]
    );
    let r = replay(
        &local(),
        &guest(),
        &t.name,
        "error",
        &options,
        |_| {},
        || false,
    )
    .await
    .unwrap();
    assert_eq!((r.replayed, r.unroutable, r.kept), (3, 0, 0));
    assert_eq!(settled_depth(&ch, "error").await, 0);
    let sales = drain(&ch, "Sales").await;
    let billing = drain(&ch, "Billing").await;
    assert_eq!((ids(&sales), ids(&billing)), (vec!["n1", "n3"], vec!["n2"]));
    // ServiceControl's retry: the failure headers go, the message's own headers stay.
    for h in sales.values().chain(billing.values()) {
        assert!(replayed_once(h));
        let keys: Vec<&str> = h.inner().keys().map(|k| k.as_str()).collect();
        assert!(
            keys.iter()
                .all(|k| !k.starts_with("NServiceBus.ExceptionInfo.")
                    && *k != "NServiceBus.FailedQ"
                    && *k != "NServiceBus.TimeOfFailure"),
            "{keys:?}"
        );
        for kept in [
            "NServiceBus.MessageId",
            "NServiceBus.EnclosedMessageTypes",
            "NServiceBus.ProcessingEndpoint",
            "NServiceBus.ConversationId",
        ] {
            assert!(h.contains_key(kept), "{kept} kept");
        }
    }
}

/// What Spring AMQP's `RepublishMessageRecoverer` writes (its four headers) on a message a
/// listener received from `exchange` with `key`, beside Jackson's `__TypeId__`.
fn spring_recovered(id: &str, exchange: &str, key: &str, message: &str) -> BasicProperties {
    let trace = format!(
        "org.springframework.amqp.rabbit.support.ListenerExecutionFailedException: Listener method 'public void shop.OrderListener.onOrder(shop.Order)' threw exception\n\tat org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer.wrapToListenerExecutionFailedExceptionIfNeeded(AbstractMessageListenerContainer.java:1718)\nCaused by: java.lang.IllegalStateException: {message}\n\tat shop.OrderListener.onOrder(OrderListener.java:31)"
    );
    let h = headers(&[
        ("__TypeId__", "shop.Order"),
        ("x-exception-stacktrace", trace.as_str()),
        ("x-exception-message", message),
        ("x-original-exchange", exchange),
        ("x-original-routingKey", key),
    ]);
    BasicProperties::default()
        .with_message_id(id.into())
        .with_content_type("application/json".into())
        .with_content_encoding("UTF-8".into())
        .with_headers(h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spring_recoverer_queues_are_found_by_binding_or_head_and_go_back_to_their_exchange_and_key(
) {
    let t = TestVhost::new("warren-test-spring").await;
    let ch = t.confirming_channel().await;
    // The app: `orders.exchange` (direct) routes `orders.created` to the listener's queue and to
    // an audit queue; `invoices` is fed through the default exchange.
    exchange(&ch, "orders.exchange", ExchangeKind::Direct).await;
    for q in [
        "orders.created.q",
        "orders.audit",
        "invoices",
        "app.recovery",
    ] {
        declare_durable(&ch, q, FieldTable::default()).await;
    }
    bind(&ch, "orders.created.q", "orders.exchange", "orders.created").await;
    bind(&ch, "orders.audit", "orders.exchange", "orders.created").await;
    // `new RepublishMessageRecoverer(template, "app.errors")`: the error routing key is
    // "error." + the original key; the app binds its recovery queue with `error.#`.
    exchange(&ch, "app.errors", ExchangeKind::Topic).await;
    bind(&ch, "app.recovery", "app.errors", "error.#").await;
    // A second service uses `new RepublishMessageRecoverer(template)`: the default exchange,
    // so its failures land in a queue named `error.invoices`.
    declare_durable(&ch, "error.invoices", FieldTable::default()).await;
    // An exchange-to-exchange binding into the error exchange must not confuse discovery.
    exchange(&ch, "unrelated", ExchangeKind::Fanout).await;
    ch.exchange_bind(
        "app.errors".into(),
        "unrelated".into(),
        "".into(),
        ExchangeBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();

    let failed = [
        (
            "s1",
            "orders.exchange",
            "orders.created",
            "Order 7 has no customer",
        ),
        ("s2", "", "invoices", "Invoice 9 is already paid"),
        (
            "s3",
            "orders.exchange",
            "orders.created",
            "Order 8 has no customer",
        ),
    ];
    for (id, x, key, message) in failed {
        let props = spring_recovered(id, x, key, message);
        send(
            &ch,
            "app.errors",
            &format!("error.{key}"),
            r#"{"id":7}"#,
            props,
        )
        .await;
    }
    let props = spring_recovered("s4", "", "invoices", "Invoice 10 is already paid");
    send(&ch, "", "error.invoices", r#"{"id":10}"#, props).await;

    let rows = inventory_with(&t.name, &[("app.recovery", 3), ("error.invoices", 1)]).await;
    let topology = discover(&rows).await;
    let by_binding = topology.find(&t.name, "app.recovery").expect("listed");
    assert_eq!(
        (by_binding.kind, by_binding.wiring),
        (DeadLetterKind::Spring, Wiring::ByBinding)
    );
    assert_eq!(by_binding.exchanges, ["app.errors"]);
    let by_head = topology.find(&t.name, "error.invoices").expect("listed");
    assert_eq!(
        (by_head.kind, by_head.wiring),
        (DeadLetterKind::Spring, Wiring::ByHeaders)
    );
    for q in ["orders.created.q", "orders.audit", "invoices"] {
        assert!(topology.find(&t.name, q).is_none(), "{q} is no error queue");
    }
    // Reading the head gave it back.
    assert_eq!(depth(&ch, "error.invoices").await, 1);

    let b = read_all(&t.name, "app.recovery").await;
    assert!(b.messages.iter().all(|m| m.kind == DeadLetterKind::Spring));
    let s1 = &b.messages[0];
    let f = s1.failure.as_ref().unwrap();
    assert_eq!(
        (
            f.exchange.as_deref(),
            f.routing_key.as_deref(),
            f.queue.as_deref()
        ),
        (Some("orders.exchange"), Some("orders.created"), None)
    );
    assert_eq!(
        f.exception_type.as_deref(),
        Some("org.springframework.amqp.rabbit.support.ListenerExecutionFailedException")
    );
    assert!(f.stack_trace.as_deref().unwrap().contains("Caused by"));
    assert_eq!(
        groups(&b),
        [
            ("invoices".into(), "Invoice 9 is already paid".into(), 1),
            (
                "orders.exchange/orders.created".into(),
                "Order 7 has no customer".into(),
                1
            ),
            (
                "orders.exchange/orders.created".into(),
                "Order 8 has no customer".into(),
                1
            ),
        ]
    );

    // The plan says where each goes, and who receives a copy through the exchange.
    let options = ReplayOptions::default();
    let plan = deadletters::plan(
        &local(),
        &guest(),
        &t.name,
        "app.recovery",
        &options,
        &rows,
        100,
    )
    .await
    .unwrap();
    let through = plan
        .destinations
        .iter()
        .find(|d| d.exchange == "orders.exchange")
        .expect("planned through the original exchange");
    assert_eq!(
        (through.routing_key.as_str(), through.messages),
        ("orders.created", 2)
    );
    assert_eq!(through.receivers, ["orders.audit", "orders.created.q"]);
    let direct = plan
        .destinations
        .iter()
        .find(|d| d.exchange.is_empty())
        .unwrap();
    assert_eq!(
        (direct.destination.as_str(), direct.messages),
        ("queue invoices", 1)
    );

    for q in ["app.recovery", "error.invoices"] {
        let r = replay_unattended(&t.name, q, &options).await;
        assert_eq!(r.unroutable, 0, "{q}");
        assert_eq!(settled_depth(&ch, q).await, 0, "{q} emptied");
    }
    let orders = drain(&ch, "orders.created.q").await;
    let audit = drain(&ch, "orders.audit").await;
    let invoices = drain(&ch, "invoices").await;
    assert_eq!(ids(&orders), ["s1", "s3"]);
    // The documented cost of going back through an exchange: its other queues get a copy too.
    assert_eq!(ids(&audit), ["s1", "s3"]);
    assert_eq!(ids(&invoices), ["s2", "s4"]);
    // Spring's headers are kept (its recoverer overwrites them on the next failure).
    for h in orders.values().chain(invoices.values()) {
        assert!(replayed_once(h));
        assert!(h.contains_key("x-exception-message") && h.contains_key("x-original-exchange"));
        assert!(h.contains_key("__TypeId__"));
    }
}
