/**
 * Budgets judged on rolling windows: a fault phase's latency and error budgets
 * must hold in every window of `sizeS` seconds, not only over the whole phase,
 * so a one-second stall is judged the same in a 10 s phase as in a 60 s one.
 * A window with too few samples for its aggregation (a p99 of 30 requests, an
 * error rate below 1% from 40) is not judged, and counted as such.
 */
import type { SecondsRecord } from "../../reports/schema.ts";
import { decodeHistogram, type Histogram, newHistogram, valueAtPercentileMs } from "../metrics/histogram.ts";
import type { Operator, ParsedThreshold } from "./parse.ts";

export const DEFAULT_WINDOW_MS = 10_000;
/** Below this many samples a window is never judged, whatever the aggregation. */
const MIN_WINDOW_SAMPLES = 10;

export interface WindowVerdict {
  sizeS: number;
  judged: number;
  notJudged: number;
  /** The worst judged window, in the failing direction (seconds since the load's start). */
  worst?: { fromS: number; toS: number; actual: number; samples: number; ok: boolean };
  /** Some window failed by more than the generator's late starts could explain (see lateness.ts). */
  failureStands?: boolean;
}

/** Whether a failed window's failure survives taking the lag out: its latencies and late starts (undefined
 * when the seconds do not count them). */
export type WindowFailureStands = (latency: Histogram, late: number | undefined) => boolean;

/** Which budgets have windows: latency and errors, by the aggregations a window can change. */
export function windowable(t: Pick<ParsedThreshold, "metric" | "aggregation" | "operator">): boolean {
  const directional = ["<", "<=", ">", ">="].includes(t.operator);
  if (t.metric === "latency") return directional && ["p(N)", "avg", "med"].includes(t.aggregation);
  return t.metric === "errors" && directional;
}

/** Samples a window needs before its value means anything for this expression. */
export function minWindowSamples(t: Pick<ParsedThreshold, "aggregation" | "percentile" | "operator" | "value">) {
  let needed = 1;
  if (t.aggregation === "p(N)") {
    // The p(N) of n samples is decided by the top (1 - N/100) × n of them: at least one must be above it.
    const tail = 1 - (t.percentile ?? 50) / 100;
    needed = tail > 0 ? Math.ceil(1 / tail) : Number.POSITIVE_INFINITY;
  } else if (t.aggregation === "rate") {
    // One event must not by itself carry the rate across the bound: rate < 1% needs 100 samples.
    const room = t.operator.startsWith("<") ? t.value : 1 - t.value;
    needed = room > 0 ? Math.ceil(1 / room) : Number.POSITIVE_INFINITY;
  }
  return Math.max(MIN_WINDOW_SAMPLES, needed);
}

const WORSE: Record<Operator, (a: number, b: number) => boolean> = {
  "<": (a, b) => a > b,
  "<=": (a, b) => a > b,
  ">": (a, b) => a < b,
  ">=": (a, b) => a < b,
  "==": () => false,
  "!=": () => false,
};

interface Second {
  latency: Histogram | undefined;
  count: number;
  failed: number;
  late: number;
}

/** The selection's seconds added together (several scenarios ran the op), by second since the load's start. */
function secondsOf(records: SecondsRecord[]): Map<number, Second> {
  const seconds = new Map<number, Second>();
  for (const r of records) {
    r.count.forEach((count, i) => {
      const at = r.fromS + i;
      const s = seconds.get(at) ?? { latency: undefined, count: 0, failed: 0, late: 0 };
      s.count += count;
      s.failed += r.failed[i] ?? 0;
      s.late += r.late?.[i] ?? 0;
      const encoded = r.latency[i];
      if (encoded) {
        s.latency ??= newHistogram();
        s.latency.add(decodeHistogram(encoded));
      }
      seconds.set(at, s);
    });
  }
  return seconds;
}

function windowValue(t: ParsedThreshold, window: Histogram, count: number, failed: number): number {
  if (t.metric === "errors") return count === 0 ? 0 : failed / count;
  if (t.aggregation === "p(N)") return valueAtPercentileMs(window, t.percentile ?? 0);
  if (t.aggregation === "med") return valueAtPercentileMs(window, 50);
  return window.totalCount === 0 ? 0 : window.mean / 1000;
}

/**
 * Every window of `sizeS` consecutive seconds over the selection's seconds, sliding by one; undefined when
 * there are no more seconds than one window (the whole phase is that window).
 */
export function judgeWindows(
  t: ParsedThreshold,
  records: SecondsRecord[],
  sizeS: number,
  holds: (actual: number) => boolean,
  stands?: WindowFailureStands,
): WindowVerdict | undefined {
  const seconds = secondsOf(records);
  const lateKnown = records.every((r) => r.late !== undefined);
  if (seconds.size === 0) return undefined;
  const from = Math.min(...seconds.keys());
  const to = Math.max(...seconds.keys());
  if (to - from + 1 <= sizeS) return undefined;
  const needed = minWindowSamples(t);
  const verdict: WindowVerdict = { sizeS, judged: 0, notJudged: 0 };
  const running = newHistogram();
  let count = 0;
  let failed = 0;
  let late = 0;
  const enter = (s: Second | undefined, sign: 1 | -1) => {
    if (!s) return;
    count += sign * s.count;
    failed += sign * s.failed;
    late += sign * s.late;
    if (s.latency) sign === 1 ? running.add(s.latency) : running.subtract(s.latency);
  };
  for (let at = from; at < from + sizeS; at++) enter(seconds.get(at), 1);
  for (let start = from; start + sizeS - 1 <= to; start++) {
    if (start > from) {
      enter(seconds.get(start - 1), -1);
      enter(seconds.get(start + sizeS - 1), 1);
    }
    const samples = t.metric === "errors" ? count : running.totalCount;
    if (samples < needed) {
      verdict.notJudged++;
      continue;
    }
    verdict.judged++;
    const actual = windowValue(t, running, count, failed);
    if (stands && !verdict.failureStands && !holds(actual) && stands(running, lateKnown ? late : undefined)) {
      verdict.failureStands = true;
    }
    if (!verdict.worst || WORSE[t.operator](actual, verdict.worst.actual)) {
      verdict.worst = { fromS: start, toS: start + sizeS, actual, samples, ok: holds(actual) };
    }
  }
  return verdict;
}
