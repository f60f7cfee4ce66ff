// Peek at any queue: its first messages read in place (classic and quorum queues: given back,
// marked redelivered, the cost said; a quorum queue whose head is one read from its delivery
// limit is refused unless the user insists), or a stream from an offset (last — the newest — by default; first, a number
// or a time), which costs nothing. A row opens the message in full.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { commands, type ErrorReport, type PeekedMessage, type StreamOffset } from "../../ipc/commands";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { Modal } from "../../common/Modal";
import { ToolbarSelect } from "../../common/ToolbarSelect";
import { formatBytes, formatCount } from "../queues/format";
import { MessageDetail } from "../deadletters/MessageDetail";
import { needsInsist } from "../deadletters/dlqModel";
import { parseStreamOffset } from "./messageForm";

const LIMITS = [20, 100, 500, 2000].map((n) => ({ value: n, label: formatCount(n) }));

interface Props {
  envId: string;
  row: QueueRow;
  onClose: () => void;
}

/** The first line of a body preview, for the table. */
function firstLine(m: PeekedMessage): string {
  const text = m.body.kind === "json" ? m.body.preview.replace(/\s+/g, " ") : m.body.preview.split("\n")[0];
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

export function PeekDialog({ envId, row, onClose }: Props) {
  const stream = row.type === "stream";
  const [limit, setLimit] = useState(20);
  const [offsetText, setOffsetText] = useState(stream ? "last" : "");
  // The offset read last (the field may hold an unfinished edit).
  const [offset, setOffset] = useState<StreamOffset | null>(stream ? { kind: "last" } : null);
  const [insist, setInsist] = useState(false);
  const [open, setOpen] = useState<PeekedMessage | null>(null);
  const parsed = stream ? parseStreamOffset(offsetText) : null;
  const offsetError = typeof parsed === "string" ? parsed : null;
  const peek = useQuery({
    queryKey: ["peek", envId, row.vhost, row.name, limit, JSON.stringify(offset), insist],
    queryFn: () => commands.peekQueue(envId, row.vhost, row.name, limit, offset, insist),
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
  });
  const error = peek.error as unknown as ErrorReport | null;
  const data = peek.data;
  return (
    <Modal title={`Peek at ${row.name}`} className="wide" testId="peek-dialog" onClose={open ? undefined : onClose}>
      <div className="queues-toolbar">
        <ToolbarSelect label="Read" after="messages" value={limit} options={LIMITS} onChange={setLimit} testId="peek-limit" />
        {stream && (
          <label className="auto-refresh nowrap">
            from offset
            <input
              data-testid="peek-offset"
              value={offsetText}
              onChange={(ev) => setOffsetText(ev.target.value)}
              onKeyDown={(ev) => {
                if (ev.key === "Enter" && typeof parsed !== "string" && parsed) setOffset(parsed);
              }}
              placeholder="first, last, 1200 or 2026-12-01T10:00:00Z"
              spellCheck={false}
              size={28}
            />
          </label>
        )}
        <button
          className="ghost"
          data-testid="peek-read"
          disabled={peek.isFetching || !!offsetError}
          onClick={() => {
            if (stream && parsed && typeof parsed !== "string" && JSON.stringify(parsed) !== JSON.stringify(offset)) setOffset(parsed);
            else void peek.refetch();
          }}
        >
          {peek.isFetching ? "Reading…" : "Read"}
        </button>
        {data && (
          <span className="count" data-testid="peek-count">
            {formatCount(data.read)} of {formatCount(data.depth)} read{data.complete ? " (all)" : ""}
          </span>
        )}
      </div>
      {offsetError && <div className="error-text">{offsetError}</div>}
      {error && !needsInsist(error) && <div className="error-box">{error.message}</div>}
      {error && needsInsist(error) && (
        <div className="warning-box" data-testid="peek-near-limit">
          {error.message}
          <div className="actions">
            <button className="danger" data-testid="peek-read-anyway" onClick={() => setInsist(true)}>
              Read anyway
            </button>
          </div>
        </div>
      )}
      {data && (
        <>
          <div className="muted small" data-testid="peek-cost">
            {data.cost}
          </div>
          {data.messages.length === 0 && <div className="muted">No message{stream ? " from this offset" : " in this queue"}.</div>}
          {data.messages.length > 0 && (
            <div className="table-scroll" role="region" tabIndex={0} aria-label="Messages read">
              <table className="mini-table peek-table" data-testid="peek-table">
                <thead>
                  <tr>
                    <th className="num">{stream ? "Offset" : "#"}</th>
                    <th>Message id</th>
                    <th>Routing key</th>
                    <th className="num">Size</th>
                    <th>Body</th>
                  </tr>
                </thead>
                <tbody>
                  {data.messages.map((m) => (
                    <tr key={`${m.key}/${m.position}`} data-testid="peek-row" className="clickable" tabIndex={0} onClick={() => setOpen(m)} onKeyDown={(ev) => ev.key === "Enter" && setOpen(m)}>
                      <td className="num">{stream ? (m.stream_offset ?? "—") : m.position}</td>
                      <td className="wrap">{String(m.properties["message_id"] ?? "—")}</td>
                      <td className="wrap">
                        <code>{m.routing_key || "—"}</code>
                      </td>
                      <td className="num nowrap">{formatBytes(m.body.size)}</td>
                      <td className="ellipsis body-cell" title={m.body.kind}>
                        {firstLine(m)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {peek.isLoading && <div className="muted">Reading…</div>}
      <div className="form-actions">
        <span className="spacer" />
        <button onClick={onClose} data-testid="peek-close">
          Close
        </button>
      </div>
      {open && <MessageDetail message={open} onClose={() => setOpen(null)} />}
    </Modal>
  );
}
