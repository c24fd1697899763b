import { describe, expect, it } from "vitest";
import {
  type ClosedLoopPlan,
  createExecutor,
  type Executor,
  type OpenLoopPlan,
} from "../../harness/executors/index.ts";
import {
  executorShare,
  parseSegment,
  type Segment,
  segmentProblems,
  shareOf,
} from "../../harness/executors/segment.ts";

function executor(options: Record<string, unknown>): Executor {
  const result = createExecutor("s", options);
  if ("problems" in result) throw new Error(result.problems.join("\n"));
  return result;
}

const segments = (n: number): Segment[] => Array.from({ length: n }, (_, i) => ({ index: i + 1, count: n }));
const arrivals = (e: Executor) => [...(e.plan() as OpenLoopPlan).arrivals()];

describe("execution segments", () => {
  it("parses i/N and names what is wrong", () => {
    expect(parseSegment("2/3")).toEqual({ index: 2, count: 3 });
    expect(parseSegment("0/3")).toMatch(/i must be 1 to 3/);
    expect(parseSegment("4/3")).toMatch(/i must be 1 to 3/);
    expect(parseSegment("1/0")).toMatch(/N must be/);
    expect(parseSegment("half")).toMatch(/not i\/N/);
  });

  it("splits a count so that the shares add up to it exactly", () => {
    for (const n of [1, 2, 3, 7]) {
      for (const value of [0, 1, 2, 5, 10, 101]) {
        const shares = segments(n).map((s) => shareOf(s, value));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(value);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }
    }
  });

  it("interleaves a ramping arrival rate: the union of the segments is the one-process schedule", () => {
    const whole = executor({
      executor: "ramping-arrival-rate",
      startRate: 10,
      stages: [
        { target: 200, duration: "3s" },
        { target: 50, duration: "2s" },
      ],
      preAllocatedVUs: 10,
      maxVUs: 30,
    });
    const all = arrivals(whole);
    const parts = segments(3).map((s) => arrivals(executorShare(whole, s)));
    expect(parts.flat().sort((a, b) => a - b)).toEqual(all);
    // Interleaved, not consecutive: each part spans the whole schedule at a third of its rate.
    for (const part of parts) {
      expect(Math.abs(part.length - all.length / 3)).toBeLessThanOrEqual(1);
      expect(part[part.length - 1]).toBeGreaterThan(4_900);
    }
    const plans = segments(3).map((s) => executorShare(whole, s).plan() as OpenLoopPlan);
    expect(plans.map((p) => p.maxVUs)).toEqual([10, 10, 10]);
    expect(plans.reduce((n, p) => n + p.targetRatePerSec, 0)).toBeCloseTo(
      (whole.plan() as OpenLoopPlan).targetRatePerSec,
    );
  });

  it("splits VUs and shared iterations; a ramp's steps are the segment's own", () => {
    const ramp = executor({
      executor: "ramping-vus",
      startVUs: 0,
      stages: [{ target: 4, duration: "4s" }],
    });
    const steps = segments(2).map((s) => (executorShare(ramp, s).plan() as ClosedLoopPlan).vuSteps);
    expect(steps[0]).toEqual([
      { atMs: 0, vus: 0 },
      { atMs: 1000, vus: 1 },
      { atMs: 3000, vus: 2 },
    ]);
    expect(steps[1]).toEqual([
      { atMs: 0, vus: 0 },
      { atMs: 2000, vus: 1 },
      { atMs: 4000, vus: 2 },
    ]);
    const shared = executor({ executor: "shared-iterations", vus: 3, iterations: 10 });
    const plans = segments(3).map((s) => executorShare(shared, s).plan() as ClosedLoopPlan);
    expect(plans.map((p) => p.sharedIterations)).toEqual([4, 3, 3]);
    expect(plans.map((p) => p.vuSteps[0]?.vus)).toEqual([1, 1, 1]);
  });

  it("refuses a split that would leave a segment iterations and no VU", () => {
    const few = executor({ executor: "constant-arrival-rate", rate: 10, duration: "1s", preAllocatedVUs: 2 });
    expect(segmentProblems([few], 3)).toEqual([
      "scenarios.s.maxVUs: 2 cannot be split into 3 segments (each needs at least one VU)",
    ]);
    expect(segmentProblems([few], 2)).toEqual([]);
  });
});
