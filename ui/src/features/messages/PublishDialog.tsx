// Publish one message by hand: exchange and routing key (from a queue's drawer: the default
// exchange and the queue's name), the usual properties, headers as key=value lines, and a body
// typed or loaded from a file (JSON checked, text, or base64 for binary). The core publishes with
// confirm and mandatory, refuses on a read-only environment and audits the body's SHA-256.
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { refreshAfterChange } from "../../ipc/afterChange";
import { asErrorReport, commands, type PublishReport } from "../../ipc/commands";
import type { BodyFormat } from "../../ipc/bindings/BodyFormat";
import type { MessageProperties } from "../../ipc/bindings/MessageProperties";
import { Modal } from "../../common/Modal";
import { nameConfirmed } from "../environments/writeGuards";
import { ReadOnlyWarning, TypedNameField, type ChangeDialogProps } from "../environments/WriteGuard";
import { formatBytes } from "../queues/format";
import { BodyEditor } from "./BodyEditor";
import { bodyProblem, messageBody, parseHeaderLines } from "./messageForm";

interface Props extends ChangeDialogProps {
  vhost: string;
  exchange: string;
  routingKey: string;
}

export function PublishDialog({ env, vhost, exchange: initialExchange, routingKey: initialKey, onClose, onDone }: Props) {
  const [exchange, setExchange] = useState(initialExchange);
  const [routingKey, setRoutingKey] = useState(initialKey);
  const [format, setFormat] = useState<BodyFormat>("json");
  const [body, setBody] = useState("{\n  \n}");
  const [contentType, setContentType] = useState("application/json");
  const [messageId, setMessageId] = useState("");
  const [persistent, setPersistent] = useState(true);
  const [headerText, setHeaderText] = useState("");
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<PublishReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const client = useQueryClient();

  const headers = parseHeaderLines(headerText);
  const problem = bodyProblem(format, body) ?? headers.error ?? (exchange === "" && routingKey.trim() === "" ? "The default exchange needs a routing key: the queue's name." : null);
  const armed = !problem && nameConfirmed(env, typed);

  async function publish() {
    setBusy(true);
    setError(null);
    const properties: MessageProperties = { delivery_mode: persistent ? 2 : 1 };
    if (contentType.trim()) properties.content_type = contentType.trim();
    if (messageId.trim()) properties.message_id = messageId.trim();
    try {
      const r = await commands.publishMessage(env.id, { vhost, exchange, routing_key: routingKey, properties, headers: headers.headers, body: messageBody(format, body) });
      setReport(r);
      void refreshAfterChange(client, env.id);
      onDone();
    } catch (e) {
      setError(asErrorReport(e).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title={`Publish a message in “${env.name}”`} className="wide" testId="publish-dialog" onClose={busy ? undefined : onClose}>
      <ReadOnlyWarning env={env} action="to publish" />
      <p className="muted small">
        Vhost <code>{vhost}</code>. Sent with a publisher confirm and <code>mandatory</code>: a message no queue receives is returned and reported, not lost silently.
      </p>
      <div className="grid2">
        <label className="field">
          <span className="label">Exchange (empty: the default exchange)</span>
          <input data-testid="publish-exchange" value={exchange} onChange={(ev) => setExchange(ev.target.value)} spellCheck={false} />
        </label>
        <label className="field">
          <span className="label">Routing key</span>
          <input data-testid="publish-routing-key" value={routingKey} onChange={(ev) => setRoutingKey(ev.target.value)} spellCheck={false} />
        </label>
        <label className="field">
          <span className="label">Content type</span>
          <input data-testid="publish-content-type" value={contentType} onChange={(ev) => setContentType(ev.target.value)} spellCheck={false} />
        </label>
        <label className="field">
          <span className="label">Message id (optional)</span>
          <input data-testid="publish-message-id" value={messageId} onChange={(ev) => setMessageId(ev.target.value)} spellCheck={false} />
        </label>
      </div>
      <label className="check-field">
        <input type="checkbox" checked={persistent} onChange={(ev) => setPersistent(ev.target.checked)} /> Persistent (delivery mode 2)
      </label>
      <label className="field">
        <span className="label">Headers, one key=value per line (values are strings)</span>
        <textarea data-testid="publish-headers" rows={3} value={headerText} onChange={(ev) => setHeaderText(ev.target.value)} spellCheck={false} placeholder="tenant=acme" />
        {headers.error && <span className="error-text">{headers.error}</span>}
      </label>
      <BodyEditor
        format={format}
        content={body}
        onChange={(f, c) => {
          if (f === "json" && format !== "json" && contentType === "") setContentType("application/json");
          setFormat(f);
          setBody(c);
        }}
        testId="publish-body"
      />
      <TypedNameField env={env} value={typed} onChange={setTyped} testId="publish-confirm-name" />
      {error && <div className="error-box" data-testid="publish-error">{error}</div>}
      {report && (
        <div className="ok-box" data-testid="publish-result">
          Published to <code>{report.exchange || "(default exchange)"}</code> with key <code>{report.routing_key}</code>: confirmed and routed ({formatBytes(report.body_bytes)}, SHA-256{" "}
          <code>{report.body_sha256.slice(0, 12)}…</code>).
        </div>
      )}
      <div className="form-actions">
        <span className="spacer" />
        <button onClick={onClose} disabled={busy}>
          {report ? "Close" : "Cancel"}
        </button>
        <button className="primary" data-testid="publish-send" disabled={!armed || busy} onClick={() => void publish()}>
          {busy ? "Publishing…" : report ? "Publish again" : "Publish"}
        </button>
      </div>
    </Modal>
  );
}
