// Rows without an Enter handler of their own (realm rows, dead-letter rows) open as a click
// does; Space goes to `onSpace`; keys pressed on a control inside the row stay with it.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { useRovingRows } from "./useRovingRows";

function Rows({ onClick, onSpace }: { onClick: (i: number) => void; onSpace?: (i: number) => void }) {
  const roving = useRovingRows(3, { onSpace });
  return (
    <div role="table" ref={roving.container}>
      {[0, 1, 2].map((i) => (
        <div key={i} role="row" data-testid={`row-${i}`} onClick={() => onClick(i)} {...roving.rowProps(i)}>
          <span role="cell">
            <button tabIndex={roving.inner(i)}>act {i}</button>
          </span>
        </div>
      ))}
    </div>
  );
}

describe("useRovingRows", () => {
  it("opens a row with Enter as a click would, and hands Space to onSpace", () => {
    const onClick = vi.fn();
    const onSpace = vi.fn();
    render(<Rows onClick={onClick} onSpace={onSpace} />);
    const row = screen.getByTestId("row-0");
    row.focus();
    fireEvent.keyDown(row, { key: "PageDown" });
    const last = screen.getByTestId("row-2");
    expect(document.activeElement).toBe(last);
    fireEvent.keyDown(last, { key: "Enter" });
    expect(onClick).toHaveBeenCalledWith(2);
    fireEvent.keyDown(last, { key: " " });
    expect(onSpace).toHaveBeenCalledWith(2);
  });

  it("keeps one row's controls in the Tab order and leaves their keys alone", () => {
    const onClick = vi.fn();
    render(<Rows onClick={onClick} />);
    expect(screen.getAllByRole("button").map((b) => b.tabIndex)).toEqual([0, -1, -1]);
    fireEvent.keyDown(screen.getByText("act 0"), { key: "ArrowDown" });
    expect(document.activeElement).not.toBe(screen.getByTestId("row-1"));
    fireEvent.keyDown(screen.getByText("act 0"), { key: "Enter" });
    expect(onClick).not.toHaveBeenCalled();
  });
});
