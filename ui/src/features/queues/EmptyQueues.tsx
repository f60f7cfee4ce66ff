// What the queue screen shows instead of a blank table when there are no queues: why, and (where
// changes are allowed) the demo topology, as `warren demo seed` builds it, one click away. On
// prod the environment's name is typed first, as for every change.
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { commands, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { refreshAfterChange } from "../../ipc/afterChange";
import { Modal } from "../../common/Modal";
import { nameConfirmed } from "../environments/writeGuards";
import { ReadOnlyWarning, TypedNameField } from "../environments/WriteGuard";
import { formatCount } from "./format";
import { demoVhost, emptyState } from "./emptyState";

interface Props {
  env: EnvironmentView;
  /** Queues in the whole loaded inventory. */
  loaded: number;
  /** The vhost picked in the window (null: all). */
  scope: string | null;
}

export function EmptyQueues({ env, loaded, scope }: Props) {
  const [asking, setAsking] = useState(false);
  const state = emptyState(env, loaded, scope);
  return (
    <div className="empty-state" data-testid="queues-empty">
      <p data-testid="queues-empty-why">{state.why}</p>
      {state.offerDemo && (
        <>
          <p className="muted">
            To look around, load the demo topology into vhost <code>{demoVhost(env)}</code>: 40 workers × 12 realms, dead-letter queues with
            messages that were rejected, expired or over a length limit (the same as <code>warren demo seed</code>).
          </p>
          <button className="primary" data-testid="demo-load" onClick={() => setAsking(true)}>
            Load demo topology…
          </button>
        </>
      )}
      {asking && <DemoDialog env={env} onClose={() => setAsking(false)} />}
    </div>
  );
}

function DemoDialog({ env, onClose }: { env: EnvironmentView; onClose: () => void }) {
  const [typed, setTyped] = useState("");
  const client = useQueryClient();
  const vhost = demoVhost(env);
  const seed = useMutation({ mutationFn: () => commands.demoSeed(env.id) });
  // The queues are reloaded on closing: the reload replaces this empty state (and the dialog
  // in it), so the result stays readable until then.
  const close = () => {
    if (seed.data || seed.error) void refreshAfterChange(client, env.id);
    onClose();
  };
  const error = seed.error as unknown as ErrorReport | null;
  const r = seed.data;
  return (
    <Modal title={`Load the demo topology into “${env.name}”`} testId="demo-dialog" onClose={seed.isPending ? undefined : close}>
      <ReadOnlyWarning env={env} action="it" />
      {!r && (
        <>
          <p>
            Creates vhost <code>{vhost}</code> (it must hold no queue: the demo recreates it) with about 480 queues, their exchanges and
            dead-letter queues, and a few thousand small messages. <code>warren demo clean --vhost {vhost}</code> removes it.
          </p>
          <TypedNameField env={env} value={typed} onChange={setTyped} testId="demo-confirm-name" />
        </>
      )}
      {seed.isPending && (
        <div className="muted" data-testid="demo-progress">
          Loading the demo topology: declaring queues and publishing messages (a few seconds)…
        </div>
      )}
      {r && (
        <div data-testid="demo-result">
          Seeded vhost <code>{r.vhost}</code>: {formatCount(r.queues)} queues, {formatCount(r.messages)} messages waiting,{" "}
          {formatCount(r.dead_lettered)} dead-lettered.
        </div>
      )}
      {error && (
        <div className="error-box" data-testid="demo-error">
          {error.message}
        </div>
      )}
      <div className="form-actions">
        <span className="spacer" />
        <button className="ghost" onClick={close} disabled={seed.isPending} data-testid="demo-close">
          {r ? "Close" : "Cancel"}
        </button>
        {!r && (
          <button className="primary" data-testid="demo-confirm" disabled={!nameConfirmed(env, typed) || seed.isPending} onClick={() => seed.mutate()}>
            {seed.isPending ? "Loading…" : "Load demo"}
          </button>
        )}
      </div>
    </Modal>
  );
}
