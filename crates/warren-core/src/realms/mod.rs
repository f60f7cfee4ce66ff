//! Realm partitions: the inventory summed per realm, worker and cell (`aggregate.rs`), the
//! consumers serving a realm, realm policies, and the live preview of a template (the template
//! itself, and its suggestion, live below in `crate::template`).

pub mod aggregate;
pub mod consumers;
pub mod policy;

pub use crate::template::{
    suggest, Alternative, Exclusions, RealmTemplate, Suggestion, TemplateError,
};
pub use aggregate::{rank, summarize, Metric, RealmSummary, Totals};

use crate::queues::QueueRow;
use crate::template::resolve;

/// The queues of `realm` (and of `worker` in it, if given) among rows the template has mapped:
/// what a realm purge or a realm policy acts on.
pub fn queues_of<'a>(rows: &'a [QueueRow], realm: &str, worker: Option<&str>) -> Vec<&'a QueueRow> {
    rows.iter()
        .filter(|r| r.realm.as_deref() == Some(realm))
        .filter(|r| worker.is_none_or(|w| r.worker.as_deref() == Some(w)))
        .collect()
}

/// The realm screens' data: the template that mapped the queues and their totals.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
pub struct RealmView {
    /// `None`: the environment has no template and nothing looks partitioned.
    pub template: Option<String>,
    pub summary: RealmSummary,
    /// How the dead letters were attributed, once they have been (`realms_dead_letters`).
    pub dead_letters: Option<crate::deadletters::RealmDeadLetters>,
}

/// What a template would do to the current inventory: the live preview while editing one.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export, optional_fields)]
pub struct Preview {
    /// The template previewed (`auto` resolved to the suggestion; `None`: nothing suggested).
    pub template: Option<String>,
    /// Why the template cannot be used (then nothing else is filled).
    pub error: Option<String>,
    /// With `auto`: why the suggestion is this template (what recurs, which side reads as the
    /// realm).
    pub reason: Option<String>,
    pub matched: u32,
    /// Queues the template does not map (the excluded ones not counted).
    pub unmatched: u32,
    /// Queues the environment's `realm_exclude` leaves unpartitioned.
    pub excluded: u32,
    /// With `auto`: the other templates considered, best first.
    pub alternatives: Vec<Alternative>,
    pub realms: u32,
    pub workers: u32,
    pub examples_matched: Vec<Example>,
    pub examples_unmatched: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Example {
    pub vhost: String,
    pub name: String,
    pub worker: String,
    pub realm: String,
}

/// Preview `spec` (a template, `auto` or empty for the suggestion) on `rows` less the excluded
/// ones, with up to `examples` examples of each kind.
pub fn preview(spec: &str, rows: &[QueueRow], exclude: &Exclusions, examples: usize) -> Preview {
    let kept: Vec<&QueueRow> = rows.iter().filter(|r| !exclude.excludes(&r.name)).collect();
    let excluded = (rows.len() - kept.len()) as u32;
    let (template, suggestion) = match resolve(
        Some(spec),
        exclude,
        kept.iter().map(|r| (r.vhost.as_str(), r.name.as_str())),
    ) {
        Ok((Some(t), s)) => (t, s),
        Ok((None, _)) => {
            return Preview {
                excluded,
                unmatched: kept.len() as u32,
                ..Default::default()
            }
        }
        Err(e) => {
            return Preview {
                error: Some(e.0),
                ..Default::default()
            }
        }
    };
    let mut p = Preview {
        template: Some(template.source().to_string()),
        excluded,
        ..Default::default()
    };
    if let Some(s) = suggestion {
        (p.reason, p.alternatives) = (Some(s.reason), s.alternatives);
    }
    let (mut realms, mut workers) = (
        rustc_hash::FxHashSet::default(),
        rustc_hash::FxHashSet::default(),
    );
    for r in kept {
        match template.map(&r.vhost, &r.name) {
            Some((w, realm)) => {
                p.matched += 1;
                realms.insert(realm);
                workers.insert(w);
                if p.examples_matched.len() < examples {
                    p.examples_matched.push(Example {
                        vhost: r.vhost.clone(),
                        name: r.name.clone(),
                        worker: w.into(),
                        realm: realm.into(),
                    });
                }
            }
            None => {
                p.unmatched += 1;
                if p.examples_unmatched.len() < examples {
                    p.examples_unmatched.push(r.name.clone());
                }
            }
        }
    }
    (p.realms, p.workers) = (realms.len() as u32, workers.len() as u32);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_counts_and_shows_examples_or_the_error() {
        let rows: Vec<QueueRow> = [
            "billing.acme",
            "email.acme",
            "billing.globex",
            "email.globex",
            "audit-log",
        ]
        .iter()
        .map(|n| QueueRow::named("/", n))
        .collect();
        let p = preview("{worker}.{realm}", &rows, &Exclusions::default(), 2);
        assert_eq!((p.matched, p.unmatched, p.realms, p.workers), (4, 1, 2, 2));
        assert_eq!(p.examples_matched.len(), 2);
        assert_eq!(p.examples_matched[0].realm, "acme");
        assert_eq!(p.examples_unmatched, vec!["audit-log"]);
        assert_eq!(
            preview("auto", &rows, &Exclusions::default(), 2)
                .template
                .as_deref(),
            Some("{worker}.{realm}")
        );
        assert!(preview("{worker}", &rows, &Exclusions::default(), 2)
            .error
            .unwrap()
            .contains("lacks `{realm}`"));
    }

    #[test]
    fn excluded_queues_are_counted_apart_and_left_unpartitioned() {
        let rows: Vec<QueueRow> = [
            "hooli.pdf-render",
            "hooli.email-sender",
            "acme.pdf-render",
            "acme.email-sender",
            "events.stream",
            "events.audit",
            "scheduler",
        ]
        .iter()
        .map(|n| QueueRow::named("/", n))
        .collect();
        let exclude = Exclusions::parse(&["events.*".into(), "scheduler".into()]).unwrap();
        let p = preview("auto", &rows, &exclude, 8);
        assert_eq!(p.template.as_deref(), Some("{realm}.{worker}"));
        assert_eq!((p.matched, p.unmatched, p.excluded, p.realms), (4, 0, 3, 2));
        assert!(p.reason.unwrap().starts_with("In 4 of 4 queues"));
        assert!(p.examples_matched.iter().all(|e| e.realm != "events"));
        // A written template leaves them out too.
        let p = preview("{realm}.{worker}", &rows, &exclude, 8);
        assert_eq!((p.matched, p.excluded, p.reason), (4, 3, None));
    }
}
