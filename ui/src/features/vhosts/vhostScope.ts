// The vhost scope of an environment's Queues, Realms and Dead letters views: every loaded vhost
// (`null`) or one. Remembered per environment in the window's local storage, like saved filters.
import type { QueueRow } from "../../ipc/bindings/QueueRow";

const key = (envId: string) => `warren.vhostScope.${envId}`;

export function loadScope(envId: string, storage: Storage = localStorage): string | null {
  try {
    const v = JSON.parse(storage.getItem(key(envId)) ?? "null");
    return typeof v === "string" ? v : null;
  } catch {
    return null;
  }
}

export function saveScope(envId: string, vhost: string | null, storage: Storage = localStorage) {
  if (vhost === null) storage.removeItem(key(envId));
  else storage.setItem(key(envId), JSON.stringify(vhost));
}

export function forgetScope(envId: string, storage: Storage = localStorage) {
  storage.removeItem(key(envId));
}

/** The vhosts of the loaded queues, sorted, each with its queue count. */
export function vhostsOf(rows: readonly Pick<QueueRow, "vhost">[]): { vhost: string; queues: number }[] {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.vhost, (counts.get(r.vhost) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([vhost, queues]) => ({ vhost, queues }));
}

/** The scope the views use: the remembered one while it is among the loaded vhosts (or nothing
 * is loaded yet), else every vhost: a vhost that is gone must not leave the views empty. */
export function effectiveScope(remembered: string | null, loaded: { vhost: string }[] | null): string | null {
  if (remembered === null || loaded === null) return remembered;
  return loaded.some((v) => v.vhost === remembered) ? remembered : null;
}

/** How the header names a scope. */
export function scopeLabel(scope: string | null): string {
  return scope === null ? "all vhosts" : `vhost ${scope}`;
}
