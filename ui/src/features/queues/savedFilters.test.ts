import { beforeEach, describe, expect, it } from "vitest";
import { loadSavedFilters, removeFilter, saveFilter } from "./savedFilters";

describe("saved filters", () => {
  beforeEach(() => localStorage.clear());

  it("keeps filters per environment, newest first, without duplicates", () => {
    saveFilter("prod", "messages>1000");
    saveFilter("prod", "consumers=0");
    saveFilter("prod", "messages>1000");
    saveFilter("dev", "billing");
    expect(loadSavedFilters("prod")).toEqual(["messages>1000", "consumers=0"]);
    expect(loadSavedFilters("dev")).toEqual(["billing"]);
  });

  it("removes one and survives garbage in storage", () => {
    saveFilter("prod", "a");
    saveFilter("prod", "b");
    expect(removeFilter("prod", "a")).toEqual(["b"]);
    localStorage.setItem("warren.savedFilters.x", "{not json");
    expect(loadSavedFilters("x")).toEqual([]);
  });
});
