// End-to-end: the vhost scope. Two vhosts hold the same demo topology (same realm names); with
// "all vhosts" each vhost's realms stay apart, one vhost scopes Realms, Queues and Dead letters
// to itself, and the choice survives a restart of the app.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Harness } from "./harness.mjs";

const h = new Harness();
const tag = randomBytes(4).toString("hex");
const [a, b] = [`warren-e2e-scope-a-${tag}`, `warren-e2e-scope-b-${tag}`];
let wd;

before(async () => {
  await h.start();
  for (const v of [a, b]) h.cli(["demo", "seed", "--env", "local", "--vhost", v]);
  // The same names in two vhosts also read as "the vhost is the realm" (the suggestion may
  // take that): the user says the realm is in the name.
  h.cli(["env", "edit", "local", "--realm-template", "{worker}.{realm}"]);
  wd = await h.window();
});

after(() => h.finish(wd, () => h.cleanDemo(a, b)));

/** Choose a vhost in the header's picker (`null`: all), as a user's pick fires `change`. */
async function pick(vhost) {
  await wd.exec(
    `const s = document.querySelector('[data-testid=vhost-picker]');
     const o = [...s.options].find((o) => arguments[0] === null ? o.index === 0 : o.value === arguments[0]);
     Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(s, o.value);
     s.dispatchEvent(new Event('change', { bubbles: true }));`,
    [vhost],
  );
}

const realmKeys = () => wd.exec("return [...document.querySelectorAll('[data-testid=realm-row] .rt-key')].map((e) => e.textContent)");

test("over all vhosts, each vhost's realms stay apart", async () => {
  await wd.click("[data-testid=tab-realms]");
  await wd.waitFor("[data-testid=vhost-picker]");
  await pick(null);
  await wd.waitFor("[data-testid=realm-row]", { timeout: 30000 });
  // Other vhosts on the broker may hold realms too: count ours.
  const keys = await realmKeys();
  for (const v of [a, b]) assert.equal(keys.filter((k) => k.endsWith(` @ ${v}`)).length, 12, keys.join(", "));
  assert.ok(keys.includes(`acme @ ${a}`) && keys.includes(`acme @ ${b}`), keys.join(", "));
  await h.shot(wd, "70-scope-all-vhosts");
});

test("one vhost scopes Realms, Queues and Dead letters to itself", async () => {
  await pick(a);
  await wd.waitFor("[data-testid=realms-template]", { timeout: 30000, textOk: (t) => /\b12 realms · 40 workers\b/.test(t) });
  const keys = await realmKeys();
  assert.equal(keys.length, 12);
  assert.ok(keys.every((k) => !k.includes("@")), keys.join(", "));
  await h.shot(wd, "71-scope-one-vhost-realms");

  const inA = JSON.parse(h.cli(["queues", "--env", "local", "--vhost", a, "--json"])).length;
  await wd.click("[data-testid=tab-queues]");
  await wd.waitFor("[data-testid=queue-count]", { timeout: 30000, textOk: (t) => t === `${inA} of ${inA} queues in ${a}` });
  await h.shot(wd, "72-scope-one-vhost-queues");

  await wd.click("[data-testid=tab-deadletters]");
  await wd.waitFor("[data-testid=dlq-item]", { timeout: 30000 });
  const vhosts = await wd.exec("return [...document.querySelectorAll('[data-testid=dlq-item]')].map((e) => e.dataset.vhost)");
  assert.ok(vhosts.length > 0 && vhosts.every((v) => v === a), vhosts.join(", "));
});

test("the scope is remembered per environment across a restart", async () => {
  await wd.stop();
  wd = await h.window();
  await wd.click("[data-testid=tab-queues]");
  await wd.waitFor("[data-testid=queue-count]", { timeout: 30000, textOk: (t) => t.endsWith(`queues in ${a}`) });
  assert.equal(await wd.exec("return document.querySelector('[data-testid=vhost-picker]').value"), a);
  // Back to every vhost for the test files after this one (they share the window's storage).
  await pick(null);
  await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => /queues$/.test(t) });
});
