// Accessibility check of what the window shows, with axe-core (a devDependency of the UI
// package, installed with it by `npm ci` in scripts/setup): injected once per session through
// WebDriver, then run over the whole document. Serious and critical violations fail the test;
// the others are printed.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./harness.mjs";

const require = createRequire(join(ROOT, "ui", "package.json"));
let source;
function axeSource() {
  try {
    source ??= readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  } catch (e) {
    throw new Error(`axe-core is not installed in ui/node_modules (run \`npm ci\` in ui/, as scripts/setup does): ${e.message}`);
  }
  return source;
}

/** Run axe on the document; returns the violations as {id, impact, help, nodes: [{target, summary}]}. */
export async function axeViolations(wd) {
  if (!(await wd.exec("return typeof window.axe === 'object'"))) {
    await wd.exec(`${axeSource()}\nreturn typeof window.axe;`);
  }
  const out = await wd.execAsync(`
    const done = arguments[arguments.length - 1];
    axe.run(document, { resultTypes: ["violations"] })
      .then((r) => done(JSON.stringify(r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 6).map((n) => ({ target: n.target.join(" "), summary: (n.failureSummary || "").split("\\n").slice(0, 3).join(" ") })),
        count: v.nodes.length,
      })))))
      .catch((e) => done(JSON.stringify({ error: String(e) })));`);
  const parsed = JSON.parse(out);
  if (parsed.error) throw new Error(`axe.run failed: ${parsed.error}`);
  return parsed;
}

const describe = (v) => `${v.impact} ${v.id} (${v.count}×): ${v.help}\n${v.nodes.map((n) => `    ${n.target} — ${n.summary}`).join("\n")}`;

/** Fail on serious or critical violations (listing them), print the rest under `view`. */
export async function assertAccessible(wd, view) {
  const violations = await axeViolations(wd);
  const blocking = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const other = violations.filter((v) => !blocking.includes(v));
  if (other.length) console.log(`axe, ${view}: ${other.length} minor/moderate\n  ${other.map(describe).join("\n  ")}`);
  if (blocking.length) throw new Error(`axe, ${view}: ${blocking.length} serious/critical violation(s)\n  ${blocking.map(describe).join("\n  ")}`);
  return violations;
}
