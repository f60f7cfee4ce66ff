// The form shows the core's field errors under the right inputs and never echoes a password.
// The Tauri bridge is replaced here: this tests UI logic only (the e2e tests use the real one).
import { describe, expect, it, vi, afterEach } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

import { EnvironmentForm } from "./EnvironmentForm";

function renderForm(onSaved = vi.fn()) {
  const qc = new QueryClient({ defaultOptions: { mutations: { retry: false } } });
  render(
    <QueryClientProvider client={qc}>
      <EnvironmentForm mode={{ kind: "create" }} onClose={() => {}} onSaved={onSaved} />
    </QueryClientProvider>,
  );
  return onSaved;
}

afterEach(() => {
  cleanup();
  invoke.mockReset();
});

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
});
