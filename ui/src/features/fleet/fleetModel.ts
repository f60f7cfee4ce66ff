// What the Fleet view shows of each environment's status: its state in one word, the checks
// that failed, the summary line over all cards. Pure, so it is unit-tested without a window.
import type { EnvStatus } from "../../ipc/bindings/EnvStatus";

export type CardState = "checking" | "ok" | "unhealthy" | "unreachable";

export function cardState(s: EnvStatus | undefined): CardState {
  if (!s) return "checking";
  if (s.error) return "unreachable";
  return s.ok ? "ok" : "unhealthy";
}

/** The error kind as a person reads it. */
const ERROR_LABEL: Record<string, string> = {
  unreachable: "Unreachable",
  timeout: "No answer",
  dns: "Unknown host",
  wrong_credentials: "Wrong credentials",
  missing_management_tag: "No management tag",
  management_not_enabled: "No management API",
  tls_verification: "TLS certificate rejected",
  tls_mismatch: "TLS mismatch",
  not_rabbitmq: "Not RabbitMQ",
  tls_files: "TLS files unreadable",
  refused: "Refused",
  ssh: "SSH login failed",
  host_key_unknown: "Unknown jump host key",
  host_key_changed: "Jump host key changed",
};

export function stateLabel(s: EnvStatus | undefined): string {
  const state = cardState(s);
  if (state === "unreachable") return ERROR_LABEL[s?.error_kind ?? ""] ?? "Error";
  return { checking: "Checking…", ok: "Healthy", unhealthy: "Unhealthy" }[state];
}

/** The checks that failed, and how many passed or were skipped. */
export function failedChecks(s: EnvStatus): { failed: EnvStatus["checks"]; passed: number; skipped: number } {
  const failed = s.checks.filter((c) => !c.ok);
  const skipped = s.checks.filter((c) => c.ok && c.detail.startsWith("skipped")).length;
  return { failed, passed: s.checks.length - failed.length - skipped, skipped };
}

/** "5 environments · 3 healthy · 1 unhealthy · 1 unreachable" (checking ones counted apart). */
export function summaryLine(ids: string[], statuses: Record<string, EnvStatus>): string {
  const count = { checking: 0, ok: 0, unhealthy: 0, unreachable: 0 };
  for (const id of ids) count[cardState(statuses[id])] += 1;
  const parts = [`${ids.length} environment${ids.length === 1 ? "" : "s"}`];
  if (count.ok) parts.push(`${count.ok} healthy`);
  if (count.unhealthy) parts.push(`${count.unhealthy} unhealthy`);
  if (count.unreachable) parts.push(`${count.unreachable} unreachable`);
  if (count.checking) parts.push(`${count.checking} checking`);
  return parts.join(" · ");
}

/** "+1,204 in 1 h", "−80 in 1 h", "steady" — or null without an hour of history. */
export function trendText(s: EnvStatus): string | null {
  if (!s.trend) return null;
  const d = Math.round(s.trend.delta);
  if (d === 0) return "steady for 1 h";
  const sign = d > 0 ? "+" : "−";
  return `${sign}${Math.abs(d).toLocaleString("en-US")} in 1 h`;
}

export function count(n: number | null | undefined): string {
  return n == null ? "–" : n.toLocaleString("en-US");
}
