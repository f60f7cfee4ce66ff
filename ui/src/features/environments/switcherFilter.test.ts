import { describe, expect, it } from "vitest";
import type { EnvironmentView } from "../../ipc/bindings/EnvironmentView";
import { filterEnvironments } from "./switcherFilter";

const view = (id: string, name: string): EnvironmentView => ({
  id,
  name,
  tier: "dev",
  management_urls: [],
  amqp_urls: [],
  username: "u",
  tls: { verify: true },
  read_only: false,
  has_secret: true,
});

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
