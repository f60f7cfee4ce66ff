import { describe, expect, it } from "vitest";
import { environmentView } from "../../test/fixtures";
import { filterEnvironments } from "./switcherFilter";

const view = (id: string, name: string) => environmentView({ id, name });

const envs = [view("local", "local"), view("prod-eu", "Production EU"), view("staging", "Staging"), view("prod-us", "Production US")];

describe("environment switcher filter", () => {
  it("keeps everything, in the sidebar's order, for an empty query", () => {
    expect(filterEnvironments(envs, "").map((e) => e.id)).toEqual(["local", "prod-eu", "staging", "prod-us"]);
  });

  it("ranks substring matches before scattered ones", () => {
    expect(filterEnvironments(envs, "prod").map((e) => e.id)).toEqual(["prod-eu", "prod-us"]);
    expect(filterEnvironments(envs, "peu").map((e) => e.id)).toEqual(["prod-eu"]);
  });

  it("matches names case-insensitively and drops non-matches", () => {
    expect(filterEnvironments(envs, "STAG").map((e) => e.id)).toEqual(["staging"]);
    expect(filterEnvironments(envs, "zzz")).toEqual([]);
  });
});
