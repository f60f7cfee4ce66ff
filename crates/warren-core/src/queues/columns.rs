//! The columns of a queue listing, by the names the CLI's `--columns`/`--sort` take: one place
//! that knows how to show and order each field.

use std::cmp::Ordering;

use super::row::QueueRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Vhost,
    Name,
    Type,
    State,
    Messages,
    Ready,
    Unacked,
    Consumers,
    Memory,
    PublishRate,
    DeliverRate,
    Policy,
    Node,
    Dlx,
    DeliveryLimit,
    Leader,
    Members,
    Delayed,
    DlxInFlight,
}

pub const ALL: [(&str, Column); 19] = [
    ("vhost", Column::Vhost),
    ("name", Column::Name),
    ("type", Column::Type),
    ("state", Column::State),
    ("messages", Column::Messages),
    ("ready", Column::Ready),
    ("unacked", Column::Unacked),
    ("consumers", Column::Consumers),
    ("memory", Column::Memory),
    ("publish_rate", Column::PublishRate),
    ("deliver_rate", Column::DeliverRate),
    ("policy", Column::Policy),
    ("node", Column::Node),
    ("dlx", Column::Dlx),
    ("delivery_limit", Column::DeliveryLimit),
    ("leader", Column::Leader),
    ("members", Column::Members),
    ("messages_delayed", Column::Delayed),
    ("messages_dlx", Column::DlxInFlight),
];

pub const DEFAULT: [Column; 8] = [
    Column::Vhost,
    Column::Name,
    Column::Type,
    Column::Messages,
    Column::Ready,
    Column::Unacked,
    Column::Consumers,
    Column::Memory,
];

impl std::str::FromStr for Column {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_lowercase();
        let alias = match s.as_str() {
            "messages_ready" => "ready",
            "messages_unacknowledged" => "unacked",
            "dead_letter_exchange" => "dlx",
            other => other,
        };
        ALL.iter()
            .find(|(n, _)| *n == alias)
            .map(|(_, c)| *c)
            .ok_or_else(|| {
                format!(
                    "unknown column `{s}`: use {}",
                    ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                )
            })
    }
}

impl Column {
    pub fn header(self) -> &'static str {
        ALL.iter()
            .find(|(_, c)| *c == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    pub fn numeric(self) -> bool {
        matches!(
            self,
            Column::Messages
                | Column::Ready
                | Column::Unacked
                | Column::Consumers
                | Column::Memory
                | Column::PublishRate
                | Column::DeliverRate
                | Column::DeliveryLimit
                | Column::Delayed
                | Column::DlxInFlight
        )
    }

    /// A numeric column that only some queues (types, broker versions) have.
    pub fn optional(self) -> bool {
        matches!(
            self,
            Column::DeliveryLimit | Column::Delayed | Column::DlxInFlight
        )
    }

    pub fn text(self, r: &QueueRow) -> String {
        match self {
            Column::Vhost => r.vhost.clone(),
            Column::Name => r.name.clone(),
            Column::Type => r.queue_type.clone(),
            Column::State => r.state.clone(),
            Column::Messages => r.messages.to_string(),
            Column::Ready => r.messages_ready.to_string(),
            Column::Unacked => r.messages_unacknowledged.to_string(),
            Column::Consumers => r.consumers.to_string(),
            Column::Memory => r.memory.to_string(),
            Column::PublishRate => format!("{:.1}", r.publish_rate),
            Column::DeliverRate => format!("{:.1}", r.deliver_rate),
            Column::Policy => r.policy.clone().unwrap_or_default(),
            Column::Node => r.node.clone(),
            Column::Dlx => r.dead_letter_exchange.clone().unwrap_or_default(),
            Column::DeliveryLimit => opt(r.delivery_limit),
            Column::Leader => r.leader.clone().unwrap_or_default(),
            Column::Members => r.members.join(" "),
            Column::Delayed => opt(r.messages_delayed),
            Column::DlxInFlight => opt(r.messages_dlx),
        }
    }

    /// The value of a numeric column (0 for text columns, NaN where a queue lacks an optional
    /// one: no comparison holds for it, so `delivery_limit<5` never matches a classic queue).
    pub fn number(self, r: &QueueRow) -> f64 {
        let or_nan = |v: Option<u64>| v.map_or(f64::NAN, |v| v as f64);
        match self {
            Column::Messages => r.messages as f64,
            Column::Ready => r.messages_ready as f64,
            Column::Unacked => r.messages_unacknowledged as f64,
            Column::Consumers => r.consumers as f64,
            Column::Memory => r.memory as f64,
            Column::PublishRate => r.publish_rate,
            Column::DeliverRate => r.deliver_rate,
            Column::DeliveryLimit => or_nan(r.delivery_limit),
            Column::Delayed => or_nan(r.messages_delayed),
            Column::DlxInFlight => or_nan(r.messages_dlx),
            _ => 0.0,
        }
    }

    /// Numbers as numbers; a queue without an optional value sorts before every value.
    pub fn compare(self, a: &QueueRow, b: &QueueRow) -> Ordering {
        if self.numeric() {
            let key = |r: &QueueRow| Some(self.number(r)).filter(|n| !n.is_nan());
            key(a).partial_cmp(&key(b)).unwrap_or(Ordering::Equal)
        } else {
            self.text(a).cmp(&self.text(b))
        }
    }
}

fn opt(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// `FIELD` or `FIELD:desc` / `FIELD:asc`.
pub fn parse_sort(spec: &str) -> Result<(Column, bool), String> {
    let (field, dir) = spec.split_once(':').unwrap_or((spec, "asc"));
    let desc = match dir.to_lowercase().as_str() {
        "desc" => true,
        "asc" => false,
        other => {
            return Err(format!(
                "unknown sort direction `{other}`: use FIELD, FIELD:asc or FIELD:desc"
            ))
        }
    };
    Ok((field.parse()?, desc))
}

/// Sort by a column, ties by (vhost, name) so the order is stable and predictable.
pub fn sort_rows(rows: &mut [QueueRow], column: Column, desc: bool) {
    rows.sort_by(|a, b| {
        let o = column.compare(a, b);
        let o = if desc { o.reverse() } else { o };
        o.then_with(|| {
            (a.vhost.as_str(), a.name.as_str()).cmp(&(b.vhost.as_str(), b.name.as_str()))
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_numbers_as_numbers_and_breaks_ties_by_name() {
        let mk = |n: &str, m: u64| QueueRow {
            name: n.into(),
            messages: m,
            ..Default::default()
        };
        let mut rows = vec![mk("b", 9), mk("a", 100), mk("c", 9)];
        let (col, desc) = parse_sort("messages:desc").unwrap();
        sort_rows(&mut rows, col, desc);
        assert_eq!(
            rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            vec!["a", "b", "c"]
        );
        assert!(parse_sort("colour").is_err());
        assert!(parse_sort("name:sideways").is_err());
        assert_eq!(
            "messages_unacknowledged".parse::<Column>().unwrap(),
            Column::Unacked
        );
    }

    #[test]
    fn queues_without_an_optional_number_sort_first_and_show_empty() {
        let mk = |n: &str, l: Option<u64>| QueueRow {
            name: n.into(),
            delivery_limit: l,
            ..Default::default()
        };
        let mut rows = vec![mk("q20", Some(20)), mk("classic", None), mk("q5", Some(5))];
        let (col, desc) = parse_sort("delivery_limit").unwrap();
        sort_rows(&mut rows, col, desc);
        assert_eq!(
            rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            vec!["classic", "q5", "q20"]
        );
        assert_eq!(Column::DeliveryLimit.text(&rows[0]), "");
        assert_eq!(Column::DeliveryLimit.text(&rows[2]), "20");
        let mut r = mk("qq", None);
        r.members = vec!["rabbit@a".into(), "rabbit@b".into()];
        assert_eq!(Column::Members.text(&r), "rabbit@a rabbit@b");
    }
}
