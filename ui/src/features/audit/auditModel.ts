// Filtering the audit records the window shows (by environment, action and time), how each
// record's outcome reads, and the chain's state in a sentence.
import type { AuditRecord } from "../../ipc/bindings/AuditRecord";
import type { SeqRange } from "../../ipc/bindings/SeqRange";
import type { Verification } from "../../ipc/bindings/Verification";

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

/** A config field as people read it: `management_urls` → "management URLs", `tls.verify` → "TLS verify". */
export function fieldLabel(field: string): string {
  return field
    .replace(/^tls\./, "TLS ")
    .replace(/_/g, " ")
    .replace(/\burls\b/g, "URLs")
    .replace(/\b(amqp|tls|url)\b/g, (w) => w.toUpperCase());
}

/** What an environment change changed, from its parameters' `changed` list: "changed management
 * URLs, read-only"; "" when the record has no such list (a creation, an older record). */
export function describeChanges(parameters: unknown): string {
  const changed = (parameters as { changed?: unknown } | null)?.changed;
  if (!Array.isArray(changed)) return "";
  if (changed.length === 0) return "nothing changed";
  return `changed ${changed.map((f) => (f === "read_only" ? "read-only" : fieldLabel(String(f)))).join(", ")}`;
}

/** The seq of each `started` record no outcome record ends (still running, or killed). */
export function unfinished(records: AuditRecord[]): Set<number> {
  const ended = new Set(records.map((r) => r.started_seq).filter((s): s is number => s !== undefined));
  return new Set(records.filter((r) => r.outcome === "started" && !ended.has(r.seq)).map((r) => r.seq));
}

/** How a record's outcome reads, and whether it deserves attention. */
export function outcomeOf(r: AuditRecord, open: Set<number>): { text: string; tone: "ok" | "muted" | "warn" | "error" } {
  if (r.outcome === "started") {
    return open.has(r.seq) ? { text: "started, never finished (still running, or the process was killed)", tone: "warn" } : { text: "started", tone: "muted" };
  }
  const text = r.error ? `${r.outcome}: ${r.error}` : r.outcome;
  if (r.outcome === "ok") return { text, tone: "ok" };
  if (r.outcome === "cancelled" || r.outcome === "stopped") return { text, tone: "warn" };
  return { text, tone: "error" };
}

const range = (r: SeqRange) => (r.first === r.last ? `${r.first}` : `${r.first}–${r.last}`);

/** The chain's state in a sentence. */
export function describeChain(v: Verification): { text: string; ok: boolean } {
  if (v.ok) {
    const unkeyed = v.unkeyed.length ? ` · records ${v.unkeyed.map(range).join(", ")} carry no MAC (vouched for by a later record)` : "";
    return { text: `hash chain intact, MACs and keyring head verified · ${v.records} records${unkeyed}`, ok: true };
  }
  if (!v.keyed) return { text: `NOT VERIFIED: ${v.problem ?? ""}`, ok: false };
  return { text: `audit log BROKEN${v.line ? ` at line ${v.line}` : ""}: ${v.problem ?? ""}`, ok: false };
}
