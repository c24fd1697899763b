import { describe, expect, it } from "vitest";
import { minSamplesFor, quantileRankInterval, wilsonInterval } from "../../core/stats.ts";
import { compareRuns } from "../../harness/compare/compare-runs.ts";
import { quantileEstimate } from "../../harness/compare/estimates.ts";
import { encodeHistogram, newHistogram, percentilesMs, recordMs } from "../../harness/metrics/histogram.ts";
import { DEFAULT_COMPARE, incompatibilities } from "../../reports/compare.ts";
import { noiseLine } from "../../reports/render/comparison.ts";
import type { RunReport } from "../../reports/schema.ts";
import { sampleReport } from "../fixtures/reports/sample-report.ts";
import { seededRandom } from "../helpers/random.ts";

/** Latencies of a fast op: 2 ms plus an exponential tail of mean `meanMs`, and `extraMs` added to each. */
const sample = (random: () => number, n: number, meanMs = 3, extraMs = 0) =>
  Array.from({ length: n }, () => 2 + extraMs - meanMs * Math.log(1 - random()));

function histogramOf(values: number[]) {
  const h = newHistogram();
  for (const v of values) recordMs(h, v);
  return h;
}

/** The sample run with every op × phase's latency drawn afresh (`slow`: ms added to one op's every phase;
 * `stallMs`: added to every op's samples in a tenth of the phase, all in its second half, as a host's stall). */
function run(
  seed: number,
  options: { slowOp?: string; slowMs?: number; n?: number; stallMs?: number; halves?: boolean } = {},
): RunReport {
  const random = seededRandom(seed);
  const report = sampleReport();
  report.startedAt = `2026-11-${String(1 + (seed % 28)).padStart(2, "0")}T00:00:${String(seed % 60).padStart(2, "0")}Z`;
  for (const o of report.ops) {
    const extra = o.op === options.slowOp ? (options.slowMs ?? 0) : 0;
    const n = options.n ?? 1000;
    const values = sample(random, n, 3, extra).map((v, i) =>
      i >= n * 0.8 && i < n * 0.9 ? v + (options.stallMs ?? 0) : v,
    );
    const h = histogramOf(values);
    const p = percentilesMs(h);
    o.count = p.count;
    o.errors = 0;
    o.latencyMs = { p50: p.p50, p95: p.p95, p99: p.p99, max: p.max };
    o.histograms = { ...o.histograms, latency: encodeHistogram(h) };
    if (options.halves === false) delete o.halves;
    else {
      const half = (from: number, to: number) => encodeHistogram(histogramOf(values.slice(from, to)));
      const none = encodeHistogram(newHistogram());
      o.halves = { latency: [half(0, n / 2), half(n / 2, n)], pool_wait: [none, none] };
    }
  }
  return report;
}

describe("the interval of a quantile, from the histogram alone", () => {
  it("covers the true p95 in about 95% of seeded trials (1000 samples of a known distribution)", () => {
    // 2 ms + Exp(mean 3 ms): the true p95 is 2 + 3 ln 20.
    const truth = 2 + 3 * Math.log(20);
    const random = seededRandom(7);
    let covered = 0;
    const trials = 400;
    for (let t = 0; t < trials; t++) {
      const e = quantileEstimate(histogramOf(sample(random, 1000)), 0.95);
      if (e && e.lo <= truth && truth <= e.hi) covered++;
    }
    // Binomial(400, 0.95): 0.95 ± 3 standard deviations is 0.917–0.983.
    expect(covered / trials).toBeGreaterThan(0.917);
    expect(covered / trials).toBeLessThan(0.983);
  });

  it("the exact binomial ranks for a small sample, and the same for the normal approximation's range", () => {
    // n = 100, p50: the classic 95% ranks are 40 and 61.
    expect(quantileRankInterval(100, 0.5)).toEqual({ lo: 40, hi: 61 });
    const big = quantileRankInterval(10_000, 0.95);
    expect(big?.lo).toBeGreaterThanOrEqual(9456);
    expect(big?.hi).toBeLessThanOrEqual(9545);
  });

  it("not judged with too few samples: a p99 needs 100, a p95 20, anything 10", () => {
    expect(minSamplesFor(0.99)).toBe(100);
    expect(minSamplesFor(0.95)).toBe(20);
    expect(minSamplesFor(0.5)).toBe(10);
    expect(quantileEstimate(histogramOf(sample(seededRandom(1), 99)), 0.99)).toBeNull();
    expect(quantileEstimate(histogramOf(sample(seededRandom(1), 100)), 0.99)).not.toBeNull();
    expect(quantileEstimate(histogramOf(sample(seededRandom(1), 19)), 0.95)).toBeNull();
  });

  it("Wilson's interval for a rate: never below 0, and 0 of 100 is not proof of 0", () => {
    const none = wilsonInterval(0, 100);
    expect(none?.lo).toBe(0);
    expect(none?.hi).toBeCloseTo(0.037, 3);
    const some = wilsonInterval(10, 100);
    expect(some?.lo).toBeCloseTo(0.0552, 3);
    expect(some?.hi).toBeCloseTo(0.1744, 3);
  });
});

describe("compareRuns: a change is a regression only beyond the intervals, the tolerance, the floor and the noise", () => {
  it("identical runs: no regression and no improvement in any pair of 6", () => {
    const runs = [1, 2, 3, 4, 5, 6].map((s) => run(s));
    for (const a of runs)
      for (const b of runs) {
        if (a === b) continue;
        const c = compareRuns([a], [b], DEFAULT_COMPARE);
        expect(c.regressions).toEqual([]);
        expect(c.improvements).toEqual([]);
      }
  });

  it("20 ms added to one ~5 ms op: that op regresses in every phase, no other op does", () => {
    const c = compareRuns([run(1)], [run(2, { slowOp: "dashboard", slowMs: 20 })], DEFAULT_COMPARE);
    const regressed = new Set(c.regressions.map((r) => r.op));
    expect([...regressed]).toEqual(["dashboard"]);
    expect(c.regressions.filter((r) => r.metric === "latency p95").map((r) => r.phase)).toEqual([
      "baseline",
      "fault",
      "after",
    ]);
    const row = c.regressions[0];
    expect(row?.newInterval?.[0]).toBeGreaterThan(row?.baseInterval?.[1] ?? Number.POSITIVE_INFINITY);
    expect(c.summary).toMatch(
      /^\d+ regression\(s\), 0 improvement\(s\), \d+ within noise, \d+ not judged in \d+ checks$/,
    );
    // The other way round it is an improvement.
    const back = compareRuns([run(2, { slowOp: "dashboard", slowMs: 20 })], [run(1)], DEFAULT_COMPARE);
    expect(back.regressions).toEqual([]);
    expect(new Set(back.improvements.map((r) => r.op))).toEqual(new Set(["dashboard"]));
  });

  it("too few samples for a p99: not judged, and said; the pool wait with no histogram too", () => {
    const c = compareRuns([run(1, { n: 60 })], [run(2, { n: 60, slowOp: "dashboard", slowMs: 20 })], DEFAULT_COMPARE);
    const p99 = c.rows.filter((r) => r.metric === "latency p99");
    expect(p99.every((r) => r.verdict === "not judged" && r.baseInterval === null)).toBe(true);
    expect(p99[0]?.note).toBe("too few samples in either run for this value");
    expect(c.rows.find((r) => r.metric === "pool wait p95")?.verdict).toBe("not judged");
    // A p95 of 60 samples is judged: the 20 ms still shows.
    expect(c.regressions.some((r) => r.op === "dashboard" && r.metric === "latency p95")).toBe(true);
  });

  it("a stall in one run's second half: its halves disagree, and that spread is noise, not a regression", () => {
    // 15 ms added to a tenth of the samples, all in the second half: the run's p95 rises by ~15 ms.
    const stalled = run(2, { stallMs: 15 });
    const without = compareRuns([run(1, { halves: false })], [run(2, { stallMs: 15, halves: false })], DEFAULT_COMPARE);
    expect(without.noise).toBeNull();
    expect(without.regressions.some((r) => r.metric === "latency p95")).toBe(true);
    const c = compareRuns([run(1)], [stalled], DEFAULT_COMPARE);
    expect(c.noise).toMatchObject({ baseRuns: 1, newRuns: 1, withinRuns: true });
    expect(c.rows.find((r) => r.metric === "latency p95")?.noise).toBeGreaterThan(10);
    expect(c.regressions.filter((r) => r.metric === "latency p95")).toEqual([]);
    // Steady halves leave a real change to one op standing.
    const slow = compareRuns([run(1)], [run(3, { slowOp: "dashboard", slowMs: 20 })], DEFAULT_COMPARE);
    expect(new Set(slow.regressions.map((r) => r.op))).toEqual(new Set(["dashboard"]));
  });

  it("noise from several runs a side widens the judgement, and is said per op", () => {
    const one = compareRuns([run(1, { halves: false })], [run(2, { halves: false })], DEFAULT_COMPARE);
    expect(one.noise).toBeNull();
    // Base runs that disagree by ~25 ms on dashboard: a 20 ms change is within that spread.
    const noisy = [run(3), run(4, { slowOp: "dashboard", slowMs: 25 }), run(5)];
    const c = compareRuns(noisy, [run(6, { slowOp: "dashboard", slowMs: 20 })], DEFAULT_COMPARE);
    expect(c.noise).toMatchObject({ baseRuns: 3, newRuns: 1 });
    expect(c.noise?.perOp.find((o) => o.op === "dashboard")?.spread).toBeGreaterThan(20);
    expect(c.regressions.filter((r) => r.op === "dashboard" && r.metric === "latency p95")).toEqual([]);
    expect(c.rows.find((r) => r.op === "dashboard" && r.metric === "latency p95")?.noise).toBeGreaterThan(20);
  });

  it("a run disturbed by other programs during a phase: its changes are neither regressions nor improvements", () => {
    const next = run(2, { slowOp: "dashboard", slowMs: 20 });
    const fault = next.phases.find((p) => p.name === "fault");
    next.disturbed = [
      { fromMs: fault?.startMs ?? 0, toMs: (fault?.startMs ?? 0) + 3000, otherCores: 1.2, by: ["chromium"] },
    ];
    const c = compareRuns([run(1)], [next], DEFAULT_COMPARE);
    const inFault = c.rows.filter((r) => r.phase === "fault" && r.op === "dashboard" && r.metric === "latency p95");
    expect(inFault[0]?.verdict).toBe("disturbed");
    expect(inFault[0]?.note).toMatch(/others used 1.2 cores .*chromium/);
    expect(c.regressions.some((r) => r.phase === "fault")).toBe(false);
    expect(c.regressions.some((r) => r.phase === "baseline")).toBe(true);
    expect(c.disturbed).toHaveLength(1);
  });

  it("a disturbed run is not evidence: a side is judged on its undisturbed runs, so a real change is not hidden", () => {
    // A base run stalled (by a neighbour) in its baseline's second half: ~40 ms on a tenth of its samples.
    const stalled = run(1, { stallMs: 40 });
    const baseline = stalled.phases.find((p) => p.name === "baseline");
    stalled.disturbed = [
      { fromMs: baseline?.startMs ?? 0, toMs: baseline?.endMs ?? 0, otherCores: 0.6, by: ["postgres"] },
    ];
    const dashboardP95 = (c: ReturnType<typeof compareRuns>, phase = "baseline") =>
      c.rows.find((r) => r.phase === phase && r.op === "dashboard" && r.metric === "latency p95");
    const slow = [run(2, { slowOp: "dashboard", slowMs: 20 })];
    // Merged and counted as noise, the stall would make dashboard's +20 ms "within noise"...
    const counted = compareRuns([{ ...stalled, disturbed: [] }, run(3)], slow, DEFAULT_COMPARE);
    expect(dashboardP95(counted)?.verdict).toBe("within noise");
    // ...left out, the base is its other run, and the change is a regression.
    const c = compareRuns([stalled, run(3)], slow, DEFAULT_COMPARE);
    expect(dashboardP95(c)?.verdict).toBe("regression");
    expect(dashboardP95(c)?.baseSamples).toBe(1000);
    expect(c.disturbed).toEqual([
      expect.stringMatching(
        /^baseline: base run of .*others used 0.6 cores .*postgres.*; left out: judged on that side's other runs$/,
      ),
    ]);
    // The noise line says so: the noise is the other runs'.
    expect(counted.noise?.leftOut).toBeUndefined();
    expect(noiseLine(c)).toMatch(/measured over 2 base and 1 new run\(s\).*, a disturbed run's phases left out: /);
    // Where the stalled run was not disturbed (the fault phase), it counts, and its wander is noise.
    expect(dashboardP95(c, "fault")?.verdict).toBe("within noise");
    // A side whose every run was disturbed is judged on them, and a change is disturbed, not a regression.
    const alone = compareRuns([stalled], slow, DEFAULT_COMPARE);
    expect(dashboardP95(alone)?.verdict).toBe("disturbed");
    expect(dashboardP95(alone)?.note).toMatch(/^not judged: base run of .*postgres/);
  });

  it("phases before the baseline (warm-up) are not compared; pairs only one side has are noted", () => {
    const next = run(2);
    next.ops = next.ops.filter((o) => o.phase !== "after");
    const c = compareRuns([run(1)], [next], DEFAULT_COMPARE);
    expect(c.unmatched).toEqual([
      "dashboard in after: only in the base run",
      `${sampleReport().ops[5]?.op} in after: only in the base run`,
    ]);
    const warm = run(3);
    warm.baseline = "fault";
    const w = compareRuns([run(1)], [warm], DEFAULT_COMPARE);
    expect(w.rows.some((r) => r.phase === "baseline")).toBe(false);
  });
});

describe("incompatibilities", () => {
  it("none for two runs of the same scenario and settings", () => {
    expect(incompatibilities(sampleReport(), sampleReport())).toEqual([]);
  });

  it("seeding time differs on every run: only the seeded shape must match", () => {
    const next = sampleReport();
    next.seed = { ...next.seed, seconds: 9.87, checkpointed: false };
    expect(incompatibilities(sampleReport(), next)).toEqual([]);
    next.seed = { ...next.seed, events: 2000 };
    expect(incompatibilities(sampleReport(), next)).toEqual([
      'seed differ: {"events":1000,"accounts":10,"projects":50,"jobs":100} vs {"events":2000,"accounts":10,"projects":50,"jobs":100}',
    ]);
  });

  it("names every reason two runs cannot be compared", () => {
    const next = sampleReport();
    next.scenario = "other";
    next.status = "aborted";
    next.settings = { ...next.settings, pgbouncer: { poolMode: "transaction", defaultPoolSize: 5 } };
    next.phases = next.phases.slice(0, 2);
    expect(incompatibilities(sampleReport(), next)).toEqual([
      "scenario: 'sample' vs 'other' (compare runs of the same scenario)",
      "new run was aborted: its numbers cover part of the run",
      'PgBouncer settings differ: {"poolMode":"transaction","defaultPoolSize":20} vs {"poolMode":"transaction","defaultPoolSize":5}',
      'phases differ: ["baseline","fault","after"] vs ["baseline","fault"]',
    ]);
  });
});
