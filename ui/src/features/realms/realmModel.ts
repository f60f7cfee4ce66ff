// Pure helpers of the realm screens: metric values, ranking, the grid's slice, and filter terms.
import type { Group } from "../../ipc/bindings/Group";
import type { Metric } from "../../ipc/bindings/Metric";
import type { Totals } from "../../ipc/bindings/Totals";
import type { RealmSummary } from "../../ipc/bindings/RealmSummary";

/** Each metric: its label, and the field of a group's totals it reads. */
export const METRICS: { id: Metric; label: string; field: keyof Totals }[] = [
  { id: "messages", label: "messages", field: "messages" },
  { id: "ready", label: "ready", field: "messages_ready" },
  { id: "unacked", label: "unacked", field: "messages_unacknowledged" },
  { id: "consumers", label: "consumers", field: "consumers" },
  { id: "memory", label: "memory", field: "memory" },
  { id: "publish_rate", label: "publish rate", field: "publish_rate" },
  { id: "deliver_rate", label: "deliver rate", field: "deliver_rate" },
  { id: "queues", label: "queues", field: "queues" },
  { id: "dead_letters", label: "dead letters", field: "dead_letters" },
];

const FIELD = Object.fromEntries(METRICS.map((m) => [m.id, m.field])) as Record<Metric, keyof Totals>;

export function metricValue(t: Totals, m: Metric): number {
  return t[FIELD[m]];
}

/** Heaviest first; ties by name, so the order is stable. */
export function rankGroups(groups: Group[], m: Metric): Group[] {
  return [...groups].sort((a, b) => metricValue(b.totals, m) - metricValue(a.totals, m) || a.key.localeCompare(b.key));
}

/** A filter term's value, quoted when it would not survive as one bare word. */
export function quoteTerm(value: string): string {
  return /[\s"|*?]/.test(value) || value === "" ? `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"` : value;
}

/** The queue filter that shows one realm's (or worker's) queues. */
export const drillFilter = (field: "realm" | "worker", key: string) => `${field}:${quoteTerm(key)}`;

/** A realm or worker as the screens name it: with its vhost when a view over several vhosts
 * keeps each vhost's realms apart (`acme @ shop`). */
export const groupLabel = (g: Pick<Group, "key" | "vhost">) => (g.vhost ? `${g.key} @ ${g.vhost}` : g.key);

/** The loaded queues of a realm (or worker) group: in its vhost when it has one, else in the
 * view's scope (`null`: every vhost) — what a realm purge acts on. */
export function groupRows<R extends { vhost: string; realm?: string; worker?: string }>(
  rows: R[],
  field: "realm" | "worker",
  g: Pick<Group, "key" | "vhost">,
  scope: string | null,
): R[] {
  const vhost = g.vhost ?? scope;
  return rows.filter((r) => r[field] === g.key && (vhost === null || r.vhost === vhost));
}

/** The queue filter that shows a group's queues (in its vhost, when it has one). */
export const groupFilter = (field: "realm" | "worker", g: Pick<Group, "key" | "vhost">) =>
  g.vhost ? `${drillFilter(field, g.key)} vhost:${quoteTerm(g.vhost)}` : drillFilter(field, g.key);

/** A value's share of the whole as the table shows it; a dash when the whole is zero. */
export const shareLabel = (value: number, whole: number) => (whole > 0 ? `${((value / whole) * 100).toFixed(1)} %` : "—");

export interface GridSlice {
  workers: number[]; // indices into summary.workers, heaviest first
  realms: number[]; // indices into summary.realms, heaviest first
  cells: Map<number, Totals>; // key: worker * realms.length + realm (summary indices)
  max: number;
}

/** The heaviest `rows` workers × `cols` realms by `m`, and their cells. */
export function gridSlice(s: RealmSummary, m: Metric, rows: number, cols: number): GridSlice {
  const top = (groups: Group[], n: number) =>
    groups
      .map((g, i) => [i, metricValue(g.totals, m)] as const)
      .sort((a, b) => b[1] - a[1] || groups[a[0]].key.localeCompare(groups[b[0]].key))
      .slice(0, n)
      .map(([i]) => i);
  const workers = top(s.workers, rows);
  const realms = top(s.realms, cols);
  const cells = new Map<number, Totals>();
  let max = 0;
  const wanted = new Set(workers);
  const wantedRealms = new Set(realms);
  for (const c of s.cells) {
    if (!wanted.has(c.worker) || !wantedRealms.has(c.realm)) continue;
    cells.set(c.worker * s.realms.length + c.realm, c.totals);
    max = Math.max(max, metricValue(c.totals, m));
  }
  return { workers, realms, cells, max };
}
