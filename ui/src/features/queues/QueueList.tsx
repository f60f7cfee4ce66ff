// The queues a dialog acts on, with their last known depth: the first `max`, then how many more.
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { formatCount } from "./format";

export function QueueList({ queues, max }: { queues: QueueRow[]; max: number }) {
  return (
    <ul className="purge-list">
      {queues.slice(0, max).map((q) => (
        <li key={`${q.vhost}/${q.name}`}>
          <code>{q.vhost}</code> {q.name} <span className="muted">{formatCount(q.messages)}</span>
        </li>
      ))}
      {queues.length > max && <li className="muted">… and {queues.length - max} more</li>}
    </ul>
  );
}
