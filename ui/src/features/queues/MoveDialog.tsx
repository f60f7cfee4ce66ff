// Move every message of one or more queues into another queue of the same vhost, one source
// after the other, with a broker-side shovel (a message leaves its source only after the
// destination confirmed it). Progress per queue and overall; Cancel stops the running shovel.
// On prod the environment's name must be typed. The core refuses on a read-only environment.
import { useRef, useState } from "react";
import { asErrorReport, commands, type EnvironmentView, type MoveReport, type Progress } from "../../ipc/commands";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { formatCount, formatRate } from "./format";
import { refusesWrites } from "../environments/ArmControl";

interface Props {
  env: EnvironmentView;
  targets: QueueRow[];
  /** Queue names known per vhost, to suggest destinations. */
  known: QueueRow[];
  onClose: () => void;
  onDone: () => void;
}

type Outcome = { source: QueueRow; report?: MoveReport; error?: string };

export function moveProblem(targets: QueueRow[], to: string): string | null {
  const dest = to.trim();
  if (!dest) return "Name the destination queue.";
  if (targets.some((t) => t.name === dest)) return `“${dest}” is one of the queues being moved: pick another destination.`;
  return null;
}

export function MoveDialog({ env, targets, known, onClose, onDone }: Props) {
  const [to, setTo] = useState("");
  const [typed, setTyped] = useState("");
  const [running, setRunning] = useState(false);
  const [current, setCurrent] = useState<{ index: number; progress: Progress | null } | null>(null);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const cancelled = useRef(false);
  const moveId = useRef<string | null>(null);

  const problem = moveProblem(targets, to);
  const needsName = env.tier === "prod";
  const armed = !problem && (!needsName || typed === env.name);
  const vhosts = new Set(targets.map((t) => t.vhost));
  const suggestions = known.filter((q) => vhosts.has(q.vhost) && !targets.some((t) => t.vhost === q.vhost && t.name === q.name));
  const finished = !running && outcomes.length > 0;

  async function start() {
    setRunning(true);
    cancelled.current = false;
    const done: Outcome[] = [];
    for (let i = 0; i < targets.length && !cancelled.current; i++) {
      const source = targets[i];
      setCurrent({ index: i, progress: null });
      moveId.current = `${Date.now()}-${i}`;
      try {
        const report = await commands.moveQueue(env.id, source.vhost, source.name, to.trim(), moveId.current, (p) =>
          setCurrent({ index: i, progress: p }),
        );
        done.push({ source, report });
      } catch (e) {
        done.push({ source, error: asErrorReport(e).message });
      }
      setOutcomes([...done]);
    }
    moveId.current = null;
    setRunning(false);
    onDone();
  }

  function cancel() {
    cancelled.current = true;
    if (moveId.current) void commands.cancelMove(moveId.current);
  }

  const p = current?.progress;
  const pct = p && p.total > 0 ? Math.min(100, (p.done / p.total) * 100) : 0;
  return (
    <div className="modal-backdrop" onMouseDown={(ev) => ev.target === ev.currentTarget && !running && onClose()}>
      <div className="modal" data-testid="move-dialog">
        <h2>
          Move messages of {targets.length} queue{targets.length === 1 ? "" : "s"} in “{env.name}”
        </h2>
        {refusesWrites(env) && <div className="warning-box inline">“{env.name}” is read-only: Warren will refuse this move.</div>}
        {!running && !finished && (
          <>
            <p>
              Every message now in {targets.length === 1 ? "this queue" : "each of these queues"} goes to the destination queue in the same vhost
              (created if missing), by a shovel on the broker. A message leaves its source only after the destination confirmed it: nothing is lost,
              even if the move is cancelled.
            </p>
            <ul className="purge-list">
              {targets.slice(0, 20).map((t) => (
                <li key={`${t.vhost}/${t.name}`}>
                  <code>{t.vhost}</code> {t.name} <span className="muted">{formatCount(t.messages)}</span>
                </li>
              ))}
              {targets.length > 20 && <li className="muted">… and {targets.length - 20} more</li>}
            </ul>
            <label className="field">
              <span className="label">Destination queue</span>
              <input data-testid="move-to" list="move-destinations" value={to} onChange={(ev) => setTo(ev.target.value)} autoFocus spellCheck={false} />
              <datalist id="move-destinations">
                {suggestions.slice(0, 500).map((q) => (
                  <option key={`${q.vhost}/${q.name}`} value={q.name} />
                ))}
              </datalist>
              {to && problem && <span className="error-text">{problem}</span>}
            </label>
            {needsName && (
              <label className="field">
                <span className="label">Type the environment's name, “{env.name}”, to confirm</span>
                <input data-testid="move-confirm-name" value={typed} onChange={(ev) => setTyped(ev.target.value)} />
              </label>
            )}
          </>
        )}
        {running && current && (
          <div data-testid="move-progress">
            <div>
              Queue {current.index + 1} of {targets.length}: <code>{targets[current.index].name}</code> → <code>{to.trim()}</code>
            </div>
            <div className="progress">
              <div className="bar" style={{ width: `${pct}%` }} />
            </div>
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
            <button className="ghost" data-testid="move-cancel" onClick={cancel}>
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
      </div>
    </div>
  );
}
