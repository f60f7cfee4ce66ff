// What the window shows and offers per queue type and broker line: a stream is listed and
// filtered but never purged, moved or browsed; a quorum queue shows its delivery limit and its
// replicas; 4.3's delayed-retry and dead-lettering counters appear where the broker sends them.
import type { QueueRow } from "../../ipc/bindings/QueueRow";

export const isStream = (r: Pick<QueueRow, "type">) => r.type === "stream";

/** Why purge, move and browse are not offered for a stream. */
export const STREAM_NOTE =
  "A stream keeps its messages until its retention (max-age, max-length-bytes) removes them: purge and move do not apply; Peek reads it from an offset without consuming anything.";

/** The queues an action may act on, and how many streams were left out. */
export function withoutStreams<T extends Pick<QueueRow, "type">>(rows: T[]): { rows: T[]; streams: number } {
  const kept = rows.filter((r) => !isStream(r));
  return { rows: kept, streams: rows.length - kept.length };
}

/** The delivery limit as the table and drawer show it: the number, "unlimited" for a quorum
 * queue without one, "—" for other types. */
export function formatDeliveryLimit(r: Pick<QueueRow, "type" | "delivery_limit">): string {
  if (r.type !== "quorum") return "—";
  return r.delivery_limit == null ? "unlimited" : r.delivery_limit.toLocaleString("en-US");
}

/** "leader rabbit@a · 3 members" plus the members that are not online. Empty for classic. */
export function replicaSummary(r: Pick<QueueRow, "members" | "online" | "leader">): string {
  if (r.members.length === 0) return "";
  const parts = [];
  if (r.leader) parts.push(`leader ${r.leader}`);
  parts.push(`${r.members.length} member${r.members.length === 1 ? "" : "s"}: ${r.members.join(", ")}`);
  const offline = r.members.filter((m) => !r.online.includes(m));
  if (offline.length > 0) parts.push(`offline: ${offline.join(", ")}`);
  return parts.join(" · ");
}

/** 4.3's counters, only where the broker sends them (null elsewhere). */
export function retryFacts(r: Pick<QueueRow, "delayed_retry" | "messages_delayed" | "messages_dlx">): [string, string][] {
  const facts: [string, string][] = [];
  if (r.delayed_retry != null) facts.push(["Delayed retry", r.delayed_retry]);
  if (r.messages_delayed != null) facts.push(["Delayed", r.messages_delayed.toLocaleString("en-US")]);
  if (r.messages_dlx != null) facts.push(["Dead-lettering", `${r.messages_dlx.toLocaleString("en-US")} in flight (at-least-once)`]);
  return facts;
}
