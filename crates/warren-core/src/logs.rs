//! The logs link: a per-environment URL template (e.g. a Kibana Discover query) with
//! `{worker}`, `{realm}`, `{queue}` and `{vhost}` placeholders, filled for a realm, a worker or
//! a queue and opened in the system browser. Values are percent-encoded; a placeholder the
//! target does not have (a realm link's `{queue}`) becomes empty.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;
use ts_rs::TS;

const PLACEHOLDERS: [&str; 4] = ["worker", "realm", "queue", "vhost"];

/// Unreserved characters stay as they are; everything else is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// What a logs link is for: any of the four (from a realm row only `realm`, from a queue all).
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
pub struct LogsTarget {
    #[ts(optional)]
    pub vhost: Option<String>,
    #[ts(optional)]
    pub queue: Option<String>,
    #[ts(optional)]
    pub worker: Option<String>,
    #[ts(optional)]
    pub realm: Option<String>,
}

/// Check a template: http(s), and only the four placeholders.
pub fn validate(template: &str) -> Result<(), String> {
    let t = template.trim();
    if !(t.starts_with("https://") || t.starts_with("http://")) {
        return Err("a logs URL starts with https:// or http://, e.g. https://kibana.internal/app/discover#/?_a=(query:(query:'realm:{realm}'))".into());
    }
    // The URL is stored in the config file in plain text: credentials belong elsewhere.
    let authority = t
        .split_once("://")
        .map_or("", |(_, r)| r.split(['/', '?', '#']).next().unwrap_or(""));
    if authority.contains('@') {
        return Err("remove the user name and password from the logs URL: it is stored in plain text in the config file. Use a logs tool that signs you in through the browser (SSO) instead".into());
    }
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(format!(
                "unclosed placeholder `{}`: close it with `}}`, e.g. {{realm}}",
                rest[open..].chars().take(12).collect::<String>()
            ));
        };
        let name = &rest[open + 1..open + close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!("unknown placeholder `{{{name}}}`: use {{worker}}, {{realm}}, {{queue}} or {{vhost}}"));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

/// Fill the template for `target`.
pub fn render(template: &str, target: &LogsTarget) -> String {
    let enc = |v: &Option<String>| {
        v.as_deref()
            .map(|v| utf8_percent_encode(v, COMPONENT).to_string())
            .unwrap_or_default()
    };
    template
        .trim()
        .replace("{worker}", &enc(&target.worker))
        .replace("{realm}", &enc(&target.realm))
        .replace("{queue}", &enc(&target.queue))
        .replace("{vhost}", &enc(&target.vhost))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_unclosed_placeholders_are_refused() {
        let e = validate("http://user:pass@kibana/{realm}").unwrap_err();
        assert!(
            e.contains("user name and password") && !e.contains("pass@"),
            "{e}"
        );
        assert!(validate("https://tok@kibana/x").is_err());
        let e = validate("https://kibana/app?q={realm").unwrap_err();
        assert!(e.contains("unclosed placeholder `{realm`"), "{e}");
        assert!(validate("https://kibana/app#/?a=(q:'x@y')&r={realm}").is_ok());
    }

    #[test]
    fn fills_and_encodes_and_leaves_missing_values_empty() {
        let t = "https://kibana/app/discover#/?q=realm:{realm}%20AND%20worker:{worker}&v={vhost}&x={queue}";
        let target = LogsTarget {
            realm: Some("acme corp".into()),
            worker: Some("billing".into()),
            vhost: Some("/".into()),
            queue: None,
        };
        assert_eq!(
            render(t, &target),
            "https://kibana/app/discover#/?q=realm:acme%20corp%20AND%20worker:billing&v=%2F&x="
        );
    }

    #[test]
    fn validation_names_the_problem() {
        assert!(validate("https://k/{realm}").is_ok());
        assert!(validate("ftp://k/{realm}")
            .unwrap_err()
            .contains("https://"));
        assert!(validate("https://k/{tenant}")
            .unwrap_err()
            .contains("unknown placeholder `{tenant}`"));
    }
}
