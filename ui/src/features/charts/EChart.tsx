// A thin React wrapper over ECharts (canvas): only the chart types and components Warren uses
// are registered, so the bundle stays small. Colours come from the page's CSS variables, and
// the chart is redrawn when the system switches between light and dark.
import { useEffect, useRef, useState } from "react";
import * as echarts from "echarts/core";
import { BarChart, HeatmapChart } from "echarts/charts";
import { GridComponent, TooltipComponent, VisualMapComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import type { EChartsCoreOption, ECElementEvent } from "echarts/core";
import { readPalette, type Palette } from "./palette";

echarts.use([BarChart, HeatmapChart, GridComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

export type ChartClick = Pick<ECElementEvent, "componentType" | "dataIndex" | "value" | "data"> & { targetType?: string };

interface Props {
  /** Builds the option from the current palette (called again when the theme changes). */
  option: (p: Palette) => EChartsCoreOption;
  height: number;
  onClick?: (e: ChartClick) => void;
  /** After each draw: lets the caller read positions (e.g. for tests and overlays). */
  onDrawn?: (chart: echarts.ECharts, el: HTMLDivElement) => void;
  testId?: string;
}

export function EChart({ option, height, onClick, onDrawn, testId }: Props) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const clickRef = useRef(onClick);
  clickRef.current = onClick;
  const [scheme, setScheme] = useState(0);

  useEffect(() => {
    const c = echarts.init(el.current!, undefined, { renderer: "canvas" });
    chart.current = c;
    c.on("click", (e) => clickRef.current?.(e as unknown as ChartClick));
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(el.current!);
    const media = window.matchMedia?.("(prefers-color-scheme: dark)");
    const onScheme = () => setScheme((n) => n + 1);
    media?.addEventListener("change", onScheme);
    return () => {
      media?.removeEventListener("change", onScheme);
      resize.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.setOption(option(readPalette(el.current!)), { notMerge: true });
    c.resize();
    onDrawn?.(c, el.current!);
  }, [option, scheme, height, onDrawn]);

  return <div ref={el} className="echart" style={{ height }} data-testid={testId} />;
}
