//! A column-wise copy of an inventory, built once per refresh, so that a filter over tens of
//! thousands of queues runs within a keystroke: names sit in one contiguous buffer (a substring
//! is one SIMD scan over it, not one search per row), numbers in plain arrays, and text fields
//! with few distinct values (vhost, type, state, node, policy, realm, worker) as ids into a
//! dictionary, so a predicate on them is evaluated once per distinct value.
//!
//! `Query::select` gives exactly the rows `Query::matches` accepts (see the property test);
//! `matches` stays for one-off checks on single rows.

use std::collections::HashMap;

use memchr::memmem;

use super::columns::Column;
use super::filter::{Predicate, Query, StrField, Term, TextMatch};
use super::row::QueueRow;

/// Text of every row, end to end; row `i` is `bytes[start(i)..ends[i]]`.
struct TextColumn {
    bytes: String,
    ends: Vec<u32>,
}

impl TextColumn {
    fn new<'a>(values: impl Iterator<Item = &'a str>) -> TextColumn {
        let mut col = TextColumn {
            bytes: String::new(),
            ends: Vec::new(),
        };
        for v in values {
            col.bytes.push_str(v);
            col.ends.push(col.bytes.len() as u32);
        }
        col
    }

    fn start(&self, row: usize) -> usize {
        if row == 0 {
            0
        } else {
            self.ends[row - 1] as usize
        }
    }

    fn get(&self, row: usize) -> &str {
        &self.bytes[self.start(row)..self.ends[row] as usize]
    }

    /// Rows whose text contains `needle`: one scan over the whole buffer. After a hit inside a
    /// row the scan jumps to the next row; a hit that straddles two rows is no hit, and the scan
    /// goes on one byte later so it cannot hide a real one.
    fn containing(&self, needle: &str) -> Bits {
        let mut bits = Bits::new(self.ends.len(), needle.is_empty());
        if needle.is_empty() {
            return bits;
        }
        let finder = memmem::Finder::new(needle.as_bytes());
        let hay = self.bytes.as_bytes();
        let (mut pos, mut row) = (0usize, 0usize);
        while let Some(off) = finder.find(&hay[pos..]) {
            let at = pos + off;
            row += self.ends[row..].partition_point(|&end| end as usize <= at);
            let end = self.ends[row] as usize;
            if at + needle.len() <= end {
                bits.set(row);
                pos = end;
                row += 1;
                if row == self.ends.len() {
                    break;
                }
            } else {
                pos = at + 1;
            }
        }
        bits
    }
}

/// A text field with few distinct values: the values once, and each row's id into them.
struct Dictionary {
    values: Vec<Option<String>>,
    ids: Vec<u32>,
}

impl Dictionary {
    fn new<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Dictionary {
        let mut seen: HashMap<Option<&str>, u32> = HashMap::new();
        let mut dict = Dictionary {
            values: Vec::new(),
            ids: Vec::new(),
        };
        for v in values {
            let id = *seen.entry(v).or_insert_with(|| {
                dict.values.push(v.map(str::to_string));
                dict.values.len() as u32 - 1
            });
            dict.ids.push(id);
        }
        dict
    }
}

/// The numeric columns the index keeps, in this order (the realm sums read them the same way).
pub(crate) const NUMERIC: [Column; 7] = [
    Column::Messages,
    Column::Ready,
    Column::Unacked,
    Column::Consumers,
    Column::Memory,
    Column::PublishRate,
    Column::DeliverRate,
];
/// Numeric columns only the filter reads (some queues lack them: NaN there).
const FILTER_ONLY_NUMERIC: [Column; 3] =
    [Column::DeliveryLimit, Column::Delayed, Column::DlxInFlight];
const DICTIONARY_FIELDS: [StrField; 8] = [
    StrField::Vhost,
    StrField::Type,
    StrField::State,
    StrField::Node,
    StrField::Policy,
    StrField::Realm,
    StrField::Worker,
    StrField::Leader,
];

pub struct RowIndex {
    len: usize,
    names: TextColumn,
    names_lower: TextColumn,
    numbers: Vec<Vec<f64>>,
    dictionaries: Vec<Dictionary>,
    has_dlx: Vec<bool>,
    idle_since: Vec<Option<i64>>,
}

fn dictionary_value(row: &QueueRow, field: StrField) -> Option<&str> {
    match field {
        StrField::Vhost => Some(&row.vhost),
        StrField::Name => Some(&row.name),
        StrField::Type => Some(&row.queue_type),
        StrField::State => Some(&row.state),
        StrField::Node => Some(&row.node),
        StrField::Policy => row.policy.as_deref(),
        StrField::Realm => row.realm.as_deref(),
        StrField::Worker => row.worker.as_deref(),
        StrField::Leader => row.leader.as_deref(),
    }
}

impl RowIndex {
    pub fn new(rows: &[QueueRow]) -> RowIndex {
        RowIndex {
            len: rows.len(),
            names: TextColumn::new(rows.iter().map(|r| r.name.as_str())),
            names_lower: TextColumn::new(rows.iter().map(|r| r.name_lower())),
            numbers: NUMERIC
                .iter()
                .chain(&FILTER_ONLY_NUMERIC)
                .map(|c| rows.iter().map(|r| c.number(r)).collect())
                .collect(),
            dictionaries: DICTIONARY_FIELDS
                .iter()
                .map(|f| Dictionary::new(rows.iter().map(|r| dictionary_value(r, *f))))
                .collect(),
            has_dlx: rows
                .iter()
                .map(|r| r.dead_letter_exchange.is_some())
                .collect(),
            idle_since: rows.iter().map(|r| r.idle_since).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A numeric column, row by row (the filter and the realm sums read it).
    pub(crate) fn numbers(&self, column: Column) -> &[f64] {
        let at = NUMERIC
            .iter()
            .chain(&FILTER_ONLY_NUMERIC)
            .position(|c| *c == column)
            .expect("the parser only builds numeric predicates on numeric columns");
        &self.numbers[at]
    }

    /// The distinct realms (`None`: unpartitioned) and each row's index into them.
    pub(crate) fn realm_keys(&self) -> (&[Option<String>], &[u32]) {
        let d = self.dictionary(StrField::Realm);
        (&d.values, &d.ids)
    }

    /// The distinct vhosts and each row's index into them.
    pub(crate) fn vhost_keys(&self) -> (&[Option<String>], &[u32]) {
        let d = self.dictionary(StrField::Vhost);
        (&d.values, &d.ids)
    }

    /// The distinct workers and each row's index into them.
    pub(crate) fn worker_keys(&self) -> (&[Option<String>], &[u32]) {
        let d = self.dictionary(StrField::Worker);
        (&d.values, &d.ids)
    }

    fn dictionary(&self, field: StrField) -> &Dictionary {
        &self.dictionaries[DICTIONARY_FIELDS
            .iter()
            .position(|f| *f == field)
            .expect("name is not a dictionary field")]
    }
}

/// One bit per row.
struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    fn new(len: usize, all: bool) -> Bits {
        let mut words = vec![if all { u64::MAX } else { 0 }; len.div_ceil(64)];
        if all && !len.is_multiple_of(64) {
            *words.last_mut().unwrap() = (1u64 << (len % 64)) - 1;
        }
        Bits { words, len }
    }

    fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    fn none(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// Keep the set rows for which `keep` holds.
    fn retain(&mut self, mut keep: impl FnMut(usize) -> bool) {
        for (w, word) in self.words.iter_mut().enumerate() {
            let mut rest = *word;
            while rest != 0 {
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                if !keep(w * 64 + bit) {
                    *word &= !(1 << bit);
                }
            }
        }
    }

    /// `self &= other`, or `self &= !other` when `negate`.
    fn and(&mut self, other: &Bits, negate: bool) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= if negate { !*b } else { *b };
        }
    }

    fn or(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= *b;
        }
    }

    fn indices(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for (w, word) in self.words.iter().enumerate() {
            let mut rest = *word;
            while rest != 0 {
                out.push((w * 64) as u32 + rest.trailing_zeros());
                rest &= rest - 1;
            }
        }
        debug_assert!(out.last().is_none_or(|i| (*i as usize) < self.len));
        out
    }
}

impl Query {
    /// The indices (ascending) of the indexed rows that match; `now`: Unix seconds for `idle:`.
    pub fn select(&self, index: &RowIndex, now: i64) -> Vec<u32> {
        if self.groups.is_empty() {
            return (0..index.len as u32).collect();
        }
        let mut any = Bits::new(index.len, false);
        for group in &self.groups {
            let mut rows = Bits::new(index.len, true);
            for term in group {
                narrow(term, index, &mut rows, now);
                if rows.none() {
                    break;
                }
            }
            any.or(&rows);
        }
        any.indices()
    }
}

/// Clear the rows of `rows` that `term` rejects.
fn narrow(term: &Term, index: &RowIndex, rows: &mut Bits, now: i64) {
    let negated = term.negated;
    match &term.predicate {
        Predicate::Name(TextMatch::Contains(s)) => {
            rows.and(&index.names_lower.containing(s), negated)
        }
        Predicate::Str {
            field: StrField::Name,
            matcher: TextMatch::Contains(s),
            negate_eq,
        } => rows.and(&index.names_lower.containing(s), negated != *negate_eq),
        Predicate::Name(matcher) => rows.retain(|i| {
            matcher.test(index.names.get(i), Some(index.names_lower.get(i))) != negated
        }),
        Predicate::Str {
            field: StrField::Name,
            matcher,
            negate_eq,
        } => rows.retain(|i| {
            matcher.test(index.names.get(i), Some(index.names_lower.get(i)))
                != (negated != *negate_eq)
        }),
        Predicate::Str {
            field,
            matcher,
            negate_eq,
        } => {
            let dict = index.dictionary(*field);
            let accepted: Vec<bool> = dict
                .values
                .iter()
                .map(|v| v.as_deref().is_some_and(|v| matcher.test(v, None)) != *negate_eq)
                .collect();
            rows.retain(|i| accepted[dict.ids[i] as usize] != negated)
        }
        Predicate::Num { field, cmp, value } => {
            let column = index.numbers(*field);
            rows.retain(|i| cmp.holds(column[i], *value) != negated)
        }
        Predicate::Dlx(want) => rows.retain(|i| (index.has_dlx[i] == *want) != negated),
        Predicate::Idle { cmp, seconds } => rows.retain(|i| {
            let idle = index.idle_since[i]
                .map(|t| (now - t).max(0) as f64)
                .unwrap_or(0.0);
            cmp.holds(idle, *seconds) != negated
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queues::parse;
    use proptest::prelude::*;

    fn row(name: &str, vhost: &str, messages: u64, policy: Option<&str>) -> QueueRow {
        let mut r = QueueRow::named(vhost, name);
        r.messages = messages;
        r.policy = policy.map(str::to_string);
        r
    }

    #[test]
    fn substring_hits_never_straddle_two_names() {
        let col = TextColumn::new(["ab", "", "cab", "c"].into_iter());
        assert_eq!(col.containing("bc").indices(), Vec::<u32>::new());
        assert_eq!(col.containing("ab").indices(), vec![0, 2]);
        assert_eq!(col.containing("c").indices(), vec![2, 3]);
        assert_eq!(col.containing("").indices(), vec![0, 1, 2, 3]);
        // "aba|ba": the straddling "ab" at offset 2 must not hide the "ba" of the next row.
        let col = TextColumn::new(["aba", "ba"].into_iter());
        assert_eq!(col.containing("ba").indices(), vec![0, 1]);
        assert_eq!(col.containing("aab").indices(), Vec::<u32>::new());
    }

    #[test]
    fn bits_keep_their_length_exact() {
        let b = Bits::new(65, true);
        assert_eq!(b.indices().len(), 65);
        assert_eq!(Bits::new(64, true).indices().len(), 64);
        assert!(Bits::new(0, true).none());
    }

    #[test]
    fn select_agrees_with_matches_on_a_sample() {
        let rows = vec![
            row("billing.acme", "/", 5000, Some("ha-all")),
            row("Billing.Globex", "prod", 0, None),
            row("email.acme", "prod", 12, None),
            row("ab", "/", 1, None),
        ];
        let index = RowIndex::new(&rows);
        for q in [
            "",
            "billing",
            "-billing",
            "acme | ab",
            "messages>100 vhost:/",
            "policy:ha-*",
            "-policy:ha-*",
            "name=billing.globex",
            "/^B/",
            "/^b/i bill*",
        ] {
            let query = parse(q).unwrap();
            let expected: Vec<u32> = (0..rows.len() as u32)
                .filter(|i| query.matches(&rows[*i as usize], 0))
                .collect();
            assert_eq!(query.select(&index, 0), expected, "query {q:?}");
        }
    }

    const NAMES: &[&str] = &[
        "billing.acme",
        "billing.globex",
        "email.acme",
        "Email.Initech",
        "ab",
        "b",
        "",
        "payments.worker.realm-1",
        "é.acme",
    ];

    fn any_row() -> impl Strategy<Value = QueueRow> {
        (
            0..NAMES.len(),
            0..3usize,
            0u64..3000,
            0u64..3,
            proptest::option::of("ha|dlq"),
            any::<bool>(),
            proptest::option::of(0u64..30),
            proptest::option::of("rabbit@a|rabbit@b"),
        )
            .prop_map(|(n, v, messages, consumers, policy, dlx, limit, leader)| {
                let mut r = row(
                    NAMES[n],
                    ["/", "prod", "dev"][v],
                    messages,
                    policy.as_deref(),
                );
                r.consumers = consumers;
                r.dead_letter_exchange = dlx.then(|| "dlx".into());
                r.delivery_limit = limit;
                r.messages_dlx = limit.map(|l| l % 3);
                r.leader = leader;
                r
            })
    }

    const TERMS: &[&str] = &[
        "acme",
        "b",
        "ab",
        "a.",
        "Em",
        "vhost:prod",
        "vhost!=dev",
        "policy:ha",
        "policy:*",
        "messages>1000",
        "consumers=0",
        "dlx:yes",
        "/^b/",
        "/ME/i",
        "bill*",
        "name:acme",
        "name=ab",
        "é",
        "delivery_limit<5",
        "delivery_limit!=20",
        "messages_dlx>0",
        "leader:rabbit@a",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// The index is an optimisation only: it must select exactly what `matches` accepts.
        #[test]
        fn select_is_matches(rows in proptest::collection::vec(any_row(), 0..150),
                             terms in proptest::collection::vec((any::<bool>(), proptest::sample::select(TERMS), any::<bool>()), 1..5)) {
            let mut query = String::new();
            for (negate, term, or) in terms {
                query.push_str(&format!("{}{term} {}", if negate { "-" } else { "" }, if or { "| " } else { "" }));
            }
            let q = parse(query.trim_end_matches(['|', ' '])).unwrap();
            let index = RowIndex::new(&rows);
            let expected: Vec<u32> = (0..rows.len() as u32).filter(|i| q.matches(&rows[*i as usize], 0)).collect();
            prop_assert_eq!(q.select(&index, 0), expected, "query {}", query);
        }
    }
}
