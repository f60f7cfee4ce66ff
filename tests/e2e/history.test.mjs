// End-to-end: the window's history. Each load of the queues records a sample; between two loads
// the test publishes to an empty queue of its own beside the demo topology (a vhost of its own,
// removed afterwards), so that queue and its realm grew from 0 by exactly what was published. Then: the grown row draws its sparkline and a
// "growing since" badge, the queue drawer charts its points, the realm's history opens from the
// Realms tab, and the Growers view lists the queue and the realm with their growing-since time
// and drills into the queue table. The whole file runs on the dark theme.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { BROKER, Harness, brokerApi as api } from "./harness.mjs";
import { assertAccessible } from "./axe.mjs";

// Dark: the other files show the light theme; here the new views' colours (sparklines, badges,
// the chart's band) are checked for contrast by axe on the dark one.
const h = new Harness({ GTK_THEME: "Adwaita:dark" });
const vhost = `warren-e2e-history-${randomBytes(4).toString("hex")}`;
// Worker billing, realm e2egrow under the demo's template ({worker}.{realm}); empty until the test
// publishes, so whatever it holds came from the test (the demo's own counts settle for seconds).
const QUEUE = "billing.e2egrow";
const REALM = "e2egrow";
const PUBLISHED = 40;
let wd;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


const queuePath = `queues/${encodeURIComponent(vhost)}/${encodeURIComponent(QUEUE)}`;

/** The queue's count as the management API lists it (what a refresh reads), once it has reached
 * `atLeast` (the API's counters trail a publish by a statistics interval). */
async function listedMessages(atLeast) {
  let n = -1;
  for (let i = 0; i < 60; i++) {
    n = (await api("GET", `${queuePath}?columns=messages`)).messages ?? 0;
    if (n >= atLeast) return n;
    await sleep(500);
  }
  throw new Error(`${QUEUE} lists ${n} messages, expected at least ${atLeast}`);
}

/** Refresh the queue table (one sample) and wait until the load is done. */
async function refresh() {
  await wd.waitFor("[data-testid=queue-refresh]:not([disabled])", { timeout: 30000 });
  await wd.click("[data-testid=queue-refresh]");
  await sleep(200);
  await wd.waitFor("[data-testid=queue-refresh]:not([disabled])", { timeout: 60000 });
}

/** Choose the vhost in the header's picker, as a user's pick fires `change`. */
async function pickVhost(v) {
  await wd.exec(
    `const s = document.querySelector('[data-testid=vhost-picker]');
     const o = [...s.options].find((o) => o.value === arguments[0]);
     Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(s, o.value);
     s.dispatchEvent(new Event('change', { bubbles: true }));`,
    [v],
  );
}

/** The queue's row in the table (filtered to it), as seen by the page. */
const queueRow = () =>
  wd.exec(
    `const row = [...document.querySelectorAll('[data-testid=queue-row]')].find((r) => r.querySelector('[data-col=name]').textContent.startsWith(arguments[0]));
     if (!row) return null;
     const line = row.querySelector('[data-testid=sparkline]');
     return { points: Number(line?.dataset.points ?? 0), drawn: row.querySelectorAll('[data-testid=sparkline] polyline, [data-testid=sparkline] circle').length,
              badge: row.querySelector('[data-testid=growing-badge]')?.getAttribute('title') ?? null };`,
    [QUEUE],
  );

before(async () => {
  await h.start();
  wd = await h.window();
  h.cli(["demo", "seed", "--env", "local", "--vhost", vhost]);
  const r = await fetch(`${BROKER.management}/api/${queuePath}`, {
    method: "PUT",
    headers: { authorization: `Basic ${Buffer.from("guest:guest").toString("base64")}`, "content-type": "application/json" },
    body: JSON.stringify({ durable: true, arguments: {} }),
  });
  assert.ok(r.ok, `declare ${QUEUE}: ${r.status}`);
});

after(() => h.finish(wd, () => h.cleanDemo(vhost)));

test("two loads with messages published between them: the grown row draws its trend and a badge", async () => {
  await wd.click("[data-testid=tab-queues]");
  await wd.waitFor("[data-testid=queue-filter]");
  await refresh(); // the window listed the queues before the seed
  await wd.waitFor("[data-testid=vhost-picker]");
  await pickVhost(vhost);
  await wd.fill("[data-testid=queue-filter]", `worker:billing`);
  await wd.waitFor("[data-testid=queue-count]", { timeout: 30000, textOk: (t) => /^[1-9]\d* of/.test(t) });
  // First sample: the queue is empty.
  await wd.waitFor("[data-testid=queue-row]", { timeout: 30000 });
  assert.equal(await listedMessages(0), 0);
  await refresh();
  // Grow one queue, wait until the API lists it, then the second sample.
  for (let i = 0; i < PUBLISHED; i++)
    await api("POST", `exchanges/${encodeURIComponent(vhost)}/amq.default/publish`, {
      properties: {},
      routing_key: QUEUE,
      payload: `grown ${i}`,
      payload_encoding: "string",
    });
  await listedMessages(PUBLISHED);
  await refresh();
  let seen = null;
  for (let i = 0; i < 60; i++) {
    seen = await queueRow();
    if (seen?.drawn > 0 && seen.badge) break;
    await sleep(250);
  }
  assert.ok(seen, `${QUEUE} is in the table`);
  assert.ok(seen.points >= 1 && seen.drawn >= 1, `a sparkline is drawn on ${QUEUE}: ${JSON.stringify(seen)}`);
  assert.match(seen.badge ?? "", new RegExp(`^Growing since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\nmessages: 0 → ${PUBLISHED} \\(\\+${PUBLISHED}\\) over the last 1 h$`));
  await h.shot(wd, "80-history-sparklines");
});

test("the queue drawer charts the queue's samples, with a range picker", async () => {
  await wd.exec(
    `[...document.querySelectorAll('[data-testid=queue-row]')].find((r) => r.querySelector('[data-col=name]').textContent.startsWith(arguments[0])).click()`,
    [QUEUE],
  );
  await wd.waitFor("[data-testid=queue-drawer]");
  const chart = "[data-testid=queue-drawer] [data-testid=history-chart]";
  await wd.waitFor(`${chart}[data-points]`, { timeout: 15000 });
  await wd.waitFor(`${chart} canvas`, { timeout: 15000 });
  const points = Number(await wd.attribute(chart, "data-points"));
  assert.ok(points >= 2, `the drawer's chart shows the two samples (${points} points)`);
  await wd.exec("document.querySelector('[data-testid=queue-drawer] [data-testid=history-chart]').scrollIntoView({ block: 'center' })");
  await h.shot(wd, "81-history-queue-drawer");
  await wd.click("[data-testid=queue-drawer] [data-testid=history-range-86400]");
  await wd.waitFor(`${chart} [data-testid=history-range-86400][aria-pressed=true]`);
  await wd.waitFor(`${chart}[data-points]`, { timeout: 15000 });
  assert.ok(Number(await wd.attribute(chart, "data-points")) >= 2, "24 h holds the same samples");
  await wd.click("[data-testid=drawer-close]");
});

test("the Realms tab draws each realm's trend and opens a realm's history", async () => {
  await wd.click("[data-testid=tab-realms]");
  await wd.click("[data-testid=realms-view-realms]");
  await wd.waitFor("[data-testid=realm-row]", { timeout: 30000 });
  const realmRow = `[...document.querySelectorAll('[data-testid=realm-row]')].find((r) => r.querySelector('.rt-key').textContent === '${REALM}')`;
  // The smallest realm sits last: on screen first (only rows on screen ask for their history).
  for (let i = 0; i < 120 && !(await wd.exec(`return !!${realmRow}`)); i++) await sleep(250);
  await wd.exec(`${realmRow}.scrollIntoView({ block: 'center' })`);
  // The badges and the sparklines of the rows on screen arrive once the rows have settled.
  const trend = () =>
    wd.exec(`const row = ${realmRow}; return row ? { badge: !!row.querySelector('[data-testid=growing-badge]'), points: Number(row.querySelector('[data-testid=sparkline]').dataset.points) } : null`);
  let seen = null;
  for (let i = 0; i < 60 && !((seen = await trend())?.badge && seen.points >= 1); i++) await sleep(250);
  assert.ok(seen?.badge, `realm ${REALM} has a growing badge`);
  assert.ok(seen.points >= 1, `realm ${REALM} draws its sparkline`);
  await h.shot(wd, "82-history-realms");
  await wd.exec(`${realmRow}.querySelector('[data-testid=realm-history]').click()`);
  await wd.waitFor("[data-testid=history-drawer] [data-testid=history-chart][data-points]", { timeout: 15000 });
  await wd.waitFor("[data-testid=history-drawer] canvas");
  assert.ok(Number(await wd.attribute("[data-testid=history-drawer] [data-testid=history-chart]", "data-points")) >= 2);
  await h.shot(wd, "83-history-realm-drawer");
  await wd.click("[data-testid=history-drawer-close]");
});

test("the Growers view lists the grown realm and queue with since when, and drills into the queue", async () => {
  await wd.click("[data-testid=tab-growers]");
  await wd.waitFor("[data-testid=growers-page]");
  const sinceOf = (key) =>
    wd.exec(
      `const row = [...document.querySelectorAll('[data-testid=grower-row]')].find((r) => r.querySelector('[data-testid=grower-key]').firstChild.textContent === arguments[0]);
       return row ? row.querySelector('[data-testid=grower-since]').textContent : null;`,
      [key],
    );
  await wd.waitFor("[data-testid=grower-row]", { timeout: 15000 });
  for (let i = 0; i < 40 && !(await sinceOf(REALM)); i++) await sleep(250);
  assert.match((await sinceOf(REALM)) ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · /, `realm ${REALM} grew`);
  assert.match(await wd.textContent("[data-testid=history-info]"), /^History: .+ · [\d,]+ samples of [\d,]+ series · \d{4}-.+ → \d{4}-/);
  await h.shot(wd, "84-history-growers-realms");
  await wd.click("[data-testid=growers-by-queue]");
  await wd.waitFor("[data-testid=growers-count]", { textOk: (t) => /queues grew/.test(t) });
  for (let i = 0; i < 40 && !(await sinceOf(QUEUE)); i++) await sleep(250);
  assert.match((await sinceOf(QUEUE)) ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · /, `${QUEUE} grew`);
  await h.shot(wd, "85-history-growers-queues");
  await wd.exec(
    `[...document.querySelectorAll('[data-testid=grower-row]')].find((r) => r.querySelector('[data-testid=grower-key]').firstChild.textContent === arguments[0]).click()`,
    [QUEUE],
  );
  await wd.waitFor("[data-testid=queue-count]", { timeout: 30000, textOk: (t) => t.startsWith("1 of") });
  const filter = await wd.exec("return document.querySelector('[data-testid=queue-filter]').value");
  assert.ok(filter.startsWith(`name=${QUEUE}`), filter);
  assert.equal(await wd.textContent("[data-testid=queue-row] [data-col=name]"), QUEUE);
});

for (const [width, height] of [
  [1280, 800],
  [1024, 768],
]) {
  test(`${width}x${height}: the Growers view and a history chart fit, with no serious axe finding`, async () => {
    await wd.setWindowRect({ x: 0, y: 0, width, height });
    for (let i = 0; i < 100 && (await wd.exec("return innerWidth")) !== width; i++) await sleep(50);
    await wd.click("[data-testid=tab-growers]");
    await wd.click("[data-testid=growers-by-realm]");
    await wd.waitFor("[data-testid=grower-row]", { timeout: 15000 });
    const [page, main] = await wd.exec(`
      const m = document.querySelector("main.main");
      return [[document.documentElement.scrollWidth, innerWidth], [m.scrollWidth, m.clientWidth]];`);
    assert.ok(page[0] <= page[1] && main[0] <= main[1] + 1, `the page does not scroll sideways: ${JSON.stringify({ page, main })}`);
    await assertAccessible(wd, `growers ${width}`);
    await h.shot(wd, `86-history-growers-${width}`);
    await wd.exec("document.querySelector('[data-testid=grower-history]').click()");
    await wd.waitFor("[data-testid=history-drawer] canvas", { timeout: 15000 });
    await assertAccessible(wd, `history drawer ${width}`);
    await h.shot(wd, `87-history-drawer-${width}`);
    await wd.click("[data-testid=history-drawer-close]");
  });
}
