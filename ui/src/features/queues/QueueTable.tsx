// The queue table: TanStack Table for sorting, column visibility and resizing; TanStack
// Virtual so only the visible rows exist in the DOM (smooth with tens of thousands).
import { memo, useRef, useState } from "react";
import {
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type RowSelectionState,
  type SortingState,
  type VisibilityState,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { formatBytes, formatCount, formatDelta, formatRate } from "./format";
import { queueKey } from "./queuesModel";

const num = (key: keyof QueueRow, header: string, format: (v: number) => string = formatCount, size = 96): ColumnDef<QueueRow> => ({
  id: key,
  accessorFn: (r) => r[key] as number,
  header,
  size,
  cell: (c) => format(c.getValue() as number),
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
    const v = c.getValue() as number | undefined;
    if (v !== undefined) return formatCount(v);
    return key === "delivery_limit" && c.row.original.type === "quorum" ? "unlimited" : "—";
  },
  meta: { numeric: true },
});

export const QUEUE_COLUMNS: ColumnDef<QueueRow>[] = [
  { id: "vhost", accessorKey: "vhost", header: "Vhost", size: 110 },
  {
    id: "name",
    accessorKey: "name",
    header: "Name",
    size: 260,
    cell: (c) => (
      <span className="queue-name">
        {c.row.original.name}
        <button
          className="copy"
          title="Copy name"
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
  { id: "type", accessorKey: "type", header: "Type", size: 80 },
  { id: "state", accessorKey: "state", header: "State", size: 80 },
  {
    ...num("messages", "Messages"),
    cell: (c) => (
      <>
        {formatCount(c.getValue() as number)}
        {(c.row.original.messages_delta ?? 0) > 0 && <span className="delta up">{formatDelta(c.row.original.messages_delta)}</span>}
        {(c.row.original.messages_delta ?? 0) < 0 && <span className="delta down">{formatDelta(c.row.original.messages_delta)}</span>}
      </>
    ),
    size: 130,
  },
  num("messages_ready", "Ready"),
  num("messages_unacknowledged", "Unacked"),
  num("consumers", "Consumers", formatCount, 90),
  num("memory", "Memory", formatBytes),
  num("publish_rate", "Publish/s", formatRate, 86),
  num("deliver_rate", "Deliver/s", formatRate, 86),
  { id: "policy", accessorFn: (r) => r.policy ?? "", header: "Policy", size: 100 },
  { id: "dead_letter_exchange", accessorFn: (r) => r.dead_letter_exchange ?? "", header: "DLX", size: 90 },
  { id: "node", accessorKey: "node", header: "Node", size: 140 },
  optNum("delivery_limit", "Delivery limit", 96),
  { id: "leader", accessorFn: (r) => r.leader ?? "", header: "Leader", size: 140 },
  { id: "members", accessorFn: (r) => r.members.length, header: "Members", size: 80, cell: (c) => (c.row.original.members.length ? c.row.original.members.length : "—"), meta: { numeric: true } },
  optNum("messages_delayed", "Delayed"),
  optNum("messages_dlx", "Dead-lettering"),
];

const SELECT_COLUMN: ColumnDef<QueueRow> = {
  id: "select",
  size: 34,
  enableSorting: false,
  enableResizing: false,
  header: ({ table }) => (
    <input
      type="checkbox"
      aria-label="Select every shown queue"
      data-testid="select-all"
      checked={table.getIsAllRowsSelected()}
      ref={(el) => {
        if (el) el.indeterminate = table.getIsSomeRowsSelected();
      }}
      onClick={(ev) => ev.stopPropagation()}
      onChange={table.getToggleAllRowsSelectedHandler()}
    />
  ),
  cell: ({ row }) => (
    <input
      type="checkbox"
      aria-label={`Select ${row.original.name}`}
      data-testid="select-row"
      checked={row.getIsSelected()}
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
}

const TABLE_COLUMNS = [SELECT_COLUMN, ...QUEUE_COLUMNS];

// Memoized: typing in the filter box must not re-render tens of thousands of rows' model.
export const QueueTable = memo(function QueueTable({ rows, shown, columnVisibility, onColumnVisibilityChange, onOpen, rowSelection, onRowSelectionChange }: Props) {
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
    enableRowSelection: true,
    onRowSelectionChange: (u) => onRowSelectionChange(typeof u === "function" ? u(rowSelection) : u),
    onSortingChange: setSorting,
    onColumnVisibilityChange: (u) => onColumnVisibilityChange(typeof u === "function" ? u(columnVisibility) : u),
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    columnResizeMode: "onChange",
    enableColumnResizing: true,
  });
  const modelRows = table.getRowModel().rows;
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: modelRows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const width = table.getTotalSize();
  const items = virtual.getVirtualItems();
  const header = table.getHeaderGroups()[0];

  return (
    <div className="qt-scroll" ref={scroller} data-testid="queue-table">
      <div className="qt" style={{ width }} role="table" aria-rowcount={modelRows.length}>
        <div className="qt-head" role="row">
          {header.headers.map((h) => (
            <div
              key={h.id}
              role="columnheader"
              className={`qt-th ${(h.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric ? "num" : ""}`}
              style={{ width: h.getSize() }}
              onClick={h.column.getToggleSortingHandler()}
              data-testid={`qt-th-${h.id}`}
              aria-sort={h.column.getIsSorted() === "asc" ? "ascending" : h.column.getIsSorted() === "desc" ? "descending" : "none"}
            >
              {flexRender(h.column.columnDef.header, h.getContext())}
              {{ asc: " ▲", desc: " ▼" }[h.column.getIsSorted() as string] ?? ""}
              {h.column.getCanResize() && (
                <span className="qt-resize" onMouseDown={h.getResizeHandler()} onClick={(ev) => ev.stopPropagation()} role="separator" />
              )}
            </div>
          ))}
        </div>
        <div style={{ height: virtual.getTotalSize(), position: "relative" }}>
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
              >
                {row.getVisibleCells().map((cell) => (
                  <div
                    key={cell.id}
                    role="cell"
                    className={`qt-td ${(cell.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric ? "num" : ""}`}
                    style={{ width: cell.column.getSize() }}
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
