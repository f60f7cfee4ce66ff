// Saved filters, per environment, in the window's local storage (no secrets in a filter).
const key = (envId: string) => `warren.savedFilters.${envId}`;

export function loadSavedFilters(envId: string, storage: Storage = localStorage): string[] {
  try {
    const v = JSON.parse(storage.getItem(key(envId)) ?? "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export function saveFilter(envId: string, filter: string, storage: Storage = localStorage): string[] {
  const f = filter.trim();
  const list = loadSavedFilters(envId, storage).filter((x) => x !== f);
  const next = f ? [f, ...list].slice(0, 20) : list;
  storage.setItem(key(envId), JSON.stringify(next));
  return next;
}

export function removeFilter(envId: string, filter: string, storage: Storage = localStorage): string[] {
  const next = loadSavedFilters(envId, storage).filter((x) => x !== filter);
  storage.setItem(key(envId), JSON.stringify(next));
  return next;
}

export function forgetSavedFilters(envId: string, storage: Storage = localStorage): void {
  storage.removeItem(key(envId));
}
