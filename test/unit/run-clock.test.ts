import { describe, expect, it } from "vitest";
import { RunClock } from "../../harness/run/run-clock.ts";

describe("RunClock", () => {
  it("puts a phase boundary and an action scheduled there on the same ms, whatever the origin's fraction", () => {
    for (const origin of [1000.2, 1000.5, 1000.7, 12345.999]) {
      const clock = new RunClock(20, () => origin);
      const phaseStart = clock.atLoadOffset(35_000);
      expect(phaseStart).toBe(35_020);
      expect(clock.dueAt(35_000) - clock.originMs).toBe(35_020);
    }
  });

  it("counts elapsed time from the origin", () => {
    let now = 500.4;
    const clock = new RunClock(20, () => now);
    now = 1_700.9;
    expect(clock.elapsed()).toBe(1_201);
    expect(clock.loadStartAt).toBeCloseTo(520.4);
  });
});
