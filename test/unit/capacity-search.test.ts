import { describe, expect, it } from "vitest";
import {
  DEFAULT_LIMITS,
  type Probe,
  type SearchLimits,
  type StepVerdict,
  searchCapacity,
} from "../../harness/capacity/search.ts";

/** A simulated system: every rate up to `ceiling` holds; a generator that cannot go beyond `generatorMax`. */
function system(ceiling: number, generatorMax = Number.POSITIVE_INFINITY): Probe & { rates: number[] } {
  const rates: number[] = [];
  const probe = async (rate: number): Promise<StepVerdict> => {
    rates.push(rate);
    if (rate > generatorMax) return "generator-bound";
    return rate <= ceiling ? "passed" : "failed";
  };
  return Object.assign(probe, { rates });
}

const clock = { now: () => 0, aborted: () => false };
const limits = (over: Partial<SearchLimits> = {}): SearchLimits => ({
  ...DEFAULT_LIMITS,
  startRate: 50,
  maxRate: 10_000,
  ...over,
});

describe("searchCapacity against a simulated system", () => {
  it("steps up geometrically, then bisects to within the precision", async () => {
    const sim = system(190);
    const r = await searchCapacity(limits(), sim, clock);
    expect(r.status).toBe("found");
    expect(sim.rates.slice(0, 4)).toEqual([50, 100, 200, 200]); // 200 broke, and broke again
    expect(r.capacityRate).toBeLessThanOrEqual(190);
    expect(r.firstFailingRate).toBeGreaterThan(190);
    expect(
      ((r.firstFailingRate as number) - (r.capacityRate as number)) / (r.capacityRate as number),
    ).toBeLessThanOrEqual(0.05);
  });

  it("believes a breach only when it repeats: a one-off failure is noise", async () => {
    let calls = 0;
    const flaky: Probe = async (rate) => {
      calls++;
      if (calls === 2) return "failed"; // the first try of 100/s fails once
      return rate <= 300 ? "passed" : "failed";
    };
    const r = await searchCapacity(limits(), flaky, clock);
    expect(r.steps.slice(0, 3)).toEqual([
      { rate: 50, verdict: "passed", repeat: false },
      { rate: 100, verdict: "failed", repeat: false },
      { rate: 100, verdict: "passed", repeat: true },
    ]);
    expect(r.capacityRate).toBeGreaterThan(280);
  });

  it("a breach twice over the budget is believed at once; a marginal one is repeated", async () => {
    const rates: number[] = [];
    const r = await searchCapacity(
      limits({ startRate: 100 }),
      async (rate) => {
        rates.push(rate);
        if (rate <= 260) return "passed";
        return { verdict: "failed", clearBreach: rate >= 300 };
      },
      clock,
    );
    // 400 and 300 missed twice over: believed at once; 275 and 262.5 were marginal: repeated.
    expect(rates).toEqual([100, 200, 400, 300, 250, 275, 275, 262.5, 262.5]);
    expect(r).toMatchObject({ status: "found", capacityRate: 250, firstFailingRate: 262.5 });
  });

  it("a failing start rate: halves until one holds, then bisects", async () => {
    const r = await searchCapacity(limits({ startRate: 400 }), system(70), clock);
    expect(r.status).toBe("found");
    expect(r.capacityRate).toBeLessThanOrEqual(70);
    expect(r.capacityRate).toBeGreaterThan(70 / 1.05 - 1);
  });

  it("stops at a generator-bound step and says the generator, not the system, was the limit", async () => {
    const r = await searchCapacity(limits(), system(100_000, 3_000), clock);
    expect(r.status).toBe("generator-bound");
    expect(r.capacityRate).toBe(1600); // 50·2⁵ = 1600 held; 3200 could not be generated
    expect(r.steps.at(-1)).toEqual({ rate: 3200, verdict: "generator-bound", repeat: false });
    expect(r.reason).toContain("generator");
  });

  it("a busy host once is not the host's limit: the step runs again, and its repeat's verdict stands", async () => {
    let calls = 0;
    // 200/s is the ceiling; the first probe at 100/s meets a busy host, its repeat does not.
    const flaky: Probe = async (rate) => {
      calls++;
      if (rate === 100 && calls === 2) return "host-bound";
      return rate <= 200 ? "passed" : { verdict: "failed", clearBreach: true };
    };
    const r = await searchCapacity(limits({ maxRate: 400 }), flaky, clock);
    expect(r.steps.slice(0, 3)).toEqual([
      { rate: 50, verdict: "passed", repeat: false },
      { rate: 100, verdict: "host-bound", repeat: false },
      { rate: 100, verdict: "passed", repeat: true },
    ]);
    expect(r.status).toBe("found");
    // Busy twice in a row: the host was the limit, and the search says so.
    const busy = await searchCapacity(limits(), async (rate) => (rate >= 100 ? "host-bound" : "passed"), clock);
    expect(busy.status).toBe("host-bound");
    expect(busy.steps.slice(-2)).toEqual([
      { rate: 100, verdict: "host-bound", repeat: false },
      { rate: 100, verdict: "host-bound", repeat: true },
    ]);
  });

  it("not found below --max: every budget held up to it", async () => {
    const r = await searchCapacity(limits({ maxRate: 300 }), system(1_000), clock);
    expect(r).toMatchObject({ status: "not-found", capacityRate: 300, firstFailingRate: null });
    expect(r.steps.map((s) => s.rate)).toEqual([50, 100, 200, 300]);
  });

  it("is bounded in steps and in time", async () => {
    const bySteps = await searchCapacity(limits({ maxSteps: 3 }), system(190), clock);
    expect(bySteps.steps.length).toBeLessThanOrEqual(3);
    expect(bySteps.reason).toContain("step limit");
    let t = 0;
    const slow = { now: () => t, aborted: () => false };
    const byTime = await searchCapacity(
      limits({ maxTimeMs: 25_000 }),
      async (rate) => {
        t += 10_000;
        return rate <= 190 ? "passed" : "failed";
      },
      slow,
    );
    expect(byTime.steps.length).toBe(3);
    expect(byTime.reason).toContain("time limit");
  });

  it("stops at once on a signal, keeping what it learned", async () => {
    let aborted = false;
    const r = await searchCapacity(
      limits(),
      async (rate) => {
        if (rate >= 200) aborted = true;
        return "passed";
      },
      { now: () => 0, aborted: () => aborted },
    );
    expect(r).toMatchObject({ status: "aborted", capacityRate: 100 });
  });
});
