// The environment's queues as loaded from the broker: one query (one cache entry, one way to
// load it) for every screen that reads them. While a load runs, its first page (shown before
// the rest arrives) and the pages read so far. `overInventory` is for the answers the core
// computes over the loaded queues: asked once they are loaded, again after each reload, with
// the last answer kept on screen meanwhile.
import { useState } from "react";
import { keepPreviousData, useQuery, type UseQueryResult } from "@tanstack/react-query";
import { commands, type EnvironmentView, type Inventory, type RefreshEvent } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";

export type FirstPage = Extract<RefreshEvent, { kind: "first_page" }>;

/** `refreshMs`: reload every so often (0: only when asked). */
export function useInventory(env: Pick<EnvironmentView, "id">, refreshMs = 0) {
  const [firstPage, setFirstPage] = useState<FirstPage | null>(null);
  const [pages, setPages] = useState<{ done: number; pages: number } | null>(null);
  const inventory = useQuery({
    queryKey: queryKeys.inventory(env.id),
    queryFn: async () => {
      const onEvent = (e: RefreshEvent) => {
        if (e.kind === "first_page") {
          setFirstPage(e);
          setPages({ done: 1, pages: e.pages });
        } else setPages({ done: e.done, pages: e.pages });
      };
      try {
        return await commands.refreshQueues(env.id, onEvent);
      } finally {
        setFirstPage(null);
        setPages(null);
      }
    },
    refetchInterval: refreshMs || false,
    // A failed refresh keeps the last good table on screen.
    placeholderData: keepPreviousData,
  });
  return { inventory, firstPage, pages };
}

/** Options for a query over the loaded queues (its key carries `inventory.dataUpdatedAt`). */
export function overInventory(inventory: UseQueryResult<Inventory>) {
  return { enabled: inventory.isSuccess, placeholderData: keepPreviousData };
}
