import { describe, expect, it } from "vitest";
import { percentDone, secondsLeft } from "./progress";

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
});
