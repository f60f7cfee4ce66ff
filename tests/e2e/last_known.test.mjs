// End-to-end: a window opened again shows the queues it last loaded at once, dated, while it
// reads the broker — and keeps them on screen, under the error, when the broker refuses (here
// a wrong password in the keyring: a real refusal, nothing faked). The filter remembered for
// the environment narrows them as it narrows loaded rows. The next good refresh replaces them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { BROKER, Harness, brokerApi as api } from "./harness.mjs";

const h = new Harness();
const tag = randomBytes(4).toString("hex");
const vhost = `warren-e2e-known-${tag}`;
const envId = `e2e-known-${tag}`;
const QUEUES = ["billing.acme", "email.acme", "sms.globex"];
let wd;

const setPassword = (password) => h.cli(["env", "edit", envId, "--password-stdin"], `${password}\n`);

before(async () => {
  await h.start();
  await api("PUT", `vhosts/${encodeURIComponent(vhost)}`, {});
  await api("PUT", `permissions/${encodeURIComponent(vhost)}/guest`, { configure: ".*", write: ".*", read: ".*" });
  for (const q of QUEUES) await api("PUT", `queues/${encodeURIComponent(vhost)}/${q}`, { durable: true });
  h.cli(
    ["env", "add", envId, "--name", "Known e2e", "--management-url", BROKER.management, "--amqp-url", BROKER.amqp, "--username", "guest", "--vhost", vhost, "--password-stdin"],
    "guest\n",
  );
  wd = await h.window();
});

after(() =>
  h.finish(wd, async () => {
    h.cli(["env", "remove", envId]);
    await api("DELETE", `vhosts/${encodeURIComponent(vhost)}`);
  }),
);

const count = `${QUEUES.length} of ${QUEUES.length} queues`;
const filtered = `2 of ${QUEUES.length} queues`;
const shownNames = () => wd.exec("return [...document.querySelectorAll('[data-testid=queue-row] [data-col=name]')].map((e) => e.textContent)");

test("a reopened window shows the last loaded queues, dated, when the broker refuses", async () => {
  await wd.click(`[data-testid=env-item-${envId}]`);
  await wd.click("[data-testid=tab-queues]");
  await wd.waitFor("[data-testid=queue-count]", { timeout: 30000, textOk: (t) => t === count });
  assert.equal(await wd.textContent("[data-testid=queue-last-known]"), null, "a first ever load has nothing earlier to show");
  const kept = join(h.dataDir, "last-inventory", `${envId}.json`);
  for (let i = 0; i < 50 && !existsSync(kept); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(kept), "the complete load was kept for the next run");
  // A filter left in the box: the window remembers it for the environment.
  await wd.fill("[data-testid=queue-filter]", "acme");
  await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => t === filtered });

  // The broker now refuses this environment's credentials; the app starts again.
  setPassword("not-the-password");
  await wd.stop();
  wd = await h.window();
  await wd.click(`[data-testid=env-item-${envId}]`);
  await wd.click("[data-testid=tab-queues]");
  const note = await wd.waitFor("[data-testid=queue-last-known]", { timeout: 30000, textOk: (t) => /not current/.test(t) });
  assert.match(await wd.text(note), /^· last loaded \d+ (s|min) ago, not current$/);
  assert.match(await wd.attribute("[data-testid=queue-last-known]", "title"), /at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  assert.equal(await wd.exec("return document.querySelector('[data-testid=queue-filter]').value"), "acme");
  await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => t.startsWith(`${filtered} · last loaded`) });
  await wd.waitFor(".error-box", { textOk: (t) => /Cannot list queues/.test(t) });
  assert.deepEqual([...(await shownNames())].sort(), ["billing.acme", "email.acme"], "the remembered filter narrows the dated rows");
  assert.equal(await wd.attribute("[data-testid=queue-table]", "data-stale"), "true", "the figures read as dated");
  const tickable = await wd.exec("return [...document.querySelectorAll('[data-testid=select-row]')].filter((e) => !e.disabled).length");
  assert.equal(tickable, 0, "nothing acts on dated rows, so none is ticked");
  assert.equal(await wd.exec("return document.querySelector('[data-testid=purge-shown]').disabled"), true, "nor purged by the filter");
  await h.shot(wd, "80a-last-known-filtered");
  await wd.fill("[data-testid=queue-filter]", "");
  await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => t.startsWith(`${count} · last loaded`) });
  assert.deepEqual([...(await shownNames())].sort(), QUEUES);
  await h.shot(wd, "80-last-known-broker-refused");

  // Credentials mended: a refresh reads the broker, and the dated rows give way.
  setPassword("guest");
  await wd.click("[data-testid=queue-refresh]");
  await wd.waitFor("[data-testid=queue-count]", { timeout: 30000, textOk: (t) => t === count });
  assert.equal(await wd.textContent("[data-testid=queue-last-known]"), null);
  assert.equal(await wd.attribute("[data-testid=queue-table]", "data-stale"), null);
  await h.shot(wd, "81-last-known-replaced");
});
