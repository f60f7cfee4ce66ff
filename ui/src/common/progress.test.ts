import { describe, expect, it } from "vitest";
import { describeScoped, percentDone, scopedProgress, secondsLeft } from "./progress";

describe("progress", () => {
  it("is a share of the total, capped at 100, zero while the total is unknown", () => {
    expect(percentDone(1, 4)).toBe(25);
    expect(percentDone(12, 10)).toBe(100);
    expect(percentDone(5, 0)).toBe(0);
  });
  it("estimates the time left from the rate so far", () => {
    expect(secondsLeft({ done: 10, total: 110, rate: 20 })).toBe(5);
    expect(secondsLeft({ done: 10, total: 110, rate: 0 })).toBeNull();
    expect(secondsLeft({ done: 120, total: 110, rate: 20 })).toBe(0);
    expect(secondsLeft(null)).toBeNull();
  });
  it("counts a group replay against the group, and the messages read against the queue", () => {
    const running = scopedProgress({ done: 120, total: 200, rate: 50, scope: { matched: 21, acted: 20, expected: 35 } });
    expect(describeScoped(running, "replayed")).toBe("20 of 35 replayed · read 120 of 200");
    const unknown = scopedProgress({ done: 120, total: 200, rate: 50, scope: { matched: 21, acted: 20 } });
    expect(describeScoped(unknown, "discarded")).toBe("20 discarded so far · read 120 of 200");
    const plain = scopedProgress({ done: 1500, total: 2000, rate: 50 });
    expect(describeScoped(plain, "moved")).toBe("1,500 of 2,000 moved · read 1,500 of 2,000");
  });
});
