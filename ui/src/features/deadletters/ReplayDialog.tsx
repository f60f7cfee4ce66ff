// A replay (or discard) from the window: the plan first (how many messages go where, which
// destinations are missing, which queues get copies through an exchange), then — with the
// environment's name typed on prod — the run, with a progress bar (done, rate, time left), a
// Cancel that settles what is in flight, and the final report. The core refuses on a read-only
// environment and never acks a message before its copy is confirmed.
import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { refreshAfterChange } from "../../ipc/afterChange";
import { asErrorReport, commands, type ErrorReport, type ReplayReport, type ReplayRequest } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { formatCount, formatRate } from "../queues/format";
import { describeTarget, replayedCount, stayingCount } from "./dlqModel";
import { nameConfirmed } from "../environments/writeGuards";
import { ReadOnlyWarning, TypedNameField, type ChangeDialogProps } from "../environments/WriteGuard";
import { Modal } from "../../common/Modal";
import { ProgressBar } from "../../common/ProgressBar";
import { describeScoped, percentDone, scopedProgress, secondsLeft, type ScopedCounts } from "../../common/progress";
import { useJob } from "../../common/useJob";
import { Notes } from "../../common/Notes";

interface Props extends ChangeDialogProps {
  request: ReplayRequest;
  /** What the user chose, in words ("all 490 messages", "the 3 selected messages"). */
  scope: string;
}

export function ReplayDialog({ env, request, scope, onClose, onDone }: Props) {
  const [typed, setTyped] = useState("");
  const [report, setReport] = useState<ReplayReport | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  const job = useJob(commands.dlqCancel, "dlq-");
  const client = useQueryClient();
  const { running, progress } = job;
  const plan = useQuery({
    queryKey: queryKeys.dlqPlan(env.id, request),
    queryFn: () => commands.dlqPlan(env.id, request),
    retry: false,
    staleTime: Infinity,
  });
  const verb = request.discard ? "Discard" : "Replay";
  const armed = plan.isSuccess && nameConfirmed(env, typed);
  const planError = plan.error as unknown as ErrorReport | null;
  const p = plan.data;

  async function start() {
    await job.start(async ({ step }) => {
      try {
        // The plan counted the scope over the whole queue: progress counts against it.
        const expected = p?.complete ? p.in_scope : request.expected;
        const run = { ...request, expected };
        setReport(await step((id, onProgress) => commands.dlqReplay(env.id, run, id, onProgress)));
      } catch (e) {
        setRunError(asErrorReport(e).message);
      }
    });
    void refreshAfterChange(client, env.id);
    onDone();
  }

  // The bar follows the messages read; the words lead with what is in scope ("35 of 35
  // replayed · read 200 of 200" for a group of a 200-message DLQ).
  const counts: ScopedCounts = report
    ? { acted: report.replayed + report.discarded, inScope: report.in_scope, read: report.read, total: report.total }
    : progress
      ? scopedProgress(progress)
      : { acted: 0, inScope: p?.complete ? p.in_scope : (request.expected ?? null), read: 0, total: p?.depth ?? 0 };
  const pct = counts.total > 0 ? Math.round(percentDone(counts.read, counts.total)) : report ? 100 : 0;
  const eta = secondsLeft(progress);
  return (
    <Modal title={`${verb} ${scope} of “${request.queue}”`} className="wide" testId="replay-dialog" onClose={running ? undefined : onClose}>
      <ReadOnlyWarning env={env} action="this" />
      {!running && !report && (
        <>
          {plan.isLoading && <div className="muted">Planning: reading the queue in place…</div>}
          {planError && <div className="error-box">{planError.message}</div>}
          {p && (
            <div data-testid="replay-plan">
              <p>
                {request.discard ? (
                  <>
                    <b>{formatCount(p.in_scope)}</b> message(s) will be removed for good;
                  </>
                ) : (
                  <>
                    <b>{formatCount(replayedCount(p))}</b> message(s) go to {describeTarget(request.target)};
                  </>
                )}{" "}
                {formatCount(stayingCount(p, request.discard))} stay in the DLQ.
                {!p.complete && ` (Planned on the first ${formatCount(p.read)} of ${formatCount(p.depth)}.)`} Each message leaves the DLQ only after its
                copy is confirmed.
              </p>
              {!request.discard && (
                <div className="muted" data-testid="replay-path" title={p.path_note}>
                  {p.path === "broker"
                    ? "Broker-side: a shovel moves the messages through a temporary exchange (the client path if the broker lacks the shovel plugin)."
                    : "Client path: Warren copies each message."}
                </div>
              )}
              {!request.discard && (
                <table className="mini-table">
                  <tbody>
                    {p.destinations.slice(0, 12).map((d) => (
                      <tr key={d.destination}>
                        <td>{d.destination}</td>
                        <td className="num">{formatCount(d.messages)}</td>
                        <td>{d.exists ? "" : <span className="error-text">does not exist: stays, unroutable</span>}</td>
                      </tr>
                    ))}
                    {p.destinations.length > 12 && (
                      <tr>
                        <td className="muted" colSpan={3}>
                          … and {p.destinations.length - 12} more destinations
                        </td>
                      </tr>
                    )}
                  </tbody>
                </table>
              )}
              <Notes lines={p.warnings} className="warning-box inline" />
            </div>
          )}
          <TypedNameField env={env} value={typed} onChange={setTyped} testId="replay-confirm-name" />
        </>
      )}
      {(running || report) && (
        <div data-testid="replay-progress">
          <ProgressBar percent={pct} />
          <div className="muted" data-testid="replay-progress-text">
            {pct} % · {describeScoped(counts, request.discard ? "discarded" : "replayed")}
            {progress && progress.rate > 0 ? ` · ${formatRate(progress.rate)}/s` : ""}
            {running && eta !== null ? ` · ${Math.ceil(eta)} s left` : ""}
          </div>
        </div>
      )}
      {report && (
        <div data-testid="replay-report" className="replay-report">
          {request.discard ? `Discarded ${formatCount(report.discarded)}` : `Replayed ${formatCount(report.replayed)}`} message(s) in{" "}
          {report.seconds.toFixed(1)} s; kept {formatCount(report.kept)} in the DLQ
          {report.kept > 0 &&
            ` (unroutable ${formatCount(report.unroutable)}, nacked ${formatCount(report.nacked)}, out of scope ${formatCount(report.out_of_scope)}, loop guard ${formatCount(report.loop_guarded)})`}
          .{report.path === "broker" && ` Moved broker-side (${report.shovel === "local" ? "a local shovel, inside the broker" : "an AMQP 0-9-1 shovel"}).`}
          {report.cancelled && " Cancelled: the rest stays in the DLQ."}
          {report.name_too_long > 0 && ` ${formatCount(report.name_too_long)} kept: their destination's name is longer than AMQP allows (255 bytes).`}
          {report.deduplicated > 0 &&
            ` ${formatCount(report.deduplicated)} acked without a second copy: an earlier run that stopped early had already delivered them.`}
          {report.stopped && (
            <div className="error-text">
              {report.stopped} At most {formatCount(report.possible_duplicates)} message(s) may now be both in the DLQ and at their destination.
            </div>
          )}
        </div>
      )}
      {runError && <div className="error-box">{runError}</div>}
      <div className="form-actions">
        <span className="spacer" />
        {running ? (
          <button className="ghost" data-testid="replay-cancel" onClick={job.cancel}>
            Cancel
          </button>
        ) : (
          <button className="ghost" data-testid="replay-close" onClick={onClose}>
            {report ? "Close" : "Cancel"}
          </button>
        )}
        {!running && !report && (
          <button className={request.discard ? "danger" : "primary"} data-testid="replay-start" disabled={!armed} onClick={() => void start()}>
            {verb}
          </button>
        )}
      </div>
    </Modal>
  );
}
