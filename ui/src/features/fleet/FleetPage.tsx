// Every environment at a glance: a card per environment, refreshed concurrently by the core
// (each card appears as soon as its environment answers; a dead one says why after its own
// timeout) and again every 30 s while the view is open. A click opens that environment.
import { useCallback, useEffect, useRef, useState } from "react";
import { commands, type EnvironmentView, type EnvStatus } from "../../ipc/commands";
import { tierLabel } from "../environments/tier";
import { cardState, count, failedChecks, stateLabel, summaryLine, trendText } from "./fleetModel";
import "./fleet.css";

const EVERY_MS = 30_000;

interface Props {
  environments: EnvironmentView[];
  onOpen: (id: string) => void;
  /** The environment used last (the window reopens on the fleet; one click goes back to it). */
  last?: EnvironmentView;
}

export function FleetPage({ environments, onOpen, last }: Props) {
  const [statuses, setStatuses] = useState<Record<string, EnvStatus>>({});
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [at, setAt] = useState<Date | null>(null);
  const busy = useRef(false);

  const refresh = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    setRunning(true);
    setError(null);
    try {
      const all = await commands.fleetStatus(false, (s) => setStatuses((prev) => ({ ...prev, [s.id]: s })));
      setStatuses(Object.fromEntries(all.map((s) => [s.id, s])));
      setAt(new Date());
    } catch (e) {
      setError((e as { message?: string }).message ?? String(e));
    } finally {
      busy.current = false;
      setRunning(false);
    }
  }, []);

  useEffect(() => {
    void refresh();
    const timer = window.setInterval(() => void refresh(), EVERY_MS);
    return () => window.clearInterval(timer);
  }, [refresh]);

  const ids = environments.map((e) => e.id);
  return (
    <section className="fleet-page" data-testid="fleet-page" aria-label="Fleet">
      <div className="fleet-bar">
        <span className="muted" data-testid="fleet-summary">
          {summaryLine(ids, statuses)}
        </span>
        <span className="muted fleet-at">{at ? `checked ${at.toLocaleTimeString()}` : ""}</span>
        {last && (
          <button onClick={() => onOpen(last.id)} data-testid="fleet-continue" title="The environment you used last">
            Back to {last.name}
          </button>
        )}
        <button onClick={() => void refresh()} disabled={running} data-testid="fleet-refresh">
          {running ? "Checking…" : "Refresh"}
        </button>
      </div>
      {error && <div className="error-box">Cannot check the fleet: {error}</div>}
      <div className="fleet-grid">
        {environments.map((env) => (
          <FleetCard key={env.id} env={env} status={statuses[env.id]} onOpen={() => onOpen(env.id)} />
        ))}
      </div>
    </section>
  );
}

function FleetCard({ env, status, onOpen }: { env: EnvironmentView; status?: EnvStatus; onOpen: () => void }) {
  const state = cardState(status);
  const trend = status ? trendText(status) : null;
  const checks = status && !status.error ? failedChecks(status) : null;
  return (
    <article
      className={`fleet-card state-${state} tier-${env.tier}`}
      data-testid={`fleet-card-${env.id}`}
      data-state={state}
      aria-label={`${env.name}: ${stateLabel(status)}`}
    >
      <button className="fleet-open" onClick={onOpen} title={`Open ${env.name}`}>
        <span className="fleet-name">{env.name}</span>
        <span className={`tier-tag tier-${env.tier}`}>{tierLabel[env.tier]}</span>
        {env.read_only && <span className="flag">read-only</span>}
        <span className={`fleet-state state-${state}`} data-testid="fleet-state">
          {stateLabel(status)}
        </span>
      </button>
      {status?.error && (
        <p className="fleet-error" data-testid="fleet-error">
          {status.error}
        </p>
      )}
      {status && !status.error && (
        <>
          <div className="fleet-meta muted">
            RabbitMQ {status.rabbitmq_version ?? "?"} · {status.cluster_name ?? "?"}
            {status.nodes.total > 0 && (
              <span className={status.nodes.running < status.nodes.total ? "fleet-bad" : ""}>
                {" "}
                · {status.nodes.running}/{status.nodes.total} nodes
              </span>
            )}
          </div>
          {status.alarms.length > 0 && (
            <div className="fleet-alarms" role="alert">
              {status.alarms.map((a) => `${a.resource} alarm on ${a.node}`).join(" · ")}
            </div>
          )}
          <dl className="fleet-figures">
            <Figure label="Queues" value={count(status.queues)} />
            <Figure label="Messages" value={count(status.messages)} note={trend} />
            <Figure label="Unacked" value={count(status.messages_unacknowledged)} />
            <Figure label="Dead letters" value={count(status.dead_letters)} bad={(status.dead_letters ?? 0) > 0} testid="fleet-dead" />
            <Figure label="Stalled" value={count(status.stalled_queues)} bad={(status.stalled_queues ?? 0) > 0} testid="fleet-stalled" />
          </dl>
          {status.heaviest_realm && (
            <div className="fleet-realm" data-testid="fleet-heaviest">
              Heaviest realm: <strong>{status.heaviest_realm.realm}</strong>
              {status.heaviest_realm.vhost ? ` (${status.heaviest_realm.vhost})` : ""} —{" "}
              {count(status.heaviest_realm.messages)} messages in {status.heaviest_realm.queues} queue{status.heaviest_realm.queues === 1 ? "" : "s"}
            </div>
          )}
          {checks && (
            <div className="fleet-checks">
              {checks.failed.length === 0 ? (
                <span className="fleet-good" title={status.checks.map((c) => `${c.name}: ${c.detail}`).join("\n")}>
                  ✓ {checks.passed} health checks pass{checks.skipped ? `, ${checks.skipped} skipped` : ""}
                </span>
              ) : (
                <ul data-testid="fleet-failed-checks">
                  {checks.failed.map((c) => (
                    <li key={c.name}>
                      <strong>{c.name}</strong>: {c.detail}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {status.notes.length > 0 && <div className="fleet-notes muted">{status.notes.join(" · ")}</div>}
        </>
      )}
    </article>
  );
}

function Figure({ label, value, note, bad, testid }: { label: string; value: string; note?: string | null; bad?: boolean; testid?: string }) {
  return (
    <div className={bad ? "fleet-bad" : ""} data-testid={testid}>
      <dt>{label}</dt>
      <dd>
        {value}
        {note && <small className="fleet-trend">{note}</small>}
      </dd>
    </div>
  );
}
