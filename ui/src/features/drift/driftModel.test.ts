import { describe, expect, it } from "vitest";
import type { DriftReport } from "../../ipc/bindings/DriftReport";
import { group, show, summary } from "./driftModel";

const report: DriftReport = {
  a: { env: "prod" },
  b: { env: "staging" },
  only_in_a: [
    { kind: "queue", vhost: "/", name: "acme.pdf-render", realm: "acme", worker: "pdf-render" },
    { kind: "exchange", vhost: "/", name: "audit" },
  ],
  only_in_b: [{ kind: "binding", vhost: "/", name: "jobs → queue:globex.billing [globex.#]", realm: "globex", worker: "billing" }],
  changed: [
    { kind: "queue", vhost: "/", name: "acme.billing", field: "arguments.x-max-length", a: 100, b: 200, realm: "acme", worker: "billing" },
  ],
  realms: [
    { realm: "acme", queues_a: 2, queues_b: 1, queues_only_in_a: ["acme.pdf-render"], queues_only_in_b: [], changed: 1, others_only_in_one: 0, sentence: "realm `acme` has 2 queues in prod and 1 in staging" },
  ],
  warnings: [],
};

describe("drift model", () => {
  it("groups by realm, then worker, then kind, most drift first and unpartitioned last", () => {
    const g = group(report);
    expect(g.map((r) => r.realm)).toEqual(["acme", "globex", ""]);
    expect(g[0].sentence).toMatch(/realm `acme`/);
    expect(g[0].workers.map((w) => w.worker)).toEqual(["billing", "pdf-render"]);
    expect(g[0].workers[0].byKind[0].lines[0]).toMatchObject({ what: "changed", field: "arguments.x-max-length", a: 100, b: 200 });
    expect(g[2].workers[0].byKind[0].kind).toBe("exchange");
  });

  it("sums the differences in one line", () => {
    expect(summary(report, "prod", "staging")).toBe("4 differences: 2 only in prod, 1 only in staging, 1 setting differs");
    expect(summary({ ...report, only_in_a: [], only_in_b: [], changed: [] }, "a", "b")).toBe("a and b have the same topology");
  });

  it("shows values as the broker holds them, absent as absent", () => {
    expect(show(null)).toBe("absent");
    expect(show("lazy")).toBe("lazy");
    expect(show(100)).toBe("100");
  });
});
