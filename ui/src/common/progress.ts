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
