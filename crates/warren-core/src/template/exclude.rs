//! Queues the realm template leaves alone: names that are not partitioned (`events.stream`,
//! `scheduler`), listed by name, by glob (`events.*`, `*.stream`, `audit-?`) or as a
//! `/regular expression/`. An excluded queue is unpartitioned and does not feed the suggestion,
//! so one odd family of names cannot tip it.

use regex::{Regex, RegexBuilder};

#[derive(Debug, Clone)]
enum Matcher {
    /// A plain name is a glob without wildcards: it matches itself.
    Glob(glob::Pattern),
    Regex(Regex),
}

/// An environment's `realm_exclude`, compiled.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    matchers: Vec<Matcher>,
}

const HOW: &str =
    "write a queue name, a glob such as `events.*` or `*.stream`, or a /regular expression/";

/// Compile one pattern, or say what is wrong with it and what to write.
fn compile(pattern: &str) -> Result<Matcher, String> {
    let p = pattern.trim();
    if p.is_empty() {
        return Err(format!("empty pattern: remove it, or {HOW}"));
    }
    if p.len() >= 2 && p.starts_with('/') && p.ends_with('/') {
        return RegexBuilder::new(&p[1..p.len() - 1])
            .size_limit(1 << 20)
            .build()
            .map(Matcher::Regex)
            .map_err(|e| {
                format!(
                    "`{p}` is not a valid regular expression ({}); {HOW}",
                    e.to_string().lines().last().unwrap_or("").trim()
                )
            });
    }
    glob::Pattern::new(p).map(Matcher::Glob).map_err(|e| {
        format!(
            "`{p}` is not a valid glob: {} at character {}; {HOW} (`[` opens a set such as `[0-9]`)",
            e.msg,
            e.pos + 1
        )
    })
}

impl Exclusions {
    /// Compile every pattern; the errors carry the pattern's index, for the form's field
    /// (`realm_exclude[i]`).
    pub fn parse(patterns: &[String]) -> Result<Exclusions, Vec<(usize, String)>> {
        let mut matchers = Vec::with_capacity(patterns.len());
        let mut errors = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            match compile(p) {
                Ok(m) => matchers.push(m),
                Err(e) => errors.push((i, e)),
            }
        }
        if errors.is_empty() {
            Ok(Exclusions { matchers })
        } else {
            Err(errors)
        }
    }

    /// The usable patterns of a stored list (a bad one, which validation keeps out of the
    /// config, is skipped rather than failing every view).
    pub fn lenient(patterns: &[String]) -> Exclusions {
        Exclusions {
            matchers: patterns.iter().filter_map(|p| compile(p).ok()).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.matchers.is_empty()
    }

    /// Whether the queue `name` is left unpartitioned.
    pub fn excludes(&self, name: &str) -> bool {
        self.matchers.iter().any(|m| match m {
            Matcher::Glob(g) => g.matches(name),
            Matcher::Regex(r) => r.is_match(name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(patterns: &[&str]) -> Exclusions {
        Exclusions::parse(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn names_globs_and_regexes_exclude() {
        let e = ex(&["scheduler", "events.*", "*.stream", "/^tmp-\\d+$/"]);
        for name in ["scheduler", "events.audit", "orders.stream", "tmp-42"] {
            assert!(e.excludes(name), "{name}");
        }
        for name in [
            "scheduler.acme",
            "billing.events",
            "stream",
            "tmp-x",
            "hooli.pdf-render",
        ] {
            assert!(!e.excludes(name), "{name}");
        }
        assert!(!Exclusions::default().excludes("anything"));
    }

    #[test]
    fn a_bad_pattern_says_which_and_what_to_write() {
        let patterns: Vec<String> = ["ok.*", "events.[", " ", "/(/"].map(String::from).to_vec();
        let errors = Exclusions::parse(&patterns).unwrap_err();
        assert_eq!(
            errors.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(
            errors[0].1.contains("`events.[` is not a valid glob"),
            "{}",
            errors[0].1
        );
        assert!(errors[0].1.contains("`*.stream`"), "{}", errors[0].1);
        assert!(errors[1].1.contains("empty pattern"), "{}", errors[1].1);
        assert!(
            errors[2].1.contains("regular expression"),
            "{}",
            errors[2].1
        );
        assert!(Exclusions::lenient(&patterns).excludes("ok.go"));
    }
}
