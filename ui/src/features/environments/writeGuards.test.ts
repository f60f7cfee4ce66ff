import { describe, expect, it } from "vitest";
import { armedSecondsLeft, formatCountdown, nameConfirmed, needsTypedName, refusesWrites } from "./writeGuards";
import type { EnvironmentView } from "../../ipc/commands";
import { environmentView } from "../../test/fixtures";

const env = (armed_until?: number) => ({ id: "p", read_only: true, armed_until }) as unknown as EnvironmentView;

describe("arming", () => {
  it("counts down to zero and never below", () => {
    expect(armedSecondsLeft(env(1000), 400.7)).toBe(600);
    expect(armedSecondsLeft(env(1000), 2000)).toBe(0);
    expect(armedSecondsLeft(env(), 0)).toBe(0);
  });
  it("shows the time left as m:ss", () => {
    expect(formatCountdown(900)).toBe("15:00");
    expect(formatCountdown(61)).toBe("1:01");
  });
  it("a read-only environment takes writes only while armed", () => {
    expect(refusesWrites(env(1000), 999)).toBe(false);
    expect(refusesWrites(env(1000), 1000)).toBe(true);
    expect(refusesWrites(env(), 0)).toBe(true);
  });
});

describe("the typed name on prod", () => {
  it("is asked only on prod, and must match exactly", () => {
    const prod = environmentView({ tier: "prod", name: "Prod EU" });
    expect(needsTypedName(prod)).toBe(true);
    expect(nameConfirmed(prod, "prod eu")).toBe(false);
    expect(nameConfirmed(prod, "Prod EU")).toBe(true);
    expect(needsTypedName(environmentView({ tier: "staging" }))).toBe(false);
    expect(nameConfirmed(environmentView({ tier: "staging" }), "")).toBe(true);
  });
});
