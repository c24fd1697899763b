import { describe, expect, it } from "vitest";
import { PerSecondLatency } from "../../harness/metrics/per-second.ts";
import { computeDeltas, recoverySeconds } from "../../harness/run/deltas.ts";
import type { OpReport } from "../../reports/schema.ts";

describe("recoverySeconds", () => {
  const series = [10, 10, 300, 250, 90, 12, 11, 40, 12, 11, 10, 10, 10];
  it("finds the first second p95 stays back within the bound", () => {
    // From second 4: 90 is above 20; 12, 11 ok; 40 breaks the streak; 12, 11, 10 → stable 3 s from second 8.
    expect(recoverySeconds(series, 4, 20, 3)).toBe(4);
    expect(recoverySeconds(series, 4, 50, 3)).toBe(1);
  });
  it("says null when p95 never settles, and skips empty seconds", () => {
    expect(recoverySeconds(series, 4, 5, 3)).toBeNull();
    expect(recoverySeconds([null, 5, null, 5, 5], 0, 10, 3)).toBe(1);
  });
});

describe("PerSecondLatency", () => {
  it("keeps a p95 per op per second, null when an op had nothing that second", () => {
    const perSecond = new PerSecondLatency();
    for (let i = 0; i < 100; i++) perSecond.record("a", i < 95 ? 1 : 100);
    perSecond.tick();
    perSecond.record("b", 7);
    perSecond.tick();
    expect(perSecond.p95.get("a")).toEqual([1, null]);
    expect(perSecond.p95.get("b")).toEqual([null, 7.003]);
  });
});

function op(phase: string, p95: number, extra: Partial<OpReport> = {}): OpReport {
  const q = (v: number) => ({ p50: v / 2, p95: v, p99: v * 1.5, max: v * 2 });
  return {
    op: "dashboard",
    phase,
    count: 1000,
    errors: 0,
    errorsByClass: { timeout: 0, connection: 0, pool_timeout: 0, query: 0, http_4xx: 0, http_5xx: 0, other: 0 },
    dropped: 0,
    interrupted: 0,
    cacheHits: 900,
    cacheMisses: 100,
    latencyMs: q(p95),
    poolWaitMs: q(p95 / 10),
    dispatchLagMs: q(0.1),
    serviceMs: q(p95 / 2),
    histograms: { latency: "", pool_wait: "", dispatch_lag: "", service_time: "" },
    ...extra,
  };
}

describe("computeDeltas", () => {
  it("compares each phase with the baseline and times the recovery after the fault", () => {
    const phases = [
      { name: "baseline", startMs: 0, endMs: 10_000 },
      { name: "fault", startMs: 10_000, endMs: 15_000 },
      { name: "recovery", startMs: 15_000, endMs: 30_000 },
    ];
    const perSecond = [...Array(10).fill(10), ...Array(5).fill(400), 300, 200, 50, 11, 10, 10, 10, 10, 10, 10, 10, 10];
    const deltas = computeDeltas({
      phases,
      baseline: "baseline",
      ops: [op("baseline", 10), op("fault", 400, { errors: 50, cacheHits: 100, cacheMisses: 900 }), op("recovery", 60)],
      timeline: [
        {
          tMs: 11_000,
          pgbouncer: {
            clActive: 20,
            clWaiting: 35,
            svActive: 20,
            svIdle: 0,
            svLogin: 0,
            maxWaitMs: 1800,
            totalXactCount: 0,
            totalWaitTimeUs: 0,
          },
        },
        {
          tMs: 20_000,
          pgbouncer: {
            clActive: 2,
            clWaiting: 0,
            svActive: 2,
            svIdle: 18,
            svLogin: 0,
            maxWaitMs: 0,
            totalXactCount: 0,
            totalWaitTimeUs: 0,
          },
        },
      ],
      perSecondP95: new Map([["dashboard", perSecond]]),
      perSecondOriginMs: 0,
    });
    expect(deltas.map((d) => d.phase)).toEqual(["fault", "recovery"]);
    expect(deltas[0]).toMatchObject({
      p95Ms: 400,
      baselineP95Ms: 10,
      deltaP95Ms: 390,
      deltaPoolWaitP95Ms: 39,
      errorRate: 0.05,
      deltaErrorRate: 0.05,
      cacheHitRatio: 0.1,
      deltaCacheHitRatio: -0.8,
      peakClWaiting: 35,
      peakMaxWaitMs: 1800,
      // Fault ends at 15 s; bound = 10 × 1.2 + 5 = 17 ms; from second 18 on p95 ≤ 17 for 5 s: 3 s after.
      recoveryMs: 3_000,
    });
    // After the last phase there is no data to recover in.
    expect(deltas[1]?.recoveryMs).toBeNull();
    expect(deltas[1]?.peakClWaiting).toBe(0);
  });
});
