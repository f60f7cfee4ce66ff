// The queue table draws a sparkline and a "growing since" badge from what the history answers,
// and tells which rows are on screen once they settle (the only rows the history is asked for).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { act, render, screen } from "@testing-library/react";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { QueueTable } from "../queues/QueueTable";
import { queueKey } from "../queues/queuesModel";
import { growerLookup } from "./historyModel";
import type { RowHistory } from "./useHistory";

const row = (name: string): QueueRow => ({
  vhost: "/", name, type: "classic", state: "running", durable: true, exclusive: false, auto_delete: false,
  messages: 3, messages_ready: 3, messages_unacknowledged: 0, consumers: 0, memory: 1024, publish_rate: 0, deliver_rate: 0,
  ack_rate: 0, redeliver_rate: 0, arguments: {}, node: "rabbit@a", delivery_limit: null, members: [], online: [], leader: null,
  delayed_retry: null, messages_delayed: null, messages_dlx: null,
});

describe("queue table history", () => {
  const spies: { mockRestore: () => void }[] = [];
  beforeAll(() => {
    spies.push(vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(600));
    spies.push(vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(1000));
  });
  afterAll(() => spies.forEach((s) => s.mockRestore()));

  it("draws the rows' sparklines and badges, and reports the rows on screen", () => {
    vi.useFakeTimers();
    const rows = [row("billing.acme"), row("billing.globex"), row("payments.acme")];
    const since = new Date(Date.now() - 10 * 60_000);
    const history: RowHistory = {
      spark: (id) => (id === queueKey(rows[0]) ? [1, null, 2, 5] : undefined),
      grower: growerLookup([{ kind: "queue", vhost: "/", key: "billing.acme", metric: "messages", start: 1, end: 5, delta: 4, growing_since: since.toISOString() }], null),
    };
    const onVisible = vi.fn();
    render(
      <QueueTable
        rows={rows}
        shown={null}
        columnVisibility={{}}
        onColumnVisibilityChange={() => {}}
        rowSelection={{}}
        onRowSelectionChange={() => {}}
        history={history}
        onVisibleRows={onVisible}
      />,
    );
    const lines = screen.getAllByTestId("sparkline");
    expect(lines.map((l) => l.getAttribute("data-points"))).toEqual(["3", "0", "0"]);
    expect(lines[0].querySelectorAll("polyline, circle").length).toBe(2);
    expect(lines[0].getAttribute("aria-label")).toBe("Messages over the last hour: 1 → 5");
    const badges = screen.getAllByTestId("growing-badge");
    expect(badges).toHaveLength(1);
    const hhmm = `${String(since.getHours()).padStart(2, "0")}:${String(since.getMinutes()).padStart(2, "0")}`;
    expect(badges[0].getAttribute("data-label")).toBe(`↑ ${hhmm}`);
    expect(badges[0].getAttribute("aria-label")).toMatch(/^Growing since .+\. messages: 1 → 5 \(\+4\) over the last 1 h$/);
    expect(badges[0].getAttribute("title")).toContain("messages: 1 → 5 (+4) over the last 1 h");
    // The cells' text stays what it was: the name, the count.
    const cells = badges[0].closest("[data-testid=queue-row]")!;
    expect(cells.querySelector("[data-col=name]")!.textContent).toBe("billing.acme");
    expect(cells.querySelector("[data-col=messages]")!.textContent).toBe("3");
    expect(onVisible).not.toHaveBeenCalled();
    act(() => void vi.advanceTimersByTime(200));
    expect(onVisible).toHaveBeenCalledWith(rows.map(queueKey));
    vi.useRealTimers();
  });

  it("draws no history column content without history", () => {
    render(
      <QueueTable rows={[row("a")]} shown={null} columnVisibility={{}} onColumnVisibilityChange={() => {}} rowSelection={{}} onRowSelectionChange={() => {}} />,
    );
    expect(screen.queryAllByTestId("sparkline")).toHaveLength(0);
    expect(screen.queryAllByTestId("growing-badge")).toHaveLength(0);
  });
});
