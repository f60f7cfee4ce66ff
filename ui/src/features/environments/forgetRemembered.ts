// What the window remembers per environment in its local storage (the typed queue filter, the
// saved filters, the vhost scope) goes with the environment: an environment added later under
// the same id must not open on a stranger's filter and scope.
import { forgetQueueFilter } from "../queues/queueFilterMemory";
import { forgetSavedFilters } from "../queues/savedFilters";
import { forgetScope } from "../vhosts/vhostScope";

export function forgetRemembered(envId: string, storage: Storage = localStorage): void {
  try {
    forgetQueueFilter(envId, storage);
    forgetSavedFilters(envId, storage);
    forgetScope(envId, storage);
  } catch {
    // Storage disabled: there is nothing remembered to forget.
  }
}
