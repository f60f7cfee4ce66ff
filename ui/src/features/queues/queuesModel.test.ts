import { describe, expect, it } from "vitest";
import { queueKey, shownIndices } from "./queuesModel";

describe("queue screen", () => {
  it("tells queues apart by vhost and name together", () => {
    expect(queueKey({ vhost: "a", name: "b/c" })).not.toBe(queueKey({ vhost: "a/b", name: "c" }));
  });

  it("shows every row without a filter, and only the filter's rows with one", () => {
    const outcome = { indices: [0, 2], uses_realms: false };
    expect(shownIndices(true, outcome, false)).toBeNull();
    expect([...shownIndices(false, outcome, false)!]).toEqual([0, 2]);
  });

  it("shows nothing for a filter before its answer, on the first page alone, or when it is invalid", () => {
    const outcome = { indices: [0], uses_realms: false };
    expect(shownIndices(false, undefined, false)!.size).toBe(0);
    expect(shownIndices(false, outcome, true)!.size).toBe(0);
    expect(shownIndices(false, { ...outcome, error: { position: 0, message: "m", expected: "e" } as never }, false)!.size).toBe(0);
  });

});
