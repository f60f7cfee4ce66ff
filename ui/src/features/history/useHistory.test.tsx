// The tables' history hooks over the commands (Tauri bridge replaced): sparklines are asked in one
// call for the rows given, asked again after a reload, and rows drawn once keep their line while
// another window of rows loads.
import { describe, expect, it, vi } from "vitest";
import type { ReactNode } from "react";
import { renderHook, waitFor } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { invoke } from "../../test/tauri";
import type { SeriesSelector } from "../../ipc/commands";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { useSparklines } from "./useHistory";

const rowsOf = (...keys: string[]) => keys.map((key) => ({ id: key, selector: { kind: "queue", vhost: "/", key } as SeriesSelector }));

function wrapper({ children }: { children: ReactNode }) {
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
let client = new QueryClient();

describe("useSparklines", () => {
  it("asks once per window of rows and load, and keeps what it drew", async () => {
    client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const pending: ((v: unknown) => void)[] = [];
    invoke.mockImplementation((_cmd: string, args: { selectors: SeriesSelector[] }) => {
      const lines = args.selectors.map((s) => [1, Number(s.key!.slice(1))]);
      return new Promise((resolve) => pending.push(() => resolve(lines)));
    });
    const { result, rerender } = renderHook(({ rows, loadedAt }) => useSparklines("e", rows, loadedAt), {
      wrapper,
      initialProps: { rows: rowsOf("q1", "q2"), loadedAt: 1 },
    });
    await waitFor(() => expect(pending).toHaveLength(1));
    expect(invoke).toHaveBeenLastCalledWith("history_sparklines", {
      envId: "e",
      selectors: rowsOf("q1", "q2").map((r) => r.selector),
      metric: "messages",
      sinceS: 3600,
      buckets: 30,
    });
    pending[0](undefined);
    await waitFor(() => expect(result.current("q2")).toEqual([1, 2]));
    // Scrolled: q2 stays drawn while q3 loads.
    rerender({ rows: rowsOf("q2", "q3"), loadedAt: 1 });
    await waitFor(() => expect(pending).toHaveLength(2));
    expect(result.current("q2")).toEqual([1, 2]);
    expect(result.current("q3")).toBeUndefined();
    pending[1](undefined);
    await waitFor(() => expect(result.current("q3")).toEqual([1, 3]));
    // A reload asks again for the same rows.
    rerender({ rows: rowsOf("q2", "q3"), loadedAt: 2 });
    await waitFor(() => expect(pending).toHaveLength(3));
    // Nothing is asked before the queues are loaded, nor for no rows.
    rerender({ rows: rowsOf(), loadedAt: 2 });
    rerender({ rows: rowsOf("q9"), loadedAt: 0 });
    await new Promise((r) => setTimeout(r, 20));
    expect(pending).toHaveLength(3);
  });
});
