//! `warren dlq edit-retry`: edit one dead letter (its body, its headers) and send the edited copy
//! back to the queue it died in; the original is acked only after the copy is confirmed.
//! `--dry-run` prints the diff and changes nothing; without it the change needs `--yes`.

use clap::Args;
use warren_core::deadletters::edit::{self, DiffChange, EditPreview, EditRequest, EditRetryReport};
use warren_core::EnvironmentStore;

use crate::output::{Exit, Output, PlanOrConfirm, QueueTarget};
use crate::publish_cmd::{headers_of, BodyArgs};

#[derive(Args)]
pub struct EditRetryArgs {
    #[command(flatten)]
    queue: QueueTarget,
    /// The message: its message_id property, or its key (`--json` output of `dlq show` and
    /// `peek`); the first from the head that has it.
    #[arg(long)]
    message_id: String,
    /// The new body (without --body-file/--body-stdin the body stays as it is). JSON is
    /// validated and stored pretty-printed.
    #[command(flatten)]
    body: BodyArgs,
    /// Set a header NAME=VALUE (a string); repeat for more.
    #[arg(long = "set-header", value_name = "NAME=VALUE")]
    set_headers: Vec<String>,
    /// Remove a header; repeat for more.
    #[arg(long = "remove-header", value_name = "NAME")]
    remove_headers: Vec<String>,
    /// Read a quorum DLQ even when a message before this one is one read from its delivery
    /// limit (that read makes the broker drop or dead-letter it).
    #[arg(long)]
    insist: bool,
    #[command(flatten)]
    change: PlanOrConfirm,
    #[command(flatten)]
    out: Output,
}

pub async fn run(store: &EnvironmentStore, args: EditRetryArgs) -> Exit {
    let set_headers = headers_of(&args.set_headers, "--set-header")?;
    let (env, password) = args.queue.target.open(store)?;
    let body = args.body.read()?;
    let QueueTarget { vhost, queue, .. } = &args.queue;
    let request = EditRequest {
        vhost: vhost.clone(),
        queue: queue.clone(),
        id: args.message_id.clone(),
        body,
        set_headers,
        remove_headers: args.remove_headers.clone(),
        insist: args.insist,
    };
    let report = if args.change.dry_run {
        EditRetryReport {
            dry_run: true,
            retried: false,
            replay_id: None,
            preview: edit::edit_preview(&env, &password, &request).await?,
        }
    } else {
        let what = || {
            format!(
                "retrying an edited copy of `{}` from `{queue}`",
                args.message_id
            )
        };
        args.change
            .confirm
            .required_in(&env, what, "; --dry-run shows the diff")?;
        edit::edit_retry(&env, &password, &request).await?
    };
    args.out.show(&report, print_report);
    Ok(0)
}

fn print_report(r: &EditRetryReport) {
    let p = &r.preview;
    print_preview(p);
    println!();
    match (&p.destination, r.retried) {
        (Some(d), true) => println!(
            "retried: the edited copy is in `{d}` (replay id {}); the original was acked and left `{}`",
            r.replay_id.as_deref().unwrap_or("-"),
            p.queue
        ),
        (Some(d), false) => println!("dry run: the edited copy would go to `{d}`; nothing changed"),
        (None, _) => println!(
            "this message has no death record (x-death): it has no origin to retry to"
        ),
    }
}

fn print_preview(p: &EditPreview) {
    println!(
        "{}/{}: message #{} (key {}){}",
        p.vhost,
        p.queue,
        p.position,
        p.key,
        p.original
            .properties
            .get("message_id")
            .and_then(|v| v.as_str())
            .map(|id| format!(", message id {id}"))
            .unwrap_or_default()
    );
    println!("{}", p.cost);
    if p.changed_headers.is_empty() {
        println!("headers: unchanged (besides Warren's replay mark)");
    } else {
        println!("headers changed: {}", p.changed_headers.join(", "));
    }
    if !p.body_changed {
        println!("body: unchanged (sha256 {})", p.original_sha256);
        return;
    }
    println!("body: sha256 {} -> {}", p.original_sha256, p.edited_sha256);
    println!("--- original");
    println!("+++ edited");
    for l in &p.diff {
        let mark = match l.change {
            DiffChange::Same => ' ',
            DiffChange::Removed => '-',
            DiffChange::Added => '+',
        };
        println!("{mark}{}", l.text);
    }
    if p.diff_truncated {
        println!("… (the diff is cut short)");
    }
}
