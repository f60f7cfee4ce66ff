// End-to-end: messages by hand, on the demo topology (a vhost of its own, removed afterwards).
// A queue's drawer peeks at its messages in place and publishes one (confirmed, then seen by the
// CLI's peek); a stream is read from an offset; a dead letter is edited, its diff shown, and the
// edited copy retried to the queue it died in — the original leaves the DLQ, the origin holds
// the edited body, and the audit log has the two hashes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Harness, brokerApi as api } from "./harness.mjs";

const h = new Harness();
const vhost = `warren-e2e-msg-${randomBytes(4).toString("hex")}`;
const STREAM = "events.e2e";
let wd;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


const publish = (key, payload) =>
  api("POST", `exchanges/${encodeURIComponent(vhost)}/amq.default/publish`, { properties: { message_id: payload }, routing_key: key, payload, payload_encoding: "string" });

/** What the CLI's peek reads of a queue (exact, over AMQP). */
const peek = (queue, ...more) => JSON.parse(h.cli(["peek", "--env", "local", "--vhost", vhost, "--queue", queue, "--json", ...more]));

before(async () => {
  await h.start();
  wd = await h.window();
  h.cli(["demo", "seed", "--env", "local", "--vhost", vhost]);
  await api("PUT", `queues/${encodeURIComponent(vhost)}/${STREAM}`, { durable: true, arguments: { "x-queue-type": "stream" } });
  for (let i = 0; i < 5; i++) await publish(STREAM, `event ${i}`);
  // The demo dead-letters every message of its payments queues: give one a few to peek at.
  for (let i = 0; i < 3; i++) await publish("payments.acme", `{"order": ${i}}`);
});

after(() => h.finish(wd, () => h.cleanDemo(vhost)));

async function pickVhost(v) {
  await wd.exec(
    `const s = document.querySelector('[data-testid=vhost-picker]');
     const o = [...s.options].find((o) => o.value === arguments[0]);
     Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(s, o.value);
     s.dispatchEvent(new Event('change', { bubbles: true }));`,
    [v],
  );
}

/** Open the drawer of the queue named `name` in the test's vhost. */
async function openQueue(name) {
  await wd.click("[data-testid=tab-queues]");
  await wd.waitFor("[data-testid=queue-refresh]:not([disabled])", { timeout: 30000 });
  await wd.click("[data-testid=queue-refresh]");
  await sleep(200);
  await wd.waitFor("[data-testid=queue-refresh]:not([disabled])", { timeout: 60000 });
  await wd.waitFor("[data-testid=vhost-picker]");
  await pickVhost(vhost);
  await wd.fill("[data-testid=queue-filter]", `name=${name}`);
  await wd.waitFor("[data-testid=queue-count]", { timeout: 30000, textOk: (t) => t.startsWith("1 of") });
  await wd.click("[data-testid=queue-row]");
  await wd.waitFor("[data-testid=queue-drawer]");
}

test("a queue's drawer peeks at its messages in place, and a row opens one in full", async () => {
  const before = peek("payments.acme", "--limit", "1000").read;
  assert.ok(before > 0, "the demo's payments.acme holds messages");
  await openQueue("payments.acme");
  await wd.click("[data-testid=drawer-peek]");
  await wd.waitFor("[data-testid=peek-row]", { timeout: 20000 });
  assert.match(await wd.text("[data-testid=peek-cost]"), /redelivered/);
  assert.match(await wd.text("[data-testid=peek-count]"), /^\d+ of \d+ read/);
  await h.shot(wd, "90-peek-queue");
  await wd.click("[data-testid=peek-row] td:nth-child(2)");
  await wd.waitFor("[data-testid=peek-dialog] [data-testid=dlq-message] [data-testid=dlq-body]");
  assert.equal(await wd.exec("return !!document.querySelector('[data-testid=peek-dialog] [data-testid=dlq-edit-retry]')"), false, "a peeked message offers no retry");
  await wd.click("[data-testid=dlq-message-close]");
  await wd.click("[data-testid=peek-close]");
  assert.equal(peek("payments.acme", "--limit", "1000").read, before, "peeking removed nothing");
});

test("the drawer publishes a message with a confirm; the CLI's peek then reads it", async () => {
  await wd.click("[data-testid=drawer-publish]");
  await wd.waitFor("[data-testid=publish-dialog]");
  assert.equal(await wd.exec("return document.querySelector('[data-testid=publish-routing-key]').value"), "payments.acme");
  await wd.fill("[data-testid=publish-body]", '{"order": 4711, "note": "typed by hand"');
  await wd.waitFor("[data-testid=publish-body-error]", { textOk: (t) => t.startsWith("Not valid JSON") });
  await wd.fill("[data-testid=publish-body]", '{"order": 4711, "note": "typed by hand"}');
  await wd.fill("[data-testid=publish-message-id]", "e2e-published");
  await wd.fill("[data-testid=publish-headers]", "tenant=acme");
  await wd.click("[data-testid=publish-send]");
  const result = await wd.waitFor("[data-testid=publish-result]", { timeout: 20000 });
  assert.match(await wd.text(result), /confirmed and routed/);
  await h.shot(wd, "91-publish");
  await wd.click("[data-testid=publish-dialog] .form-actions button");
  const found = peek("payments.acme", "--limit", "1000").messages.find((m) => m.properties.message_id === "e2e-published");
  assert.ok(found, "the published message is in payments.acme");
  assert.equal(found.headers.tenant, "acme");
  assert.match(found.body.preview, /"order": 4711/);
  await wd.click("[data-testid=drawer-close]");
});

test("a stream is read from the offset typed", async () => {
  await openQueue(STREAM);
  await wd.click("[data-testid=drawer-peek]");
  await wd.waitFor("[data-testid=peek-row]", { timeout: 20000 });
  assert.match(await wd.text("[data-testid=peek-cost]"), /nothing|no message is removed|consum/i);
  await wd.fill("[data-testid=peek-offset]", "3");
  await wd.click("[data-testid=peek-read]");
  for (let i = 0; i < 40 && (await wd.findAll("[data-testid=peek-row]")).length !== 2; i++) await sleep(250);
  const offsets = await wd.exec("return [...document.querySelectorAll('[data-testid=peek-row] td:first-child')].map((td) => td.textContent)");
  assert.deepEqual(offsets, ["3", "4"]);
  await h.shot(wd, "92-peek-stream");
  await wd.click("[data-testid=peek-close]");
  await wd.click("[data-testid=drawer-close]");
});

test("a dead letter is edited, its diff shown, and the edited copy retried to where it died", async () => {
  await wd.click("[data-testid=tab-deadletters]");
  await wd.click("[data-testid=dlq-page] .dlq-list-head button");
  await wd.waitFor(`[data-testid=dlq-item][title*="payments.acme"]`, { timeout: 30000 });
  await wd.exec(
    `[...document.querySelectorAll('[data-testid=dlq-item]')].find((e) => e.textContent.includes(arguments[0]) && e.textContent.includes('dlq-payments')).click()`,
    [vhost],
  );
  await wd.waitFor("[data-testid=dlq-row]", { timeout: 20000 });
  const depth = peek("dlq-payments", "--limit", "1000").read;
  await wd.click("[data-testid=dlq-row]");
  await wd.click("[data-testid=dlq-edit-retry]");
  await wd.waitFor("[data-testid=edit-retry-dialog]");
  // The editor opens on the whole body, pretty-printed.
  for (let i = 0; i < 60 && !(await wd.exec("return document.querySelector('[data-testid=edit-body]')?.value.startsWith('{')")); i++) await sleep(250);
  const original = JSON.parse(await wd.exec("return document.querySelector('[data-testid=edit-body]').value"));
  const origin = await wd.exec("return document.querySelector('[data-testid=edit-retry-dialog] p code:last-of-type').textContent");
  const edited = { ...original, fixed_by: "e2e" };
  await wd.fill("[data-testid=edit-body]", JSON.stringify(edited, null, 2));
  await wd.fill("[data-testid=edit-set-headers]", "x-fixed=yes");
  await wd.click("[data-testid=edit-preview-button]");
  await wd.waitFor("[data-testid=edit-diff]", { timeout: 20000, textOk: (t) => t.includes('"fixed_by": "e2e"') });
  assert.match(await wd.text("[data-testid=edit-preview]"), /headers: x-fixed/);
  await h.shot(wd, "93-edit-retry-diff");
  await wd.click("[data-testid=edit-retry-button]");
  const result = await wd.waitFor("[data-testid=edit-result]", { timeout: 20000 });
  assert.match(await wd.text(result), new RegExp(`^Retried: the edited copy is in ${origin.replace(/\./g, "\\.")}`));
  // Behind the dialog the DLQ is read again: one message fewer (not a read racing another).
  await wd.waitFor("[data-testid=dlq-page] .queues-toolbar .count", { timeout: 20000, textOk: (t) => t.endsWith(` · ${depth - 1} messages`) });
  await h.shot(wd, "94-edit-retry-done");
  await wd.click("[data-testid=edit-retry-dialog] .form-actions button");
  assert.equal(peek("dlq-payments", "--limit", "1000").read, depth - 1, "the original left the DLQ");
  const back = peek(origin, "--limit", "1000").messages.filter((m) => m.headers["x-fixed"] === "yes");
  assert.equal(back.length, 1, `${origin} holds the edited copy`);
  assert.equal(JSON.parse(back[0].body.preview).fixed_by, "e2e");
  const audit = JSON.parse(h.cli(["audit", "list", "--json"])).filter((r) => r.vhost === vhost && /edit/.test(r.action));
  assert.ok(audit.length >= 1, "the retry is audited");
  assert.ok(!JSON.stringify(audit).includes("fixed_by"), "the audit record never holds the body");
});
