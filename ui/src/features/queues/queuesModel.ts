// Pure helpers of the queue screen: a queue's identity, and which loaded rows the filter shows.
import type { FilterOutcome } from "../../ipc/bindings/FilterOutcome";
import type { QueueRow } from "../../ipc/bindings/QueueRow";

/** A queue's identity across refreshes and filters (selection is kept by it). */
export const queueKey = (r: Pick<QueueRow, "vhost" | "name">) => `${r.vhost}\u0000${r.name}`;

/** Which rows of the list on screen the filter shows; null: all of them (no filter). `standIn`
 * names the rows standing in for the first load (null: the loaded list). Nothing while no
 * answer over these very rows came, or when the filter is invalid. */
export function shownIndices(noFilter: boolean, outcome: FilterOutcome | undefined, standIn: number | null): Set<number> | null {
  if (noFilter) return null;
  const idx = outcome?.indices;
  if (!idx || outcome?.error || (outcome?.stand_in ?? null) !== standIn) return new Set();
  return new Set(idx);
}
