// End-to-end: the real Warren window (tauri-driver + WebKitWebDriver under Xvfb) against the
// real broker, with the real Secret Service. Screenshots of each step go to tests/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { BROKER, Harness, appProcesses, memoryMB, processStartMs, secretToolLookup, grepDir } from "./harness.mjs";
import { KEY } from "./webdriver.mjs";

const h = new Harness();
let wd;
// Unique so a scan for them cannot be fooled by another string.
const STAGING_PASSWORD = "guest"; // the broker's real password: Test connection must succeed
const WRONG_PASSWORD = `Wrong-${randomBytes(6).toString("hex")}`;
const figures = {};

before(async () => {
  await h.start();
});

after(async () => {
  await h.finish(wd);
  for (const [k, v] of Object.entries(figures)) console.log(`# benchmark ${k}: ${v}`);
});

async function addEnvironment({ name, tier = "dev", password, managementUrls = BROKER.management, amqpUrls = BROKER.amqp }) {
  await wd.click("[data-testid=add-environment]");
  await wd.waitFor("[data-testid=environment-form]");
  await wd.fill("[data-testid=input-name]", name);
  await wd.exec(
    `const s = document.querySelector('[data-testid=input-tier]');
     Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(s, arguments[0]);
     s.dispatchEvent(new Event('change', { bubbles: true }));`,
    [tier],
  );
  await wd.fill("[data-testid=input-managementUrls]", managementUrls);
  await wd.fill("[data-testid=input-amqpUrls]", amqpUrls);
  await wd.fill("[data-testid=input-username]", "guest");
  if (password) await wd.type("[data-testid=input-password]", password);
  await wd.click("[data-testid=form-save]");
}

test("the app opens on the local environment", async () => {
  const t0 = performance.now();
  wd = await h.session();
  await wd.waitFor("[data-testid=env-item-local]");
  figures["WebDriver session + launch to rendered environment list (ms)"] = Math.round(performance.now() - t0);
  const renderedAt = await wd.exec("return window.__warrenRenderedAt");
  const app = appProcesses(h.configDir).find((p) => p.name.startsWith("warren-app"));
  figures["app process start to rendered environment list (ms)"] = Math.round(renderedAt - processStartMs(app.pid));
  const header = await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "local" });
  assert.equal(await wd.text(header), "local");
  await wd.click("[data-testid=tab-environment]");
  assert.match(await wd.text("[data-testid=secret-state]"), /keyring/);
  await h.shot(wd, "01-opens-on-local");
});

test("idle memory of the app's processes", async () => {
  await new Promise((r) => setTimeout(r, 2000));
  const procs = appProcesses(h.configDir);
  assert.ok(procs.length >= 2, `app and WebKit processes found: ${JSON.stringify(procs)}`);
  const mem = memoryMB(procs);
  figures["idle resident memory, RSS sum (MB)"] = mem.rss.toFixed(0);
  figures["idle resident memory, PSS sum (MB)"] = `${mem.pss.toFixed(0)} over ${procs.map((p) => p.name).join(", ")}`;
});

test("Test connection on local shows the broker version", async () => {
  await wd.click("[data-testid=test-connection]");
  const v = await wd.waitFor("[data-testid=broker-version]", { textOk: (t) => /RabbitMQ \d+\.\d+/.test(t) });
  assert.match(await wd.text(v), /Erlang/);
  await wd.waitFor("[data-testid=amqp-check].ok");
  await h.shot(wd, "02-test-connection-local");
});

test("the form reports invalid fields next to them", async () => {
  await wd.click("[data-testid=add-environment]");
  // A new environment starts empty (not as a copy of local's URLs): examples are placeholders.
  await wd.waitFor("[data-testid=input-managementUrls]");
  const urls = await wd.exec(
    "return ['managementUrls', 'amqpUrls'].map((k) => document.querySelector(`[data-testid=input-${k}]`).value)",
  );
  assert.deepEqual(urls, ["", ""], "the new environment's URL fields start empty");
  await wd.fill("[data-testid=input-name]", "Broken");
  await wd.fill("[data-testid=input-managementUrls]", "http://:99999");
  await wd.fill("[data-testid=input-username]", "guest");
  await wd.click("[data-testid=form-save]");
  const err = await wd.waitFor("[data-testid=error-managementUrls]");
  assert.match(await wd.text(err), /port out of range|missing host/);
  await h.shot(wd, "03-form-validation");
  // The jump host's fields are checked by the core too, each under its input.
  await wd.exec("document.querySelectorAll('details.tls').forEach((d) => (d.open = true))");
  await wd.fill("[data-testid=input-sshHost]", "bastion-eu");
  await wd.fill("[data-testid=input-sshPort]", "twenty-two");
  await wd.fill("[data-testid=input-sshKey]", "/no/such/key");
  await wd.click("[data-testid=form-save]");
  assert.match(await wd.text(await wd.waitFor("[data-testid=error-sshPort]")), /a port between 1 and 65535/);
  assert.match(await wd.text("[data-testid=error-sshKey]"), /no readable key file at `\/no\/such\/key`/);
  await h.shot(wd, "03b-form-jump-host");
  await wd.click(".form-actions .ghost");
});

test("a password typed in the form lands in the keyring and nowhere in the config", async () => {
  await addEnvironment({ name: "Staging e2e", tier: "staging", password: STAGING_PASSWORD });
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "Staging e2e" });
  assert.equal(secretToolLookup("staging-e2e"), STAGING_PASSWORD);
  const config = readFileSync(join(h.configDir, "environments.toml"), "utf8");
  assert.match(config, /id = "staging-e2e"/);
  assert.doesNotMatch(config, /password/i);
  const listed = JSON.parse(h.cli(["env", "list", "--json"])).find((e) => e.id === "staging-e2e");
  assert.equal(listed.has_secret, true);
  assert.equal(listed.tier, "staging");
  await wd.click("[data-testid=test-connection]");
  await wd.waitFor("[data-testid=broker-version]", { textOk: (t) => /RabbitMQ \d/.test(t) });
  await h.shot(wd, "04-added-staging-tested");
});

test("a wrong password shows the credentials error", async () => {
  await addEnvironment({ name: "Wrong password", password: WRONG_PASSWORD });
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "Wrong password" });
  assert.equal(secretToolLookup("wrong-password"), WRONG_PASSWORD);
  await wd.click("[data-testid=test-connection]");
  const err = await wd.waitFor("[data-testid=management-error]", { textOk: (t) => t.length > 0 });
  assert.equal(await wd.attribute("[data-testid=management-error]", "data-kind"), "wrong_credentials");
  assert.match(await wd.text(err), /wrong user name or password/);
  assert.equal(await wd.attribute("[data-testid=amqp-error]", "data-kind"), "wrong_credentials");
  await h.shot(wd, "05-wrong-password");
});

test("switching environments changes the header (click and Ctrl+K)", async () => {
  await wd.click("[data-testid=env-item-local]");
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "local" });
  await wd.chord([KEY.CONTROL, "k"]);
  await wd.waitFor("[data-testid=switcher]");
  await wd.type("[data-testid=switcher-input]", "stag");
  await h.shot(wd, "06-switcher");
  await wd.type("[data-testid=switcher-input]", KEY.ENTER);
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "Staging e2e" });
  assert.equal(await wd.text("[data-testid=current-env-tier]"), "staging");
});

test("a prod environment stands out with a banner", async () => {
  await addEnvironment({ name: "Prod e2e", tier: "prod", password: STAGING_PASSWORD });
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "Prod e2e" });
  assert.match(await wd.text("[data-testid=prod-banner]"), /PRODUCTION/);
  await h.shot(wd, "07-prod-banner");
});

test("the app reopens on the fleet with the last window size, one click from the last environment", async () => {
  await wd.click("[data-testid=env-item-staging-e2e]");
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "Staging e2e" });
  await wd.setWindowRect({ width: 1100, height: 700 });
  const resized = await wd.windowRect();
  await new Promise((r) => setTimeout(r, 1000)); // the app saves the size 400 ms after a resize
  await wd.stop();
  wd = await h.session();
  // Several environments: the fleet first, with the way back to the one used last.
  await wd.waitFor("[data-testid=fleet-page]");
  assert.equal(await wd.text("[data-testid=fleet-continue]"), "Back to Staging e2e");
  await wd.click("[data-testid=fleet-continue]");
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "Staging e2e" });
  const reopened = await wd.windowRect();
  assert.deepEqual([reopened.width, reopened.height], [resized.width, resized.height]);
  assert.notDeepEqual([reopened.width, reopened.height], [1280, 800], "the default size, not the saved one");
  await h.shot(wd, "08-reopened-on-last");
});

test("no password appears in the config dir, the audit log or in anything the app printed", async () => {
  // The environments added from the window were audited (the data dir lies inside configDir).
  const audit = readFileSync(join(h.dataDir, "audit.jsonl"), "utf8");
  assert.match(audit, /"action":"environment\.create"/);
  for (const secret of [WRONG_PASSWORD]) {
    assert.deepEqual(grepDir(h.configDir, secret), []);
    assert.ok(!audit.includes(secret), "a password reached the audit log");
    assert.ok(!h.output.join("").includes(secret), "a password reached the app's output");
  }
});

test("removing an environment says what goes and what stays, and forgets its password and its filter", async () => {
  await wd.click("[data-testid=env-item-wrong-password]");
  await wd.waitFor("[data-testid=current-env-name]", { textOk: (t) => t === "Wrong password" });
  // What the window remembers for it (the typed queue filter), as the Queues tab would leave it.
  await wd.exec("localStorage.setItem('warren.queueFilter.wrong-password', 'billing'); localStorage.setItem('warren.queueFilter.local', 'mail')");
  await wd.click("[data-testid=tab-environment]");
  await wd.click("[data-testid=remove-environment]");
  const confirm = await wd.waitFor("[data-testid=confirm-remove]");
  const said = await wd.text(confirm);
  assert.match(said, /Goes: its settings, its password in the keyring, its last loaded queue list and the filters/);
  assert.match(said, /Stays: its recorded history on this machine \(warren history info --env wrong-password\)/);
  await h.shot(wd, "09-remove-environment");
  await wd.click("[data-testid=confirm-remove-yes]");
  await wd.waitGone("[data-testid=env-item-wrong-password]");
  assert.equal(secretToolLookup("wrong-password"), null);
  assert.doesNotMatch(readFileSync(join(h.configDir, "environments.toml"), "utf8"), /id = "wrong-password"/);
  assert.equal(await wd.exec("return localStorage.getItem('warren.queueFilter.wrong-password')"), null);
  assert.equal(await wd.exec("return localStorage.getItem('warren.queueFilter.local')"), "mail");
});
