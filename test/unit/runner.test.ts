/**
 * The runners with in-process ops (no servers): counts, drops, interruption
 * and error classes are exact; the one timing check uses a generous bound.
 */
import type { Redis } from "ioredis";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import type { Op } from "../../harness/clients/op-context.ts";
import type { ScenarioOptions } from "../../harness/executors/index.ts";
import { executorShare } from "../../harness/executors/segment.ts";
import { percentilesMs } from "../../harness/metrics/histogram.ts";
import { planLoad, runLoad } from "../../harness/runner/run-load.ts";
import { parseThresholds } from "../../harness/thresholds/parse.ts";

// Ops here never touch db or cache; the clients are only wrapped, never called.
const targets = { pool: {} as pg.Pool, redis: {} as Redis, cachePrefix: "t:" };

async function run(scenarios: Record<string, ScenarioOptions>, ops: Record<string, Op>) {
  return runLoad(planLoad(scenarios, ops, "test"), ops, targets);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("open-loop runner", () => {
  it("starts exactly rate × duration iterations", async () => {
    const { store, generator } = await run(
      { s: { executor: "constant-arrival-rate", rate: 200, duration: "500ms", preAllocatedVUs: 5, maxVUs: 50 } },
      { default: async () => {} },
    );
    const [series] = store.all();
    expect(series?.iterations).toBe(100);
    expect(series?.dropped).toBe(0);
    expect(generator.targetRate).toBe(200);
  });

  it("drops what maxVUs cannot hold, and loses nothing: started + dropped = scheduled", async () => {
    const { store, outcomes, generator } = await run(
      { s: { executor: "constant-arrival-rate", rate: 40, duration: "500ms", preAllocatedVUs: 1, maxVUs: 2 } },
      { default: () => sleep(200) },
    );
    const series = store.all()[0];
    expect(outcomes.s?.dropped).toBeGreaterThan(0);
    expect((outcomes.s?.started ?? 0) + (outcomes.s?.dropped ?? 0)).toBe(20);
    expect(series?.dropped).toBe(outcomes.s?.dropped);
    expect(generator.valid).toBe(false);
    expect(generator.reasons.join()).toMatch(/dropped/);
  });

  it("measures latency from the intended start when the generator is held up", async () => {
    // Iteration 0 blocks the event loop for 200 ms: the iterations due meanwhile start late,
    // and their latency counts from when they were due, not from when they started.
    const { store } = await run(
      { s: { executor: "constant-arrival-rate", rate: 50, duration: "600ms", preAllocatedVUs: 20 } },
      {
        default: async ({ iteration }) => {
          if (iteration === 0) {
            const until = performance.now() + 200;
            while (performance.now() < until) {}
          }
        },
      },
    );
    const series = store.all()[0];
    expect(series?.iterations).toBe(30);
    const lag = percentilesMs(series?.trends.dispatch_lag ?? ({} as never));
    const latency = percentilesMs(series?.trends.latency ?? ({} as never));
    expect(lag.max).toBeGreaterThan(150);
    expect(latency.max).toBeGreaterThanOrEqual(lag.max);
  });

  it("counts errors by class and keeps going", async () => {
    const { store } = await run(
      { s: { executor: "constant-arrival-rate", rate: 100, duration: "200ms", preAllocatedVUs: 2 } },
      {
        default: async ({ iteration }) => {
          if (iteration % 2 === 0) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
        },
      },
    );
    const series = store.all()[0];
    expect(series?.iterations).toBe(20);
    expect(series?.errors.connection).toBe(10);
    expect(series?.errorCount).toBe(10);
  });

  it("interrupts iterations still running after gracefulStop", async () => {
    const started = performance.now();
    const { store } = await run(
      {
        s: {
          executor: "constant-arrival-rate",
          rate: 10,
          duration: "200ms",
          preAllocatedVUs: 5,
          gracefulStop: "100ms",
        },
      },
      { default: () => new Promise(() => {}) },
    );
    expect(store.all()[0]?.interrupted).toBe(2);
    expect(store.all()[0]?.iterations).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("abortOnFail", () => {
  it("stops the run once a failing threshold is past its delay", async () => {
    const ops = { default: async () => {} };
    const executors = planLoad(
      { s: { executor: "constant-arrival-rate", rate: 50, duration: "20s", preAllocatedVUs: 2 } },
      ops,
      "test",
    );
    const { thresholds } = parseThresholds(
      { iterations: [{ threshold: "count<10", abortOnFail: true, delayAbortEval: "1s" }] },
      { ops: ["default"] },
    );
    const started = performance.now();
    const outcome = await runLoad(executors, ops, targets, { thresholds });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(outcome.abortedBy.map((r) => r.expression)).toEqual(["count<10"]);
  });
});

describe("closed-loop runner", () => {
  it("per-vu-iterations runs vus × iterations, shared-iterations runs iterations", async () => {
    const seen: string[] = [];
    const { store } = await run(
      {
        each: { executor: "per-vu-iterations", vus: 3, iterations: 4, exec: "each" },
        shared: { executor: "shared-iterations", vus: 3, iterations: 10, exec: "shared" },
      },
      {
        each: async ({ vu }) => {
          seen.push(`vu${vu}`);
        },
        shared: () => sleep(1),
      },
    );
    const byOp = Object.fromEntries(store.all().map((s) => [s.op, s.iterations]));
    expect(byOp).toEqual({ each: 12, shared: 10 });
    expect(new Set(seen)).toEqual(new Set(["vu1", "vu2", "vu3"]));
  });

  it("constant-vus keeps its VUs busy until the duration ends", async () => {
    const { store } = await run(
      { s: { executor: "constant-vus", vus: 2, duration: "300ms" } },
      { default: () => sleep(10) },
    );
    const n = store.all()[0]?.iterations ?? 0;
    expect(n).toBeGreaterThan(10);
    expect(n).toBeLessThanOrEqual(62);
  });
});

describe("planLoad", () => {
  it("reports every problem, including ops that do not exist", () => {
    expect(() =>
      planLoad(
        {
          a: { executor: "constant-vus", vus: 0, duration: "1s" },
          b: { executor: "constant-vus", duration: "1s", exec: "nope" },
        },
        { default: async () => {} },
        "scenario.ts",
      ),
    ).toThrow(/vus: must be a whole number ≥ 1[\s\S]*b\.exec: no op named 'nope'/);
  });
});

describe("a segment's iterations and VUs, numbered as the whole schedule's", () => {
  const shares = (n: number) => Array.from({ length: n }, (_, i) => ({ index: i + 1, count: n }));
  /** Every (iteration, vu) an op saw, over the runs of each of n segments of one scenario. */
  async function seen(options: ScenarioOptions, n: number) {
    const iterations: number[] = [];
    const vus = new Map<number, number>(); // vu → the segment that ran it
    for (const segment of shares(n)) {
      const ops: Record<string, Op> = {
        default: async ({ iteration, vu }) => {
          iterations.push(iteration);
          if ((vus.get(vu) ?? segment.index) !== segment.index) throw new Error(`vu ${vu} in two segments`);
          vus.set(vu, segment.index);
          await sleep(1);
        },
      };
      const executors = planLoad({ s: options }, ops, "test").map((e) => executorShare(e, segment));
      const { store } = await runLoad(executors, ops, targets);
      expect(store.all()[0]?.errorCount).toBe(0);
    }
    return { iterations: iterations.sort((a, b) => a - b), vus: [...vus.keys()].sort((a, b) => a - b) };
  }

  it("open loop: the segments' iterations are exactly the one process' 0..n−1, each once; VUs never shared", async () => {
    const { iterations, vus } = await seen(
      { executor: "constant-arrival-rate", rate: 300, duration: "400ms", preAllocatedVUs: 6, maxVUs: 60 },
      3,
    );
    expect(iterations).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(vus.length).toBeGreaterThanOrEqual(3);
  });

  it("closed loop: iterations distinct across segments, VUs 1..N as the one process numbers them", async () => {
    const { iterations, vus } = await seen({ executor: "per-vu-iterations", vus: 6, iterations: 4 }, 3);
    expect(new Set(iterations).size).toBe(24);
    expect(vus).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
