//! `warren audit list|verify|export`: the local audit log of every mutating action, its hash
//! chain checked, and a copy for whoever asks.

use clap::{Args, Subcommand};
use warren_core::audit::{AuditLog, AuditRecord};

use crate::output::{self, json};

#[derive(Subcommand)]
pub enum AuditCommand {
    /// The records, oldest first (filters: --env, --action prefix, --since).
    List(ListArgs),
    /// Check the hash chain: a record edited, removed or reordered is reported with its line.
    Verify(VerifyArgs),
    /// Copy the log (as it is, with its chain) to a file.
    Export(ExportArgs),
}

#[derive(Args)]
pub struct ListArgs {
    /// Only this environment's records.
    #[arg(long)]
    env: Option<String>,
    /// Only actions starting with this, e.g. `dlq` or `queues.purge`.
    #[arg(long)]
    action: Option<String>,
    /// Only records at or after this time (RFC 3339 prefix, e.g. 2026-11-26 or 2026-11-26T10).
    #[arg(long)]
    since: Option<String>,
    /// Only the last N records.
    #[arg(long)]
    last: Option<usize>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct VerifyArgs {
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ExportArgs {
    #[arg(long)]
    out: std::path::PathBuf,
}

/// Keep the records the filters allow (times compare as RFC 3339 text, which sorts by time).
pub fn filter(
    records: Vec<AuditRecord>,
    env: Option<&str>,
    action: Option<&str>,
    since: Option<&str>,
) -> Vec<AuditRecord> {
    records
        .into_iter()
        .filter(|r| env.is_none_or(|e| r.environment == e))
        .filter(|r| action.is_none_or(|a| r.action.starts_with(a)))
        .filter(|r| since.is_none_or(|s| r.time.as_str() >= s))
        .collect()
}

pub fn run(cmd: AuditCommand) -> i32 {
    let log = AuditLog::open_default();
    match cmd {
        AuditCommand::List(a) => match log.read() {
            Ok(all) => {
                let mut records = filter(
                    all,
                    a.env.as_deref(),
                    a.action.as_deref(),
                    a.since.as_deref(),
                );
                if let Some(n) = a.last {
                    let skip = records.len().saturating_sub(n);
                    records.drain(..skip);
                }
                if a.json {
                    json(&records);
                } else {
                    for r in &records {
                        println!(
                            "{:>5}  {}  {}@{}  {} ({})  {}  {}  {}{}",
                            r.seq,
                            r.time,
                            r.os_user,
                            r.host,
                            r.environment,
                            r.tier,
                            r.action,
                            r.targets.join(","),
                            r.outcome,
                            r.error
                                .as_deref()
                                .map(|e| format!(": {e}"))
                                .unwrap_or_default()
                        );
                    }
                    eprintln!("{} record(s) in {}", records.len(), log.path().display());
                }
                0
            }
            Err(e) => output::error(&e, a.json),
        },
        AuditCommand::Verify(a) => match log.verify() {
            Ok(v) => {
                if a.json {
                    json(&v);
                } else if v.ok {
                    println!(
                        "ok: {} record(s), the chain is intact ({})",
                        v.records,
                        log.path().display()
                    );
                } else {
                    println!(
                        "BROKEN at line {}: {} ({} record(s) before it are intact; {})",
                        v.line.unwrap_or(0),
                        v.problem.as_deref().unwrap_or(""),
                        v.records,
                        log.path().display()
                    );
                }
                i32::from(!v.ok)
            }
            Err(e) => output::error(&e, a.json),
        },
        AuditCommand::Export(a) => match std::fs::copy(log.path(), &a.out) {
            Ok(bytes) => {
                println!(
                    "copied {bytes} bytes of {} to {}",
                    log.path().display(),
                    a.out.display()
                );
                0
            }
            Err(e) => output::error(
                &warren_core::Error::FileWrite {
                    path: a.out.display().to_string(),
                    reason: e.to_string(),
                },
                false,
            ),
        },
    }
}
