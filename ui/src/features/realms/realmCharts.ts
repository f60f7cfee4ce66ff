// ECharts options of the realm screens, built from the summary (pure, so they are unit-tested):
// the top-N bar chart of realms or workers, and the worker × realm heatmap.
import type { EChartsCoreOption } from "echarts/core";
import type { Group } from "../../ipc/bindings/Group";
import type { Metric } from "../../ipc/bindings/Metric";
import type { RealmSummary } from "../../ipc/bindings/RealmSummary";
import type { Palette } from "../charts/palette";
import { formatBytes, formatCount, formatRate } from "../queues/format";
import { groupLabel, metricValue, type GridSlice } from "./realmModel";

export function formatterFor(metric: Metric): (v: number) => string {
  return metric === "memory" ? formatBytes : metric.endsWith("rate") ? formatRate : formatCount;
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** Horizontal bars of the `n` heaviest groups (already ranked), heaviest on top. */
export function topBarOption(ranked: Group[], metric: Metric, n: number, whole: number, p: Palette): EChartsCoreOption {
  const top = ranked.slice(0, n);
  const fmt = formatterFor(metric);
  return {
    animation: false,
    grid: { left: 8, right: 90, top: 4, bottom: 4, containLabel: true },
    xAxis: { type: "value", show: false, max: (v: { max: number }) => Math.max(v.max, 1) },
    yAxis: {
      type: "category",
      inverse: true,
      data: top.map(groupLabel),
      axisLabel: { color: p.text, width: 150, overflow: "truncate" },
      axisLine: { lineStyle: { color: p.border } },
      axisTick: { show: false },
      triggerEvent: true,
    },
    tooltip: {
      trigger: "item",
      backgroundColor: p.panel,
      borderColor: p.border,
      textStyle: { color: p.text },
      formatter: (x: { dataIndex: number }) => {
        const g = top[x.dataIndex];
        const v = metricValue(g.totals, metric);
        return `<b>${escape(groupLabel(g))}</b><br/>${metric}: ${fmt(v)}${whole > 0 ? ` (${((v / whole) * 100).toFixed(1)} %)` : ""}<br/>${g.totals.queues} queues · ${formatCount(g.totals.consumers)} consumers`;
      },
    },
    series: [
      {
        type: "bar",
        data: top.map((g, i) => ({ value: metricValue(g.totals, metric), itemStyle: { color: i === 0 ? p.accent : p.muted, borderRadius: 3 } })),
        barMaxWidth: 18,
        label: {
          show: true,
          position: "right",
          color: p.text,
          formatter: (x: { value: number }) => `${fmt(x.value)}${whole > 0 ? ` · ${((x.value / whole) * 100).toFixed(0)} %` : ""}`,
        },
      },
    ],
  };
}

/** One heatmap cell: [realm column, worker row, value], and whether it holds messages nobody consumes. */
export interface HeatCell {
  value: [number, number, number];
  stalled: boolean;
}

export function heatCells(s: RealmSummary, slice: GridSlice, metric: Metric): HeatCell[] {
  const out: HeatCell[] = [];
  const nr = s.realms.length;
  slice.workers.forEach((w, y) =>
    slice.realms.forEach((r, x) => {
      const t = slice.cells.get(w * nr + r);
      if (t) out.push({ value: [x, y, metricValue(t, metric)], stalled: t.stalled_queues > 0 });
    }),
  );
  return out;
}

/** The worker × realm heatmap: rows are workers, columns realms, heaviest first. */
export function heatmapOption(s: RealmSummary, slice: GridSlice, metric: Metric, p: Palette): EChartsCoreOption {
  const fmt = formatterFor(metric);
  const cells = heatCells(s, slice, metric);
  const realms = slice.realms.map((r) => groupLabel(s.realms[r]));
  const workers = slice.workers.map((w) => groupLabel(s.workers[w]));
  const nr = s.realms.length;
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
    xAxis: {
      type: "category",
      position: "top",
      data: realms,
      axisLabel: { color: p.text, rotate: 45, interval: 0 },
      axisLine: { lineStyle: { color: p.border } },
      splitArea: { show: false },
      triggerEvent: true,
    },
    yAxis: {
      type: "category",
      inverse: true,
      data: workers,
      axisLabel: { color: p.text, interval: 0 },
      axisLine: { lineStyle: { color: p.border } },
      triggerEvent: true,
    },
    visualMap: {
      show: false,
      min: 0,
      max: Math.max(slice.max, 1),
      dimension: 2,
      inRange: { color: [p.panel, p.accent] },
    },
    tooltip: {
      backgroundColor: p.panel,
      borderColor: p.border,
      textStyle: { color: p.text },
      formatter: (x: { data: { value: [number, number, number] } }) => {
        const [cx, cy, v] = x.data.value;
        const t = slice.cells.get(slice.workers[cy] * nr + slice.realms[cx])!;
        return `<b>${escape(workers[cy])} · ${escape(realms[cx])}</b><br/>${metric}: ${fmt(v)}<br/>messages ${formatCount(t.messages)} · unacked ${formatCount(
          t.messages_unacknowledged,
        )}<br/>consumers ${formatCount(t.consumers)} · memory ${formatBytes(t.memory)}${t.stalled_queues > 0 ? "<br/><b>messages waiting, no consumer</b>" : ""}`;
      },
    },
    series: [
      {
        type: "heatmap",
        data: cells.map((c) => ({
          value: c.value,
          itemStyle: c.stalled ? { borderColor: p.danger, borderWidth: 2 } : { borderColor: p.border, borderWidth: 1 },
        })),
        emphasis: { itemStyle: { borderColor: p.text, borderWidth: 2 } },
      },
    ],
  };
}
