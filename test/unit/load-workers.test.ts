/**
 * `--workers`: the workers' segments cover the schedule exactly once (within a part, across parts), and their
 * metrics, sent as encoded histograms and added up, equal what one store recording everything holds.
 */
import { describe, expect, it } from "vitest";
import { resolveWorkers, workersProblems } from "../../harness/cli/workers-flag.ts";
import { IterationTimer } from "../../harness/clients/iteration-timer.ts";
import { owns, segmentWithin, shareOf } from "../../harness/executors/segment.ts";
import { encodeHistogram } from "../../harness/metrics/histogram.ts";
import { PerSecondLatency } from "../../harness/metrics/per-second.ts";
import { MetricsStore } from "../../harness/metrics/store.ts";
import { absorbSeries, mergeSecondsOfWorkers, storeToWire } from "../../harness/metrics/store-wire.ts";
import type { LoadedScenario } from "../../harness/scenario/load.ts";

describe("workers' segments", () => {
  it.each([
    [1, 3],
    [2, 2],
    [3, 4],
  ])("the workers of %i part(s), %i each, own every item of the schedule exactly once", (parts, workers) => {
    const owners = Array.from({ length: 97 }, () => 0);
    for (let i = 1; i <= parts; i++) {
      for (let k = 1; k <= workers; k++) {
        const segment = segmentWithin({ index: i, count: parts }, { index: k, count: workers });
        for (let item = 0; item < owners.length; item++)
          if (owns(segment, item)) owners[item] = (owners[item] ?? 0) + 1;
      }
    }
    expect(owners.every((n) => n === 1)).toBe(true);
  });

  it("a worker's share of a part's VUs is what the part's own items give it", () => {
    // Part 2 of 3 owns VUs 1, 4, 7, 10 of 0..11; its 2 workers take 1, 7 and 4, 10.
    const part = { index: 2, count: 3 };
    expect(shareOf(part, 12)).toBe(4);
    expect(
      shareOf(segmentWithin(part, { index: 1, count: 2 }), 12) +
        shareOf(segmentWithin(part, { index: 2, count: 2 }), 12),
    ).toBe(4);
  });
});

function record(store: MetricsStore, k: number, phase: string): void {
  const timer = new IterationTimer();
  timer.poolWaitMs = (k % 7) * 0.5;
  timer.serviceMs = 1 + (k % 5);
  timer.cacheHits = k % 2;
  timer.cacheMisses = 1 - (k % 2);
  timer.http = [
    { status: k % 10 === 0 ? 500 : 200, ms: 2 + (k % 13), failed: k % 10 === 0, name: k % 3 === 0 ? "a" : "b" },
  ];
  const intendedMs = 1000 + k * 3;
  store.series("lookup", { scenario: "s", phase }, 1000, 1000 + 600).add({
    intendedMs,
    startMs: intendedMs + (k % 4),
    endMs: intendedMs + 5 + (k % 17),
    timer,
    error: k % 10 === 0 ? "http_5xx" : undefined,
  });
}

describe("a worker's metrics added into the main thread's store", () => {
  it("equal, histogram for histogram and counter for counter, what one store recording everything holds", () => {
    const one = new MetricsStore();
    const parts = [new MetricsStore(), new MetricsStore(), new MetricsStore()];
    for (let k = 0; k < 400; k++) {
      record(one, k, k < 200 ? "base" : "fault");
      record(parts[k % 3] as MetricsStore, k, k < 200 ? "base" : "fault");
    }
    const merged = new MetricsStore();
    for (const p of parts) for (const wire of storeToWire(p)) absorbSeries(merged, wire);
    expect(merged.all().map((s) => s.tags.phase)).toEqual(one.all().map((s) => s.tags.phase));
    for (const [i, expected] of one.all().entries()) {
      const got = merged.all()[i];
      if (!got) throw new Error("a series went missing");
      for (const t of ["latency", "dispatch_lag", "pool_wait", "service_time"] as const)
        expect(encodeHistogram(got.trends[t])).toBe(encodeHistogram(expected.trends[t]));
      expect({ ...got, trends: 0, httpDuration: 0, byName: 0, seconds: 0, halves: 0 }).toMatchObject({
        iterations: expected.iterations,
        cacheHits: expected.cacheHits,
        httpRequests: expected.httpRequests,
        httpFailed: expected.httpFailed,
        statusCounts: expected.statusCounts,
        errors: expected.errors,
      });
      expect(encodeHistogram(got.httpDuration)).toBe(encodeHistogram(expected.httpDuration));
      expect([...got.byName.keys()].sort()).toEqual([...expected.byName.keys()].sort());
      expect(got.byName.get("a")?.requests).toBe(expected.byName.get("a")?.requests);
      expect(got.seconds?.closed()).toEqual(expected.seconds?.closed());
      expect(got.halves?.latency.map(encodeHistogram)).toEqual(expected.halves?.latency.map(encodeHistogram));
    }
  });

  it("per-second figures add second by second, each second's p95 from the merged histograms", () => {
    const one = new PerSecondLatency();
    const workers = [new PerSecondLatency({ keepHistograms: true }), new PerSecondLatency({ keepHistograms: true })];
    for (let second = 0; second < 3; second++) {
      for (let k = 0; k < 100; k++) {
        const ms = second * 10 + (k % 50);
        one.record("lookup", ms, k % 3, k % 20 === 0);
        workers[k % 2]?.record("lookup", ms, k % 3, k % 20 === 0);
      }
      one.tick();
      for (const w of workers) w.tick();
    }
    const merged = new PerSecondLatency();
    mergeSecondsOfWorkers(
      workers.map((w) => Object.fromEntries(w.ops)),
      false,
      merged,
    );
    expect(merged.ops.get("lookup")).toEqual(one.ops.get("lookup"));
  });
});

describe("--workers auto", () => {
  it("leaves the servers and the app most of a local machine's cores, and takes all but one against a target", () => {
    expect(resolveWorkers("auto", false, 2).count).toBe(1);
    expect(resolveWorkers("auto", false, 16).count).toBe(4);
    expect(resolveWorkers("auto", true, 8).count).toBe(7);
    expect(resolveWorkers(3, false, 2)).toEqual({ count: 3, why: "--workers" });
    expect(resolveWorkers("auto", false, 2).why).toContain("2 cores");
  });

  it("refuses workers an open-loop executor's maxVUs cannot give one VU each", () => {
    const scenario = {
      executors: [
        {
          scenario: "s",
          exec: "lookup",
          startTimeMs: 0,
          gracefulStopMs: 0,
          tags: {},
          plan: () => ({ kind: "open", maxVUs: 2, preAllocatedVUs: 2, targetRatePerSec: 10 }),
        },
      ],
    } as unknown as LoadedScenario;
    expect(workersProblems(scenario, 2, 1)).toEqual([]);
    expect(workersProblems(scenario, 3, 1)[0]).toMatch(/maxVUs: 2 cannot be split into 3 segments.*--workers 3/);
  });
});
