//! One side's objects, read from the management API listings (any user who can see the vhosts
//! may read them; `GET /api/definitions` would need the `administrator` tag). What the export
//! skips is skipped here too: exclusive queues, the default and `amq.*` exchanges, the default
//! exchange's bindings.

use serde::Deserialize;
use serde_json::Value;

use super::normalize::{self, Kind, Object};
use crate::broker::management::ManagementClient;
use crate::broker::{BrokerError, BrokerErrorKind};

const QUEUE_COLUMNS: &str = "name,vhost,type,durable,auto_delete,exclusive,arguments";
const EXCHANGE_COLUMNS: &str = "name,vhost,type,durable,auto_delete,internal,arguments";
const PAGE_SIZE: u32 = 500;

/// What one side holds, and what could not be read (a kind the user may not list).
pub struct Side {
    pub objects: Vec<Object>,
    pub warnings: Vec<String>,
}

fn path(resource: &str, vhost: Option<&str>) -> String {
    match vhost {
        Some(v) => format!(
            "{resource}/{}",
            percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
        ),
        None => resource.to_string(),
    }
}

#[derive(Deserialize)]
struct Page {
    items: Vec<Value>,
    #[serde(default)]
    page_count: u32,
}

/// Every queue of the vhost (or all), a page of 500 at a time (a listing of 50,000 queues in
/// one answer would outlast a request's time limit).
async fn queues(client: &ManagementClient, vhost: Option<&str>) -> Result<Vec<Value>, BrokerError> {
    let mut out = vec![];
    let mut page = 1;
    loop {
        let (p, _): (Page, _) = client
            .get_json(&format!(
                "{}?page={page}&page_size={PAGE_SIZE}&columns={QUEUE_COLUMNS}",
                path("queues", vhost)
            ))
            .await?;
        out.extend(p.items);
        if page >= p.page_count {
            return Ok(out);
        }
        page += 1;
    }
}

/// Read the vhost's (or every visible vhost's) queues, exchanges, bindings, policies, operator
/// policies and limits. Queues, exchanges and bindings must be readable; the rest is reported in
/// `warnings` when refused. Needs the `management` tag (`monitoring` for every vhost).
/// Does not modify state.
pub async fn side(client: &ManagementClient, vhost: Option<&str>) -> Result<Side, BrokerError> {
    let paths = [
        format!("{}?columns={EXCHANGE_COLUMNS}", path("exchanges", vhost)),
        path("bindings", vhost),
        path("policies", vhost),
        path("operator-policies", vhost),
        path("vhost-limits", vhost),
    ];
    let list = |i: usize| client.get_json::<Vec<Value>>(&paths[i]);
    let (qs, xs, bs, ps, ops, limits) = tokio::join!(
        queues(client, vhost),
        list(0),
        list(1),
        list(2),
        list(3),
        list(4)
    );
    let mut objects = normalize::all(&qs?, normalize::queue);
    objects.extend(normalize::all(&xs?.0, normalize::exchange));
    objects.extend(normalize::all(&bs?.0, normalize::binding));
    let mut warnings = vec![];
    let mut optional = |r: Result<(Vec<Value>, _), BrokerError>,
                        what: &str,
                        f: &dyn Fn(&Value) -> Object| match r {
        Ok((items, _)) => objects.extend(items.iter().map(f)),
        Err(e) if e.kind == BrokerErrorKind::NotFound => {}
        Err(e) => warnings.push(format!("{what} not compared: {}", e.message)),
    };
    optional(ps, "policies", &|p| normalize::policy(p, Kind::Policy));
    optional(ops, "operator policies", &|p| {
        normalize::policy(p, Kind::OperatorPolicy)
    });
    optional(limits, "vhost limits", &normalize::vhost_limits);
    Ok(Side { objects, warnings })
}
