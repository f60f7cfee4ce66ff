// The drift report grouped as the window shows it: realm → worker → kind, each difference one
// line ("only in prod", "only in staging", "x-max-length: 100 → 200"). Pure, unit-tested.
import type { DriftReport } from "../../ipc/bindings/DriftReport";
import type { Kind } from "../../ipc/bindings/Kind";

export interface Line {
  kind: Kind;
  vhost: string;
  name: string;
  /** "only-a" | "only-b" | "changed" */
  what: "only-a" | "only-b" | "changed";
  field?: string;
  a?: unknown;
  b?: unknown;
}

export interface WorkerGroup {
  worker: string;
  byKind: { kind: Kind; lines: Line[] }[];
}

export interface RealmGroup {
  /** "" = not partitioned by realm. */
  realm: string;
  sentence?: string;
  workers: WorkerGroup[];
  count: number;
}

const KIND_ORDER: Kind[] = ["queue", "exchange", "binding", "policy", "operator_policy", "vhost_limits"];

export function group(report: DriftReport): RealmGroup[] {
  const realms = new Map<string, Map<string, Line[]>>();
  const add = (realm: string | undefined, worker: string | undefined, line: Line) => {
    const r = realms.get(realm ?? "") ?? new Map<string, Line[]>();
    realms.set(realm ?? "", r);
    const w = r.get(worker ?? "") ?? [];
    r.set(worker ?? "", w);
    w.push(line);
  };
  for (const i of report.only_in_a) add(i.realm, i.worker, { kind: i.kind, vhost: i.vhost, name: i.name, what: "only-a" });
  for (const i of report.only_in_b) add(i.realm, i.worker, { kind: i.kind, vhost: i.vhost, name: i.name, what: "only-b" });
  for (const c of report.changed) add(c.realm, c.worker, { kind: c.kind, vhost: c.vhost, name: c.name, what: "changed", field: c.field, a: c.a, b: c.b });
  const sentences = new Map(report.realms.map((r) => [r.realm, r.sentence]));
  const out: RealmGroup[] = [...realms.entries()].map(([realm, workers]) => ({
    realm,
    sentence: sentences.get(realm),
    count: [...workers.values()].reduce((n, l) => n + l.length, 0),
    workers: [...workers.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([worker, lines]) => ({
        worker,
        byKind: KIND_ORDER.map((kind) => ({ kind, lines: lines.filter((l) => l.kind === kind) })).filter((k) => k.lines.length > 0),
      })),
  }));
  // Realms with the most drift first; the unpartitioned objects last.
  return out.sort((x, y) => (x.realm === "" ? 1 : 0) - (y.realm === "" ? 1 : 0) || y.count - x.count || x.realm.localeCompare(y.realm));
}

/** "7 differences: 2 only in prod, 1 only in staging, 4 settings differ". */
export function summary(report: DriftReport, a: string, b: string): string {
  const n = report.only_in_a.length + report.only_in_b.length + report.changed.length;
  if (n === 0) return `${a} and ${b} have the same topology`;
  const parts = [];
  if (report.only_in_a.length) parts.push(`${report.only_in_a.length} only in ${a}`);
  if (report.only_in_b.length) parts.push(`${report.only_in_b.length} only in ${b}`);
  if (report.changed.length) parts.push(`${report.changed.length} setting${report.changed.length === 1 ? "" : "s"} differ${report.changed.length === 1 ? "s" : ""}`);
  return `${n} difference${n === 1 ? "" : "s"}: ${parts.join(", ")}`;
}

export function show(v: unknown): string {
  return v === null || v === undefined ? "absent" : typeof v === "string" ? v : JSON.stringify(v);
}
