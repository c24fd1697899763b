import type { ConstantArrivalRateScenario, RampingArrivalRateScenario } from "k6/options";
import { describe, expect, it } from "vitest";
import { createExecutor, type Executor, type OpenLoopPlan } from "../../harness/executors/index.ts";

function executor(options: Record<string, unknown>): Executor {
  const result = createExecutor("s", options);
  if ("problems" in result) throw new Error(result.problems.join("\n"));
  return result;
}

function problems(options: Record<string, unknown>): string[] {
  const result = createExecutor("s", options);
  return "problems" in result ? result.problems : [];
}

function count(plan: OpenLoopPlan): number {
  let n = 0;
  for (const _ of plan.arrivals()) n++;
  return n;
}

describe("constant-arrival-rate", () => {
  const options: ConstantArrivalRateScenario = {
    executor: "constant-arrival-rate",
    rate: 30,
    timeUnit: "1m",
    duration: "2m",
    preAllocatedVUs: 5,
  };

  it("applies k6 defaults and describes itself in one line", () => {
    const e = executor({ ...options });
    expect(e.gracefulStopMs).toBe(30_000);
    expect(e.startTimeMs).toBe(0);
    expect(e.exec).toBe("default");
    expect(e.describe()).toBe("30 iterations/1m0s for 2m0s (maxVUs: 5, gracefulStop: 30s)");
  });

  it("plans rate × duration arrivals, spaced by timeUnit/rate", () => {
    const plan = executor({ ...options }).plan() as OpenLoopPlan;
    expect(plan.maxVUs).toBe(5);
    expect(count(plan)).toBe(60);
    const [first, second] = plan.arrivals();
    expect((second as number) - (first as number)).toBeCloseTo(2_000, 9);
    expect(plan.targetRatePerSec).toBeCloseTo(0.5, 9);
  });
});

describe("ramping-arrival-rate", () => {
  it("plans the area under the rate curve", () => {
    const options: RampingArrivalRateScenario = {
      executor: "ramping-arrival-rate",
      startRate: 10,
      preAllocatedVUs: 2,
      maxVUs: 50,
      stages: [
        { target: 50, duration: "10s" },
        { target: 50, duration: "10s" },
      ],
    };
    const plan = executor({ ...options }).plan() as OpenLoopPlan;
    expect(count(plan)).toBe(300 + 500);
    expect(plan.targetRatePerSec).toBeCloseTo(40, 9);
  });
});

describe("closed-loop executors", () => {
  it("per-vu-iterations and shared-iterations plan their iteration counts", () => {
    expect(executor({ executor: "per-vu-iterations", vus: 3, iterations: 4 }).plan()).toMatchObject({
      kind: "closed",
      iterationsPerVu: 4,
      durationMs: 600_000,
      vuSteps: [{ atMs: 0, vus: 3 }],
    });
    expect(executor({ executor: "shared-iterations", vus: 2, iterations: 10 }).plan()).toMatchObject({
      sharedIterations: 10,
    });
  });

  it("ramping-vus steps one VU at a time", () => {
    const plan = executor({ executor: "ramping-vus", startVUs: 0, stages: [{ duration: "2s", target: 2 }] }).plan();
    expect(plan).toMatchObject({ kind: "closed", durationMs: 2_000 });
    expect(plan.kind === "closed" && plan.vuSteps.map((s) => s.vus)).toEqual([0, 1, 2]);
  });

  it("constant-vus describes itself", () => {
    expect(executor({ executor: "constant-vus", vus: 10, duration: "1m" }).describe()).toBe(
      "10 looping VUs for 1m0s (gracefulStop: 30s)",
    );
  });
});

describe("validation reports every problem at once", () => {
  it("names each bad field", () => {
    expect(
      problems({
        executor: "constant-arrival-rate",
        rate: -1,
        duration: "soon",
        preAllocatedVUs: 10,
        maxVUs: 2,
        tags: { team: 5 },
        rampUp: "10s",
      }),
    ).toEqual([
      "scenarios.s.tags.team: must be a string",
      "scenarios.s.rate: must be a whole number ≥ 1 (got -1)",
      'scenarios.s.duration: \'soon\' is not a duration (e.g. "30s", "1m30s", "500ms")',
      "scenarios.s.maxVUs: (2) is below preAllocatedVUs (10)",
      "scenarios.s.rampUp: unknown option",
    ]);
  });

  it("rejects an unknown executor and bad stages", () => {
    expect(problems({ executor: "externally-controlled" })[0]).toMatch(
      /executor: "externally-controlled" is not one of/,
    );
    expect(problems({ executor: "ramping-vus", stages: [{ duration: "1x", target: 2, extra: 1 }] })).toEqual([
      'scenarios.s.stages[0].duration: \'1x\' is not a duration (e.g. "30s", "1m30s", "500ms")',
      "scenarios.s.stages[0].extra: unknown option",
    ]);
  });
});
