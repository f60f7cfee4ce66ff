// The queue table: TanStack Table for sorting, column visibility and resizing; TanStack
// Virtual so only the visible rows exist in the DOM (smooth with tens of thousands).
import { memo, useEffect, useRef, useState } from "react";
import {
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type CellContext,
  type ColumnDef,
  type RowSelectionState,
  type SortingState,
  type VisibilityState,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { formatBytes, formatCount, formatDelta, formatRate } from "./format";
import { queueKey } from "./queuesModel";
import { useRovingRows } from "../../common/useRovingRows";
import { Sparkline } from "../history/Sparkline";
import { GrowingBadge } from "../history/GrowingBadge";
import { TABLE_TREND } from "../history/historyModel";
import type { RowHistory } from "../history/useHistory";

/** While only the names are in (the figures still on their way), a figure reads as pending. */
const PENDING = (
  <span className="muted" title="Still reading this figure from the broker">
    …
  </span>
);
const pending = (c: CellContext<QueueRow, unknown>) => (c.table.options.meta as TableMeta | undefined)?.figuresPending === true;

const num = (key: keyof QueueRow, header: string, format: (v: number) => string = formatCount, size = 96): ColumnDef<QueueRow> => ({
  id: key,
  accessorFn: (r) => r[key] as number,
  header,
  size,
  cell: (c) => (pending(c) ? PENDING : format(c.getValue() as number)),
  meta: { numeric: true },
});

/** A number only some queues have (quorum-only, 4.3-only): "—" and sorted last where absent. */
const optNum = (key: "delivery_limit" | "messages_delayed" | "messages_dlx", header: string, size = 86): ColumnDef<QueueRow> => ({
  id: key,
  accessorFn: (r) => r[key] ?? undefined,
  header,
  size,
  sortUndefined: "last",
  cell: (c) => {
    if (pending(c)) return PENDING;
    const v = c.getValue() as number | undefined;
    if (v !== undefined) return formatCount(v);
    return key === "delivery_limit" && c.row.original.type === "quorum" ? "unlimited" : "—";
  },
  meta: { numeric: true },
});

// The columns a user reads first come first (they fit 1280 px beside the sidebar); the rest
// are a horizontal scroll away, with the name kept in view (see STICKY).
export const QUEUE_COLUMNS: ColumnDef<QueueRow>[] = [
  { id: "vhost", accessorKey: "vhost", header: "Vhost", size: 90 },
  {
    id: "name",
    accessorKey: "name",
    header: "Name",
    size: 190,
    cell: (c) => (
      <span className="queue-name" title={c.row.original.name}>
        <span className="ellipsis">{c.row.original.name}</span>
        <GrowingBadge
          grower={(c.table.options.meta as TableMeta | undefined)?.history?.grower(c.row.original.vhost, c.row.original.name)}
          sinceS={TABLE_TREND.sinceS}
          compact
        />
        <button
          className="copy"
          title="Copy name"
          aria-label="Copy queue name"
          tabIndex={(c.table.options.meta as TableMeta | undefined)?.innerTabIndex(c.row.id) ?? 0}
          onClick={(ev) => {
            ev.stopPropagation();
            void navigator.clipboard?.writeText(c.row.original.name);
          }}
        >
          <svg width="12" height="12" viewBox="0 0 16 16" aria-hidden="true">
            <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
            <path d="M3 11V3a1 1 0 0 1 1-1h7" fill="none" stroke="currentColor" strokeWidth="1.5" />
          </svg>
        </button>
      </span>
    ),
  },
  {
    ...num("messages", "Messages"),
    cell: (c) => {
      if (pending(c)) return PENDING;
      // The last hour's trend sits left of the count (drawn only for the rows on screen).
      const history = (c.table.options.meta as TableMeta | undefined)?.history;
      return (
        <span className="messages-cell">
          {history && <Sparkline values={history.spark(c.row.id)} label="Messages over the last hour" format={formatCount} />}
          <span className="spacer" />
          {formatCount(c.getValue() as number)}
          {(c.row.original.messages_delta ?? 0) > 0 && <span className="delta up">{formatDelta(c.row.original.messages_delta)}</span>}
          {(c.row.original.messages_delta ?? 0) < 0 && <span className="delta down">{formatDelta(c.row.original.messages_delta)}</span>}
        </span>
      );
    },
    size: 146,
  },
  num("messages_ready", "Ready", formatCount, 72),
  num("messages_unacknowledged", "Unacked", formatCount, 72),
  num("consumers", "Consumers", formatCount, 84),
  num("memory", "Memory", formatBytes, 80),
  num("publish_rate", "Publish/s", formatRate, 76),
  num("deliver_rate", "Deliver/s", formatRate, 76),
  { id: "dead_letter_exchange", accessorFn: (r) => r.dead_letter_exchange ?? "", header: "DLX", size: 90 },
  { id: "type", accessorKey: "type", header: "Type", size: 76 },
  { id: "state", accessorKey: "state", header: "State", size: 80, cell: (c) => (pending(c) ? PENDING : (c.getValue() as string)) },
  { id: "policy", accessorFn: (r) => r.policy ?? "", header: "Policy", size: 100 },
  { id: "node", accessorKey: "node", header: "Node", size: 140 },
  optNum("delivery_limit", "Delivery limit", 96),
  { id: "leader", accessorFn: (r) => r.leader ?? "", header: "Leader", size: 140 },
  { id: "members", accessorFn: (r) => r.members.length, header: "Members", size: 80, cell: (c) => (c.row.original.members.length ? c.row.original.members.length : "—"), meta: { numeric: true } },
  optNum("messages_delayed", "Delayed"),
  optNum("messages_dlx", "Dead-lettering", 100),
];

/** What the cells read from the table: whether a row's own controls are Tab stops. */
interface TableMeta {
  innerTabIndex: (rowId: string) => number;
  history?: RowHistory;
  /** The rows are names without figures yet (the first rows of a big broker). */
  figuresPending?: boolean;
}

/** Leading columns that stay in view when the table scrolls sideways. */
const STICKY = new Set(["select", "vhost", "name"]);

const SELECT_COLUMN: ColumnDef<QueueRow> = {
  id: "select",
  size: 32,
  enableSorting: false,
  enableResizing: false,
  header: ({ table }) => (
    <input
      type="checkbox"
      aria-label="Select every shown queue"
      data-testid="select-all"
      checked={table.getIsAllRowsSelected()}
      disabled={!table.options.enableRowSelection}
      ref={(el) => {
        if (el) el.indeterminate = table.getIsSomeRowsSelected();
      }}
      onClick={(ev) => ev.stopPropagation()}
      onChange={table.getToggleAllRowsSelectedHandler()}
    />
  ),
  cell: ({ row, table }) => (
    <input
      type="checkbox"
      aria-label={`Select ${row.original.name}`}
      data-testid="select-row"
      tabIndex={(table.options.meta as TableMeta | undefined)?.innerTabIndex(row.id) ?? 0}
      checked={row.getIsSelected()}
      disabled={!row.getCanSelect()}
      onClick={(ev) => ev.stopPropagation()}
      onChange={row.getToggleSelectedHandler()}
    />
  ),
};

const ROW_HEIGHT = 30;

interface Props {
  /** Every loaded queue; `shown` says which of them (by index) the filter shows, null: all. */
  rows: QueueRow[];
  shown: Set<number> | null;
  columnVisibility: VisibilityState;
  onColumnVisibilityChange: (v: VisibilityState) => void;
  onOpen?: (row: QueueRow) => void;
  rowSelection: RowSelectionState;
  onRowSelectionChange: (s: RowSelectionState) => void;
  /** Sparklines and "growing since" badges of the rows (see features/history). */
  history?: RowHistory;
  /** The ids of the rows on screen, once scrolling or a filter has settled. */
  onVisibleRows?: (ids: string[]) => void;
  /** The rows carry names, types and policies; their figures are still being read. */
  figuresPending?: boolean;
  /** The rows are an earlier load's, shown until a fresh one arrives: figures read as dated. */
  stale?: boolean;
}

const TABLE_COLUMNS = [SELECT_COLUMN, ...QUEUE_COLUMNS];

// Memoized: typing in the filter box must not re-render tens of thousands of rows' model.
export const QueueTable = memo(function QueueTable({
  rows,
  shown,
  columnVisibility,
  onColumnVisibilityChange,
  onOpen,
  rowSelection,
  onRowSelectionChange,
  history,
  onVisibleRows,
  figuresPending,
  stale,
}: Props) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const table = useReactTable({
    data: rows,
    columns: TABLE_COLUMNS,
    getRowId: queueKey,
    state: { sorting, columnVisibility, rowSelection, globalFilter: shown },
    // The core's filter already chose the rows: one set lookup per row, on one column.
    globalFilterFn: (row, _column, keep: Set<number> | null) => !keep || keep.has(row.index),
    getColumnCanGlobalFilter: (column) => column.id === "name",
    getFilteredRowModel: getFilteredRowModel(),
    // Dated rows are for reading: nothing acts on them, so none is ticked.
    enableRowSelection: !stale,
    onRowSelectionChange: (u) => onRowSelectionChange(typeof u === "function" ? u(rowSelection) : u),
    onSortingChange: setSorting,
    onColumnVisibilityChange: (u) => onColumnVisibilityChange(typeof u === "function" ? u(columnVisibility) : u),
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    columnResizeMode: "onChange",
    enableColumnResizing: true,
    meta: { innerTabIndex: (id: string) => (id === currentId.current ? 0 : -1), history, figuresPending } satisfies TableMeta,
  });
  const currentId = useRef<string | undefined>(undefined);
  const modelRows = table.getRowModel().rows;
  const virtual = useVirtualizer({
    count: modelRows.length,
    getScrollElement: () => roving.container.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const roving = useRovingRows(modelRows.length, {
    onEnter: (i) => onOpen?.(modelRows[i].original),
    onSpace: (i) => modelRows[i].toggleSelected(),
    scrollToIndex: (i) => virtual.scrollToIndex(i),
  });
  currentId.current = modelRows[roving.current]?.id;
  const width = table.getTotalSize();
  const items = virtual.getVirtualItems();
  // The rows on screen, told once they settle: the history is asked for them alone, and a
  // keystroke or a scroll frame costs no call.
  const visibleIds = onVisibleRows ? items.map((vi) => modelRows[vi.index]?.id ?? "").join("\u0001") : "";
  useEffect(() => {
    if (!onVisibleRows) return;
    const timer = setTimeout(() => onVisibleRows(visibleIds ? visibleIds.split("\u0001") : []), 150);
    return () => clearTimeout(timer);
  }, [visibleIds, onVisibleRows]);
  const header = table.getHeaderGroups()[0];
  const stickyLeft = stickyOffsets(table.getVisibleLeafColumns());
  const sticky = (id: string) => (stickyLeft.has(id) ? { position: "sticky" as const, left: stickyLeft.get(id) } : {});

  return (
    <div className={`qt-scroll${stale ? " stale" : ""}`} ref={roving.container} data-testid="queue-table" data-stale={stale ? "true" : undefined}>
      <div className="qt" style={{ width }} role="table" aria-rowcount={modelRows.length}>
        <div className="qt-head" role="row">
          {header.headers.map((h) => (
            <div
              key={h.id}
              role="columnheader"
              className={`qt-th ${(h.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric ? "num" : ""} ${stickyLeft.has(h.id) ? "pinned" : ""}`}
              style={{ width: h.getSize(), ...sticky(h.id) }}
              onClick={h.column.getToggleSortingHandler()}
              // A sortable header is a Tab stop that Enter or Space sorts, as a click does.
              tabIndex={h.column.getCanSort() ? 0 : undefined}
              onKeyDown={(ev) => {
                if (!h.column.getCanSort() || (ev.key !== "Enter" && ev.key !== " ")) return;
                ev.preventDefault();
                h.column.getToggleSortingHandler()?.(ev);
              }}
              data-testid={`qt-th-${h.id}`}
              aria-sort={h.column.getIsSorted() === "asc" ? "ascending" : h.column.getIsSorted() === "desc" ? "descending" : "none"}
            >
              {flexRender(h.column.columnDef.header, h.getContext())}
              {h.column.getIsSorted() && (
                <span className="qt-sort" aria-hidden="true">
                  {{ asc: "▲", desc: "▼" }[h.column.getIsSorted() as string]}
                </span>
              )}
              {h.column.getCanResize() && (
                <span className="qt-resize" onMouseDown={h.getResizeHandler()} onClick={(ev) => ev.stopPropagation()} role="separator" />
              )}
            </div>
          ))}
        </div>
        <div style={{ height: virtual.getTotalSize(), position: "relative" }} role="rowgroup">
          {items.map((vi) => {
            const row = modelRows[vi.index];
            return (
              <div
                key={row.id}
                role="row"
                className={`qt-row ${vi.index % 2 ? "odd" : ""} ${row.getIsSelected() ? "selected" : ""}`}
                style={{ transform: `translateY(${vi.start}px)`, height: ROW_HEIGHT }}
                onClick={() => onOpen?.(row.original)}
                data-testid="queue-row"
                {...roving.rowProps(vi.index)}
              >
                {row.getVisibleCells().map((cell) => (
                  <div
                    key={cell.id}
                    role="cell"
                    className={`qt-td ${(cell.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric ? "num" : ""} ${stickyLeft.has(cell.column.id) ? "pinned" : ""}`}
                    style={{ width: cell.column.getSize(), ...sticky(cell.column.id) }}
                    data-col={cell.column.id}
                  >
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
});

/** Left offsets of the leading STICKY columns that are shown (they stop at the first other one). */
function stickyOffsets(columns: { id: string; getSize: () => number }[]): Map<string, number> {
  const offsets = new Map<string, number>();
  let left = 0;
  for (const c of columns) {
    if (!STICKY.has(c.id)) break;
    offsets.set(c.id, left);
    left += c.getSize();
  }
  return offsets;
}
