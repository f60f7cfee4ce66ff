// End-to-end: the dead-letter screen on the demo topology (a vhost of its own, removed
// afterwards): the demo's DLQ is found, a message's x-death history is shown, "Retry all" plans,
// runs with a progress bar to 100 %, and the origin queues get their messages back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { BROKER, Harness } from "./harness.mjs";

const h = new Harness();
const vhost = `warren-e2e-dlq-${randomBytes(4).toString("hex")}`;
let wd;

before(async () => {
  await h.start();
  wd = await h.window();
  h.cli(["demo", "seed", "--env", "local", "--vhost", vhost]);
});

after(() => h.finish(wd, () => h.cleanDemo(vhost)));

/** Messages in the payments/payouts queues of the demo vhost, by exact (AMQP) counts via the CLI's replay plan. */
const dlqDepth = () => JSON.parse(h.cli(["dlq", "replay", "--env", "local", "--vhost", vhost, "--queue", "dlq-payments", "--dry-run", "--json"])).plan.depth;

test("the demo DLQ shows its messages with their x-death history", async () => {
  await wd.click("[data-testid=tab-deadletters]");
  await wd.click("[data-testid=dlq-page] .dlq-list-head button");
  // The window lists the DLQs of every vhost: pick the demo's dlq-payments.
  // Another vhost may hold a demo too: wait for this one's.
  const item = `[data-testid=dlq-item][title*="payments.acme"]`;
  await wd.waitFor(item, { timeout: 30000 });
  for (let i = 0; i < 120 && !(await wd.exec(`return [...document.querySelectorAll('${item}')].some((e) => e.textContent.includes(arguments[0]))`, [vhost])); i++)
    await new Promise((r) => setTimeout(r, 250));
  const clicked = await wd.exec(
    `const items = [...document.querySelectorAll('[data-testid=dlq-item]')].filter((e) => e.textContent.includes(arguments[0]) && e.textContent.includes('dlq-payments'));
     items[0]?.click(); return items.map((e) => e.textContent);`,
    [vhost],
  );
  assert.equal(clicked.length, 1, `one dlq-payments of the test's vhost among ${JSON.stringify(clicked)}`);
  await wd.waitFor("[data-testid=dlq-row]", { timeout: 20000 });
  const groups = await wd.waitFor("[data-testid=dlq-groups]");
  assert.match(await wd.text(groups), /payments\.acme · rejected/);
  assert.match(await wd.text("[data-testid=dlq-cost]"), /redelivered/);
  await wd.click("[data-testid=dlq-row]");
  await wd.waitFor("[data-testid=xdeath-table] tbody tr");
  const [queue, reason, exchange, keys, count] = await wd.exec(
    "return [...document.querySelectorAll('[data-testid=xdeath-table] tbody tr:first-child td')].map((td) => td.textContent)",
  );
  assert.match(queue, /^pay\w+\.\w+$/, "died in a payments/payouts queue");
  assert.deepEqual([reason, exchange, keys, count], ["rejected", "work", queue, "1"]);
  await h.shot(wd, "30-dead-letters");
  await wd.click("[data-testid=dlq-message-close]");
});

test("Retry all replays the DLQ to the origin queues with a progress bar", async () => {
  const before = dlqDepth();
  assert.equal(before, 48, "the demo's payments dead letters");
  await wd.click("[data-testid=dlq-retry-all]");
  const plan = await wd.waitFor("[data-testid=replay-plan]", { timeout: 20000 });
  assert.match(await wd.text(plan), /48 message\(s\) go to the queue each message died in; 0 stay/);
  await h.shot(wd, "31-replay-plan");
  await wd.click("[data-testid=replay-start]");
  await wd.waitFor("[data-testid=replay-progress-text]", { timeout: 30000, textOk: (t) => t.startsWith("100 %") });
  const report = await wd.waitFor("[data-testid=replay-report]", { timeout: 30000 });
  assert.match(await wd.text(report), /Replayed 48 message\(s\) in [\d.]+ s; kept 0/);
  // 4.3 has local shovels (inside the broker); older lines the AMQP 0-9-1 one. The report says which.
  const [major, minor] = BROKER.line.split(".").map(Number);
  const kind = major > 4 || (major === 4 && minor >= 3) ? "a local shovel, inside the broker" : "an AMQP 0-9-1 shovel";
  assert.ok((await wd.text(report)).includes(`Moved broker-side (${kind}).`), await wd.text(report));
  await h.shot(wd, "32-replay-done");
  await wd.click("[data-testid=replay-close]");
  assert.equal(dlqDepth(), 0, "the DLQ is empty");
  // The origin queues got them back: each of the 8 payments/payouts queues that dead-lettered 6.
  const shown = JSON.parse(h.cli(["dlq", "show", "--env", "local", "--vhost", vhost, "--queue", "payments.acme", "--limit", "1000", "--json"]));
  const replayed = shown.messages.filter((m) => m.replay && m.replay.count === 1);
  assert.equal(replayed.length, 6, "payments.acme holds its 6 replayed messages, marked by Warren");
});

test("the replay is in the audit log, whose hash chain is intact", async () => {
  await wd.click("[data-testid=tab-audit]");
  await wd.waitFor("[data-testid=audit-chain]", { timeout: 15000, textOk: (t) => t.startsWith("hash chain intact") });
  await wd.waitFor("[data-testid=audit-row]", { textOk: (t) => t.includes("dlq.replay") });
  // The counts cell is clipped with an ellipsis: read its whole text.
  assert.match(await wd.textContent("[data-testid=audit-row]"), /dlq\.replay.*replayed 48/);
  await h.shot(wd, "33-audit");
  const verify = JSON.parse(h.cli(["audit", "verify", "--json"]));
  assert.equal(verify.ok, true);
  const replays = JSON.parse(h.cli(["audit", "list", "--action", "dlq.replay", "--json"]));
  assert.ok(replays.some((r) => r.vhost === vhost && r.counts?.replayed === 48 && r.outcome === "ok"));
  // Written before the change, so a killed run would still show: the "started" record.
  assert.ok(replays.some((r) => r.vhost === vhost && r.outcome === "started"));
});
