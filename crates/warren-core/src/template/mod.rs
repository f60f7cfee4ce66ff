//! An environment's realm template: how a queue maps to (worker, realm). It sits below the
//! areas that use it (queues map their rows with it, realms sum by it, dead letters attribute
//! by it) and knows nothing of them: it maps names.
//!
//! ```text
//! {worker}.{realm}                 billing.worker.acme -> worker `billing.worker`, realm `acme`
//! {worker}.worker.realm-{realm}    literal text around the placeholders
//! /^(?P<worker>[a-z]+)-(?P<realm>\d+)$/   a regular expression with both named groups
//! vhost                            the vhost is the realm, the queue name the worker
//! auto                             the suggestion from the inventory (see suggest.rs)
//! ```
//!
//! In a pattern, `{realm}` never spans the literal characters next to it (so with `.` around it
//! it is one dot-separated segment) while `{worker}` takes the rest: workers are often dotted
//! (`billing.worker`), realms rarely are. Queues that do not match are "unpartitioned", and so
//! are the queues an environment excludes (`realm_exclude`: names, globs, see exclude.rs).

pub mod exclude;
pub mod suggest;

pub use exclude::Exclusions;
pub use suggest::{suggest, Alternative, Suggestion};

use regex::{Regex, RegexBuilder};

/// What `auto` stands for in the config and on the command line.
pub const AUTO: &str = "auto";
pub const VHOST: &str = "vhost";

#[derive(Debug, Clone)]
pub enum RealmTemplate {
    /// A pattern or a regular expression, compiled; `source` is what the user wrote.
    Name {
        source: String,
        regex: Regex,
    },
    Vhost,
}

/// A template that cannot be used, with what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

fn error(msg: impl Into<String>) -> TemplateError {
    TemplateError(msg.into())
}

const EXAMPLES: &str = "e.g. `{worker}.{realm}`, `{worker}.worker.realm-{realm}`, `/^(?P<worker>.+)_(?P<realm>[^_]+)$/` or `vhost`";

impl RealmTemplate {
    /// Parse a template (not `auto`, which the caller resolves to a suggestion first).
    pub fn parse(spec: &str) -> Result<RealmTemplate, TemplateError> {
        let spec = spec.trim();
        if spec.eq_ignore_ascii_case(VHOST) {
            return Ok(RealmTemplate::Vhost);
        }
        if spec.eq_ignore_ascii_case(AUTO) {
            return Err(error(
                "`auto` stands for a suggestion: resolve it with realms::suggest first",
            ));
        }
        if spec.len() >= 2 && spec.starts_with('/') && spec.ends_with('/') {
            return Self::from_regex(spec);
        }
        Self::from_pattern(spec)
    }

    fn from_regex(spec: &str) -> Result<RealmTemplate, TemplateError> {
        let regex = RegexBuilder::new(&spec[1..spec.len() - 1])
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                error(format!(
                    "invalid regular expression: {}",
                    e.to_string().lines().last().unwrap_or("")
                ))
            })?;
        for group in ["worker", "realm"] {
            if !regex.capture_names().flatten().any(|n| n == group) {
                return Err(error(format!(
                    "the regular expression needs a named group `(?P<{group}>…)`, {EXAMPLES}"
                )));
            }
        }
        Ok(RealmTemplate::Name {
            source: spec.to_string(),
            regex,
        })
    }

    fn from_pattern(spec: &str) -> Result<RealmTemplate, TemplateError> {
        // Split into literal text and placeholders, checking each placeholder once.
        let mut parts: Vec<Result<&str, &str>> = Vec::new(); // Ok: literal, Err: placeholder name
        let mut rest = spec;
        // Where in the template (1-based characters), for the error messages.
        let at = |rest: &str, i: usize| spec[..spec.len() - rest.len() + i].chars().count() + 1;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').ok_or_else(|| {
                error(format!(
                    "`{{` at character {} has no closing `}}` in `{spec}`",
                    at(rest, open)
                ))
            })? + open;
            if open > 0 {
                parts.push(Ok(&rest[..open]));
            }
            let name = &rest[open + 1..close];
            if name != "worker" && name != "realm" {
                return Err(error(format!(
                    "unknown placeholder `{{{name}}}` at character {}: use {{worker}} and {{realm}}",
                    at(rest, open)
                )));
            }
            if parts.contains(&Err(name)) {
                return Err(error(format!(
                    "`{{{name}}}` appears twice in `{spec}` (again at character {})",
                    at(rest, open)
                )));
            }
            if open == 0 && matches!(parts.last(), Some(Err(_))) {
                return Err(error(format!(
                    "`{spec}`: put literal text (such as `.`) between {{worker}} and {{realm}} (at character {})",
                    at(rest, open)
                )));
            }
            parts.push(Err(name));
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Ok(rest));
        }
        for name in ["worker", "realm"] {
            if !parts.contains(&Err(name)) {
                return Err(error(format!("`{spec}` lacks `{{{name}}}`: a template names both the worker and the realm, {EXAMPLES}")));
            }
        }
        let mut re = String::from("^");
        for (i, part) in parts.iter().enumerate() {
            match part {
                Ok(literal) => re.push_str(&regex::escape(literal)),
                Err("worker") => re.push_str("(?P<worker>.+)"),
                Err(_) => {
                    // The realm stops at the literal characters on either side of it.
                    let mut stops = String::new();
                    if let Some(Ok(before)) = i.checked_sub(1).map(|j| parts[j]) {
                        stops.extend(before.chars().last());
                    }
                    if let Some(Ok(after)) = parts.get(i + 1) {
                        stops.extend(after.chars().next());
                    }
                    if stops.is_empty() {
                        re.push_str("(?P<realm>.+?)");
                    } else {
                        re.push_str(&format!("(?P<realm>[^{}]+)", regex::escape(&stops)));
                    }
                }
            }
        }
        re.push('$');
        let regex =
            Regex::new(&re).map_err(|e| error(format!("`{spec}` does not compile: {e}")))?;
        Ok(RealmTemplate::Name {
            source: spec.to_string(),
            regex,
        })
    }

    /// What the user wrote (or `vhost`).
    pub fn source(&self) -> &str {
        match self {
            RealmTemplate::Name { source, .. } => source,
            RealmTemplate::Vhost => VHOST,
        }
    }

    /// (worker, realm) of a queue, or `None` if it is unpartitioned.
    pub fn map<'a>(&self, vhost: &'a str, name: &'a str) -> Option<(&'a str, &'a str)> {
        match self {
            RealmTemplate::Vhost => Some((name, vhost)),
            RealmTemplate::Name { regex, .. } => {
                let caps = regex.captures(name)?;
                let worker = caps.name("worker")?;
                let realm = caps.name("realm")?;
                (!worker.as_str().is_empty() && !realm.as_str().is_empty())
                    .then(|| (worker.as_str(), realm.as_str()))
            }
        }
    }
}

/// A template crosses to the UI and `--json` as what the user wrote.
impl serde::Serialize for RealmTemplate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.source())
    }
}

/// The template written in `configured`, or `None` if it is unset or `auto` (the suggestion).
fn written(configured: Option<&str>) -> Option<&str> {
    configured
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case(AUTO))
}

/// The suggestion from the queue names `(vhost, name)` the exclusions leave.
pub fn suggest_from<'a>(
    names: impl IntoIterator<Item = (&'a str, &'a str)>,
    exclude: &Exclusions,
) -> Option<Suggestion> {
    let names: Vec<(&str, &str)> = names
        .into_iter()
        .filter(|(_, n)| !exclude.excludes(n))
        .collect();
    suggest(&names)
}

/// The template an environment uses: its own, or (unset or `auto`) the suggestion from the
/// queue names `(vhost, name)` not excluded. `None` when it has none and nothing looks
/// partitioned. With `auto`, the suggestion comes along (for its reason).
pub fn resolve<'a>(
    configured: Option<&str>,
    exclude: &Exclusions,
    names: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(Option<RealmTemplate>, Option<Suggestion>), TemplateError> {
    match written(configured) {
        Some(t) => Ok((Some(RealmTemplate::parse(t)?), None)),
        None => {
            let s = suggest_from(names, exclude);
            Ok((
                s.as_ref()
                    .and_then(|s| RealmTemplate::parse(&s.template).ok()),
                s,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Hostile templates: parsed or refused with a message, never a panic; a parsed one maps
        /// any name without panicking.
        #[test]
        fn the_template_parser_never_panics(t in "(\\{worker\\}|\\{realm\\}|\\{|\\}|/|\\(\\?P<(worker|realm|x)>|\\)|[.\\-_a-z*+?\\[\\]^$]){0,12}", name in "[a-z.\\-_]{0,20}") {
            match RealmTemplate::parse(&t) {
                Ok(tpl) => { let _ = tpl.map("/", &name); }
                Err(e) => proptest::prop_assert!(!e.0.is_empty()),
            }
        }
    }

    fn map(t: &str, name: &str) -> Option<(String, String)> {
        RealmTemplate::parse(t)
            .unwrap()
            .map("/", name)
            .map(|(w, r)| (w.to_string(), r.to_string()))
    }

    fn pair(w: &str, r: &str) -> Option<(String, String)> {
        Some((w.to_string(), r.to_string()))
    }

    #[test]
    fn patterns_keep_the_realm_to_one_segment_and_give_the_worker_the_rest() {
        assert_eq!(
            map("{worker}.{realm}", "billing.acme"),
            pair("billing", "acme")
        );
        assert_eq!(
            map("{worker}.{realm}", "billing.worker.acme"),
            pair("billing.worker", "acme")
        );
        assert_eq!(map("{worker}.{realm}", "audit-log"), None);
        assert_eq!(
            map("{worker}.worker.realm-{realm}", "billing.worker.realm-42"),
            pair("billing", "42")
        );
        assert_eq!(
            map("{worker}.worker.realm-{realm}", "billing.worker.other-42"),
            None
        );
        assert_eq!(
            map("{realm}:{worker}", "acme:billing:v2"),
            pair("billing:v2", "acme")
        );
        assert_eq!(
            map("{worker}.{realm}", "billing.a+b(c)"),
            pair("billing", "a+b(c)")
        );
    }

    #[test]
    fn regexes_and_vhost_mode() {
        assert_eq!(
            map(r"/^(?P<worker>[a-z]+)-(?P<realm>\d+)$/", "sms-7"),
            pair("sms", "7")
        );
        let v = RealmTemplate::parse("vhost").unwrap();
        assert_eq!(v.map("acme", "billing"), Some(("billing", "acme")));
    }

    #[test]
    fn bad_templates_say_what_to_write() {
        let e = |t: &str| RealmTemplate::parse(t).unwrap_err().0;
        assert!(
            e("{worker}.queue").contains("lacks `{realm}`"),
            "{}",
            e("{worker}.queue")
        );
        assert!(e("{worker}.{tenant}").contains("unknown placeholder `{tenant}`"));
        assert!(e("{worker}{realm}").contains("literal text"));
        assert!(e("{worker}{realm}").contains("at character 9"));
        assert!(e("{worker}.{realm").contains("`{` at character 10 has no closing"));
        assert!(e("{worker}.{tenant}").contains("at character 10"));
        assert!(e("{worker}.{realm}.{realm}").contains("twice"));
        assert!(e("{worker}.{realm}.{realm}").contains("again at character 18"));
        assert!(e(r"/^(?P<worker>.+)$/").contains("(?P<realm>"));
        assert!(e("/(/").contains("invalid regular expression"));
    }
}
