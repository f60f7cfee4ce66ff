import { describe, expect, it } from "vitest";
import type { EnvStatus } from "../../ipc/bindings/EnvStatus";
import { cardState, failedChecks, stateLabel, summaryLine, trendText } from "./fleetModel";

function status(over: Partial<EnvStatus>): EnvStatus {
  return {
    id: "prod-eu", name: "prod-eu", tier: "prod", read_only: false, ok: true,
    rabbitmq_version: "4.3.6", erlang_version: "27", cluster_name: "rabbit@a",
    nodes: { running: 3, total: 3 }, alarms: [], queues: 10, messages: 5, messages_unacknowledged: 0,
    dead_letters: 0, stalled_queues: 0, checks: [], notes: [], took_ms: 40,
    ...over,
  };
}

describe("fleet model", () => {
  it("says unreachable with the error kind, unhealthy when a check failed", () => {
    expect(cardState(undefined)).toBe("checking");
    expect(cardState(status({}))).toBe("ok");
    const down = status({ ok: false, error: "connection refused", error_kind: "unreachable" });
    expect(cardState(down)).toBe("unreachable");
    expect(stateLabel(down)).toBe("Unreachable");
    expect(stateLabel(status({ ok: false, error: "x", error_kind: "timeout" }))).toBe("No answer");
    const sick = status({ ok: false, checks: [{ name: "alarms", ok: false, detail: "memory on rabbit@b" }] });
    expect(cardState(sick)).toBe("unhealthy");
  });

  it("counts failed, passed and skipped checks apart", () => {
    const s = status({
      checks: [
        { name: "alarms", ok: false, detail: "memory" },
        { name: "nodes_running", ok: true, detail: "skipped: the user may not run this check" },
        { name: "virtual_hosts", ok: true, detail: "ok" },
      ],
    });
    const f = failedChecks(s);
    expect(f.failed.map((c) => c.name)).toEqual(["alarms"]);
    expect([f.passed, f.skipped]).toEqual([1, 1]);
  });

  it("sums the cards in one line, counting those still checking", () => {
    const statuses = {
      a: status({ id: "a" }),
      b: status({ id: "b", ok: false, error: "x", error_kind: "dns" }),
    };
    expect(summaryLine(["a", "b", "c"], statuses)).toBe("3 environments · 1 healthy · 1 unreachable · 1 checking");
  });

  it("words the hour's trend with its sign", () => {
    expect(trendText(status({}))).toBeNull();
    expect(trendText(status({ trend: { messages_1h_ago: 10, messages_now: 1214, delta: 1204 } }))).toBe("+1,204 in 1 h");
    expect(trendText(status({ trend: { messages_1h_ago: 90, messages_now: 10, delta: -80 } }))).toBe("−80 in 1 h");
  });
});
