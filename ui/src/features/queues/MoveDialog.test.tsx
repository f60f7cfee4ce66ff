// The move dialog: guards (destination, prod confirmation), one move after the other with
// progress, and Cancel that stops the running shovel and starts no further move. (The Tauri
// bridge is replaced: UI logic only; the move itself is tested against the broker in Rust.)
import { describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import type { EnvironmentView } from "../../ipc/bindings/EnvironmentView";
import { invoke } from "../../test/tauri";
import { environmentView, queueRow as row } from "../../test/fixtures";
import { renderWithQueries } from "../../test/render";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { MoveDialog } from "./MoveDialog";

const report = (from: string, moved: number, cancelled = false) => ({ vhost: "/", from, to: "dest", moved, shovel: "s", seconds: 1, cancelled });

function show(tier: EnvironmentView["tier"], targets = [row("a", 5), row("b", 7)]) {
  const onDone = vi.fn();
  renderWithQueries(<MoveDialog env={environmentView({ tier })} targets={targets} known={[...targets, row("dest", 0)]} onClose={() => {}} onDone={onDone} />);
  return onDone;
}

describe("MoveDialog", () => {
  it("on prod, stays disarmed until the environment's name is typed", () => {
    show("prod");
    fireEvent.change(screen.getByTestId("move-to"), { target: { value: "dest" } });
    expect((screen.getByTestId("move-confirm") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("move-confirm-name"), { target: { value: "Prod EU" } });
    expect((screen.getByTestId("move-confirm") as HTMLButtonElement).disabled).toBe(false);
  });

  it("moves each source in turn, showing progress, then the totals", async () => {
    invoke.mockImplementation(async (cmd: string, args: { from: string; onProgress: { onmessage: (p: unknown) => void } }) => {
      expect(cmd).toBe("queues_move");
      args.onProgress.onmessage({ done: 1, total: 2, rate: 10 });
      return report(args.from, args.from === "a" ? 5 : 7);
    });
    const onDone = show("dev");
    fireEvent.change(screen.getByTestId("move-to"), { target: { value: "dest" } });
    fireEvent.click(screen.getByTestId("move-confirm"));
    await waitFor(() => expect(screen.getByTestId("move-result").textContent).toContain("Moved 7 message(s) from b"));
    expect(invoke.mock.calls.map((c) => [c[1].from, c[1].to])).toEqual([
      ["a", "dest"],
      ["b", "dest"],
    ]);
    expect(onDone).toHaveBeenCalledTimes(1);
  });

  it("Cancel stops the running move and starts no other", async () => {
    let finish: (r: unknown) => void = () => {};
    invoke.mockImplementation((cmd: string, args: { moveId: string; from: string }) => {
      if (cmd === "queues_move") return new Promise((resolve) => (finish = resolve));
      if (cmd === "queues_move_cancel") {
        finish(report("a", 2, true));
        return Promise.resolve(true);
      }
      throw new Error(`unexpected ${cmd} ${JSON.stringify(args)}`);
    });
    show("dev");
    fireEvent.change(screen.getByTestId("move-to"), { target: { value: "dest" } });
    fireEvent.click(screen.getByTestId("move-confirm"));
    await waitFor(() => expect(screen.getByTestId("move-progress")).toBeTruthy());
    fireEvent.click(screen.getByTestId("move-cancel"));
    await waitFor(() => expect(screen.getByTestId("move-result").textContent).toContain("Stopped: moved 2 message(s) from a"));
    const cmds = invoke.mock.calls.map((c) => c[0]);
    expect(cmds).toEqual(["queues_move", "queues_move_cancel"]);
    expect(invoke.mock.calls[1][1].moveId).toBe(invoke.mock.calls[0][1].moveId);
  });
});
