//! One side's objects, read from the management API listings (any user who can see the vhosts
//! may read them; `GET /api/definitions` would need the `administrator` tag). What the export
//! skips is skipped here too: exclusive queues, the default and `amq.*` exchanges, the default
//! exchange's bindings.

use serde_json::Value;

use super::normalize::{self, Kind, Object};
use crate::broker::management::ManagementClient;
use crate::broker::{BrokerError, BrokerErrorKind};
use crate::queues::inventory::{queue_count, widened_for};

const QUEUE_COLUMNS: &str = "name,vhost,type,durable,auto_delete,exclusive,arguments";
const EXCHANGE_COLUMNS: &str = "name,vhost,type,durable,auto_delete,internal,arguments";

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

/// Every queue of the vhost (or all) in one listing of the needed columns, given the time a
/// listing of the broker's queue count takes. Not in pages: each page costs the broker a sort
/// of the whole vhost (at 50,000 queues on 4.3 one page took 18 s, past a request's limit).
async fn queues(client: &ManagementClient, vhost: Option<&str>) -> Result<Vec<Value>, BrokerError> {
    let widened = widened_for(client, queue_count(client).await.unwrap_or(0))?;
    let client = widened.as_ref().unwrap_or(client);
    let (queues, _) = client
        .get_json::<Vec<Value>>(&format!(
            "{}?columns={QUEUE_COLUMNS}",
            path("queues", vhost)
        ))
        .await?;
    Ok(queues)
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
