// A policy for one realm's queues: limits (max-length, max-length-bytes, message-ttl, overflow)
// and a priority; the plan (generated pattern, the queues it matches, the policies it would
// override or lose to) is shown before anything is applied, prod asks for the environment's
// name, and the core refuses on a read-only environment. Below: Warren's policies, removable.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { commands, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { refusesWrites } from "../environments/ArmControl";

const LIMITS = [
  { key: "max-length", label: "max-length (messages)" },
  { key: "max-length-bytes", label: "max-length-bytes" },
  { key: "message-ttl", label: "message-ttl (ms)" },
];
const OVERFLOW = ["", "drop-head", "reject-publish", "reject-publish-dlx"];

/** The KEY=VALUE settings the core takes, from the form's fields (blank ones left out). */
export function policySettings(limits: Record<string, string>, overflow: string): string[] {
  const out = Object.entries(limits)
    .filter(([, v]) => v.trim() !== "")
    .map(([k, v]) => `${k}=${v.trim()}`);
  if (overflow) out.push(`overflow=${overflow}`);
  return out;
}

export function PolicyDialog({ env, realm, onClose }: { env: EnvironmentView; realm: string; onClose: () => void }) {
  const [limits, setLimits] = useState<Record<string, string>>({ "max-length": "", "max-length-bytes": "", "message-ttl": "" });
  const [overflow, setOverflow] = useState("");
  const [priority, setPriority] = useState(10);
  const [typed, setTyped] = useState("");
  const client = useQueryClient();
  const settings = policySettings(limits, overflow);
  const plan = useQuery({
    queryKey: ["realm-policy-plan", env.id, realm, settings.join("\n"), priority],
    queryFn: () => commands.realmPolicy(env.id, realm, null, settings, priority, false),
    enabled: settings.length > 0,
    retry: false,
  });
  const policies = useQuery({ queryKey: ["realm-policies", env.id], queryFn: () => commands.realmPolicies(env.id) });
  const apply = useMutation({
    mutationFn: () => commands.realmPolicy(env.id, realm, null, settings, priority, true),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["realm-policies", env.id] }),
  });
  const remove = useMutation({
    mutationFn: (p: { vhost: string; name: string }) => commands.removeRealmPolicy(env.id, p.vhost, p.name),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["realm-policies", env.id] }),
  });
  const armed = settings.length > 0 && plan.isSuccess && (env.tier !== "prod" || typed === env.name);
  const error = (plan.error ?? apply.error ?? remove.error) as unknown as ErrorReport | null;
  const p = plan.data;
  return (
    <div className="modal-backdrop" onMouseDown={(ev) => ev.target === ev.currentTarget && onClose()}>
      <div className="modal" data-testid="policy-dialog">
        <h2>Policy for realm “{realm}” in “{env.name}”</h2>
        {refusesWrites(env) && <div className="warning-box inline">“{env.name}” is read-only: Warren will refuse to apply it.</div>}
        <div className="policy-fields">
          {LIMITS.map((l) => (
            <label key={l.key} className="field">
              <span className="label">{l.label}</span>
              <input
                inputMode="numeric"
                data-testid={`policy-${l.key}`}
                value={limits[l.key]}
                onChange={(ev) => setLimits({ ...limits, [l.key]: ev.target.value })}
              />
            </label>
          ))}
          <label className="field">
            <span className="label">overflow</span>
            <select value={overflow} onChange={(ev) => setOverflow(ev.target.value)}>
              {OVERFLOW.map((o) => (
                <option key={o} value={o}>
                  {o || "(broker default)"}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="label">priority</span>
            <input type="number" value={priority} onChange={(ev) => setPriority(Number(ev.target.value) || 0)} />
          </label>
        </div>
        {p && (
          <div data-testid="policy-plan">
            <code>{p.name}</code> with pattern <code>{p.pattern}</code> in {p.vhosts.join(", ")} matches exactly the realm's{" "}
            <b>{p.queues.length}</b> queues.
            {p.overrides.length > 0 && <div className="muted">Replaces the current policy of: {p.overrides.join(", ")}</div>}
            {p.loses_to.length > 0 && (
              <div className="warning-box inline">
                No effect on {p.loses_to.length} queue(s) whose policy has an equal or higher priority: {p.loses_to.slice(0, 5).join(", ")}. Raise the
                priority.
              </div>
            )}
          </div>
        )}
        {env.tier === "prod" && (
          <label className="field">
            <span className="label">Type the environment's name, “{env.name}”, to confirm</span>
            <input value={typed} onChange={(ev) => setTyped(ev.target.value)} />
          </label>
        )}
        {apply.data && <div data-testid="policy-applied">Applied {apply.data.name} to {apply.data.queues.length} queues.</div>}
        {error && <div className="error-box">{error.message}</div>}
        <h3>Warren's policies</h3>
        <ul className="plain" data-testid="policy-list">
          {policies.data?.length === 0 && <li className="muted">none</li>}
          {policies.data?.map((w) => (
            <li key={`${w.vhost}/${w.name}`}>
              <code>{w.name}</code> in <code>{w.vhost}</code> · {JSON.stringify(w.definition)} · priority {w.priority}{" "}
              <button className="ghost danger" onClick={() => remove.mutate({ vhost: w.vhost, name: w.name })}>
                Remove
              </button>
            </li>
          ))}
        </ul>
        <div className="form-actions">
          <span className="spacer" />
          <button className="ghost" data-testid="policy-close" onClick={onClose}>
            Close
          </button>
          <button className="primary" data-testid="policy-apply" disabled={!armed || apply.isPending} onClick={() => apply.mutate()}>
            Apply policy
          </button>
        </div>
      </div>
    </div>
  );
}
