// The one place that names what TanStack Query caches: each command's answer under a key that
// starts with what it is and the environment it belongs to, so invalidating a prefix (all
// browses of an environment, say) reaches every variant, and two screens asking for the same
// thing share one cache entry.
import type { HistoryMetric, ReplayRequest, SeriesKind, SeriesSelector } from "./commands";

export const queryKeys = {
  appStart: () => ["app-start"] as const,
  environments: () => ["environments"] as const,
  /** The environment's queues as loaded from the broker (see useInventory). */
  inventory: (envId: string) => ["inventory", envId] as const,
  // Answers computed by the core over the loaded queues carry the inventory's load time, so
  // they are asked again after each reload; before the first, the number of the rows standing in.
  queueFilter: (envId: string, filter: string, loadedAt: number, vhost: string | null = null, standIn: number | null = null) =>
    ["queue-filter", envId, filter, loadedAt, vhost, standIn] as const,
  queueDetails: (envId: string, vhost: string, name: string) => ["queue-details", envId, vhost, name] as const,
  dlqList: (envId: string, loadedAt: number, vhost: string | null = null) => ["dlq-list", envId, loadedAt, vhost] as const,
  /** Without a queue: every browse of the environment (to invalidate them all). */
  dlqBrowse: (envId: string, queue?: { vhost?: string; name?: string; limit: number; insist: boolean }) =>
    queue ? (["dlq-browse", envId, queue.vhost, queue.name, queue.limit, queue.insist] as const) : (["dlq-browse", envId] as const),
  dlqPlan: (envId: string, request: ReplayRequest) => ["dlq-plan", envId, request] as const,
  realms: (envId: string, loadedAt: number, vhost: string | null = null) => ["realms", envId, loadedAt, vhost] as const,
  realmsDeadLetters: (envId: string, loadedAt: number, scan: boolean, vhost: string | null = null) =>
    ["realms-dl", envId, loadedAt, scan, vhost] as const,
  realmConsumers: (envId: string, realm: string, vhost: string | null = null) => ["realm-consumers", envId, realm, vhost] as const,
  realmPolicyPlan: (envId: string, realm: string, settings: string[], priority: number, vhost: string | null = null) =>
    ["realm-policy-plan", envId, realm, settings.join("\n"), priority, vhost] as const,
  realmPolicies: (envId: string) => ["realm-policies", envId] as const,
  realmPreview: (envId: string, template: string) => ["realm-preview", envId, template] as const,
  // The local history gains a sample with each inventory load: its answers carry the load time.
  historySeries: (envId: string, selector: SeriesSelector, metric: HistoryMetric, sinceS: number, loadedAt: number) =>
    ["history-series", envId, selector, metric, sinceS, loadedAt] as const,
  historySparklines: (envId: string, metric: HistoryMetric, sinceS: number, buckets: number, loadedAt: number, ids: readonly string[]) =>
    ["history-sparklines", envId, metric, sinceS, buckets, loadedAt, ids] as const,
  historyGrowers: (envId: string, by: SeriesKind, vhost: string | null, metric: HistoryMetric, sinceS: number, limit: number, loadedAt: number) =>
    ["history-growers", envId, by, vhost, metric, sinceS, limit, loadedAt] as const,
  historyInfo: (envId: string, loadedAt: number) => ["history-info", envId, loadedAt] as const,
  audit: () => ["audit"] as const,
  /** Prefixes of every answer a change to the environment's queues (replay, discard, purge,
   * move, policy, demo) can make wrong. What is computed over the inventory follows its reload. */
  changedBy: (envId: string) =>
    [
      ["inventory", envId],
      ["queue-details", envId],
      ["dlq-browse", envId],
      ["dlq-plan", envId],
      ["realm-policies", envId],
      ["realm-consumers", envId],
      ["audit"],
    ] as const,
  auditVerify: (loadedAt: number) => ["audit-verify", loadedAt] as const,
};
