// End-to-end: every view at 1280×800 and at 1024×768, in one app session on a demo topology
// seeded in a vhost of its own (removed afterwards). Per view and size: a screenshot, checks that
// what matters is on screen (or a sideways scroll away inside its table, never the page), and
// axe-core with no serious or critical violation. Tables are also driven by keyboard: Tab
// reaches a row, the arrows move, Enter opens, Escape closes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Harness } from "./harness.mjs";
import { KEY } from "./webdriver.mjs";
import { assertAccessible } from "./axe.mjs";

const h = new Harness();
const vhost = `warren-e2e-layout-${randomBytes(4).toString("hex")}`;
const SIZES = [
  [1280, 800],
  [1024, 768],
];
const KEYS = { TAB: "\uE004", DOWN: "\uE015" };
let wd;

before(async () => {
  await h.start();
  wd = await h.window();
  h.cli(["demo", "seed", "--env", "local", "--vhost", vhost]);
});

after(() => h.finish(wd, () => h.cleanDemo(vhost)));

/** The window at `width`×`height`; resolves once the page has that viewport. */
async function resize(width, height) {
  await wd.setWindowRect({ x: 0, y: 0, width, height });
  const until = Date.now() + 5000;
  let seen;
  while (Date.now() < until) {
    seen = await wd.exec("return [innerWidth, innerHeight]");
    if (seen[0] === width && seen[1] <= height && seen[1] >= height - 40) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the window did not take ${width}×${height}: its viewport is ${seen?.join("×")}`);
}

/** The page itself never scrolls sideways: what does not fit scrolls inside its table. */
async function assertNoPageOverflow(view) {
  const [doc, main] = await wd.exec(`
    const m = document.querySelector("main.main");
    return [[document.documentElement.scrollWidth, innerWidth], [m.scrollWidth, m.clientWidth]];`);
  assert.ok(doc[0] <= doc[1], `${view}: the page is ${doc[0]} px wide in a ${doc[1]} px window`);
  assert.ok(main[0] <= main[1] + 1, `${view}: the main area scrolls sideways (${main[0]} > ${main[1]} px)`);
}

/** Each of `columns` (selectors inside `table`) is within the table's visible box, or becomes
 * so when the table (not the page) scrolls sideways; `pinned` stays in view while it does.
 * Returns the columns that needed the scroll. */
async function assertReachable(view, table, columns, pinned) {
  const result = await wd.exec(
    `const [table, columns, pinned] = arguments;
     const box = document.querySelector(table);
     const inside = (sel) => {
       const el = box.querySelector(sel);
       if (!el) return "missing";
       const r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
       return r.left >= b.left - 1 && r.right <= b.right + 1 ? "in" : "out";
     };
     const before = columns.map(inside);
     box.scrollLeft = box.scrollWidth;
     const after = columns.map(inside);
     const pinnedAfter = pinned ? inside(pinned) : "in";
     box.scrollLeft = 0;
     return { before, after, pinnedAfter };`,
    [table, columns, pinned ?? null],
  );
  columns.forEach((c, i) => {
    assert.notEqual(result.before[i], "missing", `${view}: ${c} is not in ${table}`);
    assert.ok(result.before[i] === "in" || result.after[i] === "in", `${view}: ${c} is neither in view nor reachable by scrolling ${table}`);
  });
  assert.equal(result.pinnedAfter, "in", `${view}: ${pinned} scrolled out of view with the table`);
  return columns.filter((_, i) => result.before[i] !== "in");
}

/** No cell matching `cells` cuts its text (what is cut would need a tooltip to be read). */
async function assertNotCut(view, cells) {
  const cut = await wd.exec(
    `return [...document.querySelectorAll(arguments[0])].filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent.slice(0, 60));`,
    [cells],
  );
  assert.deepEqual(cut, [], `${view}: text cut in ${cells}`);
}

const focused = () => wd.exec("const a = document.activeElement; return a ? (a.dataset.testid ?? a.tagName) + '|' + a.textContent.slice(0, 80) : null");

for (const [width, height] of SIZES) {
  const size = `${width}x${height}`;
  const tag = (n, view) => `${n}-${view}-${width}`;

  test(`${size}: the queue table shows the columns that matter, the rest a scroll away`, async () => {
    await resize(width, height);
    await wd.click("[data-testid=tab-queues]");
    // The window listed the queues before the demo was seeded.
    if (width === SIZES[0][0]) await wd.click("[data-testid=queue-refresh]");
    await wd.fill("[data-testid=queue-filter]", `vhost:${vhost}`);
    await wd.waitFor("[data-testid=queue-count]", { timeout: 30000, textOk: (t) => /^[1-9]\d* of/.test(t) });
    await wd.waitFor("[data-testid=queue-row]");
    await assertNoPageOverflow("queues");
    const named = ["memory", "publish_rate", "deliver_rate", "dead_letter_exchange"].map((c) => `[data-testid=qt-th-${c}]`);
    const first = ["name", "messages", "messages_ready", "messages_unacknowledged", "consumers"].map((c) => `[data-testid=qt-th-${c}]`);
    const scrolled = await assertReachable("queues", "[data-testid=queue-table]", [...first, ...named], "[data-testid=qt-th-name]");
    for (const c of first) assert.ok(!scrolled.includes(c), `queues: ${c} needs a sideways scroll at ${size}`);
    if (width >= 1280) assert.deepEqual(scrolled, [], `queues: at ${size} every column the issue named is in view`);
    await h.shot(wd, tag(40, "queues"));
    await assertAccessible(wd, `queues ${size}`);
  });

  test(`${size}: a queue row is reached with Tab, opened with Enter, closed with Escape`, async () => {
    // From the select-all box, Tab goes to the sortable column headers (Enter sorts), then from
    // the last of them to the table's one row stop; the arrows move along the rows.
    await wd.exec("document.querySelector('[data-testid=select-all]').focus()");
    await wd.chord([KEYS.TAB]);
    assert.match(await focused(), /^qt-th-/, "Tab reaches a sortable column header");
    await wd.exec("const hs = document.querySelectorAll(\"[data-testid=queue-table] [role=columnheader][tabindex='0']\"); hs[hs.length - 1].focus()");
    await wd.chord([KEYS.TAB]);
    assert.match(await focused(), /^queue-row\|/, "Tab reaches the first row");
    await wd.chord([KEYS.DOWN]);
    const second = await focused();
    assert.match(second, /^queue-row\|/);
    const name = await wd.exec("return document.activeElement.querySelector('[data-col=name]').textContent");
    await wd.chord([KEY.ENTER]);
    await wd.waitFor("[data-testid=queue-drawer]");
    assert.equal(await wd.exec("return document.querySelector('[data-testid=queue-drawer] h2').textContent"), name, "the drawer shows the focused row");
    await wd.waitFor("[data-testid=drawer-bindings] li");
    await h.shot(wd, tag(41, "queue-drawer"));
    await assertAccessible(wd, `queue drawer ${size}`);
    // A dialog over the drawer: its own Escape closes it, the next one the drawer.
    await wd.click("[data-testid=drawer-purge]");
    await wd.waitFor("[data-testid=purge-confirm]");
    await h.shot(wd, tag(42, "purge-dialog"));
    await assertAccessible(wd, `purge dialog ${size}`);
    await wd.chord([KEY.ESCAPE]);
    await waitGone("[data-testid=purge-confirm]");
    assert.ok(await wd.exec("return !!document.querySelector('[data-testid=queue-drawer]')"), "Escape in the dialog left the drawer open");
    await wd.click("[data-testid=drawer-move]");
    await wd.waitFor("[data-testid=move-dialog]");
    await assertAccessible(wd, `move dialog ${size}`);
    // Its destination field (focused, with a datalist) opens a suggestion popup: close it first.
    await wd.exec("document.activeElement.blur()");
    await wd.click("[data-testid=move-dialog] h2");
    await wd.chord([KEY.ESCAPE]);
    await waitGone("[data-testid=move-dialog]");
    await wd.chord([KEY.ESCAPE]);
    await waitGone("[data-testid=queue-drawer]");
    assert.equal(await wd.exec("return document.activeElement.querySelector('[data-col=name]')?.textContent ?? null"), name, "the focus is back on the row");
  });

  test(`${size}: the realm table's headers sit over their numbers`, async () => {
    await wd.click("[data-testid=tab-realms]");
    await wd.waitFor("[data-testid=realm-row]", { timeout: 30000 });
    await wd.click("[data-testid=realms-view-realms]");
    await wd.waitFor("[data-testid=realm-row]");
    await assertNoPageOverflow("realms");
    const misfits = await wd.exec(`
      const table = document.querySelector("[data-testid=realm-table]");
      const heads = [...table.querySelectorAll(".rt-head > [role=columnheader]")];
      const cells = [...table.querySelector("[data-testid=realm-row]").children];
      const out = [];
      heads.forEach((h, i) => {
        if (h.querySelector(".sr-only")) return; // the actions: pinned to the right edge on hover
        const r = h.getBoundingClientRect(), c = cells[i].getBoundingClientRect();
        const text = document.createRange(); text.selectNodeContents(h);
        const t = text.getBoundingClientRect();
        if (Math.abs(r.left - c.left) > 1 || Math.abs(r.right - c.right) > 1) out.push(h.textContent + ": not over its column");
        if (h.textContent.trim() && (t.left < r.left - 1 || t.right > r.right + 1)) out.push(h.textContent + ": wider than its column");
      });
      return out;`);
    assert.deepEqual(misfits, []);
    await assertReachable("realms", "[data-testid=realm-table]", [".rt-head > :nth-child(12)", "[data-col=dead-letters]"], ".rt-head > :first-child");
    await h.shot(wd, tag(43, "realms"));
    await assertAccessible(wd, `realms ${size}`);
    await wd.click("[data-testid=realms-view-grid]");
    await wd.waitFor("[data-testid=realm-heatmap][data-hot-cell]", { timeout: 15000 });
    await assertNoPageOverflow("realm grid");
    await h.shot(wd, tag(44, "realm-grid"));
    await assertAccessible(wd, `realm grid ${size}`);
    await wd.click("[data-testid=realms-view-realms]");
  });

  test(`${size}: the dead letters, a message and its x-death history fit`, async () => {
    await wd.click("[data-testid=tab-deadletters]");
    await wd.waitFor("[data-testid=dlq-item]", { timeout: 30000 });
    const picked = await wd.exec(
      `const items = [...document.querySelectorAll('[data-testid=dlq-item]')].filter((e) => e.textContent.includes(arguments[0]) && e.textContent.includes('dlq-payments'));
       items[0]?.click(); return items.length;`,
      [vhost],
    );
    assert.equal(picked, 1, "the demo's dlq-payments is listed");
    await wd.waitFor("[data-testid=dlq-row]", { timeout: 20000 });
    await assertNoPageOverflow("dead letters");
    await assertReachable("dead letters", "[data-testid=dlq-table]", [".dlq-head > :nth-child(7)", ".dlq-head > :nth-child(8)"]);
    await assertNotCut("dead letters", "[data-testid=dlq-row] > .nowrap");
    await h.shot(wd, tag(45, "dead-letters"));
    await assertAccessible(wd, `dead letters ${size}`);
    // A message row by keyboard: focus, Enter opens its detail, Escape closes it.
    await wd.exec("document.querySelector('[data-testid=dlq-row]').focus()");
    await wd.chord([KEY.ENTER]);
    await wd.waitFor("[data-testid=xdeath-table] tbody tr");
    await assertNotCut("x-death", "[data-testid=xdeath-table] td, [data-testid=xdeath-table] th");
    const timeShown = await wd.exec(`
      const td = document.querySelector("[data-testid=xdeath-table] tbody tr td:last-child");
      const scroller = td.closest(".table-scroll");
      scroller.scrollLeft = scroller.scrollWidth;
      const r = td.getBoundingClientRect(), b = scroller.getBoundingClientRect();
      const ok = r.left >= b.left - 1 && r.right <= b.right + 1 && r.right <= innerWidth;
      scroller.scrollLeft = 0;
      return ok;`);
    assert.ok(timeShown, "the x-death time is in view, or a sideways scroll away in the drawer");
    await h.shot(wd, tag(46, "dead-letter-message"));
    await assertAccessible(wd, `dead-letter message ${size}`);
    await wd.chord([KEY.ESCAPE]);
    await waitGone("[data-testid=dlq-message]");
    // The replay dialog with its plan (nothing runs until its button is pressed).
    await wd.click("[data-testid=dlq-retry-all]");
    await wd.waitFor("[data-testid=replay-plan]", { timeout: 20000 });
    await h.shot(wd, tag(46, "replay-dialog"));
    await assertAccessible(wd, `replay dialog ${size}`);
    await wd.chord([KEY.ESCAPE]);
    await waitGone("[data-testid=replay-dialog]");
  });

  test(`${size}: the audit log shows whole counts`, async () => {
    if (width === SIZES[0][0]) {
      // Something with counts to show: purge one demo queue (a dev environment: no typed name).
      await wd.click("[data-testid=tab-queues]");
      await wd.fill("[data-testid=queue-filter]", `vhost:${vhost} name=billing.acme`);
      await wd.waitFor("[data-testid=queue-count]", { textOk: (t) => t.startsWith("1 of") });
      await wd.click("[data-testid=queue-row]");
      await wd.click("[data-testid=drawer-purge]");
      await wd.click("[data-testid=purge-confirm]");
      await wd.waitFor("[data-testid=purge-result]", { timeout: 20000 });
      await wd.chord([KEY.ESCAPE]);
      await wd.chord([KEY.ESCAPE]);
    }
    await wd.click("[data-testid=tab-audit]");
    await wd.waitFor("[data-testid=audit-row]", { timeout: 15000, textOk: (t) => t.includes("purge") });
    await assertNoPageOverflow("audit");
    await assertNotCut("audit", "[data-testid=audit-row] > [role=cell]");
    await h.shot(wd, tag(47, "audit"));
    await assertAccessible(wd, `audit ${size}`);
  });

  test(`${size}: the environment page and form keep their actions in view`, async () => {
    await wd.click("[data-testid=tab-environment]");
    await wd.click("[data-testid=test-connection]");
    await wd.waitFor("[data-testid=test-result]", { timeout: 20000 });
    await assertNoPageOverflow("environment");
    await h.shot(wd, tag(48, "environment"));
    await assertAccessible(wd, `environment ${size}`);
    await wd.click("[data-testid=edit-environment]");
    await wd.waitFor("[data-testid=environment-form]");
    await wd.click("[data-testid=form-test]");
    await wd.waitFor("[data-testid=environment-form] [data-testid=test-result]", { timeout: 20000 });
    const save = await wd.exec(`
      const b = document.querySelector("[data-testid=form-save]");
      const r = b.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return { top: r.top, bottom: r.bottom, height: innerHeight, onTop: b === hit || b.contains(hit) };`);
    assert.ok(save.top >= 0 && save.bottom <= save.height, `Save at ${save.top}–${save.bottom} px, outside the ${save.height} px window`);
    assert.ok(save.onTop, "Save is covered by something else");
    // …and the answer of Test connection is scrolled into view, not left under the actions.
    const answerShown = await wd.exec(`
      const r = document.querySelector("[data-testid=environment-form] [data-testid=management-check]").getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + 20, r.top + r.height / 2);
      return !!hit?.closest("[data-testid=management-check]");`);
    assert.ok(answerShown, "the connection check is hidden after Test connection");
    await h.shot(wd, tag(49, "environment-form"));
    await assertAccessible(wd, `environment form ${size}`);
    await wd.chord([KEY.ESCAPE]);
    await waitGone("[data-testid=environment-form]");
  });

  test(`${size}: the switcher and the sidebar mark the current environment`, async () => {
    assert.equal(await wd.exec("return document.querySelector('nav.sidebar [aria-current=true]')?.dataset.testid"), "env-item-local");
    await wd.chord([KEY.CONTROL, "k"]);
    await wd.waitFor("[data-testid=switcher]");
    assert.equal(await wd.exec("return document.querySelector('[data-testid=switcher] [aria-current=true]')?.dataset.testid"), "switcher-item-local");
    assert.match(await wd.text("[data-testid=switcher-item-local]"), /current/);
    await h.shot(wd, tag(50, "switcher"));
    await assertAccessible(wd, `switcher ${size}`);
    await wd.chord([KEY.ESCAPE]);
    await waitGone("[data-testid=switcher]");
  });
}

test("a realm row drills to its queues with Enter", async () => {
  await wd.click("[data-testid=tab-realms]");
  await wd.waitFor("[data-testid=realm-row]", { timeout: 30000 });
  const key = await wd.exec("const r = document.querySelector('[data-testid=realm-row]'); r.focus(); return r.querySelector('.rt-key').firstChild.textContent");
  await wd.chord([KEY.ENTER]);
  await wd.waitFor("[data-testid=tab-queues][aria-selected=true]");
  const filter = await wd.exec("return document.querySelector('[data-testid=queue-filter]').value");
  assert.ok(filter.includes(key), `the queue filter ${JSON.stringify(filter)} names the realm ${key}`);
});

async function waitGone(css, timeout = 5000) {
  const until = Date.now() + timeout;
  while (Date.now() < until) {
    if (!(await wd.exec("return !!document.querySelector(arguments[0])", [css]))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${css} is still shown`);
}
