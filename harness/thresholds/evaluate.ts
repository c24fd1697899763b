/**
 * Evaluates thresholds on what was measured (pure: no clock, no I/O). A budget
 * planned per op (`perOp`) holds only if it holds for each of those ops; one
 * with a window (`judgeWindowMs`) only if it holds over the whole phase and in
 * every rolling window with samples enough to judge. `actual` is the number
 * the verdict was decided on: the worst op's, and its worst window's when that
 * was worse than the phase as a whole.
 */
import { type Histogram, mergeHistograms, percentilesMs, valueAtPercentileMs } from "../metrics/histogram.ts";
import type { Trend } from "../metrics/store.ts";
import { failureStands, type LagBound, lagBoundOf } from "./lateness.ts";
import type { Measured } from "./measured.ts";
import type { MetricName, Operator, ParsedThreshold } from "./parse.ts";
import { judgeWindows, type WindowVerdict, windowable } from "./windows.ts";

/** One op's verdict under a budget. */
export interface OpVerdict {
  op: string;
  ok: boolean;
  actual: number;
  /** What `actual` is over: iterations (or requests) in the phase, or in the worst window. */
  samples: number;
  /** Rates: the events counted (failed iterations, held checks...), of `samples`. */
  events?: number;
  window?: WindowVerdict;
  note?: string;
  /** It failed by no more than the generator's late starts could have added: the failure may be theirs. */
  lagMayDecide?: true;
}

export interface ThresholdResult {
  metric: string;
  expression: string;
  ok: boolean;
  /** The observed value the expression was decided on (ms for trends, 0–1 for rates). */
  actual: number;
  abortOnFail: boolean;
  /** The op whose value `actual` is (a budget judged per op): the one that broke it, else the worst. */
  op?: string;
  /** Each op's verdict, for a budget judged per op. */
  ops?: OpVerdict[];
  samples: number;
  events?: number;
  window?: WindowVerdict;
  /** Why `actual` alone does not explain the verdict (a trend with no completed iteration). */
  note?: string;
  /** Added by rehearse (the launch-readiness bar), not written in the scenario. */
  source?: "default";
  /** A failing op's failure may be the generator's late starts, not the system's (see lateness.ts). */
  lagMayDecide?: true;
}

const TREND_OF: Partial<Record<MetricName, Trend>> = {
  latency: "latency",
  pool_wait: "pool_wait",
  service_time: "service_time",
  dispatch_lag: "dispatch_lag",
};

const COMPARE: Record<Operator, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

/** `name` is not a measurement's tag: it selects requests inside one (see observe). */
function matches(m: Measured, tags: Record<string, string>, op: string | undefined): boolean {
  if (op !== undefined && m.op !== op) return false;
  return Object.entries(tags).every(([name, value]) =>
    name === "name" ? true : name === "op" ? m.op === value : name === "phase" ? m.phase === value : false,
  );
}

interface Observed {
  actual: number;
  samples: number;
  events?: number;
  /** A trend over nothing: no evidence the budget held. */
  empty: boolean;
}

const ratio = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

function observe(t: ParsedThreshold, selected: Measured[], elapsedMs: number): Observed {
  const trend = TREND_OF[t.metric];
  const name = t.tags.name;
  const sum = (f: (m: Measured) => number) => selected.reduce((n, m) => n + f(m), 0);
  if (name !== undefined && t.metric === "http_req_failed") {
    const named = selected.flatMap((m) => m.named(name) ?? []);
    const requests = named.reduce((n, r) => n + r.requests, 0);
    const failed = named.reduce((n, r) => n + r.failed, 0);
    return { actual: ratio(failed, requests), samples: requests, events: failed, empty: false };
  }
  if (trend || t.metric === "http_req_duration") {
    const histogram = mergeHistograms(
      selected.flatMap((m) => {
        if (name !== undefined) return m.named(name)?.duration ?? [];
        return [trend ? m.trend(trend) : m.httpDuration()];
      }),
    );
    const p = percentilesMs(histogram);
    const samples = histogram.totalCount;
    // count is the one aggregation that means something over nothing.
    const empty = samples === 0 && t.aggregation !== "count";
    if (t.aggregation === "p(N)") return { actual: valueAtPercentileMs(histogram, t.percentile ?? 0), samples, empty };
    const byName: Record<string, number> = { avg: p.mean, min: p.min, max: p.max, med: p.p50, count: p.count };
    return { actual: byName[t.aggregation] ?? Number.NaN, samples, empty };
  }
  switch (t.metric) {
    case "errors": {
      // An iteration cut off at gracefulStop never completed: for its user it failed.
      const failed = sum((m) => m.errors + m.interrupted);
      const attempted = sum((m) => m.count + m.interrupted);
      return { actual: ratio(failed, attempted), samples: attempted, events: failed, empty: false };
    }
    case "checks": {
      const total = sum((m) => m.checksPassed + m.checksFailed);
      const passed = sum((m) => m.checksPassed);
      return { actual: ratio(passed, total), samples: total, events: passed, empty: false };
    }
    case "http_req_failed": {
      const requests = sum((m) => m.httpRequests);
      const failed = sum((m) => m.httpFailed);
      return { actual: ratio(failed, requests), samples: requests, events: failed, empty: false };
    }
    case "cache_hits": {
      const lookups = sum((m) => m.cacheHits + m.cacheMisses);
      const hits = sum((m) => m.cacheHits);
      return { actual: ratio(hits, lookups), samples: lookups, events: hits, empty: false };
    }
    default: {
      const count = sum((m) => (t.metric === "iterations" ? m.count : m.dropped));
      const actual = t.aggregation === "count" ? count : elapsedMs > 0 ? (count / elapsedMs) * 1000 : 0;
      return { actual, samples: count, empty: false };
    }
  }
}

/** Whether `a` is a worse value than `b` for this expression (further on the failing side). */
function worse(t: ParsedThreshold, a: number, b: number): boolean {
  return t.operator.startsWith(">") ? a < b : a > b;
}

/** A value as reports keep it: trends to the µs, rates exact (1 failure in 1400 is 0.000714, never 0). */
function kept(t: ParsedThreshold, value: number): number {
  return TREND_OF[t.metric] || t.metric === "http_req_duration" ? Math.round(value * 1000) / 1000 : value;
}

function judgeOp(
  t: ParsedThreshold,
  selected: Measured[],
  op: string | undefined,
  elapsedMs: number,
  lagToleranceMs: number | undefined,
): OpVerdict {
  const whole = observe(t, selected, elapsedMs);
  const holds = (v: number) => COMPARE[t.operator](v, t.value);
  const verdict: OpVerdict = {
    op: op ?? "",
    ok: !whole.empty && holds(whole.actual),
    actual: kept(t, whole.actual),
    samples: whole.samples,
    ...(whole.events !== undefined && { events: whole.events }),
    ...(whole.empty && { note: "no completed iteration" }),
  };
  // Latency from the intended start carries the generator's lag: is a failure more than the lag can explain?
  // The bound is computed only once something failed (most budgets hold).
  const lagged = lagToleranceMs !== undefined && t.metric === "latency" && t.tags.name === undefined;
  let bound: LagBound | undefined;
  const boundOf = (toleranceMs: number) => {
    bound ??= lagBoundOf(mergeHistograms(selected.map((m) => m.trend("dispatch_lag"))), toleranceMs);
    return bound;
  };
  // Does some failure (the phase's, or a window's below) survive taking the lag out?
  let stands = !lagged || whole.empty;
  if (lagged && !whole.empty && !holds(whole.actual)) {
    stands = failureStands(t, mergeHistograms(selected.map((m) => m.trend("latency"))), boundOf(lagToleranceMs));
  }
  const windowMs = t.judgeWindowMs ?? 0;
  if (windowMs > 0 && windowable(t) && !whole.empty) {
    const records = selected.flatMap((m) => m.seconds() ?? []);
    const inWindow = lagged
      ? (h: Histogram, late: number | undefined) => {
          const phase = boundOf(lagToleranceMs);
          return failureStands(t, h, { ...phase, late: late ?? phase.late });
        }
      : undefined;
    const window = judgeWindows(t, records, Math.round(windowMs / 1000), holds, inWindow);
    if (window) {
      verdict.window = window;
      const w = window.worst;
      if (w && !w.ok) verdict.ok = false;
      if (w && worse(t, w.actual, whole.actual)) {
        verdict.actual = kept(t, w.actual);
        verdict.samples = w.samples;
        if (t.metric === "errors") verdict.events = Math.round(w.actual * w.samples);
      }
      if (window.failureStands) stands = true;
    }
  }
  if (!verdict.ok && !stands) verdict.lagMayDecide = true;
  return verdict;
}

/** `lagToleranceMs`: the generator's; given, a failed latency budget says whether late starts could explain it. */
export function evaluateThresholds(
  thresholds: ParsedThreshold[],
  measured: Measured[],
  elapsedMs: number,
  lagToleranceMs?: number,
): ThresholdResult[] {
  return thresholds.map((t) => {
    const base = {
      metric: t.key,
      expression: t.expression,
      abortOnFail: t.abortOnFail,
      ...(t.source && { source: t.source }),
    };
    if (!t.perOp) {
      const v = judgeOp(
        t,
        measured.filter((m) => matches(m, t.tags, undefined)),
        undefined,
        elapsedMs,
        lagToleranceMs,
      );
      const { op: _op, ...rest } = v;
      return { ...base, ...rest };
    }
    // Per op: only ops that were attempted in the selection are judged (an op that never ran there has
    // no users to fail); an op attempted but never completed is "no completed iteration" and fails.
    const verdicts = t.perOp.flatMap((op) => {
      const selected = measured.filter((m) => matches(m, t.tags, op));
      const attempted = selected.reduce((n, m) => n + m.count + m.interrupted + m.dropped, 0);
      return attempted > 0 ? [judgeOp(t, selected, op, elapsedMs, lagToleranceMs)] : [];
    });
    if (verdicts.length === 0) {
      return { ...base, ok: false, actual: 0, samples: 0, note: "no completed iteration", ops: [] };
    }
    const failing = verdicts.filter((v) => !v.ok);
    const pool = failing.length > 0 ? failing : verdicts;
    const decider = pool.reduce((a, b) => (worse(t, b.actual, a.actual) ? b : a));
    const { op, ok: _ok, lagMayDecide: _lag, ...rest } = decider;
    return {
      ...base,
      ...rest,
      ok: failing.length === 0,
      op,
      ops: verdicts,
      // At risk only when every failing op is: one op that failed beyond the lag fails the budget by itself.
      ...(failing.length > 0 && failing.every((v) => v.lagMayDecide) && { lagMayDecide: true as const }),
    };
  });
}

/** Thresholds with abortOnFail that fail now and are past their delayAbortEval (whole series, no windows). */
export function abortingFailures(
  thresholds: ParsedThreshold[],
  measured: Measured[],
  elapsedMs: number,
): ThresholdResult[] {
  const armed = thresholds
    .filter((t) => t.abortOnFail && elapsedMs >= t.delayAbortEvalMs)
    .map((t) => ({ ...t, judgeWindowMs: 0 }));
  return evaluateThresholds(armed, measured, elapsedMs).filter((r) => !r.ok);
}
