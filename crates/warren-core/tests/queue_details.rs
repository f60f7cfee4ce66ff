//! The queue drawer's details against the real broker: bindings and consumers with prefetch.

mod common;

use common::*;
use lapin::types::FieldTable;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_details_show_bindings_and_the_consumers_prefetch() {
    use lapin::options::{
        BasicConsumeOptions, BasicQosOptions, ExchangeDeclareOptions, QueueBindOptions,
    };
    let test_vhost = TestVhost::new("warren-test-details").await;
    let (vhost, conn) = (test_vhost.name.clone(), &test_vhost.conn);
    let env = local();
    let ch = conn.create_channel().await.unwrap();
    ch.exchange_declare(
        "orders".into(),
        lapin::ExchangeKind::Topic,
        ExchangeDeclareOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    declare_transient(&ch, "billing.acme").await;
    ch.queue_bind(
        "billing.acme".into(),
        "orders".into(),
        "order.*.acme".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await
    .unwrap();
    ch.basic_qos(17, BasicQosOptions::default()).await.unwrap();
    let _consumer = ch
        .basic_consume(
            "billing.acme".into(),
            "worker-1".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    // The consumer list comes from the stats database: the consumer, then its channel details,
    // can take a moment to appear.
    let mut details = None;
    for _ in 0..40 {
        let d = warren_core::queues::details::queue_details(&env, guest(), &vhost, "billing.acme")
            .await
            .unwrap();
        if d.consumers
            .first()
            .is_some_and(|c| !c.connection.is_empty())
        {
            details = Some(d);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let d = details.expect("the consumer shows up");
    let keys: Vec<(&str, &str)> = d
        .bindings
        .iter()
        .map(|b| (b.source.as_str(), b.routing_key.as_str()))
        .collect();
    assert_eq!(keys, vec![("", "billing.acme"), ("orders", "order.*.acme")]);
    assert_eq!(d.consumers.len(), 1);
    assert_eq!(d.consumers[0].consumer_tag, "worker-1");
    assert_eq!(d.consumers[0].prefetch_count, 17);
    assert!(
        d.consumers[0].connection.contains(&amqp_port().to_string()),
        "{:?}",
        d.consumers[0]
    );
    let _ = conn.close(200, "done".into()).await;
}
