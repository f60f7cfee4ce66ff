// Reading a Progress report: how far along, and how long the rest takes at the rate so far.
import type { Progress } from "../ipc/commands";

/** 0–100, unrounded; 0 while the total is unknown (zero). */
export function percentDone(done: number, total: number): number {
  return total > 0 ? Math.min(100, (done / total) * 100) : 0;
}

/** Seconds until `total` at the reported rate; null before there is a rate. */
export function secondsLeft(p: Progress | null): number | null {
  return p && p.rate > 0 ? Math.max(0, (p.total - p.done) / p.rate) : null;
}

/** Where a run over part of what it reads stands: in scope (acted on of the scope's size when
 * known) and read (of the total). */
export interface ScopedCounts {
  acted: number;
  /** How many are in scope in all; null while unknown. */
  inScope: number | null;
  read: number;
  total: number;
}

/** A replay's progress report as scoped counts (a report without scope: all in scope). */
export function scopedProgress(p: Progress): ScopedCounts {
  return { acted: p.scope?.acted ?? p.done, inScope: p.scope ? (p.scope.expected ?? null) : p.total, read: p.done, total: p.total };
}

const n = (x: number) => x.toLocaleString("en-US");

/** "35 of 35 replayed · read 200 of 200", or "12 replayed so far · read 80 of 200" while the
 * scope's size is unknown. */
export function describeScoped(c: ScopedCounts, verb: string): string {
  const scope = c.inScope === null ? `${n(c.acted)} ${verb} so far` : `${n(c.acted)} of ${n(c.inScope)} ${verb}`;
  return `${scope} · read ${n(c.read)} of ${n(c.total)}`;
}
