//! `warren alerts`: the alerts the environments' rules opened (newest first, open ones before
//! resolved ones), from their local history stores; no broker is contacted.

use clap::Args;
use warren_core::alerts::Alert;
use warren_core::{EnvironmentStore, Session};

use crate::output::{self, Exit, Output};

#[derive(Args)]
pub struct AlertsArgs {
    /// Only this environment's alerts (default: every environment's).
    #[arg(long)]
    env: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    #[command(flatten)]
    out: Output,
}

pub async fn run(store: &EnvironmentStore, args: AlertsArgs) -> Exit {
    let session = Session::new(store.clone());
    let alerts = session.alerts_list(args.env.as_deref(), args.limit).await?;
    args.out.show(&alerts, |list: &Vec<Alert>| {
        if list.is_empty() {
            println!("no alerts (rules: `warren env edit ID --alert 'dlq_growth by=100 within=10m'`; they are evaluated on each sample)");
            return;
        }
        output::print_table(
            &["ENV", "STATE", "SINCE", "LAST", "RULE", "MESSAGE"],
            list.iter().map(|a| {
                vec![
                    a.env.clone(),
                    if a.resolved_at.is_some() { "resolved" } else { "FIRING" }.into(),
                    a.first_at.clone(),
                    a.resolved_at.clone().unwrap_or_else(|| a.last_at.clone()),
                    a.rule_id.clone(),
                    a.message.clone(),
                ]
            }),
        )
    });
    Ok(0)
}
