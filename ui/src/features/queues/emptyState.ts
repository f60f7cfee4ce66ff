// Why the queue list is empty, in words, and whether the window offers the demo topology: only
// when the environment shows no queue at all (not when a vhost scope hides the others), and
// only where a change is allowed.
import type { EnvironmentView } from "../../ipc/bindings/EnvironmentView";
import { refusesWrites } from "../environments/writeGuards";

/** The vhost the demo goes to (as the core picks it): the environment's default, else its own. */
export const DEMO_VHOST = "warren-demo";
export const demoVhost = (env: Pick<EnvironmentView, "vhost">) => env.vhost ?? DEMO_VHOST;

export interface EmptyState {
  why: string;
  offerDemo: boolean;
}

/** `loaded`: queues in the whole inventory; `scope`: the vhost picked in the window (null: all). */
export function emptyState(env: EnvironmentView, loaded: number, scope: string | null, nowSecs = Date.now() / 1000): EmptyState {
  if (loaded > 0 && scope !== null) {
    return { why: `No queues in vhost “${scope}”: the ${loaded.toLocaleString("en-US")} loaded queue(s) are in other vhosts.`, offerDemo: false };
  }
  const why = env.vhost
    ? `No queues in vhost “${env.vhost}”, this environment's default vhost: it has none yet, or user “${env.username}” may not read it.`
    : `No queues on this broker that user “${env.username}” can see: it has none yet, or the user has no permission on any vhost.`;
  return { why, offerDemo: !refusesWrites(env, nowSecs) };
}
