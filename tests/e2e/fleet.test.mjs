// End-to-end, the fleet overview: with several environments the window opens on the Fleet view;
// each environment's card says its state (the broker under test healthy with its figures, a
// closed port unreachable with the precise error, a silent node "No answer" after its own
// budget, never holding the others back); a card opens its environment and the sidebar's Fleet
// entry comes back. Checked at 1280×800 with axe.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { randomBytes } from "node:crypto";
import { Harness, brokerApi as api } from "./harness.mjs";
import { assertAccessible } from "./axe.mjs";

const h = new Harness();
const tag = randomBytes(4).toString("hex");
const vhost = `warren-e2e-fleet-${tag}`;
let wd;
let silent;


before(async () => {
  await h.start();
  // A vhost with a realm that weighs, and a DLQ holding dead letters.
  await api("PUT", `vhosts/${encodeURIComponent(vhost)}`, {});
  await api("PUT", `permissions/${encodeURIComponent(vhost)}/guest`, { configure: ".*", write: ".*", read: ".*" });
  for (const q of ["billing.acme", "billing.globex", "orders.dlq"]) {
    await api("PUT", `queues/${encodeURIComponent(vhost)}/${encodeURIComponent(q)}`, { durable: true });
  }
  const publish = async (q, n) => {
    for (let i = 0; i < n; i++) {
      await api("POST", `exchanges/${encodeURIComponent(vhost)}/amq.default/publish`, {
        properties: {}, routing_key: q, payload: `m${i}`, payload_encoding: "string",
      });
    }
  };
  await publish("billing.acme", 6);
  await publish("orders.dlq", 2);
  // The management API's counters settle a stats interval after the publishes.
  for (let i = 0; i < 60; i++) {
    if ((await api("GET", `queues/${encodeURIComponent(vhost)}/orders.dlq`)).messages === 2) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  h.cli(["env", "list"]);
  h.cli(["env", "edit", "local", "--vhost", vhost, "--realm-template", "{worker}.{realm}"]);
  h.cli(["env", "add", "prod-eu", "--name", "prod-eu", "--tier", "prod", "--management-url", "http://127.0.0.1:1", "--amqp-url", "amqp://127.0.0.1:1", "--username", "guest", "--password-stdin"], "guest\n");
  // Accepts connections and never answers.
  silent = net.createServer(() => {}).listen(0, "127.0.0.1");
  await new Promise((r) => silent.once("listening", r));
  const port = silent.address().port;
  h.cli(["env", "add", "staging-hung", "--name", "staging-hung", "--tier", "staging", "--management-url", `http://127.0.0.1:${port}`, "--amqp-url", "amqp://127.0.0.1:1", "--username", "guest", "--password-stdin"], "guest\n");
  wd = await h.window();
});

after(() =>
  h.finish(wd, async () => {
    silent?.close();
    await api("DELETE", `vhosts/${encodeURIComponent(vhost)}`);
  }),
);

test("with several environments the window opens on the fleet, a card per environment", async () => {
  await wd.waitFor("[data-testid=fleet-page]");
  // The dead one answers at once; the local broker's card does not wait for the silent one.
  const dead = await wd.waitFor("[data-testid=fleet-card-prod-eu] [data-testid=fleet-error]", { timeout: 20000 });
  assert.match(await wd.text(dead), /connection refused/);
  assert.equal(await wd.attribute("[data-testid=fleet-card-prod-eu]", "data-state"), "unreachable");
  await wd.waitFor("[data-testid=fleet-card-local] [data-testid=fleet-dead]", { timeout: 30000, textOk: (t) => t.includes("2") });
  assert.match(await wd.text("[data-testid=fleet-card-local] [data-testid=fleet-heaviest]"), /acme.*6 messages/);
  // The hung node's card says so once its own budget is spent.
  await wd.waitFor("[data-testid=fleet-card-staging-hung] [data-testid=fleet-state]", { timeout: 30000, textOk: (t) => t === "No answer" });
  assert.match(await wd.text("[data-testid=fleet-summary]"), /^3 environments · (1 healthy|1 unhealthy) · 2 unreachable$/);
  await h.shot(wd, "80-fleet");
  await assertAccessible(wd, "fleet view");
});

test("a card opens its environment and the sidebar's Fleet entry comes back", async () => {
  await wd.click("[data-testid=fleet-card-local] .fleet-open");
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "local" });
  await wd.waitFor("[data-testid=tab-queues]");
  await wd.click("[data-testid=nav-fleet]");
  await wd.waitFor("[data-testid=fleet-page]");
  assert.equal(await wd.textContent(".topbar h1"), "Fleet");
  await h.shot(wd, "81-fleet-again");
});

test("drift between two vhosts reads per realm, and exports to a file", async () => {
  // A second vhost like the first, but without `billing.globex` and with a bigger cap on acme.
  const other = `${vhost}-b`;
  await api("PUT", `vhosts/${encodeURIComponent(other)}`, {});
  await api("PUT", `permissions/${encodeURIComponent(other)}/guest`, { configure: ".*", write: ".*", read: ".*" });
  try {
    for (const q of ["billing.acme", "orders.dlq"]) {
      await api("PUT", `queues/${encodeURIComponent(other)}/${encodeURIComponent(q)}`, { durable: true });
    }
    await wd.click("[data-testid=nav-drift]");
    await wd.waitFor("[data-testid=drift-page]");
    // B is another environment at first (here the dead one): compare two vhosts of `local`.
    await wd.click("[data-testid=drift-b] option[value=local]");
    await wd.fill("[data-testid=drift-vhost-a]", vhost);
    await wd.fill("[data-testid=drift-vhost-b]", other);
    await wd.click("[data-testid=drift-compare]");
    const summary = await wd.waitFor("[data-testid=drift-summary]", { timeout: 20000 }).catch(async (e) => {
      await h.shot(wd, "82-drift-failed");
      throw e;
    });
    assert.match(await wd.text(summary), /^1 difference: 1 only in local\/warren-e2e-fleet-/);
    const realm = await wd.waitFor("[data-testid=drift-realm][data-realm=globex]");
    assert.match(await wd.text(realm), /realm `globex` has 1 queue in local\/\S+ and 0 in local\/\S+: `billing\.globex` missing in/);
    await h.shot(wd, "82-drift");
    await wd.click("[data-testid=drift-export-json]");
    const done = await wd.waitFor("[data-testid=drift-exported]", { textOk: (t) => t.startsWith("Exported to ") });
    const path = (await wd.text(done)).replace("Exported to ", "");
    const { readFileSync, rmSync } = await import("node:fs");
    const report = JSON.parse(readFileSync(path, "utf8"));
    assert.deepEqual(report.only_in_a.map((i) => i.name), ["billing.globex"]);
    rmSync(path);
    await assertAccessible(wd, "drift view");
  } finally {
    await api("DELETE", `vhosts/${encodeURIComponent(other)}`);
  }
});
