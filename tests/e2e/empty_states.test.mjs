// End-to-end, item by item of what a new user hit: an environment whose vhost has no queues
// says why and loads the demo from the window; a group replay's progress counts the group and
// the DLQ list shows what is left at once; a filter with an error keeps the last good rows
// under it; the filter typed for an environment is still there after a restart.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { BROKER, Harness, brokerApi as api } from "./harness.mjs";

const h = new Harness();
const tag = randomBytes(4).toString("hex");
const vhost = `warren-e2e-empty-${tag}`;
const envId = `e2e-empty-${tag}`;
let wd;


before(async () => {
  await h.start();
  // An environment showing one empty vhost (the shared broker always has queues elsewhere).
  await api("PUT", `vhosts/${encodeURIComponent(vhost)}`, {});
  await api("PUT", `permissions/${encodeURIComponent(vhost)}/guest`, { configure: ".*", write: ".*", read: ".*" });
  h.cli(
    ["env", "add", envId, "--name", "Empty e2e", "--management-url", BROKER.management, "--amqp-url", BROKER.amqp, "--username", "guest", "--vhost", vhost, "--password-stdin"],
    "guest\n",
  );
  wd = await h.window();
  await wd.click(`[data-testid=env-item-${envId}]`);
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "Empty e2e" });
});

after(() =>
  h.finish(wd, async () => {
    h.cli(["env", "remove", envId]);
    await api("DELETE", `vhosts/${encodeURIComponent(vhost)}`);
  }),
);

test("an environment with no queues says why and loads the demo from the window", async () => {
  await wd.click("[data-testid=tab-queues]");
  const why = await wd.waitFor("[data-testid=queues-empty-why]", { timeout: 20000 });
  assert.match(await wd.text(why), new RegExp(`No queues in vhost “${vhost}”, this environment's default vhost`));
  assert.equal(await wd.text("[data-testid=queue-count]"), "0 of 0 queues");
  await h.shot(wd, "60-queues-empty");
  await wd.click("[data-testid=demo-load]");
  await wd.waitFor("[data-testid=demo-dialog]");
  await h.shot(wd, "60b-demo-dialog");
  await wd.click("[data-testid=demo-confirm]");
  const result = await wd.waitFor("[data-testid=demo-result]", { timeout: 90000 });
  assert.match(await wd.text(result), new RegExp(`Seeded vhost ${vhost}: 502 queues`));
  await h.shot(wd, "61-demo-loaded");
  await wd.click("[data-testid=demo-close]");
  // The inventory was reloaded: the demo's queues are in the table.
  await wd.waitFor("[data-testid=queue-count]", { timeout: 30000, textOk: (t) => t === "502 of 502 queues" });
  await wd.waitFor("[data-testid=queue-row]");
  assert.equal(await wd.textContent("[data-testid=queues-empty]"), null, "no empty state over a full table");
  await h.shot(wd, "62-queues-after-demo");
});

test("a group replay counts its group, and the DLQ list shows what is left at once", async () => {
  await wd.click("[data-testid=tab-deadletters]");
  const item = "[data-testid=dlq-item][title*='payments.acme']";
  await wd.waitFor(item, { timeout: 30000 });
  assert.match(await wd.textContent(item), /dlq-payments\s*48(?!\d)/, "exact counts right after the seed");
  await wd.click(item);
  const groups = await wd.waitFor("[data-testid=dlq-groups]", { timeout: 20000 });
  const [count, label] = await wd.exec(
    "const g = [...document.querySelectorAll('.dlq-group')].find((e) => e.textContent.includes('payments.acme · rejected')); g.querySelector('button').click(); return [Number(g.querySelector('b').textContent), g.textContent];",
  );
  assert.ok(count > 0 && count < 48, `a group of the 48: ${label}`);
  assert.match(await wd.text(groups), /payments\.acme · rejected/);
  await wd.waitFor("[data-testid=replay-plan]", { timeout: 20000, textOk: (t) => t.startsWith(`${count} message(s) go to`) });
  await wd.click("[data-testid=replay-start]");
  const text = await wd.waitFor("[data-testid=replay-report]", { timeout: 30000 });
  assert.match(await wd.text(text), new RegExp(`Replayed ${count} message\\(s\\)`));
  assert.ok(
    (await wd.text("[data-testid=replay-progress-text]")).startsWith(`100 % · ${count} of ${count} replayed · read 48 of 48`),
    "the progress counts the group, and the messages read apart",
  );
  await h.shot(wd, "63-group-replayed");
  await wd.click("[data-testid=replay-close]");
  // No wait for the broker's statistics: the list says what is left right away.
  const left = 48 - count;
  await wd.waitFor(item, { timeout: 15000 });
  for (let i = 0; i < 50 && !new RegExp(`dlq-payments\\s*${left}(?!\\d)`).test(await wd.textContent(item)); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(await wd.textContent(item), new RegExp(`dlq-payments\\s*${left}(?!\\d)`));
  await h.shot(wd, "64-dlq-list-after-replay");
});

test("a filter with an error keeps the last good rows under the error", async () => {
  await wd.click("[data-testid=tab-queues]");
  await wd.fill("[data-testid=queue-filter]", "billing.*");
  await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => t.startsWith("12 of") });
  await wd.type("[data-testid=queue-filter]", ' "');
  const err = await wd.waitFor("[data-testid=filter-error]");
  assert.match(await wd.text(err), /unterminated quote.*Showing the last valid filter's queues/s);
  assert.match(await wd.text("[data-testid=queue-count]"), /^12 of 502 queues/);
  const rows = await wd.exec(
    "return [...document.querySelectorAll('[data-testid=queue-row]')].filter((r) => r.offsetParent !== null).map((r) => r.textContent)",
  );
  assert.equal(rows.length, 12, "the 12 billing rows are still shown");
  assert.ok(rows.every((r) => r.includes("billing.")), rows.join("\n"));
  // A reload while the error stands (a refresh, the exact counts after a change) keeps them too.
  await wd.click("[data-testid=queue-refresh]");
  await wd.waitFor("[data-testid=queue-refresh]", { textOk: (t) => t === "Refresh" });
  assert.match(await wd.text("[data-testid=filter-error]"), /Showing the last valid filter's queues/);
  assert.match(await wd.text("[data-testid=queue-count]"), /^12 of 502 queues/);
  await h.shot(wd, "65-filter-error-keeps-rows");
});

test("the filter typed for an environment is still there after a restart", async () => {
  await wd.fill("[data-testid=queue-filter]", "name=billing.acme");
  await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => t.startsWith("1 of") });
  await wd.stop();
  wd = await h.window(); // a new app process, the same config and data dirs
  // Two environments: the fleet is the first screen; its card opens the environment.
  await wd.waitFor("[data-testid=fleet-page]");
  await wd.click(`[data-testid=fleet-card-${envId}] .fleet-open`);
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "Empty e2e" });
  await wd.click("[data-testid=tab-queues]");
  await wd.waitFor("[data-testid=queue-count]", { timeout: 30000, textOk: (t) => t.startsWith("1 of 502") });
  const typed = await wd.exec("return document.querySelector('[data-testid=queue-filter]').value");
  assert.equal(typed, "name=billing.acme");
  await h.shot(wd, "66-filter-after-restart");
  // `local` kept its own (empty) filter.
  await wd.click("[data-testid=env-item-local]");
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "local" });
  assert.equal(await wd.exec("return document.querySelector('[data-testid=queue-filter]').value"), "");
});

test("an environment's audit record says which fields changed", async () => {
  h.cli(["env", "edit", envId, "--logs-url", "https://logs.example/{queue}", "--tier", "staging"]);
  await wd.click("[data-testid=tab-audit]");
  const row = await wd.waitFor("[data-testid=audit-row]", { timeout: 15000, textOk: (t) => t.includes("environment.update") });
  assert.match(await wd.textContent("[data-testid=audit-row]"), new RegExp(`environment\\.update.*${envId}.*changed logs URL, tier`));
  assert.ok(row);
  await h.shot(wd, "67-audit-environment-update");
});
