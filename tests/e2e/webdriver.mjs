// A minimal W3C WebDriver client (Node 20 fetch): enough to drive the real Warren window
// through tauri-driver + WebKitWebDriver. No dependencies to install or keep in step.

export class WebDriver {
  constructor(base) {
    this.base = base;
    this.session = null;
  }

  async #req(method, path, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok) {
      const v = json.value ?? {};
      throw new Error(`WebDriver ${method} ${path}: ${res.status} ${v.error ?? ""} ${v.message ?? ""}`);
    }
    return json.value;
  }

  #s(path) {
    return `/session/${this.session}${path}`;
  }

  async start(application) {
    const value = await this.#req("POST", "/session", {
      capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application } } },
    });
    this.session = value.sessionId;
    return value;
  }

  async stop() {
    if (this.session) await this.#req("DELETE", `/session/${this.session}`).catch(() => {});
    this.session = null;
  }

  async find(css) {
    const v = await this.#req("POST", this.#s("/element"), { using: "css selector", value: css });
    return Object.values(v)[0];
  }

  async findAll(css) {
    const v = await this.#req("POST", this.#s("/elements"), { using: "css selector", value: css });
    return v.map((e) => Object.values(e)[0]);
  }

  /** Wait until `css` matches (and, if given, its text satisfies `textOk`). */
  async waitFor(css, { timeout = 15000, textOk } = {}) {
    const until = Date.now() + timeout;
    let last = "";
    for (;;) {
      try {
        const id = await this.find(css);
        if (!textOk) return id;
        last = await this.text(id);
        if (textOk(last)) return id;
      } catch {
        /* not there yet */
      }
      if (Date.now() > until) throw new Error(`timed out waiting for ${css}${textOk ? ` (last text: ${JSON.stringify(last)})` : ""}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Wait until nothing matches `css`. */
  async waitGone(css, { timeout = 15000 } = {}) {
    const until = Date.now() + timeout;
    while ((await this.findAll(css)).length > 0) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${css} to go`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async click(css) {
    const id = await this.waitFor(css);
    // WebDriver's own scroll puts the element at the scroller's bottom edge, where a sticky bar
    // (a form's Save/Cancel) covers it; a user would have it in view: centre it first.
    await this.exec("document.querySelector(arguments[0])?.scrollIntoView({ block: 'center', inline: 'nearest' })", [css]);
    await this.#req("POST", this.#s(`/element/${id}/click`), {});
  }

  async clear(css) {
    const id = await this.waitFor(css);
    await this.#req("POST", this.#s(`/element/${id}/clear`), {});
  }

  async type(css, text) {
    const id = await this.waitFor(css);
    await this.#req("POST", this.#s(`/element/${id}/value`), { text });
  }

  /** Replace an input's text with real key presses (select all, delete, type): WebDriver's
   * element clear does not fire the input event, so a React-controlled input can put the old
   * value back before the new text is typed. */
  async fill(css, text) {
    const id = await this.waitFor(css);
    await this.#req("POST", this.#s(`/element/${id}/value`), { text: "\uE009a\uE000\uE003" });
    if (text) await this.#req("POST", this.#s(`/element/${id}/value`), { text });
  }

  async text(idOrCss) {
    const id = idOrCss.includes("[") || idOrCss.includes(".") || idOrCss.includes("#") ? await this.find(idOrCss) : idOrCss;
    return this.#req("GET", this.#s(`/element/${id}/text`));
  }

  /** textContent of the first match: unlike the WebDriver text, it includes text that
   * WebKit clips with `text-overflow: ellipsis` (table cells, drawer titles). */
  async textContent(css) {
    return this.exec("const e = document.querySelector(arguments[0]); return e ? e.textContent : null", [css]);
  }

  async attribute(css, name) {
    const id = await this.waitFor(css);
    return this.#req("GET", this.#s(`/element/${id}/attribute/${name}`));
  }

  async exec(script, args = []) {
    return this.#req("POST", this.#s("/execute/sync"), { script, args });
  }

  /** Run `script` with a callback as its last argument (WebDriver's execute/async). */
  async execAsync(script, args = []) {
    return this.#req("POST", this.#s("/execute/async"), { script, args });
  }

  /** Real key presses through the Actions API, e.g. chord(["\uE009", "k"]) for Ctrl+K. */
  async chord(keys) {
    const down = keys.map((value) => ({ type: "keyDown", value }));
    const up = [...keys].reverse().map((value) => ({ type: "keyUp", value }));
    await this.#req("POST", this.#s("/actions"), { actions: [{ type: "key", id: "keyboard", actions: [...down, ...up] }] });
    await this.#req("DELETE", this.#s("/actions")).catch(() => {});
  }

  /** A real pointer click at (x, y) pixels from the top-left of the first match: for canvas
   * charts, whose parts are not elements. */
  async clickAt(css, x, y) {
    await this.waitFor(css);
    const rect = await this.exec("const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.left, r.top]", [css]);
    const at = { type: "pointerMove", duration: 0, origin: "viewport", x: Math.round(rect[0] + x), y: Math.round(rect[1] + y) };
    await this.#req("POST", this.#s("/actions"), {
      actions: [{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions: [at, { type: "pointerDown", button: 0 }, { type: "pointerUp", button: 0 }] }],
    });
    await this.#req("DELETE", this.#s("/actions")).catch(() => {});
  }

  async windowRect() {
    return this.#req("GET", this.#s("/window/rect"));
  }

  async setWindowRect(rect) {
    return this.#req("POST", this.#s("/window/rect"), rect);
  }

  async screenshot() {
    return Buffer.from(await this.#req("GET", this.#s("/screenshot")), "base64");
  }
}

export const KEY = { CONTROL: "\uE009", ENTER: "\uE007", ESCAPE: "\uE00C" };
