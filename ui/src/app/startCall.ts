// The window's first command, begun by main.tsx before React renders, so its round trip to the
// core overlaps the first render instead of following it; the App's start query takes it.
import { commands, type AppStart } from "../ipc/commands";

let early: Promise<AppStart> | null = null;

export function beginAppStart() {
  performance.mark("warren:script");
  early = commands.appStart().finally(() => performance.mark("warren:app-start-answered"));
}

/** The begun call (once), else a new one (a retry, or a test that did not begin one). */
export function appStartOnce(): Promise<AppStart> {
  const p = early ?? commands.appStart();
  early = null;
  return p;
}
