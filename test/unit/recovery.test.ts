/**
 * Recovery and refill, timed from the fault against the band the baseline's own distribution allows a second:
 * a slowdown inside the fault phase counts, a rise of a few ms counts for a steady op, one slow request in a
 * thin second does not, and an op that never left its band has no recovery time.
 */
import { describe, expect, it } from "vitest";
import { binomialUpperTail } from "../../core/stats.ts";
import { encodeHistogram, newHistogram, percentilesMs, recordMs } from "../../harness/metrics/histogram.ts";
import { ALPHA, beyondAllPValue, computeRecoveries, pairPValue } from "../../harness/run/recovery.ts";
import type { ActionRecord, OpReport, OpSeconds, RunReport, TimelineSample } from "../../reports/schema.ts";

const phases = [
  { name: "baseline", startMs: 0, endMs: 20_000 },
  { name: "fault", startMs: 20_000, endMs: 30_000 },
  { name: "recovery", startMs: 30_000, endMs: 50_000 },
];
const flush: ActionRecord = { name: "flush-cache", startMs: 20_000, endMs: 20_050, result: { scope: "prefix" } };

/** A seeded spread of latencies: 4–6 ms with a thin tail to 8 ms. */
function baselineOp(op: string, perSecond: number): OpReport {
  const h = newHistogram();
  let x = 7;
  for (let i = 0; i < perSecond * 20; i++) {
    x = (x * 48271) % 2147483647;
    const u = x / 2147483647;
    recordMs(h, u < 0.98 ? 4 + 2 * u : 6 + 100 * (u - 0.98));
  }
  return {
    op,
    phase: "baseline",
    count: perSecond * 20,
    errors: 0,
    interrupted: 0,
    latencyMs: percentilesMs(h),
    histograms: { latency: encodeHistogram(h) },
  } as unknown as OpReport;
}

function seconds(p95: (number | null)[], perSecond: number, errors: number[] = []): OpSeconds {
  return {
    p95Ms: p95,
    poolWaitP95Ms: p95.map(() => 0),
    count: p95.map((v) => (v === null ? 0 : perSecond)),
    errors: p95.map((_, i) => errors[i] ?? 0),
  };
}

/** 20 baseline seconds at 5.5–6 ms, then `fault` values from second 20, then 5.5 ms. */
function series(fault: number[], length = 50): (number | null)[] {
  const base = Array.from({ length: 20 }, (_, i) => 5.5 + (i % 2) * 0.4);
  return [...base, ...fault, ...Array(length - 20 - fault.length).fill(5.5)];
}

function recover(ops: Record<string, OpSeconds>, base: OpReport[], timeline: TimelineSample[] = [], actions = [flush]) {
  const perSecond: RunReport["perSecond"] = { originMs: 0, intervalMs: 1000, ops };
  return computeRecoveries({ phases, baseline: "baseline", ops: base, actions, perSecond, timeline, stableForS: 5 });
}

describe("recovery from the fault, against what the baseline's distribution allows a second", () => {
  it("a rise to ~10 ms for 4 s inside the fault phase (200 completions a second): recovered 4 s after the flush", () => {
    const { recoveries } = recover({ summary: seconds(series([9, 10, 10, 8.5]), 200) }, [baselineOp("summary", 200)]);
    expect(recoveries).toEqual([
      expect.objectContaining({ op: "summary", state: "recovered", peakP95Ms: 10, peakAtMs: 21_000 }),
    ]);
    expect(recoveries[0]?.recoveredAtMs).toBe(24_000);
    expect(recoveries[0]?.recoveryMs).toBe(4_000);
    // The band at 200 a second sits between the baseline's p95 (~6 ms) and the faulted seconds.
    expect(recoveries[0]?.band.upperP95Ms).toBeGreaterThan(6);
    expect(recoveries[0]?.band.upperP95Ms).toBeLessThan(8.5);
  });

  it("one slow request in a thin second (10 a second: its p95 is its slowest) is no fault", () => {
    // The baseline's 200 samples topped out at 6.2 ms: a second whose slowest of 10 took 6.8 ms is within its spread.
    const { recoveries } = recover({ search: seconds(series([6.8]), 10) }, [baselineOp("search", 10)]);
    expect(recoveries[0]).toMatchObject({ state: "unaffected", recoveryMs: null, recoveredAtMs: null });
  });

  it("a second far outside, or one with errors the baseline makes unlikely, is a fault", () => {
    const spike = recover({ search: seconds(series([900]), 50) }, [baselineOp("search", 50)]);
    expect(spike.recoveries[0]).toMatchObject({ state: "recovered", recoveryMs: 1_000 });
    const failing = recover({ search: seconds(series([5.5, 5.5]), 50, [...Array(21).fill(0), 5]) }, [
      baselineOp("search", 50),
    ]);
    expect(failing.recoveries[0]).toMatchObject({ state: "recovered", recoveryMs: 2_000 });
  });

  it("a moderate rise is a fault when it lasts (two seconds in a row each unlikely), not when it is one second", () => {
    // At 50 a second, a p95 of 7.5 ms is unusual for this baseline (p ~0.005), not beyond ALPHA on its own;
    // two such seconds together are (Fisher: ~0.0003).
    const once = recover({ search: seconds(series([7.5]), 50) }, [baselineOp("search", 50)]);
    expect(once.recoveries[0]).toMatchObject({ state: "unaffected", recoveryMs: null });
    const sustained = recover({ search: seconds(series([7.5, 7.5, 7.5]), 50) }, [baselineOp("search", 50)]);
    expect(sustained.recoveries[0]).toMatchObject({ state: "recovered", recoveryMs: 3_000 });
  });

  it("a one-second stall in the baseline does not hide a fault that lasts: two seconds beyond any two of its own", () => {
    // The baseline stalled once (one second at 9.5 ms); the flush then holds three seconds at 7.7–9.1 ms, each
    // below that stall but all beyond the baseline's worst two-second stretch (~6 ms): a fault, not a stall.
    const withStall = (fault: number[]) => {
      const s = series(fault);
      s[8] = 9.5;
      return s;
    };
    const lasting = recover({ dashboard: seconds(withStall([7.7, 8.3, 9.1]), 150) }, [baselineOp("dashboard", 150)]);
    expect(lasting.recoveries[0]).toMatchObject({ state: "recovered", recoveryMs: 3_000 });
    // One second like the baseline's own stall is still its own kind of second.
    const once = recover({ dashboard: seconds(withStall([8.3]), 150) }, [baselineOp("dashboard", 150)]);
    expect(once.recoveries[0]).toMatchObject({ state: "unaffected", recoveryMs: null });
  });

  it("a thin baseline (160 requests) still tells a 900 ms second from its own: most of it beyond its slowest", () => {
    // With 160 baseline samples, a second of 40 requests' p95 alone bottoms out near p = 0.007 however slow it
    // is; counting how many of them were slower than all 160 (30) is distribution-free and decisive.
    expect(beyondAllPValue(160, 80, 4)).toBeCloseTo((80 * 79 * 78 * 77) / (240 * 239 * 238 * 237), 12);
    expect(beyondAllPValue(160, 80, 60)).toBeLessThan(1e-30);
    expect(beyondAllPValue(160, 80, 0)).toBe(1);
    const base = baselineOp("search", 8); // 8 a second × 20 s = 160 samples
    const slow = newHistogram();
    for (let i = 0; i < 40; i++) recordMs(slow, i < 10 ? 5 : 900);
    const stalled = seconds(series([900]), 40);
    const fault: OpReport = {
      ...base,
      phase: "fault",
      seconds: { fromS: 20, latency: [encodeHistogram(slow)], count: [40], failed: [0] },
    } as OpReport;
    const withHistograms = recover({ search: stalled }, [base, fault]);
    expect(withHistograms.recoveries[0]).toMatchObject({ state: "recovered", recoveryMs: 1_000 });
    // Without the second's histogram (an older report), the p95 alone cannot show it at α = 0.001.
    expect(recover({ search: stalled }, [base]).recoveries[0]?.state).toBe("unaffected");
  });

  it("a blip that begins after the op stayed in band for stableFor past the fault is not the fault's", () => {
    const { recoveries } = recover({ search: seconds(series([5.5, 5.5, 5.5, 5.5, 5.5, 5.5, 5.5, 900]), 50) }, [
      baselineOp("search", 50),
    ]);
    expect(recoveries[0]).toMatchObject({ state: "unaffected", recoveryMs: null });
  });

  it("still out of band when the run ends: not recovered, said as such", () => {
    const { recoveries } = recover({ dashboard: seconds(series(Array(30).fill(40)), 100) }, [
      baselineOp("dashboard", 100),
    ]);
    expect(recoveries[0]).toMatchObject({ state: "not-recovered", recoveryMs: null, peakP95Ms: 40 });
  });

  it("times the refill of Redis' hit ratio from its per-second counters", () => {
    // 200 lookups a second: 90% in the baseline, 10% after the flush climbing back over 5 s.
    const ratios = [...Array(20).fill(0.9), 0.1, 0.3, 0.5, 0.7, 0.8, 0.9, ...Array(24).fill(0.9)];
    let hits = 0;
    let misses = 0;
    const redis = (h: number, m: number) => ({
      keyspaceHits: h,
      keyspaceMisses: m,
      evictedKeys: 0,
      usedMemoryBytes: 0,
      connectedClients: 1,
    });
    const timeline: TimelineSample[] = [{ tMs: 0, redis: redis(0, 0) }];
    ratios.forEach((r, i) => {
      hits += Math.round(r * 200);
      misses += 200 - Math.round(r * 200);
      timeline.push({ tMs: (i + 1) * 1000, redis: redis(hits, misses) });
    });
    const { refills } = recover({ page: seconds(series([]), 100) }, [baselineOp("page", 100)], timeline);
    expect(refills).toEqual([
      expect.objectContaining({
        source: "redis",
        state: "refilled",
        band: { baselineRatio: 0.9, lookupsPerSecond: 200 },
        lowestRatio: 0.1,
        lowestAtMs: 20_000,
        refilledAtMs: 25_000,
        refillMs: 5_000,
      }),
    ]);
  });

  it("a later fault is its own: the first is judged until it begins", () => {
    const second: ActionRecord = {
      name: "restart",
      startMs: 35_000,
      endMs: 36_000,
      result: { service: "postgres", downMs: 900 },
    };
    const faulted = series([...Array(15).fill(5.5), 80, 80, 80]);
    const { recoveries } = recover({ search: seconds(faulted, 50) }, [baselineOp("search", 50)], [], [flush, second]);
    expect(recoveries.map((r) => [r.action, r.state])).toEqual([
      ["flush-cache", "unaffected"],
      ["restart", "recovered"],
    ]);
  });

  it("the binomial tail it rests on", () => {
    expect(binomialUpperTail(10, 0.5, 0)).toBe(1);
    expect(binomialUpperTail(10, 0.5, 10)).toBeCloseTo(1 / 1024, 10);
    expect(binomialUpperTail(100, 0.05, 6)).toBeCloseTo(0.384, 2);
    // Far below the mean the tail is ~1 (summed from the other side, it does not underflow to 0).
    expect(binomialUpperTail(200, 0.99975, 11)).toBeCloseTo(1, 10);
    expect(binomialUpperTail(5000, 0.5, 2400)).toBeGreaterThan(0.99);
    expect(ALPHA).toBe(0.001);
    // Fisher's method for two seconds: 0.02 and 0.02 together are ~0.0035; a second within the baseline's own
    // range adds nothing.
    expect(pairPValue(0.02, 0.02)).toBeCloseTo(0.0004 * (1 - Math.log(0.0004)), 10);
    expect(pairPValue(0.001, 1)).toBe(1);
  });
});
