// The realm screens' pure logic: ranking by a metric, the grid's slice, and drill-down terms
// that the core's filter parser reads back as one value.
import { describe, expect, it } from "vitest";
import type { RealmSummary } from "../../ipc/bindings/RealmSummary";
import type { Totals } from "../../ipc/bindings/Totals";
import { gridSlice, quoteTerm, rankGroups } from "./realmModel";

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

import { policySettings } from "./PolicyDialog";

describe("policy settings", () => {
  it("keeps filled fields as KEY=VALUE and leaves blank ones out", () => {
    expect(policySettings({ "max-length": " 1000 ", "message-ttl": "" }, "")).toEqual(["max-length=1000"]);
    expect(policySettings({ "max-length": "" }, "reject-publish")).toEqual(["overflow=reject-publish"]);
    expect(policySettings({}, "")).toEqual([]);
  });
});
