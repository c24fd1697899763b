/** Evaluates parsed thresholds against the metrics store (pure: no clock, no I/O). */
import { mergeHistograms, percentilesMs, valueAtPercentileMs } from "../metrics/histogram.ts";
import { type MetricsStore, mergeNamed, type Series, type Trend } from "../metrics/store.ts";
import type { MetricName, Operator, ParsedThreshold } from "./parse.ts";

export interface ThresholdResult {
  metric: string;
  expression: string;
  ok: boolean;
  /** The observed value the expression was tested with (ms for trends). */
  actual: number;
  abortOnFail: boolean;
  /** Why `actual` alone does not explain the verdict (a trend with no completed iteration). */
  note?: string;
  /** Added by rehearse (the launch-readiness bar), not written in the scenario. */
  source?: "default";
}

const TREND_OF: Partial<Record<MetricName, Trend>> = {
  latency: "latency",
  pool_wait: "pool_wait",
  service_time: "service_time",
  dispatch_lag: "dispatch_lag",
};

/** `name` is not a series tag: it selects requests inside a series (see observe). */
function matches(series: Series, tags: Record<string, string>): boolean {
  return Object.entries(tags).every(([name, value]) =>
    name === "name" ? true : name === "op" ? series.op === value : series.tags[name] === value,
  );
}

/** The requests of one `name` across series, for http_req_duration{name:...} / http_req_failed{name:...}. */
/** The observed value, and whether there was anything to observe (a trend over no iteration). */
function observe(t: ParsedThreshold, series: Series[], elapsedMs: number): { actual: number; empty: boolean } {
  const trend = TREND_OF[t.metric];
  const name = t.tags.name;
  if (name !== undefined && t.metric === "http_req_failed") {
    const named = mergeNamed(series, name);
    return { actual: named.requests === 0 ? 0 : named.failed / named.requests, empty: false };
  }
  if (trend || t.metric === "http_req_duration") {
    const histogram =
      name !== undefined
        ? mergeNamed(series, name).duration
        : mergeHistograms(series.map((s) => (trend ? s.trends[trend] : s.httpDuration)));
    const p = percentilesMs(histogram);
    // count is the one aggregation that means something over nothing.
    const empty = histogram.totalCount === 0 && t.aggregation !== "count";
    if (t.aggregation === "p(N)") return { actual: valueAtPercentileMs(histogram, t.percentile ?? 0), empty };
    const byName: Record<string, number> = { avg: p.mean, min: p.min, max: p.max, med: p.p50, count: p.count };
    return { actual: byName[t.aggregation] ?? Number.NaN, empty };
  }
  return { actual: observeCount(t, series, elapsedMs), empty: false };
}

function observeCount(t: ParsedThreshold, series: Series[], elapsedMs: number): number {
  const sum = (f: (s: Series) => number) => series.reduce((n, s) => n + f(s), 0);
  switch (t.metric) {
    case "errors": {
      // An iteration cut off at gracefulStop never completed: for its user it failed.
      const failed = sum((s) => s.errorCount + s.interrupted);
      const iterations = sum((s) => s.iterations + s.interrupted);
      return iterations === 0 ? 0 : failed / iterations;
    }
    case "checks": {
      const total = sum((s) => s.checksPassed + s.checksFailed);
      return total === 0 ? 0 : sum((s) => s.checksPassed) / total;
    }
    case "http_req_failed": {
      const requests = sum((s) => s.httpRequests);
      return requests === 0 ? 0 : sum((s) => s.httpFailed) / requests;
    }
    case "cache_hits": {
      const lookups = sum((s) => s.cacheHits + s.cacheMisses);
      return lookups === 0 ? 0 : sum((s) => s.cacheHits) / lookups;
    }
    default: {
      const count = sum((s) => (t.metric === "iterations" ? s.iterations : s.dropped));
      return t.aggregation === "count" ? count : elapsedMs > 0 ? (count / elapsedMs) * 1000 : 0;
    }
  }
}

const COMPARE: Record<Operator, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

export function evaluateThresholds(
  thresholds: ParsedThreshold[],
  store: MetricsStore,
  elapsedMs: number,
): ThresholdResult[] {
  return thresholds.map((t) => {
    const { actual, empty } = observe(
      t,
      store.all().filter((s) => matches(s, t.tags)),
      elapsedMs,
    );
    return {
      metric: t.key,
      expression: t.expression,
      // No completed iteration is no evidence the budget held: it cannot pass.
      ok: !empty && COMPARE[t.operator](actual, t.value),
      actual: Math.round(actual * 1000) / 1000,
      abortOnFail: t.abortOnFail,
      ...(empty && { note: "no completed iteration" }),
      ...(t.source && { source: t.source }),
    };
  });
}

/** Thresholds with abortOnFail that fail now and are past their delayAbortEval. */
export function abortingFailures(
  thresholds: ParsedThreshold[],
  store: MetricsStore,
  elapsedMs: number,
): ThresholdResult[] {
  const armed = thresholds.filter((t) => t.abortOnFail && elapsedMs >= t.delayAbortEvalMs);
  return evaluateThresholds(armed, store, elapsedMs).filter((r) => !r.ok);
}
