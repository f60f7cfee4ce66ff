// Confirm a purge: what it would touch (the queues and their last known depth) first; on prod
// the environment's name must be typed. The core refuses on a read-only environment.
import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { commands, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { formatCount } from "./format";
import { refusesWrites } from "../environments/ArmControl";

interface Props {
  env: EnvironmentView;
  targets: QueueRow[];
  onClose: () => void;
  onDone: () => void;
}

export function PurgeDialog({ env, targets, onClose, onDone }: Props) {
  const [typed, setTyped] = useState("");
  const run = useMutation({
    mutationFn: () => commands.purgeQueues(env.id, targets.map((t) => ({ vhost: t.vhost, name: t.name })), false),
    onSuccess: onDone,
  });
  const needsName = env.tier === "prod";
  const armed = !needsName || typed === env.name;
  const messages = targets.reduce((n, t) => n + t.messages, 0);
  const error = run.error as unknown as ErrorReport | null;

  return (
    <div className="modal-backdrop" onMouseDown={(ev) => ev.target === ev.currentTarget && onClose()}>
      <div className="modal" data-testid="purge-dialog">
        <h2>
          Purge {targets.length} queue{targets.length === 1 ? "" : "s"} in “{env.name}”
        </h2>
        {run.data ? (
          <div data-testid="purge-result">
            Purged {formatCount(run.data.purged.reduce((n, p) => n + p.messages, 0))} messages from {run.data.purged.length} queue(s).
            {run.data.failed.map((f) => (
              <div key={`${f.vhost}/${f.name}`} className="error-text">
                {f.vhost}/{f.name}: {f.error}
              </div>
            ))}
          </div>
        ) : (
          <>
            {refusesWrites(env) && (
              <div className="warning-box inline">“{env.name}” is read-only: Warren will refuse this purge.</div>
            )}
            <p>
              Every message in these queues is deleted (about {formatCount(messages)} now). The queues stay. This cannot be undone.
            </p>
            <ul className="purge-list">
              {targets.slice(0, 50).map((p) => (
                <li key={`${p.vhost}/${p.name}`}>
                  <code>{p.vhost}</code> {p.name} <span className="muted">{formatCount(p.messages)}</span>
                </li>
              ))}
              {targets.length > 50 && <li className="muted">… and {targets.length - 50} more</li>}
            </ul>
            {needsName && (
              <label className="field">
                <span className="label">Type the environment's name, “{env.name}”, to confirm</span>
                <input data-testid="purge-confirm-name" value={typed} onChange={(ev) => setTyped(ev.target.value)} />
              </label>
            )}
          </>
        )}
        {error && (
          <div className="error-box" data-testid="purge-error">
            {error.message}
          </div>
        )}
        <div className="form-actions">
          <span className="spacer" />
          <button className="ghost" onClick={onClose}>
            {run.data ? "Close" : "Cancel"}
          </button>
          {!run.data && (
            <button className="danger" data-testid="purge-confirm" disabled={!armed || run.isPending} onClick={() => run.mutate()}>
              {run.isPending ? "Purging…" : "Purge"}
            </button>
          )}
        </div>
      </div>
    </div>
  );
}
