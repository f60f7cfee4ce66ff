// The queue table by keyboard: one row is a Tab stop, the arrows move between rows, Enter opens
// the focused row (the drawer), Space selects it, and each copy button says what it copies.
import { beforeAll, afterAll, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { QueueTable } from "./QueueTable";

const row = (name: string): QueueRow => ({
  vhost: "/", name, type: "classic", state: "running", durable: true, exclusive: false, auto_delete: false,
  messages: 3, messages_ready: 3, messages_unacknowledged: 0, consumers: 0, memory: 1024, publish_rate: 0, deliver_rate: 0,
  ack_rate: 0, redeliver_rate: 0, arguments: {}, node: "rabbit@a", delivery_limit: null, members: [], online: [], leader: null,
  delayed_retry: null, messages_delayed: null, messages_dlx: null,
});

function renderTable(onOpen = vi.fn(), onRowSelectionChange = vi.fn(), figuresPending = false) {
  render(
    <QueueTable
      rows={[row("billing.acme"), row("billing.globex"), row("payments.acme")]}
      shown={null}
      columnVisibility={{}}
      onColumnVisibilityChange={() => {}}
      onOpen={onOpen}
      rowSelection={{}}
      onRowSelectionChange={onRowSelectionChange}
      figuresPending={figuresPending}
    />,
  );
  return screen.getAllByTestId("queue-row");
}

describe("QueueTable keyboard", () => {
  // jsdom lays nothing out: give the scroller a height, or the virtualizer renders no row.
  const spies: { mockRestore: () => void }[] = [];
  beforeAll(() => {
    spies.push(vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(600));
    spies.push(vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(1000));
  });
  afterAll(() => spies.forEach((s) => s.mockRestore()));

  it("makes only the first row a Tab stop, with its own controls", () => {
    const rows = renderTable();
    expect(rows.map((r) => r.tabIndex)).toEqual([0, -1, -1]);
    const copies = screen.getAllByRole("button", { name: "Copy queue name" });
    expect(copies.map((b) => b.tabIndex)).toEqual([0, -1, -1]);
    expect(screen.getAllByTestId("select-row").map((b) => b.tabIndex)).toEqual([0, -1, -1]);
  });

  it("moves with the arrows, Home and End, and the Tab stop follows the focus", () => {
    const rows = renderTable();
    rows[0].focus();
    fireEvent.keyDown(rows[0], { key: "ArrowDown" });
    expect(document.activeElement).toBe(rows[1]);
    expect(rows.map((r) => r.tabIndex)).toEqual([-1, 0, -1]);
    fireEvent.keyDown(rows[1], { key: "End" });
    expect(document.activeElement).toBe(rows[2]);
    fireEvent.keyDown(rows[2], { key: "ArrowDown" });
    expect(document.activeElement).toBe(rows[2]);
    fireEvent.keyDown(rows[2], { key: "Home" });
    expect(document.activeElement).toBe(rows[0]);
    fireEvent.keyDown(rows[0], { key: "ArrowUp" });
    expect(document.activeElement).toBe(rows[0]);
  });

  it("opens the focused row with Enter and selects it with Space", () => {
    const onOpen = vi.fn();
    const onSelect = vi.fn();
    const rows = renderTable(onOpen, onSelect);
    rows[1].focus();
    fireEvent.keyDown(rows[1], { key: "Enter" });
    expect(onOpen).toHaveBeenCalledTimes(1);
    expect(onOpen.mock.calls[0][0].name).toBe("billing.globex");
    fireEvent.keyDown(rows[1], { key: " " });
    expect(onSelect).toHaveBeenCalledWith({ "/\u0000billing.globex": true });
  });

  it("leaves Enter on the row's own buttons to them", () => {
    const onOpen = vi.fn();
    renderTable(onOpen);
    const copy = screen.getAllByRole("button", { name: "Copy queue name" })[0];
    fireEvent.keyDown(copy, { key: "Enter" });
    expect(onOpen).not.toHaveBeenCalled();
  });

  it("sorts by a header from the keyboard, as a click does", () => {
    renderTable();
    const messages = screen.getByTestId("qt-th-messages");
    expect(messages.tabIndex).toBe(0);
    expect(messages.getAttribute("aria-sort")).toBe("none");
    fireEvent.keyDown(messages, { key: "Enter" });
    expect(screen.getByTestId("qt-th-messages").getAttribute("aria-sort")).not.toBe("none");
    fireEvent.keyDown(screen.getByTestId("qt-th-messages"), { key: "x" });
    const sorted = screen.getByTestId("qt-th-messages").getAttribute("aria-sort");
    fireEvent.keyDown(screen.getByTestId("qt-th-messages"), { key: " " });
    expect(screen.getByTestId("qt-th-messages").getAttribute("aria-sort")).not.toBe(sorted);
  });

  it("shows names at once and their figures as pending, never as zeros, until they arrive", () => {
    const rows = renderTable(vi.fn(), vi.fn(), true);
    expect(rows).toHaveLength(3);
    expect(rows[0].textContent).toContain("billing.acme");
    expect(rows[0].textContent).not.toMatch(/\b3\b/);
    expect(rows[0].textContent).not.toContain("running");
    expect(rows[0].textContent).toContain("…");
  });
});
