// The audit log: every change Warren made from this machine (app and CLI), newest first,
// filtered by environment, action and time, with the state of its chain (hashes, MACs, and the
// head kept in the OS keyring). A change started and never finished stands out.
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { commands, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { describeChain, describeChanges, describeCounts, filterRecords, outcomeOf, unfinished } from "./auditModel";
import { formatTimestamp } from "../../common/time";

export function AuditPage({ environments }: { environments: EnvironmentView[] }) {
  const records = useQuery({ queryKey: queryKeys.audit(), queryFn: commands.auditList });
  const chain = useQuery({ queryKey: queryKeys.auditVerify(records.dataUpdatedAt), queryFn: commands.auditVerify, enabled: records.isSuccess });
  const [environment, setEnvironment] = useState("");
  const [action, setAction] = useState("");
  const [since, setSince] = useState("");
  const shown = useMemo(() => filterRecords(records.data ?? [], { environment, action, since }), [records.data, environment, action, since]);
  const error = (records.error ?? chain.error) as unknown as ErrorReport | null;
  const open = useMemo(() => unfinished(records.data ?? []), [records.data]);
  const chainState = chain.data ? describeChain(chain.data) : null;
  const actions = useMemo(() => [...new Set((records.data ?? []).map((r) => r.action))].sort(), [records.data]);
  return (
    <section className="queues-page" data-testid="audit-page">
      <div className="queues-toolbar audit-toolbar">
        <select value={environment} onChange={(ev) => setEnvironment(ev.target.value)} data-testid="audit-env" aria-label="Environment">
          <option value="">all environments</option>
          {environments.map((e) => (
            <option key={e.id} value={e.id}>
              {e.name}
            </option>
          ))}
        </select>
        <select value={action} onChange={(ev) => setAction(ev.target.value)} data-testid="audit-action" aria-label="Action">
          <option value="">all actions</option>
          {actions.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
        <label className="auto-refresh">
          since
          <input type="date" value={since} onChange={(ev) => setSince(ev.target.value)} data-testid="audit-since" />
        </label>
        <span className="spacer" />
        {chainState && (
          <span className={chainState.ok ? "count" : "error-text"} data-testid="audit-chain">
            {chainState.text}
          </span>
        )}
        <button className="fixed-width" onClick={() => void records.refetch()} disabled={records.isFetching}>
          {records.isFetching ? "Reading…" : "Refresh"}
        </button>
      </div>
      {error && <div className="error-box">{error.message}</div>}
      <div className="dlq-table audit-table grid-table" role="table" aria-label="Audit records" data-testid="audit-table" tabIndex={0}>
        <div className="audit-row dlq-head" role="row">
          <span role="columnheader">#</span>
          <span role="columnheader">Time</span>
          <span role="columnheader">Environment</span>
          <span role="columnheader">Action</span>
          <span role="columnheader">Targets</span>
          <span role="columnheader">Outcome</span>
          <span role="columnheader">Counts</span>
          <span role="columnheader">Who</span>
        </div>
        {shown.slice(0, 2000).map((r) => (
          <div key={r.seq} className="audit-row" role="row" data-testid="audit-row" title={[describeChanges(r.parameters), JSON.stringify(r.parameters)].filter(Boolean).join("\n")}>
            <span role="cell" className="muted">{r.seq}</span>
            <span role="cell" className="nowrap" title={new Date(r.time).toLocaleString()}>
              {formatTimestamp(Date.parse(r.time))}
            </span>
            <span role="cell" className="wrap">
              {r.environment} <span className="muted">({r.tier})</span>
            </span>
            <span role="cell" className="wrap">{r.action}</span>
            <span role="cell" className="wrap">{[r.vhost, r.targets.join(", ")].filter(Boolean).join(" · ")}</span>
            {(() => {
              const o = outcomeOf(r, open);
              return (
                <span role="cell" className={`wrap ${{ ok: "", muted: "muted", warn: "warn-text", error: "error-text" }[o.tone]}`} data-testid="audit-outcome">
                  {o.text}
                </span>
              );
            })()}
            <span role="cell" className="wrap muted" data-col="counts">
              {[describeChanges(r.parameters), describeCounts(r.counts)].filter(Boolean).join(" · ")}
            </span>
            <span role="cell" className="muted wrap">
              {r.os_user}@{r.host}
            </span>
          </div>
        ))}
        {records.data && shown.length === 0 && (
          <div className="muted" role="row" style={{ padding: 10, gridColumn: "1 / -1" }}>
            <span role="cell">No records.</span>
          </div>
        )}
      </div>
    </section>
  );
}
