import { describe, expect, it } from "vitest";
import { queueKey, shownIndices } from "./queuesModel";

describe("queue screen", () => {
  it("tells queues apart by vhost and name together", () => {
    expect(queueKey({ vhost: "a", name: "b/c" })).not.toBe(queueKey({ vhost: "a/b", name: "c" }));
  });

  it("shows every row without a filter, and only the filter's rows with one", () => {
    const outcome = { indices: [0, 2], uses_realms: false, needs_load: false };
    expect(shownIndices(true, outcome, null)).toBeNull();
    expect([...shownIndices(false, outcome, null)!]).toEqual([0, 2]);
  });

  it("shows nothing for a filter before its answer over the rows on screen, or when it is invalid", () => {
    const outcome = { indices: [0], uses_realms: false, needs_load: false };
    expect(shownIndices(false, undefined, null)!.size).toBe(0);
    // An answer over other rows than those on screen (the loaded list vs the rows standing in).
    expect(shownIndices(false, outcome, 3)!.size).toBe(0);
    expect([...shownIndices(false, { ...outcome, stand_in: 3 }, 3)!]).toEqual([0]);
    expect(shownIndices(false, { ...outcome, stand_in: 2 }, 3)!.size).toBe(0);
    expect(shownIndices(false, { ...outcome, stand_in: 3 }, null)!.size).toBe(0);
    expect(shownIndices(false, { ...outcome, error: { position: 0, message: "m", expected: "e" } as never }, null)!.size).toBe(0);
  });

});
