// The form shows the core's field errors under the right inputs and never echoes a password.
// The Tauri bridge is replaced here: this tests UI logic only (the e2e tests use the real one).
import { describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { invoke } from "../../test/tauri";
import { renderWithQueries } from "../../test/render";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { EnvironmentForm } from "./EnvironmentForm";

function renderForm(onSaved = vi.fn()) {
  renderWithQueries(<EnvironmentForm mode={{ kind: "create" }} onClose={() => {}} onSaved={onSaved} />);
  return onSaved;
}

describe("EnvironmentForm", () => {
  it("shows each field error from the core under its input", async () => {
    invoke.mockRejectedValueOnce({
      kind: "invalid",
      message: "invalid environment",
      fields: [
        { field: "management_urls[0]", message: "`http://:1`: missing host" },
        { field: "username", message: "enter the RabbitMQ user name" },
      ],
    });
    renderForm();
    fireEvent.change(screen.getByTestId("input-name"), { target: { value: "Staging EU" } });
    fireEvent.click(screen.getByTestId("form-save"));
    await waitFor(() => expect(screen.getByTestId("error-managementUrls").textContent).toContain("missing host"));
    expect(screen.getByTestId("error-username").textContent).toContain("user name");
    expect(screen.queryByTestId("form-error")).toBeNull();
  });

  it("sends the typed password once, derives the id from the name, and clears the password", async () => {
    invoke.mockResolvedValueOnce({ id: "staging-eu", has_secret: true });
    const onSaved = renderForm();
    fireEvent.change(screen.getByTestId("input-name"), { target: { value: "Staging EU" } });
    fireEvent.change(screen.getByTestId("input-username"), { target: { value: "ops" } });
    fireEvent.change(screen.getByTestId("input-password"), { target: { value: "s3cret" } });
    fireEvent.click(screen.getByTestId("form-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    const [cmd, args] = invoke.mock.calls[0];
    expect(cmd).toBe("environment_create");
    expect(args.password).toBe("s3cret");
    expect(args.environment.id).toBe("staging-eu");
    expect(args.environment).not.toHaveProperty("password");
    expect((screen.getByTestId("input-password") as HTMLInputElement).value).toBe("");
  });

  it("opens empty for a new environment, with examples as placeholders only", () => {
    renderForm();
    const mgmt = screen.getByTestId("input-managementUrls") as HTMLTextAreaElement;
    expect(mgmt.value).toBe("");
    expect(mgmt.placeholder).toContain("15672");
    expect((screen.getByTestId("input-amqpUrls") as HTMLTextAreaElement).value).toBe("");
  });
});
