// The worker × realm heatmap (ECharts): the heaviest workers (rows) × realms (columns) by the
// chosen metric, each cell shaded by its value; cells with messages but no consumer are outlined
// red. A click on a cell, a worker or a realm opens the queue table filtered to it.
import { useCallback, useMemo } from "react";
import type { ECharts } from "echarts/core";
import type { Metric } from "../../ipc/bindings/Metric";
import type { RealmSummary } from "../../ipc/bindings/RealmSummary";
import { EChart, type ChartClick } from "../charts/EChart";
import type { Palette } from "../charts/palette";
import { groupFilter, groupLabel, gridSlice } from "./realmModel";
import { heatCells, heatmapOption } from "./realmCharts";

const ROWS = 30;
const COLS = 40;

export function RealmGrid({ summary, metric, onDrill }: { summary: RealmSummary; metric: Metric; onDrill: (filter: string) => void }) {
  const slice = useMemo(() => gridSlice(summary, metric, ROWS, COLS), [summary, metric]);
  const option = useCallback((p: Palette) => heatmapOption(summary, slice, metric, p), [summary, slice, metric]);
  const worker = (y: number) => summary.workers[slice.workers[y]];
  const realm = (x: number) => summary.realms[slice.realms[x]];
  // Axis clicks name the label; labels are unique (`acme @ shop` when vhosts are kept apart).
  const byLabel = (groups: typeof summary.realms, label: string) => groups.find((g) => groupLabel(g) === label);
  const onClick = (e: ChartClick) => {
    if (e.componentType === "series") {
      const [x, y] = (e.data as { value: [number, number, number] }).value;
      // A cell's worker and realm share their vhost: one vhost term is enough.
      onDrill(`${groupFilter("worker", { key: worker(y).key })} ${groupFilter("realm", realm(x))}`);
    } else if (e.componentType === "xAxis") {
      const g = byLabel(summary.realms, String(e.value));
      if (g) onDrill(groupFilter("realm", g));
    } else if (e.componentType === "yAxis") {
      const g = byLabel(summary.workers, String(e.value));
      if (g) onDrill(groupFilter("worker", g));
    }
  };
  // Where the heaviest cell is drawn, on the element: what a test (or a screen reader's
  // description) needs from a canvas.
  const onDrawn = useCallback(
    (chart: ECharts, el: HTMLDivElement) => {
      const hottest = heatCells(summary, slice, metric).sort((a, b) => b.value[2] - a.value[2])[0];
      if (!hottest) return;
      const [px, py] = chart.convertToPixel({ seriesIndex: 0 }, [hottest.value[0], hottest.value[1]]) as number[];
      el.dataset.hotCell = `${Math.round(px)},${Math.round(py)}`;
      el.dataset.hotKey = `${groupLabel(worker(hottest.value[1]))} ${groupLabel(realm(hottest.value[0]))}`;
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [summary, slice, metric],
  );
  const height = Math.max(160, slice.workers.length * 22 + 110);
  return (
    <div className="realm-grid-wrap" data-testid="realm-grid" role="region" aria-label="Workers × realms heatmap" tabIndex={0}>
      <div className="muted grid-note">
        {slice.workers.length} of {summary.workers.length} workers × {slice.realms.length} of {summary.realms.length} realms, heaviest by {metric}; red
        outline: messages waiting with no consumer. Click a cell, a worker or a realm to see its queues.
      </div>
      <EChart option={option} height={height} onClick={onClick} onDrawn={onDrawn} testId="realm-heatmap" />
    </div>
  );
}
