import { beforeEach, describe, expect, it } from "vitest";
import { forgetRemembered } from "./forgetRemembered";
import { loadQueueFilter, rememberQueueFilter } from "../queues/queueFilterMemory";
import { loadSavedFilters, saveFilter } from "../queues/savedFilters";
import { loadScope, saveScope } from "../vhosts/vhostScope";

describe("forgetting a removed environment", () => {
  beforeEach(() => localStorage.clear());

  function remember(envId: string) {
    rememberQueueFilter(envId, `${envId} messages>10`);
    saveFilter(envId, "consumers=0");
    saveScope(envId, "billing");
  }

  it("drops its filter, saved filters and scope, and keeps every other environment's", () => {
    // `x.prod` ends in `.prod`: only exact keys may go, not every key that ends in the id.
    for (const id of ["prod", "x.prod", "staging"]) remember(id);
    forgetRemembered("prod");
    expect(loadQueueFilter("prod")).toBe("");
    expect(loadSavedFilters("prod")).toEqual([]);
    expect(loadScope("prod")).toBeNull();
    for (const id of ["x.prod", "staging"]) {
      expect(loadQueueFilter(id)).toBe(`${id} messages>10`);
      expect(loadSavedFilters(id)).toEqual(["consumers=0"]);
      expect(loadScope(id)).toBe("billing");
    }
    expect(localStorage.length).toBe(6);
  });
});
