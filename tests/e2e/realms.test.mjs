// End-to-end: the realm screens on the demo topology (a vhost of its own, removed afterwards):
// the suggested template, the heaviest realm first, workers, the heatmap, a drill-down into the
// queue table, and the template editor's live preview.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Harness } from "./harness.mjs";

const h = new Harness();
const vhost = `warren-e2e-realms-${randomBytes(4).toString("hex")}`;
let wd;
let seeded; // the seed's report: messages waiting and dead-lettered

const LOGS = "https://kibana.example/app/discover#/?q=realm:{realm}%20worker:{worker}%20queue:{queue}";

before(async () => {
  await h.start();
  // The CLI and the app share the config: the logs link is set before the window opens.
  h.cli(["env", "edit", "local", "--logs-url", LOGS]);
  wd = await h.window();
  seeded = JSON.parse(h.cli(["demo", "seed", "--env", "local", "--vhost", vhost, "--json"]));
});

after(() => h.finish(wd, () => h.cleanDemo(vhost)));

test("the realm view shows the suggested template and the heaviest realm first", async () => {
  await wd.click("[data-testid=tab-realms]");
  // The window may still hold the listing from before the seed: wait for the new one.
  const template = await wd.waitFor("[data-testid=realms-template]", { timeout: 30000, textOk: (t) => /12 realms/.test(t) });
  assert.match(await wd.text(template), /template \{worker\}\.\{realm\} \(suggested\) · 12 realms · 40 workers/);
  // The management API's counters settle queue by queue a stats interval after the seed: wait
  // until the table's messages (realms + unpartitioned) add up to what the seed left.
  const shown = () =>
    wd.exec(
      "return [...document.querySelectorAll('[data-testid=realm-table] .rt-row:not(.rt-head)')].reduce((n, r) => n + Number(r.children[3].textContent.replace(/,/g, '')), 0)",
    );
  const expected = seeded.messages + seeded.dead_lettered;
  for (let i = 0; i < 30 && (await shown()) !== expected; i++) {
    await wd.click("[data-testid=realms-page] .queues-toolbar > button:last-child");
    await new Promise((r) => setTimeout(r, 1000));
  }
  assert.equal(await shown(), expected, "the counters settled");
  assert.equal(await wd.textContent("[data-testid=realm-row] .rt-key"), "acme", "the demo's heaviest realm");
  await wd.waitFor("[data-testid=realm-chart] canvas");
  assert.equal((await wd.findAll("[data-testid=realm-row]")).length, 12);
  await h.shot(wd, "20-realms");
  await wd.click("[data-testid=realms-view-workers]");
  await wd.waitFor("[data-testid=realm-table]");
  assert.equal((await wd.findAll("[data-testid=realm-row]")).length, 40);
  await h.shot(wd, "21-workers");
});

test("a grid cell opens the queue table filtered to that worker and realm", async () => {
  await wd.click("[data-testid=realms-view-grid]");
  // The heatmap is a canvas: the component says where it drew the heaviest cell.
  await wd.waitFor("[data-testid=realm-heatmap][data-hot-cell]");
  await h.shot(wd, "22-grid");
  const [x, y] = (await wd.attribute("[data-testid=realm-heatmap]", "data-hot-cell")).split(",").map(Number);
  const [hotWorker, hotRealm] = (await wd.attribute("[data-testid=realm-heatmap]", "data-hot-key")).split(" ");
  assert.equal(hotRealm, "acme", "the heaviest cell is in the heaviest realm");
  await wd.clickAt("[data-testid=realm-heatmap]", x, y);
  const filter = await wd.waitFor("[data-testid=queue-filter]");
  const value = await wd.exec("return document.querySelector('[data-testid=queue-filter]').value");
  assert.equal(value, `worker:${hotWorker} realm:${hotRealm}`);
  await wd.waitFor("[data-testid=queue-count]", { timeout: 30000, textOk: (t) => t.startsWith("1 of") });
  assert.equal(await wd.textContent("[data-testid=queue-row] [data-col=name]"), `${hotWorker}.${hotRealm}`);
  assert.ok(filter);
  await h.shot(wd, "23-drilled");
});

test("the template editor previews a template on the loaded queues", async () => {
  await wd.click("[data-testid=tab-realms]");
  await wd.waitFor("[data-testid=realms-template]", { textOk: (t) => /12 realms/.test(t) });
  await wd.click("[data-testid=realms-edit-template]");
  await wd.fill("[data-testid=template-input]", "{worker}.realm-{realm}");
  await wd.waitFor("[data-testid=template-preview]", { textOk: (t) => /maps 0 queues/.test(t) });
  await wd.fill("[data-testid=template-input]", "{worker}.{realm}");
  const preview = await wd.waitFor("[data-testid=template-preview]", { textOk: (t) => /maps [\d,]+ queues to 12 realms and 40 workers/.test(t) });
  assert.match(await wd.text(preview), /→ worker/);
  await h.shot(wd, "24-template-preview");
  await wd.fill("[data-testid=template-input]", "{worker}.queue");
  await wd.waitFor("[data-testid=template-editor] .error-text", { textOk: (t) => t.includes("lacks `{realm}`") });
});

test("a realm policy is planned, then applied, from the realm view", async () => {
  await wd.click("[data-testid=realms-view-realms]");
  await wd.waitFor("[data-testid=realm-row]");
  // The second row: not acme, which the demo's dead-letter checks lean on.
  const rows = await wd.findAll("[data-testid=realm-row]");
  assert.ok(rows.length >= 2);
  const realm = await wd.exec("return document.querySelectorAll('[data-testid=realm-row] .rt-key')[1].textContent");
  await wd.exec("document.querySelectorAll('[data-testid=realm-policy]')[1].click()");
  await wd.waitFor("[data-testid=policy-dialog]");
  await wd.type("[data-testid=policy-max-length]", "100000");
  const plan = await wd.waitFor("[data-testid=policy-plan]", { textOk: (t) => t.includes(`warren-realm-${realm}`) });
  assert.match(await wd.text(plan), /matches exactly the realm's 40 queues/);
  await h.shot(wd, "25-policy-plan");
  await wd.click("[data-testid=policy-apply]");
  await wd.waitFor("[data-testid=policy-applied]", { textOk: (t) => t.includes("40 queues") });
  await wd.waitFor("[data-testid=policy-list]", { textOk: (t) => t.includes(`warren-realm-${realm}`) && t.includes(vhost) });
  const listed = JSON.parse(h.cli(["realms", "policy", "--env", "local", "--list", "--json"]));
  assert.ok(listed.some((p) => p.vhost === vhost && p.name === `warren-realm-${realm}` && p.definition["max-length"] === 100000));
  await h.shot(wd, "26-policy-applied");
  await wd.click("[data-testid=policy-close]");
});

test("dead letters are counted per realm, shared DLQs only when asked", async () => {
  await wd.click("[data-testid=realms-view-realms]");
  // The demo's DLQs are shared by every realm: unattributed until counted.
  await wd.waitFor("[data-testid=realms-dl-note]", { timeout: 30000, textOk: (t) => t.includes("dlq-all") });
  await wd.click("[data-testid=realms-dl-scan]");
  const acmeDead = async () => Number(((await wd.textContent("[data-testid=realm-row] [data-col=dead-letters]")) ?? "0").replace(/,/g, ""));
  for (let i = 0; i < 100 && (await acmeDead()) === 0; i++) await new Promise((r) => setTimeout(r, 200));
  // Independently: the broker's own count of acme's dead letters, by reading the DLQs' headers via the CLI.
  const topo = JSON.parse(h.cli(["realms", "--env", "local", "--scan-dead-letters", "--json"]));
  const acme = topo.find((l) => l.realm === "acme");
  assert.ok(acme.dead_letters > 0, "acme has dead letters in the demo");
  assert.equal(await acmeDead(), acme.dead_letters);
  await h.shot(wd, "27-dead-letters-per-realm");
});

test("the consumers of a realm are listed with their connections", async () => {
  await wd.click("[data-testid=realms-view-realms]");
  await wd.exec("document.querySelector('[data-testid=realm-consumers]').click()");
  const summary = await wd.waitFor("[data-testid=consumers-summary]", { timeout: 15000 });
  // The demo has no consumers: every acme queue is listed as unserved.
  const [, n] = (await wd.text(summary)).match(/^0 connections · 0 consumers · (\d+) queues without a consumer$/);
  assert.ok(Number(n) >= 40, `${n} unserved`);
  await wd.waitFor("[data-testid=consumers-unserved]", { textOk: (t) => t.includes("billing.acme") });
  await h.shot(wd, "28-realm-consumers");
  await wd.click("[data-testid=consumers-close]");
});

test("the logs link is offered per realm and filled by the core", async () => {
  await wd.click("[data-testid=realms-view-realms]");
  await wd.waitFor("[data-testid=realm-row] [data-testid=logs-link]");
  // Not clicked: that would start a browser; the same command renders it without opening.
  const url = await wd.execAsync(
    `const done = arguments[arguments.length - 1];
     window.__TAURI_INTERNALS__.invoke("logs_link", { envId: "local", target: { realm: "acme corp", worker: "billing" }, open: false }).then(done, (e) => done("error: " + JSON.stringify(e)));`,
  );
  assert.equal(url, "https://kibana.example/app/discover#/?q=realm:acme%20corp%20worker:billing%20queue:");
});
