// The history chart's option: one line of values over time, and a min–max band only where the
// points are downsampled buckets.
import { describe, expect, it } from "vitest";
import type { Point } from "../../ipc/bindings/Point";
import { hasBand, seriesOption } from "./historyChart";

const palette = { text: "#eee", muted: "#999", border: "#333", panel: "#111", accent: "#e8590c", danger: "#f66" };
type Line = { name: string; stack?: string; data: [number, number][]; areaStyle?: unknown };

describe("history chart", () => {
  const raw: Point[] = [
    { t: "2026-12-01T14:00:00Z", value: 10 },
    { t: "2026-12-01T14:00:15Z", value: 25 },
  ];
  const buckets: Point[] = [
    { t: "2026-11-20T00:00:00Z", value: 12, min: 4, max: 30 },
    { t: "2026-11-20T00:05:00Z", value: 20, min: 18, max: 21 },
  ];

  it("draws sampled points as one line at their times", () => {
    const series = seriesOption(raw, "messages", palette).series as Line[];
    expect(hasBand(raw)).toBe(false);
    expect(series).toHaveLength(1);
    expect(series[0].data).toEqual([
      [Date.parse("2026-12-01T14:00:00Z"), 10],
      [Date.parse("2026-12-01T14:00:15Z"), 25],
    ]);
  });

  it("adds the buckets' min–max as a band stacked under the averages", () => {
    const series = seriesOption(buckets, "messages", palette).series as Line[];
    expect(series).toHaveLength(3);
    const [min, range, avg] = series;
    expect(min.stack).toBe("band");
    expect(range.stack).toBe("band");
    expect(min.data.map(([, v]) => v)).toEqual([4, 18]);
    expect(range.data.map(([, v]) => v)).toEqual([26, 3]);
    expect(range.areaStyle).toBeDefined();
    expect(avg.data.map(([, v]) => v)).toEqual([12, 20]);
  });

  it("spans the time axis over the whole range asked for, not just the points", () => {
    const x = seriesOption(raw, "messages", palette, { from: 1000, to: 3_601_000 }).xAxis as { min?: number; max?: number };
    expect([x.min, x.max]).toEqual([1000, 3_601_000]);
  });

  it("steps a count's axis by whole numbers, not a rate's", () => {
    expect((seriesOption(raw, "consumers", palette).yAxis as { minInterval?: number }).minInterval).toBe(1);
    expect((seriesOption(raw, "publish_rate", palette).yAxis as { minInterval?: number }).minInterval).toBeUndefined();
  });

  it("says the time, the value and the bucket's range in the tooltip", () => {
    const tooltip = seriesOption(buckets, "memory", palette).tooltip as { formatter: (xs: { dataIndex: number }[]) => string };
    const text = tooltip.formatter([{ dataIndex: 0 }]);
    expect(text).toContain("memory: <b>12 B</b> (average)");
    expect(text).toContain("min 4 B · max 30 B");
    expect(tooltip.formatter([])).toBe("");
  });
});
