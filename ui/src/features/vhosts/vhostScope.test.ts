import { describe, expect, it } from "vitest";
import { effectiveScope, loadScope, saveScope, scopeLabel, vhostsOf } from "./vhostScope";

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, v),
  };
}

describe("vhost scope", () => {
  it("is remembered per environment and cleared by choosing every vhost", () => {
    const s = memoryStorage();
    expect(loadScope("prod", s)).toBeNull();
    saveScope("prod", "shop", s);
    saveScope("staging", "/", s);
    expect(loadScope("prod", s)).toBe("shop");
    expect(loadScope("staging", s)).toBe("/");
    saveScope("prod", null, s);
    expect(loadScope("prod", s)).toBeNull();
    s.setItem("warren.vhostScope.bad", "{not json");
    expect(loadScope("bad", s)).toBeNull();
  });

  it("lists the loaded vhosts with their queue counts", () => {
    expect(vhostsOf([{ vhost: "shop" }, { vhost: "/" }, { vhost: "shop" }])).toEqual([
      { vhost: "/", queues: 1 },
      { vhost: "shop", queues: 2 },
    ]);
  });

  it("falls back to every vhost when the remembered one is not loaded", () => {
    const loaded = [{ vhost: "/" }, { vhost: "shop" }];
    expect(effectiveScope("shop", loaded)).toBe("shop");
    expect(effectiveScope("gone", loaded)).toBeNull();
    expect(effectiveScope("shop", null)).toBe("shop");
    expect(effectiveScope(null, loaded)).toBeNull();
    expect(scopeLabel(null)).toBe("all vhosts");
    expect(scopeLabel("shop")).toBe("vhost shop");
  });
});
