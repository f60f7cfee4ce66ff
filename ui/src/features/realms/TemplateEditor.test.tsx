// With `auto` in effect the editor says why the suggestion is what it is, and how many queues
// the environment excludes. The Tauri bridge is replaced: this tests UI logic only.
import { describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import { invoke } from "../../test/tauri";
import { renderWithQueries } from "../../test/render";
import { environmentView } from "../../test/fixtures";

vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));

import { TemplateEditor } from "./TemplateEditor";

describe("TemplateEditor", () => {
  it("shows the suggestion's reason, names as code, and the excluded count", async () => {
    invoke.mockResolvedValue({
      template: "{realm}.{worker}",
      reason: "In 16 of 18 queues, 4 workers (`pdf-render`) recur across 4 realms (`hooli`).",
      matched: 16,
      unmatched: 0,
      excluded: 2,
      alternatives: [{ template: "{worker}.{realm}", matched: 16, realms: 4, workers: 4, evidence: -2 }],
      realms: 4,
      workers: 4,
      examples_matched: [],
      examples_unmatched: [],
    });
    renderWithQueries(<TemplateEditor env={environmentView({ realm_exclude: ["events.*"] })} current="{realm}.{worker}" onClose={() => {}} />);
    const reason = await waitFor(() => screen.getByTestId("template-reason"));
    expect(reason.textContent).toContain("recur across 4 realms");
    expect([...reason.querySelectorAll("code")].map((c) => c.textContent)).toEqual(["pdf-render", "hooli"]);
    expect(screen.getByTestId("template-preview").textContent).toContain("2 are excluded by the environment");
    expect(invoke).toHaveBeenCalledWith("realms_preview", { envId: "e", template: "auto" });
  });
});
