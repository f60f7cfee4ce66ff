//! `warren audit list|verify|export|seal`: the local audit log of every mutating action, its
//! hash chain, MACs and keyring head checked, and a copy for whoever asks.

use clap::{Args, Subcommand};
use warren_core::audit::{self, AuditLog, AuditRecord, SeqRange};

use crate::output::{self, Exit, Output};

#[derive(Subcommand)]
pub enum AuditCommand {
    /// The records, oldest first (filters: --env, --action prefix, --since).
    List(ListArgs),
    /// Check the chain, each record's MAC and the head kept in the OS keyring: a record edited,
    /// removed, reordered, forged or cut off the end is reported with its line. Exit 1 when
    /// broken, or when the keyring cannot be reached to check.
    Verify(VerifyArgs),
    /// Copy the log (as it is, with its chain) to a file, owner-only.
    Export(ExportArgs),
    /// Vouch for unkeyed records at the end of the log (written before Warren kept an audit
    /// key, or while the keyring could not be reached) with a keyed `audit.seal` record.
    /// Refused when the chain shows any other problem.
    Seal,
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
    #[arg(long, value_parser = parse_since)]
    since: Option<String>,
    /// Only the last N records.
    #[arg(long)]
    last: Option<usize>,
    #[command(flatten)]
    output: Output,
}

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    output: Output,
}

/// `--json`: `{"out": PATH, "bytes": N}`.
#[derive(Args)]
pub struct ExportArgs {
    #[arg(long)]
    out: std::path::PathBuf,
    #[command(flatten)]
    output: Output,
}

/// A UTC time prefix in the log's own format (`2026-11-26`, `2026-11-26T10:30`, a full
/// RFC 3339 time): records are compared as text, so anything else would silently match all
/// or nothing.
fn parse_since(s: &str) -> Result<String, String> {
    let t = s.trim().trim_end_matches('Z');
    let shape = b"dddd-dd-ddTdd:dd:dd";
    let ok = t.len() >= 4
        && t.bytes().zip(shape.iter()).all(|(c, want)| match want {
            b'd' => c.is_ascii_digit(),
            other => c == *other,
        })
        && (t.len() <= shape.len() || t.as_bytes()[shape.len()] == b'.')
        && ![5, 8, 11, 14, 17].contains(&t.len());
    let in_range = |from: usize, max: u32| {
        t.get(from..from + 2)
            .is_none_or(|v| v.parse::<u32>().is_ok_and(|n| n <= max))
    };
    if ok
        && in_range(5, 12)
        && in_range(8, 31)
        && in_range(11, 23)
        && in_range(14, 59)
        && in_range(17, 60)
    {
        Ok(t.to_string())
    } else {
        Err(format!(
            "`{s}` is not a UTC date or time: use a prefix of RFC 3339 such as 2026-11-26, 2026-11-26T10 or 2026-11-26T10:30:00"
        ))
    }
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

pub fn run(cmd: AuditCommand) -> Exit {
    let log = AuditLog::open_default();
    match cmd {
        AuditCommand::List(a) => {
            let mut records = filter(
                log.read()?,
                a.env.as_deref(),
                a.action.as_deref(),
                a.since.as_deref(),
            );
            if let Some(n) = a.last {
                let skip = records.len().saturating_sub(n);
                records.drain(..skip);
            }
            a.output.show(&records, |records| {
                print_records(records);
                eprintln!("{} record(s) in {}", records.len(), log.path().display());
            });
            Ok(0)
        }
        AuditCommand::Verify(a) => {
            let v = log.verify()?;
            a.output.show(&v, |v| print_verification(v, log.path()));
            Ok(i32::from(!v.ok) * output::FAILED)
        }
        AuditCommand::Seal => {
            let r = log.seal()?;
            println!(
                "sealed: record {} vouches for the {} record(s) before it ({})",
                r.seq,
                r.seq - 1,
                log.path().display()
            );
            Ok(0)
        }
        AuditCommand::Export(a) => {
            let bytes = export(log.path(), &a.out).map_err(|e| warren_core::Error::FileWrite {
                path: a.out.display().to_string(),
                reason: e.to_string(),
            })?;
            let out = a.out.display().to_string();
            a.output
                .show(&serde_json::json!({ "out": out, "bytes": bytes }), |_| {
                    println!("copied {bytes} bytes of {} to {out}", log.path().display())
                });
            Ok(0)
        }
    }
}

fn print_records(records: &[AuditRecord]) {
    let unfinished = audit::unfinished(records);
    for r in records {
        let outcome = if unfinished.contains(&r.seq) {
            "started, never finished (still running, or the process was killed)"
        } else {
            r.outcome.as_str()
        };
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
            outcome,
            r.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
    }
}

fn print_verification(v: &audit::Verification, path: &std::path::Path) {
    let path = path.display();
    if v.ok {
        println!(
            "ok: {} record(s), the chain, its MACs and the keyring's head agree ({path})",
            v.records
        );
        if !v.unkeyed.is_empty() {
            println!(
                "note: record(s) {} carry no MAC (written before Warren kept an audit key, or while the keyring could not be reached); a later keyed record vouches for them",
                ranges(&v.unkeyed)
            );
        }
    } else if let Some(line) = v.line {
        println!(
            "BROKEN at line {line}: {} ({} record(s) read; {path})",
            v.problem.as_deref().unwrap_or(""),
            v.records
        );
    } else {
        println!(
            "NOT VERIFIED: {} ({path})",
            v.problem.as_deref().unwrap_or("")
        );
    }
}

fn ranges(r: &[SeqRange]) -> String {
    r.iter()
        .map(|r| {
            if r.first == r.last {
                r.first.to_string()
            } else {
                format!("{}..{}", r.first, r.last)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Copy the log to `out`, owner-only (0600) whether `out` is new or not: the log names
/// environments, queues and who did what.
fn export(log: &std::path::Path, out: &std::path::Path) -> std::io::Result<u64> {
    let mut from = std::fs::File::open(log)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut to = opts.open(out)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        to.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    std::io::copy(&mut from, &mut to)
}
