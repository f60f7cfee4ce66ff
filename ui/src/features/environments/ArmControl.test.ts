import { describe, expect, it } from "vitest";
import { armedSecondsLeft, refusesWrites } from "./ArmControl";
import type { EnvironmentView } from "../../ipc/commands";

const env = (armed_until?: number) => ({ id: "p", read_only: true, armed_until }) as unknown as EnvironmentView;

describe("arming", () => {
  it("counts down to zero and never below", () => {
    expect(armedSecondsLeft(env(1000), 400.7)).toBe(600);
    expect(armedSecondsLeft(env(1000), 2000)).toBe(0);
    expect(armedSecondsLeft(env(), 0)).toBe(0);
  });
  it("a read-only environment takes writes only while armed", () => {
    expect(refusesWrites(env(1000), 999)).toBe(false);
    expect(refusesWrites(env(1000), 1000)).toBe(true);
    expect(refusesWrites(env(), 0)).toBe(true);
  });
});
