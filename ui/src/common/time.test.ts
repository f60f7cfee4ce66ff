import { describe, expect, it } from "vitest";
import { formatTimestamp } from "./time";

describe("formatTimestamp", () => {
  it("writes local time as YYYY-MM-DD HH:MM:SS, zero-padded", () => {
    const ms = new Date(2026, 0, 5, 7, 3, 9).getTime();
    expect(formatTimestamp(ms)).toBe("2026-01-05 07:03:09");
    expect(formatTimestamp(new Date(2026, 11, 31, 23, 59, 58).getTime())).toBe("2026-12-31 23:59:58");
  });

  it("says nothing it cannot read", () => {
    expect(formatTimestamp(Number.NaN)).toBe("—");
  });
});
