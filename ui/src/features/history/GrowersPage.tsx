// The Growers view: which realms, workers or queues grew the most over a window (from the local
// history), since when each has been growing, and a sparkline of each. A click (or Enter) opens
// the queue table filtered to it; History… opens its chart. The footer says how big the store is
// and what span it holds.
import { useMemo, useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { commands, type EnvironmentView, type ErrorReport, type Grower, type HistoryMetric } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { useInventory } from "../queues/useInventory";
import { ToolbarSelect } from "../../common/ToolbarSelect";
import { useRovingRows } from "../../common/useRovingRows";
import { formatTimestamp } from "../../common/time";
import { Sparkline } from "./Sparkline";
import { HistoryDrawer } from "./HistoryDrawer";
import { NoHistory } from "./NoHistory";
import { useGrowers, useSparklines } from "./useHistory";
import {
  formatChange,
  formatMetric,
  GROWER_WINDOWS,
  growerFilter,
  growerLabel,
  growerVhost,
  growerSelector,
  growerTitle,
  HISTORY_METRICS,
  infoSummary,
  metricLabel,
  rangeLabel,
  selectorId,
  ageLabel,
} from "./historyModel";
import "./history.css";

type By = "realm" | "worker" | "queue";
const BY_LABEL: Record<By, string> = { realm: "Realms", worker: "Workers", queue: "Queues" };
const LIMIT = 100;

interface Props {
  env: EnvironmentView;
  /** The header's vhost scope (null: every vhost, summed). */
  vhost: string | null;
  onDrill: (filter: string) => void;
}

export function GrowersPage({ env, vhost, onDrill }: Props) {
  const [by, setBy] = useState<By>("realm");
  const [sinceS, setSinceS] = useState(GROWER_WINDOWS[0].value);
  const [metric, setMetric] = useState<HistoryMetric>("messages");
  const [historyOf, setHistoryOf] = useState<Grower | null>(null);
  // Each load of the queues is a sample: the view follows them (and Refresh takes one).
  const { inventory } = useInventory(env);
  const loadedAt = inventory.data ? inventory.dataUpdatedAt : 0;
  const growers = useGrowers(env.id, by, vhost, loadedAt, { metric, sinceS, limit: LIMIT });
  const info = useQuery({
    queryKey: queryKeys.historyInfo(env.id, loadedAt),
    queryFn: () => commands.historyInfo(env.id),
    enabled: loadedAt > 0,
    // The last answer stays while a reload's sample is counted.
    placeholderData: keepPreviousData,
    retry: false,
  });
  const list = useMemo(() => (Array.isArray(growers.data) ? growers.data.filter((g) => g.delta > 0) : []), [growers.data]);
  const sparkRows = useMemo(
    () =>
      list.map((g) => {
        const selector = growerSelector(g);
        return { id: selectorId(selector), selector };
      }),
    [list],
  );
  const spark = useSparklines(env.id, sparkRows, loadedAt, { metric, sinceS });
  const roving = useRovingRows(list.length);
  const error = (inventory.error ?? growers.error) as unknown as ErrorReport | null;
  const empty = info.data && info.data.samples === 0;
  const windowLabel = rangeLabel(sinceS);

  return (
    <section className="growers-page" data-testid="growers-page">
      <div className="queues-toolbar">
        <div className="segmented" role="group" aria-label="Growers by">
          {(Object.keys(BY_LABEL) as By[]).map((b) => (
            <button key={b} aria-pressed={by === b} className={by === b ? "active" : ""} onClick={() => setBy(b)} data-testid={`growers-by-${b}`}>
              {BY_LABEL[b]}
            </button>
          ))}
        </div>
        <ToolbarSelect label="over the last" value={sinceS} options={GROWER_WINDOWS} onChange={setSinceS} testId="growers-window" />
        <ToolbarSelect label="by" value={metric} options={HISTORY_METRICS} onChange={setMetric} testId="growers-metric" />
        <span className="spacer" />
        <button className="fixed-width" onClick={() => inventory.refetch()} disabled={inventory.isFetching} title="Load the queues again (this records a sample)" data-testid="growers-refresh">
          {inventory.isFetching ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      <div className="count" data-testid="growers-count">
        {growers.data
          ? `${list.length} ${BY_LABEL[by].toLowerCase()} grew in ${metricLabel(metric)} over the last ${windowLabel}${vhost !== null ? ` in ${vhost}` : ""}`
          : loadedAt === 0
            ? "loading the queues…"
            : "loading…"}
      </div>
      {error && <div className="error-box">{error.message}</div>}
      {empty && <NoHistory envId={env.id} />}
      {growers.data && !empty && list.length === 0 && (
        <div className="muted history-empty" data-testid="growers-none">
          Nothing grew over the last {windowLabel}. Growth shows once two samples differ: refresh the queues again later, or widen the window.
        </div>
      )}
      {list.length > 0 && (
        <div className="growers-table grid-table" role="table" aria-label={`Biggest growers by ${metricLabel(metric)}`} data-testid="growers-table" ref={roving.container}>
          <div className="rt-row rt-head" role="row">
            <span role="columnheader">{by === "queue" ? "Queue" : by === "worker" ? "Worker" : "Realm"}</span>
            <span role="columnheader">Last {windowLabel}</span>
            <span role="columnheader" className="num">Start</span>
            <span role="columnheader" className="num">End</span>
            <span role="columnheader" className="num">Change</span>
            <span role="columnheader">Growing since</span>
            <span role="columnheader">
              <span className="sr-only">Actions</span>
            </span>
          </div>
          {list.map((g, i) => {
            const since = g.growing_since ? Date.parse(g.growing_since) : Number.NaN;
            return (
              <div
                key={selectorId(growerSelector(g))}
                className="rt-row"
                role="row"
                data-testid="grower-row"
                title={`Show the queues of ${growerLabel(g, vhost)}`}
                onClick={() => onDrill(growerFilter(g))}
                {...roving.rowProps(i)}
              >
                <span className="rt-key" role="rowheader" data-testid="grower-key">
                  {g.key}
                  {growerVhost(g, vhost) !== undefined && <span className="muted small kind"> @ {g.vhost}</span>}
                </span>
                <span role="cell">
                  <Sparkline values={spark(selectorId(growerSelector(g)))} label={`${metricLabel(metric)} over the last ${windowLabel}`} format={(v) => formatMetric(metric, v)} width={80} height={16} />
                </span>
                <span role="cell" className="num">{formatMetric(metric, g.start)}</span>
                <span role="cell" className="num">{formatMetric(metric, g.end)}</span>
                <span role="cell" className="num delta-cell">{formatChange(metric, g.delta)}</span>
                <span role="cell" data-testid="grower-since" title={growerTitle(g, sinceS)}>
                  {Number.isNaN(since) ? (
                    "—"
                  ) : (
                    <>
                      {formatTimestamp(since)} <span className="muted">· {ageLabel(since)}</span>
                    </>
                  )}
                </span>
                <span className="row-actions" role="cell">
                  <button
                    className="ghost row-action"
                    data-testid="grower-history"
                    tabIndex={roving.inner(i)}
                    title={`The history of ${growerLabel(g, vhost)}`}
                    onClick={(ev) => {
                      ev.stopPropagation();
                      setHistoryOf(g);
                    }}
                  >
                    History…
                  </button>
                </span>
              </div>
            );
          })}
        </div>
      )}
      <div className="muted history-footer" data-testid="history-info" title={info.data?.path}>
        {info.data ? infoSummary(info.data) : info.error ? `History store unavailable: ${(info.error as unknown as ErrorReport).message}` : ""}
      </div>
      {historyOf && (
        <HistoryDrawer
          envId={env.id}
          selector={growerSelector(historyOf)}
          title={`${historyOf.kind === "queue" ? "Queue" : historyOf.kind === "worker" ? "Worker" : "Realm"} ${growerLabel(historyOf, vhost)}`}
          initialRange={sinceS}
          initialMetric={metric}
          onClose={() => setHistoryOf(null)}
        />
      )}
    </section>
  );
}
