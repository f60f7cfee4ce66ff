import { describe, expect, it } from "vitest";
import { formatBytes, formatDelta, formatRate } from "./format";

describe("queue table formatting", () => {
  it("formats bytes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(20 * 1024 * 1024)).toBe("20 MiB");
  });

  it("keeps small rates visible and big ones short", () => {
    expect(formatRate(0)).toBe("0");
    expect(formatRate(0.04)).toBe("<0.1");
    expect(formatRate(2.345)).toBe("2.3");
    expect(formatRate(1234.5)).toBe("1,235");
  });

  it("signs backlog changes and hides no change", () => {
    expect(formatDelta(120)).toBe("+120");
    expect(formatDelta(-40)).toBe("−40");
    expect(formatDelta(0)).toBe("");
    expect(formatDelta(undefined)).toBe("");
  });
});
