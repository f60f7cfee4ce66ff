// The purge confirmation: on prod the button stays disabled until the environment's name is
// typed; the request names exactly the listed queues. (The Tauri bridge is replaced: UI logic.)
import { describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import type { EnvironmentView } from "../../ipc/bindings/EnvironmentView";
import { invoke } from "../../test/tauri";
import { environmentView, queueRow as row } from "../../test/fixtures";
import { renderWithQueries } from "../../test/render";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { PurgeDialog } from "./PurgeDialog";

function show(tier: EnvironmentView["tier"]) {
  const onDone = vi.fn();
  renderWithQueries(<PurgeDialog env={environmentView({ id: "p", tier })} targets={[row("a", 5), row("b", 7)]} onClose={() => {}} onDone={onDone} />);
  return onDone;
}

describe("PurgeDialog", () => {
  it("on prod needs the environment's name typed before it purges", async () => {
    invoke.mockResolvedValue({ dry_run: false, purged: [{ vhost: "/", name: "a", messages: 5 }, { vhost: "/", name: "b", messages: 7 }], failed: [] });
    const onDone = show("prod");
    const button = screen.getByTestId("purge-confirm") as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("purge-confirm-name"), { target: { value: "prod eu" } });
    expect(button.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("purge-confirm-name"), { target: { value: "Prod EU" } });
    expect(button.disabled).toBe(false);
    expect(screen.getByText(/about 12 now/)).toBeTruthy();
    fireEvent.click(button);
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(invoke).toHaveBeenCalledWith("queues_purge", {
      envId: "p",
      targets: [{ vhost: "/", name: "a" }, { vhost: "/", name: "b" }],
      dryRun: false,
    });
    expect(screen.getByTestId("purge-result").textContent).toContain("Purged 12 messages from 2 queue(s)");
  });

  it("outside prod needs no typed name", () => {
    show("staging");
    expect((screen.getByTestId("purge-confirm") as HTMLButtonElement).disabled).toBe(false);
    expect(screen.queryByTestId("purge-confirm-name")).toBeNull();
  });
});
