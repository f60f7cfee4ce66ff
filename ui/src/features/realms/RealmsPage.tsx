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
import { drillFilter, metricValue, rankGroups, shareLabel, METRICS } from "./realmModel";
import { PurgeDialog } from "../queues/PurgeDialog";
import { PolicyDialog } from "./PolicyDialog";
import { LogsLink } from "../logs/LogsLink";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { ConsumersDialog } from "./ConsumersDialog";
import { EChart, type ChartClick } from "../charts/EChart";
import type { Palette } from "../charts/palette";
import { topBarOption } from "./realmCharts";
import { ToolbarSelect } from "../../common/ToolbarSelect";

const TOP_N = 10;
const METRIC_CHOICES = METRICS.map((m) => ({ value: m.id, label: m.label }));

type View = "realms" | "workers" | "grid";

export function RealmsPage({ env, onDrill }: { env: EnvironmentView; onDrill: (filter: string) => void }) {
  const [view, setView] = useState<View>("realms");
  const [metric, setMetric] = useState<Metric>("messages");
  const [editing, setEditing] = useState(false);
  const [purging, setPurging] = useState<QueueRow[] | null>(null);
  const [policyFor, setPolicyFor] = useState<string | null>(null);
  const [consumersOf, setConsumersOf] = useState<string | null>(null);
  // Reading shared DLQs marks their messages redelivered: only once asked, then kept on.
  const [scanDlq, setScanDlq] = useState(false);
  const { inventory } = useInventory(env);
  const realms = useQuery({
    queryKey: queryKeys.realms(env.id, inventory.dataUpdatedAt),
    queryFn: () => commands.realmsSummary(env.id),
    ...overInventory(inventory),
  });
  const deadLetters = useQuery({
    queryKey: queryKeys.realmsDeadLetters(env.id, inventory.dataUpdatedAt, scanDlq),
    queryFn: () => commands.realmsDeadLetters(env.id, scanDlq),
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
  const whole = summary ? metricValue(summary.total, metric) : 0;
  const max = groups.length ? metricValue(groups[0].totals, metric) : 0;
  const field = view === "workers" ? "worker" : "realm";
  const chartOption = useCallback((p: Palette) => topBarOption(groups, metric, TOP_N, whole, p), [groups, metric, whole]);
  const onBar = (e: ChartClick) => {
    const key = e.componentType === "yAxis" ? String(e.value) : e.componentType === "series" ? groups[e.dataIndex]?.key : undefined;
    if (key !== undefined) onDrill(drillFilter(field, key));
  };

  return (
    <section className="realms-page" data-testid="realms-page">
      <div className="queues-toolbar">
        <div className="segmented" role="tablist">
          {(["realms", "workers", "grid"] as View[]).map((v) => (
            <button key={v} className={view === v ? "active" : ""} onClick={() => setView(v)} data-testid={`realms-view-${v}`}>
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
        <div className="realm-table" role="table" data-testid="realm-table">
          <div className="rt-row rt-head" role="row">
            <span>{view === "workers" ? "Worker" : "Realm"}</span>
            <span>share of {METRICS.find((m) => m.id === metric)?.label}</span>
            <span className="num">Queues</span>
            <span className="num">Messages</span>
            <span className="num">Unacked</span>
            <span className="num">Consumers</span>
            <span className="num">Memory</span>
            <span className="num">Publish/s</span>
            <span className="num">Deliver/s</span>
            <span className="num" title="Queues holding messages without a consumer">Stalled</span>
            <span className="num" title="Messages of these queues in dead-letter queues">Dead letters</span>
            <span />
          </div>
          {groups.map((g) => (
            <RealmRow
              key={g.key}
              group={g}
              metric={metric}
              max={max}
              whole={whole}
              onClick={() => onDrill(drillFilter(field, g.key))}
              onPurge={() => setPurging((inventory.data?.rows ?? []).filter((r) => (view === "workers" ? r.worker : r.realm) === g.key))}
              onPolicy={view === "realms" ? () => setPolicyFor(g.key) : undefined}
              onConsumers={view === "realms" ? () => setConsumersOf(g.key) : undefined}
              logs={<LogsLink env={env} target={view === "workers" ? { worker: g.key } : { realm: g.key }} />}
            />
          ))}
          {(summary.unpartitioned.queues > 0 || summary.unpartitioned.dead_letters > 0) && (
            <div className="rt-row muted" role="row" onClick={() => onDrill("-realm:*")} title="Queues the template does not map; dead letters not attributed to a realm">
              <span>(unpartitioned)</span>
              <span />
              <TotalsCells t={summary.unpartitioned} />
              <span />
            </div>
          )}
        </div>
      )}
      {summary && view === "grid" && <RealmGrid summary={summary} metric={metric} onDrill={onDrill} />}
      {policyFor && <PolicyDialog env={env} realm={policyFor} onClose={() => setPolicyFor(null)} />}
      {consumersOf && <ConsumersDialog env={env} realm={consumersOf} onClose={() => setConsumersOf(null)} />}
      {purging && (
        <PurgeDialog
          env={env}
          targets={purging}
          onClose={() => setPurging(null)}
          onDone={() => void inventory.refetch()}
        />
      )}
    </section>
  );
}

interface RowProps {
  group: Group;
  metric: Metric;
  max: number;
  whole: number;
  onClick: () => void;
  onPurge: () => void;
  onPolicy?: () => void;
  onConsumers?: () => void;
  logs?: ReactNode;
}

function RealmRow({ group, metric, max, whole, onClick, onPurge, onPolicy, onConsumers, logs }: RowProps) {
  const v = metricValue(group.totals, metric);
  return (
    <div className="rt-row" role="row" onClick={onClick} data-testid="realm-row" title={`Show the queues of ${group.key}`}>
      <span className="rt-key">{group.key}</span>
      <span className="share">
        <span className="share-bar" style={{ width: `${max > 0 ? (v / max) * 100 : 0}%` }} />
        <span className="share-label">{shareLabel(v, whole)}</span>
      </span>
      <TotalsCells t={group.totals} />
      <span className="row-actions">
        {logs}
        {onConsumers && (
          <button
            className="ghost row-action"
            data-testid="realm-consumers"
            title={`The connections and consumers serving ${group.key}`}
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
            title={`A policy (max-length, TTL, overflow) for the queues of ${group.key}`}
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
        title={`Purge every queue of ${group.key} (the dialog lists them first)`}
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

function TotalsCells({ t }: { t: Totals }) {
  return (
    <>
      <span className="num">{formatCount(t.queues)}</span>
      <span className="num">{formatCount(t.messages)}</span>
      <span className="num">{formatCount(t.messages_unacknowledged)}</span>
      <span className="num">{formatCount(t.consumers)}</span>
      <span className="num">{formatBytes(t.memory)}</span>
      <span className="num">{formatRate(t.publish_rate)}</span>
      <span className="num">{formatRate(t.deliver_rate)}</span>
      <span className={`num ${t.stalled_queues > 0 ? "error-text" : ""}`}>{formatCount(t.stalled_queues)}</span>
      <span className="num" data-col="dead-letters">{formatCount(t.dead_letters)}</span>
    </>
  );
}
