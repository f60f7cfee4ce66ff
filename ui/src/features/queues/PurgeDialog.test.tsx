// The purge confirmation: on prod the button stays disabled until the environment's name is
// typed; the request names exactly the listed queues. (The Tauri bridge is replaced: UI logic.)
import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { EnvironmentView } from "../../ipc/bindings/EnvironmentView";
import type { QueueRow } from "../../ipc/bindings/QueueRow";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

import { PurgeDialog } from "./PurgeDialog";

const env = (tier: EnvironmentView["tier"]): EnvironmentView => ({
  id: "p",
  name: "Prod EU",
  tier,
  management_urls: [],
  amqp_urls: [],
  username: "u",
  tls: { verify: true },
  read_only: false,
  has_secret: true,
});

const row = (name: string, messages: number) => ({ vhost: "/", name, messages }) as unknown as QueueRow;

function show(tier: EnvironmentView["tier"]) {
  const onDone = vi.fn();
  render(
    <QueryClientProvider client={new QueryClient()}>
      <PurgeDialog env={env(tier)} targets={[row("a", 5), row("b", 7)]} onClose={() => {}} onDone={onDone} />
    </QueryClientProvider>,
  );
  return onDone;
}

afterEach(() => {
  cleanup();
  invoke.mockReset();
});

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
