// The environment's queues as loaded from the broker: one query (one cache entry, one way to
// load it) for every screen that reads them. While a load runs, what stands in for it — the
// rows an earlier run last loaded (labelled with their age), replaced by the first page read
// now as soon as it arrives — and the pages read so far. `overInventory` is for the answers the core
// computes over the loaded queues: asked once they are loaded, again after each reload, with
// the last answer kept on screen meanwhile.
import { useState } from "react";
import { keepPreviousData, useQuery, type UseQueryResult } from "@tanstack/react-query";
import { commands, type EnvironmentView, type Inventory, type RefreshEvent } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";

export type FirstPage = Extract<RefreshEvent, { kind: "first_page" }>;
export type LastKnown = Extract<RefreshEvent, { kind: "last_known" }>;

/** `refreshMs`: reload every so often (0: only when asked). */
export function useInventory(env: Pick<EnvironmentView, "id">, refreshMs = 0) {
  // Tagged with its environment: a stand-in kept after a failed load is never another's.
  const [standIn, setStandIn] = useState<{ env: string; view: FirstPage | LastKnown } | null>(null);
  const [pages, setPages] = useState<{ done: number; pages: number } | null>(null);
  const inventory = useQuery({
    queryKey: queryKeys.inventory(env.id),
    queryFn: async () => {
      const onEvent = (e: RefreshEvent) => {
        if (e.kind === "last_known") setStandIn({ env: env.id, view: e });
        else if (e.kind === "first_page") {
          setStandIn({ env: env.id, view: e });
          setPages({ done: 1, pages: e.pages });
        } else setPages({ done: e.done, pages: e.pages });
      };
      try {
        const loaded = await commands.refreshQueues(env.id, onEvent);
        setStandIn(null);
        return loaded;
      } catch (e) {
        // The broker did not answer: what it last listed stays on screen, dated, under the error.
        setStandIn((s) => (s?.view.kind === "last_known" ? s : null));
        throw e;
      } finally {
        setPages(null);
      }
    },
    refetchInterval: refreshMs || false,
    // A failed refresh keeps the last good table on screen.
    placeholderData: keepPreviousData,
  });
  const firstPage = standIn?.env === env.id ? standIn.view : null;
  return { inventory, firstPage, pages };
}

/** Options for a query over the loaded queues (its key carries `inventory.dataUpdatedAt`). */
export function overInventory(inventory: UseQueryResult<Inventory>) {
  return { enabled: inventory.isSuccess, placeholderData: keepPreviousData };
}
