//! `warren diff`: the drift between two environments (or two vhosts of one), from their
//! queues, exchanges, bindings, policies, operator policies and vhost limits, normalised so
//! that order and defaults do not count; counts and rates are not drift. Read-only. Exit
//! status 1 when they differ, so a CI step can guard staging against prod.

use clap::Args;
use warren_core::drift::DriftReport;
use warren_core::{EnvironmentStore, Session};

use crate::output::{self, Exit, Output};

#[derive(Args)]
pub struct DiffArgs {
    /// The two environments: `--env A --env B` (once, with --vhost-a and --vhost-b, to compare
    /// two vhosts of one environment).
    #[arg(long = "env", value_name = "ID", required = true, num_args = 1)]
    envs: Vec<String>,
    /// The same vhost on both sides (default: every vhost the users can see).
    #[arg(long, conflicts_with_all = ["vhost_a", "vhost_b"])]
    vhost: Option<String>,
    /// Side A's vhost.
    #[arg(long, requires = "vhost_b")]
    vhost_a: Option<String>,
    /// Side B's vhost.
    #[arg(long, requires = "vhost_a")]
    vhost_b: Option<String>,
    /// Print CSV (one line per difference) instead of the report.
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    #[command(flatten)]
    out: Output,
}

pub async fn run(store: &EnvironmentStore, args: DiffArgs) -> Exit {
    let (a, b) = match args.envs.as_slice() {
        [a, b] => (a.clone(), b.clone()),
        [a] if args.vhost_a.is_some() => (a.clone(), a.clone()),
        _ => return Err(output::usage(
            "give two environments (`--env A --env B`), or one with `--vhost-a VA --vhost-b VB`"
                .to_string(),
        )),
    };
    let (va, vb) = match (&args.vhost, &args.vhost_a, &args.vhost_b) {
        (Some(v), _, _) => (Some(v.clone()), Some(v.clone())),
        (None, a, b) => (a.clone(), b.clone()),
    };
    let session = Session::with_password(store.clone(), output::password_for_run(false)?);
    let report = session.drift(&a, va, &b, vb).await?;
    if args.csv {
        print!("{}", warren_core::drift::to_csv(&report));
    } else {
        args.out.show(&report, print);
    }
    Ok(if report.differs() { output::FAILED } else { 0 })
}

fn side(s: &warren_core::drift::SideName) -> String {
    match &s.vhost {
        Some(v) => format!("{} (vhost {v})", s.env),
        None => s.env.clone(),
    }
}

fn print(r: &DriftReport) {
    let (a, b) = (side(&r.a), side(&r.b));
    if !r.differs() {
        println!("{a} and {b} have the same topology");
    }
    for d in &r.realms {
        println!("{}", d.sentence);
    }
    if !r.realms.is_empty() {
        println!();
    }
    if !r.only_in_a.is_empty() || !r.only_in_b.is_empty() {
        output::print_table(
            &["ONLY IN", "KIND", "VHOST", "NAME", "REALM"],
            [(&a, &r.only_in_a), (&b, &r.only_in_b)]
                .into_iter()
                .flat_map(|(side, items)| {
                    items.iter().map(move |i| {
                        vec![
                            side.clone(),
                            i.kind.as_str().into(),
                            i.vhost.clone(),
                            i.name.clone(),
                            i.realm.clone().unwrap_or_default(),
                        ]
                    })
                }),
        );
        println!();
    }
    if !r.changed.is_empty() {
        output::print_table(
            &["KIND", "VHOST", "NAME", "FIELD", "A", "B"],
            r.changed.iter().map(|c| {
                vec![
                    c.kind.as_str().into(),
                    c.vhost.clone(),
                    c.name.clone(),
                    c.field.clone(),
                    c.a.to_string(),
                    c.b.to_string(),
                ]
            }),
        );
    }
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
}
