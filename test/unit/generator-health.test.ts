import { describe, expect, it } from "vitest";
import { assessGenerator } from "../../harness/runner/generator-health.ts";

const healthy = {
  targetRate: 100,
  achievedRate: 100,
  droppedIterations: 0,
  dispatchLagP99Ms: 0.4,
  lateIterations: 0,
  lateShare: 0,
  eventLoopDelayP99Ms: 1,
  cpuPercent: 20,
};

describe("assessGenerator", () => {
  it("passes a generator that kept its schedule", () => {
    expect(assessGenerator(healthy)).toMatchObject({ valid: true, reasons: [] });
  });

  it("notes late starts, and leaves it to the verdict whether they matter (lateness.test.ts)", () => {
    // Two GC pauses in a 100-iteration run: p99 is high, the schedule was kept.
    expect(assessGenerator({ ...healthy, dispatchLagP99Ms: 40, lateIterations: 2, lateShare: 0.02 })).toMatchObject({
      valid: true,
      reasons: [],
    });
    const behind = assessGenerator({ ...healthy, dispatchLagP99Ms: 40, lateIterations: 300, lateShare: 0.05 });
    expect(behind.valid).toBe(true);
    expect(behind.notes?.[0]).toMatch(/300 iterations \(5\.0%\) started more than 10 ms late/);
  });

  it("fails on drops and on a rate it could not reach", () => {
    expect(assessGenerator({ ...healthy, droppedIterations: 3 }).reasons).toEqual([
      "3 iterations dropped (maxVUs too low)",
    ]);
    expect(assessGenerator({ ...healthy, achievedRate: 80 }).reasons).toEqual(["achieved 80.0/s of 100.0/s"]);
  });
});
