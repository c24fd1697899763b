/** Evaluates parsed thresholds against the metrics store (pure: no clock, no I/O). */
import { mergeHistograms, percentilesMs, valueAtPercentileMs } from "../metrics/histogram.ts";
import type { MetricsStore, Series, Trend } from "../metrics/store.ts";
import type { MetricName, Operator, ParsedThreshold } from "./parse.ts";

export interface ThresholdResult {
  metric: string;
  expression: string;
  ok: boolean;
  /** The observed value the expression was tested with (ms for trends). */
  actual: number;
  abortOnFail: boolean;
}

const TREND_OF: Partial<Record<MetricName, Trend>> = {
  latency: "latency",
  pool_wait: "pool_wait",
  service_time: "service_time",
  dispatch_lag: "dispatch_lag",
};

function matches(series: Series, tags: Record<string, string>): boolean {
  return Object.entries(tags).every(([name, value]) =>
    name === "op" ? series.op === value : series.tags[name] === value,
  );
}

function observe(t: ParsedThreshold, series: Series[], elapsedMs: number): number {
  const trend = TREND_OF[t.metric];
  if (trend) {
    const histogram = mergeHistograms(series.map((s) => s.trends[trend]));
    const p = percentilesMs(histogram);
    if (t.aggregation === "p(N)") return valueAtPercentileMs(histogram, t.percentile ?? 0);
    const byName: Record<string, number> = { avg: p.mean, min: p.min, max: p.max, med: p.p50, count: p.count };
    return byName[t.aggregation] ?? Number.NaN;
  }
  const sum = (f: (s: Series) => number) => series.reduce((n, s) => n + f(s), 0);
  switch (t.metric) {
    case "errors": {
      const iterations = sum((s) => s.iterations);
      return iterations === 0 ? 0 : sum((s) => s.errorCount) / iterations;
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
    const actual = observe(
      t,
      store.all().filter((s) => matches(s, t.tags)),
      elapsedMs,
    );
    return {
      metric: t.key,
      expression: t.expression,
      ok: COMPARE[t.operator](actual, t.value),
      actual: Math.round(actual * 1000) / 1000,
      abortOnFail: t.abortOnFail,
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
