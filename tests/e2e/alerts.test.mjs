// End-to-end, alerts with a real notification daemon (dunst on the test's display, a D-Bus
// monitor reading every Notify call): a rule written in the window's Alerts view, a DLQ that
// grows between two samples of the background sampler (every 5 s here), exactly one desktop
// notification titled with the environment (not one per sample), the alert in the in-app list
// with a badge on the sidebar, and its Show link opening the Dead letters view.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Harness, brokerApi as api } from "./harness.mjs";
import { assertAccessible } from "./axe.mjs";

const h = new Harness({ WARREN_SAMPLE_INTERVAL: "5" }, { notifications: true });
const vhost = `warren-e2e-alerts-${randomBytes(4).toString("hex")}`;
const v = encodeURIComponent(vhost);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let wd;

before(async () => {
  await h.start();
  await api("PUT", `vhosts/${v}`, {});
  await api("PUT", `permissions/${v}/guest`, { configure: ".*", write: ".*", read: ".*" });
  await api("PUT", `queues/${v}/orders`, { durable: true, arguments: { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "orders.dlq" } });
  await api("PUT", `queues/${v}/orders.dlq`, { durable: true });
  h.cli(["env", "list"]);
  h.cli(["env", "edit", "local", "--vhost", vhost]);
  wd = await h.window();
});

after(() => h.finish(wd, () => api("DELETE", `vhosts/${v}`)));

test("a rule written in the window fires once, as a desktop notification and in the list", async () => {
  await wd.click("[data-testid=nav-alerts]");
  await wd.waitFor("[data-testid=alerts-empty]");
  // A rule that does not parse says which line and what to write.
  await wd.fill("[data-testid=alert-rules]", "dlq_growth by=lots within=1m");
  await wd.click("[data-testid=alert-rules-save]");
  assert.match(await wd.text(await wd.waitFor("[data-testid=alert-rules-error]")), /line 1: by=lots: a whole number/);
  await wd.fill("[data-testid=alert-rules]", "dlq_growth by=3 within=2m");
  await wd.click("[data-testid=alert-rules-save]");
  await wd.waitFor("[data-testid=alert-rules-save]", { textOk: (t) => t === "Save rules" });
  assert.match(h.cli(["env", "show", "local"]), /alert\s+dlq_growth by=3 within=2m/);

  // The sampler's first sample holds the empty DLQ; then it grows.
  for (let i = 0; i < 60; i++) {
    if (JSON.parse(h.cli(["history", "info", "--env", "local", "--json"])).samples > 0) break;
    await sleep(500);
  }
  for (let i = 0; i < 5; i++) {
    await api("POST", `exchanges/${v}/amq.default/publish`, { properties: {}, routing_key: "orders.dlq", payload: `m${i}`, payload_encoding: "string" });
  }
  const row = await wd.waitFor("[data-testid=alert-row]", { timeout: 45000 });
  assert.match(await wd.text(row), /FIRING.*local.*DLQ orders\.dlq grew by 5/s);
  assert.match(await wd.text("[data-testid=nav-alerts-badge]"), /^1 firing$/);
  const mine = () => h.notified().filter(([summary]) => summary?.startsWith("local: DLQ orders.dlq grew by"));
  assert.equal(mine().length, 1, JSON.stringify(h.notified()));
  assert.match(mine()[0][1], new RegExp(`${vhost}/orders.dlq · rule dlq_growth`));
  await h.shot(wd, "85-alerts");
  await assertAccessible(wd, "alerts view");
  // Two more samples while it still fires: no second notification.
  await sleep(11000);
  assert.equal(mine().length, 1, "told once, not on every sample");

  await wd.click("[data-testid=alert-open]");
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "local" });
  assert.equal(await wd.attribute("[data-testid=tab-deadletters]", "aria-selected"), "true");
});
