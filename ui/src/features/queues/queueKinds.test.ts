import { describe, expect, it } from "vitest";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { formatDeliveryLimit, replicaSummary, retryFacts, withoutStreams } from "./queueKinds";

const row = (over: Partial<QueueRow>): QueueRow =>
  ({
    vhost: "/",
    name: "q",
    type: "classic",
    members: [],
    online: [],
    leader: null,
    delivery_limit: null,
    delayed_retry: null,
    messages_delayed: null,
    messages_dlx: null,
    ...over,
  }) as QueueRow;

describe("queue kinds", () => {
  it("leaves streams out of purge, move and browse", () => {
    const r = withoutStreams([row({ name: "a" }), row({ name: "s", type: "stream" }), row({ name: "q", type: "quorum" })]);
    expect(r.rows.map((x) => x.name)).toEqual(["a", "q"]);
    expect(r.streams).toBe(1);
  });

  it("shows a quorum queue's limit, unlimited without one, nothing for other types", () => {
    expect(formatDeliveryLimit(row({ type: "quorum", delivery_limit: 20 }))).toBe("20");
    expect(formatDeliveryLimit(row({ type: "quorum" }))).toBe("unlimited");
    expect(formatDeliveryLimit(row({ type: "classic" }))).toBe("—");
    expect(formatDeliveryLimit(row({ type: "stream" }))).toBe("—");
  });

  it("names the leader, the members and those offline", () => {
    expect(replicaSummary(row({}))).toBe("");
    const r = row({ members: ["rabbit@a", "rabbit@b"], online: ["rabbit@a"], leader: "rabbit@a" });
    expect(replicaSummary(r)).toBe("leader rabbit@a · 2 members: rabbit@a, rabbit@b · offline: rabbit@b");
  });

  it("lists 4.3 counters only where the broker sent them", () => {
    expect(retryFacts(row({}))).toEqual([]);
    const facts = retryFacts(row({ delayed_retry: "disabled", messages_delayed: 0, messages_dlx: 2 }));
    expect(facts.map((f) => f[0])).toEqual(["Delayed retry", "Delayed", "Dead-lettering"]);
    expect(facts[2][1]).toContain("2 in flight");
  });
});
