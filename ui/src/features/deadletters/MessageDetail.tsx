// One dead letter in full: where and why it died (the x-death history as a table, first and
// last death; for a framework's error queue, the framework's failure record: exception, stack
// trace, host, time), Warren's replay mark, properties, headers, and the body (pretty JSON, text or a
// hex dump; a big body shows only its start, with its size).
import type { DeadLetter } from "../../ipc/bindings/DeadLetter";
import { formatBytes } from "../queues/format";
import { formatTime, kindLabel, originLabel } from "./dlqModel";
import { useEscape, usePanelFocus } from "../../common/useEscape";

/** `onEditRetry`: the message is a dead letter that can be edited and retried (absent when peeked). */
export function MessageDetail({ message: m, onClose, onEditRetry }: { message: DeadLetter; onClose: () => void; onEditRetry?: () => void }) {
  useEscape(onClose);
  const panel = usePanelFocus<HTMLElement>();
  const title = String(m.properties["message_id"] ?? `message #${m.position}`);
  return (
    <aside className="drawer wide" data-testid="dlq-message" ref={panel} tabIndex={-1} aria-label={`Dead letter ${title}`}>
      <div className="drawer-head">
        <h2 title={title}>{title}</h2>
        {onEditRetry && (
          <button onClick={onEditRetry} data-testid="dlq-edit-retry" title="Edit the body or headers and retry the edited copy to the queue it died in">
            Edit and retry…
          </button>
        )}
        <button className="ghost" onClick={onClose} data-testid="dlq-message-close">
          Close
        </button>
      </div>
      <div className="fact">
        <span className="muted">{originLabel(m)}</span>
        <span data-testid="dlq-origin">
          <code>{m.origin ?? "—"}</code> ({m.reason ?? "—"})
        </span>
      </div>
      {m.failure && (
        <>
          <h3 data-testid="dlq-failure-kind">{kindLabel(m.failure.framework)} failure</h3>
          {m.failure.exception_type && (
            <div className="fact">
              <span className="muted">Exception</span>
              <code className="wrap">{m.failure.exception_type}</code>
            </div>
          )}
          <div className="fact">
            <span className="muted">Message</span>
            <span className="wrap" data-testid="dlq-failure-message">{m.failure.message ?? "—"}</span>
          </div>
          {m.failure.address && (
            <div className="fact">
              <span className="muted">Origin address</span>
              <code className="wrap">{m.failure.address}</code>
            </div>
          )}
          {m.failure.framework === "spring" && (
            <div className="fact">
              <span className="muted">Received from</span>
              <span>
                exchange <code>{m.failure.exchange || "(default)"}</code> key <code>{m.failure.routing_key ?? ""}</code>
              </span>
            </div>
          )}
          {(m.failure.failed_at || m.failure.host) && (
            <div className="fact">
              <span className="muted">Failed</span>
              <span>
                {m.failure.failed_at ?? ""}
                {m.failure.host ? ` on ${m.failure.host}` : ""}
              </span>
            </div>
          )}
          {m.failure.stack_trace && (
            <pre className="json-block failure-block" tabIndex={0} aria-label="Stack trace">
              {m.failure.stack_trace}
            </pre>
          )}
        </>
      )}
      {m.first_death && (
        <div className="fact">
          <span className="muted">First death</span>
          <span>
            <code>{m.first_death.queue}</code> ({m.first_death.reason}) via <code>{m.first_death.exchange || "(default)"}</code>
          </span>
        </div>
      )}
      {m.realm && (
        <div className="fact">
          <span className="muted">Realm / worker</span>
          <span>
            {m.realm} / {m.worker}
          </span>
        </div>
      )}
      <div className="fact">
        <span className="muted">Replayed</span>
        <span data-testid="dlq-replay-mark">
          {m.replay ? `${m.replay.count} time(s) by Warren, last ${formatTime(m.replay.time)} (${m.replay.id ?? "?"})` : "never by Warren"}
        </span>
      </div>
      <h3>x-death</h3>
      {m.death_error && <div className="error-text">{m.death_error}</div>}
      {m.deaths.length === 0 && m.kind !== "broker" && <div className="muted small">None: {kindLabel(m.kind)} moved it here, not the broker.</div>}
      {/* Names wrap, times never do; a table still too wide scrolls sideways in the drawer. */}
      <div className="table-scroll" role="region" tabIndex={0} aria-label="x-death history">
        <table className="mini-table" data-testid="xdeath-table">
          <thead>
            <tr>
              <th>Queue</th>
              <th>Reason</th>
              <th>Exchange</th>
              <th>Routing keys</th>
              <th className="num">Count</th>
              <th>Time</th>
            </tr>
          </thead>
          <tbody>
            {m.deaths.map((d, i) => (
              <tr key={i}>
                <td className="wrap">{d.queue}</td>
                <td className="nowrap">{d.reason}</td>
                <td className="wrap">{d.exchange || "(default)"}</td>
                <td className="wrap">{d.routing_keys.join(", ")}</td>
                <td className="num">{d.count}</td>
                <td className="nowrap">{formatTime(d.time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Properties</h3>
      <pre className="json-block" tabIndex={0}>
        {JSON.stringify(m.properties, null, 2)}
      </pre>
      <h3>Headers</h3>
      <pre className="json-block" tabIndex={0}>
        {JSON.stringify(m.headers, null, 2)}
      </pre>
      <h3>
        Body <span className="muted">({m.body.kind}, {formatBytes(m.body.size)}{m.body.truncated ? ", showing the start" : ""})</span>
      </h3>
      <pre className="json-block body" data-testid="dlq-body" tabIndex={0}>
        {m.body.preview}
      </pre>
    </aside>
  );
}
