// Alerts: every environment's alerts (open ones first, with time, environment and a link to
// the view that shows the subject), and each environment's rules, edited one per line as the
// CLI writes them. New alerts arrive as they open (the core's `alerts://fired` event).
import { useEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { listen } from "@tauri-apps/api/event";
import { commands, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { tierLabel } from "../environments/tier";
import { targetOf, when, type AlertTarget } from "./alertsModel";
import "./alerts.css";

interface Props {
  environments: EnvironmentView[];
  /** The environment whose rules are shown first. */
  first?: string;
  onOpen: (target: AlertTarget) => void;
}

const EXAMPLES = "dlq_growth by=100 within=10m\nno_consumer for=15m\nrealm_backlog above=50000 realm=acme\nnode_down_or_alarm";

export function AlertsPage({ environments, first, onOpen }: Props) {
  const alerts = useQuery({ queryKey: ["alerts"], queryFn: () => commands.alertsList(null, 200), refetchInterval: 30_000 });
  const queryClient = useQueryClient();
  useEffect(() => {
    const off = listen("alerts://fired", () => void queryClient.invalidateQueries({ queryKey: ["alerts"] }));
    return () => void off.then((f) => f());
  }, [queryClient]);
  const names = Object.fromEntries(environments.map((e) => [e.id, e]));
  const list = alerts.data ?? [];
  return (
    <section className="alerts-page" data-testid="alerts-page" aria-label="Alerts">
      {alerts.error && <div className="error-box">Cannot read the alerts: {(alerts.error as unknown as ErrorReport).message}</div>}
      {alerts.isSuccess && list.length === 0 && (
        <p className="muted" data-testid="alerts-empty">
          No alerts. Rules are evaluated on each sample of an environment (every refresh, and the background sampler while the window shows it; <code>warren watch</code> too).
        </p>
      )}
      {list.length > 0 && (
        <table className="alerts-table" data-testid="alerts-table">
          <thead>
            <tr>
              <th>State</th>
              <th>Environment</th>
              <th>Since</th>
              <th>Alert</th>
              <th>Rule</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((a) => (
              <tr key={`${a.env}/${a.rule_id}/${a.subject}/${a.first_at}`} className={a.resolved_at ? "resolved" : "firing"} data-testid="alert-row">
                <td>{a.resolved_at ? `resolved ${when(a.resolved_at)}` : <strong className="alert-firing">FIRING</strong>}</td>
                <td>
                  {names[a.env]?.name ?? a.env}{" "}
                  {names[a.env] && <span className={`tier-tag tier-${names[a.env].tier}`}>{tierLabel[names[a.env].tier]}</span>}
                </td>
                <td title={a.first_at}>{when(a.first_at)}</td>
                <td>{a.message}</td>
                <td>
                  <code>{a.rule_id}</code>
                </td>
                <td>
                  {names[a.env] && (
                    <button className="ghost" onClick={() => onOpen(targetOf(a))} data-testid="alert-open">
                      Show
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <RulesEditor environments={environments} first={first} />
    </section>
  );
}

function RulesEditor({ environments, first }: { environments: EnvironmentView[]; first?: string }) {
  const [envId, setEnvId] = useState(first ?? environments[0]?.id ?? "");
  const rules = useQuery({ queryKey: ["alert-rules", envId], queryFn: () => commands.alertRules(envId), enabled: !!envId });
  const [text, setText] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const save = useMutation<unknown, ErrorReport, string[]>({
    mutationFn: (lines) => commands.setAlertRules(envId, lines),
    onSuccess: () => {
      setText(null);
      void queryClient.invalidateQueries({ queryKey: ["alert-rules", envId] });
      void queryClient.invalidateQueries({ queryKey: ["environments"] });
    },
  });
  const shown = text ?? (rules.data ?? []).join("\n");
  return (
    <div className="card alerts-rules">
      <div className="card-head">
        <h2>Rules</h2>
        <label className="alerts-env">
          of{" "}
          <select
            value={envId}
            onChange={(e) => {
              setEnvId(e.target.value);
              setText(null);
              save.reset();
            }}
            data-testid="alert-rules-env"
          >
            {environments.map((e) => (
              <option key={e.id} value={e.id}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted">
        One rule a line: <code>dlq_growth by=N within=10m</code>, <code>no_consumer for=15m</code>, <code>realm_backlog above=N</code>, <code>node_down_or_alarm</code>; add{" "}
        <code>queue=Q</code> or <code>realm=R</code> to narrow one, <code>id=NAME</code> to tell two apart.
      </p>
      <textarea
        rows={5}
        value={shown}
        placeholder={EXAMPLES}
        onChange={(e) => setText(e.target.value)}
        aria-label="Alert rules, one per line"
        data-testid="alert-rules"
      />
      {save.error && (
        <div className="error-box" data-testid="alert-rules-error">
          {save.error.fields.length ? save.error.fields.map((f) => f.message).join("; ") : save.error.message}
        </div>
      )}
      <div className="actions">
        <button className="primary" disabled={text === null || save.isPending} onClick={() => save.mutate(shown.split("\n"))} data-testid="alert-rules-save">
          {save.isPending ? "Saving…" : "Save rules"}
        </button>
        {save.isSuccess && text === null && <span className="muted">Saved: evaluated from the next sample.</span>}
      </div>
    </div>
  );
}
