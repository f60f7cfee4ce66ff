// A table row's trend: an inline SVG polyline (one element per row, no chart instance), drawn
// from the slots `history_sparklines` answers; unsampled slots break the line. The box keeps its
// size while empty, so columns do not move when the history arrives. It holds no text (its name is
// an aria-label): a cell's text stays its number.
import { memo } from "react";
import { sparkEnds, sparkRuns } from "./historyModel";
import "./history.css";

interface Props {
  values: readonly (number | null)[] | undefined;
  /** What the values are, for the accessible name ("messages over the last 1 h"). */
  label: string;
  format?: (v: number) => string;
  width?: number;
  height?: number;
}

export const Sparkline = memo(function Sparkline({ values, label, format = String, width = 40, height = 14 }: Props) {
  const runs = values ? sparkRuns(values, width, height) : [];
  const ends = values ? sparkEnds(values) : null;
  const points = runs.reduce((n, r) => n + r.length, 0);
  if (points === 0)
    return <span className="sparkline empty" style={{ width, height }} data-testid="sparkline" data-points={0} aria-hidden="true" />;
  const name = ends ? `${label}: ${format(ends[0])} → ${format(ends[1])}` : label;
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={name} data-testid="sparkline" data-points={points}>
      {runs.map((run, i) =>
        run.length === 1 ? (
          <circle key={i} cx={run[0][0]} cy={run[0][1]} r={1.5} />
        ) : (
          <polyline key={i} points={run.map(([x, y]) => `${x},${y}`).join(" ")} />
        ),
      )}
    </svg>
  );
});
