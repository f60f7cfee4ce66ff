// The window follows the system theme: with GTK's dark theme the page renders dark.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Harness } from "./harness.mjs";

const dark = new Harness({ GTK_THEME: "Adwaita:dark" });
let wd;

after(async () => {
  await wd?.stop();
  await dark.stop();
});

test("a dark system theme gives a dark window", async () => {
  await dark.start();
  wd = await dark.session();
  await wd.waitFor("[data-testid=env-item-local]");
  const [r, g, b] = (await wd.exec("return getComputedStyle(document.body).backgroundColor")).match(/\d+/g).map(Number);
  assert.ok(r + g + b < 150, `body background rgb(${r}, ${g}, ${b}) is not dark`);
  assert.equal(await wd.exec("return matchMedia('(prefers-color-scheme: dark)').matches"), true);
  await dark.shot(wd, "09-dark-theme");
});
