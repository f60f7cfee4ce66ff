import { describe, expect, it } from "vitest";
import { clip, describeTarget, foundLabel, groupFilter, kindLabel, originLabel, replayTarget, replayedCount, searchMessages, stayingCount } from "./dlqModel";
import type { ReplayPlan } from "../../ipc/bindings/ReplayPlan";
import type { DeadLetter } from "../../ipc/bindings/DeadLetter";

const msg = (id: string, origin: string, reason: string, body = "{}"): DeadLetter => ({
  position: 0,
  key: id,
  exchange: "dlx",
  routing_key: origin,
  redelivered: false,
  properties: { message_id: id },
  headers: {},
  deaths: [],
  kind: "broker",
  origin,
  reason,
  body: { kind: "json", size: body.length, preview: body, truncated: false },
});

describe("dead-letter helpers", () => {
  it("searches id, origin, reason and body, every word", () => {
    const all = [msg("m1", "billing.acme", "rejected", '{"order": 42}'), msg("m2", "mail.globex", "expired")];
    expect(searchMessages(all, "acme").map((m) => m.key)).toEqual(["m1"]);
    expect(searchMessages(all, "expired globex").map((m) => m.key)).toEqual(["m2"]);
    expect(searchMessages(all, "order 42").map((m) => m.key)).toEqual(["m1"]);
    expect(searchMessages(all, "  ")).toHaveLength(2);
    expect(searchMessages(all, "rejected globex")).toHaveLength(0);
  });

  it("turns a group into the filter the core understands", () => {
    expect(groupFilter({ origin: "billing.acme", reason: "rejected", count: 3 })).toBe("origin:billing.acme reason:rejected");
  });

  it("says who fills a DLQ and how it was found", () => {
    expect(kindLabel("masstransit")).toBe("MassTransit");
    expect(kindLabel("broker")).toBe("broker DLQ");
    expect(foundLabel({ wiring: "wired", feeders: ["a", "b"], exchanges: ["dlx"] })).toBe("2 feeders");
    expect(foundLabel({ wiring: "by_binding", feeders: [], exchanges: ["app.errors"] })).toBe("bound from app.errors");
    expect(foundLabel({ wiring: "by_headers", feeders: [], exchanges: [] })).toMatch(/headers/);
    expect(originLabel({ kind: "nservicebus" })).toBe("Failed in (NServiceBus)");
    expect(originLabel({ kind: "broker" })).toBe("Died in");
  });

  it("turns a framework's exception message into a group filter the core parses", () => {
    expect(groupFilter({ origin: "submit-order", reason: "Budget exceeded", count: 2 })).toBe("origin:submit-order reason:Budget*exceeded");
    expect(clip("x".repeat(100), 80)).toHaveLength(80);
    expect(clip("short", 80)).toBe("short");
  });

  it("describes targets", () => {
    expect(describeTarget({ kind: "origin" })).toMatch(/died in/);
    expect(describeTarget({ kind: "queue", name: "retry" })).toBe("queue retry");
    expect(describeTarget({ kind: "exchange", name: "work" })).toMatch(/each message's routing key/);
  });
});

describe("delivery limits", () => {
  it("says how many reads a message has left", async () => {
    const { readsLeftLabel, needsInsist } = await import("./dlqModel");
    expect(readsLeftLabel({})).toBe("");
    expect(readsLeftLabel({ reads_left: 0 })).toBe("next read drops it");
    expect(readsLeftLabel({ reads_left: 1 })).toBe("1 read left");
    expect(readsLeftLabel({ reads_left: 19 })).toBe("19 reads left");
    expect(needsInsist({ kind: "near_delivery_limit" })).toBe(true);
    expect(needsInsist({ kind: "broker" })).toBe(false);
    expect(needsInsist(null)).toBe(false);
  });
});

describe("replay choices", () => {
  it("a queue or exchange target waits for its name; the others stand alone", () => {
    expect(replayTarget("queue", "  ")).toBeNull();
    expect(replayTarget("queue", " parked ")).toEqual({ kind: "queue", name: "parked" });
    expect(replayTarget("exchange", "work")).toEqual({ kind: "exchange", name: "work" });
    expect(replayTarget("origin", "ignored")).toEqual({ kind: "origin" });
  });

  it("a plan moves what is in scope, less the loop-guarded and origin-less, which a discard removes too", () => {
    const plan = { in_scope: 10, loop_guarded: 2, no_origin: 1, out_of_scope: 4 } as ReplayPlan;
    expect(replayedCount(plan)).toBe(7);
    expect(stayingCount(plan, false)).toBe(7);
    expect(stayingCount(plan, true)).toBe(4);
  });
});
