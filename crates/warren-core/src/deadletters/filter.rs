//! Which dead letters a replay or a discard is about: `reason:rejected origin:billing.acme
//! realm:acme worker:billing exchange:work` (fields AND-ed; a field given twice matches either
//! value; `*` is a wildcard), and a bare word matches anywhere in the origin queue's name.

use serde::Serialize;
use ts_rs::TS;

use super::message::DeadLetter;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message} (at character {position})")]
#[ts(export)]
pub struct DeadLetterFilterError {
    pub position: u32,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Reason,
    Origin,
    Realm,
    Worker,
    Exchange,
    Text,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeadLetterFilter {
    terms: Vec<(Field, String)>,
}

/// The fields a dead letter is matched on.
pub struct Facts<'a> {
    pub reason: &'a str,
    pub origin: &'a str,
    pub realm: Option<&'a str>,
    pub worker: Option<&'a str>,
    pub exchange: &'a str,
}

impl<'a> From<&'a DeadLetter> for Facts<'a> {
    fn from(m: &'a DeadLetter) -> Self {
        Facts {
            reason: m.reason.as_deref().unwrap_or_default(),
            origin: m.origin.as_deref().unwrap_or_default(),
            realm: m.realm.as_deref(),
            worker: m.worker.as_deref(),
            exchange: m.deaths.first().map_or("", |d| d.exchange.as_str()),
        }
    }
}

/// `*` matches any run of characters; case-insensitive.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_lowercase(), text.to_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let mut rest = t.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

impl DeadLetterFilter {
    pub fn parse(input: &str) -> Result<DeadLetterFilter, DeadLetterFilterError> {
        let mut terms = Vec::new();
        let mut offset = 0usize;
        for word in input.split(' ') {
            let at = offset;
            offset += word.chars().count() + 1;
            if word.is_empty() {
                continue;
            }
            let (field, value) = match word.split_once(':') {
                Some((f, v)) => {
                    let field = match f.to_ascii_lowercase().as_str() {
                        "reason" => Field::Reason,
                        "origin" | "queue" => Field::Origin,
                        "realm" => Field::Realm,
                        "worker" => Field::Worker,
                        "exchange" => Field::Exchange,
                        other => {
                            return Err(DeadLetterFilterError {
                                position: at as u32,
                                message: format!("unknown field `{other}`: use reason, origin, realm, worker or exchange"),
                            })
                        }
                    };
                    if v.is_empty() {
                        return Err(DeadLetterFilterError {
                            position: (at + f.chars().count() + 1) as u32,
                            message: format!("`{f}:` needs a value, e.g. `{f}:rejected`"),
                        });
                    }
                    (field, v)
                }
                None => (Field::Text, word),
            };
            terms.push((field, value.to_string()));
        }
        Ok(DeadLetterFilter { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The filter written back as text (for reports and the audit log).
    pub fn source(&self) -> String {
        self.terms
            .iter()
            .map(|(f, v)| match f {
                Field::Reason => format!("reason:{v}"),
                Field::Origin => format!("origin:{v}"),
                Field::Realm => format!("realm:{v}"),
                Field::Worker => format!("worker:{v}"),
                Field::Exchange => format!("exchange:{v}"),
                Field::Text => v.clone(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn matches(&self, f: &Facts<'_>) -> bool {
        let fields = [
            Field::Reason,
            Field::Origin,
            Field::Realm,
            Field::Worker,
            Field::Exchange,
            Field::Text,
        ];
        fields.iter().all(|field| {
            let mut values = self.terms.iter().filter(|(k, _)| k == field).peekable();
            if values.peek().is_none() {
                return true;
            }
            values.any(|(_, v)| match field {
                Field::Reason => glob(v, f.reason),
                Field::Origin => glob(v, f.origin),
                Field::Realm => f.realm.is_some_and(|r| glob(v, r)),
                Field::Worker => f.worker.is_some_and(|w| glob(v, w)),
                Field::Exchange => glob(v, f.exchange),
                Field::Text => f.origin.to_lowercase().contains(&v.to_lowercase()),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(reason: &'a str, origin: &'a str, realm: Option<&'a str>) -> Facts<'a> {
        Facts {
            reason,
            origin,
            realm,
            worker: None,
            exchange: "work",
        }
    }

    #[test]
    fn fields_and_together_and_repeat_as_either() {
        let f = DeadLetterFilter::parse("reason:rejected origin:billing.*").unwrap();
        assert!(f.matches(&facts("rejected", "billing.acme", None)));
        assert!(!f.matches(&facts("expired", "billing.acme", None)));
        assert!(!f.matches(&facts("rejected", "mail.acme", None)));
        let f = DeadLetterFilter::parse("reason:rejected reason:expired").unwrap();
        assert!(f.matches(&facts("expired", "x", None)));
        let f = DeadLetterFilter::parse("realm:acme").unwrap();
        assert!(
            !f.matches(&facts("expired", "x", None)),
            "no realm, no match"
        );
        assert!(DeadLetterFilter::parse("  ").unwrap().is_empty());
        assert!(DeadLetterFilter::parse("acme")
            .unwrap()
            .matches(&facts("r", "mail.ACME", None)));
    }

    #[test]
    fn errors_point_at_the_term() {
        let e = DeadLetterFilter::parse("reason:x colour:red").unwrap_err();
        assert_eq!(e.position, 9);
        assert!(e.message.contains("unknown field `colour`"));
        let e = DeadLetterFilter::parse("origin:").unwrap_err();
        assert_eq!(e.position, 7);
    }

    #[test]
    fn globs() {
        assert!(glob("*.acme", "billing.acme"));
        assert!(glob("b*g.*", "billing.acme"));
        assert!(!glob("*.acme", "billing.globex"));
        assert!(glob("*", ""));
    }
}
