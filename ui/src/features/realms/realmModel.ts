// Pure helpers of the realm screens: metric values, ranking, the grid's slice, and filter terms.
import type { Group } from "../../ipc/bindings/Group";
import type { Metric } from "../../ipc/bindings/Metric";
import type { Totals } from "../../ipc/bindings/Totals";
import type { RealmSummary } from "../../ipc/bindings/RealmSummary";

export const METRICS: { id: Metric; label: string }[] = [
  { id: "messages", label: "messages" },
  { id: "ready", label: "ready" },
  { id: "unacked", label: "unacked" },
  { id: "consumers", label: "consumers" },
  { id: "memory", label: "memory" },
  { id: "publish_rate", label: "publish rate" },
  { id: "deliver_rate", label: "deliver rate" },
  { id: "queues", label: "queues" },
  { id: "dead_letters", label: "dead letters" },
];

export function metricValue(t: Totals, m: Metric): number {
  switch (m) {
    case "messages":
      return t.messages;
    case "ready":
      return t.messages_ready;
    case "unacked":
      return t.messages_unacknowledged;
    case "consumers":
      return t.consumers;
    case "memory":
      return t.memory;
    case "publish_rate":
      return t.publish_rate;
    case "deliver_rate":
      return t.deliver_rate;
    case "queues":
      return t.queues;
    case "dead_letters":
      return t.dead_letters;
  }
}

/** Heaviest first; ties by name, so the order is stable. */
export function rankGroups(groups: Group[], m: Metric): Group[] {
  return [...groups].sort((a, b) => metricValue(b.totals, m) - metricValue(a.totals, m) || a.key.localeCompare(b.key));
}

/** A filter term's value, quoted when it would not survive as one bare word. */
export function quoteTerm(value: string): string {
  return /[\s"|*?]/.test(value) || value === "" ? `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"` : value;
}

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
