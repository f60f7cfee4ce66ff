// The Growers view over the commands (Tauri bridge replaced): it lists what grew with its
// sparkline and "growing since", asks for the header's vhost, drills into a grower's queues, and
// says so when the store holds no sample yet.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { invoke } from "../../test/tauri";
import { environmentView } from "../../test/fixtures";
import { renderWithQueries } from "../../test/render";
import type { Grower } from "../../ipc/bindings/Grower";
import type { HistoryInfo } from "../../ipc/bindings/HistoryInfo";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { GrowersPage } from "./GrowersPage";

const info = (samples: number): HistoryInfo => ({
  path: "/d/history/e.sqlite", bytes: 4096, samples, series: 3, full_resolution_s: 172800, bucket_s: 300, fine_buckets_s: 864000, hour_bucket_s: 3600, retention_s: 2592000,
  ...(samples ? { oldest: "2026-12-01T14:00:00Z", newest: "2026-12-01T15:00:00Z" } : {}),
});

function script(growers: Grower[], samples: number) {
  invoke.mockImplementation((cmd: string, args: Record<string, unknown>) => {
    switch (cmd) {
      case "queues_refresh":
        return Promise.resolve({ rows: [], total: 0, partial: false, failed_pages: [], errors: [] });
      case "history_growers":
        return Promise.resolve(growers);
      case "history_sparklines":
        return Promise.resolve((args.selectors as unknown[]).map(() => [1, 2, 3]));
      case "history_info":
        return Promise.resolve(info(samples));
      default:
        return Promise.reject({ kind: "internal", message: `unexpected ${cmd}` });
    }
  });
}

const since = new Date(Date.now() - 30 * 60_000).toISOString();

describe("GrowersPage", () => {
  it("lists the growers of the scope and drills into a queue's", async () => {
    script([{ kind: "queue", vhost: "shop", key: "billing.acme", metric: "messages", start: 10, end: 250, delta: 240, growing_since: since }], 2);
    const onDrill = vi.fn();
    renderWithQueries(<GrowersPage env={environmentView()} vhost="shop" onDrill={onDrill} />);
    fireEvent.click(await screen.findByTestId("growers-by-queue"));
    const row = await screen.findByTestId("grower-row");
    expect(row.textContent).toContain("billing.acme");
    expect(row.textContent).toContain("+240");
    expect(screen.getByTestId("grower-since").textContent).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · 30 min$/);
    const asked = invoke.mock.calls.filter(([c]) => c === "history_growers").map(([, a]) => a);
    expect(asked[asked.length - 1]).toEqual({ envId: "e", by: "queue", vhost: "shop", metric: "messages", sinceS: 3600, limit: 100 });
    await waitFor(() => expect(row.querySelector("[data-testid=sparkline]")!.getAttribute("data-points")).toBe("3"));
    expect(screen.getByTestId("history-info").textContent).toContain("4.0 KiB · 2 samples of 3 series");
    fireEvent.click(row);
    expect(onDrill).toHaveBeenCalledWith("name=billing.acme vhost:shop");
    fireEvent.keyDown(row, { key: "Enter" });
    expect(onDrill).toHaveBeenCalledTimes(2);
  });

  it("says how history starts when the store is empty", async () => {
    script([], 0);
    renderWithQueries(<GrowersPage env={environmentView()} vhost={null} onDrill={() => {}} />);
    expect((await screen.findByTestId("history-empty")).textContent).toContain("warren watch --env e");
    expect(screen.queryByTestId("growers-table")).toBeNull();
  });
});
