// The worker × realm heatmap: the heaviest workers (rows) × realms (columns) by the chosen
// metric, each cell shaded by its value; cells with messages but no consumer are outlined red.
// A click on a cell, a worker or a realm opens the queue table filtered to it.
import { useMemo } from "react";
import type { Metric } from "../../ipc/bindings/Metric";
import type { RealmSummary } from "../../ipc/bindings/RealmSummary";
import { formatBytes, formatCount, formatRate } from "../queues/format";
import { gridSlice, metricValue, quoteTerm } from "./realmModel";

const ROWS = 30;
const COLS = 40;

export function RealmGrid({ summary, metric, onDrill }: { summary: RealmSummary; metric: Metric; onDrill: (filter: string) => void }) {
  const slice = useMemo(() => gridSlice(summary, metric, ROWS, COLS), [summary, metric]);
  const nr = summary.realms.length;
  const format = metric === "memory" ? formatBytes : metric.endsWith("rate") ? formatRate : formatCount;
  return (
    <div className="realm-grid-wrap" data-testid="realm-grid">
      <div className="muted grid-note">
        {slice.workers.length} of {summary.workers.length} workers × {slice.realms.length} of {nr} realms, heaviest by {metric}; red outline: messages
        waiting with no consumer
      </div>
      <div className="realm-grid" style={{ gridTemplateColumns: `minmax(120px, max-content) repeat(${slice.realms.length}, 34px)` }}>
        <span />
        {slice.realms.map((r) => (
          <button key={r} className="grid-col" title={`Show the queues of realm ${summary.realms[r].key}`} onClick={() => onDrill(`realm:${quoteTerm(summary.realms[r].key)}`)}>
            <span>{summary.realms[r].key}</span>
          </button>
        ))}
        {slice.workers.map((w) => (
          <div key={w} className="grid-line">
            <button className="grid-row" title={`Show the queues of worker ${summary.workers[w].key}`} onClick={() => onDrill(`worker:${quoteTerm(summary.workers[w].key)}`)}>
              {summary.workers[w].key}
            </button>
            {slice.realms.map((r) => {
              const t = slice.cells.get(w * nr + r);
              if (!t) return <span key={r} className="grid-cell empty" />;
              const v = metricValue(t, metric);
              const pct = slice.max > 0 ? Math.round(8 + (v / slice.max) * 87) : 0;
              const stalled = t.stalled_queues > 0;
              return (
                <button
                  key={r}
                  className={`grid-cell ${stalled ? "stalled" : ""}`}
                  data-testid="grid-cell"
                  style={{ background: `color-mix(in srgb, var(--accent) ${v > 0 ? pct : 0}%, var(--panel))` }}
                  title={`${summary.workers[w].key} · ${summary.realms[r].key}\n${metric}: ${format(v)}\nmessages ${formatCount(t.messages)} · unacked ${formatCount(
                    t.messages_unacknowledged,
                  )} · consumers ${formatCount(t.consumers)} · memory ${formatBytes(t.memory)}`}
                  onClick={() => onDrill(`worker:${quoteTerm(summary.workers[w].key)} realm:${quoteTerm(summary.realms[r].key)}`)}
                />
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}
