import { describe, expect, it } from "vitest";
import type { Alert } from "../../ipc/bindings/Alert";
import { openCount, splitSubject, targetOf, when } from "./alertsModel";

const alert = (over: Partial<Alert>): Alert => ({
  env: "prod-eu", rule_id: "r", kind: "dlq_growth", subject: "/orders.dlq", message: "m", value: 1,
  first_at: "2026-12-07T03:00:00.000Z", last_at: "2026-12-07T03:05:00.000Z", ...over,
});

describe("alerts model", () => {
  it("splits a subject into vhost and queue, the default vhost included", () => {
    expect(splitSubject("/orders.dlq")).toEqual(["/", "orders.dlq"]);
    expect(splitSubject("shop/orders")).toEqual(["shop", "orders"]);
  });

  it("leads each kind to the view that shows it", () => {
    expect(targetOf(alert({}))).toEqual({ envId: "prod-eu", tab: "deadletters" });
    expect(targetOf(alert({ kind: "no_consumer", subject: "shop/orders" }))).toEqual({ envId: "prod-eu", tab: "queues", filter: "name=orders" });
    expect(targetOf(alert({ kind: "realm_backlog", subject: "acme" })).tab).toBe("realms");
    expect(targetOf(alert({ kind: "node_down_or_alarm", subject: "node:rabbit@b" })).tab).toBe("environment");
  });

  it("counts the open ones and words the time", () => {
    expect(openCount([alert({}), alert({ resolved_at: "2026-12-07T03:06:00.000Z" })])).toBe(1);
    expect(when("2026-12-07T03:00:00.000Z", new Date("2026-12-07T03:10:00.000Z"))).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(when("2026-12-01T03:00:00.000Z", new Date("2026-12-07T03:10:00.000Z"))).toMatch(/^1 Dec/);
  });
});
