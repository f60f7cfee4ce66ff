//! The `rabbitmq_prometheus` plugin's endpoint of one environment (`/metrics/detailed`): the
//! per-queue gauges Warren needs (messages, consumers, memory) read straight from the node's
//! metric tables, far cheaper than the management API's aggregated listing on a big broker.
//!
//! The text exposition parser is hand-written: it keeps only the series Warren asks for and
//! reads the two labels it needs, without allocating a label map per line (prometheus-parse
//! does, for every one of the ~150,000 lines of a 10,000-queue scrape).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use url::Url;

use super::{classify_transport, error_chain, tls, BrokerError, BrokerErrorKind};
use crate::environment::Environment;

/// The port the plugin listens on unless configured otherwise.
pub const DEFAULT_PORT: u16 = 15692;

/// The families Warren reads: depth (`queue_coarse_metrics`), consumers, utilisation and process
/// memory (`queue_metrics`, which carries consumers too). Present on 3.10 through 4.3.
pub const QUEUE_FAMILIES: &[&str] = &["queue_coarse_metrics", "queue_metrics"];
/// Per-queue message counters (published, delivered, acknowledged, redelivered): rates come
/// from their differences between two loads. 4.x has them per queue (`queue_delivery_metrics`,
/// `queue_exchange_metrics`); 3.x only per channel and queue (summed here; a closed channel's
/// counts vanish, so a difference can undercount, never overcount: negatives become 0).
pub const COUNTER_FAMILIES: &[&str] = &[
    "queue_delivery_metrics",
    "queue_exchange_metrics",
    "channel_queue_metrics",
    "channel_queue_exchange_metrics",
];
/// Families a connection test looks for, in the order it reports them.
pub const PROBED_FAMILIES: &[&str] = &[
    "queue_coarse_metrics",
    "queue_consumer_count",
    "queue_metrics",
    "queue_delivery_metrics",
    "queue_exchange_metrics",
    "channel_queue_metrics",
    "channel_queue_exchange_metrics",
];

/// The Prometheus endpoint an environment uses: its own `prometheus_url`, else the first
/// management URL's scheme and host on port 15692.
pub fn endpoint(env: &Environment) -> Option<Url> {
    if let Some(u) = env
        .prometheus_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        return Url::parse(u.trim()).ok();
    }
    default_endpoint(env.management_urls.first()?)
}

/// `scheme://host:15692/` for a management URL (`None` when it does not parse).
pub fn default_endpoint(management_url: &str) -> Option<Url> {
    let m = Url::parse(management_url).ok()?;
    let mut u = Url::parse(&format!("{}://localhost/", m.scheme())).ok()?;
    u.set_host(m.host_str()).ok()?;
    u.set_port(Some(DEFAULT_PORT)).ok()?;
    Some(u)
}

/// One node's Prometheus endpoint. No credentials are sent: the plugin does not ask for them,
/// and the endpoint may be another host than the management API.
#[derive(Debug, Clone)]
pub struct PrometheusClient {
    http: reqwest::Client,
    base: Url,
    /// The environment and its jump host: each scrape goes through the tunnel then.
    env_id: String,
    jump: Option<super::tunnel::SshJump>,
    verify_tls: bool,
    /// The last `usable` answer and when: an inventory every few seconds need not re-probe.
    probed: Arc<Mutex<Option<Probe>>>,
}

/// When the endpoint was probed, and whether it was usable (`Err`: why not).
type Probe = (Instant, Result<(), String>);

/// How long a probe's answer is trusted.
const PROBE_TTL: Duration = Duration::from_secs(60);

/// What a scrape says about each queue (gauges) and its message counters (totals since the
/// counting channel opened, summed over channels).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueSample {
    pub messages: u64,
    pub messages_ready: u64,
    pub messages_unacknowledged: u64,
    pub consumers: u64,
    pub consumer_utilisation: Option<f64>,
    pub memory: u64,
    /// Published, delivered (deliver + get), acknowledged, redelivered.
    pub counters: [u64; 4],
    channel_counters: [u64; 4],
    /// Which of the gauges the scrape carried (a queue seen only in counter families has none).
    pub has_gauges: bool,
}

/// One scrape of one node.
#[derive(Debug, Clone, Default)]
pub struct QueueMetrics {
    /// The node that answered (`rabbitmq_identity_info`): every queue listed runs there.
    pub node: Option<String>,
    pub rabbitmq_version: Option<String>,
    /// By (vhost, queue name).
    pub queues: HashMap<(String, String), QueueSample>,
}

impl PrometheusClient {
    /// Needs nothing from the broker (the plugin answers anyone who can reach it).
    pub fn new(env: &Environment, timeout: std::time::Duration) -> Result<Self, BrokerError> {
        let base = endpoint(env).ok_or_else(|| {
            BrokerError::new(
                BrokerErrorKind::Other,
                "the environment's Prometheus URL is not a valid URL: fix it in its settings (`warren env edit ID --prometheus-url http://host:15692`)",
            )
        })?;
        Ok(PrometheusClient {
            http: tls::http_client(&env.tls, timeout)?,
            base,
            env_id: env.id.clone(),
            jump: env.ssh.clone(),
            verify_tls: env.tls.verify,
            probed: Arc::default(),
        })
    }

    /// Whether the endpoint is RabbitMQ's Prometheus plugin (`Err`: why not), asking for a
    /// family that does not exist, which returns only the node's identity (~1 KB, ms), at most
    /// once a minute. Does not modify state.
    pub async fn usable(&self) -> Result<(), String> {
        if let Some((at, answer)) = self.probed.lock().unwrap().as_ref() {
            if at.elapsed() < PROBE_TTL {
                return answer.clone();
            }
        }
        let answer = match self.get_text("metrics/detailed?family=warren_probe").await {
            Ok(body) if String::from_utf8_lossy(&body).contains("rabbitmq_identity_info") => Ok(()),
            Ok(_) => Err(format!(
                "{} answers but is not RabbitMQ's Prometheus plugin",
                self.base
            )),
            Err(e) => Err(format!("Prometheus endpoint not usable: {}", e.message)),
        };
        *self.probed.lock().unwrap() = Some((Instant::now(), answer.clone()));
        answer
    }

    /// The node this endpoint reports (`rabbitmq_identity_info`'s `rabbitmq_node`): several
    /// brokers on one host each have their own port, and the default one may be another's.
    pub async fn node(&self) -> Option<String> {
        let body = self
            .get_text("metrics/detailed?family=warren_probe")
            .await
            .ok()?;
        let text = String::from_utf8_lossy(&body);
        let after = text.split("rabbitmq_node=\"").nth(1)?;
        Some(after.split('"').next()?.to_string())
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, path_and_query: &str) -> Url {
        let mut u = self.base.clone();
        let prefix = self.base.path().trim_end_matches('/').to_string();
        let (p, q) = path_and_query
            .split_once('?')
            .map_or((path_and_query, None), |(p, q)| (p, Some(q)));
        u.set_path(&format!("{prefix}/{}", p.trim_start_matches('/')));
        u.set_query(q);
        u
    }

    /// The raw body of `GET {base}/{path}`. Does not modify state.
    pub async fn get_text(&self, path_and_query: &str) -> Result<Vec<u8>, BrokerError> {
        let url = self.url(path_and_query);
        let shown = url.to_string();
        let url = super::tunnel::local_url(&self.env_id, self.jump.as_ref(), &url, self.verify_tls)
            .await?;
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| classify_transport(&error_chain(&e), &shown))?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Err(BrokerError::new(
                BrokerErrorKind::ManagementNotEnabled,
                format!("{shown} answered 404: is `rabbitmq_prometheus` enabled (`rabbitmq-plugins enable rabbitmq_prometheus`) and is this its port (15692 by default)?"),
            ));
        }
        if !status.is_success() {
            return Err(BrokerError::new(
                BrokerErrorKind::Refused,
                format!("{shown} answered {status}"),
            ));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| classify_transport(&error_chain(&e), &shown))?;
        Ok(body.to_vec())
    }

    /// Per-queue gauges (and counters when `counters`) of one vhost (`None`: all) on this node.
    /// Does not modify state.
    pub async fn queue_metrics(
        &self,
        vhost: Option<&str>,
        counters: bool,
    ) -> Result<QueueMetrics, BrokerError> {
        let body = self.get_text(&detailed_path(vhost, counters)).await?;
        let metrics = parse_queue_metrics(&body);
        if metrics.node.is_none() {
            return Err(BrokerError::new(
                BrokerErrorKind::NotRabbitmq,
                format!(
                    "{} answered, but not with RabbitMQ's Prometheus metrics (no rabbitmq_identity_info)",
                    self.url("metrics/detailed")
                ),
            ));
        }
        Ok(metrics)
    }

    /// Which of `PROBED_FAMILIES` the node serves (a family is listed when the description of
    /// its metrics comes back; asked for a vhost nobody has, so no queue is listed). Does not
    /// modify state.
    pub async fn families(&self) -> Result<Vec<String>, BrokerError> {
        let mut out = Vec::new();
        for family in PROBED_FAMILIES {
            let body = self
                .get_text(&format!(
                    "metrics/detailed?vhost=warren-probe-no-such-vhost&family={family}"
                ))
                .await?;
            if family_present(&String::from_utf8_lossy(&body), family) {
                out.push(family.to_string());
            }
        }
        Ok(out)
    }
}

fn family_present(text: &str, family: &str) -> bool {
    let marker = match family {
        "queue_coarse_metrics" => "rabbitmq_detailed_queue_messages_ready",
        "queue_consumer_count" => "rabbitmq_detailed_queue_consumers",
        "queue_metrics" => "rabbitmq_detailed_queue_process_memory_bytes",
        "queue_delivery_metrics" => "rabbitmq_detailed_queue_messages_delivered",
        "queue_exchange_metrics" => "rabbitmq_detailed_queue_exchange_messages_published",
        "channel_queue_metrics" => "rabbitmq_detailed_channel_messages_delivered",
        "channel_queue_exchange_metrics" => "rabbitmq_detailed_queue_messages_published",
        _ => return false,
    };
    text.contains(marker)
}

/// `metrics/detailed?vhost=V&family=…` for the families Warren reads.
pub fn detailed_path(vhost: Option<&str>, counters: bool) -> String {
    let mut q = String::from("metrics/detailed?");
    if let Some(v) = vhost {
        q.push_str("vhost=");
        q.push_str(
            &percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
        q.push('&');
    }
    let families = QUEUE_FAMILIES
        .iter()
        .chain(if counters { COUNTER_FAMILIES } else { &[] });
    q.push_str(
        &families
            .map(|f| format!("family={f}"))
            .collect::<Vec<_>>()
            .join("&"),
    );
    q
}

/// Which field of `QueueSample` a series feeds, and whether it is summed (counters per
/// channel) or set (one gauge per queue).
#[derive(Clone, Copy)]
enum Field {
    Messages,
    Ready,
    Unacked,
    Consumers,
    Utilisation,
    Memory,
    /// A counter (published, delivered, acked, redelivered); `true`: a per-queue series (4.x),
    /// else per channel (3.x).
    Counter(usize, bool),
}

fn field_of(metric: &[u8]) -> Option<Field> {
    let rest = metric.strip_prefix(b"rabbitmq_detailed_")?;
    Some(match rest {
        b"queue_messages" => Field::Messages,
        b"queue_messages_ready" => Field::Ready,
        b"queue_messages_unacked" => Field::Unacked,
        b"queue_consumers" => Field::Consumers,
        b"queue_consumer_utilisation" => Field::Utilisation,
        b"queue_process_memory_bytes" => Field::Memory,
        // Deliveries with and without ack, and gets, as the management API's deliver_get
        // counts them.
        b"queue_exchange_messages_published_total" => Field::Counter(0, true),
        b"queue_messages_delivered_total"
        | b"queue_messages_delivered_ack_total"
        | b"queue_get_total"
        | b"queue_get_ack_total" => Field::Counter(1, true),
        b"queue_messages_acked_total" => Field::Counter(2, true),
        b"queue_messages_redelivered_total" => Field::Counter(3, true),
        b"queue_messages_published_total" => Field::Counter(0, false),
        b"channel_messages_delivered_total"
        | b"channel_messages_delivered_ack_total"
        | b"channel_get_total"
        | b"channel_get_ack_total" => Field::Counter(1, false),
        b"channel_messages_acked_total" => Field::Counter(2, false),
        b"channel_messages_redelivered_total" => Field::Counter(3, false),
        _ => return None,
    })
}

/// Parse a text exposition (format 0.0.4) into per-queue samples. Lines that are not about a
/// queue Warren reads are skipped after looking at their metric name only.
pub fn parse_queue_metrics(body: &[u8]) -> QueueMetrics {
    let mut out = QueueMetrics::default();
    let mut per_queue_counters = false;
    for line in body.split(|b| *b == b'\n') {
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let name_end = line
            .iter()
            .position(|b| *b == b'{' || *b == b' ')
            .unwrap_or(line.len());
        let name = &line[..name_end];
        if name == b"rabbitmq_identity_info" {
            let labels = labels_of(&line[name_end..]);
            out.node = label(&labels, "rabbitmq_node");
            continue;
        }
        if name == b"rabbitmq_build_info" {
            out.rabbitmq_version = label(&labels_of(&line[name_end..]), "rabbitmq_version");
            continue;
        }
        let Some(field) = field_of(name) else {
            continue;
        };
        let (labels, value) = split_labels_value(&line[name_end..]);
        let labels = labels_of(labels);
        // channel_queue_exchange_metrics names the queue's vhost `queue_vhost`.
        let vhost = label(&labels, "vhost").or_else(|| label(&labels, "queue_vhost"));
        let (Some(vhost), Some(queue)) = (vhost, label(&labels, "queue")) else {
            continue;
        };
        let value = parse_value(value);
        let sample = out.queues.entry((vhost, queue)).or_default();
        let whole = if value.is_finite() && value > 0.0 {
            value as u64
        } else {
            0
        };
        match field {
            Field::Messages => (sample.messages, sample.has_gauges) = (whole, true),
            Field::Ready => (sample.messages_ready, sample.has_gauges) = (whole, true),
            Field::Unacked => (sample.messages_unacknowledged, sample.has_gauges) = (whole, true),
            Field::Consumers => (sample.consumers, sample.has_gauges) = (whole, true),
            Field::Utilisation => sample.consumer_utilisation = value.is_finite().then_some(value),
            Field::Memory => (sample.memory, sample.has_gauges) = (whole, true),
            Field::Counter(i, true) => {
                per_queue_counters = true;
                sample.counters[i] += whole
            }
            Field::Counter(i, false) => sample.channel_counters[i] += whole,
        }
    }
    if !per_queue_counters {
        for s in out.queues.values_mut() {
            s.counters = s.channel_counters;
        }
    }
    out
}

/// `{labels} value [timestamp]` → (`{labels}` or empty, `value`).
fn split_labels_value(rest: &[u8]) -> (&[u8], &[u8]) {
    if rest.first() != Some(&b'{') {
        return (&[], rest.trim_ascii());
    }
    // The closing brace is the first `}` outside a quoted label value.
    let mut quoted = false;
    let mut escaped = false;
    for (i, b) in rest.iter().enumerate() {
        match *b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b'}' if !quoted => return (&rest[..=i], rest[i + 1..].trim_ascii()),
            _ => {}
        }
    }
    (rest, &[])
}

fn parse_value(v: &[u8]) -> f64 {
    let v = v.split(|b| *b == b' ').next().unwrap_or(v);
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| match s {
            "NaN" => Some(f64::NAN),
            "+Inf" => Some(f64::INFINITY),
            "-Inf" => Some(f64::NEG_INFINITY),
            s => s.parse().ok(),
        })
        .unwrap_or(f64::NAN)
}

/// The labels of `{a="x",b="y\"z"}` (or `{…} value`), values unescaped.
fn labels_of(rest: &[u8]) -> Vec<(&[u8], String)> {
    let mut out = Vec::new();
    let Some(body) = rest.strip_prefix(b"{") else {
        return out;
    };
    let mut i = 0;
    while i < body.len() {
        while i < body.len() && matches!(body[i], b',' | b' ') {
            i += 1;
        }
        if i >= body.len() || body[i] == b'}' {
            break;
        }
        let key_start = i;
        while i < body.len() && body[i] != b'=' {
            i += 1;
        }
        let key = &body[key_start..i];
        i += 1; // '='
        if body.get(i) != Some(&b'"') {
            break;
        }
        i += 1;
        let mut value = Vec::new();
        while i < body.len() && body[i] != b'"' {
            if body[i] == b'\\' && i + 1 < body.len() {
                i += 1;
                value.push(match body[i] {
                    b'n' => b'\n',
                    other => other,
                });
            } else {
                value.push(body[i]);
            }
            i += 1;
        }
        i += 1; // closing quote
        out.push((key, String::from_utf8_lossy(&value).into_owned()));
    }
    out
}

fn label(labels: &[(&[u8], String)], key: &str) -> Option<String> {
    labels
        .iter()
        .find(|(k, _)| *k == key.as_bytes())
        .map(|(_, v)| v.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRAPE: &str = r#"# TYPE rabbitmq_detailed_queue_messages_ready gauge
rabbitmq_build_info{rabbitmq_version="3.10.8",prometheus_plugin_version="3.10.8"} 1
rabbitmq_identity_info{rabbitmq_node="rabbit@localhost",rabbitmq_cluster="rabbit@vm"} 1
rabbitmq_detailed_queue_messages_ready{vhost="probe",queue="q1"} 1
rabbitmq_detailed_queue_messages{vhost="probe",queue="q1"} 3
rabbitmq_detailed_queue_messages_unacked{vhost="probe",queue="q1"} 2
rabbitmq_detailed_queue_consumers{vhost="probe",queue="a \"quoted\" q}"} 4
rabbitmq_detailed_queue_consumer_utilisation{vhost="probe",queue="q1"} NaN
rabbitmq_detailed_queue_process_memory_bytes{vhost="probe",queue="q1"} 68408
rabbitmq_detailed_queue_messages_ram{vhost="probe",queue="q1"} 1
rabbitmq_detailed_queue_messages_published_total{channel="<0.1.0>",queue_vhost="probe",queue="q1",exchange=""} 5
rabbitmq_detailed_queue_messages_published_total{channel="<0.2.0>",queue_vhost="probe",queue="q1",exchange="x"} 7
rabbitmq_detailed_channel_messages_delivered_ack_total{channel="<0.1.0>",vhost="probe",queue="q1"} 6
rabbitmq_detailed_channel_get_total{channel="<0.1.0>",vhost="probe",queue="q1"} 1
"#;

    #[test]
    fn a_scrape_gives_each_queues_gauges_and_summed_counters() {
        let m = parse_queue_metrics(SCRAPE.as_bytes());
        assert_eq!(m.node.as_deref(), Some("rabbit@localhost"));
        assert_eq!(m.rabbitmq_version.as_deref(), Some("3.10.8"));
        let q = &m.queues[&("probe".to_string(), "q1".to_string())];
        assert_eq!(
            (
                q.messages,
                q.messages_ready,
                q.messages_unacknowledged,
                q.memory
            ),
            (3, 1, 2, 68408)
        );
        assert_eq!(q.consumer_utilisation, None, "NaN is no figure");
        assert_eq!(q.counters, [12, 7, 0, 0]);
        let quoted = &m.queues[&("probe".to_string(), "a \"quoted\" q}".to_string())];
        assert_eq!(quoted.consumers, 4);
    }

    #[test]
    fn the_default_endpoint_is_the_management_host_on_15692() {
        assert_eq!(
            default_endpoint("https://rabbit.example:443/mgmt/")
                .unwrap()
                .as_str(),
            "https://rabbit.example:15692/"
        );
        assert_eq!(
            default_endpoint("http://127.0.0.1:15672").unwrap().as_str(),
            "http://127.0.0.1:15692/"
        );
    }

    #[test]
    fn the_detailed_path_encodes_the_vhost_and_lists_families() {
        assert_eq!(
            detailed_path(Some("/"), false),
            "metrics/detailed?vhost=%2F&family=queue_coarse_metrics&family=queue_metrics"
        );
        assert!(detailed_path(None, true).ends_with("family=channel_queue_exchange_metrics"));
        let m = parse_queue_metrics(
            b"rabbitmq_identity_info{rabbitmq_node=\"n\"} 1\nrabbitmq_detailed_queue_messages_acked_total{vhost=\"v\",queue=\"q\"} 4\n",
        );
        assert_eq!(
            m.queues[&("v".into(), "q".into())].counters,
            [0, 0, 4, 0],
            "4.x per-queue counters"
        );
    }
}
