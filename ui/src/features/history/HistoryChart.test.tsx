// The series chart over the commands (Tauri bridge replaced): the empty state says how history
// starts, the range and metric pickers ask for their series, and points reach the chart.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { invoke } from "../../test/tauri";
import { renderWithQueries } from "../../test/render";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));
// jsdom has no canvas: the chart stands in as the option it was handed (drawn in the e2e run).
vi.mock("../charts/EChart", () => ({
  EChart: ({ option, testId }: { option: (p: unknown) => { series: { data: unknown[] }[] }; testId?: string }) => {
    const p = { text: "#000", muted: "#666", border: "#ccc", panel: "#fff", accent: "#e8590c", danger: "#c00" };
    return <div data-testid={testId} data-lines={option(p).series.map((s) => s.data.length).join(",")} />;
  },
}));

import { HistoryChart } from "./HistoryChart";

const selector = { kind: "realm" as const, vhost: "shop", key: "acme" };

describe("HistoryChart", () => {
  it("says how history starts while there is none, and asks again for another range or metric", async () => {
    invoke.mockResolvedValue({ series: [], resolution_s: 15 });
    renderWithQueries(<HistoryChart envId="e" selector={selector} label="Realm acme" />);
    expect((await screen.findByTestId("history-empty")).textContent).toBe(
      "No history yet: Warren records a sample each time the queues are refreshed (or run warren watch --env e)",
    );
    expect(invoke).toHaveBeenLastCalledWith("history_series", { envId: "e", selector, metric: "messages", sinceS: 3600 });
    fireEvent.click(screen.getByTestId("history-range-604800"));
    await waitFor(() => expect(invoke).toHaveBeenLastCalledWith("history_series", { envId: "e", selector, metric: "messages", sinceS: 604800 }));
    expect(screen.getByTestId("history-range-604800").getAttribute("aria-pressed")).toBe("true");
    fireEvent.change(screen.getByTestId("history-metric"), { target: { value: "consumers" } });
    await waitFor(() => expect(invoke).toHaveBeenLastCalledWith("history_series", { envId: "e", selector, metric: "consumers", sinceS: 604800 }));
  });

  it("hands the points to the chart, the buckets' range as a band", async () => {
    invoke.mockResolvedValue({ series: [{ t: "2026-12-01T14:00:00Z", value: 1 }, { t: "2026-12-01T14:00:15Z", value: 4 }], resolution_s: 15 });
    renderWithQueries(<HistoryChart envId="e" selector={selector} label="Realm acme" />);
    await waitFor(() => expect(screen.getByTestId("history-chart").getAttribute("data-points")).toBe("2"));
    expect(screen.getByTestId("history-chart-canvas").getAttribute("data-lines")).toBe("2");
    expect(screen.getByRole("img", { name: "Realm acme: messages over the last 1 h, 2 points" })).toBeTruthy();
    expect(screen.queryByTestId("history-empty")).toBeNull();
  });

  it("draws downsampled buckets with their min–max band", async () => {
    invoke.mockResolvedValue({ series: [{ t: "2026-11-01T14:00:00Z", value: 2, min: 1, max: 5 }, { t: "2026-11-01T14:05:00Z", value: 3, min: 2, max: 4 }], resolution_s: 300 });
    renderWithQueries(<HistoryChart envId="e" selector={selector} label="Realm acme" initialRange={2592000} />);
    await waitFor(() => expect(screen.getByTestId("history-chart-canvas").getAttribute("data-lines")).toBe("2,2,2"));
    expect(screen.getByText("a point per 5 min")).toBeTruthy();
  });

  it("says why when the history cannot be read", async () => {
    invoke.mockRejectedValue({ kind: "io", message: "cannot open /d/history/e.sqlite: permission denied", fields: [] });
    renderWithQueries(<HistoryChart envId="e" selector={selector} label="Realm acme" />);
    expect((await screen.findByText(/History unavailable/)).textContent).toContain("permission denied");
  });
});
