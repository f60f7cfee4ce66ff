// One dead letter in full: where and why it died (the x-death history as a table, first and
// last death), Warren's replay mark, properties, headers, and the body (pretty JSON, text or a
// hex dump; a big body shows only its start, with its size).
import type { DeadLetter } from "../../ipc/bindings/DeadLetter";
import { formatBytes } from "../queues/format";
import { formatTime } from "./dlqModel";

export function MessageDetail({ message: m, onClose }: { message: DeadLetter; onClose: () => void }) {
  return (
    <aside className="drawer" data-testid="dlq-message">
      <div className="drawer-head">
        <h2>{String(m.properties["message_id"] ?? `message #${m.position}`)}</h2>
        <button className="ghost" onClick={onClose} data-testid="dlq-message-close">
          Close
        </button>
      </div>
      <div className="fact">
        <span className="muted">Died in</span>
        <span>
          <code>{m.origin ?? "—"}</code> ({m.reason ?? "—"})
        </span>
      </div>
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
              <td>{d.queue}</td>
              <td>{d.reason}</td>
              <td>{d.exchange || "(default)"}</td>
              <td>{d.routing_keys.join(", ")}</td>
              <td className="num">{d.count}</td>
              <td>{formatTime(d.time)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Properties</h3>
      <pre className="json-block">{JSON.stringify(m.properties, null, 2)}</pre>
      <h3>Headers</h3>
      <pre className="json-block">{JSON.stringify(m.headers, null, 2)}</pre>
      <h3>
        Body <span className="muted">({m.body.kind}, {formatBytes(m.body.size)}{m.body.truncated ? ", showing the start" : ""})</span>
      </h3>
      <pre className="json-block body" data-testid="dlq-body">
        {m.body.preview}
      </pre>
    </aside>
  );
}
