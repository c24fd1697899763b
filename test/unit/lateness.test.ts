/**
 * Late starts and verdicts: latency counts from the intended start, so a late start only adds to it. A
 * budget that held is the system's whatever the lag; a failure is the system's only when it is larger than
 * the lag could have added, and otherwise the run is invalid.
 */
import { describe, expect, it } from "vitest";
import { IterationTimer } from "../../harness/clients/iteration-timer.ts";
import { newHistogram, recordMs } from "../../harness/metrics/histogram.ts";
import { MetricsStore } from "../../harness/metrics/store.ts";
import { assessGenerator, settleLateness } from "../../harness/runner/generator-health.ts";
import { judgedThresholds } from "../../harness/scenario/budgets.ts";
import { evaluateThresholds } from "../../harness/thresholds/evaluate.ts";
import { failureStands, lagBoundOf } from "../../harness/thresholds/lateness.ts";
import { measuredOfSeries } from "../../harness/thresholds/measured.ts";
import { parseThresholds } from "../../harness/thresholds/parse.ts";

const histogramOf = (values: number[]) => {
  const h = newHistogram();
  for (const v of values) recordMs(h, v);
  return h;
};
const repeat = (n: number, ms: number) => Array.from({ length: n }, () => ms);
const p95 = { metric: "latency", aggregation: "p(N)", percentile: 95, operator: "<", value: 300 } as const;

describe("failureStands", () => {
  // 100 samples, 10 of them at 400 ms: p95 is 400, over a 300 ms budget by far more than any on-time lag.
  const slow = histogramOf([...repeat(90, 100), ...repeat(10, 400)]);
  const bound = (lags: number[], toleranceMs = 10) => lagBoundOf(histogramOf(lags), toleranceMs);

  it("a failure well beyond the lag stands; one that late starts could carry does not", () => {
    expect(failureStands(p95, slow, bound(repeat(100, 0.2)))).toBe(true);
    // 5 of the 10 slow ones may be all lag: the 5 left are not more than p95's tail of 5.
    expect(failureStands(p95, slow, bound([...repeat(96, 0.2), ...repeat(4, 350)]))).toBe(true);
    expect(failureStands(p95, slow, bound([...repeat(95, 0.2), ...repeat(5, 350)]))).toBe(false);
  });

  it("a failure by less than the on-time starts' lag does not stand; the same on a quiet generator does", () => {
    const marginal = histogramOf([...repeat(90, 100), ...repeat(10, 305)]);
    expect(failureStands(p95, marginal, bound(repeat(100, 8)))).toBe(false);
    expect(failureStands(p95, marginal, bound(repeat(100, 1)))).toBe(true);
  });

  it("a budget far below the tolerance is judged by the lag measured, not by the tolerance", () => {
    // SELECT 1 at ~1 ms against p(95)<0.001 ms: the lag (0.05 ms, one GC pause of 40 ms) cannot explain it.
    const fast = histogramOf(repeat(200, 1));
    const quiet = bound([...repeat(199, 0.05), 40]);
    expect(failureStands({ ...p95, value: 0.001 }, fast, quiet)).toBe(true);
  });

  it("averages lose at most the lag's mean; lower budgets and other metrics are never the lag's", () => {
    const avg = { ...p95, aggregation: "avg" } as const;
    const flat = histogramOf(repeat(100, 320));
    expect(failureStands(avg, flat, bound(repeat(100, 5)))).toBe(true);
    expect(failureStands(avg, flat, bound([...repeat(90, 5), ...repeat(10, 200)]))).toBe(false);
    const late = bound(repeat(100, 900));
    expect(failureStands({ ...p95, operator: ">" }, flat, late)).toBe(true);
    expect(failureStands({ ...p95, metric: "pool_wait" }, flat, late)).toBe(true);
  });

  it("the bound counts the starts later than the tolerance and keeps the lag's tail below it", () => {
    const b = lagBoundOf(histogramOf([...repeat(97, 1), 40, 50, 60]), 30);
    expect(b).toMatchObject({ toleranceMs: 30, late: 3 });
    expect(b.maxLagMs).toBeCloseTo(60, 0);
    expect(b.tail.every((s) => s.ms <= 30)).toBe(true);
    expect(b.tail.at(-1)).toEqual({ ms: 30, count: 3 });
  });
});

/** A fault phase of `seconds` at 50/s per op, 5 ms each; in second 4 every iteration takes `stallMs` from its
 * intended start, `lagMs` of which the generator was late (per op: its own [stallMs, lagMs]). */
function faultWithLag(stallMs: number, lagMs: number, seconds = 10, ops: Record<string, [number, number]> = {}) {
  const stalls: Record<string, [number, number]> = { search: [stallMs, lagMs], ...ops };
  const store = new MetricsStore(30);
  for (const [op, [stall, lag]] of Object.entries(stalls)) {
    const fault = store.series(op, { phase: "fault" }, 0);
    for (let s = 0; s < seconds; s++)
      for (let i = 0; i < 50; i++) {
        const intendedMs = s * 1000 + i * 20;
        const stalled = s === 4;
        const startMs = intendedMs + (stalled ? lag : 0);
        const endMs = intendedMs + (stalled ? stall : 5);
        fault.add({ intendedMs, startMs, endMs, timer: new IterationTimer(), error: undefined });
      }
  }
  const phases = [
    { name: "baseline", startMs: -1000, endMs: 0 },
    { name: "fault", startMs: 0, endMs: seconds * 1000 },
  ];
  const names = Object.keys(stalls);
  const parsed = parseThresholds(
    { "latency{phase:fault}": "p(95)<300" },
    { ops: names, phases: ["baseline", "fault"] },
  );
  const planned = judgedThresholds(
    { thresholds: parsed.thresholds, phases, baseline: "baseline", ops: names },
    { defaults: false },
  );
  return evaluateThresholds(planned, store.all().map(measuredOfSeries), seconds * 1000, 30)[0];
}

describe("a failed budget judged with the generator's late starts", () => {
  it("a stall of the system's own fails the window, and the failure stands", () => {
    const result = faultWithLag(800, 0);
    expect(result?.ok).toBe(false);
    expect(result?.lagMayDecide).toBeUndefined();
  });

  it("the same latency made mostly of the generator's lag fails, and says it may be the lag's", () => {
    const result = faultWithLag(800, 700);
    expect(result?.ok).toBe(false);
    expect(result?.lagMayDecide).toBe(true);
  });

  it("in a phase longer than its window, the failing window's own late starts decide", () => {
    const own = faultWithLag(800, 0, 30);
    expect(own?.window?.worst?.ok).toBe(false);
    expect(own?.lagMayDecide).toBeUndefined();
    const lagged = faultWithLag(800, 700, 30);
    expect(lagged?.window?.worst?.ok).toBe(false);
    expect(lagged?.lagMayDecide).toBe(true);
  });
});

describe("a budget judged per op, with late starts", () => {
  it("is at risk only when every failing op is: an op that failed beyond the lag fails it by itself", () => {
    const mixed = faultWithLag(800, 700, 10, { write: [800, 0] });
    expect(mixed?.ops?.filter((o) => !o.ok).map((o) => [o.op, o.lagMayDecide ?? false])).toEqual([
      ["search", true],
      ["write", false],
    ]);
    expect(mixed?.ok).toBe(false);
    expect(mixed?.lagMayDecide).toBeUndefined();
    const bothLagged = faultWithLag(800, 700, 10, { write: [800, 700] });
    expect(bothLagged?.lagMayDecide).toBe(true);
  });
});

describe("settleLateness", () => {
  const healthy = {
    targetRate: 100,
    achievedRate: 100,
    droppedIterations: 0,
    dispatchLagP99Ms: 40,
    lateIterations: 300,
    lateShare: 0.05,
    eventLoopDelayP99Ms: 1,
    cpuPercent: 20,
  };
  const late = assessGenerator(healthy);

  it("late starts alone are a note, not a reason", () => {
    expect(late).toMatchObject({ valid: true, reasons: [] });
    expect(late.notes?.[0]).toMatch(/^300 iterations \(5\.0%\) started more than 10 ms late/);
  });

  it("under budgets that held, or failed beyond the lag, the run stays valid and says so", () => {
    const settled = settleLateness(late, [
      { metric: "latency", expression: "p(95)<300", ok: true },
      { metric: "errors", expression: "rate<0.01", ok: false },
    ]);
    expect(settled.valid).toBe(true);
    expect(settled.notes?.[0]).toContain("no verdict depends on it");
  });

  it("a failure the lag may explain makes the run invalid, naming the budget", () => {
    const settled = settleLateness(late, [
      { metric: "latency{op:search,phase:fault}", expression: "p(95)<300", ok: false, lagMayDecide: true },
    ]);
    expect(settled.valid).toBe(false);
    expect(settled.reasons).toEqual([
      "latency{op:search,phase:fault} p(95)<300 failed by no more than the generator's late starts add (300 iterations (5.0%) started more than 10 ms late (dispatch lag p99 40 ms)): the failure may be rehearse's, not the system's",
    ]);
    expect(settled.notes).toEqual([]);
  });

  it("a budget that failed beyond the lag decides the verdict: valid, and the note names the one at risk", () => {
    const settled = settleLateness(late, [
      { metric: "latency{op:search,phase:fault}", expression: "p(95)<300", ok: false, lagMayDecide: true },
      { metric: "latency{op:write,phase:fault}", expression: "p(95)<300", ok: false },
    ]);
    expect(settled).toMatchObject({ valid: true, reasons: [] });
    expect(settled.notes).toEqual([
      "300 iterations (5.0%) started more than 10 ms late (dispatch lag p99 40 ms); latency{op:search,phase:fault} p(95)<300 failed by no more than it adds, but latency{op:write,phase:fault} p(95)<300 failed beyond it",
    ]);
  });
});
