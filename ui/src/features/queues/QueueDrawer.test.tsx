// The drawer's consumer count and its consumer list agree: the count is the list's once read
// (the inventory row's trails it by the broker's statistics interval). (Tauri bridge replaced.)
import { describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import { invoke } from "../../test/tauri";
import { environmentView } from "../../test/fixtures";
import { renderWithQueries } from "../../test/render";
import type { QueueRow } from "../../ipc/bindings/QueueRow";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { QueueDrawer } from "./QueueDrawer";

const row = { vhost: "/", name: "billing.acme", type: "classic", state: "running", messages: 3, messages_ready: 3, messages_unacknowledged: 0, consumers: 0, memory: 0, publish_rate: 0, deliver_rate: 0, ack_rate: 0, redeliver_rate: 0, durable: true, members: [], online: [], arguments: {} } as unknown as QueueRow;
const consumer = { consumer_tag: "ctag-1", channel: "ch 1", connection: "c", peer: "p", user: "guest", prefetch_count: 10, ack_required: true, active: true };

describe("QueueDrawer", () => {
  it("shows the consumer count of the list it shows", async () => {
    invoke.mockResolvedValue({ bindings: [], consumers: [consumer] });
    renderWithQueries(<QueueDrawer env={environmentView()} envId="e" row={row} onClose={() => {}} onPurge={() => {}} onMove={() => {}} onPeek={() => {}} onPublish={() => {}} />);
    await waitFor(() => expect(screen.getByTestId("drawer-consumers").textContent).toContain("ctag-1"));
    const fact = screen.getByText("Consumers", { selector: "dt" }).parentElement!;
    expect(fact.querySelector("dd")!.textContent).toBe("1");
  });
});
