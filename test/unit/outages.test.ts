import { describe, expect, it } from "vitest";
import { OutageTracker } from "../../harness/sampler/outages.ts";

describe("OutageTracker", () => {
  it("one missed tick is a blip; two open an outage from the first, closed by the next answer", () => {
    const t = new OutageTracker(2);
    t.answered("postgres", 1_000);
    t.missed("postgres", 2_000, "ECONNREFUSED");
    t.answered("postgres", 3_000);
    expect(t.outages).toEqual([]);
    t.missed("postgres", 4_000, "ECONNREFUSED");
    t.missed("postgres", 5_000, "timeout");
    t.missed("postgres", 6_000, "timeout");
    expect(t.outages).toEqual([{ service: "postgres", fromMs: 4_000, toMs: null, reason: "ECONNREFUSED" }]);
    t.answered("postgres", 9_000);
    expect(t.outages[0]?.toMs).toBe(9_000);
  });

  it("keeps services apart, and an outage that never ends stays open", () => {
    const t = new OutageTracker(2);
    for (const ms of [1_000, 2_000, 3_000]) {
      t.missed("redis", ms, "closed");
      t.answered("pgbouncer", ms);
    }
    expect(t.outages).toEqual([{ service: "redis", fromMs: 1_000, toMs: null, reason: "closed" }]);
  });
});
