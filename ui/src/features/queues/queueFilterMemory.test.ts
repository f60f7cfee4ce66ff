import { describe, expect, it } from "vitest";
import { loadQueueFilter, rememberQueueFilter } from "./queueFilterMemory";

describe("the remembered queue filter", () => {
  it("is kept per environment, and an emptied box forgets it", () => {
    localStorage.clear();
    rememberQueueFilter("local", "billing acme");
    rememberQueueFilter("prod", "messages>1000");
    expect(loadQueueFilter("local")).toBe("billing acme");
    expect(loadQueueFilter("prod")).toBe("messages>1000");
    expect(loadQueueFilter("other")).toBe("");
    rememberQueueFilter("local", "");
    expect(loadQueueFilter("local")).toBe("");
    expect(localStorage.getItem("warren.queueFilter.local")).toBeNull();
  });
});
