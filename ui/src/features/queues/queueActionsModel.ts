// Pure helpers of the purge and move dialogs: counts in words, what a purge would remove, and
// which destinations a move may take.
import type { PurgeReport } from "../../ipc/bindings/PurgeReport";
import type { QueueRow } from "../../ipc/bindings/QueueRow";

/** "1 queue", "3 queues". */
export const queueCount = (n: number) => `${n} queue${n === 1 ? "" : "s"}`;

/** The messages the queues held when last loaded. */
export const totalMessages = (queues: Pick<QueueRow, "messages">[]) => queues.reduce((n, q) => n + q.messages, 0);

export const purgedMessages = (report: PurgeReport) => report.purged.reduce((n, p) => n + p.messages, 0);

/** Why `to` cannot take the messages of `targets`; null when it can. */
export function moveProblem(targets: QueueRow[], to: string): string | null {
  const dest = to.trim();
  if (!dest) return "Name the destination queue.";
  if (targets.some((t) => t.name === dest)) return `“${dest}” is one of the queues being moved: pick another destination.`;
  return null;
}

/** Known queues a move could go to: in the sources' vhosts, and none of the sources. */
export function destinationSuggestions(known: QueueRow[], targets: QueueRow[]): QueueRow[] {
  const vhosts = new Set(targets.map((t) => t.vhost));
  return known.filter((q) => vhosts.has(q.vhost) && !targets.some((t) => t.vhost === q.vhost && t.name === q.name));
}
