// The queue filter typed for each environment, kept in the window's local storage so it is
// still there after a restart (a filter holds no secret). Saved filters (savedFilters.ts) are
// the named list; this is the one in the box.
const key = (envId: string) => `warren.queueFilter.${envId}`;

export function loadQueueFilter(envId: string, storage: Storage = localStorage): string {
  try {
    return storage.getItem(key(envId)) ?? "";
  } catch {
    return "";
  }
}

export function rememberQueueFilter(envId: string, filter: string, storage: Storage = localStorage): void {
  try {
    if (filter) storage.setItem(key(envId), filter);
    else storage.removeItem(key(envId));
  } catch {
    // Storage full or disabled: the filter is still kept for this run.
  }
}

export function forgetQueueFilter(envId: string, storage: Storage = localStorage): void {
  storage.removeItem(key(envId));
}
