import { describe, expect, it } from "vitest";
import { IterationTimer } from "../../harness/clients/iteration-timer.ts";
import { mergeOpReports, mergePerSecond } from "../../harness/merge/merge-ops.ts";
import { checkParts, layoutOf, type Part } from "../../harness/merge/merge-parts.ts";
import { PerSecondLatency } from "../../harness/metrics/per-second.ts";
import { MetricsStore } from "../../harness/metrics/store.ts";
import { opReports } from "../../harness/run/build-report.ts";
import type { RunReport, SegmentReport } from "../../reports/schema.ts";
import { sampleReport } from "../fixtures/reports/sample-report.ts";
import { seededRandom } from "../helpers/random.ts";

/** Samples with latencies from a skewed distribution, round-robin over `parts` stores and one whole store. */
function record(parts: number, n: number) {
  const random = seededRandom(7);
  const whole = new MetricsStore();
  const stores = Array.from({ length: parts }, () => new MetricsStore());
  for (let k = 0; k < n; k++) {
    const latency = random() < 0.97 ? 2 + random() * 8 : 100 + random() * 900;
    const timer = new IterationTimer();
    timer.poolWaitMs = latency / 4;
    timer.serviceMs = latency / 2;
    timer.http = [{ name: k % 3 === 0 ? "GET /a" : "GET /b", status: 200, ms: latency, failed: false }];
    const sample = {
      intendedMs: k,
      startMs: k + 0.1,
      endMs: k + latency,
      timer,
      error: k % 97 === 0 ? ("query" as const) : undefined,
    };
    for (const store of [whole, stores[k % parts] as MetricsStore]) store.series("op", { phase: "steady" }).add(sample);
  }
  return { whole: opReports(whole.all()), parts: stores.map((s) => opReports(s.all())) };
}

describe("merging the parts of a segmented run", () => {
  it("merges ops so that counts and every quantile equal one process's", () => {
    const { whole, parts } = record(3, 3000);
    const [merged] = mergeOpReports(parts);
    const [one] = whole;
    expect(merged?.count).toBe(one?.count);
    expect(merged?.errors).toBe(one?.errors);
    // Quantiles exactly; the max within the histogram's 3 significant digits (an encoded histogram keeps its
    // bucket, not the value recorded in it).
    for (const trend of ["latencyMs", "poolWaitMs", "serviceMs"] as const) {
      const [m, o] = [merged?.[trend], one?.[trend]];
      expect({ ...m, max: 0 }, trend).toEqual({ ...o, max: 0 });
      expect(Math.abs((m?.max ?? 0) - (o?.max ?? 0)) / (o?.max ?? 1), trend).toBeLessThan(1e-3);
    }
    expect(merged?.statusCounts).toEqual(one?.statusCounts);
    expect(merged?.requests?.map((r) => [r.name, r.count, r.durationMs.p95, r.durationMs.p99])).toEqual(
      one?.requests?.map((r) => [r.name, r.count, r.durationMs.p95, r.durationMs.p99]),
    );
    // Averaging the parts' p99s is what a merge without histograms gets: not the same number.
    expect(merged?.latencyMs.p99).toBeGreaterThan(100);
  });

  it("adds per-second figures and reads each second's p95 from the merged histograms", () => {
    const a = new PerSecondLatency({ keepHistograms: true });
    const b = new PerSecondLatency({ keepHistograms: true });
    for (let i = 0; i < 95; i++) a.record("op", 1);
    for (let i = 0; i < 5; i++) b.record("op", 500);
    a.tick();
    b.tick();
    const per = (p: PerSecondLatency) => ({ originMs: 20, intervalMs: 1000, ops: Object.fromEntries(p.ops) });
    const merged = mergePerSecond([per(a), per(b)]);
    expect(merged.ops.op?.count).toEqual([100]);
    // 95 of 100 at 1 ms: the merged p95 is 1 ms, where b's own p95 was 500 ms.
    expect(merged.ops.op?.p95Ms[0]).toBeCloseTo(1, 2);
  });

  const part = (segment: Partial<SegmentReport>, file: string): Part => ({
    file,
    report: {
      ...sampleReport(),
      segment: {
        index: 1,
        count: 3,
        startAt: "2026-12-02T10:00:00.000Z",
        startLagMs: 2,
        clockSource: "system clock",
        loadOnly: false,
        durationScale: 1,
        lagToleranceMs: 30,
        ...segment,
      },
    } satisfies RunReport,
  });

  it("refuses parts of different runs and reports that are not parts", () => {
    expect(() =>
      checkParts([part({}, "a.json"), part({ index: 2, startAt: "2026-12-02T11:00:00.000Z" }, "b.json")]),
    ).toThrow(/2 different runs/);
    expect(() => checkParts([part({}, "a.json"), { file: "whole.json", report: sampleReport() }])).toThrow(
      /whole.json: not a segment's part/,
    );
  });

  it("names missing, overlapping and late parts", () => {
    const parts = checkParts([
      part({}, "a.json"),
      part({ index: 2, loadOnly: true, startLagMs: 400 }, "b.json"),
      part({ index: 2, loadOnly: true }, "b-again.json"),
    ]);
    const { merged, parts: used } = layoutOf(parts);
    expect(merged.missing).toEqual([3]);
    expect(merged.overlapping).toEqual([2]);
    expect(merged.late).toEqual([2]);
    expect(merged.conductor).toBe(1);
    expect(used.map((p) => p.file)).toEqual(["a.json", "b.json"]);
  });
});
