//! Suggest a realm template from an inventory, so a new environment gets realm views without
//! anyone typing a template: find the delimiter and the end segment (last or first) whose values
//! repeat across many prefixes (a realm is served by several workers, a worker by several
//! realms), fold a literal prefix the realm values share (`realm-`, `tenant-`) into the template,
//! and compare with "the vhost is the realm" (the same names repeated across vhosts).

use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use ts_rs::TS;

use super::VHOST;

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Suggestion {
    pub template: String,
    /// Queues the template maps (the others stay unpartitioned).
    pub matched: u32,
    pub realms: u32,
    pub workers: u32,
}

const DELIMITERS: [char; 4] = ['.', '-', '_', ':'];

/// The candidate of one delimiter and end: (template, matched, realms, workers).
fn score<'a>(names: &[&'a str], delim: char, realm_last: bool) -> Option<Suggestion> {
    let split = |name: &'a str| -> Option<(&'a str, &'a str)> {
        let (a, b) = if realm_last {
            name.rsplit_once(delim)?
        } else {
            name.split_once(delim)?
        };
        let (worker, realm) = if realm_last { (a, b) } else { (b, a) };
        (!worker.is_empty() && !realm.is_empty()).then_some((worker, realm))
    };
    let mut per_realm: HashMap<&str, u32> = HashMap::default();
    let mut per_worker: HashMap<&str, u32> = HashMap::default();
    for (worker, realm) in names.iter().filter_map(|n| split(n)) {
        *per_realm.entry(realm).or_default() += 1;
        *per_worker.entry(worker).or_default() += 1;
    }
    // A name is partitioned when its realm value recurs with other workers and its worker with
    // other realms; one-off names are not.
    let partitioned: Vec<(&str, &str)> = names
        .iter()
        .filter_map(|n| split(n))
        .filter(|(w, r)| per_realm[r] >= 2 && per_worker[w] >= 2)
        .collect();
    let mut realms: Vec<&str> = partitioned.iter().map(|(_, r)| *r).collect();
    realms.sort_unstable();
    realms.dedup();
    let mut workers: Vec<&str> = partitioned.iter().map(|(w, _)| *w).collect();
    workers.sort_unstable();
    workers.dedup();
    if realms.len() < 2 || workers.len() < 2 {
        return None;
    }
    // A literal prefix all realm values share (`realm-42`, `tenant-0007`) belongs to the
    // template, so the realm is `42`, not `realm-42`.
    let prefix = shared_prefix(&realms);
    let realm_part = format!("{prefix}{{realm}}");
    let template = if realm_last {
        format!("{{worker}}{delim}{realm_part}")
    } else {
        format!("{realm_part}{delim}{{worker}}")
    };
    let matched = partitioned
        .iter()
        .filter(|(_, r)| r.starts_with(prefix.as_str()) && r.len() > prefix.len())
        .count();
    Some(Suggestion {
        template,
        matched: matched as u32,
        realms: realms.len() as u32,
        workers: workers.len() as u32,
    })
}

/// The longest prefix ending in a non-alphanumeric character that every value shares (one
/// value without it, and folding it in would leave that value's queues unpartitioned).
fn shared_prefix(values: &[&str]) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::default();
    for v in values {
        if let Some(end) = v
            .char_indices()
            .find(|(i, c)| *i > 0 && !c.is_alphanumeric())
            .map(|(i, c)| i + c.len_utf8())
        {
            if end < v.len() {
                *counts.entry(&v[..end]).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n == values.len())
        .max_by_key(|(p, n)| (*n, p.len()))
        .map(|(p, _)| p.to_string())
        .unwrap_or_default()
}

/// Names that recur in several vhosts: the vhost-per-realm layout.
fn score_vhosts(rows: &[(&str, &str)]) -> Option<Suggestion> {
    let mut vhosts_of: HashMap<&str, u32> = HashMap::default();
    for (_, name) in rows {
        *vhosts_of.entry(name).or_default() += 1;
    }
    let matched: Vec<&(&str, &str)> = rows.iter().filter(|(_, n)| vhosts_of[n] >= 2).collect();
    let mut realms: Vec<&str> = matched.iter().map(|(v, _)| *v).collect();
    realms.sort_unstable();
    realms.dedup();
    let workers = vhosts_of.values().filter(|n| **n >= 2).count();
    (realms.len() >= 2 && workers >= 2).then(|| Suggestion {
        template: VHOST.into(),
        matched: matched.len() as u32,
        realms: realms.len() as u32,
        workers: workers as u32,
    })
}

/// The template that maps the most queues, or `None` when nothing looks partitioned (fewer than
/// two realms with two workers each).
pub fn suggest(rows: &[(&str, &str)]) -> Option<Suggestion> {
    let names: Vec<&str> = rows.iter().map(|(_, n)| *n).collect();
    let mut best: Option<Suggestion> = None;
    // Ties go to the earlier candidate: `.`, realm last, which is the most common layout.
    let candidates = DELIMITERS.iter().flat_map(|d| [(*d, true), (*d, false)]);
    for s in candidates
        .filter_map(|(d, last)| score(&names, d, last))
        .chain(score_vhosts(rows))
    {
        if best.as_ref().is_none_or(|b| s.matched > b.matched) {
            best = Some(s);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(names: &[String]) -> Vec<(&str, &str)> {
        names.iter().map(|n| ("/", n.as_str())).collect()
    }

    #[test]
    fn finds_the_demo_layout_and_ignores_unpartitioned_names() {
        let mut names: Vec<String> = ["billing", "email", "search-index"]
            .iter()
            .flat_map(|w| ["acme", "globex", "initech"].map(|r| format!("{w}.{r}")))
            .collect();
        names.extend(["audit-log", "dlq-all", "mailer"].map(String::from));
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(
            s,
            Suggestion {
                template: "{worker}.{realm}".into(),
                matched: 9,
                realms: 3,
                workers: 3
            }
        );
    }

    #[test]
    fn folds_a_shared_realm_prefix_and_keeps_dotted_workers() {
        let names: Vec<String> = (0..30)
            .flat_map(|i| ["billing.worker", "email.worker"].map(|w| format!("{w}.realm-{i}")))
            .collect();
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(s.template, "{worker}.realm-{realm}");
        assert_eq!((s.matched, s.realms, s.workers), (60, 30, 2));
    }

    #[test]
    fn a_prefix_most_realms_share_is_not_folded_when_some_lack_it() {
        // The demo's named realms next to thousands of `tenant-NNNN` ones (demo --extra-queues):
        // folding `tenant-` would drop the named realms and let the realm-first reading win.
        let workers = ["billing", "email", "sms"];
        let mut names: Vec<String> = workers
            .iter()
            .flat_map(|w| ["acme", "globex"].map(|r| format!("{w}.{r}")))
            .collect();
        names.extend((0..100).flat_map(|i| workers.map(|w| format!("{w}.tenant-{i:04}"))));
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(
            (s.template.as_str(), s.matched, s.realms),
            ("{worker}.{realm}", 306, 102)
        );
    }

    #[test]
    fn realm_first_layouts_and_other_delimiters() {
        let names: Vec<String> = ["acme", "globex"]
            .iter()
            .flat_map(|r| ["billing", "email"].map(|w| format!("{r}_{w}")))
            .collect();
        let s = suggest(&rows(&names)).unwrap();
        // Symmetric data: either end fits; both map every queue.
        assert_eq!(s.matched, 4);
        assert!(
            s.template == "{worker}_{realm}" || s.template == "{realm}_{worker}",
            "{}",
            s.template
        );
    }

    #[test]
    fn vhost_per_realm_is_recognised() {
        let data: Vec<(String, String)> = ["acme", "globex", "initech"]
            .iter()
            .flat_map(|v| ["billing", "email"].map(|n| (v.to_string(), n.to_string())))
            .collect();
        let rows: Vec<(&str, &str)> = data.iter().map(|(v, n)| (v.as_str(), n.as_str())).collect();
        assert_eq!(suggest(&rows).unwrap().template, "vhost");
    }

    #[test]
    fn nothing_partitioned_means_no_suggestion() {
        let names: Vec<String> = ["orders", "emails", "audit.log"].map(String::from).to_vec();
        assert_eq!(suggest(&rows(&names)), None);
    }
}
