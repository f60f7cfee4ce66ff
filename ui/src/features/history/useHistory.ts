// The history answers the tables read: sparklines for the rows on screen (one batched call, asked
// again after each inventory load, since each load records a sample), growers for the badges,
// and which rows of a non-virtualised table are on screen.
import { useEffect, useMemo, useRef, useState, type RefObject } from "react";
import { keepPreviousData, skipToken, useQuery } from "@tanstack/react-query";
import { commands, type Grower, type HistoryMetric, type Inventory, type SeriesKind, type SeriesSelector } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { growerLookup, queueSelector, TABLE_TREND } from "./historyModel";

/** When the environment's queues were last loaded (0: not yet), read from the cache the pages
 * fill; never loads by itself. */
export function useLoadedAt(envId: string): number {
  const inventory = useQuery<Inventory>({ queryKey: queryKeys.inventory(envId), queryFn: skipToken });
  return inventory.data ? inventory.dataUpdatedAt : 0;
}

export type SparkLookup = (id: string) => (number | null)[] | undefined;

/** What a table row shows of the history: its sparkline (by row id) and its grower, if growing. */
export interface RowHistory {
  spark: SparkLookup;
  grower: (vhost: string | undefined, key: string) => Grower | undefined;
}

/** Sparklines of `rows` (an id and its series each), in one call. Rows already drawn keep their
 * line while a newer one is asked (after a reload, or when scrolled back to). */
export function useSparklines(
  envId: string,
  rows: readonly { id: string; selector: SeriesSelector }[],
  loadedAt: number,
  { metric = TABLE_TREND.metric, sinceS = TABLE_TREND.sinceS, buckets = TABLE_TREND.buckets }: { metric?: HistoryMetric; sinceS?: number; buckets?: number } = {},
): SparkLookup {
  const ids = useMemo(() => rows.map((r) => r.id), [rows]);
  const spark = useQuery({
    queryKey: queryKeys.historySparklines(envId, metric, sinceS, buckets, loadedAt, ids),
    queryFn: async () => {
      const lines = await commands.historySparklines(envId, rows.map((r) => r.selector), metric, sinceS, buckets);
      return new Map(ids.map((id, i) => [id, Array.isArray(lines?.[i]) ? lines[i] : []]));
    },
    enabled: loadedAt > 0 && ids.length > 0,
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    retry: false,
  });
  // What was drawn, by id, for this metric and window (a change of either starts over).
  const drawn = useRef({ key: "", lines: new Map<string, (number | null)[]>() });
  const key = `${envId}|${metric}|${sinceS}|${buckets}`;
  if (drawn.current.key !== key) drawn.current = { key, lines: new Map() };
  const fresh = spark.isPlaceholderData ? undefined : spark.data;
  return useMemo(() => {
    const lines = drawn.current.lines;
    if (fresh) for (const [id, v] of fresh) lines.set(id, v);
    return (id: string) => lines.get(id);
    // `key` resets what `drawn` holds; `fresh` adds to it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fresh, key]);
}

/** The series of kind `by` that grew over the last `sinceS` (for badges and the Growers view). */
export function useGrowers(
  envId: string,
  by: SeriesKind,
  vhost: string | null,
  loadedAt: number,
  { metric = TABLE_TREND.metric, sinceS = TABLE_TREND.sinceS, limit = TABLE_TREND.growersLimit }: { metric?: HistoryMetric; sinceS?: number; limit?: number } = {},
) {
  return useQuery({
    queryKey: queryKeys.historyGrowers(envId, by, vhost, metric, sinceS, limit, loadedAt),
    queryFn: () => commands.historyGrowers(envId, by, vhost, metric, sinceS, limit),
    enabled: loadedAt > 0,
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    retry: false,
  });
}

/** The badges' lookup for a table: growing rows by vhost and key. */
export function useGrowerLookup(envId: string, by: SeriesKind, vhost: string | null, loadedAt: number) {
  const growers = useGrowers(envId, by, vhost, loadedAt);
  const data = growers.data;
  return useMemo(() => growerLookup(Array.isArray(data) ? data : [], vhost), [data, vhost]);
}

/** Indices of the rows (`[data-row-index]` inside `container`) that are on screen, settled for
 * `delayMs` after the last change; every row where IntersectionObserver is missing. `rows`: the
 * rows' identity (another list means other elements to watch). */
export function useVisibleRows(container: RefObject<HTMLElement | null>, count: number, rows: unknown, delayMs = 120): number[] {
  const [visible, setVisible] = useState<number[]>([]);
  useEffect(() => {
    const root = container.current;
    if (!root) return;
    if (typeof IntersectionObserver === "undefined") {
      setVisible(Array.from({ length: count }, (_, i) => i));
      return;
    }
    const on = new Set<number>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const io = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const i = Number((e.target as HTMLElement).dataset.rowIndex);
        if (e.isIntersecting) on.add(i);
        else on.delete(i);
      }
      clearTimeout(timer);
      timer = setTimeout(() => setVisible([...on].filter((i) => i < count).sort((a, b) => a - b)), delayMs);
    });
    root.querySelectorAll<HTMLElement>("[data-row-index]").forEach((el) => io.observe(el));
    return () => {
      clearTimeout(timer);
      io.disconnect();
    };
  }, [container, count, rows, delayMs]);
  return visible;
}

/** The queue table's history: sparklines of the rows on screen (`visibleIds`, queue keys) and the
 * growing queues of the scope. */
export function useQueueHistory(envId: string, vhost: string | null, visibleIds: readonly string[], loadedAt: number): RowHistory {
  const rows = useMemo(() => visibleIds.map((id) => ({ id, selector: queueSelector(id) })), [visibleIds]);
  const spark = useSparklines(envId, rows, loadedAt);
  const grower = useGrowerLookup(envId, "queue", vhost, loadedAt);
  return useMemo(() => ({ spark, grower }), [spark, grower]);
}
