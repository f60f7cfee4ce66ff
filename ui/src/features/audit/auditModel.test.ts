import { describe, expect, it } from "vitest";
import { describeCounts, filterRecords } from "./auditModel";
import type { AuditRecord } from "../../ipc/bindings/AuditRecord";

const rec = (seq: number, environment: string, action: string, time: string): AuditRecord => ({
  seq,
  time,
  os_user: "me",
  host: "laptop",
  environment,
  tier: "dev",
  action,
  targets: [],
  parameters: {},
  counts: {},
  outcome: "ok",
  duration_ms: 1,
  prev_hash: "",
  hash: "h",
});

describe("audit view", () => {
  const all = [rec(1, "local", "queues.purge", "2026-11-25T10:00:00.000Z"), rec(2, "prod", "dlq.replay", "2026-11-26T09:00:00.000Z"), rec(3, "local", "dlq.discard", "2026-11-26T10:00:00.000Z")];
  it("filters by environment, action prefix and time, newest first", () => {
    expect(filterRecords(all, { environment: "", action: "", since: "" }).map((r) => r.seq)).toEqual([3, 2, 1]);
    expect(filterRecords(all, { environment: "local", action: "", since: "" }).map((r) => r.seq)).toEqual([3, 1]);
    expect(filterRecords(all, { environment: "", action: "dlq", since: "" }).map((r) => r.seq)).toEqual([3, 2]);
    expect(filterRecords(all, { environment: "", action: "", since: "2026-11-26T09:30" }).map((r) => r.seq)).toEqual([3]);
  });
  it("describes counts briefly", () => {
    expect(describeCounts({ replayed: 48, kept: 0, stopped: false, replay_id: "r1" })).toBe("replayed 48");
    expect(describeCounts(null)).toBe("");
  });
});
