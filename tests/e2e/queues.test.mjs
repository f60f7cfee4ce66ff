// End-to-end: the queue table in the real window on a demo topology seeded in a vhost of its
// own (removed afterwards): filter, count, sort order, a filter error, and the detail drawer.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Harness } from "./harness.mjs";

const h = new Harness();
const vhost = `warren-e2e-${randomBytes(4).toString("hex")}`;
let wd;

before(async () => {
  await h.start();
  wd = await h.session(); // first start: creates `local` with its keyring password
  await wd.waitFor("[data-testid=env-item-local]");
  h.cli(["demo", "seed", "--env", "local", "--vhost", vhost]);
});

after(async () => {
  await wd?.stop();
  try {
    h.cli(["demo", "clean", "--env", "local", "--vhost", vhost]);
  } finally {
    await h.stop();
  }
});

test("the queue table filters the demo topology", async () => {
  await wd.click("[data-testid=tab-queues]");
  await wd.click("[data-testid=queue-refresh]");
  await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => /of [\d,]+ queues/.test(t) && !t.startsWith("0 of 0") });
  await wd.type("[data-testid=queue-filter]", `vhost:${vhost} billing.*`);
  const count = await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => t.startsWith("12 of") });
  assert.match(await wd.text(count), /^12 of [\d,]+ queues$/);
  await wd.waitFor("[data-testid=queue-row]");
  const first = await wd.textContent("[data-testid=queue-row]");
  assert.match(first, new RegExp(`^${vhost}billing\\.acme`), "rows are in vhost, name order");
  await h.shot(wd, "10-queues-filtered");
});

test("a filter error points at the position and says what was expected", async () => {
  await wd.fill("[data-testid=queue-filter]", "messages>lots");
  const err = await wd.waitFor("[data-testid=filter-error]");
  assert.match(await wd.text(err), /expected a number/);
  await h.shot(wd, "11-filter-error");
});

test("a row opens the detail drawer with the dead-letter target", async () => {
  await wd.fill("[data-testid=queue-filter]", `vhost:${vhost} name=payments.acme`);
  await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => t.startsWith("1 of") });
  await wd.click("[data-testid=queue-row]");
  await wd.waitFor("[data-testid=queue-drawer]");
  const drawer = await wd.textContent("[data-testid=queue-drawer]");
  assert.match(drawer, /payments\.acme/);
  assert.match(drawer, /exchange dlx\.payments/);
  await wd.waitFor("[data-testid=drawer-bindings]", { textOk: (t) => t.includes("work") });
  const bindings = await wd.textContent("[data-testid=drawer-bindings]");
  assert.match(bindings, /work → key payments\.acme/);
  assert.match(bindings, /\(default exchange\) → key payments\.acme/);
  await h.shot(wd, "12-queue-drawer");
  await wd.click("[data-testid=drawer-close]");
});

async function messagesOf(filterText) {
  await wd.fill("[data-testid=queue-filter]", filterText);
  await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => t.startsWith("1 of") });
  return Number((await wd.textContent("[data-testid=queue-row] [data-col=messages]")).replace(/[^\d].*$/, "").replace(/,/g, ""));
}

test("purging a queue in a dev environment empties it", async () => {
  const filter = `vhost:${vhost} name=billing.acme`;
  // The management API's counts lag a stats interval behind the broker: refresh until seen.
  for (let i = 0; i < 20 && (await messagesOf(filter)) === 0; i++) {
    await wd.click("[data-testid=queue-refresh]");
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.ok((await messagesOf(filter)) > 0, "the demo's billing.acme has a backlog");
  await wd.click("[data-testid=queue-row]");
  await wd.click("[data-testid=drawer-purge]");
  await wd.waitFor("[data-testid=purge-dialog]");
  await h.shot(wd, "13-purge-confirm");
  await wd.click("[data-testid=purge-confirm]");
  const result = await wd.waitFor("[data-testid=purge-result]");
  assert.match(await wd.text(result), /Purged [1-9][\d,]* messages from 1 queue/);
  await wd.click("[data-testid=purge-dialog] .ghost");
  await wd.click("[data-testid=drawer-close]");
  let after = -1;
  for (let i = 0; i < 20 && after !== 0; i++) {
    await wd.click("[data-testid=queue-refresh]");
    await new Promise((r) => setTimeout(r, 1000));
    after = await messagesOf(filter);
  }
  assert.equal(after, 0);
  await h.shot(wd, "14-purged");
});

test("on a read-only environment the core refuses the purge", async () => {
  await wd.click("[data-testid=add-environment]");
  await wd.fill("[data-testid=input-name]", "Read only");
  await wd.fill("[data-testid=input-username]", "guest");
  await wd.type("[data-testid=input-password]", "guest");
  await wd.click("[data-testid=input-readOnly]");
  await wd.click("[data-testid=form-save]");
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "Read only" });
  await wd.click("[data-testid=tab-queues]");
  await wd.type("[data-testid=queue-filter]", `vhost:${vhost} name=email.acme`);
  await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => t.startsWith("1 of") });
  await wd.click("[data-testid=queue-row]");
  await wd.click("[data-testid=drawer-purge]");
  await wd.click("[data-testid=purge-confirm]");
  const err = await wd.waitFor("[data-testid=purge-error]");
  assert.match(await wd.text(err), /read-only/);
  await h.shot(wd, "15-read-only-refused");
  await wd.click("[data-testid=purge-dialog] .ghost");
  await wd.click("[data-testid=drawer-close]");
  assert.ok((await messagesOf(`vhost:${vhost} name=email.acme`)) > 0, "the refused purge left the messages");
});
