// Edit the environment's realm template with a live preview on the loaded queues: how many
// match, how many realms and workers result, examples of matched and unmatched names. Empty
// or `auto` means the suggestion. Saving re-reads the queues so every view uses it.
import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { commands, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";

export function TemplateEditor({ env, current, onClose }: { env: EnvironmentView; current: string | null; onClose: () => void }) {
  const [text, setText] = useState(env.realm_template ?? "auto");
  const client = useQueryClient();
  const preview = useQuery({
    queryKey: queryKeys.realmPreview(env.id, text),
    queryFn: () => commands.realmsPreview(env.id, text),
    placeholderData: (prev) => prev,
  });
  const save = useMutation({
    mutationFn: () => {
      const { has_secret: _unused, armed_until: _armed, ...environment } = env;
      const t = text.trim();
      return commands.updateEnvironment(env.id, { ...environment, realm_template: t === "" || t === "auto" ? undefined : t }, null);
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.environments() });
      void client.invalidateQueries({ queryKey: queryKeys.inventory(env.id) });
      onClose();
    },
  });
  const p = preview.data;
  const saveError = save.error as unknown as ErrorReport | null;
  return (
    <div className="template-editor" data-testid="template-editor">
      <label className="field">
        <span className="label">
          Realm template — <code>{"{worker}.{realm}"}</code>, <code>{"{worker}.worker.realm-{realm}"}</code>, <code>/(?P&lt;worker&gt;…)(?P&lt;realm&gt;…)/</code>,{" "}
          <code>vhost</code>, or <code>auto</code> for the suggestion{current ? ` (now: ${current})` : ""}
        </span>
        <input data-testid="template-input" value={text} onChange={(ev) => setText(ev.target.value)} spellCheck={false} />
      </label>
      {p?.error && <div className="error-text">{p.error}</div>}
      {p && !p.error && (
        <div data-testid="template-preview">
          {p.template ? (
            <>
              <code>{p.template}</code> maps <b>{p.matched.toLocaleString("en-US")}</b> queues to <b>{p.realms}</b> realms and <b>{p.workers}</b>{" "}
              workers; {p.unmatched.toLocaleString("en-US")} stay unpartitioned
              {p.excluded ? ` and ${p.excluded.toLocaleString("en-US")} are excluded by the environment` : ""}.
              {p.reason && (
                <p className="muted" data-testid="template-reason">
                  {/* The reason quotes names in backticks: show them as code. */}
                  {p.reason.split("`").map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part))}
                </p>
              )}
            </>
          ) : (
            "Nothing to suggest: no names repeat a segment across several workers."
          )}
          <div className="preview-examples">
            <ul className="plain">
              {p.examples_matched.map((e) => (
                <li key={`${e.vhost}/${e.name}`}>
                  <code>{e.name}</code> → worker <b>{e.worker}</b>, realm <b>{e.realm}</b>
                </li>
              ))}
            </ul>
            <ul className="plain muted">
              {p.examples_unmatched.map((n) => (
                <li key={n}>
                  <code>{n}</code> (unpartitioned)
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
      {saveError && <div className="error-box">{saveError.message}</div>}
      <div className="form-actions">
        <span className="spacer" />
        <button className="ghost" onClick={onClose}>
          Cancel
        </button>
        <button className="primary" data-testid="template-save" disabled={!!p?.error || save.isPending} onClick={() => save.mutate()}>
          Save template
        </button>
      </div>
    </div>
  );
}
