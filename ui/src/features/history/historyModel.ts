// Pure helpers of the history views: the ranges and metrics offered, how a value, a "growing
// since" time and the store's size read, the sparkline's geometry, and which series a table row
// or a grower names. Unit-tested; the components only wire them up.
import type { Grower } from "../../ipc/bindings/Grower";
import type { HistoryInfo } from "../../ipc/bindings/HistoryInfo";
import type { HistoryMetric } from "../../ipc/bindings/HistoryMetric";
import type { SeriesKind } from "../../ipc/bindings/SeriesKind";
import type { SeriesSelector } from "../../ipc/bindings/SeriesSelector";
import type { Choice } from "../../common/ToolbarSelect";
import { formatTimestamp } from "../../common/time";
import { formatBytes, formatCount, formatRate } from "../queues/format";
import { groupFilter, quoteTerm } from "../realms/realmModel";

const HOUR = 3600;
const DAY = 24 * HOUR;

/** The chart's range picker (seconds back from now). */
export const RANGES: Choice<number>[] = [
  { label: "1 h", value: HOUR },
  { label: "6 h", value: 6 * HOUR },
  { label: "24 h", value: DAY },
  { label: "7 d", value: 7 * DAY },
  { label: "30 d", value: 30 * DAY },
];

/** The Growers view's windows: growth over a month is a trend, not an incident. */
export const GROWER_WINDOWS: Choice<number>[] = RANGES.slice(0, 4);

export const HISTORY_METRICS: Choice<HistoryMetric>[] = [
  { value: "messages", label: "messages" },
  { value: "ready", label: "ready" },
  { value: "unacked", label: "unacked" },
  { value: "consumers", label: "consumers" },
  { value: "memory", label: "memory" },
  { value: "publish_rate", label: "publish rate" },
  { value: "deliver_rate", label: "deliver rate" },
];

/** What the tables' sparklines and badges show: messages over the last hour. */
export const TABLE_TREND = { metric: "messages" as HistoryMetric, sinceS: HOUR, buckets: 30, growersLimit: 500 };

export const rangeLabel = (sinceS: number) => RANGES.find((r) => r.value === sinceS)?.label ?? formatDuration(sinceS);

export const metricLabel = (m: HistoryMetric) => HISTORY_METRICS.find((c) => c.value === m)?.label ?? m;

/** A metric's value as the tables write it (downsampled counts are averages: rounded). */
export function formatMetric(metric: HistoryMetric, v: number): string {
  if (metric === "memory") return formatBytes(Math.round(v));
  if (metric === "publish_rate" || metric === "deliver_rate") return formatRate(v);
  return formatCount(Math.round(v));
}

/** A change, signed: "+4,200", "−12", "0". */
export function formatChange(metric: HistoryMetric, d: number): string {
  if (d === 0) return "0";
  return `${d > 0 ? "+" : "−"}${formatMetric(metric, Math.abs(d))}`;
}

/** "30 s", "5 min", "48 h", "30 d": the store's resolution and retention. */
export function formatDuration(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < HOUR) return `${Math.round(s / 60)} min`;
  if (s <= 2 * DAY) return `${Math.round(s / HOUR)} h`;
  return `${Math.round(s / DAY)} d`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** How long a series has been growing, compact for a badge: the local time ("14:05") within the
 * last day, else whole days ("2 d"). Null when there is no readable time. */
export function sinceShort(iso: string | undefined, now = Date.now()): string | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const age = now - t;
  if (age < DAY * 1000) {
    const d = new Date(t);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  return `${Math.floor(age / (DAY * 1000))} d`;
}

/** How long ago `t` (ms) was, roughly: "12 s", "52 min", "5 h", "3 d". */
export function ageLabel(t: number, now = Date.now()): string {
  return formatDuration(Math.max(0, Math.round((now - t) / 1000)));
}

/** The badge's tooltip: since when, from what to what, over which window. */
export function growerTitle(g: Grower, sinceS: number): string {
  const since = g.growing_since ? Date.parse(g.growing_since) : Number.NaN;
  const head = Number.isNaN(since) ? "Growing" : `Growing since ${formatTimestamp(since)}`;
  return `${head}\n${metricLabel(g.metric)}: ${formatMetric(g.metric, g.start)} → ${formatMetric(g.metric, g.end)} (${formatChange(
    g.metric,
    g.delta,
  )}) over the last ${rangeLabel(sinceS)}`;
}

/** Looks a row's grower up by vhost and key. A grower summed over every vhost has none; a
 * grower of one vhost matches a row without one when that vhost is the view's scope. */
export function growerLookup(growers: readonly Grower[] | undefined, scope: string | null) {
  const byKey = new Map<string, Grower>();
  for (const g of growers ?? []) if (g.delta > 0) byKey.set(`${g.vhost ?? ""}\u0000${g.key}`, g);
  return (vhost: string | undefined, key: string): Grower | undefined =>
    byKey.get(`${vhost ?? ""}\u0000${key}`) ??
    (vhost === undefined && scope !== null ? byKey.get(`${scope}\u0000${key}`) : undefined) ??
    (vhost !== undefined ? byKey.get(`\u0000${key}`) : undefined);
}

/** The series of a queue table row (its id is `vhost \0 name`, see queueKey). */
export function queueSelector(id: string): SeriesSelector {
  const cut = id.indexOf("\u0000");
  return { kind: "queue", vhost: id.slice(0, cut), key: id.slice(cut + 1) };
}

/** The series of a realm or worker row: in its own vhost, else the view's scope, else summed
 * over every vhost. */
export function groupSelector(kind: SeriesKind, g: { key: string; vhost?: string }, scope: string | null): SeriesSelector {
  const vhost = g.vhost ?? scope ?? undefined;
  return vhost === undefined ? { kind, key: g.key } : { kind, vhost, key: g.key };
}

/** A grower's own series (for its sparkline and chart). */
export const growerSelector = (g: Grower): SeriesSelector => (g.vhost === undefined ? { kind: g.kind, key: g.key } : { kind: g.kind, vhost: g.vhost, key: g.key });

/** A stable id for a selector (sparkline cache keys). */
export const selectorId = (s: SeriesSelector) => `${s.kind}\u0000${s.vhost ?? ""}\u0000${s.key ?? ""}\u0000${s.realm ?? ""}`;

/** The queue filter that shows a grower's queues (the filter language of FilterHelp). */
export function growerFilter(g: Grower): string {
  if (g.kind === "realm" || g.kind === "worker") return groupFilter(g.kind, { key: g.key, vhost: g.vhost });
  const name = `name=${quoteTerm(g.key)}`;
  return g.vhost === undefined ? name : `${name} vhost:${quoteTerm(g.vhost)}`;
}

/** A grower's vhost when the view must say it: it has one and the view is not scoped to it. */
export const growerVhost = (g: Grower, scope: string | null) => (g.vhost !== undefined && g.vhost !== scope ? g.vhost : undefined);

/** A grower as the view names it: with its vhost unless the view is scoped to it. */
export const growerLabel = (g: Grower, scope: string | null) => {
  const vhost = growerVhost(g, scope);
  return vhost === undefined ? g.key : `${g.key} @ ${vhost}`;
};

/** The sparkline's drawing: each run of sampled slots as points in a `width` × `height` box
 * (y grows downwards; a flat series sits on the bottom when it is zero, else in the middle).
 * Slots that were not sampled break the line. */
export function sparkRuns(values: readonly (number | null)[], width: number, height: number, pad = 1.5): [number, number][][] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) return [];
  const step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
  const span = max - min;
  const y = (v: number) =>
    span > 0 ? pad + (height - 2 * pad) * (1 - (v - min) / span) : max === 0 ? height - pad : height / 2;
  const runs: [number, number][][] = [];
  let run: [number, number][] = [];
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      if (run.length) runs.push(run);
      run = [];
      return;
    }
    run.push([round1(pad + i * step), round1(y(v))]);
  });
  if (run.length) runs.push(run);
  return runs;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** The first and last sampled values of a sparkline (for its accessible name). */
export function sparkEnds(values: readonly (number | null)[]): [number, number] | null {
  const sampled = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return sampled.length ? [sampled[0], sampled[sampled.length - 1]] : null;
}

/** The store's size and span, as the Growers view's footer says it. */
export function infoSummary(info: HistoryInfo): string {
  const span =
    info.oldest && info.newest ? `${formatTimestamp(Date.parse(info.oldest))} → ${formatTimestamp(Date.parse(info.newest))}` : "no sample yet";
  const d = formatDuration;
  return `History: ${formatBytes(info.bytes)} · ${formatCount(info.samples)} samples of ${formatCount(info.series)} series · ${span} · every sample for ${d(
    info.full_resolution_s,
  )}, ${d(info.bucket_s)} min/avg/max to ${d(info.fine_buckets_s)}, ${d(info.hour_bucket_s)} to ${d(info.retention_s)}`;
}
