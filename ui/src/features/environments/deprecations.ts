// How the environment page words what the core found deprecated: mirroring policies that break
// on an upgrade to 4.x first, then what the broker reports in use, then what already does nothing.
import type { Deprecation } from "../../ipc/bindings/Deprecation";
import type { DeprecationReport } from "../../ipc/bindings/DeprecationReport";
import type { DeprecationSeverity } from "../../ipc/bindings/DeprecationSeverity";

const ORDER: DeprecationSeverity[] = ["breaks_on_upgrade", "in_use_and_deprecated", "no_effect"];

export function severityLabel(s: DeprecationSeverity): string {
  switch (s) {
    case "breaks_on_upgrade":
      return "will break on upgrade";
    case "in_use_and_deprecated":
      return "in use and deprecated";
    case "no_effect":
      return "no effect on this broker";
  }
}

export function sortFindings(findings: Deprecation[]): Deprecation[] {
  return [...findings].sort((a, b) => ORDER.indexOf(a.severity) - ORDER.indexOf(b.severity) || a.subject.localeCompare(b.subject));
}

/** One line under the findings: which checks ran. */
export function checkedBy(r: DeprecationReport): string {
  const version = r.rabbitmq_version ? `RabbitMQ ${r.rabbitmq_version}` : "this broker";
  return r.broker_checked
    ? `Checked by ${version} (deprecated features in use) and by Warren (mirroring policies).`
    : `${version} has no deprecated-features API (it arrived in 4.x): Warren checked the policies for classic mirroring.`;
}
