// Pure helpers of the queue screen: a queue's identity, and which loaded rows the filter shows.
import type { FilterOutcome } from "../../ipc/bindings/FilterOutcome";
import type { QueueRow } from "../../ipc/bindings/QueueRow";

/** A queue's identity across refreshes and filters (selection is kept by it). */
export const queueKey = (r: Pick<QueueRow, "vhost" | "name">) => `${r.vhost}\u0000${r.name}`;

/** Which rows of the loaded list the filter shows; null: all of them (no filter). Nothing
 * while only the first page stands in, while no answer came, or when the filter is invalid. */
export function shownIndices(noFilter: boolean, outcome: FilterOutcome | undefined, firstPageOnly: boolean): Set<number> | null {
  if (noFilter) return null;
  const idx = outcome?.indices;
  if (firstPageOnly || !idx || outcome?.error) return new Set();
  return new Set(idx);
}
