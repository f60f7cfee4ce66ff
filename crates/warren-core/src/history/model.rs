//! What the history answers, shared by the CLI (`warren history … --json`) and the window.
//! The JSON keys of `Series` (`series`, `t`, `value`, `resolution_s`) and of `Grower` are the
//! CLI's contract: keep them, add freely.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A figure recorded for every queue and every aggregate at each sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum HistoryMetric {
    Messages,
    Ready,
    Unacked,
    Consumers,
    /// Bytes.
    Memory,
    /// Messages per second.
    PublishRate,
    DeliverRate,
}

impl HistoryMetric {
    pub const ALL: [HistoryMetric; 7] = [
        HistoryMetric::Messages,
        HistoryMetric::Ready,
        HistoryMetric::Unacked,
        HistoryMetric::Consumers,
        HistoryMetric::Memory,
        HistoryMetric::PublishRate,
        HistoryMetric::DeliverRate,
    ];

    /// The name the CLI takes (`--metric publish_rate`).
    pub fn name(self) -> &'static str {
        match self {
            HistoryMetric::Messages => "messages",
            HistoryMetric::Ready => "ready",
            HistoryMetric::Unacked => "unacked",
            HistoryMetric::Consumers => "consumers",
            HistoryMetric::Memory => "memory",
            HistoryMetric::PublishRate => "publish_rate",
            HistoryMetric::DeliverRate => "deliver_rate",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// What a series follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SeriesKind {
    Queue,
    Realm,
    Worker,
    /// One worker in one realm.
    Cell,
    /// Every queue.
    Total,
}

/// Which series: a queue, a realm, a worker, a worker × realm cell or the total, in one vhost
/// or summed over every vhost (`vhost: None`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SeriesSelector {
    pub kind: SeriesKind,
    /// `None`: the sum over every vhost sampled.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    /// The queue, realm or worker name (the worker for a cell); `None` for the total.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A cell's realm.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
}

/// One point of a series. At full resolution `value` is the sampled figure; downsampled, it is
/// the bucket's average and `min`/`max` its extremes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Point {
    /// RFC 3339, UTC.
    pub t: String,
    pub value: f64,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// `warren history --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Series {
    pub series: Vec<Point>,
    /// Seconds between points: the sampling interval at full resolution, else the bucket size.
    pub resolution_s: u32,
}

/// A series that grew over the window asked (`warren history growers --json`, the Growers view).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Grower {
    pub kind: SeriesKind,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
    /// The queue, realm or worker.
    pub key: String,
    /// A cell's realm (`key` is then its worker).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    pub metric: HistoryMetric,
    /// The value at the start and at the end of the window, and their difference.
    pub start: f64,
    pub end: f64,
    pub delta: f64,
    /// RFC 3339: since when the series has not been back down to where it stood then (the last
    /// time it was at its lowest, looking back up to the whole retained history).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growing_since: Option<String>,
}

/// What the store holds and how big it is (shown in the window and by `warren history info`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HistoryInfo {
    pub path: String,
    /// Bytes on disk, every file of the store included.
    #[ts(type = "number")]
    pub bytes: u64,
    #[ts(type = "number")]
    pub samples: u64,
    #[ts(type = "number")]
    pub series: u64,
    /// RFC 3339 of the first and the last sample.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<String>,
    /// Full resolution is kept this long, then `bucket_s` buckets until `fine_buckets_s`, then
    /// `hour_bucket_s` buckets until `retention_s`.
    pub full_resolution_s: u32,
    pub bucket_s: u32,
    pub fine_buckets_s: u32,
    pub hour_bucket_s: u32,
    pub retention_s: u32,
}
