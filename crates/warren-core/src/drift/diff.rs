//! Two sides' normalised objects compared: what only one side has, and each field that differs,
//! with the realm and worker of each object so that the report reads per realm ("realm `acme`
//! has 12 queues in A and 11 in B: `acme.pdf-render` missing in B") before per object.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use super::normalize::{Kind, Object};

/// An object only one side has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Item {
    pub kind: Kind,
    pub vhost: String,
    pub name: String,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
}

/// One field that differs between the two sides' object of the same name (`null`: absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Change {
    pub kind: Kind,
    /// Side A's vhost (B's is the same, or the one `--vhost-b` named).
    pub vhost: String,
    pub name: String,
    pub field: String,
    #[ts(type = "unknown")]
    pub a: Value,
    #[ts(type = "unknown")]
    pub b: Value,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
}

/// A realm's drift in one line, and the queues behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RealmDrift {
    pub realm: String,
    pub queues_a: u32,
    pub queues_b: u32,
    pub queues_only_in_a: Vec<String>,
    pub queues_only_in_b: Vec<String>,
    /// Fields that differ on the realm's objects (queues, bindings, policies, exchanges).
    pub changed: u32,
    /// Bindings, exchanges and policies of the realm only one side has.
    pub others_only_in_one: u32,
    pub sentence: String,
}

/// How a side's object maps to (worker, realm), if it is partitioned.
pub type RealmOf<'a> = &'a dyn Fn(&Object) -> Option<(String, String)>;

pub struct Compared {
    pub only_in_a: Vec<Item>,
    pub only_in_b: Vec<Item>,
    pub changed: Vec<Change>,
    pub realms: Vec<RealmDrift>,
}

/// Compare `a` with `b`. `same_vhost`: objects match only within the same vhost (`false` when
/// two differently named vhosts are compared: they match by kind and name alone).
pub fn compare(
    a: &[Object],
    b: &[Object],
    same_vhost: bool,
    realm_a: RealmOf<'_>,
    realm_b: RealmOf<'_>,
    names: (&str, &str),
) -> Compared {
    let key = |o: &Object| {
        (
            o.kind,
            if same_vhost {
                o.vhost.clone()
            } else {
                String::new()
            },
            o.name.clone(),
        )
    };
    let index = |side: &[Object]| -> BTreeMap<_, usize> {
        side.iter().enumerate().map(|(i, o)| (key(o), i)).collect()
    };
    let (ia, ib) = (index(a), index(b));
    let item = |o: &Object, realm: RealmOf<'_>| {
        let r = realm(o);
        Item {
            kind: o.kind,
            vhost: o.vhost.clone(),
            name: o.name.clone(),
            worker: r.as_ref().map(|r| r.0.clone()),
            realm: r.map(|r| r.1),
        }
    };
    let only_in_a: Vec<Item> = ia
        .iter()
        .filter(|(k, _)| !ib.contains_key(*k))
        .map(|(_, i)| item(&a[*i], realm_a))
        .collect();
    let only_in_b: Vec<Item> = ib
        .iter()
        .filter(|(k, _)| !ia.contains_key(*k))
        .map(|(_, i)| item(&b[*i], realm_b))
        .collect();
    let mut changed = vec![];
    for (k, i) in &ia {
        let Some(j) = ib.get(k) else { continue };
        let (oa, ob) = (&a[*i], &b[*j]);
        let fields: BTreeSet<&String> = oa.fields.keys().chain(ob.fields.keys()).collect();
        for f in fields {
            let (va, vb) = (oa.fields.get(f), ob.fields.get(f));
            if va != vb {
                let r = realm_a(oa).or_else(|| realm_b(ob));
                changed.push(Change {
                    kind: oa.kind,
                    vhost: oa.vhost.clone(),
                    name: oa.name.clone(),
                    field: f.clone(),
                    a: va.cloned().unwrap_or(Value::Null),
                    b: vb.cloned().unwrap_or(Value::Null),
                    worker: r.as_ref().map(|r| r.0.clone()),
                    realm: r.map(|r| r.1),
                });
            }
        }
    }
    let realms = by_realm(
        a, b, realm_a, realm_b, &only_in_a, &only_in_b, &changed, names,
    );
    Compared {
        only_in_a,
        only_in_b,
        changed,
        realms,
    }
}

/// The realms with any drift, most drift first.
#[allow(clippy::too_many_arguments)]
fn by_realm(
    a: &[Object],
    b: &[Object],
    realm_a: RealmOf<'_>,
    realm_b: RealmOf<'_>,
    only_in_a: &[Item],
    only_in_b: &[Item],
    changed: &[Change],
    (name_a, name_b): (&str, &str),
) -> Vec<RealmDrift> {
    let mut realms: BTreeMap<String, RealmDrift> = BTreeMap::new();
    let mut count = |side: &[Object], realm: RealmOf<'_>, on_a: bool| {
        for o in side.iter().filter(|o| o.kind == Kind::Queue) {
            if let Some((_, r)) = realm(o) {
                let d = realms.entry(r.clone()).or_insert_with(|| empty(&r));
                if on_a {
                    d.queues_a += 1
                } else {
                    d.queues_b += 1
                }
            }
        }
    };
    count(a, realm_a, true);
    count(b, realm_b, false);
    for (items, on_a) in [(only_in_a, true), (only_in_b, false)] {
        for i in items {
            let Some(r) = &i.realm else { continue };
            let d = realms.entry(r.clone()).or_insert_with(|| empty(r));
            match (i.kind, on_a) {
                (Kind::Queue, true) => d.queues_only_in_a.push(i.name.clone()),
                (Kind::Queue, false) => d.queues_only_in_b.push(i.name.clone()),
                _ => d.others_only_in_one += 1,
            }
        }
    }
    for c in changed {
        if let Some(r) = &c.realm {
            realms.entry(r.clone()).or_insert_with(|| empty(r)).changed += 1;
        }
    }
    let mut out: Vec<RealmDrift> = realms
        .into_values()
        .filter(|d| {
            !d.queues_only_in_a.is_empty()
                || !d.queues_only_in_b.is_empty()
                || d.changed > 0
                || d.others_only_in_one > 0
        })
        .map(|mut d| {
            d.sentence = sentence(&d, name_a, name_b);
            d
        })
        .collect();
    out.sort_by_key(|d| {
        std::cmp::Reverse(
            d.queues_only_in_a.len()
                + d.queues_only_in_b.len()
                + d.changed as usize
                + d.others_only_in_one as usize,
        )
    });
    out
}

fn empty(realm: &str) -> RealmDrift {
    RealmDrift {
        realm: realm.to_string(),
        queues_a: 0,
        queues_b: 0,
        queues_only_in_a: vec![],
        queues_only_in_b: vec![],
        changed: 0,
        others_only_in_one: 0,
        sentence: String::new(),
    }
}

/// "realm `acme` has 12 queues in prod and 11 in staging: `acme.pdf-render` missing in staging"
fn sentence(d: &RealmDrift, a: &str, b: &str) -> String {
    let list = |names: &[String]| {
        let shown: Vec<String> = names.iter().take(3).map(|n| format!("`{n}`")).collect();
        let more = names.len().saturating_sub(3);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    let mut parts = vec![];
    if !d.queues_only_in_a.is_empty() {
        parts.push(format!("{} missing in {b}", list(&d.queues_only_in_a)));
    }
    if !d.queues_only_in_b.is_empty() {
        parts.push(format!("{} missing in {a}", list(&d.queues_only_in_b)));
    }
    if d.changed > 0 {
        parts.push(format!(
            "{} setting{} differ{}",
            d.changed,
            if d.changed == 1 { "" } else { "s" },
            if d.changed == 1 { "s" } else { "" }
        ));
    }
    if d.others_only_in_one > 0 {
        parts.push(format!(
            "{} binding{}, exchange{} or polic{} on one side only",
            d.others_only_in_one,
            "s".repeat((d.others_only_in_one != 1) as usize),
            "s".repeat((d.others_only_in_one != 1) as usize),
            if d.others_only_in_one != 1 {
                "ies"
            } else {
                "y"
            }
        ));
    }
    format!(
        "realm `{}` has {} queue{} in {a} and {} in {b}: {}",
        d.realm,
        d.queues_a,
        if d.queues_a == 1 { "" } else { "s" },
        d.queues_b,
        parts.join("; ")
    )
}
