// The publish form: the body is checked in its format before anything is sent, headers come as
// key=value lines, prod needs the environment's name, and the request carries exactly what was
// typed. (The Tauri bridge is replaced: UI logic.)
import { describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { invoke } from "../../test/tauri";
import { environmentView } from "../../test/fixtures";
import { renderWithQueries } from "../../test/render";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { PublishDialog } from "./PublishDialog";

describe("PublishDialog", () => {
  it("refuses invalid JSON, then publishes what was typed once the prod name is given", async () => {
    invoke.mockResolvedValue({ vhost: "/", exchange: "", routing_key: "billing.acme", confirmed: true, routed: true, body_bytes: 8, body_sha256: "ab".repeat(32) });
    const onDone = vi.fn();
    renderWithQueries(<PublishDialog env={environmentView({ id: "p", tier: "prod" })} vhost="/" exchange="" routingKey="billing.acme" onClose={() => {}} onDone={onDone} />);
    const send = screen.getByTestId("publish-send") as HTMLButtonElement;
    fireEvent.change(screen.getByTestId("publish-body"), { target: { value: '{"id": ' } });
    expect(screen.getByTestId("publish-body-error").textContent).toMatch(/Not valid JSON/);
    fireEvent.change(screen.getByTestId("publish-body"), { target: { value: '{"id": 7}' } });
    fireEvent.change(screen.getByTestId("publish-headers"), { target: { value: "tenant=acme" } });
    expect(send.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("publish-confirm-name"), { target: { value: "Prod EU" } });
    expect(send.disabled).toBe(false);
    fireEvent.click(send);
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(invoke).toHaveBeenCalledWith("messages_publish", {
      envId: "p",
      request: {
        vhost: "/",
        exchange: "",
        routing_key: "billing.acme",
        properties: { delivery_mode: 2, content_type: "application/json" },
        headers: { tenant: "acme" },
        body: { format: "json", content: '{"id": 7}' },
      },
    });
    expect(screen.getByTestId("publish-result").textContent).toContain("confirmed and routed");
  });

  it("shows the broker's refusal and keeps the form", async () => {
    invoke.mockRejectedValue({ kind: "unroutable", message: "No queue is bound to exchange x with key k", fields: [] });
    renderWithQueries(<PublishDialog env={environmentView({ id: "s", tier: "staging" })} vhost="/" exchange="x" routingKey="k" onClose={() => {}} onDone={() => {}} />);
    fireEvent.change(screen.getByTestId("publish-body"), { target: { value: "{}" } });
    fireEvent.click(screen.getByTestId("publish-send"));
    await waitFor(() => expect(screen.getByTestId("publish-error").textContent).toContain("No queue is bound"));
    expect(screen.getByTestId("publish-send")).toBeTruthy();
  });
});
