import { describe, expect, it } from "vitest";
import { describeChain, describeChanges, describeCounts, filterRecords, outcomeOf, unfinished } from "./auditModel";
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

describe("audit outcomes and chain state", () => {
  const started = (seq: number): AuditRecord => ({ ...rec(seq, "prod", "dlq.replay", "2026-11-26T10:00:00.000Z"), outcome: "started" });
  const ended = (seq: number, of: number, outcome: string): AuditRecord => ({ ...rec(seq, "prod", "dlq.replay", "2026-11-26T10:01:00.000Z"), outcome, started_seq: of });
  it("shows a started run without an outcome as never finished", () => {
    const records = [started(1), started(2), ended(3, 2, "cancelled")];
    const open = unfinished(records);
    expect([...open]).toEqual([1]);
    expect(outcomeOf(records[0], open)).toEqual({ text: "started, never finished (still running, or the process was killed)", tone: "warn" });
    expect(outcomeOf(records[1], open).tone).toBe("muted");
    expect(outcomeOf(records[2], open)).toEqual({ text: "cancelled", tone: "warn" });
    expect(outcomeOf({ ...ended(4, 1, "error"), error: "boom" }, open)).toEqual({ text: "error: boom", tone: "error" });
  });
  it("says when the chain could not be checked against the keyring", () => {
    expect(describeChain({ records: 3, ok: true, keyed: true, unkeyed: [] }).text).toMatch(/^hash chain intact/);
    expect(describeChain({ records: 3, ok: true, keyed: true, unkeyed: [{ first: 1, last: 2 }] }).text).toContain("records 1–2 carry no MAC");
    expect(describeChain({ records: 3, ok: false, keyed: false, unkeyed: [], problem: "the OS keyring could not be reached" })).toEqual({ text: "NOT VERIFIED: the OS keyring could not be reached", ok: false });
    expect(describeChain({ records: 2, ok: false, keyed: true, unkeyed: [], line: 3, problem: "removed" }).text).toBe("audit log BROKEN at line 3: removed");
  });

  it("says which fields an environment change changed, readably", () => {
    expect(describeChanges({ password_changed: true, read_only: true, changed: ["management_urls", "read_only", "tls.verify", "password"] })).toBe(
      "changed management URLs, read-only, TLS verify, password",
    );
    expect(describeChanges({ changed: ["amqp_urls", "realm_template"] })).toBe("changed AMQP URLs, realm template");
    expect(describeChanges({ changed: [] })).toBe("nothing changed");
    expect(describeChanges({ password_changed: false, read_only: false })).toBe("");
    expect(describeChanges(null)).toBe("");
  });
});
