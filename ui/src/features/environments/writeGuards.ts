// What stands between the operator and a change to a broker, as the window shows it: a
// read-only environment refuses writes unless armed for a while (the core enforces it), and
// on prod the environment's name must be typed before a change is sent.
import type { EnvironmentView } from "../../ipc/bindings/EnvironmentView";

/** Will the core refuse changes to this environment now (read-only and not armed)? */
export function refusesWrites(env: EnvironmentView, nowSecs = Date.now() / 1000): boolean {
  return env.read_only && armedSecondsLeft(env, nowSecs) === 0;
}

export function armedSecondsLeft(env: EnvironmentView, nowSecs: number): number {
  return env.armed_until ? Math.max(0, env.armed_until - Math.floor(nowSecs)) : 0;
}

/** The time an arming has left, as m:ss. */
export const formatCountdown = (secs: number) => `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;

/** A change on prod waits for the environment's name, typed exactly. */
export const needsTypedName = (env: Pick<EnvironmentView, "tier">) => env.tier === "prod";

export function nameConfirmed(env: Pick<EnvironmentView, "tier" | "name">, typed: string): boolean {
  return !needsTypedName(env) || typed === env.name;
}
