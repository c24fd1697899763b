import { describe, expect, it } from "vitest";
import { IterationTimer } from "../../harness/clients/iteration-timer.ts";
import { MetricsStore } from "../../harness/metrics/store.ts";
import { judgedThresholds } from "../../harness/scenario/budgets.ts";
import { abortingFailures, evaluateThresholds } from "../../harness/thresholds/evaluate.ts";
import { measuredOfSeries } from "../../harness/thresholds/measured.ts";
import { parseThresholds } from "../../harness/thresholds/parse.ts";

const context = { ops: ["dashboard", "search"], phases: ["baseline", "fault"] };
const phases = [
  { name: "baseline", startMs: 0, endMs: 10_000 },
  { name: "fault", startMs: 10_000, endMs: 20_000 },
];

describe("parseThresholds", () => {
  it("parses k6 keys, tag filters, expressions and the object form", () => {
    const { thresholds, problems } = parseThresholds(
      {
        "latency{op:dashboard,phase:fault}": ["p(95)<300", "p(99.9) <= 1000"],
        pool_wait: [{ threshold: "avg<50", abortOnFail: true, delayAbortEval: "10s" }],
        errors: "rate<0.01",
        iterations: "count>=100",
      },
      context,
    );
    expect(problems).toEqual([]);
    expect(thresholds.map((t) => [t.metric, t.aggregation, t.percentile, t.operator, t.value])).toEqual([
      ["latency", "p(N)", 95, "<", 300],
      ["latency", "p(N)", 99.9, "<=", 1000],
      ["pool_wait", "avg", undefined, "<", 50],
      ["errors", "rate", undefined, "<", 0.01],
      ["iterations", "count", undefined, ">=", 100],
    ]);
    expect(thresholds[0]?.tags).toEqual({ op: "dashboard", phase: "fault" });
    expect(thresholds[2]).toMatchObject({ abortOnFail: true, delayAbortEvalMs: 10_000 });
  });

  it("reports every problem: unknown metric, op, phase, bad syntax, wrong aggregation", () => {
    const { problems } = parseThresholds(
      {
        latncy: "p(95)<300",
        "latency{op:checkout}": "p(95)<300",
        "latency{phase:recovery}": "p(95)<300",
        pool_wait: ["p95 < 300", "p(101)<1"],
        errors: "p(95)<0.1",
        "iterations{op}": "count>1",
      },
      context,
    );
    expect(problems).toEqual([
      "thresholds['latncy']: unknown metric (known: latency, pool_wait, service_time, dispatch_lag, errors, cache_hits, iterations, dropped_iterations, http_req_duration, http_req_failed, checks)",
      "thresholds['latency{op:checkout}']: no op named 'checkout' (ops: dashboard, search)",
      "thresholds['latency{phase:recovery}']: no phase named 'recovery' (phases: baseline, fault)",
      "thresholds['pool_wait'][0]: 'p95 < 300' is not an expression like 'p(95)<300' or 'rate<0.01'",
      "thresholds['pool_wait'][1]: p(101) is outside 0–100",
      "thresholds['errors'][0]: p(95) does not apply to a rate metric (use rate)",
      "thresholds['iterations{op}']: tag filter 'op' is not name:value",
    ]);
  });
});

function storeWith(samples: { op: string; phase: string; latencyMs: number; poolWaitMs?: number; error?: boolean }[]) {
  const store = new MetricsStore();
  for (const s of samples) {
    const timer = new IterationTimer();
    timer.poolWaitMs = s.poolWaitMs ?? 0;
    store.series(s.op, { phase: s.phase }).add({
      intendedMs: 0,
      startMs: 0,
      endMs: s.latencyMs,
      timer,
      error: s.error ? "timeout" : undefined,
    });
  }
  return store;
}

/** Measurements of the store's series, as the evaluator sees them (live or from report.json). */
const measured = (store: MetricsStore) => store.all().map(measuredOfSeries);

describe("evaluateThresholds", () => {
  const samples = [
    ...Array.from({ length: 90 }, () => ({ op: "dashboard", phase: "baseline", latencyMs: 10 })),
    ...Array.from({ length: 10 }, () => ({
      op: "dashboard",
      phase: "fault",
      latencyMs: 400,
      poolWaitMs: 350,
      error: true,
    })),
    ...Array.from({ length: 100 }, () => ({ op: "search", phase: "fault", latencyMs: 5 })),
  ];
  const store = storeWith(samples);
  const plan = (thresholds: Record<string, string>) =>
    judgedThresholds(
      { thresholds: parseThresholds(thresholds, context).thresholds, phases, baseline: "baseline", ops: context.ops },
      { defaults: false },
    );
  const evaluate = (thresholds: Record<string, string>) =>
    evaluateThresholds(plan(thresholds), measured(store), 10_000);

  it("filters by op and phase, and reports the actual value", () => {
    expect(evaluate({ "latency{op:dashboard,phase:fault}": "p(95)<300" })).toEqual([
      {
        metric: "latency{op:dashboard,phase:fault}",
        expression: "p(95)<300",
        ok: false,
        actual: 400.127,
        samples: 10,
        abortOnFail: false,
      },
    ]);
    // Percentiles are HdrHistogram bucket edges: 10 ms reads as 10.007 ms (3 significant digits).
    expect(evaluate({ "latency{op:dashboard,phase:baseline}": "p(95)<300" })[0]).toMatchObject({
      ok: true,
      actual: 10.007,
    });
  });

  it("a latency or error budget that names no op holds for each op, and says which op broke it", () => {
    // Merged, the fault phase's median is search's 5 ms; per op, dashboard's 400 ms breaks it.
    const [latency] = evaluate({ "latency{phase:fault}": "med<10" });
    expect(latency).toMatchObject({ ok: false, op: "dashboard", actual: 400.127 });
    expect(latency?.ops?.map((o) => [o.op, o.ok])).toEqual([
      ["dashboard", false],
      ["search", true],
    ]);
    const [errors] = evaluate({ errors: "rate<0.06" });
    expect(errors).toMatchObject({ ok: false, op: "dashboard", actual: 0.1, samples: 100, events: 10 });
    // k6's own metrics keep k6's merged meaning.
    expect(evaluate({ iterations: "count==200" })[0]).toMatchObject({ ok: true, actual: 200 });
    expect(evaluate({ iterations: "rate>19" })[0]).toMatchObject({ ok: true, actual: 20 });
    expect(evaluate({ "pool_wait{phase:fault}": "max<100" })[0]).toMatchObject({ ok: false, op: "dashboard" });
  });

  it("error rates are exact: one failure in 1400 is 0.000714, and fails rate<0.0005", () => {
    const s = storeWith([
      ...Array.from({ length: 1399 }, () => ({ op: "search", phase: "fault", latencyMs: 5 })),
      { op: "search", phase: "fault", latencyMs: 5, error: true },
    ]);
    const { thresholds } = parseThresholds({ "errors{op:search}": ["rate<0.0005", "rate<0.01"] }, context);
    const [strict, loose] = evaluateThresholds(thresholds, measured(s), 1_000);
    expect(strict).toMatchObject({ ok: false, actual: 1 / 1400, samples: 1400, events: 1 });
    expect(loose).toMatchObject({ ok: true, actual: 1 / 1400 });
  });

  it("aborts only on failing abortOnFail thresholds past their delay", () => {
    const { thresholds } = parseThresholds(
      {
        "latency{phase:fault}": [{ threshold: "max<100", abortOnFail: true, delayAbortEval: "5s" }],
        latency: ["max<1"],
      },
      context,
    );
    expect(abortingFailures(thresholds, measured(store), 1_000)).toEqual([]);
    expect(abortingFailures(thresholds, measured(store), 6_000).map((r) => r.metric)).toEqual(["latency{phase:fault}"]);
  });
});

describe("http thresholds by name (k6's name tag)", () => {
  const timer = (requests: { name: string; ms: number; failed?: boolean }[]) => {
    const t = new IterationTimer();
    t.http = requests.map((r) => ({ name: r.name, ms: r.ms, status: r.failed ? 500 : 200, failed: r.failed ?? false }));
    return t;
  };
  const store = new MetricsStore();
  const series = store.series("dashboard", { phase: "run" });
  for (let i = 0; i < 100; i++) {
    const t = timer([
      { name: "/dashboard/:account", ms: 40 },
      { name: "/health", ms: 2, failed: i % 10 === 0 },
    ]);
    series.add({ intendedMs: 0, startMs: 0, endMs: 42, timer: t, error: undefined });
  }

  it("the name tag may hold colons, and selects that name's requests only", () => {
    const { thresholds, problems } = parseThresholds(
      {
        "http_req_duration{name:/dashboard/:account}": ["p(95)<30"],
        "http_req_duration{name:/health}": ["p(95)<30"],
        "http_req_failed{name:/health}": ["rate<0.05"],
        "http_req_failed{name:/dashboard/:account}": ["rate<0.05"],
      },
      { ops: ["dashboard"] },
    );
    expect(problems).toEqual([]);
    expect(thresholds[0]?.tags).toEqual({ name: "/dashboard/:account" });
    const results = evaluateThresholds(thresholds, measured(store), 1_000);
    // Histograms hold µs at 3 significant digits: 40 ms reads back as 40.031.
    expect(results.map((r) => [r.ok, Math.round(r.actual * 10) / 10])).toEqual([
      [false, 40],
      [true, 2],
      [false, 0.1],
      [true, 0],
    ]);
  });

  it("a name with no request cannot pass a trend; the name tag belongs to http metrics only", () => {
    const { thresholds } = parseThresholds(
      { "http_req_duration{name:/nowhere}": ["p(95)<30"] },
      { ops: ["dashboard"] },
    );
    expect(evaluateThresholds(thresholds, measured(store), 1_000)[0]).toMatchObject({
      ok: false,
      note: "no completed iteration",
    });
    expect(parseThresholds({ "latency{name:/x}": ["p(95)<30"] }, { ops: ["dashboard"] }).problems.join()).toContain(
      "only http_req_duration and http_req_failed have it",
    );
  });

  it("at most 100 names per series: the rest are grouped, not grown without bound", () => {
    const s = new MetricsStore().series("item", {});
    for (let id = 0; id < 150; id++)
      s.add({ intendedMs: 0, startMs: 0, endMs: 1, timer: timer([{ name: `/items/${id}`, ms: 1 }]), error: undefined });
    expect(s.byName.size).toBe(101);
    expect(s.byName.get("(other names)")?.requests).toBe(50);
  });
});
