import { describe, expect, it } from "vitest";
import { environmentView } from "../../test/fixtures";
import { demoVhost, emptyState } from "./emptyState";

describe("an empty queue list", () => {
  it("says why and offers the demo where a change is allowed", () => {
    const local = environmentView({ id: "local", name: "local", username: "guest" });
    const s = emptyState(local, 0, null);
    expect(s.why).toContain("No queues on this broker that user “guest” can see");
    expect(s.offerDemo).toBe(true);
    expect(demoVhost(local)).toBe("warren-demo");
  });

  it("names the default vhost the environment shows, and the demo goes there", () => {
    const env = environmentView({ vhost: "shop" });
    expect(emptyState(env, 0, null).why).toContain("No queues in vhost “shop”, this environment's default vhost");
    expect(demoVhost(env)).toBe("shop");
  });

  it("offers no demo on a read-only environment unless armed", () => {
    const ro = environmentView({ read_only: true });
    expect(emptyState(ro, 0, null, 1000).offerDemo).toBe(false);
    expect(emptyState({ ...ro, armed_until: 2000 }, 0, null, 1000).offerDemo).toBe(true);
  });

  it("when a vhost scope hides the loaded queues, says so and offers nothing", () => {
    const s = emptyState(environmentView(), 12, "quiet");
    expect(s.why).toBe("No queues in vhost “quiet”: the 12 loaded queue(s) are in other vhosts.");
    expect(s.offerDemo).toBe(false);
  });
});
