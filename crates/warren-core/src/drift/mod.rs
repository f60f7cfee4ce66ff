//! Drift between two environments (or two vhosts): their queues, exchanges, bindings, policies,
//! operator policies and vhost limits compared after normalisation (order and defaults do not
//! count, counts and rates are not drift), reported per object and per realm. Read-only.
//!
//! `fetch` reads one side, `normalize` turns the broker's JSON into comparable objects, `diff`
//! compares them.

pub mod diff;
pub mod fetch;
pub mod normalize;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use diff::{Change, Item, RealmDrift};
pub use normalize::{Kind, Object};

use crate::broker::management::ManagementClient;
use crate::environment::Environment;
use crate::error::Result;
use crate::realms::policy::PREFIX;
use crate::template::{resolve, Exclusions, RealmTemplate};

/// Which environment and vhost a side is.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SideName {
    pub env: String,
    /// `None`: every vhost the user can see.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vhost: Option<String>,
}

/// `warren diff --json`: what only A has, what only B has, each field that differs, and the
/// realms with drift.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DriftReport {
    pub a: SideName,
    pub b: SideName,
    pub only_in_a: Vec<Item>,
    pub only_in_b: Vec<Item>,
    pub changed: Vec<Change>,
    pub realms: Vec<RealmDrift>,
    /// What could not be compared (a kind the user may not list).
    pub warnings: Vec<String>,
}

impl DriftReport {
    pub fn differs(&self) -> bool {
        !(self.only_in_a.is_empty() && self.only_in_b.is_empty() && self.changed.is_empty())
    }
}

/// One side to compare: the environment, its password and the vhost (`None`: all).
pub struct SideSpec {
    pub env: Environment,
    pub password: SecretString,
    pub vhost: Option<String>,
}

/// Read both sides concurrently and compare them. Needs the `management` tag on both
/// (`monitoring` to see every vhost). Does not modify state.
pub async fn drift(a: SideSpec, b: SideSpec) -> Result<DriftReport> {
    let (ca, cb) = (
        ManagementClient::new(&a.env, a.password.clone())?,
        ManagementClient::new(&b.env, b.password.clone())?,
    );
    let (sa, sb) = tokio::join!(
        fetch::side(&ca, a.vhost.as_deref()),
        fetch::side(&cb, b.vhost.as_deref())
    );
    // Say which side failed: both may be the same broker, or two look alike.
    let side = |e: crate::broker::BrokerError, which: &str, s: &SideSpec| {
        crate::broker::BrokerError::new(
            e.kind,
            format!("side {which} (`{}`): {}", s.env.id, e.message),
        )
    };
    let (sa, sb) = (
        sa.map_err(|e| side(e, "A", &a))?,
        sb.map_err(|e| side(e, "B", &b))?,
    );
    let (ta, tb) = (
        template_for(&a.env, &sa.objects)?,
        template_for(&b.env, &sb.objects)?,
    );
    let (xa, xb) = (
        Exclusions::lenient(&a.env.realm_exclude),
        Exclusions::lenient(&b.env.realm_exclude),
    );
    let realm_a = |o: &Object| realm_of(ta.as_ref(), &xa, o);
    let realm_b = |o: &Object| realm_of(tb.as_ref(), &xb, o);
    let name = |s: &SideSpec| match (&s.vhost, a.env.id == b.env.id) {
        (Some(v), true) => format!("{}/{v}", s.env.id),
        _ => s.env.id.clone(),
    };
    let (name_a, name_b) = (name(&a), name(&b));
    let same_vhost = a.vhost == b.vhost;
    let compared = diff::compare(
        &sa.objects,
        &sb.objects,
        same_vhost,
        &realm_a,
        &realm_b,
        (&name_a, &name_b),
    );
    let mut warnings = sa.warnings;
    warnings.extend(sb.warnings);
    Ok(DriftReport {
        a: SideName {
            env: a.env.id.clone(),
            vhost: a.vhost.clone(),
        },
        b: SideName {
            env: b.env.id.clone(),
            vhost: b.vhost.clone(),
        },
        only_in_a: compared.only_in_a,
        only_in_b: compared.only_in_b,
        changed: compared.changed,
        realms: compared.realms,
        warnings,
    })
}

/// The side's realm template: the environment's, or the one suggested from its queue names.
fn template_for(env: &Environment, objects: &[Object]) -> Result<Option<RealmTemplate>> {
    let (template, _) = resolve(
        env.realm_template.as_deref(),
        &Exclusions::lenient(&env.realm_exclude),
        objects
            .iter()
            .filter(|o| o.kind == Kind::Queue)
            .map(|o| (o.vhost.as_str(), o.name.as_str())),
    )
    .map_err(|e| {
        crate::Error::InvalidArgument(format!(
            "the realm template of `{}` is not usable: {e}",
            env.id
        ))
    })?;
    Ok(template)
}

/// (worker, realm) of an object: a queue's and an exchange's own name, a binding's queue (or
/// source exchange), a realm policy's name (`warren-realm-<realm>[-worker-<worker>]`).
/// Names the environment excludes from realms stay unpartitioned.
fn realm_of(
    template: Option<&RealmTemplate>,
    exclude: &Exclusions,
    o: &Object,
) -> Option<(String, String)> {
    let mapped = |name: &str| {
        (!exclude.excludes(name))
            .then(|| template?.map(&o.vhost, name))
            .flatten()
            .map(|(w, r)| (w.to_string(), r.to_string()))
    };
    match o.kind {
        Kind::Queue | Kind::Exchange => mapped(&o.name),
        Kind::Binding => mapped(o.refers_to.as_deref()?),
        Kind::Policy => {
            let rest = o.name.strip_prefix(PREFIX)?;
            Some(match rest.split_once("-worker-") {
                Some((realm, worker)) => (worker.to_string(), realm.to_string()),
                None => (String::new(), rest.to_string()),
            })
        }
        Kind::OperatorPolicy | Kind::VhostLimits => None,
    }
}

/// The report as CSV: one line per difference (`difference,kind,vhost,name,field,a,b,realm,worker`).
pub fn to_csv(report: &DriftReport) -> String {
    let cell = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = String::from("difference,kind,vhost,name,field,a,b,realm,worker\n");
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    for (what, items) in [
        ("only_in_a", &report.only_in_a),
        ("only_in_b", &report.only_in_b),
    ] {
        for i in items {
            let row = [
                what,
                i.kind.as_str(),
                &i.vhost,
                &i.name,
                "",
                "",
                "",
                &opt(&i.realm),
                &opt(&i.worker),
            ];
            out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
    }
    for c in &report.changed {
        let (a, b) = (c.a.to_string(), c.b.to_string());
        let row = [
            "changed",
            c.kind.as_str(),
            &c.vhost,
            &c.name,
            &c.field,
            &a,
            &b,
            &opt(&c.realm),
            &opt(&c.worker),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}
