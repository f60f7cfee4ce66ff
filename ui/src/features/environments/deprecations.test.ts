import { describe, expect, it } from "vitest";
import type { Deprecation } from "../../ipc/bindings/Deprecation";
import { checkedBy, severityLabel, sortFindings } from "./deprecations";

const f = (severity: Deprecation["severity"], subject: string): Deprecation => ({ severity, subject, feature: "x", message: "m" });

describe("deprecations", () => {
  it("names each severity in the operator's words", () => {
    expect(severityLabel("breaks_on_upgrade")).toBe("will break on upgrade");
    expect(severityLabel("in_use_and_deprecated")).toBe("in use and deprecated");
  });

  it("puts what breaks on upgrade first", () => {
    const sorted = sortFindings([f("no_effect", "a"), f("in_use_and_deprecated", ""), f("breaks_on_upgrade", "policy b"), f("breaks_on_upgrade", "policy a")]);
    expect(sorted.map((x) => `${x.severity}:${x.subject}`)).toEqual([
      "breaks_on_upgrade:policy a",
      "breaks_on_upgrade:policy b",
      "in_use_and_deprecated:",
      "no_effect:a",
    ]);
  });

  it("says which checks ran", () => {
    expect(checkedBy({ rabbitmq_version: "3.10.8", broker_checked: false, findings: [], warnings: [] })).toContain("no deprecated-features API");
    expect(checkedBy({ rabbitmq_version: "4.3.6", broker_checked: true, findings: [], warnings: [] })).toContain("Checked by RabbitMQ 4.3.6");
  });
});
