// The environment's queues as loaded from the broker: one query (one cache entry, one way to
// load it) for every screen that reads them. While a load runs, what stands in for it — the
// rows an earlier run last loaded (labelled with their age), replaced by the first page read
// now as soon as it arrives — and the pages read so far. `overInventory` is for the answers the core
// computes over the loaded queues: asked once they are loaded, again after each reload, with
// the last answer kept on screen meanwhile.
import { useState, useSyncExternalStore } from "react";
import { keepPreviousData, useQuery, type UseQueryResult } from "@tanstack/react-query";
import { commands, type EnvironmentView, type Inventory, type RefreshEvent } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";

export type FirstPage = Extract<RefreshEvent, { kind: "first_page" }>;
export type LastKnown = Extract<RefreshEvent, { kind: "last_known" }>;

// What stands in for each environment's load, shared by every screen: the load runs in
// whichever screen asked first (the window may restore another tab), and the Queues tab opened
// later must still see the old rows it received.
const standIns = new Map<string, FirstPage | LastKnown>();
const listeners = new Set<() => void>();
function setStandIn(envId: string, view: FirstPage | LastKnown | null) {
  if (view) standIns.set(envId, view);
  else standIns.delete(envId);
  listeners.forEach((l) => l());
}
function subscribe(l: () => void) {
  listeners.add(l);
  return () => void listeners.delete(l);
}

/** `refreshMs`: reload every so often (0: only when asked). */
export function useInventory(env: Pick<EnvironmentView, "id">, refreshMs = 0) {
  const [pages, setPages] = useState<{ done: number; pages: number } | null>(null);
  const inventory = useQuery({
    queryKey: queryKeys.inventory(env.id),
    queryFn: async () => {
      const onEvent = (e: RefreshEvent) => {
        if (e.kind === "last_known") setStandIn(env.id, e);
        else if (e.kind === "first_page") {
          setStandIn(env.id, e);
          setPages({ done: 1, pages: e.pages });
        } else setPages({ done: e.done, pages: e.pages });
      };
      try {
        const loaded = await commands.refreshQueues(env.id, onEvent);
        setStandIn(env.id, null);
        return loaded;
      } catch (e) {
        // The broker did not answer: what it last listed stays on screen, dated, under the error.
        if (standIns.get(env.id)?.kind !== "last_known") setStandIn(env.id, null);
        throw e;
      } finally {
        setPages(null);
      }
    },
    refetchInterval: refreshMs || false,
    // A failed refresh keeps the last good table on screen.
    placeholderData: keepPreviousData,
  });
  const firstPage = useSyncExternalStore(subscribe, () => standIns.get(env.id) ?? null);
  return { inventory, firstPage, pages };
}

/** Options for a query over the loaded queues (its key carries `inventory.dataUpdatedAt`). */
export function overInventory(inventory: UseQueryResult<Inventory>) {
  return { enabled: inventory.isSuccess, placeholderData: keepPreviousData };
}
