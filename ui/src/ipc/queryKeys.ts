// The one place that names what TanStack Query caches: each command's answer under a key that
// starts with what it is and the environment it belongs to, so invalidating a prefix (all
// browses of an environment, say) reaches every variant, and two screens asking for the same
// thing share one cache entry.
import type { ReplayRequest } from "./commands";

export const queryKeys = {
  appStart: () => ["app-start"] as const,
  environments: () => ["environments"] as const,
  /** The environment's queues as loaded from the broker (see useInventory). */
  inventory: (envId: string) => ["inventory", envId] as const,
  // Answers computed by the core over the loaded queues carry the inventory's load time, so
  // they are asked again after each reload.
  queueFilter: (envId: string, filter: string, loadedAt: number) => ["queue-filter", envId, filter, loadedAt] as const,
  queueDetails: (envId: string, vhost: string, name: string) => ["queue-details", envId, vhost, name] as const,
  dlqList: (envId: string, loadedAt: number) => ["dlq-list", envId, loadedAt] as const,
  /** Without a queue: every browse of the environment (to invalidate them all). */
  dlqBrowse: (envId: string, queue?: { vhost?: string; name?: string; limit: number; insist: boolean }) =>
    queue ? (["dlq-browse", envId, queue.vhost, queue.name, queue.limit, queue.insist] as const) : (["dlq-browse", envId] as const),
  dlqPlan: (envId: string, request: ReplayRequest) => ["dlq-plan", envId, request] as const,
  realms: (envId: string, loadedAt: number) => ["realms", envId, loadedAt] as const,
  realmsDeadLetters: (envId: string, loadedAt: number, scan: boolean) => ["realms-dl", envId, loadedAt, scan] as const,
  realmConsumers: (envId: string, realm: string) => ["realm-consumers", envId, realm] as const,
  realmPolicyPlan: (envId: string, realm: string, settings: string[], priority: number) =>
    ["realm-policy-plan", envId, realm, settings.join("\n"), priority] as const,
  realmPolicies: (envId: string) => ["realm-policies", envId] as const,
  realmPreview: (envId: string, template: string) => ["realm-preview", envId, template] as const,
  audit: () => ["audit"] as const,
  auditVerify: (loadedAt: number) => ["audit-verify", loadedAt] as const,
};
