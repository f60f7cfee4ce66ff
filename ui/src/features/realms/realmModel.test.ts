// The realm screens' pure logic: ranking by a metric, the grid's slice, and drill-down terms
// that the core's filter parser reads back as one value.
import { describe, expect, it } from "vitest";
import type { RealmSummary } from "../../ipc/bindings/RealmSummary";
import type { Totals } from "../../ipc/bindings/Totals";
import { drillFilter, gridSlice, groupFilter, groupLabel, groupRows, METRICS, metricValue, quoteTerm, rankGroups, shareLabel } from "./realmModel";

const t = (messages: number, consumers = 0): Totals => ({
  queues: 1,
  messages,
  messages_ready: messages,
  messages_unacknowledged: 0,
  consumers,
  memory: 0,
  publish_rate: 0,
  deliver_rate: 0,
  stalled_queues: messages > 0 && consumers === 0 ? 1 : 0,
  dead_letters: 0,
});

const summary: RealmSummary = {
  realms: [
    { key: "acme", totals: t(30, 1) },
    { key: "globex", totals: t(5, 4) },
    { key: "initech", totals: t(5, 0) },
  ],
  workers: [
    { key: "billing", totals: t(35, 2) },
    { key: "email", totals: t(5, 3) },
  ],
  cells: [
    { worker: 0, realm: 0, totals: t(30, 1) },
    { worker: 0, realm: 2, totals: t(5, 0) },
    { worker: 1, realm: 1, totals: t(5, 4) },
  ],
  unpartitioned: t(0),
  total: t(40),
};

describe("realm model", () => {
  it("reads each metric from its own total", () => {
    const totals = { queues: 1, messages: 2, messages_ready: 3, messages_unacknowledged: 4, consumers: 5, memory: 6, publish_rate: 7, deliver_rate: 8, stalled_queues: 9, dead_letters: 10 };
    expect(METRICS.map((m) => metricValue(totals, m.id))).toEqual([2, 3, 4, 5, 6, 7, 8, 1, 10]);
  });

  it("drills into a realm or worker with a filter term, and shows shares of the whole", () => {
    expect(drillFilter("realm", "big client")).toBe('realm:"big client"');
    expect(drillFilter("worker", "billing")).toBe("worker:billing");
    expect(shareLabel(1, 8)).toBe("12.5 %");
    expect(shareLabel(1, 0)).toBe("—");
  });

  it("ranks heaviest first, ties by name", () => {
    expect(rankGroups(summary.realms, "messages").map((g) => g.key)).toEqual(["acme", "globex", "initech"]);
    expect(rankGroups(summary.realms, "consumers").map((g) => g.key)).toEqual(["globex", "acme", "initech"]);
  });

  it("slices the heaviest workers × realms and keeps only their cells", () => {
    const s = gridSlice(summary, "messages", 1, 2);
    expect(s.workers).toEqual([0]);
    expect(s.realms).toEqual([0, 1]);
    expect([...s.cells.keys()]).toEqual([0 * 3 + 0]);
    expect(s.max).toBe(30);
  });

  it("quotes values that would not survive as one word", () => {
    expect(quoteTerm("acme")).toBe("acme");
    expect(quoteTerm("big client")).toBe('"big client"');
    expect(quoteTerm('a"b')).toBe('"a\\"b"');
    expect(quoteTerm("a|b")).toBe('"a|b"');
  });
});

describe("groups of a view over several vhosts", () => {
  it("name, filter and select a group in its own vhost", () => {
    const apart = { key: "acme", vhost: "shop" };
    expect(groupLabel(apart)).toBe("acme @ shop");
    expect(groupLabel({ key: "acme" })).toBe("acme");
    expect(groupFilter("realm", apart)).toBe("realm:acme vhost:shop");
    expect(groupFilter("worker", { key: "pdf render" })).toBe('worker:"pdf render"');
    const rows = [
      { vhost: "shop", name: "billing.acme", realm: "acme", worker: "billing" },
      { vhost: "staging", name: "billing.acme", realm: "acme", worker: "billing" },
      { vhost: "shop", name: "billing.globex", realm: "globex", worker: "billing" },
    ];
    // The group's vhost wins; without one, the view's scope; without a scope, every vhost.
    expect(groupRows(rows, "realm", apart, null).map((r) => r.vhost)).toEqual(["shop"]);
    expect(groupRows(rows, "realm", { key: "acme" }, "staging").map((r) => r.vhost)).toEqual(["staging"]);
    expect(groupRows(rows, "realm", { key: "acme" }, null)).toHaveLength(2);
    expect(groupRows(rows, "worker", { key: "billing" }, "shop")).toHaveLength(2);
  });
});
