import { describe, expect, it } from "vitest";
import { PerSecondLatency } from "../../harness/metrics/per-second.ts";
import { computeDeltas, phaseSignals } from "../../harness/run/deltas.ts";
import type { OpReport } from "../../reports/schema.ts";

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
      recoveries: [
        {
          action: "freeze",
          actionIndex: 0,
          op: "dashboard",
          fromMs: 10_000,
          band: { baselineP95Ms: 9, upperP95Ms: 12, perSecond: 100, errorRate: 0 },
          state: "recovered",
          peakP95Ms: 400,
          peakAtMs: 11_000,
          recoveredAtMs: 18_000,
          recoveryMs: 8_000,
        },
      ],
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
      // The fault that began in this phase: its recovery, timed from the fault.
      recoveryMs: 8_000,
      recovery: "recovered",
    });
    // No fault began in the recovery phase: it has no recovery time of its own.
    expect(deltas[1]?.recoveryMs).toBeNull();
    expect(deltas[1]?.recovery).toBeUndefined();
    expect(deltas[1]?.peakClWaiting).toBe(0);
    // The server's signals, once per phase.
    const signals = phaseSignals({ phases, baseline: "baseline", timeline: [] });
    expect(signals.map((p) => p.phase)).toEqual(["baseline", "fault", "recovery"]);
  });
});
