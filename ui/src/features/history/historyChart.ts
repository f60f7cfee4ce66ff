// The ECharts option of a history series (pure, so it is unit-tested): the values as a line over
// time and, where the points are downsampled buckets, their min–max range as a band under it.
import type { EChartsCoreOption } from "echarts/core";
import type { HistoryMetric } from "../../ipc/bindings/HistoryMetric";
import type { Point } from "../../ipc/bindings/Point";
import type { Palette } from "../charts/palette";
import { formatTimestamp } from "../../common/time";
import { formatMetric, metricLabel } from "./historyModel";

/** Whether any point carries a bucket's extremes (downsampled). */
export const hasBand = (points: readonly Point[]) => points.some((p) => p.min !== undefined && p.max !== undefined);

/** `window`: the range asked for, in ms since the epoch; the axis spans it whole (left to itself,
 * ECharts spreads one point over days). */
export function seriesOption(points: readonly Point[], metric: HistoryMetric, p: Palette, window?: { from: number; to: number }): EChartsCoreOption {
  const t = points.map((pt) => Date.parse(pt.t));
  const band = hasBand(points);
  const fmt = (v: number) => formatMetric(metric, v);
  // The band is two stacked series: the minimum (not drawn) and max − min filled above it.
  const bandSeries = band
    ? [
        {
          type: "line",
          name: "min",
          stack: "band",
          data: points.map((pt, i) => [t[i], pt.min ?? pt.value]),
          symbol: "none",
          lineStyle: { opacity: 0 },
          silent: true,
        },
        {
          type: "line",
          name: "range",
          stack: "band",
          data: points.map((pt, i) => [t[i], (pt.max ?? pt.value) - (pt.min ?? pt.value)]),
          symbol: "none",
          lineStyle: { opacity: 0 },
          areaStyle: { color: p.accent, opacity: 0.2 },
          silent: true,
        },
      ]
    : [];
  return {
    animation: false,
    grid: { left: 8, right: 16, top: 12, bottom: 4, containLabel: true },
    xAxis: {
      type: "time",
      min: window?.from,
      max: window?.to,
      axisLabel: { color: p.muted, hideOverlap: true },
      axisLine: { lineStyle: { color: p.border } },
      splitLine: { show: false },
    },
    yAxis: {
      type: "value",
      // Counts step by whole numbers (ticks of 0.5 would read as "1, 1, 2, 2" once rounded).
      minInterval: metric === "memory" || metric.endsWith("rate") ? undefined : 1,
      min: (v: { min: number }) => (v.min >= 0 ? 0 : v.min),
      axisLabel: { color: p.muted, formatter: fmt },
      splitLine: { lineStyle: { color: p.border } },
    },
    tooltip: {
      trigger: "axis",
      backgroundColor: p.panel,
      borderColor: p.border,
      textStyle: { color: p.text },
      formatter: (xs: { dataIndex: number }[]) => {
        const pt = points[xs[0]?.dataIndex ?? -1];
        if (!pt) return "";
        const range = pt.min !== undefined && pt.max !== undefined ? `<br/>min ${fmt(pt.min)} · max ${fmt(pt.max)}` : "";
        return `${formatTimestamp(Date.parse(pt.t))}<br/>${metricLabel(metric)}: <b>${fmt(pt.value)}</b>${band ? " (average)" : ""}${range}`;
      },
    },
    series: [
      ...bandSeries,
      {
        type: "line",
        name: metricLabel(metric),
        data: points.map((pt, i) => [t[i], pt.value]),
        // Few points: each one visible (two samples are a line between two dots).
        showSymbol: points.length <= 60,
        symbolSize: 5,
        lineStyle: { color: p.accent, width: 2 },
        itemStyle: { color: p.accent },
      },
    ],
  };
}
