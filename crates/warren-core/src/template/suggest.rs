//! Suggest a realm template from an inventory, so a new environment gets realm views without
//! anyone typing a template.
//!
//! Every shape a template can express is scored on the names: per delimiter (`.`, `-`, `_`,
//! `:`), the realm as the last segment (`{worker}.{realm}`), the first (`{realm}.{worker}`), or
//! one segment in from either end next to a literal the names share (`orders.{realm}.{worker}`,
//! `{worker}.{realm}.created`); a literal prefix every realm value carries (`tenant-`) is folded
//! into the template; and "the vhost is the realm" (the same names in several vhosts). A name
//! counts for a shape when its realm value recurs with other workers and its worker with other
//! realms. The shapes that map (nearly) the most names contend, and which side of the names
//! looks like the realm decides between them: a full grid of realms × workers fits both orders
//! equally, so coverage alone cannot tell `hooli.pdf-render` (realm first) from
//! `billing.acme` (realm last). The evidence, in order of weight:
//! - a marker (`tenant-`, `client-`, `realm-`, `customer-`, `org-`, `account-`) on one side;
//! - compound values (`pdf-render`, `email_sender`): worker names, realm names are single
//!   tokens;
//! - values that read as work (`billing`, `invoice`, `email`, `…-sender`, `…-sync`, plurals);
//! - numbered values (`0042`, `t17`): realms are often ids;
//! - slightly, more distinct realms than workers (typical, but fleets with 100+ workers exist).
//!
//! The result says why (`reason`) and lists the runners-up, so the choice can be checked.

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
    /// Why this template, in a sentence or two: what recurs, and what decided between readings
    /// that fit as many names.
    pub reason: String,
    /// The other shapes that fit some names, best first (at most four).
    pub alternatives: Vec<Alternative>,
}

/// A template considered and not chosen.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Alternative {
    pub template: String,
    pub matched: u32,
    pub realms: u32,
    pub workers: u32,
    /// How much more its realm side looks like realms than its worker side (positive: the
    /// reading fits; see the module docs).
    pub evidence: f32,
}

const DELIMITERS: [char; 4] = ['.', '-', '_', ':'];
/// Words that mark a realm value (`tenant-42`, `client_acme`).
const MARKERS: [&str; 8] = [
    "tenant", "client", "realm", "customer", "cust", "org", "account", "acct",
];
/// Words that name work; any token of a worker name is likely one (or ends like one, below).
const WORK_WORDS: [&str; 60] = [
    "email",
    "mail",
    "sms",
    "push",
    "audit",
    "sync",
    "index",
    "render",
    "pdf",
    "ocr",
    "cron",
    "job",
    "task",
    "worker",
    "queue",
    "event",
    "webhook",
    "notify",
    "export",
    "import",
    "report",
    "upload",
    "download",
    "resize",
    "thumbnail",
    "transcode",
    "search",
    "cache",
    "backup",
    "cleanup",
    "archive",
    "chat",
    "tax",
    "kyc",
    "etl",
    "invoice",
    "payment",
    "billing",
    "order",
    "ledger",
    "metric",
    "log",
    "dlq",
    "retry",
    "delay",
    "inbound",
    "outbound",
    "check",
    "fetch",
    "send",
    "process",
    "ingest",
    "feed",
    "crawl",
    "scan",
    "convert",
    "image",
    "video",
    "stream",
    "batch",
];
/// Endings of work words: doers (`sender`, `processor`), activities (`billing`), results
/// (`notification`), events (`created`).
const WORK_ENDINGS: [&str; 6] = ["er", "or", "ing", "ion", "ions", "ed"];

/// Contending shapes must map at least this share of what the best maps.
const CONTEND: f64 = 0.9;
/// Values of each side the evidence looks at (the most frequent).
const SAMPLE: usize = 1000;
/// Evidence one whole share of coverage is worth, between contenders.
const COVERAGE_WEIGHT: f64 = 5.0;

/// One side's values, as shares (0..1) of them that show each trait.
#[derive(Debug, Default, Clone, Copy)]
struct Look {
    marker: f64,
    compound: f64,
    work: f64,
    numbered: f64,
}

/// Split into alphabetic tokens, lowercase (`pdf-render2` → `pdf`, `render`).
fn tokens(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(|c: char| !c.is_alphabetic())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
}

fn is_marker(token: &str) -> bool {
    MARKERS.contains(&token)
}

fn is_work(token: &str) -> bool {
    let singular = token
        .strip_suffix('s')
        .filter(|s| s.len() >= 3 && !s.ends_with('s'));
    WORK_WORDS.contains(&token)
        || singular.is_some_and(|s| WORK_WORDS.contains(&s))
        || (token.len() > 4
            && (WORK_ENDINGS.iter().any(|e| token.ends_with(e)) || singular.is_some()))
}

impl Look {
    fn of<S: AsRef<str>>(values: &[S]) -> Look {
        let n = values.len().max(1) as f64;
        let mut l = Look::default();
        for v in values {
            let v = v.as_ref();
            let toks: Vec<String> = tokens(v).collect();
            let marked = toks.iter().any(|t| is_marker(t));
            // A marker's own delimiter (`tenant-0007`) does not make the value compound.
            let rest = match toks.first() {
                Some(t)
                    if is_marker(t)
                        && v.get(..t.len()).is_some_and(|p| p.eq_ignore_ascii_case(t)) =>
                {
                    v[t.len()..].trim_start_matches(|c: char| !c.is_alphanumeric())
                }
                _ => v,
            };
            l.marker += f64::from(u8::from(marked));
            l.compound += f64::from(u8::from(rest.contains(|c: char| !c.is_alphanumeric())));
            l.work += f64::from(u8::from(toks.iter().any(|t| is_work(t))));
            l.numbered += f64::from(u8::from(v.contains(|c: char| c.is_ascii_digit())));
        }
        Look {
            marker: l.marker / n,
            compound: l.compound / n,
            work: l.work / n,
            numbered: l.numbered / n,
        }
    }

    /// How much the values look like realm names (positive) rather than worker names.
    fn realmness(&self) -> f64 {
        3.0 * self.marker + self.numbered - 2.0 * self.compound - self.work
    }
}

/// The evidence that a reading puts the realm on the right side, with its parts for the reason.
#[derive(Debug, Clone, Copy, Default)]
struct Evidence {
    realms: Look,
    workers: Look,
    /// ln(realms / workers), clamped to ±1, weighted lightly.
    count: f64,
}

impl Evidence {
    fn total(&self) -> f64 {
        self.realms.realmness() - self.workers.realmness() + 0.3 * self.count
    }
}

#[derive(Debug, Clone)]
struct Candidate {
    template: String,
    matched: u32,
    /// Distinct values, sorted by how many names carry them (most first).
    realms: Vec<String>,
    workers: Vec<String>,
    /// The literal folded in front of the realm (`tenant-`), if any.
    realm_prefix: String,
    evidence: Evidence,
    /// Order of generation: the tie-break of last resort (realm last, `.`, first).
    order: usize,
}

/// Where a shape takes the realm from a name split at its delimiter.
#[derive(Debug, Clone, Copy)]
struct Shape {
    delim: char,
    realm_first: bool,
    /// Segments of literal text on the far side of the realm (`orders.` in
    /// `orders.{realm}.{worker}`).
    skip: usize,
}

impl Shape {
    /// (literal, worker, realm) of a name, or `None` if it does not have the segments.
    fn split<'a>(&self, name: &'a str) -> Option<(&'a str, &'a str, &'a str)> {
        let (d, skip) = (self.delim, self.skip);
        let w = d.len_utf8();
        // Byte offsets of the delimiters that matter, counted from the realm's end of the name.
        let mut cuts = [0usize; 3];
        let mut n = 0;
        let mut keep = |i: usize| {
            cuts[n] = i;
            n += 1;
        };
        if self.realm_first {
            name.match_indices(d)
                .take(skip + 1)
                .for_each(|(i, _)| keep(i));
        } else {
            name.rmatch_indices(d)
                .take(skip + 1)
                .for_each(|(i, _)| keep(i));
        }
        if n < skip + 1 {
            return None;
        }
        let (literal, worker, realm) = if self.realm_first {
            // literal = the `skip` segments first, realm = the next one, worker = the rest.
            let lit_end = if skip == 0 { 0 } else { cuts[skip - 1] + w };
            (
                &name[..lit_end],
                &name[cuts[skip] + w..],
                &name[lit_end..cuts[skip]],
            )
        } else {
            let lit_start = if skip == 0 {
                name.len()
            } else {
                cuts[skip - 1]
            };
            (
                &name[lit_start..],
                &name[..cuts[skip]],
                &name[cuts[skip] + w..lit_start],
            )
        };
        (!worker.is_empty() && !realm.is_empty()).then_some((literal, worker, realm))
    }

    fn template(&self, literal: &str, realm_prefix: &str) -> String {
        let d = self.delim;
        if self.realm_first {
            format!("{literal}{realm_prefix}{{realm}}{d}{{worker}}")
        } else {
            format!("{{worker}}{d}{realm_prefix}{{realm}}{literal}")
        }
    }
}

/// Distinct values, most frequent first (then by name, so the order is stable).
fn ranked(counts: &HashMap<&str, u32>) -> Vec<String> {
    let mut v: Vec<(&str, u32)> = counts.iter().map(|(k, n)| (*k, *n)).collect();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter().map(|(k, _)| k.to_string()).collect()
}

/// Drop segments (by `delim`) every value shares at its start or end: `orders.acme`,
/// `orders.globex` are told apart by `acme` and `globex`, the rest is a namespace.
fn without_shared_segments(values: &[String], delim: char) -> Vec<String> {
    if values.len() < 2 {
        return values.to_vec();
    }
    let split: Vec<Vec<&str>> = values.iter().map(|v| v.split(delim).collect()).collect();
    let shortest = split.iter().map(Vec::len).min().unwrap_or(0);
    let first = &split[0];
    let mut lead = 0;
    while lead + 1 < shortest && split.iter().all(|s| s[lead] == first[lead]) {
        lead += 1;
    }
    let end = |s: &Vec<&str>, t: usize| s[s.len() - 1 - t].to_string();
    let mut trail = 0;
    while lead + trail + 1 < shortest && split.iter().all(|s| end(s, trail) == end(first, trail)) {
        trail += 1;
    }
    split
        .iter()
        .map(|s| s[lead..s.len() - trail].join(&delim.to_string()))
        .collect()
}

fn evidence(realms: &[String], workers: &[String], delim: Option<char>) -> Evidence {
    let count = (realms.len() as f64 / workers.len().max(1) as f64)
        .ln()
        .clamp(-1.0, 1.0);
    // The most frequent values tell enough, and thousands of realms cost no more time.
    let (realms, workers) = (
        &realms[..realms.len().min(SAMPLE)],
        &workers[..workers.len().min(SAMPLE)],
    );
    let workers = match delim {
        Some(d) => without_shared_segments(workers, d),
        None => workers.to_vec(),
    };
    Evidence {
        realms: Look::of(realms),
        workers: Look::of(&workers),
        count,
    }
}

/// The candidate of one shape, if at least two realms with two workers each fit it.
fn score<'a>(names: &[&'a str], shape: Shape, order: usize) -> Option<Candidate> {
    let mut split: Vec<(&str, &str, &str)> = names.iter().filter_map(|n| shape.split(n)).collect();
    let mut literal = "";
    if shape.skip > 0 {
        // The literal the most names share; the others do not fit this shape.
        let mut counts: HashMap<&str, u32> = HashMap::default();
        for (l, _, _) in &split {
            *counts.entry(*l).or_default() += 1;
        }
        literal = counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))?
            .0;
        split.retain(|(l, _, _)| *l == literal);
    }
    let mut per_realm: HashMap<&str, u32> = HashMap::default();
    let mut per_worker: HashMap<&str, u32> = HashMap::default();
    for (_, worker, realm) in &split {
        *per_realm.entry(realm).or_default() += 1;
        *per_worker.entry(worker).or_default() += 1;
    }
    // A name is partitioned when its realm value recurs with other workers and its worker with
    // other realms; one-off names are not.
    split.retain(|(_, w, r)| per_realm[r] >= 2 && per_worker[w] >= 2);
    // The partitioned names' realm (less `cut` bytes of prefix) and worker values, counted.
    let tally = |split: &[(&'a str, &'a str, &'a str)], cut: usize| {
        let (mut realms, mut workers): (HashMap<&'a str, u32>, HashMap<&'a str, u32>) =
            Default::default();
        for (_, w, r) in split {
            *realms.entry(&r[cut..]).or_default() += 1;
            *workers.entry(*w).or_default() += 1;
        }
        (realms.len() >= 2 && workers.len() >= 2).then_some((realms, workers))
    };
    let (mut realm_counts, mut worker_counts) = tally(&split, 0)?;
    // A literal prefix all realm values share (`realm-42`, `tenant-0007`) belongs to the
    // template, so the realm is `42`, not `realm-42`.
    let prefix = shared_prefix(&realm_counts.keys().copied().collect::<Vec<_>>());
    if !prefix.is_empty() {
        let stop = prefix.chars().last();
        split.retain(|(_, _, r)| {
            r.len() > prefix.len()
                && r.starts_with(prefix.as_str())
                && stop.is_none_or(|c| !r[prefix.len()..].contains(c))
        });
        (realm_counts, worker_counts) = tally(&split, prefix.len())?;
    }
    let (realms, workers) = (ranked(&realm_counts), ranked(&worker_counts));
    let mut evidence = evidence(&realms, &workers, Some(shape.delim));
    if prefix
        .split(|c: char| !c.is_alphabetic())
        .any(|t| is_marker(&t.to_lowercase()))
    {
        evidence.realms.marker = 1.0;
    }
    Some(Candidate {
        template: shape.template(literal, &prefix),
        matched: split.len() as u32,
        realms,
        workers,
        realm_prefix: prefix,
        evidence,
        order,
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
fn score_vhosts(rows: &[(&str, &str)], order: usize) -> Option<Candidate> {
    let mut vhosts_of: HashMap<&str, u32> = HashMap::default();
    for (_, name) in rows {
        *vhosts_of.entry(name).or_default() += 1;
    }
    let matched: Vec<&(&str, &str)> = rows.iter().filter(|(_, n)| vhosts_of[n] >= 2).collect();
    let (mut realm_counts, mut worker_counts) = (HashMap::default(), HashMap::default());
    for (v, n) in &matched {
        *realm_counts.entry(*v).or_default() += 1;
        *worker_counts.entry(*n).or_default() += 1;
    }
    let (realms, workers) = (ranked(&realm_counts), ranked(&worker_counts));
    (realms.len() >= 2 && workers.len() >= 2).then(|| Candidate {
        template: VHOST.into(),
        matched: matched.len() as u32,
        evidence: evidence(&realms, &workers, None),
        realms,
        workers,
        realm_prefix: String::new(),
        order,
    })
}

/// `a`, `b`, `c`, … (up to `n` values, in backticks).
fn some(values: &[String], n: usize) -> String {
    let mut s = values
        .iter()
        .take(n)
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > n {
        s.push_str(", …");
    }
    s
}

/// Examples of values showing a trait, preferring those that do.
fn showing(values: &[String], n: usize, has: impl Fn(&str) -> bool) -> String {
    let picked: Vec<String> = values.iter().filter(|v| has(v)).take(n).cloned().collect();
    some(if picked.is_empty() { values } else { &picked }, n)
}

/// What tells the chosen reading's realms from its workers, strongest first.
fn telling(c: &Candidate) -> Vec<String> {
    let (r, w) = (&c.evidence.realms, &c.evidence.workers);
    let compound = |v: &str| v.contains(|ch: char| !ch.is_alphanumeric());
    let mut parts: Vec<(f64, String)> = Vec::new();
    if r.marker > w.marker {
        parts.push((
            3.0 * (r.marker - w.marker),
            format!(
                "the realms carry a marker ({})",
                if c.realm_prefix.is_empty() {
                    showing(&c.realms, 2, |v| tokens(v).any(|t| is_marker(&t)))
                } else {
                    format!("`{}`", c.realm_prefix)
                }
            ),
        ));
    }
    if w.compound > r.compound {
        parts.push((
            2.0 * (w.compound - r.compound),
            format!(
                "the workers are compound ({}), the realms single words ({})",
                showing(&c.workers, 2, compound),
                some(&c.realms, 2)
            ),
        ));
    }
    if w.work > r.work {
        parts.push((
            w.work - r.work,
            format!(
                "the workers name work ({})",
                showing(&c.workers, 3, |v| tokens(v).any(|t| is_work(&t)))
            ),
        ));
    }
    if r.numbered > w.numbered {
        parts.push((
            r.numbered - w.numbered,
            format!(
                "the realms are numbered ({})",
                showing(&c.realms, 2, |v| v.contains(|ch: char| ch.is_ascii_digit()))
            ),
        ));
    }
    if c.evidence.count > 0.0 {
        parts.push((0.3 * c.evidence.count, "more realms than workers".into()));
    }
    parts.retain(|(weight, s)| *weight > 0.05 && !s.is_empty());
    parts.sort_by(|a, b| b.0.total_cmp(&a.0));
    // The two that weigh most say enough.
    parts.into_iter().take(2).map(|(_, s)| s).collect()
}

fn reason(best: &Candidate, total: usize, rivals: &[&Candidate]) -> String {
    let mut s = if best.template == VHOST {
        format!(
            "{} of {} queues are named alike in {} vhosts ({}): the vhost is the realm, the name the worker ({})",
            best.matched,
            total,
            best.realms.len(),
            some(&best.realms, 3),
            some(&best.workers, 3)
        )
    } else {
        format!(
            "In {} of {} queues, {} workers ({}) recur across {} realms ({})",
            best.matched,
            total,
            best.workers.len(),
            some(&best.workers, 3),
            best.realms.len(),
            some(&best.realms, 3)
        )
    };
    if let Some(rival) = rivals.first() {
        let why = telling(best).join("; ");
        let side = match (
            best.template.find("{realm}"),
            best.template.find("{worker}"),
        ) {
            _ if best.template == VHOST => "The vhost as realm",
            (Some(r), Some(w)) if r < w => "Realm first",
            _ => "Realm last",
        };
        if rival.matched < best.matched {
            s.push_str(&format!(
                ". Next best: `{}` ({} queues)",
                rival.template, rival.matched
            ));
        } else if why.is_empty() {
            s.push_str(&format!(
                ". `{}` fits as many and nothing tells the realms from the workers: the usual layout, realm last, wins",
                rival.template
            ));
        } else {
            let fits = if rival.matched == best.matched {
                "as many".to_string()
            } else {
                rival.matched.to_string()
            };
            s.push_str(&format!(
                ". {side}, not `{}` (fits {fits}): {why}",
                rival.template
            ));
        }
    }
    s
}

impl Candidate {
    fn alternative(&self) -> Alternative {
        Alternative {
            template: self.template.clone(),
            matched: self.matched,
            realms: self.realms.len() as u32,
            workers: self.workers.len() as u32,
            evidence: (self.evidence.total() * 100.0).round() as f32 / 100.0,
        }
    }
}

/// The template that maps (nearly) the most queues, the reading the names support best among
/// those; `None` when nothing looks partitioned (fewer than two realms with two workers each).
pub fn suggest(rows: &[(&str, &str)]) -> Option<Suggestion> {
    let names: Vec<&str> = rows.iter().map(|(_, n)| *n).collect();
    let shapes = DELIMITERS.iter().flat_map(|&delim| {
        (0..=2).flat_map(move |skip| {
            [false, true].map(|realm_first| Shape {
                delim,
                realm_first,
                skip,
            })
        })
    });
    let mut candidates: Vec<Candidate> = shapes
        .enumerate()
        .filter_map(|(i, shape)| score(&names, shape, i))
        .collect();
    candidates.extend(score_vhosts(rows, usize::MAX));
    candidates.dedup_by(|a, b| a.template == b.template);
    let most = candidates.iter().map(|c| c.matched).max()?;
    let rank = |c: &Candidate| {
        let short = 1.0 - f64::from(c.matched) / f64::from(most);
        if short > 1.0 - CONTEND {
            f64::NEG_INFINITY
        } else {
            c.evidence.total() - COVERAGE_WEIGHT * short
        }
    };
    // Best first: contenders by rank, then the rest by coverage; ties by coverage, then the
    // order of generation (`.` before the others, realm last before realm first).
    candidates.sort_by(|a, b| {
        rank(b)
            .total_cmp(&rank(a))
            .then(b.matched.cmp(&a.matched))
            .then(a.order.cmp(&b.order))
    });
    let best = &candidates[0];
    let rivals: Vec<&Candidate> = candidates[1..]
        .iter()
        .filter(|c| f64::from(c.matched) >= CONTEND * f64::from(most))
        .collect();
    Some(Suggestion {
        template: best.template.clone(),
        matched: best.matched,
        realms: best.realms.len() as u32,
        workers: best.workers.len() as u32,
        reason: reason(best, rows.len(), &rivals),
        alternatives: candidates[1..]
            .iter()
            .take(4)
            .map(Candidate::alternative)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(names: &[String]) -> Vec<(&str, &str)> {
        names.iter().map(|n| ("/", n.as_str())).collect()
    }

    fn grid(realms: &[&str], workers: &[&str], name: impl Fn(&str, &str) -> String) -> Vec<String> {
        realms
            .iter()
            .flat_map(|r| workers.iter().map(|w| name(r, w)).collect::<Vec<_>>())
            .collect()
    }

    fn summary(s: &Suggestion) -> (&str, u32, u32, u32) {
        (s.template.as_str(), s.matched, s.realms, s.workers)
    }

    #[test]
    fn finds_the_demo_layout_and_ignores_unpartitioned_names() {
        let mut names = grid(
            &["acme", "globex", "initech"],
            &["billing", "email", "search-index"],
            |r, w| format!("{w}.{r}"),
        );
        names.extend(["audit-log", "dlq-all", "mailer"].map(String::from));
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(summary(&s), ("{worker}.{realm}", 9, 3, 3));
        assert!(
            s.reason
                .contains("Realm last, not `{realm}.{worker}` (fits as many)"),
            "{}",
            s.reason
        );
        assert!(
            s.reason.contains("compound (`search-index`)"),
            "{}",
            s.reason
        );
        assert_eq!(s.alternatives[0].template, "{realm}.{worker}");
        assert!(s.alternatives[0].evidence < 0.0, "{:?}", s.alternatives);
    }

    #[test]
    fn the_demo_seed_is_realm_last_though_it_has_more_workers_than_realms() {
        let realms: Vec<&str> = crate::demo::REALMS.iter().map(|(r, _)| *r).collect();
        let mut names = grid(&realms, &crate::demo::WORKERS, |r, w| format!("{w}.{r}"));
        names.extend(crate::demo::UNPARTITIONED.map(String::from));
        names.extend(["dlq-all", "dlq-payments"].map(String::from));
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(
            summary(&s),
            ("{worker}.{realm}", 480, 12, 40),
            "{}",
            s.reason
        );
    }

    #[test]
    fn realm_first_names_are_recognised() {
        // The shop of issue 13: realm first, compound worker names.
        let realms = ["hooli", "acme", "globex", "initech", "umbrella", "stark"];
        let workers = [
            "email-sender",
            "pdf-render",
            "invoice",
            "thumbnailer",
            "search-indexer",
            "webhooks",
            "audit",
            "ledger",
        ];
        let mut names = grid(&realms, &workers, |r, w| format!("{r}.{w}"));
        names.extend(["events.stream", "scheduler", "dead-letters"].map(String::from));
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(summary(&s), ("{realm}.{worker}", 48, 6, 8), "{}", s.reason);
        assert!(s.reason.contains("8 workers"), "{}", s.reason);
        assert!(s.reason.contains("6 realms"), "{}", s.reason);
        assert!(
            s.reason
                .contains("Realm first, not `{worker}.{realm}` (fits as many)"),
            "{}",
            s.reason
        );
        assert!(
            s.reason.contains("compound (`email-sender`"),
            "{}",
            s.reason
        );
        // Without compound names, the words still tell: the workers name work.
        let plain = grid(
            &realms,
            &["invoices", "emails", "billing", "sender"],
            |r, w| format!("{r}.{w}"),
        );
        assert_eq!(suggest(&rows(&plain)).unwrap().template, "{realm}.{worker}");
    }

    #[test]
    fn a_symmetric_grid_is_decided_by_which_side_looks_like_realms() {
        // Realm last with `_`, and numbered realms with `:`, realm first.
        let names = grid(&["acme", "globex"], &["billing", "email"], |r, w| {
            format!("{w}_{r}")
        });
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(summary(&s), ("{worker}_{realm}", 4, 2, 2), "{}", s.reason);
        assert!(s.reason.contains("name work"), "{}", s.reason);
        let names = grid(&["c17", "c18", "c19"], &["pricing", "orders"], |r, w| {
            format!("{r}:{w}")
        });
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(s.template, "{realm}:{worker}", "{}", s.reason);
        assert!(s.reason.contains("numbered"), "{}", s.reason);
        // Nothing to tell them apart: the usual realm-last layout, and the reason says so.
        let names = grid(&["alpha", "beta"], &["north", "south"], |r, w| {
            format!("{w}-{r}")
        });
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(s.template, "{worker}-{realm}");
        assert!(s.reason.contains("nothing tells"), "{}", s.reason);
    }

    #[test]
    fn markers_fold_into_the_template_and_point_at_the_realm() {
        let names = grid(
            &["tenant-07", "tenant-12", "tenant-33"],
            &["billing", "email"],
            |r, w| format!("{r}_{w}"),
        );
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(
            summary(&s),
            ("tenant-{realm}_{worker}", 6, 3, 2),
            "{}",
            s.reason
        );
        assert!(s.reason.contains("marker"), "{}", s.reason);
        let names = grid(
            &["client_hooli", "client_acme"],
            &["pdf", "mail"],
            |r, w| format!("{w}:{r}"),
        );
        assert_eq!(
            suggest(&rows(&names)).unwrap().template,
            "{worker}:client_{realm}"
        );
    }

    #[test]
    fn a_realm_in_the_middle_next_to_a_shared_literal() {
        let names = grid(
            &["acme", "globex", "initech"],
            &["created", "cancelled", "shipped"],
            |r, w| format!("orders.{r}.{w}"),
        );
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(
            summary(&s),
            ("orders.{realm}.{worker}", 9, 3, 3),
            "{}",
            s.reason
        );
        let mut names = grid(
            &["acme", "globex"],
            &["pdf-render", "email-sender"],
            |r, w| format!("{w}.{r}.jobs"),
        );
        names.push("other.thing.jobs".into());
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(
            summary(&s),
            ("{worker}.{realm}.jobs", 4, 2, 2),
            "{}",
            s.reason
        );
        let t = super::super::RealmTemplate::parse(&s.template).unwrap();
        assert_eq!(
            t.map("/", "pdf-render.acme.jobs"),
            Some(("pdf-render", "acme"))
        );
    }

    #[test]
    fn folds_a_shared_realm_prefix_and_keeps_dotted_workers() {
        let names: Vec<String> = (0..30)
            .flat_map(|i| ["billing.worker", "email.worker"].map(|w| format!("{w}.realm-{i}")))
            .collect();
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(
            summary(&s),
            ("{worker}.realm-{realm}", 60, 30, 2),
            "{}",
            s.reason
        );
    }

    #[test]
    fn a_prefix_most_realms_share_is_not_folded_when_some_lack_it() {
        // The demo's named realms next to thousands of `tenant-NNNN` ones (demo --extra-queues):
        // folding `tenant-` would drop the named realms and let the realm-first reading win.
        let workers = ["billing", "email", "sms"];
        let mut names = grid(&["acme", "globex"], &workers, |r, w| format!("{w}.{r}"));
        names.extend((0..100).flat_map(|i| workers.map(|w| format!("{w}.tenant-{i:04}"))));
        let s = suggest(&rows(&names)).unwrap();
        assert_eq!(
            summary(&s),
            ("{worker}.{realm}", 306, 102, 3),
            "{}",
            s.reason
        );
    }

    #[test]
    fn vhost_per_realm_is_recognised() {
        let data: Vec<(String, String)> = ["acme", "globex", "initech"]
            .iter()
            .flat_map(|v| ["billing", "email"].map(|n| (v.to_string(), n.to_string())))
            .collect();
        let rows: Vec<(&str, &str)> = data.iter().map(|(v, n)| (v.as_str(), n.as_str())).collect();
        let s = suggest(&rows).unwrap();
        assert_eq!(s.template, "vhost");
        assert!(s.reason.contains("the vhost is the realm"), "{}", s.reason);
    }

    #[test]
    fn excluded_names_do_not_feed_the_suggestion() {
        // Unpartitioned families (`events.stream`, `orders.audit`) form a grid of their own
        // and would join the realms; excluded by a plain name or a glob, they do not.
        let mut names = grid(
            &["hooli", "acme", "globex"],
            &["pdf-render", "email-sender"],
            |r, w| format!("{r}.{w}"),
        );
        names.extend(
            [
                "events.stream",
                "events.audit",
                "orders.stream",
                "orders.audit",
                "scheduler",
            ]
            .map(String::from),
        );
        let all = suggest(&rows(&names)).unwrap();
        assert_eq!(
            summary(&all),
            ("{realm}.{worker}", 10, 5, 4),
            "{}",
            all.reason
        );
        for patterns in [
            vec!["events.*", "orders.*"],
            vec!["*.stream", "*.audit"],
            vec![
                "events.stream",
                "events.audit",
                "orders.stream",
                "orders.audit",
            ],
        ] {
            let exclude = super::super::Exclusions::parse(
                &patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            )
            .unwrap();
            let s = super::super::suggest_from(rows(&names), &exclude).unwrap();
            assert_eq!(
                summary(&s),
                ("{realm}.{worker}", 6, 3, 2),
                "{patterns:?}: {}",
                s.reason
            );
            assert!(
                s.reason.starts_with("In 6 of 7 queues, 2 workers"),
                "{}",
                s.reason
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
        /// Any names: a suggestion or none, never a panic, and what it suggests parses.
        #[test]
        fn any_names_give_a_template_that_parses_or_none(names in proptest::collection::vec("[a-cé.\\-_:0-9]{0,10}", 0..40)) {
            let rows: Vec<(&str, &str)> = names.iter().map(|n| ("/", n.as_str())).collect();
            if let Some(s) = suggest(&rows) {
                proptest::prop_assert!(super::super::RealmTemplate::parse(&s.template).is_ok(), "{}", s.template);
            }
        }
    }

    #[test]
    fn nothing_partitioned_means_no_suggestion() {
        let names: Vec<String> = ["orders", "emails", "audit.log"].map(String::from).to_vec();
        assert_eq!(suggest(&rows(&names)), None);
    }
}
