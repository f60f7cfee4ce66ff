// The queue table: TanStack Table for sorting, column visibility and resizing; TanStack
// Virtual so only the visible rows exist in the DOM (smooth with tens of thousands).
import { useRef, useState } from "react";
import {
  flexRender,
  getCoreRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
  type VisibilityState,
} from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { formatBytes, formatCount, formatDelta, formatRate } from "./format";

const num = (key: keyof QueueRow, header: string, format: (v: number) => string = formatCount, size = 96): ColumnDef<QueueRow> => ({
  id: key,
  accessorFn: (r) => r[key] as number,
  header,
  size,
  cell: (c) => format(c.getValue() as number),
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
];

const ROW_HEIGHT = 30;

interface Props {
  rows: QueueRow[];
  columnVisibility: VisibilityState;
  onColumnVisibilityChange: (v: VisibilityState) => void;
  onOpen?: (row: QueueRow) => void;
}

export function QueueTable({ rows, columnVisibility, onColumnVisibilityChange, onOpen }: Props) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const table = useReactTable({
    data: rows,
    columns: QUEUE_COLUMNS,
    state: { sorting, columnVisibility },
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
              <span
                className="qt-resize"
                onMouseDown={h.getResizeHandler()}
                onClick={(ev) => ev.stopPropagation()}
                role="separator"
              />
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
                className={`qt-row ${vi.index % 2 ? "odd" : ""}`}
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
}
