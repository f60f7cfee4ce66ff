// Move every message of one or more queues into another queue of the same vhost, one source
// after the other, with a broker-side shovel (a message leaves its source only after the
// destination confirmed it). Progress per queue and overall; Cancel stops the running shovel.
// On prod the environment's name must be typed. The core refuses on a read-only environment.
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { refreshAfterChange } from "../../ipc/afterChange";
import { asErrorReport, commands, type MoveReport } from "../../ipc/commands";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { formatCount, formatRate } from "./format";
import { nameConfirmed } from "../environments/writeGuards";
import { ReadOnlyWarning, TypedNameField, type ChangeDialogProps } from "../environments/WriteGuard";
import { Modal } from "../../common/Modal";
import { ProgressBar } from "../../common/ProgressBar";
import { percentDone } from "../../common/progress";
import { useJob } from "../../common/useJob";
import { QueueList } from "./QueueList";
import { destinationSuggestions, moveProblem, queueCount } from "./queueActionsModel";

interface Props extends ChangeDialogProps {
  targets: QueueRow[];
  /** Queue names known per vhost, to suggest destinations. */
  known: QueueRow[];
}

type Outcome = { source: QueueRow; report?: MoveReport; error?: string };

export function MoveDialog({ env, targets, known, onClose, onDone }: Props) {
  const [to, setTo] = useState("");
  const [typed, setTyped] = useState("");
  const [index, setIndex] = useState(0);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const job = useJob(commands.cancelMove);
  const client = useQueryClient();
  const { running, progress: p } = job;

  const problem = moveProblem(targets, to);
  const armed = !problem && nameConfirmed(env, typed);
  const suggestions = destinationSuggestions(known, targets);
  const finished = !running && outcomes.length > 0;

  async function start() {
    await job.start(async ({ step, cancelled }) => {
      const done: Outcome[] = [];
      for (let i = 0; i < targets.length && !cancelled(); i++) {
        const source = targets[i];
        setIndex(i);
        try {
          const report = await step((id, onProgress) => commands.moveQueue(env.id, source.vhost, source.name, to.trim(), id, onProgress));
          done.push({ source, report });
        } catch (e) {
          done.push({ source, error: asErrorReport(e).message });
        }
        setOutcomes([...done]);
      }
    });
    void refreshAfterChange(client, env.id);
    onDone();
  }

  return (
    <Modal title={`Move messages of ${queueCount(targets.length)} in “${env.name}”`} testId="move-dialog" onClose={running ? undefined : onClose}>
      <ReadOnlyWarning env={env} action="this move" />
      {!running && !finished && (
        <>
          <p>
            Every message now in {targets.length === 1 ? "this queue" : "each of these queues"} goes to the destination queue in the same vhost
            (created if missing), by a shovel on the broker. A message leaves its source only after the destination confirmed it: nothing is lost,
            even if the move is cancelled.
          </p>
          <QueueList queues={targets} max={20} />
          <label className="field">
            <span className="label">Destination queue</span>
            <input data-testid="move-to" list="move-destinations" value={to} onChange={(ev) => setTo(ev.target.value)} data-autofocus spellCheck={false} />
            <datalist id="move-destinations">
              {suggestions.slice(0, 500).map((q) => (
                <option key={`${q.vhost}/${q.name}`} value={q.name} />
              ))}
            </datalist>
            {to && problem && <span className="error-text">{problem}</span>}
          </label>
          <TypedNameField env={env} value={typed} onChange={setTyped} testId="move-confirm-name" />
        </>
      )}
      {running && (
        <div data-testid="move-progress">
          <div>
            Queue {index + 1} of {targets.length}: <code>{targets[index].name}</code> → <code>{to.trim()}</code>
          </div>
          <ProgressBar percent={p ? percentDone(p.done, p.total) : 0} />
          <div className="muted">
            {p ? `${formatCount(p.done)} of ${formatCount(p.total)} messages · ${formatRate(p.rate)}/s` : "starting the shovel…"}
          </div>
        </div>
      )}
      {outcomes.length > 0 && (
        <ul className="plain" data-testid="move-result">
          {outcomes.map((o) => (
            <li key={`${o.source.vhost}/${o.source.name}`}>
              {o.report ? (
                <>
                  {o.report.cancelled ? "Stopped: moved " : "Moved "}
                  {formatCount(o.report.moved)} message(s) from <code>{o.source.name}</code> to <code>{o.report.to}</code>
                  {o.report.cancelled && ", the rest stays in the source"}
                </>
              ) : (
                <span className="error-text">
                  {o.source.name}: {o.error}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="form-actions">
        <span className="spacer" />
        {running ? (
          <button className="ghost" data-testid="move-cancel" onClick={job.cancel}>
            Cancel move
          </button>
        ) : (
          <button className="ghost" onClick={onClose}>
            {finished ? "Close" : "Cancel"}
          </button>
        )}
        {!running && !finished && (
          <button className="primary" data-testid="move-confirm" disabled={!armed} onClick={() => void start()}>
            Move
          </button>
        )}
      </div>
    </Modal>
  );
}
