// Starts what an end-to-end run needs: a private X display (Xvfb), tauri-driver (which drives
// WebKitWebDriver), and a temporary WARREN_CONFIG_DIR. The app itself is launched per session.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import net from "node:net";
import { WebDriver } from "./webdriver.mjs";

export const ROOT = resolve(import.meta.dirname, "../..");
export const ARTIFACTS = join(ROOT, "tests", "artifacts");
export const APP = process.env.WARREN_APP ?? join(ROOT, "target", "debug", "warren-app");
export const CLI = process.env.WARREN_CLI ?? join(ROOT, "target", "debug", "warren");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const DEFAULT_BROKER = "3.10=http://127.0.0.1:15672,amqp://127.0.0.1:5672";
/** The broker the run uses, as for the Rust tests: `WARREN_TEST_BROKER=LINE=MANAGEMENT_URL,AMQP_URL`
 * (`scripts/brokers env 4.3` prints one), else the system's 3.10. `{line, management, amqp}`. */
export const BROKER = (() => {
  const spec = process.env.WARREN_TEST_BROKER?.trim() || DEFAULT_BROKER;
  const m = /^([^=]+)=(https?:\/\/[^,]+),(amqps?:\/\/.+)$/.exec(spec);
  if (!m) throw new Error(`WARREN_TEST_BROKER=${spec}: expected LINE=MANAGEMENT_URL,AMQP_URL, e.g. ${DEFAULT_BROKER}`);
  return { line: m[1].trim(), management: m[2].trim().replace(/\/+$/, ""), amqp: m[3].trim().replace(/\/+$/, "") };
})();

async function freePort() {
  return new Promise((res) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function waitForPort(port, ms = 20000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise((res) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        res(true);
      });
      s.on("error", () => res(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

export class Harness {
  /** `env`: extra variables for the app, e.g. GTK_THEME to stand in for the system theme.
   * `firstStart`: leave the config empty, so the app's first launch creates `local` itself (on
   * the system's broker) instead of the CLI creating it for the broker under test. */
  constructor(env = {}, { firstStart = false, notifications = false } = {}) {
    this.env = env;
    this.firstStart = firstStart;
    // A real notification daemon (dunst) on the display, and a D-Bus monitor recording every
    // Notify call the app makes (`notified()`).
    this.notifications = notifications;
    this.notifyLog = "";
    this.children = [];
    this.configDir = mkdtempSync(join(tmpdir(), "warren-e2e-config-"));
    // The app's and the CLI's audit log, apart from the user's.
    this.dataDir = join(this.configDir, "data");
    this.output = []; // everything the app and drivers printed, for the secret scan
  }

  async start() {
    if (!existsSync(APP)) throw new Error(`the app is not built: ${APP} (run \`npm --prefix ui run tauri build -- --debug --bundles deb\`)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    // Another broker line: the first start (here by the CLI, which shares the app's config and
    // keyring) makes `local` as usual, then it is pointed at that broker. The app is unchanged.
    if (!this.firstStart && `${BROKER.line}=${BROKER.management},${BROKER.amqp}` !== DEFAULT_BROKER) {
      this.cli(["env", "list"]);
      this.cli(["env", "edit", "local", "--management-url", BROKER.management, "--amqp-url", BROKER.amqp]);
    }
    this.display = await this.#startXvfb();
    if (this.notifications) await this.#startNotificationDaemon();
    this.port = await freePort();
    const nativePort = await freePort();
    this.#spawn("tauri-driver", ["--port", String(this.port), "--native-port", String(nativePort)], {
      DISPLAY: this.display,
      WARREN_CONFIG_DIR: this.configDir,
      WARREN_DATA_DIR: this.dataDir,
      // The webview's local storage (remembered filters, vhost scope) lives under the XDG data
      // dir: one per run, so a run starts clean and a restart within it keeps what it stored.
      XDG_DATA_HOME: join(this.configDir, "xdg-data"),
      LIBGL_ALWAYS_SOFTWARE: "1",
      ...this.env,
    });
    await waitForPort(this.port);
    return this;
  }

  async #startNotificationDaemon() {
    const monitor = spawn("dbus-monitor", ["--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    monitor.stdout.on("data", (d) => (this.notifyLog += String(d)));
    this.children.push(monitor);
    this.#spawn("dunst", ["-config", "/dev/null"], { DISPLAY: this.display });
    const owned = () =>
      execFileSync("gdbus", ["call", "--session", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.NameHasOwner", "org.freedesktop.Notifications"], {
        encoding: "utf8",
      }).includes("true");
    for (let i = 0; i < 50 && !owned(); i++) await sleep(100);
    if (!owned()) throw new Error("dunst did not take org.freedesktop.Notifications on the session bus");
  }

  /** The [summary, body] of every desktop notification sent so far (from the D-Bus monitor). */
  notified() {
    return this.notifyLog
      .split(/member=Notify\n/)
      .slice(1)
      .map((call) => [...call.matchAll(/^\s*string "(.*)"$/gm)].map((m) => m[1]))
      .map((strings) => [strings[2], strings[3]]);
  }

  /** Xvfb on a display it picks itself (`-displayfd`): two runs at once never share one. */
  async #startXvfb() {
    const x = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp"], {
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    this.children.push(x);
    x.stderr.on("data", (d) => this.output.push(String(d)));
    return new Promise((res, rej) => {
      let got = "";
      x.stdio[3].on("data", (d) => {
        got += String(d);
        if (got.includes("\n")) res(`:${got.trim()}`);
      });
      x.on("exit", (code) => rej(new Error(`Xvfb exited (${code}) before it named its display`)));
      x.on("error", rej);
    });
  }

  #spawn(cmd, args, env = {}) {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d) => this.output.push(String(d)));
    child.stderr.on("data", (d) => this.output.push(String(d)));
    child.on("error", (e) => this.output.push(`${cmd}: ${e.message}`));
    this.children.push(child);
    return child;
  }

  /** A session on the app. tauri-driver listens before its WebKitWebDriver does: under load
   * (the Rust suites run beside the first file) a session asked too early is dropped ("other
   * side closed"), so that one failure is asked again, a few times. */
  async session() {
    for (let attempt = 1; ; attempt++) {
      const wd = new WebDriver(`http://127.0.0.1:${this.port}`);
      try {
        await wd.start(APP);
        return wd;
      } catch (e) {
        if (attempt >= 5 || !String(e?.message).includes("fetch failed")) throw e;
        await sleep(1000 * attempt);
      }
    }
  }

  /** A session on the app, once its window lists the environments. */
  async window() {
    const wd = await this.session();
    await wd.waitFor("[data-testid=env-item-local]");
    return wd;
  }

  /** The end of a test file: close the window, remove what the test made on the broker
   * (`cleanup`), and stop Xvfb and the driver even when that fails. */
  async finish(wd, cleanup = () => {}) {
    await wd?.stop();
    try {
      await cleanup();
    } finally {
      await this.stop();
    }
  }

  /** Remove vhosts that `demo seed` filled. */
  cleanDemo(...vhosts) {
    for (const vhost of vhosts) this.cli(["demo", "clean", "--env", "local", "--vhost", vhost]);
  }

  cli(args, input) {
    return execFileSync(CLI, args, {
      env: { ...process.env, WARREN_CONFIG_DIR: this.configDir, WARREN_DATA_DIR: this.dataDir },
      input,
      encoding: "utf8",
    });
  }

  /** A screenshot of the X display, as a user would see the window. (WebDriver's own
   * screenshot waits for a composited frame, which never comes with GPU compositing off.) */
  async shot(wd, name) {
    await wd.exec("return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))");
    await sleep(250);
    execFileSync("import", ["-display", this.display, "-window", "root", join(ARTIFACTS, `${name}.png`)]);
  }

  async stop() {
    for (const c of this.children.reverse()) c.kill("SIGTERM");
    await sleep(300);
  }
}

/** `METHOD /api/<path>` on the broker under test as guest (tests make and remove their own
 * vhosts behind the app's back). Throws on a refusal, except a DELETE of what is gone; the
 * answer's JSON, or null. */
export async function brokerApi(method, path, body) {
  const r = await fetch(`${BROKER.management}/api/${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from("guest:guest").toString("base64")}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!r.ok && !(method === "DELETE" && r.status === 404)) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.status === 204 ? null : r.json().catch(() => null);
}

/** Processes of the running app: the warren-app process started for our config dir and all of
 * its descendants (WebKit's web and network processes). */
export function appProcesses(configDir) {
  const procs = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  const parent = new Map();
  const name = new Map();
  for (const pid of procs) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      name.set(pid, stat.slice(stat.indexOf("(") + 1, close));
      parent.set(pid, stat.slice(close + 2).split(" ")[1]);
    } catch {
      /* gone */
    }
  }
  const roots = procs.filter((pid) => {
    try {
      return name.get(pid)?.startsWith("warren-app") && readFileSync(`/proc/${pid}/environ`, "utf8").includes(`WARREN_CONFIG_DIR=${configDir}`);
    } catch {
      return false;
    }
  });
  const all = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) if (all.has(ppid) && !all.has(pid)) (all.add(pid), (grew = true));
  }
  return [...all].map((pid) => ({ pid, name: name.get(pid) }));
}

/** Wall-clock start of a process in ms since the epoch: its start in ticks since boot, set
 * against the current uptime (both at 10 ms resolution; /proc/stat's btime is whole seconds). */
export function processStartMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const startTicks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  const hz = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  const now = Date.now();
  const uptimeMs = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1000;
  return now - (uptimeMs - (startTicks * 1000) / hz);
}

/** Resident memory of those processes in MB: RSS (counts shared pages in each) and PSS. */
export function memoryMB(processes) {
  let rss = 0;
  let pss = 0;
  for (const { pid } of processes) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return { rss: rss / 1024, pss: pss / 1024 };
}

export function secretToolLookup(account) {
  try {
    return execFileSync("secret-tool", ["lookup", "service", "warren", "username", account], { encoding: "utf8" });
  } catch {
    return null;
  }
}

export function grepDir(dir, needle) {
  const hits = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

export { execFileSync };
