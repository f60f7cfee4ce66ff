// Keyboard reach for a table's rows: one row is a Tab stop (roving tabindex), the arrows, Home,
// End and Page keys move between rows, Enter opens the focused row (by default: as a click on
// it does) and Space acts on it (selects).
// For a virtualized table `scrollToIndex` renders the target row first; the focus follows once
// it exists.
import { useEffect, useRef, useState, type KeyboardEvent } from "react";

interface Options {
  /** Enter on row `index` (or per row: `rowProps(index, open)`). */
  onEnter?: (index: number) => void;
  onSpace?: (index: number) => void;
  scrollToIndex?: (index: number) => void;
}

const PAGE = 10;

export function useRovingRows<E extends HTMLElement = HTMLDivElement>(count: number, { onEnter, onSpace, scrollToIndex }: Options = {}) {
  const [active, setActive] = useState(0);
  const container = useRef<E>(null);
  const pending = useRef<number | null>(null);
  const current = Math.max(0, Math.min(active, count - 1));

  // After every render: a move asked for a row that may only now be in the DOM.
  useEffect(() => {
    if (pending.current === null) return;
    const row = container.current?.querySelector<HTMLElement>(`[data-row-index="${pending.current}"]`);
    if (row) {
      pending.current = null;
      row.focus();
    }
  });

  const moveTo = (index: number) => {
    const to = Math.max(0, Math.min(index, count - 1));
    pending.current = to;
    setActive(to);
    scrollToIndex?.(to);
    // Already rendered: focus now (no re-render comes when the index did not change).
    const row = container.current?.querySelector<HTMLElement>(`[data-row-index="${to}"]`);
    if (row) {
      pending.current = null;
      row.focus();
    }
  };

  /** `open`: what Enter does on this row, instead of `onEnter`. */
  const rowProps = (index: number, open?: () => void) => ({
    tabIndex: index === current ? 0 : -1,
    "data-row-index": index,
    onFocus: (ev: { target: EventTarget; currentTarget: EventTarget }) => {
      if (ev.target === ev.currentTarget) setActive(index);
    },
    onKeyDown: (ev: KeyboardEvent<HTMLElement>) => {
      if (ev.target !== ev.currentTarget) return; // a checkbox or button inside the row
      const to = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: count - 1, PageDown: index + PAGE, PageUp: index - PAGE }[ev.key];
      if (to !== undefined) moveTo(to);
      else if (ev.key === "Enter") {
        // Without a handler, Enter does what a click on the row does.
        if (open) open();
        else if (onEnter) onEnter(index);
        else ev.currentTarget.click();
      }
      else if (ev.key === " " && onSpace) onSpace(index);
      else return;
      ev.preventDefault();
    },
  });

  /** Whether a row's own controls (checkbox, copy button) are Tab stops: only the current row's. */
  const inner = (index: number) => (index === current ? 0 : -1);

  return { container, rowProps, inner, current };
}
