// The window follows the system theme: with GTK's dark theme the page renders dark.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Harness } from "./harness.mjs";
import { assertAccessible } from "./axe.mjs";

const dark = new Harness({ GTK_THEME: "Adwaita:dark" });
let wd;

after(() => dark.finish(wd));

test("a dark system theme gives a dark window", async () => {
  await dark.start();
  wd = await dark.window();
  const [r, g, b] = (await wd.exec("return getComputedStyle(document.body).backgroundColor")).match(/\d+/g).map(Number);
  assert.ok(r + g + b < 150, `body background rgb(${r}, ${g}, ${b}) is not dark`);
  assert.equal(await wd.exec("return matchMedia('(prefers-color-scheme: dark)').matches"), true);
  await dark.shot(wd, "09-dark-theme");
  // The dark palette has its own contrasts: axe checks them (layout.test.mjs covers the light one).
  await assertAccessible(wd, "queues, dark theme");
});

test("the realm charts are readable in the dark theme", async () => {
  const vhost = `warren-e2e-dark-${process.pid}`;
  dark.cli(["demo", "seed", "--env", "local", "--vhost", vhost]);
  try {
    await wd.click("[data-testid=tab-realms]");
    await wd.click("[data-testid=realms-page] .queues-toolbar > button:last-child");
    await wd.waitFor("[data-testid=realms-template]", { timeout: 30000, textOk: (t) => /12 realms/.test(t) });
    await wd.waitFor("[data-testid=realm-chart] canvas");
    // The charts take their colours from the theme: the chart's text is light on dark.
    const [r, g, b] = (await wd.exec("return getComputedStyle(document.querySelector('[data-testid=realm-chart]')).color")).match(/\d+/g).map(Number);
    assert.ok(r + g + b > 450, `chart text rgb(${r}, ${g}, ${b}) is not light`);
    await dark.shot(wd, "29-dark-realms");
    await assertAccessible(wd, "realms, dark theme");
    await wd.click("[data-testid=realms-view-grid]");
    await wd.waitFor("[data-testid=realm-heatmap][data-hot-cell]");
    await dark.shot(wd, "29-dark-grid");
  } finally {
    dark.cli(["demo", "clean", "--env", "local", "--vhost", vhost]);
  }
});
