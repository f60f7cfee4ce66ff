// The history views' pure logic: how growth reads, which row a grower belongs to, which queues a
// grower's click shows, and the sparkline's geometry.
import { describe, expect, it } from "vitest";
import type { Grower } from "../../ipc/bindings/Grower";
import {
  ageLabel,
  formatChange,
  formatDuration,
  formatMetric,
  groupSelector,
  growerFilter,
  growerLabel,
  growerLookup,
  growerTitle,
  infoSummary,
  queueSelector,
  selectorId,
  sinceShort,
  sparkEnds,
  sparkRuns,
} from "./historyModel";
import { queueKey } from "../queues/queuesModel";

const grower = (fields: Partial<Grower>): Grower => ({ kind: "queue", key: "q", metric: "messages", start: 10, end: 50, delta: 40, ...fields });

describe("history model", () => {
  it("says since when a series grows: the time within a day, whole days beyond", () => {
    const now = new Date(2026, 11, 1, 17, 0, 0).getTime();
    expect(sinceShort(new Date(2026, 11, 1, 14, 5, 0).toISOString(), now)).toBe("14:05");
    expect(sinceShort(new Date(2026, 10, 30, 17, 30, 0).toISOString(), now)).toBe("17:30");
    expect(sinceShort(new Date(2026, 10, 29, 9, 0, 0).toISOString(), now)).toBe("2 d");
    expect(sinceShort(undefined, now)).toBeNull();
    expect(sinceShort("not a time", now)).toBeNull();
  });

  it("writes values per metric, changes signed", () => {
    expect(formatMetric("messages", 1234.6)).toBe("1,235");
    expect(formatMetric("memory", 2048)).toBe("2.0 KiB");
    expect(formatMetric("publish_rate", 0.05)).toBe("<0.1");
    expect(formatChange("messages", 4200)).toBe("+4,200");
    expect(formatChange("messages", -12)).toBe("−12");
    expect(formatChange("consumers", 0)).toBe("0");
  });

  it("names durations as the store and the ages read", () => {
    expect(formatDuration(15)).toBe("15 s");
    expect(formatDuration(300)).toBe("5 min");
    expect(formatDuration(48 * 3600)).toBe("48 h");
    expect(formatDuration(30 * 86400)).toBe("30 d");
    expect(ageLabel(1_000_000 - 52 * 60_000, 1_000_000)).toBe("52 min");
  });

  it("puts start, end and delta of a grower in its tooltip", () => {
    const t = growerTitle(grower({ growing_since: new Date(2026, 11, 1, 14, 5, 0).toISOString() }), 3600);
    expect(t).toBe("Growing since 2026-12-01 14:05:00\nmessages: 10 → 50 (+40) over the last 1 h");
    expect(growerTitle(grower({}), 6 * 3600)).toBe("Growing\nmessages: 10 → 50 (+40) over the last 6 h");
  });

  it("finds a row's grower by vhost and key, the scope standing in for a row without a vhost", () => {
    const inShop = grower({ kind: "realm", key: "acme", vhost: "shop" });
    const summed = grower({ kind: "realm", key: "globex" });
    const shrinking = grower({ kind: "realm", key: "initech", delta: -5 });
    const all = growerLookup([inShop, summed, shrinking], null);
    expect(all("shop", "acme")).toBe(inShop);
    expect(all("staging", "acme")).toBeUndefined();
    expect(all(undefined, "acme")).toBeUndefined();
    expect(all(undefined, "globex")).toBe(summed);
    expect(all("shop", "globex")).toBe(summed);
    expect(all(undefined, "initech")).toBeUndefined();
    // Scoped to `shop`, the realm rows carry no vhost.
    expect(growerLookup([inShop], "shop")(undefined, "acme")).toBe(inShop);
    expect(growerLookup(undefined, null)("/", "q")).toBeUndefined();
  });

  it("maps table rows to their series", () => {
    expect(queueSelector(queueKey({ vhost: "/", name: "billing.acme" }))).toEqual({ kind: "queue", vhost: "/", key: "billing.acme" });
    expect(queueSelector(queueKey({ vhost: "v", name: "a\u0000b" }))).toEqual({ kind: "queue", vhost: "v", key: "a\u0000b" });
    expect(groupSelector("realm", { key: "acme", vhost: "shop" }, null)).toEqual({ kind: "realm", vhost: "shop", key: "acme" });
    expect(groupSelector("worker", { key: "billing" }, "shop")).toEqual({ kind: "worker", vhost: "shop", key: "billing" });
    expect(groupSelector("realm", { key: "acme" }, null)).toEqual({ kind: "realm", key: "acme" });
    expect(selectorId({ kind: "realm", key: "billing" })).not.toBe(selectorId({ kind: "worker", key: "billing" }));
  });

  it("names a grower's vhost unless the view is scoped to it", () => {
    const g = grower({ kind: "realm", key: "acme", vhost: "shop" });
    expect(growerLabel(g, null)).toBe("acme @ shop");
    expect(growerLabel(g, "shop")).toBe("acme");
    expect(growerLabel(grower({ key: "q" }), null)).toBe("q");
  });

  it("drills into a grower's queues with the filter language", () => {
    expect(growerFilter(grower({ key: "billing.acme", vhost: "/" }))).toBe("name=billing.acme vhost:/");
    expect(growerFilter(grower({ key: "two words" }))).toBe('name="two words"');
    expect(growerFilter(grower({ kind: "realm", key: "acme", vhost: "shop" }))).toBe("realm:acme vhost:shop");
    expect(growerFilter(grower({ kind: "worker", key: "billing" }))).toBe("worker:billing");
  });

  it("draws a sparkline in its box, highest value on top, gaps breaking the line", () => {
    const runs = sparkRuns([0, 10, null, 5, 5], 40, 14);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toEqual([
      [1.5, 12.5],
      [10.8, 1.5],
    ]);
    expect(runs[1].map(([, y]) => y)).toEqual([7, 7]);
    expect(runs.flat().every(([x, y]) => x >= 0 && x <= 40 && y >= 0 && y <= 14)).toBe(true);
    expect(sparkRuns([null, null], 40, 14)).toEqual([]);
    expect(sparkRuns([], 40, 14)).toEqual([]);
    // Flat: zero on the floor, anything else in the middle.
    expect(sparkRuns([0, 0], 40, 14).flat().map(([, y]) => y)).toEqual([12.5, 12.5]);
    expect(sparkRuns([3, 3], 40, 14).flat().map(([, y]) => y)).toEqual([7, 7]);
    expect(sparkEnds([null, 4, null, 9, null])).toEqual([4, 9]);
    expect(sparkEnds([null])).toBeNull();
  });

  it("sums the store up for the footer", () => {
    const info = {
      path: "/d/history/local.sqlite",
      bytes: 3 * 1024 * 1024,
      samples: 1200,
      series: 5000,
      oldest: new Date(2026, 11, 1, 9, 0, 0).toISOString(),
      newest: new Date(2026, 11, 1, 17, 0, 0).toISOString(),
      full_resolution_s: 48 * 3600,
      bucket_s: 300,
      fine_buckets_s: 10 * 86400,
      hour_bucket_s: 3600,
      retention_s: 30 * 86400,
    };
    expect(infoSummary(info)).toBe(
      "History: 3.0 MiB · 1,200 samples of 5,000 series · 2026-12-01 09:00:00 → 2026-12-01 17:00:00 · every sample for 48 h, 5 min min/avg/max to 10 d, 1 h to 30 d",
    );
    expect(infoSummary({ ...info, oldest: undefined, newest: undefined, samples: 0 })).toContain("no sample yet");
  });
});
