// The inventory is one query for every screen: two screens of one environment load it once,
// and the first page and page count of a running load are seen while it runs.
import { describe, expect, it, vi } from "vitest";
import { act, screen, waitFor } from "@testing-library/react";
import { invoke } from "../../test/tauri";
import { renderWithQueries } from "../../test/render";
import type { RefreshEvent } from "../../ipc/commands";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { useInventory } from "./useInventory";

function Screen({ name }: { name: string }) {
  const { inventory, firstPage, pages } = useInventory({ id: "e" });
  return (
    <div data-testid={name}>
      {inventory.data
        ? `${inventory.data.total} queues`
        : firstPage?.kind === "last_known"
          ? `${firstPage.rows.length} rows as of ${firstPage.taken_at}`
          : firstPage
            ? `first page of ${firstPage.total}, ${pages?.done}/${pages?.pages}`
            : "loading"}
    </div>
  );
}

function answering() {
  const io = { send: (_e: RefreshEvent) => {}, finish: (_v: unknown) => {}, fail: (_e: unknown) => {} };
  invoke.mockImplementation((cmd: string, args: { envId: string; onEvent: { onmessage: (e: RefreshEvent) => void } }) => {
    expect([cmd, args.envId]).toEqual(["queues_refresh", "e"]);
    io.send = (e) => args.onEvent.onmessage(e);
    return new Promise((resolve, reject) => {
      io.finish = resolve;
      io.fail = reject;
    });
  });
  return io;
}

describe("useInventory", () => {
  it("loads once for every screen of the environment and shows the first page meanwhile", async () => {
    let send: (e: RefreshEvent) => void = () => {};
    let finish: (v: unknown) => void = () => {};
    invoke.mockImplementation((cmd: string, args: { envId: string; onEvent: { onmessage: (e: RefreshEvent) => void } }) => {
      expect([cmd, args.envId]).toEqual(["queues_refresh", "e"]);
      send = (e) => args.onEvent.onmessage(e);
      return new Promise((resolve) => (finish = resolve));
    });
    renderWithQueries(
      <>
        <Screen name="queues" />
        <Screen name="realms" />
      </>,
    );
    await waitFor(() => expect(invoke).toHaveBeenCalledTimes(1));
    act(() => send({ kind: "first_page", stand_in: 1, rows: [], total: 1200, pages: 3, figures_pending: false }));
    expect(screen.getByTestId("queues").textContent).toBe("first page of 1200, 1/3");
    act(() => send({ kind: "page", done: 2, pages: 3 }));
    expect(screen.getByTestId("queues").textContent).toBe("first page of 1200, 2/3");
    await act(async () => finish({ rows: [], total: 1200, partial: false, failed_pages: [], errors: [] }));
    await waitFor(() => expect(screen.getByTestId("realms").textContent).toBe("1200 queues"));
    expect(screen.getByTestId("queues").textContent).toBe("1200 queues");
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it("shows the last known rows until the first page read now replaces them", async () => {
    const io = answering();
    renderWithQueries(<Screen name="queues" />);
    await waitFor(() => expect(invoke).toHaveBeenCalledTimes(1));
    const row = { vhost: "/", name: "billing.acme" } as never;
    act(() => io.send({ kind: "last_known", stand_in: 2, rows: [row, row], total: 2, taken_at: "2026-12-07T10:00:00Z" }));
    expect(screen.getByTestId("queues").textContent).toBe("2 rows as of 2026-12-07T10:00:00Z");
    act(() => io.send({ kind: "first_page", stand_in: 1, rows: [], total: 900, pages: 2, figures_pending: true }));
    expect(screen.getByTestId("queues").textContent).toBe("first page of 900, 1/2");
    await act(async () => io.finish({ rows: [], total: 900, partial: false, failed_pages: [], errors: [] }));
    await waitFor(() => expect(screen.getByTestId("queues").textContent).toBe("900 queues"));
  });

  it("keeps the last known rows, dated, when the broker does not answer", async () => {
    const io = answering();
    renderWithQueries(<Screen name="queues" />);
    await waitFor(() => expect(invoke).toHaveBeenCalledTimes(1));
    const row = { vhost: "/", name: "billing.acme" } as never;
    act(() => io.send({ kind: "last_known", stand_in: 2, rows: [row], total: 1, taken_at: "2026-12-07T10:00:00Z" }));
    await act(async () => io.fail({ kind: "connection", message: "unreachable" }));
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.getByTestId("queues").textContent).toBe("1 rows as of 2026-12-07T10:00:00Z");
  });
});
