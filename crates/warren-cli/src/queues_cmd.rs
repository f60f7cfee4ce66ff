//! `warren queues`: list and filter the queues of an environment (table, `--json` or `--csv`).

use clap::Args;
use warren_core::broker::management::ManagementClient;
use warren_core::queues::columns::{self, Column};
use warren_core::queues::inventory::{load_inventory, InventoryOptions};
use warren_core::queues::{parse, QueueRow};
use warren_core::EnvironmentStore;

use crate::output::{self, json};

#[derive(Args)]
pub struct QueuesArgs {
    #[arg(long)]
    env: String,
    /// Only this vhost (default: the environment's default vhost, else all vhosts).
    #[arg(long)]
    vhost: Option<String>,
    /// Filter query, e.g. 'billing messages>1000 consumers=0' (see README: filter language).
    #[arg(long)]
    filter: Option<String>,
    /// FIELD or FIELD:desc, e.g. messages:desc.
    #[arg(long, default_value = "name")]
    sort: String,
    /// Comma-separated columns for the table and CSV (default: vhost,name,type,messages,ready,unacked,consumers,memory).
    #[arg(long, value_delimiter = ',')]
    columns: Vec<String>,
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    #[arg(long)]
    csv: bool,
    #[arg(long)]
    password_stdin: bool,
}

fn usage(message: String, as_json: bool) -> i32 {
    output::error(&warren_core::Error::InvalidArgument(message), as_json)
}

pub async fn run(store: &EnvironmentStore, args: QueuesArgs) -> i32 {
    let as_json = args.json;
    let query = match parse(args.filter.as_deref().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => return usage(format!("--filter {e}"), as_json),
    };
    let (sort_col, desc) = match columns::parse_sort(&args.sort) {
        Ok(s) => s,
        Err(e) => return usage(format!("--sort: {e}"), as_json),
    };
    let cols: Vec<Column> = if args.columns.is_empty() {
        columns::DEFAULT.to_vec()
    } else {
        match args.columns.iter().map(|c| c.parse()).collect::<Result<_, String>>() {
            Ok(c) => c,
            Err(e) => return usage(format!("--columns: {e}"), as_json),
        }
    };
    let (env, password) = match output::password_for_run(args.password_stdin).and_then(|p| store.with_password(&args.env, p)) {
        Ok(v) => v,
        Err(e) => return output::error(&e, as_json),
    };
    let client = match ManagementClient::new(&env, password) {
        Ok(c) => c,
        Err(e) => return output::error(&e.into(), as_json),
    };
    let opts = InventoryOptions { vhost: args.vhost.or(env.vhost.clone()), ..Default::default() };
    let inventory = match load_inventory(&client, &opts).await {
        Ok(i) => i,
        Err(e) => return output::error(&e.into(), as_json),
    };
    if inventory.partial {
        eprintln!("warning: partial inventory, pages {:?} failed: {}", inventory.failed_pages, inventory.errors.join("; "));
    }
    if query.uses_realms() && env.realm_template.is_none() {
        eprintln!("note: realm:/worker: match only queues mapped by a realm template; environment `{}` has none yet", env.id);
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let mut rows: Vec<QueueRow> = inventory.rows.into_iter().filter(|r| query.matches(r, now)).collect();
    columns::sort_rows(&mut rows, sort_col, desc);
    if as_json {
        json(&rows);
    } else if args.csv {
        println!("{}", cols.iter().map(|c| c.header()).collect::<Vec<_>>().join(","));
        for r in &rows {
            println!("{}", cols.iter().map(|c| csv_field(&c.text(r))).collect::<Vec<_>>().join(","));
        }
    } else {
        print_table(&rows, &cols);
        eprintln!("{} of {} queues", rows.len(), inventory.total);
    }
    if inventory.partial { 1 } else { 0 }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn print_table(rows: &[QueueRow], cols: &[Column]) {
    let cells: Vec<Vec<String>> = rows.iter().map(|r| cols.iter().map(|c| c.text(r)).collect()).collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| cells.iter().map(|row| row[i].chars().count()).max().unwrap_or(0).max(c.header().len()))
        .collect();
    let line = |values: Vec<String>| {
        values
            .iter()
            .zip(cols)
            .zip(&widths)
            .map(|((v, c), w)| if c.numeric() { format!("{v:>w$}") } else { format!("{v:<w$}") })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(cols.iter().map(|c| c.header().to_uppercase()).collect()));
    for row in cells {
        println!("{}", line(row));
    }
}
