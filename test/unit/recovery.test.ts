/**
 * Recovery and refill, timed from the fault against the band the baseline itself showed: a slowdown inside
 * the fault phase counts, a rise of a few ms counts when the baseline was steadier than that, one noisy second
 * does not, and an op that never left its band has no recovery time.
 */
import { describe, expect, it } from "vitest";
import { computeRecoveries } from "../../harness/run/recovery.ts";
import type { ActionRecord, OpSeconds, RunReport, TimelineSample } from "../../reports/schema.ts";

const phases = [
  { name: "baseline", startMs: 0, endMs: 20_000 },
  { name: "fault", startMs: 20_000, endMs: 30_000 },
  { name: "recovery", startMs: 30_000, endMs: 50_000 },
];
const flush: ActionRecord = { name: "flush-cache", startMs: 20_000, endMs: 20_050, result: { scope: "prefix" } };

function seconds(p95: (number | null)[], errors: number[] = []): OpSeconds {
  return {
    p95Ms: p95,
    poolWaitP95Ms: p95.map(() => 0),
    count: p95.map((v) => (v === null ? 0 : 50)),
    errors: p95.map((_, i) => errors[i] ?? 0),
  };
}

/** 20 baseline seconds wobbling 4–6 ms, then `fault` values from second 20, then 5 ms. */
function series(fault: number[], length = 50): (number | null)[] {
  const base = Array.from({ length: 20 }, (_, i) => 4 + (i % 3));
  return [...base, ...fault, ...Array(length - 20 - fault.length).fill(5)];
}

function recover(ops: Record<string, OpSeconds>, timeline: TimelineSample[] = [], actions = [flush]) {
  const perSecond: RunReport["perSecond"] = { originMs: 0, intervalMs: 1000, ops };
  return computeRecoveries({ phases, baseline: "baseline", actions, perSecond, timeline, stableForS: 5 });
}

describe("recovery from the fault, against the baseline's own band", () => {
  it("a rise to ~10 ms (baseline 4–6) for 4 s inside the fault phase: recovered 4 s after the flush", () => {
    const { recoveries } = recover({ summary: seconds(series([9, 10, 10, 8])) });
    expect(recoveries).toEqual([
      expect.objectContaining({
        op: "summary",
        state: "recovered",
        band: { lowerP95Ms: 4, upperP95Ms: 6, errorRate: 0 },
        peakP95Ms: 10,
        peakAtMs: 21_000,
        recoveredAtMs: 24_000,
        recoveryMs: 4_000,
      }),
    ]);
  });

  it("one second just above the band is noise, not a fault: no recovery time", () => {
    const { recoveries } = recover({ search: seconds(series([7])) });
    expect(recoveries[0]).toMatchObject({ state: "unaffected", recoveryMs: null, recoveredAtMs: null });
  });

  it("one second far outside (beyond the band's width again) is a fault; so is a second of errors", () => {
    const spike = recover({ search: seconds(series([900])) });
    expect(spike.recoveries[0]).toMatchObject({ state: "recovered", recoveryMs: 1_000 });
    const failing = recover({ search: seconds(series([5, 5]), [...Array(21).fill(0), 3]) });
    expect(failing.recoveries[0]).toMatchObject({ state: "recovered", recoveryMs: 2_000 });
  });

  it("still out of band when the run ends: not recovered, said as such", () => {
    const { recoveries } = recover({ dashboard: seconds(series(Array(30).fill(40))) });
    expect(recoveries[0]).toMatchObject({ state: "not-recovered", recoveryMs: null, peakP95Ms: 40 });
  });

  it("times the refill of Redis' hit ratio from its per-second counters", () => {
    // Hits/misses per second: 90% in the baseline (88–92%), 10% after the flush climbing back over 6 s.
    const ratios = [...Array.from({ length: 20 }, (_, i) => 0.88 + (i % 3) * 0.02), 0.1, 0.3, 0.5, 0.7, 0.85, 0.9];
    const rest = Array(24).fill(0.9);
    let hits = 0;
    let misses = 0;
    const timeline: TimelineSample[] = [
      {
        tMs: 0,
        redis: { keyspaceHits: 0, keyspaceMisses: 0, evictedKeys: 0, usedMemoryBytes: 0, connectedClients: 1 },
      },
    ];
    [...ratios, ...rest].forEach((r, i) => {
      hits += Math.round(r * 100);
      misses += 100 - Math.round(r * 100);
      timeline.push({
        tMs: (i + 1) * 1000,
        redis: { keyspaceHits: hits, keyspaceMisses: misses, evictedKeys: 0, usedMemoryBytes: 0, connectedClients: 1 },
      });
    });
    const { refills } = recover({ page: seconds(series([])) }, timeline);
    expect(refills).toEqual([
      expect.objectContaining({
        source: "redis",
        state: "refilled",
        band: { lowerRatio: 0.88, upperRatio: 0.92 },
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
    const { recoveries } = recover(
      { search: seconds(series([5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 80, 80, 80])) },
      [],
      [flush, second],
    );
    expect(recoveries.map((r) => [r.action, r.state])).toEqual([
      ["flush-cache", "unaffected"],
      ["restart", "recovered"],
    ]);
  });
});
