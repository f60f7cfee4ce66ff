// Edit one dead letter and retry the edited copy to the queue it died in: the whole body opens in
// the editor (pretty JSON, text, or base64 for binary), headers are set or removed, the diff and
// the changed header names are shown before anything is sent. The core acks the original only
// after the broker confirmed the copy; the audit log keeps both bodies' SHA-256 and the changed
// header names, never the body.
import { useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { refreshAfterChange } from "../../ipc/afterChange";
import { asErrorReport, commands, type EditPreview, type EditRequest, type EditRetryReport } from "../../ipc/commands";
import type { BodyFormat } from "../../ipc/bindings/BodyFormat";
import type { DeadLetter } from "../../ipc/bindings/DeadLetter";
import { Modal } from "../../common/Modal";
import { nameConfirmed } from "../environments/writeGuards";
import { ReadOnlyWarning, TypedNameField, type ChangeDialogProps } from "../environments/WriteGuard";
import { BodyEditor } from "../messages/BodyEditor";
import { bodyProblem, messageBody, parseHeaderLines, parseNames } from "../messages/messageForm";

interface Props extends ChangeDialogProps {
  vhost: string;
  queue: string;
  message: DeadLetter;
}

export function EditRetryDialog({ env, vhost, queue, message, onClose, onDone }: Props) {
  const [format, setFormat] = useState<BodyFormat>("json");
  const [body, setBody] = useState<string | null>(null);
  const [setText, setSetText] = useState("");
  const [removeText, setRemoveText] = useState("");
  const [preview, setPreview] = useState<EditPreview | null>(null);
  const [report, setReport] = useState<EditRetryReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [typed, setTyped] = useState("");
  const client = useQueryClient();

  const headers = parseHeaderLines(setText);
  const remove = parseNames(removeText);
  const request = (): EditRequest => ({
    vhost,
    queue,
    id: message.key,
    body: body === null ? undefined : messageBody(format, body),
    set_headers: headers.headers,
    remove_headers: remove,
    insist: false,
  });

  // The editor opens on the whole body (the message view holds only a preview of a big one).
  useEffect(() => {
    let live = true;
    commands
      .dlqEditPreview(env.id, { vhost, queue, id: message.key, set_headers: {}, remove_headers: [], insist: false })
      .then((p) => {
        if (!live) return;
        setFormat(p.original_body.format);
        setBody(p.original_body.content);
      })
      .catch((e) => live && setError(asErrorReport(e).message));
    return () => {
      live = false;
    };
  }, [env.id, vhost, queue, message.key]);

  async function run(what: "preview" | "retry") {
    setBusy(true);
    setError(null);
    try {
      if (what === "preview") setPreview(await commands.dlqEditPreview(env.id, request()));
      else {
        const r = await commands.dlqEditRetry(env.id, request());
        setReport(r);
        setPreview(r.preview);
        void refreshAfterChange(client, env.id);
        onDone();
      }
    } catch (e) {
      setError(asErrorReport(e).message);
    } finally {
      setBusy(false);
    }
  }

  const problem = body === null ? "reading the message…" : (bodyProblem(format, body) ?? headers.error);
  // A preview is of one edit: any change to the form asks for a new one before retrying.
  const edited = (f: () => void) => {
    f();
    setPreview(null);
  };
  const title = String(message.properties["message_id"] ?? `message #${message.position}`);
  return (
    <Modal title={`Edit and retry ${title}`} className="wide" testId="edit-retry-dialog" onClose={busy ? undefined : onClose}>
      <ReadOnlyWarning env={env} action="this retry" />
      <p className="muted small">
        From <code>{queue}</code> back to <code>{message.origin ?? "(no origin)"}</code>, the queue it died in. The original leaves the DLQ only after the broker confirmed
        the edited copy.
      </p>
      {body !== null && !report && (
        <>
          <BodyEditor format={format} content={body} onChange={(f, c) =>
              edited(() => {
                setFormat(f);
                setBody(c);
              })
            } testId="edit-body" rows={12} />
          <div className="grid2">
            <label className="field">
              <span className="label">Set headers, key=value per line</span>
              <textarea className="mono" rows={3} value={setText} onChange={(ev) => edited(() => setSetText(ev.target.value))} data-testid="edit-set-headers" spellCheck={false} />
              {headers.error && <span className="error-text">{headers.error}</span>}
            </label>
            <label className="field">
              <span className="label">Remove headers (names)</span>
              <textarea className="mono" rows={3} value={removeText} onChange={(ev) => edited(() => setRemoveText(ev.target.value))} data-testid="edit-remove-headers" spellCheck={false} />
            </label>
          </div>
        </>
      )}
      {preview && (
        <div data-testid="edit-preview">
          <h3>
            Changes{" "}
            <span className="muted small">
              {preview.body_changed ? "body changed" : "body unchanged"} · {preview.changed_headers.length ? `headers: ${preview.changed_headers.join(", ")}` : "no header changed"}
            </span>
          </h3>
          {preview.body_changed && (
            <div className="diff" data-testid="edit-diff" role="region" aria-label="Body diff" tabIndex={0}>
              {preview.diff.map((l, i) => (
                <div key={i} className={l.change}>
                  {l.change === "added" ? "+ " : l.change === "removed" ? "- " : "  "}
                  {l.text}
                </div>
              ))}
              {preview.diff_truncated && <div className="muted">… the diff is cut short</div>}
            </div>
          )}
          <div className="muted small">
            To <code>{preview.destination ?? "— no origin: it cannot be retried"}</code> · SHA-256 {preview.original_sha256.slice(0, 10)}… → {preview.edited_sha256.slice(0, 10)}… · {preview.cost}
          </div>
        </div>
      )}
      {!report && <TypedNameField env={env} value={typed} onChange={setTyped} testId="edit-confirm-name" />}
      {error && (
        <div className="error-box" data-testid="edit-error">
          {error}
        </div>
      )}
      {report && (
        <div className={report.retried ? "ok-box" : "warning-box inline"} data-testid="edit-result">
          {report.retried
            ? `Retried: the edited copy is in ${report.preview.destination} (replay ${report.replay_id ?? "?"}) and the original left ${queue}.`
            : `Not retried: the original stays in ${queue}.`}
        </div>
      )}
      <div className="form-actions">
        <span className="spacer" />
        <button onClick={onClose} disabled={busy}>
          {report ? "Close" : "Cancel"}
        </button>
        {!report && (
          <>
            <button disabled={busy || problem !== null} onClick={() => void run("preview")} data-testid="edit-preview-button">
              Show changes
            </button>
            <button
              className="primary"
              disabled={busy || problem !== null || !preview || !preview.destination || !nameConfirmed(env, typed)}
              title={preview ? undefined : "Show the changes first"}
              onClick={() => void run("retry")}
              data-testid="edit-retry-button"
            >
              {busy ? "Working…" : "Retry edited copy"}
            </button>
          </>
        )}
      </div>
    </Modal>
  );
}
