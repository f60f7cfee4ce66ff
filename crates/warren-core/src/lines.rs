//! What differs between the RabbitMQ release lines Warren talks to (3.x, 4.0–4.2, 4.3+), and
//! how it tells which one answers. Measured on 3.10.8, 4.0.5 and 4.3.6: see
//! `tests/broker_lines.rs`.
//!
//! Requires the `management` tag. Does not modify state.

use serde_json::Value;

use crate::broker::management::ManagementClient;
use crate::broker::BrokerError;

/// A broker's `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    pub major: u32,
    pub minor: u32,
}

impl Line {
    /// `3.10.8` → 3.10; `None` for anything else.
    pub fn parse(version: &str) -> Option<Line> {
        let mut parts = version.trim().split(['.', '-', '+']);
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
        Some(Line { major, minor })
    }

    /// Quorum queues get a delivery limit of 20 unless one is set (4.0+); before, none.
    pub fn default_delivery_limit(self) -> Option<u64> {
        (self.major >= 4).then_some(20)
    }

    /// Whether giving a message back with `basic.nack(requeue)` (what a browse does) raises the
    /// delivery count the limit is checked against. Up to 4.2 every return counts; 4.3 counts
    /// only failed deliveries (`basic.reject`, a closed channel) and keeps a separate
    /// `x-acquired-count`.
    pub fn nack_counts_against_the_limit(self) -> bool {
        self < Line { major: 4, minor: 3 }
    }
}

/// The broker's line, from `GET /api/overview?columns=rabbitmq_version`.
/// Needs the `management` tag. Does not modify state.
pub async fn broker_line(client: &ManagementClient) -> Result<Option<Line>, BrokerError> {
    let (overview, _): (Value, _) = client.get_json("overview?columns=rabbitmq_version").await?;
    Ok(line_of(&overview))
}

/// The line an overview (with its `rabbitmq_version` column) names.
pub fn line_of(overview: &Value) -> Option<Line> {
    overview
        .get("rabbitmq_version")
        .and_then(Value::as_str)
        .and_then(Line::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_and_order() {
        let l = |s| Line::parse(s).unwrap();
        assert_eq!(
            l("3.10.8"),
            Line {
                major: 3,
                minor: 10
            }
        );
        assert!(l("4.0.5") < l("4.3.6") && l("3.13.7") < l("4.0.0"));
        assert_eq!(l("4.3.0-rc.1").minor, 3);
        assert!(Line::parse("x").is_none());
        assert_eq!(l("3.10.8").default_delivery_limit(), None);
        assert_eq!(l("4.0.5").default_delivery_limit(), Some(20));
        assert!(l("4.0.5").nack_counts_against_the_limit());
        assert!(!l("4.3.6").nack_counts_against_the_limit());
    }
}
