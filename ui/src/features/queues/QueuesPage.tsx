// The queue screen: the filter box (`/` focuses it), "N of M queues", refresh (manual and
// automatic), the virtualized table, and a detail drawer. Filtering runs in the core.
import { useEffect, useMemo, useRef, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import type { RowSelectionState, VisibilityState } from "@tanstack/react-table";
import { commands, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { overInventory, useInventory } from "./useInventory";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { QueueTable, QUEUE_COLUMNS } from "./QueueTable";
import { queueKey, shownIndices } from "./queuesModel";
import { useLastGoodFilter } from "./useLastGoodFilter";
import { MoveDialog } from "./MoveDialog";
import { QueueDrawer } from "./QueueDrawer";
import { PeekDialog } from "../messages/PeekDialog";
import { PublishDialog } from "../messages/PublishDialog";
import { FilterHelp } from "./FilterHelp";
import { loadSavedFilters, removeFilter, saveFilter } from "./savedFilters";
import { PurgeDialog } from "./PurgeDialog";
import { EmptyQueues } from "./EmptyQueues";
import { STREAM_NOTE, withoutStreams } from "./queueKinds";
import { ToolbarSelect, type Choice } from "../../common/ToolbarSelect";
import { useQueueHistory } from "../history/useHistory";
import { LastKnownNote } from "./LastKnownNote";

const REFRESH_CHOICES: Choice<number>[] = [
  { label: "off", value: 0 },
  { label: "5 s", value: 5000 },
  { label: "15 s", value: 15000 },
  { label: "60 s", value: 60000 },
];

// Performance marks for the e2e run (printed there): keystroke → the input's re-render, and
// keystroke → the filtered rows on screen. `warren:` entries are cleared each keystroke.
function markFilterInput() {
  performance.clearMarks("warren:filter-input");
  performance.mark("warren:filter-input");
}

function measureSinceInput(name: string) {
  if (performance.getEntriesByName("warren:filter-input").length === 0) return;
  performance.clearMeasures(name);
  performance.measure(name, "warren:filter-input");
}

function useFilterTiming(filter: string, shown: unknown) {
  useEffect(() => measureSinceInput("warren:filter-keystroke"), [filter]);
  useEffect(() => measureSinceInput("warren:filter-rows"), [shown]);
}

interface Props {
  env: EnvironmentView;
  /** The vhost scope (null: every loaded vhost). */
  vhost: string | null;
  /** The filter lives with the app, so it survives a visit to another tab (and a drill-down
   * from the realm screens can set it). */
  filter: string;
  onFilterChange: (filter: string) => void;
}

export function QueuesPage({ env, vhost, filter, onFilterChange: setFilter }: Props) {
  const envId = env.id;
  const [refreshMs, setRefreshMs] = useState(0);
  const [saved, setSaved] = useState(() => loadSavedFilters(envId));
  const [open, setOpen] = useState<QueueRow | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [visibility, setVisibility] = useState<VisibilityState>({
    state: false,
    policy: false,
    node: false,
    leader: false,
    members: false,
    messages_delayed: false,
    messages_dlx: false,
  });
  const [pickerOpen, setPickerOpen] = useState(false);
  const [purging, setPurging] = useState<QueueRow[] | null>(null);
  const [moving, setMoving] = useState<QueueRow[] | null>(null);
  const [peeking, setPeeking] = useState<QueueRow | null>(null);
  const [publishing, setPublishing] = useState<QueueRow | null>(null);
  const [selection, setSelection] = useState<RowSelectionState>({});
  const input = useRef<HTMLInputElement>(null);

  const { inventory, firstPage, pages } = useInventory(env, refreshMs);
  // Sparklines and growing badges: the rows on screen, after each load (each load is a sample).
  const [visibleIds, setVisibleIds] = useState<string[]>([]);
  const history = useQueueHistory(envId, vhost, visibleIds, inventory.data ? inventory.dataUpdatedAt : 0);
  // Before the first complete load, the first page (or the rows an earlier run last loaded)
  // stands in: marked as partial or as of its time, and narrowed by the filter like the rest.
  const firstView = !inventory.data && firstPage ? firstPage.rows : null;
  const lastKnown = firstView && firstPage?.kind === "last_known" ? firstPage : null;
  const standIn = firstView && firstPage ? firstPage.stand_in : null;
  const outcome = useQuery({
    queryKey: queryKeys.queueFilter(envId, filter, inventory.dataUpdatedAt, vhost, standIn),
    queryFn: () => commands.filterQueues(envId, filter, vhost),
    ...overInventory(inventory),
    enabled: inventory.isSuccess || standIn !== null,
  });

  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      const t = ev.target as HTMLElement;
      if (ev.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName)) {
        ev.preventDefault();
        input.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const all = inventory.data?.rows ?? firstView ?? [];
  const noFilter = filter.trim() === "";
  // The table keeps its rows and only hides the others, so a keystroke costs a lookup per row,
  // not a rebuilt table; and `shown` changes when a filter result arrives, not on each keystroke.
  // A vhost scope narrows like a filter (the core answers both at once).
  const unrestricted = noFilter && vhost === null;
  const answered = useMemo(() => shownIndices(unrestricted, outcome.data, standIn), [outcome.data, unrestricted, standIn]);
  // A filter with an error keeps the last valid filter's rows on screen, under the error.
  const filterError = outcome.data?.error;
  const lastGood = useLastGoodFilter(envId, filter, vhost, outcome, inventory);
  const lastGoodShown = useMemo(
    () => (lastGood ? shownIndices(lastGood.filter.trim() === "" && vhost === null, lastGood.outcome, standIn) : undefined),
    [lastGood, vhost, standIn],
  );
  const shown = lastGoodShown === undefined ? answered : lastGoodShown;
  const shownCount = shown ? shown.size : all.length;
  const shownRows = () => (shown ? all.filter((_, i) => shown.has(i)) : all);
  useFilterTiming(filter, shown);
  const selected = useMemo(() => all.filter((r) => selection[queueKey(r)]), [all, selection]);
  // Streams are never purged or moved: the actions take the other selected queues.
  const actionable = useMemo(() => withoutStreams(selected), [selected]);
  const inScope = useMemo(() => (vhost === null ? all.length : all.filter((r) => r.vhost === vhost).length), [all, vhost]);
  const total = firstView && firstPage ? firstPage.total : inScope;
  const loadError = inventory.error as unknown as ErrorReport | null;

  return (
    <section className="queues-page">
      <div className="queues-toolbar">
        <div className={`filter-box ${filterError ? "invalid" : ""}`}>
          <input
            ref={input}
            data-testid="queue-filter"
            placeholder="Filter queues: billing acme  messages>1000  consumers=0  type:quorum  /regex/   (press / to focus)"
            value={filter}
            onChange={(ev) => {
              markFilterInput();
              setFilter(ev.target.value);
            }}
            spellCheck={false}
            autoComplete="off"
          />
          <button className="ghost" onClick={() => setHelpOpen((o) => !o)} title="Filter language" aria-label="Filter language help" aria-expanded={helpOpen}>
            ?
          </button>
          <button className="ghost" disabled={!filter.trim()} onClick={() => setSaved(saveFilter(envId, filter))} title="Save this filter">
            ☆ Save
          </button>
        </div>
        <span className="count" data-testid="queue-count">
          {inventory.isLoading && !firstView
            ? "loading…"
            : `${shownCount.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} queues${vhost !== null ? ` in ${vhost}` : ""}${
                firstView && firstPage?.kind === "first_page" && firstPage.figures_pending ? " · reading figures…" : ""
              }${firstView && outcome.data?.needs_load && !noFilter ? " · this filter needs the figures: it applies once they are in" : ""}`}
          {lastKnown && <LastKnownNote takenAt={lastKnown.taken_at} reading={inventory.isFetching} />}
        </span>
        <button onClick={() => inventory.refetch()} disabled={inventory.isFetching} data-testid="queue-refresh">
          {inventory.isFetching ? (
            <>
              Refreshing…
              {pages && pages.pages > 1 && (
                <span className="muted" data-testid="queue-pages">
                  {" "}
                  {pages.done}/{pages.pages}
                </span>
              )}
            </>
          ) : (
            "Refresh"
          )}
        </button>
        <ToolbarSelect label="auto" value={refreshMs} options={REFRESH_CHOICES} onChange={setRefreshMs} />
      </div>
      <div className="table-bar">
        {selected.length > 0 && (
          <span className="selection-actions" data-testid="selection-actions">
            {selected.length.toLocaleString("en-US")} selected
            <button data-testid="move-selected" disabled={actionable.rows.length === 0 || !!lastKnown} onClick={() => setMoving(actionable.rows)}>
              Move…
            </button>
            <button className="danger" data-testid="purge-selected" disabled={actionable.rows.length === 0 || !!lastKnown} onClick={() => setPurging(actionable.rows)}>
              Purge…
            </button>
            {actionable.streams > 0 && (
              <span className="muted small" title={STREAM_NOTE} data-testid="streams-left-out">
                {actionable.streams} stream{actionable.streams === 1 ? "" : "s"} left out
              </span>
            )}
            <button className="ghost" onClick={() => setSelection({})} title="Clear the selection" aria-label="Clear the selection">
              ×
            </button>
          </span>
        )}
        <span className="spacer" />
        <button
          className="danger"
          data-testid="purge-shown"
          // Rows standing in for the load (dated, or only the first view) are not what the
          // broker holds now: nothing is purged by them.
          disabled={noFilter || shownCount === 0 || !!filterError || !!firstView}
          title={
            firstView
              ? "Wait for the queues read now: the rows shown are not the broker's current list"
              : filter.trim()
                ? "Purge every queue the filter shows"
                : "Filter first: Warren will not purge a whole environment at once"
          }
          onClick={() => {
            const { rows } = withoutStreams(shownRows());
            if (rows.length > 0) setPurging(rows);
          }}
        >
          Purge shown…
        </button>
        <div className="column-picker">
          <button className="ghost" onClick={() => setPickerOpen((o) => !o)}>
            Columns ▾
          </button>
          {pickerOpen && (
            <div className="popover">
              {QUEUE_COLUMNS.map((c) => (
                <label key={c.id} className="check-field">
                  <input
                    type="checkbox"
                    checked={visibility[c.id!] !== false}
                    disabled={c.id === "name"}
                    onChange={(ev) => setVisibility({ ...visibility, [c.id!]: ev.target.checked })}
                  />
                  {String(c.header)}
                </label>
              ))}
            </div>
          )}
        </div>
      </div>
      {saved.length > 0 && (
        <div className="saved-filters">
          {saved.map((f) => (
            <span key={f} className="chip">
              <button className="ghost" onClick={() => setFilter(f)}>
                {f}
              </button>
              <button className="ghost x" title="Forget this filter" aria-label={`Forget the filter ${f}`} onClick={() => setSaved(removeFilter(envId, f))}>
                ×
              </button>
            </span>
          ))}
        </div>
      )}
      {helpOpen && <FilterHelp />}
      {filterError && (
        <div className="filter-error" data-testid="filter-error">
          <code>{filter}</code>
          <code className="caret">{" ".repeat(filterError.position)}^</code>
          {filterError.message} — expected {filterError.expected}
          {lastGood && <span className="muted"> Showing the last valid filter's queues.</span>}
        </div>
      )}
      {outcome.data?.uses_realms && inventory.data && !inventory.data.realm_template && (
        <div className="warning-box inline">
          realm: and worker: match queues mapped by a realm template; this environment has none and its queue names suggest none, so nothing
          matches them. Set one in the environment's settings (e.g. <code>{"{worker}.{realm}"}</code>).
        </div>
      )}
      {inventory.data?.partial && (
        <div className="warning-box inline">Partial list: {inventory.data.errors.join("; ")}. Refresh to retry.</div>
      )}
      {loadError && <div className="error-box">Cannot list queues: {loadError.message}</div>}
      {inventory.data && !firstView && inScope === 0 ? (
        <EmptyQueues env={env} loaded={all.length} scope={vhost} />
      ) : (
        <QueueTable
          rows={all}
          shown={shown}
          columnVisibility={visibility}
          onColumnVisibilityChange={setVisibility}
          // Dated rows are for reading: acting on a queue waits for what the broker says now.
          onOpen={lastKnown ? undefined : setOpen}
          rowSelection={selection}
          onRowSelectionChange={setSelection}
          history={history}
          onVisibleRows={setVisibleIds}
          figuresPending={!!firstView && firstPage?.kind === "first_page" && firstPage.figures_pending}
          stale={!!lastKnown}
        />
      )}
      {open && (
        <QueueDrawer
          env={env}
          envId={envId}
          row={all.find((r) => queueKey(r) === queueKey(open)) ?? open}
          onClose={() => setOpen(null)}
          onPurge={() => setPurging([open])}
          onMove={() => setMoving([open])}
          onPeek={() => setPeeking(open)}
          onPublish={() => setPublishing(open)}
        />
      )}
      {peeking && <PeekDialog envId={envId} row={peeking} onClose={() => setPeeking(null)} />}
      {publishing && (
        <PublishDialog env={env} vhost={publishing.vhost} exchange="" routingKey={publishing.name} onClose={() => setPublishing(null)} onDone={() => {}} />
      )}
      {moving && (
        <MoveDialog env={env} targets={moving} known={all} onClose={() => setMoving(null)} onDone={() => setSelection({})} />
      )}
      {purging && (
        <PurgeDialog
          env={env}
          targets={purging}
          onClose={() => setPurging(null)}
          onDone={() => setSelection({})}
        />
      )}
    </section>
  );
}
