// Peek: a stream is read from the offset typed (first by default), a quorum queue whose head is
// one read from its limit is read only when the user insists. (The Tauri bridge is replaced.)
import { describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { invoke } from "../../test/tauri";
import { renderWithQueries } from "../../test/render";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { PeekDialog } from "./PeekDialog";

const row = (type: string) => ({ vhost: "/", name: "events", type, messages: 3 }) as unknown as QueueRow;
const peek = (offset: number) => ({
  vhost: "/",
  queue: "events",
  queue_type: "stream",
  depth: 3,
  read: 1,
  complete: false,
  cost: "Reading a stream consumes nothing.",
  delivery_limit: null,
  read_counts: false,
  dropped_by_read: 0,
  messages: [
    { stream_offset: offset, position: 0, key: "k", exchange: "", routing_key: "events", redelivered: false, properties: { message_id: "e1" }, headers: {}, deaths: [], kind: "broker", body: { kind: "text", size: 5, preview: "hello", truncated: false } },
  ],
});

describe("PeekDialog", () => {
  it("reads a stream's newest messages first (as the CLI does), then from the offset typed", async () => {
    invoke.mockImplementation(async (_cmd: string, args: { offset: { kind: string; offset?: number } }) => peek(args.offset.offset ?? 0));
    renderWithQueries(<PeekDialog envId="e" row={row("stream")} onClose={() => {}} />);
    await waitFor(() => expect(screen.getAllByTestId("peek-row")).toHaveLength(1));
    expect(invoke).toHaveBeenCalledWith("messages_peek", { envId: "e", vhost: "/", queue: "events", limit: 20, offset: { kind: "last" }, insist: false });
    fireEvent.change(screen.getByTestId("peek-offset"), { target: { value: "yesterday" } });
    expect((screen.getByTestId("peek-read") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("peek-offset"), { target: { value: "2" } });
    fireEvent.click(screen.getByTestId("peek-read"));
    await waitFor(() => expect(screen.getByTestId("peek-row").textContent).toContain("2"));
    expect(invoke).toHaveBeenLastCalledWith("messages_peek", { envId: "e", vhost: "/", queue: "events", limit: 20, offset: { kind: "offset", offset: 2 }, insist: false });
    expect(screen.getByTestId("peek-cost").textContent).toContain("consumes nothing");
  });

  it("asks before reading a quorum queue one read from its delivery limit", async () => {
    invoke.mockImplementation(async (_cmd: string, args: { insist: boolean }) => {
      if (!args.insist) throw { kind: "near_delivery_limit", message: "The head message is one read from its delivery limit", fields: [] };
      return { ...peek(0), queue_type: "quorum" };
    });
    renderWithQueries(<PeekDialog envId="e" row={row("quorum")} onClose={() => {}} />);
    await waitFor(() => expect(screen.getByTestId("peek-near-limit")).toBeTruthy());
    expect(screen.queryByTestId("peek-offset")).toBeNull();
    fireEvent.click(screen.getByTestId("peek-read-anyway"));
    await waitFor(() => expect(screen.getAllByTestId("peek-row")).toHaveLength(1));
    expect(invoke).toHaveBeenLastCalledWith("messages_peek", { envId: "e", vhost: "/", queue: "events", limit: 20, offset: null, insist: true });
  });
});
