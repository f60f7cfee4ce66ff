// The current environment's vhost scope: remembered per environment (local storage), and every
// vhost while the remembered one is not among the loaded queues.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { Inventory } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { effectiveScope, loadScope, saveScope, vhostsOf } from "./vhostScope";

export function useVhostScope(envId: string | undefined): [string | null, (vhost: string | null) => void] {
  const [chosen, setChosen] = useState<Record<string, string | null>>({});
  // Read from the cache the pages fill; never loads by itself.
  const inventory = useQuery<Inventory>({ queryKey: queryKeys.inventory(envId ?? ""), enabled: false });
  if (!envId) return [null, () => {}];
  const remembered = envId in chosen ? chosen[envId] : loadScope(envId);
  const scope = effectiveScope(remembered, inventory.data ? vhostsOf(inventory.data.rows) : null);
  const set = (vhost: string | null) => {
    saveScope(envId, vhost);
    setChosen((all) => ({ ...all, [envId]: vhost }));
  };
  return [scope, set];
}
