/**
 * Budgets on rolling windows: a one-second stall is judged the same whatever the length of the phase it
 * falls in, and a window too thin to tell is not judged (and counted as such).
 */
import { describe, expect, it } from "vitest";
import { IterationTimer } from "../../harness/clients/iteration-timer.ts";
import { MetricsStore } from "../../harness/metrics/store.ts";
import { judgedThresholds } from "../../harness/scenario/budgets.ts";
import { evaluateThresholds } from "../../harness/thresholds/evaluate.ts";
import { measuredOfSeries } from "../../harness/thresholds/measured.ts";
import { parseThresholds } from "../../harness/thresholds/parse.ts";
import { minWindowSamples } from "../../harness/thresholds/windows.ts";

/** `perSecond` iterations each second of a fault phase `seconds` long, 5 ms each but 1 s of stalled ones. */
function faultPhase(seconds: number, perSecond: number, stall: { atS: number; ms: number; failed?: boolean }) {
  const store = new MetricsStore();
  const baseline = store.series("search", { phase: "baseline" });
  const fault = store.series("search", { phase: "fault" }, 0);
  const add = (series: typeof fault, endMs: number, latencyMs: number, failed = false) =>
    series.add({
      intendedMs: endMs - latencyMs,
      startMs: endMs - latencyMs,
      endMs,
      timer: new IterationTimer(),
      error: failed ? "timeout" : undefined,
    });
  for (let i = 0; i < 100; i++) add(baseline, i, 5);
  for (let s = 0; s < seconds; s++)
    for (let i = 0; i < perSecond; i++) {
      const stalled = s === stall.atS;
      add(fault, 10_000 + s * 1000 + (i * 1000) / perSecond, stalled ? stall.ms : 5, stalled && stall.failed === true);
    }
  return store;
}

function judge(store: MetricsStore, thresholds: Record<string, string>, faultS: number) {
  const phases = [
    { name: "baseline", startMs: 0, endMs: 10_000 },
    { name: "fault", startMs: 10_000, endMs: 10_000 + faultS * 1000 },
  ];
  const parsed = parseThresholds(thresholds, { ops: ["search"], phases: ["baseline", "fault"] });
  expect(parsed.problems).toEqual([]);
  const planned = judgedThresholds(
    { thresholds: parsed.thresholds, phases, baseline: "baseline", ops: ["search"] },
    { defaults: false },
  );
  return evaluateThresholds(planned, store.all().map(measuredOfSeries), 10_000 + faultS * 1000);
}

describe("budgets on rolling windows", () => {
  it("a 1 s stall fails p95 < 300 in a 10 s phase and in a 60 s one alike (the whole 60 s phase alone would pass)", () => {
    const short = judge(faultPhase(10, 50, { atS: 4, ms: 800 }), { "latency{phase:fault}": "p(95)<300" }, 10);
    const long = judge(faultPhase(60, 50, { atS: 30, ms: 800 }), { "latency{phase:fault}": "p(95)<300" }, 60);
    expect(short[0]?.ok).toBe(false);
    expect(long[0]?.ok).toBe(false);
    expect(long[0]?.actual).toBeGreaterThan(700);
    // The whole long phase: 50 stalled of 3000 is 1.7%, under the 5% a p95 looks at.
    const whole = judge(
      faultPhase(60, 50, { atS: 30, ms: 800 }),
      { "latency{phase:fault}": [{ threshold: "p(95)<300", window: "0s" }] as never },
      60,
    );
    expect(whole[0]).toMatchObject({ ok: true });
    expect(whole[0]?.actual).toBeLessThan(10);
    // The worst window is named: 10 s containing second 30 of the phase.
    const w = long[0]?.window;
    expect(w).toMatchObject({ sizeS: 10, judged: 51, notJudged: 0 });
    expect(w?.worst?.fromS).toBeLessThanOrEqual(40);
    expect(w?.worst?.toS).toBeGreaterThan(40);
    expect(long[0]?.op).toBe("search");
  });

  it("errors in a 1 s burst fail rate<0.01 whatever the phase's length", () => {
    const short = judge(
      faultPhase(10, 50, { atS: 4, ms: 5, failed: true }),
      { "errors{phase:fault}": "rate<0.01" },
      10,
    );
    const long = judge(
      faultPhase(60, 50, { atS: 30, ms: 5, failed: true }),
      { "errors{phase:fault}": "rate<0.05" },
      60,
    );
    expect(short[0]).toMatchObject({ ok: false, op: "search" });
    // 50 failures in the worst 10 s window of 500: 10%, though 50 of 3000 (1.7%) over the phase.
    expect(long[0]).toMatchObject({ ok: false, actual: 0.1, samples: 500, events: 50 });
  });

  it("a window with too few samples for its aggregation is not judged, and counted", () => {
    // 5 iterations a second: a 10 s window holds 50, enough for p95 (20) but not for p99 (100).
    const thin = faultPhase(30, 5, { atS: 10, ms: 800 });
    const [p95, p99] = judge(
      thin,
      { "latency{phase:fault}": "p(95)<300", "latency{op:search,phase:fault}": "p(99)<5000" },
      30,
    );
    expect(p95?.window).toMatchObject({ judged: 21, notJudged: 0 });
    expect(p99?.window).toMatchObject({ judged: 0, notJudged: 21 });
    expect(p99?.ok).toBe(true);
    expect(minWindowSamples({ aggregation: "p(N)", percentile: 99, operator: "<", value: 1 })).toBe(100);
    expect(minWindowSamples({ aggregation: "rate", operator: "<", value: 0.01 })).toBe(100);
    expect(minWindowSamples({ aggregation: "rate", operator: ">", value: 0.99 })).toBe(100);
    expect(minWindowSamples({ aggregation: "avg", operator: "<", value: 1 })).toBe(10);
  });

  it("a window option must be a duration of at least a second", () => {
    const parsed = parseThresholds(
      {
        "latency{phase:fault}": [
          { threshold: "p(95)<300", window: "300ms" },
          { threshold: "p(95)<300", window: "soon" },
        ] as never,
      },
      { ops: ["search"], phases: ["fault"] },
    );
    expect(parsed.problems).toEqual([
      `thresholds['latency{phase:fault}'][0].window: at least 1s (or "0s": the whole phase only)`,
      `thresholds['latency{phase:fault}'][1].window: 'soon' is not a duration (e.g. "30s", "1m30s", "500ms") (or "0s": the whole phase only)`,
    ]);
  });
});
