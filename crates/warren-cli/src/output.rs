//! The skeleton every command shares: the flag groups (`--env`, `--vhost`, `--json`, `--yes`, …)
//! declared once and flattened, printing a result as JSON or for people (tables, one progress
//! bar), and the exit status each kind of failure maps to.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{ArgMatches, Args};
use serde::Serialize;
use warren_core::progress::ScopeProgress;
use warren_core::{Environment, EnvironmentStore, Error};

/// Exit statuses, as README's CLI section documents them (0 is success).
pub const FAILED: i32 = 1;
pub const USAGE: i32 = 2;
pub const INTERRUPTED: i32 = 130;

/// `--json`: stable, machine-readable output for scripts, failures included.
#[derive(Args, Clone, Copy)]
pub struct Output {
    /// Print JSON (a stable contract; failures too, as {"error": {kind, message, fields}}).
    #[arg(long)]
    pub json: bool,
}

impl Output {
    /// The result as JSON, or as `human` prints it for people.
    pub fn show<T: Serialize + ?Sized>(self, value: &T, human: impl FnOnce(&T)) {
        if self.json {
            json(value)
        } else {
            human(value)
        }
    }
}

/// `--password-stdin`: a password for this run only, never stored.
#[derive(Args, Clone, Copy)]
pub struct RunPassword {
    /// Read the password for this run from standard input instead of the keyring (not stored).
    #[arg(long)]
    pub password_stdin: bool,
}

impl RunPassword {
    /// The environment `id` with the password to use: `--password-stdin`, else
    /// `WARREN_PASSWORD`, else the keyring's.
    pub fn open(
        self,
        store: &EnvironmentStore,
        id: &str,
    ) -> Result<(Environment, secrecy::SecretString), Error> {
        store.with_password(id, password_for_run(self.password_stdin)?)
    }
}

/// `--env ID` (and a password for the run): the environment a command talks to.
#[derive(Args)]
pub struct Target {
    /// The environment's id (`warren env list`).
    // An `Option` that clap requires: `warren queues purge …` / `warren realms suggest …` then
    // build their parent's arguments without it (`subcommand_negates_reqs`).
    #[arg(long, required = true)]
    env: Option<String>,
    #[command(flatten)]
    password: RunPassword,
}

impl Target {
    pub fn env(&self) -> &str {
        self.env.as_deref().unwrap_or_default()
    }

    pub fn open(
        &self,
        store: &EnvironmentStore,
    ) -> Result<(Environment, secrecy::SecretString), Error> {
        self.password.open(store, self.env())
    }
}

/// `--env ID [--vhost V]`: an environment's queues, or one vhost's.
#[derive(Args)]
pub struct VhostTarget {
    #[command(flatten)]
    pub target: Target,
    /// Only this vhost (default: the environment's default vhost, else all vhosts).
    #[arg(long)]
    pub vhost: Option<String>,
}

/// `--env ID --vhost V --queue Q`: one queue.
#[derive(Args)]
pub struct QueueTarget {
    #[command(flatten)]
    pub target: Target,
    #[arg(long)]
    pub vhost: String,
    #[arg(long)]
    pub queue: String,
}

/// `--yes`: the confirmation a change needs (scripts; there is no prompt).
#[derive(Args, Clone, Copy)]
pub struct Confirm {
    /// Confirm the change (scripts; there is no prompt).
    #[arg(long)]
    pub yes: bool,
}

impl Confirm {
    /// Refused without `--yes`, saying what the change would do.
    pub fn required(self, what: impl FnOnce() -> String) -> Result<(), Failure> {
        if self.yes {
            Ok(())
        } else {
            Err(usage(what()))
        }
    }

    /// Refused without `--yes`: "WHAT in `ENV` (Tier) needs --yes", then `hint`.
    pub fn required_in(
        self,
        env: &Environment,
        what: impl FnOnce() -> String,
        hint: &str,
    ) -> Result<(), Failure> {
        self.required(|| {
            format!(
                "{} in `{}` ({:?}) needs --yes{hint}",
                what(),
                env.id,
                env.tier
            )
        })
    }
}

/// `--dry-run` or `--yes`: a change that can be planned first.
#[derive(Args, Clone, Copy)]
pub struct PlanOrConfirm {
    /// Show what would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub confirm: Confirm,
}

/// Why a command failed; it decides the exit status.
#[derive(Debug)]
pub enum Failure {
    /// What was typed cannot work: a value a parser refused, a change without its `--yes`
    /// (exit 2, as clap's own refusals).
    Usage(Error),
    /// Everything else: the broker, the connection, the keyring, a file, a name not found (exit 1).
    Failed(Error),
}

/// A command's end: its exit status (0, or 1/130 when its report says it stopped or was
/// interrupted), or why it failed.
pub type Exit = Result<i32, Failure>;

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        // Field errors only ever name what the command line gave: an environment's settings,
        // the password piped to --password-stdin.
        if matches!(e, Error::Invalid(_)) {
            Failure::Usage(e)
        } else {
            Failure::Failed(e)
        }
    }
}

impl From<warren_core::broker::BrokerError> for Failure {
    fn from(e: warren_core::broker::BrokerError) -> Self {
        Error::from(e).into()
    }
}

impl Failure {
    /// Print it (as JSON on stdout when `--json` was asked, so scripts can parse it too) and
    /// give its exit status.
    pub fn report(&self, as_json: bool) -> i32 {
        let (e, status) = match self {
            Failure::Usage(e) => (e, USAGE),
            Failure::Failed(e) => (e, FAILED),
        };
        if as_json {
            json(&serde_json::json!({
                "error": {"kind": e.kind(), "message": e.to_string(), "fields": e.fields()}
            }));
        } else {
            eprintln!("error: {e}");
        }
        status
    }
}

/// A usage error the CLI found itself.
pub fn usage(message: impl Into<String>) -> Failure {
    Failure::Usage(Error::InvalidArgument(message.into()))
}

/// A value that its parser refused is a usage error, named after its flag.
pub trait Refused<T> {
    /// `prefix` leads the parser's message, e.g. `--sort: `.
    fn refused(self, prefix: &str) -> Result<T, Failure>;
}

impl<T, E: std::fmt::Display> Refused<T> for Result<T, E> {
    fn refused(self, prefix: &str) -> Result<T, Failure> {
        self.map_err(|e| usage(format!("{prefix}{e}")))
    }
}

/// One JSON object on one line (a stream of them, as `warren watch --json` prints per sample).
pub fn json_line<T: Serialize + ?Sized>(value: &T) {
    println!(
        "{}",
        serde_json::to_string(value).expect("serialisable output")
    );
}

pub fn json<T: Serialize + ?Sized>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialisable output")
    );
}

/// Whether the command line asked for `--json`, on whichever (sub)command takes it.
pub fn asked_for_json(matches: &ArgMatches) -> bool {
    matches!(matches.try_get_one::<bool>("json"), Ok(Some(true)))
        || matches
            .subcommand()
            .is_some_and(|(_, sub)| asked_for_json(sub))
}

/// A command line clap refused: help and version print as usual (exit 0); anything else is a
/// usage error, exit status 2, as JSON when `--json` was given.
pub fn usage_error(e: clap::Error, as_json: bool) -> ! {
    use clap::error::ErrorKind;
    let is_info = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if is_info || !as_json {
        e.exit()
    }
    let message = e.render().to_string();
    let first = message
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_string();
    json(&serde_json::json!({
        "error": {"kind": "usage", "message": first, "fields": [], "usage": message.trim_end()}
    }));
    std::process::exit(USAGE)
}

/// A password for one run: `--password-stdin` wins over `WARREN_PASSWORD`; never stored.
pub fn password_for_run(from_stdin: bool) -> Result<Option<secrecy::SecretString>, Error> {
    if from_stdin {
        return read_stdin_password().map(Some);
    }
    Ok(std::env::var("WARREN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .map(secrecy::SecretString::from))
}

pub fn read_stdin_password() -> Result<secrecy::SecretString, Error> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::FileRead {
            path: "standard input".into(),
            reason: e.to_string(),
        })?;
    let trimmed = line.trim_end_matches(['\n', '\r']).to_string();
    if trimmed.is_empty() {
        return Err(Error::Invalid(vec![warren_core::FieldError {
            field: "password".into(),
            message: "--password-stdin read an empty password; pipe it in, e.g. `secret-tool lookup … | warren …`".into(),
        }]));
    }
    Ok(secrecy::SecretString::from(trimmed))
}

/// A table for people: no borders (it greps like plain columns). A header written `>NAME` is
/// a column of numbers, right-aligned.
pub fn print_table<H: AsRef<str>>(headers: &[H], rows: impl IntoIterator<Item = Vec<String>>) {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .set_header(headers.iter().map(|h| h.as_ref().trim_start_matches('>')))
        .add_rows(rows);
    for (column, header) in table.column_iter_mut().zip(headers) {
        column.set_padding((0, 2));
        if header.as_ref().starts_with('>') {
            column.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    println!("{}", table.trim_fmt());
}

/// The one progress bar: on stderr, drawn only when stderr is a terminal and never with
/// `--json` (scripts and pipes see nothing).
pub struct Bar {
    bar: Option<indicatif::ProgressBar>,
    /// What a scoped run did to the messages in scope ("replayed").
    acted: &'static str,
}

impl Bar {
    /// `label` leads the line, e.g. "replaying" or "reading queues (pages)".
    pub fn new(out: Output, label: &str) -> Self {
        let shown = !out.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let bar = shown.then(|| {
            // Hidden until the first count arrives, so it never shows "0 of 0".
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::hidden(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {percent:>3} %  {pos} of {len}  {msg}",
                )
                .expect("a valid template")
                .progress_chars("█▌ "),
            );
            bar.set_prefix(label.to_string());
            bar
        });
        Bar { bar, acted: "done" }
    }

    /// The word for what a scoped run did to the messages in scope ("replayed", "discarded").
    pub fn acted(mut self, verb: &'static str) -> Self {
        self.acted = verb;
        self
    }

    /// `done` of `total`, at `rate` items per second when known.
    pub fn set(&self, done: u64, total: u64, rate: Option<f64>) {
        self.set_scoped(done, total, rate, None);
    }

    /// As `set`, led by what the run did to the messages in scope, e.g. "read · 35 of 35
    /// replayed" while the bar counts the 200 messages read.
    fn set_scoped(&self, done: u64, total: u64, rate: Option<f64>, scope: Option<ScopeProgress>) {
        let Some(bar) = &self.bar else { return };
        bar.set_length(total);
        bar.set_position(done);
        let mut message = scope.map_or(String::new(), |s| scope_line(&s, self.acted));
        if let Some(rate) = rate.filter(|r| *r > 0.0) {
            let left = total.saturating_sub(done) as f64 / rate;
            message.push_str(&format!("  {rate:.0} msg/s  {left:.0} s left"));
        }
        bar.set_message(message);
        if bar.is_hidden() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    pub fn progress(&self, p: warren_core::progress::Progress) {
        self.set_scoped(p.done, p.total, Some(p.rate), p.scope);
    }
}

/// "read · 35 of 35 replayed" (the in-scope total when known, else what matched so far).
pub fn scope_line(s: &ScopeProgress, acted: &str) -> String {
    match s.expected {
        Some(n) => format!("read · {} of {n} {acted}", s.acted),
        None => format!("read · {} of {}+ {acted}", s.acted, s.matched),
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Ctrl-C asks a long run to stop: it settles what is in flight and reports (exit 130).
pub fn interrupt_flag() -> impl Fn() -> bool {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            f.store(true, Ordering::SeqCst);
        }
    });
    move || flag.load(Ordering::SeqCst)
}

/// 130 when interrupted, 1 when the run stopped early by itself (run it again), else 0.
pub fn run_status(cancelled: bool, stopped: bool) -> i32 {
    if cancelled {
        INTERRUPTED
    } else {
        i32::from(stopped) * FAILED
    }
}

/// A failure the CLI found itself that no other command line would fix (exit 1): a name that
/// names nothing (as the broker's `not_found`), an environment without a realm template.
pub fn failed(message: impl Into<String>) -> Failure {
    Failure::Failed(Error::InvalidArgument(message.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scoped_run_says_what_it_did_to_its_scope() {
        let s = ScopeProgress {
            matched: 35,
            acted: 35,
            expected: Some(35),
        };
        assert_eq!(scope_line(&s, "replayed"), "read · 35 of 35 replayed");
        let counting = ScopeProgress {
            expected: None,
            acted: 10,
            ..s
        };
        assert_eq!(
            scope_line(&counting, "discarded"),
            "read · 10 of 35+ discarded"
        );
    }
}
