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
      {inventory.data ? `${inventory.data.total} queues` : firstPage ? `first page of ${firstPage.total}, ${pages?.done}/${pages?.pages}` : "loading"}
    </div>
  );
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
    act(() => send({ kind: "first_page", rows: [], total: 1200, pages: 3, figures_pending: false }));
    expect(screen.getByTestId("queues").textContent).toBe("first page of 1200, 1/3");
    act(() => send({ kind: "page", done: 2, pages: 3 }));
    expect(screen.getByTestId("queues").textContent).toBe("first page of 1200, 2/3");
    await act(async () => finish({ rows: [], total: 1200, partial: false, failed_pages: [], errors: [] }));
    await waitFor(() => expect(screen.getByTestId("realms").textContent).toBe("1200 queues"));
    expect(screen.getByTestId("queues").textContent).toBe("1200 queues");
    expect(invoke).toHaveBeenCalledTimes(1);
  });
});
