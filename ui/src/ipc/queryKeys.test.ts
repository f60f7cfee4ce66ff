// Keys are compared by TanStack Query's own matcher: what a screen invalidates must reach what
// another screen cached, and nothing of another environment.
import { describe, expect, it } from "vitest";
import { QueryClient } from "@tanstack/react-query";
import { queryKeys } from "./queryKeys";

function cachedAfterInvalidating(keys: readonly (readonly unknown[])[], prefix: readonly unknown[]) {
  const client = new QueryClient();
  for (const k of keys) client.setQueryData(k, 1);
  void client.invalidateQueries({ queryKey: prefix }, { cancelRefetch: false });
  return keys.map((k) => client.getQueryState(k)?.isInvalidated);
}

describe("query keys", () => {
  it("invalidating an environment's browses reaches each browsed queue, not another environment's", () => {
    const a = queryKeys.dlqBrowse("a", { vhost: "/", name: "dlq", limit: 200, insist: false });
    const a2 = queryKeys.dlqBrowse("a", { vhost: "v", name: "dlq", limit: 50, insist: true });
    const b = queryKeys.dlqBrowse("b", { vhost: "/", name: "dlq", limit: 200, insist: false });
    expect(cachedAfterInvalidating([a, a2, b], queryKeys.dlqBrowse("a"))).toEqual([true, true, false]);
  });

  it("the inventory of one environment is one entry, apart from what is computed over it", () => {
    const inv = queryKeys.inventory("a");
    expect(inv).toEqual(queryKeys.inventory("a"));
    const over = [queryKeys.realms("a", 1), queryKeys.dlqList("a", 1), queryKeys.queueFilter("a", "x", 1)];
    expect(cachedAfterInvalidating([inv, ...over], inv)).toEqual([true, false, false, false]);
  });

  it("a reload gives the answers computed over the queues new keys", () => {
    expect(queryKeys.realms("a", 1)).not.toEqual(queryKeys.realms("a", 2));
    expect(queryKeys.realmsDeadLetters("a", 1, false)).not.toEqual(queryKeys.realmsDeadLetters("a", 1, true));
  });

  it("a policy plan is keyed by its settings, whatever their count", () => {
    expect(queryKeys.realmPolicyPlan("a", "acme", ["max-length=1", "overflow=drop-head"], 10)).not.toEqual(
      queryKeys.realmPolicyPlan("a", "acme", ["max-length=1"], 10),
    );
  });
});

describe("after a change", () => {
  it("every answer showing an environment's queue numbers is marked stale, nothing of another environment", async () => {
    const { refreshAfterChange } = await import("./afterChange");
    const client = new QueryClient();
    const mine = [
      queryKeys.inventory("a"),
      queryKeys.queueDetails("a", "/", "q"),
      queryKeys.dlqBrowse("a", { vhost: "/", name: "dlq", limit: 200, insist: false }),
      queryKeys.dlqPlan("a", { vhost: "/", queue: "dlq", target: { kind: "origin" }, filter: "", keys: null, discard: false }),
      queryKeys.realmPolicies("a"),
      queryKeys.audit(),
    ];
    const theirs = [queryKeys.inventory("b"), queryKeys.queueDetails("b", "/", "q"), queryKeys.dlqBrowse("b")];
    for (const k of [...mine, ...theirs]) client.setQueryData(k, 1);
    await refreshAfterChange(client, "a");
    expect(mine.map((k) => client.getQueryState(k)?.isInvalidated)).toEqual(mine.map(() => true));
    expect(theirs.map((k) => client.getQueryState(k)?.isInvalidated)).toEqual(theirs.map(() => false));
  });
});
