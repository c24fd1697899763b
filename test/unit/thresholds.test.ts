import { describe, expect, it } from "vitest";
import { IterationTimer } from "../../harness/clients/iteration-timer.ts";
import { MetricsStore } from "../../harness/metrics/store.ts";
import { abortingFailures, evaluateThresholds } from "../../harness/thresholds/evaluate.ts";
import { parseThresholds } from "../../harness/thresholds/parse.ts";

const context = { ops: ["dashboard", "search"], phases: ["baseline", "fault"] };

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
  const evaluate = (thresholds: Record<string, string>) =>
    evaluateThresholds(parseThresholds(thresholds, context).thresholds, store, 10_000);

  it("filters by op and phase, and reports the actual value", () => {
    expect(evaluate({ "latency{op:dashboard,phase:fault}": "p(95)<300" })).toEqual([
      {
        metric: "latency{op:dashboard,phase:fault}",
        expression: "p(95)<300",
        ok: false,
        actual: 400.127,
        abortOnFail: false,
      },
    ]);
    // Percentiles are HdrHistogram bucket edges: 10 ms reads as 10.007 ms (3 significant digits).
    expect(evaluate({ "latency{op:dashboard,phase:baseline}": "p(95)<300" })[0]).toMatchObject({
      ok: true,
      actual: 10.007,
    });
    expect(evaluate({ "latency{phase:fault}": "med<10" })[0]).toMatchObject({ ok: true, actual: 5.003 });
  });

  it("computes rates and counts", () => {
    expect(evaluate({ "errors{op:dashboard}": "rate<0.05" })[0]).toMatchObject({ ok: false, actual: 0.1 });
    expect(evaluate({ errors: "rate<0.06" })[0]).toMatchObject({ ok: true, actual: 0.05 });
    expect(evaluate({ iterations: "count==200" })[0]).toMatchObject({ ok: true, actual: 200 });
    expect(evaluate({ iterations: "rate>19" })[0]).toMatchObject({ ok: true, actual: 20 });
    expect(evaluate({ "pool_wait{phase:fault}": "max<100" })[0]).toMatchObject({ ok: false });
  });

  it("aborts only on failing abortOnFail thresholds past their delay", () => {
    const { thresholds } = parseThresholds(
      {
        "latency{phase:fault}": [{ threshold: "max<100", abortOnFail: true, delayAbortEval: "5s" }],
        latency: ["max<1"],
      },
      context,
    );
    expect(abortingFailures(thresholds, store, 1_000)).toEqual([]);
    expect(abortingFailures(thresholds, store, 6_000).map((r) => r.metric)).toEqual(["latency{phase:fault}"]);
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
    const results = evaluateThresholds(thresholds, store, 1_000);
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
    expect(evaluateThresholds(thresholds, store, 1_000)[0]).toMatchObject({
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
