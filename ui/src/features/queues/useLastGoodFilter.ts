// While the typed filter has an error, the table shows what the last filter that parsed shows:
// that filter is asked again over the current load, so a reload in between (a refresh, the
// exact counts after a change) still shows its rows, not an empty table or rows of another load.
import { useEffect, useState } from "react";
import { keepPreviousData, useQuery, type UseQueryResult } from "@tanstack/react-query";
import { commands, type Inventory } from "../../ipc/commands";
import type { FilterOutcome } from "../../ipc/bindings/FilterOutcome";
import { queryKeys } from "../../ipc/queryKeys";

/** The last filter text that parsed, and its answer over the current load while `filter` has an error. */
export function useLastGoodFilter(
  envId: string,
  filter: string,
  vhost: string | null,
  outcome: UseQueryResult<FilterOutcome>,
  inventory: UseQueryResult<Inventory>,
) {
  const [lastGood, setLastGood] = useState<string | null>(null);
  // A placeholder answer belongs to the previous text, not to `filter`.
  const answeredNow = outcome.data && !outcome.isPlaceholderData;
  useEffect(() => {
    if (answeredNow && !outcome.data?.error) setLastGood(filter);
  }, [answeredNow, outcome.data, filter]);
  useEffect(() => setLastGood(null), [envId, vhost]);
  const inError = !!outcome.data?.error;
  const fallback = useQuery({
    queryKey: queryKeys.queueFilter(envId, lastGood ?? "", inventory.dataUpdatedAt, vhost),
    queryFn: () => commands.filterQueues(envId, lastGood ?? "", vhost),
    enabled: inventory.isSuccess && inError && lastGood !== null,
    placeholderData: keepPreviousData,
  });
  const usable = inError && lastGood !== null && fallback.data && !fallback.data.error;
  return usable ? { filter: lastGood, outcome: fallback.data } : null;
}
