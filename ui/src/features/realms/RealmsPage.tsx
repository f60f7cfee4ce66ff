// The realm screens: which realm (client) or which worker type weighs the most, as a ranked
// table with each one's share of the environment, and a worker × realm heatmap. A click on a
// row, a cell, or a grid header opens the queue table filtered to it. The template that maps
// queues to (worker, realm) is shown and can be edited here with a live preview.
import { useCallback, useMemo, useState, type ReactNode } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { commands, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { overInventory, useInventory } from "../queues/useInventory";
import type { Metric } from "../../ipc/bindings/Metric";
import type { Totals } from "../../ipc/bindings/Totals";
import type { Group } from "../../ipc/bindings/Group";
import { formatBytes, formatCount, formatRate } from "../queues/format";
import { TemplateEditor } from "./TemplateEditor";
import { RealmGrid } from "./RealmGrid";
import { groupFilter, groupLabel, groupRows, metricValue, rankGroups, shareLabel, METRICS } from "./realmModel";
import { PurgeDialog } from "../queues/PurgeDialog";
import { PolicyDialog } from "./PolicyDialog";
import { LogsLink } from "../logs/LogsLink";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { ConsumersDialog } from "./ConsumersDialog";
import { EChart, type ChartClick } from "../charts/EChart";
import type { Palette } from "../charts/palette";
import { topBarOption } from "./realmCharts";
import { ToolbarSelect } from "../../common/ToolbarSelect";
import { useRovingRows } from "../../common/useRovingRows";
import { Sparkline } from "../history/Sparkline";
import { GrowingBadge } from "../history/GrowingBadge";
import { HistoryDrawer } from "../history/HistoryDrawer";
import { groupSelector, selectorId, TABLE_TREND } from "../history/historyModel";
import { useGrowerLookup, useSparklines, useVisibleRows } from "../history/useHistory";
import type { Grower } from "../../ipc/bindings/Grower";

const TOP_N = 10;
const METRIC_CHOICES = METRICS.map((m) => ({ value: m.id, label: m.label }));

type View = "realms" | "workers" | "grid";

/** `vhost`: the scope (null: every loaded vhost, each vhost's realms apart unless the vhost is
 * the realm). */
export function RealmsPage({ env, vhost, onDrill }: { env: EnvironmentView; vhost: string | null; onDrill: (filter: string) => void }) {
  const [view, setView] = useState<View>("realms");
  const [metric, setMetric] = useState<Metric>("messages");
  const [editing, setEditing] = useState(false);
  const [purging, setPurging] = useState<QueueRow[] | null>(null);
  const [policyFor, setPolicyFor] = useState<Group | null>(null);
  const [consumersOf, setConsumersOf] = useState<Group | null>(null);
  const [historyOf, setHistoryOf] = useState<{ kind: "realm" | "worker"; group: Group } | null>(null);
  // Reading shared DLQs marks their messages redelivered: only once asked, then kept on.
  const [scanDlq, setScanDlq] = useState(false);
  const { inventory } = useInventory(env);
  const realms = useQuery({
    queryKey: queryKeys.realms(env.id, inventory.dataUpdatedAt, vhost),
    queryFn: () => commands.realmsSummary(env.id, vhost),
    ...overInventory(inventory),
  });
  const deadLetters = useQuery({
    queryKey: queryKeys.realmsDeadLetters(env.id, inventory.dataUpdatedAt, scanDlq, vhost),
    queryFn: () => commands.realmsDeadLetters(env.id, scanDlq, vhost),
    // After the plain totals: attributing dead letters may read shared DLQs.
    enabled: realms.isSuccess,
    placeholderData: keepPreviousData,
    retry: false,
  });
  const error = (inventory.error ?? realms.error) as unknown as ErrorReport | null;
  const dlError = deadLetters.error as unknown as ErrorReport | null;
  // The view with dead letters once they are attributed; the plain totals until then.
  // (Never a placeholder: that one was summed from the previous inventory.)
  const data = deadLetters.data && !deadLetters.isPlaceholderData ? deadLetters.data : realms.data;
  const dl = data?.dead_letters;
  const summary = data?.summary;
  const groups = useMemo(() => (summary ? rankGroups(view === "workers" ? summary.workers : summary.realms, metric) : []), [summary, view, metric]);
  // Rows (and the unpartitioned one) by keyboard: Enter drills like a click.
  const roving = useRovingRows(groups.length + 1);
  // Each row's last hour (sparkline, growing badge): asked for the rows on screen.
  const kind = view === "workers" ? "worker" : "realm";
  const loadedAt = inventory.data ? inventory.dataUpdatedAt : 0;
  const visible = useVisibleRows(roving.container, groups.length, groups);
  const sparkRows = useMemo(
    () =>
      visible
        .filter((i) => i < groups.length)
        .map((i) => {
          const selector = groupSelector(kind, groups[i], vhost);
          return { id: selectorId(selector), selector };
        }),
    [visible, groups, kind, vhost],
  );
  const spark = useSparklines(env.id, sparkRows, loadedAt);
  const grower = useGrowerLookup(env.id, kind, vhost, loadedAt);
  const whole = summary ? metricValue(summary.total, metric) : 0;
  const max = groups.length ? metricValue(groups[0].totals, metric) : 0;
  const field = view === "workers" ? "worker" : "realm";
  const chartOption = useCallback((p: Palette) => topBarOption(groups, metric, TOP_N, whole, p), [groups, metric, whole]);
  const onBar = (e: ChartClick) => {
    const g = e.componentType === "yAxis" ? groups.find((x) => groupLabel(x) === String(e.value)) : e.componentType === "series" ? groups[e.dataIndex] : undefined;
    if (g !== undefined) onDrill(groupFilter(field, g));
  };

  return (
    <section className="realms-page" data-testid="realms-page">
      <div className="queues-toolbar">
        <div className="segmented" role="tablist">
          {(["realms", "workers", "grid"] as View[]).map((v) => (
            <button key={v} role="tab" aria-selected={view === v} className={view === v ? "active" : ""} onClick={() => setView(v)} data-testid={`realms-view-${v}`}>
              {{ realms: "Realms", workers: "Workers", grid: "Grid" }[v]}
            </button>
          ))}
        </div>
        <ToolbarSelect label="by" value={metric} options={METRIC_CHOICES} onChange={setMetric} testId="realms-metric" />
        <span className="spacer" />
        <button onClick={() => setEditing((e) => !e)} data-testid="realms-edit-template">
          Template…
        </button>
        <button className="fixed-width" onClick={() => inventory.refetch()} disabled={inventory.isFetching}>
          {inventory.isFetching ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      <div className="count realms-info" data-testid="realms-template">
        {data?.template ? (
          <>
            template <code>{data.template}</code>
            {!env.realm_template || env.realm_template === "auto" ? " (suggested)" : ""} · {summary?.realms.length} realms ·{" "}
            {summary?.workers.length} workers · {summary?.unpartitioned.queues} unpartitioned
          </>
        ) : data ? (
          "no realm template"
        ) : (
          "loading…"
        )}
      </div>
      {editing && <TemplateEditor env={env} current={data?.template ?? null} onClose={() => setEditing(false)} />}
      {error && <div className="error-box">{error.message}</div>}
      {data && !data.template && !editing && (
        <div className="warning-box inline">
          No queue names here repeat a segment across several workers, so Warren cannot suggest a template. Set one with Template… (e.g.{" "}
          <code>{"{worker}.{realm}"}</code>).
        </div>
      )}
      {dl && dl.shared.length > 0 && (
        <div className="dl-note muted" data-testid="realms-dl-note">
          {formatCount(dl.unattributed)} dead letters sit in DLQs shared by several realms ({dl.shared.join(", ")}). Splitting them reads their
          messages, which marks them redelivered.
          <button className="ghost" data-testid="realms-dl-scan" disabled={deadLetters.isFetching} onClick={() => setScanDlq(true)}>
            {deadLetters.isFetching && scanDlq ? "Counting…" : "Count per realm"}
          </button>
        </div>
      )}
      {dlError && <div className="muted dl-note">Dead letters per realm unknown: {dlError.message}</div>}
      {summary && view !== "grid" && groups.length > 0 && (
        <div className="realm-chart" data-testid="realm-chart">
          <EChart option={chartOption} height={Math.min(groups.length, TOP_N) * 24 + 12} onClick={onBar} />
        </div>
      )}
      {summary && view !== "grid" && (
        <div className="realm-table grid-table" role="table" data-testid="realm-table" ref={roving.container}>
          <div className="rt-row rt-head" role="row">
            <span role="columnheader">{view === "workers" ? "Worker" : "Realm"}</span>
            <span role="columnheader">share of {METRICS.find((m) => m.id === metric)?.label}</span>
            <span role="columnheader" className="num">Queues</span>
            <span role="columnheader" className="num">Messages</span>
            <span role="columnheader" title="Messages over the last hour; ↑: growing since">Last hour</span>
            <span role="columnheader" className="num">Unacked</span>
            <span role="columnheader" className="num">Consumers</span>
            <span role="columnheader" className="num">Memory</span>
            <span role="columnheader" className="num">Publish/s</span>
            <span role="columnheader" className="num">Deliver/s</span>
            <span role="columnheader" className="num" title="Queues holding messages without a consumer">Stalled</span>
            <span role="columnheader" className="num" title="Messages of these queues in dead-letter queues">Dead letters</span>
            <span role="columnheader">
              <span className="sr-only">Actions</span>
            </span>
          </div>
          {groups.map((g, i) => (
            <RealmRow
              key={groupLabel(g)}
              rowProps={roving.rowProps(i)}
              innerTab={roving.inner(i)}
              group={g}
              metric={metric}
              max={max}
              whole={whole}
              onClick={() => onDrill(groupFilter(field, g))}
              onPurge={() => setPurging(groupRows(inventory.data?.rows ?? [], field, g, vhost))}
              onPolicy={view === "realms" ? () => setPolicyFor(g) : undefined}
              onConsumers={view === "realms" ? () => setConsumersOf(g) : undefined}
              onHistory={() => setHistoryOf({ kind, group: g })}
              spark={spark(selectorId(groupSelector(kind, g, vhost)))}
              grower={grower(g.vhost, g.key)}
              logs={<LogsLink env={env} target={view === "workers" ? { worker: g.key } : { realm: g.key }} />}
            />
          ))}
          {(summary.unpartitioned.queues > 0 || summary.unpartitioned.dead_letters > 0) && (
            <div
              className="rt-row muted"
              role="row"
              onClick={() => onDrill("-realm:*")}
              title="Queues the template does not map; dead letters not attributed to a realm"
              {...roving.rowProps(groups.length)}
            >
              <span role="cell">(unpartitioned)</span>
              <span role="cell" />
              <TotalsCells t={summary.unpartitioned} trend={<span role="cell" />} />
              <span role="cell" />
            </div>
          )}
        </div>
      )}
      {summary && view === "grid" && <RealmGrid summary={summary} metric={metric} onDrill={onDrill} />}
      {historyOf && (
        <HistoryDrawer
          envId={env.id}
          selector={groupSelector(historyOf.kind, historyOf.group, vhost)}
          title={`${historyOf.kind === "worker" ? "Worker" : "Realm"} ${groupLabel(historyOf.group)}`}
          onClose={() => setHistoryOf(null)}
        />
      )}
      {policyFor && <PolicyDialog env={env} realm={policyFor.key} vhost={policyFor.vhost ?? vhost} onClose={() => setPolicyFor(null)} />}
      {consumersOf && (
        <ConsumersDialog env={env} realm={consumersOf.key} vhost={consumersOf.vhost ?? vhost} onClose={() => setConsumersOf(null)} />
      )}
      {purging && (
        <PurgeDialog
          env={env}
          targets={purging}
          onClose={() => setPurging(null)}
          onDone={() => undefined}
        />
      )}
    </section>
  );
}

interface RowProps {
  /** Keyboard reach (useRovingRows): Tab stop, arrows, Enter drills like a click. */
  rowProps: ReturnType<ReturnType<typeof useRovingRows>["rowProps"]>;
  /** Whether the row's buttons are Tab stops (only the current row's). */
  innerTab: number;
  group: Group;
  metric: Metric;
  max: number;
  whole: number;
  onClick: () => void;
  onPurge: () => void;
  onPolicy?: () => void;
  onConsumers?: () => void;
  onHistory: () => void;
  spark: (number | null)[] | undefined;
  grower: Grower | undefined;
  logs?: ReactNode;
}

function RealmRow({ rowProps, innerTab, group, metric, max, whole, onClick, onPurge, onPolicy, onConsumers, onHistory, spark, grower, logs }: RowProps) {
  const v = metricValue(group.totals, metric);
  return (
    <div className="rt-row" role="row" onClick={onClick} data-testid="realm-row" title={`Show the queues of ${groupLabel(group)}`} {...rowProps}>
      <span className="rt-key" role="rowheader">
        {group.key}
        {group.vhost && <span className="muted small rt-vhost"> @ {group.vhost}</span>}
      </span>
      <span className="share" role="cell">
        <span className="share-bar" style={{ width: `${max > 0 ? (v / max) * 100 : 0}%` }} />
        <span className="share-label">{shareLabel(v, whole)}</span>
      </span>
      <TotalsCells
        t={group.totals}
        trend={
          <span className="rt-trend" role="cell">
            <Sparkline values={spark} label="Messages over the last hour" format={formatCount} width={64} height={16} />
            <GrowingBadge grower={grower} sinceS={TABLE_TREND.sinceS} />
          </span>
        }
      />
      <span className="row-actions" role="cell">
        {logs}
        <button
          className="ghost row-action"
          data-testid="realm-history"
          tabIndex={innerTab}
          title={`The history of ${groupLabel(group)}: messages, consumers, memory and rates over time`}
          onClick={(ev) => {
            ev.stopPropagation();
            onHistory();
          }}
        >
          History…
        </button>
        {onConsumers && (
          <button
            className="ghost row-action"
            data-testid="realm-consumers"
            tabIndex={innerTab}
            title={`The connections and consumers serving ${groupLabel(group)}`}
            onClick={(ev) => {
              ev.stopPropagation();
              onConsumers();
            }}
          >
            Consumers…
          </button>
        )}
        {onPolicy && (
          <button
            className="ghost row-action"
            data-testid="realm-policy"
            tabIndex={innerTab}
            title={`A policy (max-length, TTL, overflow) for the queues of ${groupLabel(group)}`}
            onClick={(ev) => {
              ev.stopPropagation();
              onPolicy();
            }}
          >
            Policy…
          </button>
        )}
        <button
        className="ghost danger row-action"
        data-testid="realm-purge"
        tabIndex={innerTab}
        title={`Purge every queue of ${groupLabel(group)} (the dialog lists them first)`}
        onClick={(ev) => {
          ev.stopPropagation();
          onPurge();
        }}
      >
        Purge…
      </button>
      </span>
    </div>
  );
}

/** `trend`: the last hour's cell, after the messages it draws. */
function TotalsCells({ t, trend }: { t: Totals; trend: ReactNode }) {
  return (
    <>
      <span role="cell" className="num">{formatCount(t.queues)}</span>
      <span role="cell" className="num">{formatCount(t.messages)}</span>
      {trend}
      <span role="cell" className="num">{formatCount(t.messages_unacknowledged)}</span>
      <span role="cell" className="num">{formatCount(t.consumers)}</span>
      <span role="cell" className="num">{formatBytes(t.memory)}</span>
      <span role="cell" className="num">{formatRate(t.publish_rate)}</span>
      <span role="cell" className="num">{formatRate(t.deliver_rate)}</span>
      <span role="cell" className={`num ${t.stalled_queues > 0 ? "error-text" : ""}`}>{formatCount(t.stalled_queues)}</span>
      <span role="cell" className="num" data-col="dead-letters">{formatCount(t.dead_letters)}</span>
    </>
  );
}
