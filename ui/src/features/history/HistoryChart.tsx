// One series from the local history as a chart (ECharts line; a min–max band where the points are
// downsampled buckets), with a range picker (1 h … 30 d) and a metric picker. Loaded on first use:
// the queue drawer opens without the charts library until it shows a history.
import { useCallback, useId, useMemo, useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import * as echarts from "echarts/core";
import { LineChart } from "echarts/charts";
import { commands, type ErrorReport, type HistoryMetric, type SeriesSelector } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { EChart } from "../charts/EChart";
import type { Palette } from "../charts/palette";
import { ToolbarSelect } from "../../common/ToolbarSelect";
import { formatDuration, HISTORY_METRICS, RANGES } from "./historyModel";
import { NoHistory } from "./NoHistory";
import { seriesOption } from "./historyChart";
import { useLoadedAt } from "./useHistory";
import "./history.css";

echarts.use([LineChart]);

interface Props {
  envId: string;
  selector: SeriesSelector;
  /** What the series follows, for the chart's accessible name ("queue billing.acme"). */
  label: string;
  initialRange?: number;
  initialMetric?: HistoryMetric;
}

export function HistoryChart({ envId, selector, label, initialRange = RANGES[0].value, initialMetric = "messages" }: Props) {
  const [range, setRange] = useState(initialRange);
  const [metric, setMetric] = useState<HistoryMetric>(initialMetric);
  const loadedAt = useLoadedAt(envId);
  const series = useQuery({
    queryKey: queryKeys.historySeries(envId, selector, metric, range, loadedAt),
    queryFn: () => commands.historySeries(envId, selector, metric, range),
    placeholderData: keepPreviousData,
    retry: false,
  });
  const data = series.data;
  const points = useMemo(() => (Array.isArray(data?.series) ? data.series : []), [data]);
  // The window ends at the series' load (or its last point, if later: a clock between samples).
  const option = useCallback(
    (p: Palette) => {
      const last = points.length ? Date.parse(points[points.length - 1].t) : 0;
      const to = Math.max(series.dataUpdatedAt || Date.now(), last);
      return seriesOption(points, metric, p, { from: to - range * 1000, to });
    },
    [points, metric, range, series.dataUpdatedAt],
  );
  const error = series.error as unknown as ErrorReport | null;
  const rangeLabelId = useId();
  const chosen = RANGES.find((r) => r.value === range)?.label ?? "";
  return (
    <div className="history-chart" data-testid="history-chart" data-points={data && !series.isPlaceholderData ? points.length : undefined}>
      <div className="history-controls">
        <span className="sr-only" id={rangeLabelId}>
          Range
        </span>
        <div className="segmented" role="group" aria-labelledby={rangeLabelId}>
          {RANGES.map((r) => (
            <button key={r.value} aria-pressed={range === r.value} className={range === r.value ? "active" : ""} onClick={() => setRange(r.value)} data-testid={`history-range-${r.value}`}>
              {r.label}
            </button>
          ))}
        </div>
        <ToolbarSelect label="metric" value={metric} options={HISTORY_METRICS} onChange={setMetric} testId="history-metric" />
        {series.data && series.data.resolution_s > 0 && points.length > 0 && (
          <span className="muted small" title="Seconds between points: the sampling interval, or the bucket size of older history">
            a point per {formatDuration(series.data.resolution_s)}
          </span>
        )}
      </div>
      {error && <div className="error-text small">History unavailable: {error.message}</div>}
      {series.data && !error && points.length === 0 && (
        <NoHistory envId={envId} />
      )}
      {points.length > 0 && (
        <div role="img" aria-label={`${label}: ${metric} over the last ${chosen}, ${points.length} points`}>
          <EChart option={option} height={190} testId="history-chart-canvas" />
        </div>
      )}
    </div>
  );
}
