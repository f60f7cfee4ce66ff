import { describe, expect, it } from "vitest";
import { heatCells, heatmapOption, topBarOption } from "./realmCharts";
import { gridSlice, rankGroups } from "./realmModel";
import type { RealmSummary } from "../../ipc/bindings/RealmSummary";
import type { Totals } from "../../ipc/bindings/Totals";

const t = (messages: number, consumers = 1): Totals => ({
  queues: 1,
  messages,
  messages_ready: messages,
  messages_unacknowledged: 0,
  consumers,
  memory: 1000,
  publish_rate: 0,
  deliver_rate: 0,
  stalled_queues: consumers === 0 && messages > 0 ? 1 : 0,
  dead_letters: 0,
});
const palette = { text: "#000", muted: "#888", border: "#ccc", panel: "#fff", accent: "#f60", danger: "#f00" };

const summary: RealmSummary = {
  realms: [
    { key: "acme", totals: t(30) },
    { key: "globex", totals: t(5) },
  ],
  workers: [
    { key: "billing", totals: t(20) },
    { key: "mail", totals: t(15) },
  ],
  cells: [
    { worker: 0, realm: 0, totals: t(20) },
    { worker: 1, realm: 0, totals: t(10, 0) },
    { worker: 1, realm: 1, totals: t(5) },
  ],
  unpartitioned: t(0),
  total: t(35),
};

describe("realm charts", () => {
  it("puts the heaviest group on top of the bar chart and highlights it", () => {
    const o = topBarOption(rankGroups(summary.realms, "messages"), "messages", 10, 35, palette) as any;
    expect(o.yAxis.data).toEqual(["acme", "globex"]);
    expect(o.series[0].data[0]).toMatchObject({ value: 30, itemStyle: { color: "#f60" } });
    expect(o.series[0].data[1].itemStyle.color).toBe("#888");
    expect(o.series[0].label.formatter({ value: 30 })).toBe("30 · 86 %");
  });

  it("maps cells to (realm column, worker row) and outlines stalled ones", () => {
    const slice = gridSlice(summary, "messages", 30, 40);
    const cells = heatCells(summary, slice, "messages");
    expect(cells).toContainEqual({ value: [0, 0, 20], stalled: false });
    expect(cells).toContainEqual({ value: [0, 1, 10], stalled: true });
    expect(cells).toHaveLength(3);
    const o = heatmapOption(summary, slice, "messages", palette) as any;
    expect(o.xAxis.data).toEqual(["acme", "globex"]);
    expect(o.yAxis.data).toEqual(["billing", "mail"]);
    expect(o.visualMap.max).toBe(20);
    const stalled = o.series[0].data.find((d: any) => d.value[1] === 1 && d.value[0] === 0);
    expect(stalled.itemStyle.borderColor).toBe("#f00");
    expect(o.tooltip.formatter({ data: { value: [0, 1, 10] } })).toContain("no consumer");
  });
});
