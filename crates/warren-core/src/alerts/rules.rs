//! Alert rules, stored with their environment and written the same way in the CLI
//! (`--alert 'dlq_growth by=100 within=10m'`) and in the window's settings (one rule a line):
//! a kind, then `key=value` settings. `id` names a rule for de-duplication (default: its kind).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum AlertRule {
    /// A dead-letter queue (or `queue`) grew by at least `by` messages within `within_s`.
    DlqGrowth {
        id: String,
        #[ts(type = "number")]
        by: u64,
        within_s: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        queue: Option<String>,
    },
    /// A queue (or `queue`) holds messages and has had no consumer for `for_s`. Dead-letter
    /// queues are left out unless named.
    NoConsumer {
        id: String,
        for_s: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        queue: Option<String>,
    },
    /// A realm (or `realm`) holds more than `above` messages.
    RealmBacklog {
        id: String,
        #[ts(type = "number")]
        above: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        realm: Option<String>,
    },
    /// A node of the cluster is down, or a resource alarm (memory, disk) is in effect.
    NodeDownOrAlarm { id: String },
}

impl AlertRule {
    pub fn id(&self) -> &str {
        match self {
            AlertRule::DlqGrowth { id, .. }
            | AlertRule::NoConsumer { id, .. }
            | AlertRule::RealmBacklog { id, .. }
            | AlertRule::NodeDownOrAlarm { id } => id,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            AlertRule::DlqGrowth { .. } => "dlq_growth",
            AlertRule::NoConsumer { .. } => "no_consumer",
            AlertRule::RealmBacklog { .. } => "realm_backlog",
            AlertRule::NodeDownOrAlarm { .. } => "node_down_or_alarm",
        }
    }

    /// Parse `kind key=value …`, e.g. `dlq_growth by=100 within=10m queue=orders.dlq`,
    /// `no_consumer for=15m`, `realm_backlog above=50000 realm=acme`, `node_down_or_alarm`.
    pub fn parse(spec: &str) -> Result<AlertRule, String> {
        let mut words = spec.split_whitespace();
        let kind = words
            .next()
            .ok_or("an empty rule: write e.g. `dlq_growth by=100 within=10m`")?;
        let mut settings = std::collections::BTreeMap::new();
        for w in words {
            let (k, v) = w
                .split_once('=')
                .ok_or_else(|| format!("`{w}`: write settings as key=value, e.g. by=100"))?;
            if settings.insert(k, v).is_some() {
                return Err(format!("`{k}` is given twice"));
            }
        }
        let mut take = |k: &str| settings.remove(k).map(str::to_string);
        let id = take("id").unwrap_or_else(|| kind.to_string());
        let number = |k: &str, v: Option<String>| -> Result<u64, String> {
            let v = v.ok_or_else(|| format!("`{kind}` needs {k}=N"))?;
            v.parse::<u64>()
                .map_err(|_| format!("{k}={v}: a whole number of messages, e.g. {k}=100"))
        };
        let span = |k: &str, v: Option<String>| -> Result<u32, String> {
            let v = v.ok_or_else(|| format!("`{kind}` needs {k}=DURATION, e.g. {k}=10m"))?;
            let d: Duration = humantime::parse_duration(&v)
                .map_err(|e| format!("{k}={v}: {e}; write e.g. {k}=10m, {k}=1h"))?;
            u32::try_from(d.as_secs())
                .ok()
                .filter(|s| *s >= 60)
                .ok_or_else(|| format!("{k}={v}: between 1m and ~136 years"))
        };
        let rule = match kind {
            "dlq_growth" => AlertRule::DlqGrowth {
                by: number("by", take("by"))?,
                within_s: span("within", take("within"))?,
                queue: take("queue"),
                id,
            },
            "no_consumer" => AlertRule::NoConsumer {
                for_s: span("for", take("for"))?,
                queue: take("queue"),
                id,
            },
            "realm_backlog" => AlertRule::RealmBacklog {
                above: number("above", take("above"))?,
                realm: take("realm"),
                id,
            },
            "node_down_or_alarm" => AlertRule::NodeDownOrAlarm { id },
            other => {
                return Err(format!(
                    "`{other}` is no alert kind: dlq_growth, no_consumer, realm_backlog or node_down_or_alarm"
                ))
            }
        };
        if let Some(k) = settings.keys().next() {
            return Err(format!("`{kind}` takes no `{k}`"));
        }
        rule.check()?;
        Ok(rule)
    }

    /// The rule as `parse` reads it back.
    pub fn spec(&self) -> String {
        let span =
            |s: &u32| humantime::format_duration(Duration::from_secs(u64::from(*s))).to_string();
        let mut out = match self {
            AlertRule::DlqGrowth { by, within_s, .. } => {
                format!("dlq_growth by={by} within={}", span(within_s))
            }
            AlertRule::NoConsumer { for_s, .. } => format!("no_consumer for={}", span(for_s)),
            AlertRule::RealmBacklog { above, .. } => format!("realm_backlog above={above}"),
            AlertRule::NodeDownOrAlarm { .. } => "node_down_or_alarm".to_string(),
        };
        match self {
            AlertRule::DlqGrowth { queue: Some(q), .. }
            | AlertRule::NoConsumer { queue: Some(q), .. } => out.push_str(&format!(" queue={q}")),
            AlertRule::RealmBacklog { realm: Some(r), .. } => out.push_str(&format!(" realm={r}")),
            _ => {}
        }
        if self.id() != self.kind() {
            out.push_str(&format!(" id={}", self.id()));
        }
        out
    }

    /// What a stored rule must satisfy (a config written by hand is checked too).
    pub fn check(&self) -> Result<(), String> {
        if self.id().trim().is_empty() || self.id().contains(char::is_whitespace) {
            return Err(format!("id=`{}`: a name without spaces", self.id()));
        }
        match self {
            AlertRule::DlqGrowth { by: 0, .. } => {
                Err("by=0 would fire on every sample: at least 1".into())
            }
            AlertRule::DlqGrowth { within_s, .. }
            | AlertRule::NoConsumer {
                for_s: within_s, ..
            } if *within_s < 60 => {
                Err("a window under 1m: samples are at least 5 s apart, write 1m or more".into())
            }
            _ => Ok(()),
        }
    }
}

/// Each rule checked, and no two with the same id (they would share one alert state).
pub fn check_all(rules: &[AlertRule]) -> Vec<(usize, String)> {
    let mut errors = vec![];
    let mut seen = std::collections::HashSet::new();
    for (i, r) in rules.iter().enumerate() {
        if let Err(e) = r.check() {
            errors.push((i, e));
        }
        if !seen.insert(r.id()) {
            errors.push((
                i,
                format!("two rules are named `{}`: give one an id=…", r.id()),
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_their_spec_and_read_back_the_same() {
        for spec in [
            "dlq_growth by=100 within=10m",
            "dlq_growth by=5 within=1m queue=orders.dlq id=orders",
            "no_consumer for=15m",
            "realm_backlog above=50000 realm=acme",
            "node_down_or_alarm",
        ] {
            let rule = AlertRule::parse(spec).unwrap();
            assert_eq!(rule.spec(), spec);
            assert_eq!(AlertRule::parse(&rule.spec()).unwrap(), rule);
        }
        let r = AlertRule::parse("dlq_growth within=1h by=7").unwrap();
        assert_eq!(
            r,
            AlertRule::DlqGrowth {
                id: "dlq_growth".into(),
                by: 7,
                within_s: 3600,
                queue: None
            }
        );
    }

    #[test]
    fn a_bad_rule_says_what_to_write() {
        let e = |s: &str| AlertRule::parse(s).unwrap_err();
        assert!(e("dlq_growth by=100").contains("within=DURATION"));
        assert!(e("dlq_growth by=lots within=10m").contains("whole number"));
        assert!(e("dlq_growth by=1 within=10").contains("within=10"));
        assert!(e("queue_full above=3").contains("no alert kind"));
        assert!(e("node_down_or_alarm above=3").contains("takes no `above`"));
        assert!(e("no_consumer for=10s").contains("1m"));
        assert!(e("realm_backlog above").contains("key=value"));
    }

    #[test]
    fn two_rules_with_one_id_are_refused() {
        let rules = [
            AlertRule::parse("realm_backlog above=1").unwrap(),
            AlertRule::parse("realm_backlog above=2").unwrap(),
        ];
        assert_eq!(check_all(&rules).len(), 1);
    }
}
