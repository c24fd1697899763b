/** The capacity pieces that need no server: budgets, the mix, what broke first, the renderers, exit codes. */

import { describe, expect, it } from "vitest";
import { brokeFirst } from "../../harness/capacity/broke-first.ts";
import { stepVerdict } from "../../harness/capacity/step-metrics.ts";
import { readBudgetFlag, stepBudgets, stepScenario, trafficMix } from "../../harness/capacity/step-scenario.ts";
import { capacityOutcome } from "../../harness/cli/commands/capacity.ts";
import { createExecutor } from "../../harness/executors/index.ts";
import { loadScenario } from "../../harness/scenario/load.ts";
import { capacityChartData, renderCapacityHtml } from "../../reports/capacity/html.ts";
import { renderCapacityConsole, renderCapacityJunit, renderCapacityMarkdown } from "../../reports/capacity/render.ts";
import type { CapacityReport, CapacityStep } from "../../reports/capacity/schema.ts";
import type { RunReport } from "../../reports/schema.ts";

function step(rate: number, over: Partial<CapacityStep> = {}, p95 = 25): CapacityStep {
  const base: CapacityStep = {
    rate,
    achievedRate: rate,
    passed: true,
    verdict: "passed",
    repeat: false,
    clearBreach: false,
    ops: [
      {
        op: "hold",
        count: rate * 10,
        errors: 0,
        p50Ms: 21,
        p95Ms: p95,
        p99Ms: p95 + 5,
        poolWaitP95Ms: 0.1,
        serviceP95Ms: p95 - 1,
      },
    ],
    budgets: [{ metric: "latency{op:hold,phase:steady}", expression: "p(95)<300", ok: true, actual: p95 }],
    errorRate: 0,
    poolWait: { clientP95Ms: 0.1, serverMaxMs: 0, clWaitingMax: 0 },
    pgbouncerUtilisation: { mean: rate / 200, max: Math.min(1, rate / 190) },
    cacheHitRatio: null,
    hostCpu: { busyPct: 40, stealPct: 0 },
    cpu: { rehearse: 0.2, app: 0, appMax: 0, postgres: 0.1, pgbouncer: 0.1, redis: 0, other: 0 },
    generator: { valid: true, reasons: [], dispatchLagP99Ms: 0.5 },
  };
  return { ...base, ...over } as CapacityStep;
}

const failingAt = (rate: number, over: Partial<CapacityStep> = {}) =>
  step(
    rate,
    {
      passed: false,
      verdict: "failed",
      budgets: [{ metric: "latency{op:hold,phase:steady}", expression: "p(95)<300", ok: false, actual: 1800 }],
      ...over,
    },
    1800,
  );

const CONTEXT = { poolSize: 4, hasApp: false, appInstances: 1, httpConnections: 64 };

describe("budgets", () => {
  it("reads --budget as latency by default, or metric=expression", () => {
    expect(readBudgetFlag("p(95)<300")).toEqual({ metric: "latency", expression: "p(95)<300", source: "flag" });
    expect(readBudgetFlag("p(95)<=250")).toEqual({ metric: "latency", expression: "p(95)<=250", source: "flag" });
    expect(readBudgetFlag("errors=rate<0.02")).toEqual({ metric: "errors", expression: "rate<0.02", source: "flag" });
    expect(readBudgetFlag("latency{op:search}=p(99)<800").metric).toBe("latency{op:search}");
  });

  it("defaults: p95 < 300 ms on each user-facing op and errors < 1%, on the steady window", () => {
    const { thresholds, budgets } = stepBudgets([], ["dashboard", "report_job"], undefined);
    expect(thresholds.map((t) => `${t.key} ${t.expression}`)).toEqual([
      "latency{op:dashboard,phase:steady} p(95)<300",
      "errors{phase:steady} rate<0.01",
    ]);
    expect(budgets.every((b) => b.source === "default")).toBe(true);
  });

  it("a given budget replaces the default of its metric; --op narrows latency budgets", () => {
    const { thresholds } = stepBudgets([readBudgetFlag("p(99)<500")], ["a", "b"], "b");
    expect(thresholds.map((t) => t.key)).toEqual(["latency{op:b,phase:steady}", "errors{phase:steady}"]);
    expect(thresholds[0]?.expression).toBe("p(99)<500");
  });

  it("a bad budget is a problem naming it (the CLI exits 2)", () => {
    expect(stepBudgets([readBudgetFlag("p(95)<fast")], ["a"], undefined).problems.join()).toMatch(/p\(95\)<fast/);
    expect(stepBudgets([readBudgetFlag("speed=p(95)<3")], ["a"], undefined).problems.join()).toMatch(/unknown metric/);
  });
});

describe("the mix and a step", () => {
  it("keeps the scenario's shares and scales them to the step's rate", async () => {
    const scenario = await loadScenario("test/fixtures/scenarios/capacity-hold.ts", 1);
    const { mix, background, problems } = trafficMix(scenario);
    expect(problems).toEqual([]);
    expect(mix).toMatchObject([{ scenario: "holds", op: "hold", share: 1 }]);
    expect(background).toEqual([]);
    const s = stepScenario(scenario, { mix, background }, 187.5, { stepMs: 8_000, warmupMs: 2_000 }, []);
    const plan = s.executors[0]?.plan();
    expect(plan?.kind).toBe("open");
    if (plan?.kind === "open") {
      expect(plan.targetRatePerSec).toBe(187.5);
      expect(plan.durationMs).toBe(8_000);
    }
    expect(s.phases.map((p) => [p.name, p.startMs, p.endMs])).toEqual([
      ["warmup", 0, 2_000],
      ["steady", 2_000, 8_000],
    ]);
    expect(s.actions).toEqual([]);
  });

  it("runs closed-loop workers beside the steps at their peak VUs, unscaled", async () => {
    const scenario = await loadScenario("test/fixtures/scenarios/mixed-load.ts", 1);
    const traffic = trafficMix(scenario);
    expect(traffic.problems).toEqual([]);
    expect(traffic.mix.map((m) => m.op)).toEqual(["dashboard", "search", "write"]);
    expect(traffic.mix.map((m) => Math.round(m.share * 1000) / 1000)).toEqual([0.606, 0.303, 0.091]);
    expect(traffic.background).toEqual([{ scenario: "workers", op: "job", vus: 4 }]);
    const step = stepScenario(scenario, traffic, 660, { stepMs: 10_000, warmupMs: 2_000 }, []);
    const workers = step.executors.find((e) => e.scenario === "workers")?.plan();
    expect(workers?.kind === "closed" && workers.vuSteps.at(-1)?.vus).toBe(4);
    const dashboards = step.executors.find((e) => e.exec === "dashboard")?.plan();
    expect(dashboards?.kind === "open" && dashboards.targetRatePerSec).toBe(400);
  });

  it("carries its executors as data that a load worker (--workers) rebuilds into the same schedules", async () => {
    const scenario = await loadScenario("test/fixtures/scenarios/mixed-load.ts", 1);
    const step = stepScenario(scenario, trafficMix(scenario), 660, { stepMs: 10_000, warmupMs: 2_000 }, []);
    // Through structured clone, as the worker receives it.
    const specs = structuredClone(step.executorSpecs ?? []);
    expect(specs.map((s) => s.scenario)).toEqual(step.executors.map((e) => e.scenario));
    for (const [i, spec] of specs.entries()) {
      const rebuilt = createExecutor(spec.scenario, spec.options);
      if ("problems" in rebuilt) throw new Error(rebuilt.problems.join("; "));
      const [a, b] = [rebuilt.plan(), step.executors[i]?.plan()];
      expect(a.kind).toBe(b?.kind);
      expect(a.durationMs).toBe(b?.durationMs);
      if (a.kind === "open" && b?.kind === "open") {
        expect(a.targetRatePerSec).toBe(b.targetRatePerSec);
        expect([...a.arrivals()]).toEqual([...b.arrivals()]);
        expect([a.preAllocatedVUs, a.maxVUs]).toEqual([b.preAllocatedVUs, b.maxVUs]);
      } else expect(a).toEqual(b);
    }
  });

  it("refuses a scenario with no arrival rate to scale", async () => {
    const scenario = await loadScenario("test/fixtures/scenarios/tiny.ts", 1);
    const closed = { ...scenario, executors: scenario.executors.filter((e) => e.plan().kind === "closed") };
    expect(trafficMix(closed).problems.join()).toMatch(/arrival-rate/);
  });
});

describe("what broke first", () => {
  it("pool wait: PgBouncer's pool saturated with clients queued", () => {
    const failing = failingAt(210, {
      poolWait: { clientP95Ms: 2, serverMaxMs: 1800, clWaitingMax: 35 },
      pgbouncerUtilisation: { mean: 1, max: 1 },
    });
    const b = brokeFirst(failing, step(190), CONTEXT);
    expect(b?.kind).toBe("pool_wait");
    expect(b?.evidence).toContain(
      "PgBouncer's 4 server connections were all busy from 210/s (cl_waiting up to 35, clients waited up to 1.8 s)",
    );
    expect(b?.evidence).toContain("p95 25 → 1800 ms");
    expect(b?.evidence).toContain("host CPU was 40% busy");
  });

  it("errors, when only an error budget broke", () => {
    const failing = step(300, {
      passed: false,
      verdict: "failed",
      errorRate: 0.034,
      budgets: [{ metric: "errors{phase:steady}", expression: "rate<0.01", ok: false, actual: 0.034 }],
    });
    expect(brokeFirst(failing, step(150), CONTEXT)).toMatchObject({ kind: "errors" });
  });

  it("cpu when nothing queued and the host was saturated; the app when it has one; else service time", () => {
    const quiet = {
      poolWait: { clientP95Ms: 0.2, serverMaxMs: 0, clWaitingMax: 0 },
      pgbouncerUtilisation: { mean: 0.3, max: 0.4 },
    };
    expect(
      brokeFirst(failingAt(900, { ...quiet, hostCpu: { busyPct: 97, stealPct: 0 } }), step(450), CONTEXT)?.kind,
    ).toBe("cpu");
    expect(brokeFirst(failingAt(900, quiet), step(450), { ...CONTEXT, hasApp: true })?.kind).toBe("app");
    const service = brokeFirst(failingAt(900, quiet), step(450), CONTEXT);
    expect(service?.kind).toBe("service_time");
    expect(service?.evidence).toContain("service p95 24 → 1799 ms");
  });

  it("the app when an instance used a full core, with the CPU shares; the http connections when none did", () => {
    const quiet = {
      poolWait: { clientP95Ms: 0.2, serverMaxMs: 0, clWaitingMax: 0 },
      pgbouncerUtilisation: { mean: 0.3, max: 0.4 },
      hostCpu: { busyPct: 72, stealPct: 0 },
    };
    const app = { ...CONTEXT, hasApp: true };
    const burning = failingAt(2400, {
      ...quiet,
      cpu: { rehearse: 0.31, app: 0.97, appMax: 0.97, postgres: 0.05, pgbouncer: 0.03, redis: 0, other: 0.02 },
    });
    const b = brokeFirst(burning, step(1200), app);
    expect(b?.kind).toBe("app");
    expect(b?.evidence).toContain("its busiest instance used 0.97 of a core from 2400/s (1 instance");
    expect(b?.evidence).toContain("CPU: the app 0.97 cores, rehearse 0.31, postgres 0.05, pgbouncer 0.03, redis 0.00");
    // Requests waited for a connection to the app, but no instance was busy: the client's connections.
    const waiting = failingAt(2400, quiet);
    waiting.ops = waiting.ops.map((o) => ({ ...o, poolWaitP95Ms: o.p95Ms * 0.8 }));
    expect(brokeFirst(waiting, step(1200), app)?.kind).toBe("http_connections");
    // The same wait with every core busy (a trial: 98%, two instances at 0.52 each, rehearse 0.83): the app
    // waited for a core, and more connections would not have given it one.
    const starved = { ...waiting, hostCpu: { busyPct: 98, stealPct: 0 } };
    const c = brokeFirst(starved, step(1200), app);
    expect(c?.kind).toBe("cpu");
    expect(c?.evidence).toMatch(/^CPU — the host was 98% busy from 2400\/s .*waiting for one of the http client's/);
    // Under steal a saturated instance gets 1 − steal of a core (CI: 0.88 with 27% steal): still the app.
    const stolen = failingAt(196.9, {
      ...quiet,
      hostCpu: { busyPct: 56, stealPct: 27.5 },
      cpu: { rehearse: 0.33, app: 0.88, appMax: 0.88, postgres: 0, pgbouncer: 0, redis: 0, other: 0 },
    });
    stolen.ops = stolen.ops.map((o) => ({ ...o, poolWaitP95Ms: o.p95Ms * 0.6 }));
    const s = brokeFirst(stolen, step(187.5), app);
    expect(s?.kind).toBe("app");
    expect(s?.evidence).toContain("used 0.88 of a core, of the 0.72 the hypervisor left it (steal 28%)");
    // Without the steal, 0.88 of a core is not saturation: the connections were the limit.
    const unstolen = { ...stolen, hostCpu: { busyPct: 56, stealPct: 0 } };
    expect(brokeFirst(unstolen, step(187.5), app)?.kind).toBe("http_connections");
  });

  it("the host, for a host-bound step: every core busy, a finding about the set-up", () => {
    const h = step(2400, {
      passed: false,
      verdict: "host-bound",
      hostCpu: { busyPct: 97, stealPct: 0 },
      cpu: { rehearse: 0.6, app: 1.0, appMax: 1.0, postgres: 0.2, pgbouncer: 0.1, redis: 0, other: 0.04 },
      generator: { valid: false, reasons: ["36 iterations (1.5%) started more than 10 ms late"], dispatchLagP99Ms: 48 },
    });
    const b = brokeFirst(h, step(1200), CONTEXT);
    expect(b).toMatchObject({ kind: "host", op: null });
    expect(b?.evidence).toContain("every core of this machine was busy at 2400/s (97% busy)");
  });

  it("the generator, for a generator-bound step", () => {
    const g = step(6400, {
      passed: false,
      verdict: "generator-bound",
      achievedRate: 4100,
      generator: { valid: false, reasons: ["812 iterations (12%) started more than 10 ms late"], dispatchLagP99Ms: 40 },
    });
    expect(brokeFirst(g, step(3200), CONTEXT)).toMatchObject({ kind: "generator", op: null });
    expect(brokeFirst(g, step(3200), CONTEXT)?.evidence).toContain(
      "could not keep its schedule at 6400/s (started 4100/s; 812 iterations (12%) started more than 10 ms late), with the host 40% busy",
    );
  });
});

function report(over: Partial<CapacityReport> = {}): CapacityReport {
  const failing = failingAt(200, { poolWait: { clientP95Ms: 2, serverMaxMs: 1800, clWaitingMax: 35 } });
  return {
    schemaVersion: 1,
    kind: "capacity",
    scenario: "capacity-hold",
    provider: "native",
    startedAt: "2026-11-23T13:00:00.000Z",
    durationS: 80,
    status: "found",
    reason: "between 187.5/s (held) and 193.8/s (broke), within 5%",
    capacityRate: 187.5,
    firstFailingRate: 193.8,
    brokeFirst: brokeFirst(failing, step(187.5), CONTEXT),
    targetRate: null,
    targetMet: null,
    budgets: [{ metric: "latency", expression: "p(95)<300", source: "default" }],
    mix: [{ scenario: "holds", op: "hold", share: 1 }],
    background: [],
    settings: {
      stepDurationS: 8,
      warmupS: 2,
      precisionPct: 5,
      startRate: 100,
      maxRate: 6400,
      pgbouncerPoolSize: 4,
      pgbouncerPoolMode: "transaction",
      utilisationNote: 0.8,
    },
    utilisationPassedAt: 187.5,
    steps: [step(100), failing, { ...failing, repeat: true }, step(150), step(187.5)],
    ...over,
  };
}

describe("renderers", () => {
  it("console: the capacity, the first failing rate, what broke first, a row per step", () => {
    const text = renderCapacityConsole(report());
    expect(text).toContain("capacity: 187.5/s met every budget");
    expect(text).toContain("first failing rate: 193.8/s");
    expect(text).toContain("broke first: pool wait — PgBouncer's 4 server connections");
    expect(text).toContain("note: PgBouncer's pool of 4 passed 80% utilisation from 187.5/s");
    expect(text.split("\n").filter((l) => /^\s+\d/.test(l))).toHaveLength(5);
    expect(text).toContain("200 (again)");
  });

  it("Markdown: the same headline and a table row per step", () => {
    const text = renderCapacityMarkdown(report());
    expect(text).toContain("# rehearse capacity: capacity-hold");
    expect(text.split("\n").filter((l) => l.startsWith("| 1") || l.startsWith("| 2"))).toHaveLength(5);
  });

  it("HTML: self-contained, the chart data ordered by rate with the budget line", () => {
    const html = renderCapacityHtml(report());
    expect(html).not.toMatch(/<script src=|<link /);
    const data = capacityChartData(report());
    expect(data.rates).toEqual([100, 150, 187.5, 200]);
    expect(data.latency.labels).toEqual(["hold p95 ms", "budget p95 < 300 ms"]);
    expect(data.latency.series[1]).toEqual([300, 300, 300, 300]);
  });

  it("JUnit: with no step at the target rate, the lowest passing step above it stands for it", () => {
    const xml = renderCapacityJunit(report({ targetRate: 120, targetMet: true }));
    expect(xml).toContain('name="latency{op:hold,phase:steady} p(95)&#60;300 at 150/s"');
    expect(xml).not.toContain("<failure");
  });

  it("JUnit: a case per budget at the target rate, and the search", () => {
    const xml = renderCapacityJunit(report({ targetRate: 200, targetMet: false }));
    expect(xml).toContain('name="latency{op:hold,phase:steady} p(95)&#60;300 at 200/s"');
    expect(xml).toContain("<failure");
    expect(xml).toContain('name="capacity 187.5/s"');
  });
});

describe("exit outcome", () => {
  it("0 found; 99 target missed, nothing held, or generator-bound; 105 aborted", () => {
    expect(capacityOutcome(report())).toBe("ok");
    expect(capacityOutcome(report({ targetRate: 200, targetMet: false }))).toBe("failed");
    expect(capacityOutcome(report({ targetRate: 150, targetMet: true }))).toBe("ok");
    expect(capacityOutcome(report({ status: "generator-bound" }))).toBe("failed");
    expect(capacityOutcome(report({ status: "host-bound" }))).toBe("failed");
    // The target held: the gate passed, and JUnit agrees (the search's own case does not fail the suite).
    const held = report({ status: "host-bound", targetRate: 150, targetMet: true });
    expect(capacityOutcome(held)).toBe("ok");
    expect(renderCapacityJunit(held)).not.toContain("<failure");
    const missed = report({ status: "host-bound" });
    expect(renderCapacityJunit(missed)).toContain(
      '<testcase classname="rehearse.capacity.capacity-hold" name="capacity" time="0">',
    );
    expect(capacityOutcome(report({ status: "not-found", capacityRate: null }))).toBe("failed");
    expect(capacityOutcome(report({ status: "aborted" }))).toBe("aborted");
  });
});

describe("a step is judged unless its generator fell behind by more than its tolerance", () => {
  const run = (late: number, busyPct: number | null, ok = true, rehearseCores: number | null = 0.6) =>
    stepVerdict(
      {
        thresholds: [{ metric: "latency{op:page,phase:steady}", expression: "p(95)<300", ok, actual: 40 }],
        // lateShare counts starts later than the step's tolerance (a tenth of its tightest latency budget).
        generator: {
          targetRate: 2400,
          achievedRate: 2400,
          droppedIterations: 0,
          lateIterations: late,
          lateShare: late / 48_000,
        },
      } as unknown as RunReport,
      busyPct,
      rehearseCores,
    );
  it("judged while few started late: passed or failed on its budgets", () => {
    expect(run(100, 97)).toBe("passed");
    expect(run(100, 97, false)).toBe("failed");
  });
  it("too many late: host-bound when every core was busy and rehearse was starved, else generator-bound", () => {
    expect(run(720, 97)).toBe("host-bound");
    expect(run(720, 55)).toBe("generator-bound");
    // rehearse's own thread at a full core: its limit, however busy the rest of the host was.
    expect(run(720, 97, true, 0.98)).toBe("generator-bound");
    expect(run(720, 97, true, null)).toBe("host-bound");
  });
  it("iterations dropped while the system held few VUs are rehearse's own (late to release them), not a breach", () => {
    const dropped = (ours: boolean) =>
      stepVerdict(
        {
          thresholds: [{ metric: "latency{op:noop,phase:steady}", expression: "p(95)<300", ok: true, actual: 19 }],
          generator: {
            targetRate: 300_000,
            achievedRate: 299_000,
            droppedIterations: 5_000,
            lateIterations: 0,
            lateShare: 0,
          },
        } as unknown as RunReport,
        75,
        0.95,
        ours,
      );
    expect(dropped(false)).toBe("failed");
    expect(dropped(true)).toBe("generator-bound");
  });
});
