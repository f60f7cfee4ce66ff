// The replay dialog: the plan first, then the run with its progress and report; Cancel asks the
// core to stop the very job it started. (The Tauri bridge is replaced: UI logic only; the replay
// itself is tested against the broker in Rust and end to end.)
import { describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { invoke } from "../../test/tauri";
import { environmentView } from "../../test/fixtures";
import { renderWithQueries } from "../../test/render";
import type { Progress, ReplayRequest } from "../../ipc/commands";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { ReplayDialog } from "./ReplayDialog";

const request: ReplayRequest = { vhost: "/", queue: "dlq", target: { kind: "origin" }, filter: "", keys: null, discard: false };
const plan = { depth: 10, read: 10, complete: true, in_scope: 10, out_of_scope: 0, loop_guarded: 0, no_origin: 0, name_too_long: 0, destinations: [], warnings: ["mind the loop"], path: "broker", path_note: "broker path: …" };
const report = (replayed: number, cancelled: boolean) => ({
  total: replayed,
  read: replayed,
  in_scope: replayed,
  replayed,
  discarded: 0,
  kept: 0,
  unroutable: 0,
  nacked: 0,
  out_of_scope: 0,
  loop_guarded: 0,
  name_too_long: 0,
  deduplicated: 0,
  possible_duplicates: 0,
  seconds: 1,
  cancelled,
  path: "broker",
  shovel: "local",
});

describe("ReplayDialog", () => {
  it("plans, runs with progress, reports, and Cancel stops the job it started", async () => {
    let progress: (p: Progress) => void = () => {};
    let finish: (r: unknown) => void = () => {};
    invoke.mockImplementation((cmd: string, args: { jobId: string; onProgress: { onmessage: (p: Progress) => void } }) => {
      if (cmd === "dlq_plan") return Promise.resolve(plan);
      if (cmd === "dlq_replay") {
        progress = (p) => args.onProgress.onmessage(p);
        return new Promise((resolve) => (finish = resolve));
      }
      if (cmd === "dlq_cancel") {
        finish(report(4, true));
        return Promise.resolve(true);
      }
      throw new Error(`unexpected ${cmd}`);
    });
    const onDone = vi.fn();
    renderWithQueries(<ReplayDialog env={environmentView()} request={request} scope="all 10 messages" onClose={() => {}} onDone={onDone} />);
    await waitFor(() => expect(screen.getByTestId("replay-plan").textContent).toContain("10 message(s) go to the queue each message died in; 0 stay"));
    expect(screen.getByText("mind the loop")).toBeTruthy();
    expect(screen.getByTestId("replay-path").textContent).toContain("Broker-side: a shovel moves the messages");
    fireEvent.click(screen.getByTestId("replay-start"));
    await waitFor(() => expect(screen.getByTestId("replay-cancel")).toBeTruthy());
    progress({ done: 4, total: 10, rate: 2 });
    await waitFor(() => expect(screen.getByTestId("replay-progress-text").textContent).toBe("40 % · 4 of 10 replayed · read 4 of 10 · 2.0/s · 3 s left"));
    fireEvent.click(screen.getByTestId("replay-cancel"));
    await waitFor(() => expect(screen.getByTestId("replay-report").textContent).toContain("Moved broker-side (a local shovel, inside the broker). Cancelled: the rest stays in the DLQ."));
    const [replay, cancel] = invoke.mock.calls.filter((c) => c[0] !== "dlq_plan");
    expect(cancel[1].jobId).toBe(replay[1].jobId);
    expect(onDone).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId("replay-close").textContent).toBe("Close");
  });

  it("counts a group's replay against the group, not the whole DLQ", async () => {
    const group: ReplayRequest = { ...request, filter: "origin:billing.acme reason:rejected" };
    let progress: (p: Progress) => void = () => {};
    let finish: (r: unknown) => void = () => {};
    invoke.mockImplementation((cmd: string, args: { onProgress: { onmessage: (p: Progress) => void } }) => {
      if (cmd === "dlq_plan") return Promise.resolve({ ...plan, depth: 200, read: 200, in_scope: 35, out_of_scope: 165 });
      if (cmd === "dlq_replay") {
        progress = (p) => args.onProgress.onmessage(p);
        return new Promise((resolve) => (finish = resolve));
      }
      return Promise.resolve(true);
    });
    renderWithQueries(<ReplayDialog env={environmentView()} request={group} scope="the billing.acme · rejected group" onClose={() => {}} onDone={() => {}} />);
    await waitFor(() => expect(screen.getByTestId("replay-plan").textContent).toContain("35 message(s) go to"));
    fireEvent.click(screen.getByTestId("replay-start"));
    await waitFor(() => expect(screen.getByTestId("replay-cancel")).toBeTruthy());
    const sent = invoke.mock.calls.find((c) => c[0] === "dlq_replay")![1] as { request: ReplayRequest };
    expect(sent.request.expected).toBe(35);
    progress({ done: 100, total: 200, rate: 0, scope: { matched: 18, acted: 17, expected: 35 } });
    await waitFor(() => expect(screen.getByTestId("replay-progress-text").textContent).toBe("50 % · 17 of 35 replayed · read 100 of 200"));
    finish({ ...report(35, false), total: 200, read: 200, in_scope: 35, kept: 165, out_of_scope: 165 });
    await waitFor(() => expect(screen.getByTestId("replay-progress-text").textContent).toBe("100 % · 35 of 35 replayed · read 200 of 200"));
  });
});
