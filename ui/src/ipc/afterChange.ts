// After a change to an environment's queues (a replay, discard, purge, move, policy or the
// demo), every view showing the numbers it changed asks again: the inventory reloads (and with
// it the DLQ list, realm totals and filter results keyed by its load time), and the reads of
// single queues, browses, plans and the audit log are marked stale. The core reads the touched
// queues' counts from the broker on that reload, as the management API's trail by seconds.
import type { QueryClient } from "@tanstack/react-query";
import { queryKeys } from "./queryKeys";

export function refreshAfterChange(client: QueryClient, envId: string): Promise<void> {
  return Promise.all(queryKeys.changedBy(envId).map((queryKey) => client.invalidateQueries({ queryKey }))).then(() => undefined);
}
