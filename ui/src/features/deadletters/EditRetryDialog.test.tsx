// Edit and retry: the editor opens on the whole body the core read, retrying waits for the
// changes to be shown (and for the prod name), and any further edit asks for them again.
// (The Tauri bridge is replaced: UI logic.)
import { describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import type { DeadLetter } from "../../ipc/bindings/DeadLetter";
import type { EditPreview } from "../../ipc/bindings/EditPreview";
import { invoke } from "../../test/tauri";
import { environmentView } from "../../test/fixtures";
import { renderWithQueries } from "../../test/render";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { EditRetryDialog } from "./EditRetryDialog";

const message = {
  position: 0,
  key: "k1",
  exchange: "dlx",
  routing_key: "billing.acme",
  redelivered: false,
  properties: { message_id: "m1" },
  headers: {},
  deaths: [],
  origin: "billing.acme",
  reason: "rejected",
  kind: "broker",
  body: { kind: "json", size: 9, preview: '{"n": 1}', truncated: false },
} as unknown as DeadLetter;

function preview(edited: string, changed: string[]): EditPreview {
  return {
    vhost: "/",
    queue: "billing.dlq",
    key: "k1",
    position: 0,
    original: message,
    original_body: { format: "json", content: '{\n  "n": 1\n}' },
    edited_body: { format: "json", content: edited },
    body_changed: edited !== '{\n  "n": 1\n}',
    diff: [
      { change: "same", text: "{" },
      { change: "removed", text: '  "n": 1' },
      { change: "added", text: '  "n": 2' },
      { change: "same", text: "}" },
    ],
    diff_truncated: false,
    changed_headers: changed,
    headers: {},
    destination: "billing.acme",
    original_sha256: "a".repeat(64),
    edited_sha256: "b".repeat(64),
    cost: "Read 1 message.",
  };
}

describe("EditRetryDialog", () => {
  it("shows the diff before it retries, and sends the edited body and headers", async () => {
    invoke.mockImplementation(async (cmd: string, args: { request: { body?: { content: string }; set_headers: Record<string, string> } }) => {
      if (cmd === "dlq_edit_preview") return preview(args.request.body?.content ?? '{\n  "n": 1\n}', Object.keys(args.request.set_headers));
      if (cmd === "dlq_edit_retry") return { dry_run: false, retried: true, replay_id: "r-1", preview: preview(args.request.body!.content, []) };
      throw new Error(cmd);
    });
    const onDone = vi.fn();
    renderWithQueries(<EditRetryDialog env={environmentView({ id: "p", tier: "prod" })} vhost="/" queue="billing.dlq" message={message} onClose={() => {}} onDone={onDone} />);
    await waitFor(() => expect((screen.getByTestId("edit-body") as HTMLTextAreaElement).value).toBe('{\n  "n": 1\n}'));
    fireEvent.change(screen.getByTestId("edit-body"), { target: { value: '{\n  "n": 2\n}' } });
    fireEvent.change(screen.getByTestId("edit-set-headers"), { target: { value: "x-fixed=yes" } });
    fireEvent.change(screen.getByTestId("edit-confirm-name"), { target: { value: "Prod EU" } });
    const retry = screen.getByTestId("edit-retry-button") as HTMLButtonElement;
    expect(retry.disabled).toBe(true);
    fireEvent.click(screen.getByTestId("edit-preview-button"));
    await waitFor(() => expect(screen.getByTestId("edit-diff").textContent).toContain('+   "n": 2'));
    expect(screen.getByTestId("edit-preview").textContent).toContain("headers: x-fixed");
    expect(retry.disabled).toBe(false);
    // Another edit: the shown changes no longer describe it.
    fireEvent.change(screen.getByTestId("edit-remove-headers"), { target: { value: "x-trace" } });
    expect(retry.disabled).toBe(true);
    fireEvent.click(screen.getByTestId("edit-preview-button"));
    await waitFor(() => expect(retry.disabled).toBe(false));
    fireEvent.click(retry);
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(invoke).toHaveBeenLastCalledWith("dlq_edit_retry", {
      envId: "p",
      request: {
        vhost: "/",
        queue: "billing.dlq",
        id: "k1",
        body: { format: "json", content: '{\n  "n": 2\n}' },
        set_headers: { "x-fixed": "yes" },
        remove_headers: ["x-trace"],
        insist: false,
      },
    });
    expect(screen.getByTestId("edit-result").textContent).toContain("the edited copy is in billing.acme");
  });
});
