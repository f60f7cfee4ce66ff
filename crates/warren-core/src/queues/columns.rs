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
}

pub const ALL: [(&str, Column); 14] = [
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
        }
    }

    /// The value of a numeric column (0 for text columns).
    pub fn number(self, r: &QueueRow) -> f64 {
        match self {
            Column::Messages => r.messages as f64,
            Column::Ready => r.messages_ready as f64,
            Column::Unacked => r.messages_unacknowledged as f64,
            Column::Consumers => r.consumers as f64,
            Column::Memory => r.memory as f64,
            Column::PublishRate => r.publish_rate,
            Column::DeliverRate => r.deliver_rate,
            _ => 0.0,
        }
    }

    pub fn compare(self, a: &QueueRow, b: &QueueRow) -> Ordering {
        if self.numeric() {
            self.number(a).total_cmp(&self.number(b))
        } else {
            self.text(a).cmp(&self.text(b))
        }
    }
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
}
