// Import rabbitmqadmin-ng's config: sections become environments, passwords go to the keyring.
import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { commands, type ErrorReport } from "../../ipc/commands";
import { Modal } from "../../common/Modal";

export function ImportDialog({ onClose, onImported }: { onClose: () => void; onImported: () => void }) {
  const [path, setPath] = useState("");
  const run = useMutation({ mutationFn: () => commands.importRabbitmqadmin(path || null), onSuccess: onImported });
  const error = run.error as unknown as ErrorReport | null;
  return (
    <Modal title="Import rabbitmqadmin.conf" onClose={onClose}>
      <label className="field">
        <span className="label">File</span>
        <input value={path} placeholder="~/.rabbitmqadmin.conf" onChange={(ev) => setPath(ev.target.value)} />
      </label>
      {error && <div className="error-box">{error.message}</div>}
      {run.data && (
        <div className="import-report">
          {run.data.imported.map((i) => (
            <div key={i.section} className="ok-text">
              ✓ [{i.section}] → <code>{i.id}</code> {i.has_secret ? "(password in keyring)" : "(no password)"}
            </div>
          ))}
          {run.data.skipped.map((s) => (
            <div key={s.section} className="warn-text">
              skipped [{s.section}]: {s.reason}
            </div>
          ))}
          {run.data.imported.length + run.data.skipped.length === 0 && <div className="muted">No sections found.</div>}
        </div>
      )}
      <div className="form-actions">
        <span className="spacer" />
        <button className="ghost" onClick={onClose}>
          Close
        </button>
        <button className="primary" onClick={() => run.mutate()} disabled={run.isPending}>
          Import
        </button>
      </div>
    </Modal>
  );
}
