//! Realm partitions: the environment's template maps each queue to (worker, realm)
//! (`template.rs`), a template can be suggested from the inventory (`suggest.rs`), and the
//! inventory summed per realm, worker and cell (`aggregate.rs`).

pub mod aggregate;
pub mod suggest;
pub mod template;

pub use aggregate::{rank, summarize, Metric, RealmSummary, Totals};
pub use suggest::{suggest, Suggestion};
pub use template::{RealmTemplate, TemplateError};

use crate::queues::{Inventory, QueueRow};

/// The template an environment uses: its own, or (unset or `auto`) the suggestion from `rows`.
/// `None` when it has none and nothing in the inventory looks partitioned.
pub fn resolve(
    configured: Option<&str>,
    rows: &[QueueRow],
) -> Result<Option<RealmTemplate>, TemplateError> {
    match configured
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case(template::AUTO))
    {
        Some(t) => RealmTemplate::parse(t).map(Some),
        None => {
            let names: Vec<(&str, &str)> = rows
                .iter()
                .map(|r| (r.vhost.as_str(), r.name.as_str()))
                .collect();
            Ok(suggest(&names).and_then(|s| RealmTemplate::parse(&s.template).ok()))
        }
    }
}

/// Map every queue of `inventory` to (worker, realm) with the environment's template (or the
/// suggestion) and record which template that was.
pub fn map_inventory(
    configured: Option<&str>,
    inventory: &mut Inventory,
) -> Result<(), TemplateError> {
    let template = resolve(configured, &inventory.rows).map_err(|e| {
        TemplateError(format!("the environment's realm template `{}` is not usable: {e}; fix it with `warren env edit ID --realm-template …` or in the environment's settings", configured.unwrap_or_default()))
    })?;
    if let Some(t) = &template {
        t.apply(&mut inventory.rows);
    }
    inventory.realm_template = template.map(|t| t.source().to_string());
    Ok(())
}
