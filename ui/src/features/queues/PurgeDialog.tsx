// Confirm a purge: what it would touch (the queues and their last known depth) first; on prod
// the environment's name must be typed. The core refuses on a read-only environment.
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { refreshAfterChange } from "../../ipc/afterChange";
import { commands, type ErrorReport } from "../../ipc/commands";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { formatCount } from "./format";
import { nameConfirmed } from "../environments/writeGuards";
import { ReadOnlyWarning, TypedNameField, type ChangeDialogProps } from "../environments/WriteGuard";
import { Modal } from "../../common/Modal";
import { QueueList } from "./QueueList";
import { purgedMessages, queueCount, totalMessages } from "./queueActionsModel";

interface Props extends ChangeDialogProps {
  targets: QueueRow[];
}

export function PurgeDialog({ env, targets, onClose, onDone }: Props) {
  const [typed, setTyped] = useState("");
  const client = useQueryClient();
  const run = useMutation({
    mutationFn: () => commands.purgeQueues(env.id, targets.map((t) => ({ vhost: t.vhost, name: t.name })), false),
    // Also after a refusal or a partial purge: the numbers may have changed.
    onSettled: () => {
      void refreshAfterChange(client, env.id);
      onDone();
    },
  });
  const error = run.error as unknown as ErrorReport | null;

  return (
    <Modal title={`Purge ${queueCount(targets.length)} in “${env.name}”`} testId="purge-dialog" onClose={onClose}>
      {run.data ? (
        <div data-testid="purge-result">
          Purged {formatCount(purgedMessages(run.data))} messages from {run.data.purged.length} queue(s).
          {run.data.failed.map((f) => (
            <div key={`${f.vhost}/${f.name}`} className="error-text">
              {f.vhost}/{f.name}: {f.error}
            </div>
          ))}
        </div>
      ) : (
        <>
          <ReadOnlyWarning env={env} action="this purge" />
          <p>
            Every message in these queues is deleted (about {formatCount(totalMessages(targets))} now). The queues stay. This cannot be undone.
          </p>
          <QueueList queues={targets} max={50} />
          <TypedNameField env={env} value={typed} onChange={setTyped} testId="purge-confirm-name" />
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
          <button className="danger" data-testid="purge-confirm" disabled={!nameConfirmed(env, typed) || run.isPending} onClick={() => run.mutate()}>
            {run.isPending ? "Purging…" : "Purge"}
          </button>
        )}
      </div>
    </Modal>
  );
}
