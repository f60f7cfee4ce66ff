// Pure helpers of the dead-letter screen: searching the loaded messages, describing a replay
// target, and the filter a group stands for.
import type { DeadLetter } from "../../ipc/bindings/DeadLetter";
import type { DeathGroup } from "../../ipc/bindings/DeathGroup";
import type { DeadLetterKind } from "../../ipc/bindings/DeadLetterKind";
import type { DeadLetterQueue } from "../../ipc/bindings/DeadLetterQueue";
import type { Target } from "../../ipc/bindings/Target";
import type { ReplayPlan } from "../../ipc/bindings/ReplayPlan";
import { formatTimestamp } from "../../common/time";

/** Messages whose id, origin, reason, realm, routing key or body preview contain every word. */
export function searchMessages(messages: DeadLetter[], query: string): DeadLetter[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return messages;
  return messages.filter((m) => {
    const hay = [
      String(m.properties["message_id"] ?? ""),
      m.origin ?? "",
      m.reason ?? "",
      m.realm ?? "",
      m.routing_key,
      m.body.kind === "binary" ? "" : m.body.preview.slice(0, 4096),
    ]
      .join("\n")
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** The dead-letter filter that selects one (origin, reason) group. */
export function groupFilter(g: DeathGroup): string {
  const q = (v: string) => (/\s/.test(v) ? v.replace(/\s/g, "*") : v);
  return `origin:${q(g.origin)} reason:${q(g.reason)}`;
}

export function describeTarget(t: Target): string {
  switch (t.kind) {
    case "origin":
      return "the queue each message died in";
    case "original_exchange":
      return "the exchange and routing keys each message was published with";
    case "queue":
      return `queue ${t.name}`;
    case "exchange":
      return `exchange ${t.name}${t.routing_key !== undefined ? ` with key ${t.routing_key}` : " with each message's routing key"}`;
  }
}

/** Where a replay goes, from the page's choice: a queue or exchange needs its name (null
 * until one is typed); the others stand alone. */
export function replayTarget(kind: Target["kind"], name: string): Target | null {
  const n = name.trim();
  if (kind === "queue" || kind === "exchange") return n ? { kind, name: n } : null;
  return { kind };
}

/** Seconds since the epoch as a local date and time. */
export function formatTime(secs: number | undefined): string {
  if (secs === undefined) return "—";
  return formatTimestamp(secs * 1000);
}

/** A message's reads left before the broker drops or dead-letters it (quorum queues with a
 * delivery limit where a browse counts); empty where reads do not count. */
export function readsLeftLabel(m: Pick<DeadLetter, "reads_left">): string {
  if (m.reads_left == null) return "";
  if (m.reads_left === 0) return "next read drops it";
  return `${m.reads_left} read${m.reads_left === 1 ? "" : "s"} left`;
}

/** The core refused a browse because the head message is one read from its delivery limit:
 * the window asks before reading anyway. */
export const needsInsist = (e: { kind: string } | null | undefined) => e?.kind === "near_delivery_limit";

/** Of a replay plan: the messages that go to a destination (not kept by the loop guard, and
 * with an origin to go back to). */
export const replayedCount = (p: ReplayPlan) => p.in_scope - p.loop_guarded - p.no_origin;

/** Of a plan: the messages that stay in the DLQ (a discard removes the loop-guarded and
 * origin-less ones too). */
export const stayingCount = (p: ReplayPlan, discard: boolean) => p.out_of_scope + (discard ? 0 : p.loop_guarded + p.no_origin);

/** Who fills a dead-letter queue, in the operator's words. */
export function kindLabel(kind: DeadLetterKind): string {
  switch (kind) {
    case "broker":
      return "broker DLQ";
    case "masstransit":
      return "MassTransit";
    case "nservicebus":
      return "NServiceBus";
    case "spring":
      return "Spring AMQP";
  }
}

/** How a DLQ was found: its feeders when wired, else the name, binding or headers that told. */
export function foundLabel(q: Pick<DeadLetterQueue, "wiring" | "feeders" | "exchanges">): string {
  switch (q.wiring) {
    case "wired":
      return `${q.feeders.length} feeder${q.feeders.length === 1 ? "" : "s"}`;
    case "by_name":
      return "by name only";
    case "by_binding":
      return `bound from ${q.exchanges.join(", ") || "an error exchange"}`;
    case "by_headers":
      return "by its messages' headers";
  }
}

/** What "the queue it died in" means for this message: the broker's record or the framework's. */
export function originLabel(m: Pick<DeadLetter, "kind">): string {
  return m.kind === "broker" ? "Died in" : `Failed in (${kindLabel(m.kind)})`;
}

/** At most `n` characters of `text` (a framework's exception message can be long). */
export function clip(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}
