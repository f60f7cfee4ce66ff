// Filtering the audit records the window shows (by environment, action and time).
import type { AuditRecord } from "../../ipc/bindings/AuditRecord";

export interface AuditFilter {
  environment: string; // "" = all
  action: string; // prefix, "" = all
  since: string; // RFC 3339 prefix (e.g. "2026-11-26"), "" = all
}

/** Newest first, those the filter allows. */
export function filterRecords(records: AuditRecord[], f: AuditFilter): AuditRecord[] {
  return records
    .filter((r) => !f.environment || r.environment === f.environment)
    .filter((r) => !f.action || r.action.startsWith(f.action))
    .filter((r) => !f.since || r.time >= f.since)
    .reverse();
}

/** The counts of a record in a few words, e.g. "replayed 48 · kept 0". */
export function describeCounts(counts: unknown): string {
  if (!counts || typeof counts !== "object") return "";
  return Object.entries(counts as Record<string, unknown>)
    .filter(([k, v]) => v !== null && v !== false && v !== undefined && v !== 0 && k !== "replay_id")
    .map(([k, v]) => `${k.replace(/_/g, " ")} ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" · ");
}
