// A policy for one realm's queues: limits (max-length, max-length-bytes, message-ttl, overflow)
// and a priority; the plan (generated pattern, the queues it matches, the policies it would
// override or lose to) is shown before anything is applied, prod asks for the environment's
// name, and the core refuses on a read-only environment. Below: Warren's policies, removable.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { commands, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { refreshAfterChange } from "../../ipc/afterChange";
import { nameConfirmed } from "../environments/writeGuards";
import { ReadOnlyWarning, TypedNameField } from "../environments/WriteGuard";
import { Modal } from "../../common/Modal";
import { policySettings } from "./policyModel";

const LIMITS = [
  { key: "max-length", label: "max-length (messages)" },
  { key: "max-length-bytes", label: "max-length-bytes" },
  { key: "message-ttl", label: "message-ttl (ms)" },
];
const OVERFLOW = ["", "drop-head", "reject-publish", "reject-publish-dlx"];

/** `vhost`: only the realm's queues in that vhost (null: in every loaded vhost). */
export function PolicyDialog({ env, realm, vhost = null, onClose }: { env: EnvironmentView; realm: string; vhost?: string | null; onClose: () => void }) {
  const [limits, setLimits] = useState<Record<string, string>>({ "max-length": "", "max-length-bytes": "", "message-ttl": "" });
  const [overflow, setOverflow] = useState("");
  const [priority, setPriority] = useState(10);
  const [typed, setTyped] = useState("");
  const client = useQueryClient();
  const settings = policySettings(limits, overflow);
  const plan = useQuery({
    queryKey: queryKeys.realmPolicyPlan(env.id, realm, settings, priority, vhost),
    queryFn: () => commands.realmPolicy(env.id, realm, null, settings, priority, false, vhost),
    enabled: settings.length > 0,
    retry: false,
  });
  const policies = useQuery({ queryKey: queryKeys.realmPolicies(env.id), queryFn: () => commands.realmPolicies(env.id) });
  // A policy changes the queues' effective policy and limits: every view of them asks again.
  const reloadPolicies = () => void refreshAfterChange(client, env.id);
  const apply = useMutation({
    mutationFn: () => commands.realmPolicy(env.id, realm, null, settings, priority, true, vhost),
    onSuccess: reloadPolicies,
  });
  const remove = useMutation({
    mutationFn: (p: { vhost: string; name: string }) => commands.removeRealmPolicy(env.id, p.vhost, p.name),
    onSuccess: reloadPolicies,
  });
  const armed = settings.length > 0 && plan.isSuccess && nameConfirmed(env, typed);
  const error = (plan.error ?? apply.error ?? remove.error) as unknown as ErrorReport | null;
  const p = plan.data;
  return (
    <Modal title={`Policy for realm “${realm}” in “${env.name}”`} testId="policy-dialog" onClose={onClose}>
      <ReadOnlyWarning env={env} action="to apply it" />
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
      <TypedNameField env={env} value={typed} onChange={setTyped} />
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
    </Modal>
  );
}
