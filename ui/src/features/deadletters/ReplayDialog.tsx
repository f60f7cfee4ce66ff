// A replay (or discard) from the window: the plan first (how many messages go where, which
// destinations are missing, which queues get copies through an exchange), then — with the
// environment's name typed on prod — the run, with a progress bar (done, rate, time left), a
// Cancel that settles what is in flight, and the final report. The core refuses on a read-only
// environment and never acks a message before its copy is confirmed.
import { useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { asErrorReport, commands, type EnvironmentView, type ErrorReport, type Progress, type ReplayReport, type ReplayRequest } from "../../ipc/commands";
import { formatCount, formatRate } from "../queues/format";
import { describeTarget } from "./dlqModel";
import { refusesWrites } from "../environments/ArmControl";

interface Props {
  env: EnvironmentView;
  request: ReplayRequest;
  /** What the user chose, in words ("all 490 messages", "the 3 selected messages"). */
  scope: string;
  onClose: () => void;
  onDone: () => void;
}

export function ReplayDialog({ env, request, scope, onClose, onDone }: Props) {
  const [typed, setTyped] = useState("");
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [report, setReport] = useState<ReplayReport | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  const jobId = useRef<string | null>(null);
  const plan = useQuery({
    queryKey: ["dlq-plan", env.id, request],
    queryFn: () => commands.dlqPlan(env.id, request),
    retry: false,
    staleTime: Infinity,
  });
  const verb = request.discard ? "Discard" : "Replay";
  const needsName = env.tier === "prod";
  const armed = plan.isSuccess && (!needsName || typed === env.name);
  const planError = plan.error as unknown as ErrorReport | null;
  const p = plan.data;
  const moving = p ? p.in_scope - p.loop_guarded - p.no_origin : 0;

  async function start() {
    setRunning(true);
    jobId.current = `dlq-${Date.now()}`;
    try {
      setReport(await commands.dlqReplay(env.id, request, jobId.current, setProgress));
    } catch (e) {
      setRunError(asErrorReport(e).message);
    }
    jobId.current = null;
    setRunning(false);
    onDone();
  }

  const total = progress?.total ?? p?.depth ?? 0;
  const done = report ? report.total : progress?.done ?? 0;
  const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : report ? 100 : 0;
  const eta = progress && progress.rate > 0 ? Math.max(0, (progress.total - progress.done) / progress.rate) : null;
  return (
    <div className="modal-backdrop" onMouseDown={(ev) => ev.target === ev.currentTarget && !running && onClose()}>
      <div className="modal wide" data-testid="replay-dialog">
        <h2>
          {verb} {scope} of “{request.queue}”
        </h2>
        {refusesWrites(env) && <div className="warning-box inline">“{env.name}” is read-only: Warren will refuse this.</div>}
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
                      <b>{formatCount(moving)}</b> message(s) go to {describeTarget(request.target)};
                    </>
                  )}{" "}
                  {formatCount(p.out_of_scope + (request.discard ? 0 : p.loop_guarded + p.no_origin))} stay in the DLQ.
                  {!p.complete && ` (Planned on the first ${formatCount(p.read)} of ${formatCount(p.depth)}.)`} Each message leaves the DLQ only after its
                  copy is confirmed.
                </p>
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
                {p.warnings.map((w) => (
                  <div key={w} className="warning-box inline">
                    {w}
                  </div>
                ))}
              </div>
            )}
            {needsName && (
              <label className="field">
                <span className="label">Type the environment's name, “{env.name}”, to confirm</span>
                <input data-testid="replay-confirm-name" value={typed} onChange={(ev) => setTyped(ev.target.value)} />
              </label>
            )}
          </>
        )}
        {(running || report) && (
          <div data-testid="replay-progress">
            <div className="progress">
              <div className="bar" style={{ width: `${pct}%` }} />
            </div>
            <div className="muted" data-testid="replay-progress-text">
              {pct} % · {formatCount(done)} of {formatCount(total)} messages
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
            .{report.cancelled && " Cancelled: the rest stays in the DLQ."}
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
            <button className="ghost" data-testid="replay-cancel" onClick={() => jobId.current && void commands.dlqCancel(jobId.current)}>
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
      </div>
    </div>
  );
}
