// Where an alert leads in the window, and how its time reads. Pure, unit-tested.
import type { Alert } from "../../ipc/bindings/Alert";

export type AlertTarget = { envId: string; tab: "queues" | "realms" | "deadletters" | "environment"; filter?: string };

/** `vhost/queue` (`/queue` in the default vhost) → [vhost, queue]. */
export function splitSubject(subject: string): [string, string] {
  if (subject.startsWith("/")) return ["/", subject.slice(1)];
  const i = subject.indexOf("/");
  return i < 0 ? ["", subject] : [subject.slice(0, i), subject.slice(i + 1)];
}

/** The view that shows what the alert is about. */
export function targetOf(a: Alert): AlertTarget {
  switch (a.kind) {
    case "dlq_growth":
      return { envId: a.env, tab: "deadletters" };
    case "no_consumer":
      return { envId: a.env, tab: "queues", filter: `name=${splitSubject(a.subject)[1]}` };
    case "realm_backlog":
      return { envId: a.env, tab: "realms" };
    default:
      return { envId: a.env, tab: "environment" };
  }
}

export function openCount(alerts: Alert[]): number {
  return alerts.filter((a) => !a.resolved_at).length;
}

/** "03:12:09" today, else "7 Dec 03:12". */
export function when(rfc3339: string, now = new Date()): string {
  const d = new Date(rfc3339);
  const time = d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  return d.toDateString() === now.toDateString() ? time : `${d.getDate()} ${d.toLocaleString("en-GB", { month: "short" })} ${time.slice(0, 5)}`;
}
