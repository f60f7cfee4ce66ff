//! The queue filter language, one parser for the UI and the CLI:
//!
//! ```text
//! billing acme            words match the name (case-insensitive substring), all must match
//! billing.*.acme          `*` and `?` make a glob over the whole name
//! /^billing\.(acme|x)$/i  a regular expression on the name (`i`: ignore case)
//! "two words"             a quoted phrase
//! messages>1000 consumers=0 memory>=10MB publish_rate<0.5 idle:>1h dlx:yes
//! vhost:/ type:quorum state:running node:rabbit@a* policy:ha-* realm:acme worker:billing
//! delivery_limit<5 messages_delayed>0 messages_dlx>0 leader:rabbit@a
//!                         (quorum-only and 4.3-only numbers never match a queue without them)
//! -word -type:stream      `-` negates a term
//! a b | c d   a b OR c d  `|` or `OR` between groups of terms (each group ANDs its terms)
//! ```
//!
//! Errors carry the character position and what was expected; parsing never panics on any
//! input (see the property test).

use std::fmt;

use regex::{Regex, RegexBuilder};
use serde::Serialize;
use ts_rs::TS;

use super::columns::Column;
use super::row::QueueRow;

/// A parse error: where (0-based character index into the query) and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FilterError {
    pub position: u32,
    pub message: String,
    pub expected: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at column {}: {} (expected {})",
            self.position + 1,
            self.message,
            self.expected
        )
    }
}

impl std::error::Error for FilterError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StrField {
    Vhost,
    Name,
    Type,
    State,
    Node,
    Policy,
    Realm,
    Worker,
    Leader,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cmp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Cmp {
    /// `a` is NaN where a queue lacks the value (an optional column): nothing holds for it.
    pub(super) fn holds(self, a: f64, b: f64) -> bool {
        if a.is_nan() {
            return false;
        }
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) enum TextMatch {
    /// Lower-cased substring.
    Contains(String),
    /// Exact, case-insensitive.
    Exact(String),
    Pattern(Regex),
}

impl TextMatch {
    pub(super) fn test(&self, value: &str, value_lower: Option<&str>) -> bool {
        match self {
            TextMatch::Contains(s) => match value_lower {
                Some(l) => l.contains(s.as_str()),
                None => value.to_lowercase().contains(s.as_str()),
            },
            TextMatch::Exact(s) => {
                value.eq_ignore_ascii_case(s)
                    || (!value.is_ascii() && value.to_lowercase() == s.to_lowercase())
            }
            TextMatch::Pattern(r) => r.is_match(value),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) enum Predicate {
    Name(TextMatch),
    Str {
        field: StrField,
        matcher: TextMatch,
        negate_eq: bool,
    },
    /// A numeric column (messages, ready, unacked, consumers, memory, rates).
    Num {
        field: Column,
        cmp: Cmp,
        value: f64,
    },
    Dlx(bool),
    /// Seconds the queue has been idle, compared with `value`.
    Idle {
        cmp: Cmp,
        seconds: f64,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Term {
    pub(super) negated: bool,
    pub(super) predicate: Predicate,
}

/// A parsed filter: groups of terms; a row matches when every term of some group matches.
/// The empty query matches everything.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub(super) groups: Vec<Vec<Term>>,
    uses_realms: bool,
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(Vec::is_empty)
    }

    /// True when the query names `realm:` or `worker:`, which match only queues the realm
    /// template has mapped (none until the environment has one).
    pub fn uses_realms(&self) -> bool {
        self.uses_realms
    }

    /// True when the query reads what only a queue's figures tell (numbers, `idle:`, state,
    /// node, leader): not known for rows shown by name before their figures arrive.
    pub fn uses_figures(&self) -> bool {
        self.groups.iter().flatten().any(|t| match &t.predicate {
            Predicate::Num { .. } | Predicate::Idle { .. } => true,
            Predicate::Str { field, .. } => {
                matches!(field, StrField::State | StrField::Node | StrField::Leader)
            }
            Predicate::Name(_) | Predicate::Dlx(_) => false,
        })
    }

    /// `now`: Unix seconds, for `idle:` terms.
    pub fn matches(&self, row: &QueueRow, now: i64) -> bool {
        self.groups.is_empty()
            || self
                .groups
                .iter()
                .any(|g| g.iter().all(|t| t.test(row, now) != t.negated))
    }
}

impl Term {
    fn test(&self, row: &QueueRow, now: i64) -> bool {
        match &self.predicate {
            Predicate::Name(m) => m.test(&row.name, Some(row.name_lower())),
            Predicate::Str {
                field,
                matcher,
                negate_eq,
            } => {
                let value = match field {
                    StrField::Vhost => Some(row.vhost.as_str()),
                    StrField::Name => Some(row.name.as_str()),
                    StrField::Type => Some(row.queue_type.as_str()),
                    StrField::State => Some(row.state.as_str()),
                    StrField::Node => Some(row.node.as_str()),
                    StrField::Policy => row.policy.as_deref(),
                    StrField::Realm => row.realm.as_deref(),
                    StrField::Worker => row.worker.as_deref(),
                    StrField::Leader => row.leader.as_deref(),
                };
                let hit = value.is_some_and(|v| {
                    matcher.test(v, (*field == StrField::Name).then(|| row.name_lower()))
                });
                hit != *negate_eq
            }
            Predicate::Num { field, cmp, value } => cmp.holds(field.number(row), *value),
            Predicate::Dlx(want) => row.dead_letter_exchange.is_some() == *want,
            Predicate::Idle { cmp, seconds } => {
                let idle = row
                    .idle_since
                    .map(|t| (now - t).max(0) as f64)
                    .unwrap_or(0.0);
                cmp.holds(idle, *seconds)
            }
        }
    }
}

const FIELDS: &str = "vhost name type state node leader policy realm worker messages ready unacked consumers memory publish_rate deliver_rate delivery_limit messages_delayed messages_dlx dlx idle";

fn err(position: usize, message: impl Into<String>, expected: impl Into<String>) -> FilterError {
    FilterError {
        position: position as u32,
        message: message.into(),
        expected: expected.into(),
    }
}

/// A token: its text (quotes removed, escapes resolved) and where it started.
struct Lexer<'a> {
    chars: &'a [char],
    pos: usize,
}

enum Token {
    Or,
    Word {
        text: String,
        start: usize,
        quoted_from: Option<usize>,
    },
    Regex {
        pattern: String,
        ignore_case: bool,
        negated: bool,
        start: usize,
    },
}

impl Lexer<'_> {
    fn next(&mut self) -> Result<Option<Token>, FilterError> {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
        let Some(&c) = self.chars.get(self.pos) else {
            return Ok(None);
        };
        let start = self.pos;
        if c == '|' {
            self.pos += 1;
            return Ok(Some(Token::Or));
        }
        // `-` may prefix a regex (`-/tmp$/`): a negated regex term.
        let neg = usize::from(c == '-' && self.chars.get(start + 1) == Some(&'/'));
        if self.chars.get(start + neg) == Some(&'/') {
            self.pos = start + neg + 1;
            let mut pattern = String::new();
            loop {
                match self.chars.get(self.pos) {
                    None => {
                        return Err(err(
                            start,
                            "unterminated regular expression",
                            "a closing `/`",
                        ))
                    }
                    Some('\\') if self.chars.get(self.pos + 1) == Some(&'/') => {
                        pattern.push('/');
                        self.pos += 2;
                    }
                    Some('/') => {
                        self.pos += 1;
                        break;
                    }
                    Some(&ch) => {
                        pattern.push(ch);
                        self.pos += 1;
                    }
                }
            }
            let mut ignore_case = false;
            while let Some(&f) = self.chars.get(self.pos) {
                if f.is_whitespace() || f == '|' {
                    break;
                }
                if f == 'i' && !ignore_case {
                    ignore_case = true;
                    self.pos += 1;
                } else {
                    return Err(err(
                        self.pos,
                        format!("unknown regular expression flag `{f}`"),
                        "`i` or a space",
                    ));
                }
            }
            return Ok(Some(Token::Regex {
                pattern,
                ignore_case,
                negated: neg == 1,
                start,
            }));
        }
        let mut text = String::new();
        let mut quoted_from = None;
        while let Some(&ch) = self.chars.get(self.pos) {
            if ch.is_whitespace() || ch == '|' {
                break;
            }
            if ch == '"' {
                quoted_from.get_or_insert(text.chars().count());
                let open = self.pos;
                self.pos += 1;
                loop {
                    match self.chars.get(self.pos) {
                        None => return Err(err(open, "unterminated quote", "a closing `\"`")),
                        Some('\\')
                            if matches!(self.chars.get(self.pos + 1), Some('"') | Some('\\')) =>
                        {
                            text.push(self.chars[self.pos + 1]);
                            self.pos += 2;
                        }
                        Some('"') => {
                            self.pos += 1;
                            break;
                        }
                        Some(&q) => {
                            text.push(q);
                            self.pos += 1;
                        }
                    }
                }
                continue;
            }
            text.push(ch);
            self.pos += 1;
        }
        if text == "OR" && quoted_from.is_none() {
            return Ok(Some(Token::Or));
        }
        Ok(Some(Token::Word {
            text,
            start,
            quoted_from,
        }))
    }
}

/// Parse a filter query. Never panics; errors point at the offending character.
pub fn parse(input: &str) -> Result<Query, FilterError> {
    let chars: Vec<char> = input.chars().collect();
    let mut lexer = Lexer {
        chars: &chars,
        pos: 0,
    };
    let mut query = Query {
        groups: vec![vec![]],
        uses_realms: false,
    };
    let mut last_or: Option<usize> = None;
    while let Some(token) = lexer.next()? {
        match token {
            Token::Or => {
                let at = lexer.pos - 1;
                if query.groups.last().is_some_and(Vec::is_empty) {
                    return Err(err(
                        at,
                        "`|`/`OR` without terms before it",
                        "a term before `|`",
                    ));
                }
                query.groups.push(vec![]);
                last_or = Some(at);
            }
            Token::Regex {
                pattern,
                ignore_case,
                negated,
                start,
            } => {
                let regex = build_regex(&pattern, ignore_case, start)?;
                query.groups.last_mut().unwrap().push(Term {
                    negated,
                    predicate: Predicate::Name(TextMatch::Pattern(regex)),
                });
                last_or = None;
            }
            Token::Word {
                text,
                start,
                quoted_from,
            } => {
                let term = word_term(&text, start, quoted_from, &mut query.uses_realms)?;
                query.groups.last_mut().unwrap().push(term);
                last_or = None;
            }
        }
    }
    if let Some(at) = last_or {
        return Err(err(
            at,
            "`|`/`OR` without terms after it",
            "a term after `|`",
        ));
    }
    query.groups.retain(|g| !g.is_empty());
    Ok(query)
}

fn build_regex(pattern: &str, ignore_case: bool, start: usize) -> Result<Regex, FilterError> {
    RegexBuilder::new(pattern)
        .case_insensitive(ignore_case)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            err(
                start,
                format!(
                    "invalid regular expression: {}",
                    e.to_string().lines().last().unwrap_or("")
                ),
                "a valid regular expression",
            )
        })
}

fn glob(pattern: &str, start: usize) -> Result<Regex, FilterError> {
    let mut re = String::from("^");
    for ch in pattern.chars() {
        match ch {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    build_regex(&re, true, start)
}

fn word_term(
    text: &str,
    start: usize,
    quoted_from: Option<usize>,
    uses_realms: &mut bool,
) -> Result<Term, FilterError> {
    let (negated, body, body_start, quoted_from) = match text.strip_prefix('-') {
        Some(rest) if !rest.is_empty() && quoted_from != Some(0) => (
            true,
            rest,
            start + 1,
            quoted_from.map(|q| q.saturating_sub(1)),
        ),
        _ => (false, text, start, quoted_from),
    };
    // A field predicate: an identifier, then an operator, outside any quotes.
    let ident_len = body
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .count();
    let op_char = body.chars().nth(ident_len);
    let quoted_before_op = quoted_from.is_some_and(|q| q <= ident_len);
    if ident_len > 0 && matches!(op_char, Some(':' | '=' | '>' | '<' | '!')) && !quoted_before_op {
        let field: String = body.chars().take(ident_len).collect();
        let rest: String = body.chars().skip(ident_len).collect();
        let predicate = field_predicate(
            &field.to_lowercase(),
            &rest,
            body_start,
            body_start + ident_len,
            uses_realms,
        )?;
        return Ok(Term { negated, predicate });
    }
    if body.is_empty() {
        return Err(err(
            start,
            "empty term",
            "a word, `/regex/` or `field:value`",
        ));
    }
    let has_glob = quoted_from.is_none() && (body.contains('*') || body.contains('?'));
    let matcher = if has_glob {
        TextMatch::Pattern(glob(body, body_start)?)
    } else {
        TextMatch::Contains(body.to_lowercase())
    };
    Ok(Term {
        negated,
        predicate: Predicate::Name(matcher),
    })
}

fn split_op(rest: &str) -> (Option<Cmp>, &str, usize) {
    // `:` alone means "equals"; `:>` etc. are accepted as in `idle:>1h`.
    let trimmed = rest.strip_prefix(':');
    let colon = usize::from(trimmed.is_some());
    let r = trimmed.unwrap_or(rest);
    for (op, cmp) in [
        (">=", Cmp::Ge),
        ("<=", Cmp::Le),
        ("!=", Cmp::Ne),
        (">", Cmp::Gt),
        ("<", Cmp::Lt),
        ("=", Cmp::Eq),
    ] {
        if let Some(v) = r.strip_prefix(op) {
            return (Some(cmp), v, colon + op.len());
        }
    }
    if colon == 1 {
        (Some(Cmp::Eq), r, 1)
    } else {
        (None, rest, 0)
    }
}

fn field_predicate(
    field: &str,
    rest: &str,
    term_start: usize,
    op_start: usize,
    uses_realms: &mut bool,
) -> Result<Predicate, FilterError> {
    let (cmp, value, op_len) = split_op(rest);
    let Some(cmp) = cmp else {
        return Err(err(
            op_start,
            format!("`{rest}` is not an operator"),
            "`:`, `=`, `!=`, `>`, `>=`, `<` or `<=`",
        ));
    };
    let value_start = op_start + op_len;
    let str_field = match field {
        "vhost" => Some(StrField::Vhost),
        "name" => Some(StrField::Name),
        "type" => Some(StrField::Type),
        "state" => Some(StrField::State),
        "node" => Some(StrField::Node),
        "policy" => Some(StrField::Policy),
        "realm" => Some(StrField::Realm),
        "worker" => Some(StrField::Worker),
        "leader" => Some(StrField::Leader),
        _ => None,
    };
    if let Some(f) = str_field {
        if !matches!(cmp, Cmp::Eq | Cmp::Ne) {
            return Err(err(
                op_start,
                format!("`{field}` is text: it cannot be compared with < or >"),
                "`:`, `=` or `!=`",
            ));
        }
        if value.is_empty() {
            return Err(err(
                value_start,
                format!("`{field}:` needs a value"),
                format!("a {field}"),
            ));
        }
        if matches!(f, StrField::Realm | StrField::Worker) {
            *uses_realms = true;
        }
        let is_colon = rest.starts_with(':');
        let matcher = if value.contains('*') || value.contains('?') {
            TextMatch::Pattern(glob(value, value_start)?)
        } else if f == StrField::Name && is_colon {
            TextMatch::Contains(value.to_lowercase())
        } else {
            TextMatch::Exact(value.to_string())
        };
        return Ok(Predicate::Str {
            field: f,
            matcher,
            negate_eq: cmp == Cmp::Ne,
        });
    }
    let num_field = field.parse::<Column>().ok().filter(|c| c.numeric());
    if let Some(f) = num_field {
        let value = if f == Column::Memory {
            parse_bytes(value)
        } else {
            parse_count(value)
        }
        .ok_or_else(|| {
            let what = if f == Column::Memory {
                "a size such as 512, 64KB, 10MB or 1.5GB"
            } else {
                "a number such as 1000, 2.5 or 10k"
            };
            err(
                value_start,
                format!("`{value}` is not a valid value for `{field}`"),
                what,
            )
        })?;
        return Ok(Predicate::Num {
            field: f,
            cmp,
            value,
        });
    }
    match field {
        "dlx" => {
            let want = match value.to_lowercase().as_str() {
                "yes" | "true" | "1" => true,
                "no" | "false" | "0" => false,
                _ => {
                    return Err(err(
                        value_start,
                        format!("`{value}` is not yes or no"),
                        "`dlx:yes` or `dlx:no`",
                    ))
                }
            };
            if !matches!(cmp, Cmp::Eq | Cmp::Ne) {
                return Err(err(op_start, "`dlx` is yes or no", "`dlx:yes` or `dlx:no`"));
            }
            Ok(Predicate::Dlx(want != (cmp == Cmp::Ne)))
        }
        "idle" => {
            let seconds = parse_duration(value).ok_or_else(|| {
                err(
                    value_start,
                    format!("`{value}` is not a duration"),
                    "a duration such as 90s, 15m, 1h or 2d",
                )
            })?;
            Ok(Predicate::Idle { cmp, seconds })
        }
        _ => Err(err(
            term_start,
            format!("unknown field `{field}` (to search for this text, put it in quotes)"),
            format!("one of: {FIELDS}"),
        )),
    }
}

fn split_number(s: &str) -> Option<(f64, String)> {
    let digits = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .count();
    if digits == 0 {
        return None;
    }
    let (num, unit) = s.split_at(
        s.char_indices()
            .nth(digits)
            .map(|(i, _)| i)
            .unwrap_or(s.len()),
    );
    let n: f64 = num.parse().ok()?;
    n.is_finite().then(|| (n, unit.to_lowercase()))
}

/// A number followed by one of `units` (lower case), scaled by that unit's factor.
fn with_unit(s: &str, units: &[(&str, f64)]) -> Option<f64> {
    let (n, unit) = split_number(s)?;
    units
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, factor)| n * factor)
}

/// `1000`, `2.5`, `10k`, `1m`.
fn parse_count(s: &str) -> Option<f64> {
    with_unit(s, &[("", 1.0), ("k", 1e3), ("m", 1e6)])
}

/// `512`, `512B`, `64KB`/`64KiB`, `10MB`, `1.5GB`: binary multiples, as the broker reports memory.
fn parse_bytes(s: &str) -> Option<f64> {
    const K: f64 = 1024.0;
    with_unit(
        s,
        &[
            ("", 1.0),
            ("b", 1.0),
            ("k", K),
            ("kb", K),
            ("kib", K),
            ("m", K * K),
            ("mb", K * K),
            ("mib", K * K),
            ("g", K * K * K),
            ("gb", K * K * K),
            ("gib", K * K * K),
            ("t", K * K * K * K),
            ("tb", K * K * K * K),
            ("tib", K * K * K * K),
        ],
    )
}

/// `90s`, `15m`, `1h`, `2d`, `1w`; a bare number is seconds.
fn parse_duration(s: &str) -> Option<f64> {
    with_unit(
        s,
        &[
            ("", 1.0),
            ("s", 1.0),
            ("m", 60.0),
            ("min", 60.0),
            ("h", 3600.0),
            ("d", 86_400.0),
            ("w", 604_800.0),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> QueueRow {
        QueueRow {
            name: name.into(),
            name_lower: name.to_lowercase(),
            vhost: "/".into(),
            queue_type: "classic".into(),
            state: "running".into(),
            ..Default::default()
        }
    }

    fn names<'a>(q: &str, rows: &'a [QueueRow]) -> Vec<&'a str> {
        let query = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        rows.iter()
            .filter(|r| query.matches(r, 10_000))
            .map(|r| r.name.as_str())
            .collect()
    }

    fn sample() -> Vec<QueueRow> {
        let mut a = row("billing.Acme");
        a.messages = 5000;
        a.consumers = 0;
        a.memory = 20 * 1024 * 1024;
        a.dead_letter_exchange = Some("dlx".into());
        a.idle_since = Some(10_000 - 7200);
        let mut b = row("billing.globex");
        b.messages = 10;
        b.consumers = 2;
        b.queue_type = "quorum".into();
        b.publish_rate = 3.5;
        let mut c = row("email.acme");
        c.messages = 1500;
        c.consumers = 1;
        c.vhost = "prod".into();
        c.policy = Some("ha-all".into());
        vec![a, b, c]
    }

    #[test]
    fn words_are_case_insensitive_substrings_and_and_together() {
        let rows = sample();
        assert_eq!(names("acme", &rows), vec!["billing.Acme", "email.acme"]);
        assert_eq!(names("BILLING acme", &rows), vec!["billing.Acme"]);
        assert_eq!(names("", &rows).len(), 3);
    }

    #[test]
    fn globs_regexes_and_phrases_match_the_name() {
        let rows = sample();
        assert_eq!(
            names("billing.*", &rows),
            vec!["billing.Acme", "billing.globex"]
        );
        assert_eq!(names("*.acme", &rows), vec!["billing.Acme", "email.acme"]);
        assert_eq!(names("/^email\\./", &rows), vec!["email.acme"]);
        assert_eq!(names("/ACME$/i", &rows), vec!["billing.Acme", "email.acme"]);
        assert_eq!(names("/ACME$/", &rows), Vec::<&str>::new());
        assert_eq!(names("\"g.gl\"", &rows), vec!["billing.globex"]);
    }

    #[test]
    fn numeric_predicates_with_units() {
        let rows = sample();
        assert_eq!(
            names("messages>1000 consumers=0", &rows),
            vec!["billing.Acme"]
        );
        assert_eq!(
            names("messages>=1500", &rows),
            vec!["billing.Acme", "email.acme"]
        );
        assert_eq!(names("messages<1k", &rows), vec!["billing.globex"]);
        assert_eq!(names("memory>10MB", &rows), vec!["billing.Acme"]);
        assert_eq!(names("publish_rate>1", &rows), vec!["billing.globex"]);
        assert_eq!(names("consumers:0", &rows), vec!["billing.Acme"]);
    }

    #[test]
    fn field_predicates_negation_and_or() {
        let rows = sample();
        assert_eq!(names("type:quorum", &rows), vec!["billing.globex"]);
        assert_eq!(names("vhost:prod", &rows), vec!["email.acme"]);
        assert_eq!(
            names("vhost:/", &rows),
            vec!["billing.Acme", "billing.globex"]
        );
        assert_eq!(names("policy:ha-*", &rows), vec!["email.acme"]);
        assert_eq!(names("-type:quorum billing", &rows), vec!["billing.Acme"]);
        assert_eq!(names("type!=classic", &rows), vec!["billing.globex"]);
        assert_eq!(names("dlx:yes", &rows), vec!["billing.Acme"]);
        assert_eq!(names("dlx:no", &rows), vec!["billing.globex", "email.acme"]);
        assert_eq!(names("idle:>1h", &rows), vec!["billing.Acme"]);
        assert_eq!(
            names("type:quorum | vhost:prod", &rows),
            vec!["billing.globex", "email.acme"]
        );
        assert_eq!(
            names("globex OR email", &rows),
            vec!["billing.globex", "email.acme"]
        );
        assert_eq!(names("-/acme/i", &rows), vec!["billing.globex"]);
        assert_eq!(names("name=email.acme", &rows), vec!["email.acme"]);
        assert_eq!(names("name:mail", &rows), vec!["email.acme"]);
    }

    #[test]
    fn quorum_and_4x_fields_match_only_queues_that_have_them() {
        let mut rows = sample();
        rows[1].delivery_limit = Some(3);
        rows[1].leader = Some("rabbit@b".into());
        rows[1].messages_dlx = Some(2);
        rows[2].messages_delayed = Some(0);
        assert_eq!(names("delivery_limit<5", &rows), vec!["billing.globex"]);
        // A classic queue has no limit at all: not "different from 20" either.
        assert_eq!(names("delivery_limit!=20", &rows), vec!["billing.globex"]);
        assert_eq!(
            names("-delivery_limit<5", &rows),
            vec!["billing.Acme", "email.acme"]
        );
        assert_eq!(names("messages_dlx>0", &rows), vec!["billing.globex"]);
        assert_eq!(names("messages_delayed>=0", &rows), vec!["email.acme"]);
        assert_eq!(names("leader:rabbit@b", &rows), vec!["billing.globex"]);
        assert_eq!(names("leader:rabbit@*", &rows), vec!["billing.globex"]);
        assert_eq!(names("type:stream", &rows), Vec::<&str>::new());
        assert!(parse("leader>3").is_err());
    }

    #[test]
    fn a_query_tells_whether_it_reads_figures() {
        for q in [
            "billing",
            "billing.*",
            "vhost:/ type:quorum policy:ha-*",
            "dlx:yes",
            "-x | y",
        ] {
            assert!(!parse(q).unwrap().uses_figures(), "{q}");
        }
        for q in [
            "messages>0",
            "billing consumers=0",
            "a | idle:>1h",
            "state:running",
            "-node:rabbit@a",
            "leader:x",
        ] {
            assert!(parse(q).unwrap().uses_figures(), "{q}");
        }
    }

    #[test]
    fn realm_and_worker_are_accepted_and_flagged_until_a_template_fills_them() {
        let q = parse("realm:acme worker:billing").unwrap();
        assert!(q.uses_realms());
        assert!(!q.uses_figures());
        assert!(!sample().iter().any(|r| q.matches(r, 0)));
        let mut r = row("billing.acme");
        r.realm = Some("acme".into());
        r.worker = Some("billing".into());
        assert!(q.matches(&r, 0));
    }

    #[test]
    fn errors_point_at_the_problem_and_say_what_was_expected() {
        let e = parse("messages>lots").unwrap_err();
        assert_eq!(e.position, 9);
        assert!(e.expected.contains("number"), "{e}");
        let e = parse("billing colour:red").unwrap_err();
        assert_eq!(e.position, 8);
        assert!(e.message.contains("unknown field `colour`"), "{e}");
        let e = parse("/abc(/").unwrap_err();
        assert_eq!(e.position, 0);
        assert!(e.message.contains("regular expression"), "{e}");
        let e = parse("a | ").unwrap_err();
        assert_eq!(e.position, 2);
        let e = parse("\"open").unwrap_err();
        assert!(e.message.contains("quote"), "{e}");
        let e = parse("type>3").unwrap_err();
        assert!(e.expected.contains(":"), "{e}");
        let e = parse("memory>10XB").unwrap_err();
        assert!(e.expected.contains("MB"), "{e}");
        assert_eq!(parse("idle:>1y").unwrap_err().position, 6);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn any_input_parses_or_fails_with_a_position_inside_it(input in "\\PC{0,40}") {
            match parse(&input) {
                Ok(q) => { let _ = q.matches(&QueueRow::default(), 0); }
                Err(e) => prop_assert!((e.position as usize) <= input.chars().count(), "{e} for {input:?}"),
            }
        }

        #[test]
        fn query_shaped_input_never_panics(input in r#"[-a-z_:=<>!|/*?"\\ 0-9.KMGBhms]{0,30}"#) {
            match parse(&input) {
                Ok(q) => { let _ = q.matches(&QueueRow::default(), 0); }
                Err(e) => prop_assert!((e.position as usize) <= input.chars().count(), "{e} for {input:?}"),
            }
        }
    }
}
