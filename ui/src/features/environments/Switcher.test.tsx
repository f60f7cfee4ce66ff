// The current environment is marked, for the eye and for assistive technology, in the switcher
// (Ctrl+K) and in the sidebar.
import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { environmentView } from "../../test/fixtures";
import { Switcher } from "./Switcher";
import { EnvironmentSidebar } from "./EnvironmentSidebar";

const envs = [environmentView({ id: "local", name: "local" }), environmentView({ id: "prod-eu", name: "Prod EU", tier: "prod" })];

describe("the current environment", () => {
  it("is marked in the switcher", () => {
    render(<Switcher environments={envs} currentId="prod-eu" onPick={() => {}} onClose={() => {}} />);
    expect(screen.getByTestId("switcher-item-prod-eu").getAttribute("aria-current")).toBe("true");
    expect(screen.getByTestId("switcher-item-prod-eu").textContent).toContain("current");
    expect(screen.getByTestId("switcher-item-local").hasAttribute("aria-current")).toBe(false);
    expect(screen.getByTestId("switcher-item-local").textContent).not.toContain("current");
  });

  it("is marked in the sidebar", () => {
    render(<EnvironmentSidebar environments={envs} currentId="local" loading={false} onSelect={() => {}} onAdd={() => {}} onImport={() => {}} />);
    const current = screen.getByRole("button", { current: true });
    expect(current).toBe(screen.getByTestId("env-item-local"));
    expect(current.textContent).toContain("✓");
    expect(screen.getByTestId("env-item-prod-eu").hasAttribute("aria-current")).toBe(false);
  });
});
