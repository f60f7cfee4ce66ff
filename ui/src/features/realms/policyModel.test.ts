import { describe, expect, it } from "vitest";
import { policySettings } from "./policyModel";

describe("policy settings", () => {
  it("keeps filled fields as KEY=VALUE and leaves blank ones out", () => {
    expect(policySettings({ "max-length": " 1000 ", "message-ttl": "" }, "")).toEqual(["max-length=1000"]);
    expect(policySettings({ "max-length": "" }, "reject-publish")).toEqual(["overflow=reject-publish"]);
    expect(policySettings({}, "")).toEqual([]);
  });
});
