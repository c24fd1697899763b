/**
 * Where iteration samples end up: one series per op and tag set, each with
 * four histograms (latency from the intended start, dispatch lag, pool wait,
 * service time) and counters. Samples flow one way: runners add, readers read.
 */
import { ERROR_CLASSES, type ErrorClass } from "../clients/classify-error.ts";
import type { IterationTimer } from "../clients/iteration-timer.ts";
import { type Histogram, mergeHistograms, newHistogram, recordMs } from "./histogram.ts";
import { SecondBuckets } from "./seconds.ts";

export const TRENDS = ["latency", "dispatch_lag", "pool_wait", "service_time"] as const;
export type Trend = (typeof TRENDS)[number];

export interface IterationSample {
  /** Monotonic ms: when the schedule meant it to start, when it did, when it ended. */
  intendedMs: number;
  startMs: number;
  endMs: number;
  timer: IterationTimer;
  error: ErrorClass | undefined;
}

/** One `name` tag's requests within a series (k6: http_req_duration{name:...}). */
export interface NamedRequests {
  requests: number;
  failed: number;
  statusCounts: Record<string, number>;
  duration: Histogram;
}

/** Distinct names kept per series; beyond it requests are grouped as OTHER_NAMES (a path with ids in it
 * and no `name` would otherwise grow a histogram per id). */
export const MAX_NAMES = 100;
export const OTHER_NAMES = "(other names)";

export class Series {
  readonly op: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly trends: Record<Trend, Histogram> = {
    latency: newHistogram(),
    dispatch_lag: newHistogram(),
    pool_wait: newHistogram(),
    service_time: newHistogram(),
  };
  iterations = 0;
  dropped = 0;
  interrupted = 0;
  cacheHits = 0;
  cacheMisses = 0;
  /** HTTP requests of the op's iterations: by status ("0": no response), failed ones, and their durations. */
  readonly statusCounts: Record<string, number> = {};
  httpRequests = 0;
  httpFailed = 0;
  checksPassed = 0;
  checksFailed = 0;
  readonly httpDuration: Histogram = newHistogram();
  readonly byName = new Map<string, NamedRequests>();
  readonly errors = Object.fromEntries(ERROR_CLASSES.map((c) => [c, 0])) as Record<ErrorClass, number>;
  /** Second by second, for budgets judged on rolling windows (kept only where some are: fault phases). */
  readonly seconds: SecondBuckets | undefined;
  /** Latency and pool wait of the iterations meant to start in the phase's first half, and in its second:
   * how far one run's values wander within it is noise a comparison must see beyond. */
  readonly halves: { latency: [Histogram, Histogram]; pool_wait: [Histogram, Histogram] } | undefined;
  private readonly halfAtMs: number;

  /** An iteration starting later than this is late (counted per second, for the verdict's lateness check). */
  private readonly lateMs: number;

  constructor(
    op: string,
    tags: Readonly<Record<string, string>>,
    secondsFromMs: number | undefined,
    lateMs: number,
    halfAtMs?: number,
  ) {
    this.op = op;
    this.tags = tags;
    this.lateMs = lateMs;
    this.seconds = secondsFromMs === undefined ? undefined : new SecondBuckets(secondsFromMs);
    this.halfAtMs = halfAtMs ?? Number.NaN;
    this.halves =
      halfAtMs === undefined || !Number.isFinite(halfAtMs)
        ? undefined
        : { latency: [newHistogram(), newHistogram()], pool_wait: [newHistogram(), newHistogram()] };
  }

  get errorCount(): number {
    return ERROR_CLASSES.reduce((sum, c) => sum + this.errors[c], 0);
  }

  add(sample: IterationSample): void {
    this.iterations++;
    recordMs(this.trends.latency, sample.endMs - sample.intendedMs);
    const lagMs = sample.startMs - sample.intendedMs;
    recordMs(this.trends.dispatch_lag, lagMs);
    recordMs(this.trends.pool_wait, sample.timer.poolWaitMs);
    recordMs(this.trends.service_time, sample.timer.serviceMs);
    if (this.halves) {
      const half = sample.intendedMs < this.halfAtMs ? 0 : 1;
      recordMs(this.halves.latency[half], sample.endMs - sample.intendedMs);
      recordMs(this.halves.pool_wait[half], sample.timer.poolWaitMs);
    }
    this.cacheHits += sample.timer.cacheHits;
    this.cacheMisses += sample.timer.cacheMisses;
    if (sample.error) this.errors[sample.error]++;
    this.seconds?.record(
      sample.endMs,
      sample.endMs - sample.intendedMs,
      sample.error !== undefined,
      lagMs > this.lateMs,
    );
    this.checksPassed += sample.timer.checksPassed;
    this.checksFailed += sample.timer.checksFailed;
    for (const request of sample.timer.http ?? []) {
      this.httpRequests++;
      if (request.failed) this.httpFailed++;
      this.statusCounts[request.status] = (this.statusCounts[request.status] ?? 0) + 1;
      recordMs(this.httpDuration, request.ms);
      const named = this.named(request.name);
      named.requests++;
      if (request.failed) named.failed++;
      named.statusCounts[request.status] = (named.statusCounts[request.status] ?? 0) + 1;
      recordMs(named.duration, request.ms);
    }
  }

  /** Iterations still running when the graceful stop ran out: they count as failed. */
  addInterrupted(count: number, atMs: number): void {
    this.interrupted += count;
    this.seconds?.recordInterrupted(atMs, count);
  }

  private named(name: string): NamedRequests {
    const key = this.byName.has(name) || this.byName.size < MAX_NAMES ? name : OTHER_NAMES;
    let named = this.byName.get(key);
    if (!named) {
      named = { requests: 0, failed: 0, statusCounts: {}, duration: newHistogram() };
      this.byName.set(key, named);
    }
    return named;
  }
}

/** Counters by key (statuses), summed. */
export function mergeCounts(counts: Record<string, number>[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const c of counts) for (const [k, n] of Object.entries(c)) merged[k] = (merged[k] ?? 0) + n;
  return merged;
}

/** One name's requests across series (the scenarios that ran an op, or a threshold's selection). */
export function mergeNamed(series: Series[], name: string): NamedRequests {
  const named = series.flatMap((s) => {
    const n = s.byName.get(name);
    return n ? [n] : [];
  });
  return {
    requests: named.reduce((sum, n) => sum + n.requests, 0),
    failed: named.reduce((sum, n) => sum + n.failed, 0),
    statusCounts: mergeCounts(named.map((n) => n.statusCounts)),
    duration: mergeHistograms(named.map((n) => n.duration)),
  };
}

export function seriesKey(op: string, tags: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`);
  return `${op}{${sorted.join(",")}}`;
}

export class MetricsStore {
  private readonly byKey = new Map<string, Series>();
  /** The generator's lag tolerance: a later start is late (default: DEFAULT_TOLERANCE's 10 ms). */
  readonly lateMs: number;

  constructor(lateMs = 10) {
    this.lateMs = lateMs;
  }

  /** `secondsFromMs`: keep the series second by second, from this monotonic instant (the load's start);
   * `halfAtMs`: the monotonic middle of its phase, to keep its two halves apart. */
  series(op: string, tags: Readonly<Record<string, string>>, secondsFromMs?: number, halfAtMs?: number): Series {
    const key = seriesKey(op, tags);
    let series = this.byKey.get(key);
    if (!series) {
      series = new Series(op, tags, secondsFromMs, this.lateMs, halfAtMs);
      this.byKey.set(key, series);
    }
    return series;
  }

  all(): Series[] {
    return [...this.byKey.values()];
  }
}
