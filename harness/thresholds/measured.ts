/**
 * What thresholds are judged on: one op in one phase, as measured. Two sources
 * give it: the live metrics store (abortOnFail, during the run) and report.json's
 * ops (the verdict at the end, and `rehearse merge`, which judges the merged
 * parts), so a verdict is a function of what the report holds.
 */
import type { OpReport, SecondsRecord, Trend } from "../../reports/schema.ts";
import { decodeHistogram, type Histogram, newHistogram } from "../metrics/histogram.ts";
import { mergeSeconds } from "../metrics/seconds.ts";
import type { Series } from "../metrics/store.ts";

export interface NamedMeasure {
  requests: number;
  failed: number;
  duration: Histogram;
}

export interface Measured {
  readonly op: string;
  readonly phase: string;
  /** Completed iterations, and of them the failed ones. */
  readonly count: number;
  readonly errors: number;
  /** Never completed (cut off at gracefulStop): failed for the user. */
  readonly interrupted: number;
  readonly dropped: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly checksPassed: number;
  readonly checksFailed: number;
  readonly httpRequests: number;
  readonly httpFailed: number;
  trend(trend: Trend): Histogram;
  httpDuration(): Histogram;
  named(name: string): NamedMeasure | undefined;
  /** Second by second, where kept (phases after the baseline). */
  seconds(): SecondsRecord | undefined;
}

/** A live series of the store (one scenario's op in one phase). */
export function measuredOfSeries(series: Series): Measured {
  return {
    op: series.op,
    phase: series.tags.phase ?? "run",
    count: series.iterations,
    errors: series.errorCount,
    interrupted: series.interrupted,
    dropped: series.dropped,
    cacheHits: series.cacheHits,
    cacheMisses: series.cacheMisses,
    checksPassed: series.checksPassed,
    checksFailed: series.checksFailed,
    httpRequests: series.httpRequests,
    httpFailed: series.httpFailed,
    trend: (t) => series.trends[t],
    httpDuration: () => series.httpDuration,
    named: (name) => series.byName.get(name),
    seconds: () => (series.seconds ? mergeSeconds([series.seconds.closed()]) : undefined),
  };
}

const decoded = (encoded: string | undefined) => (encoded ? decodeHistogram(encoded) : newHistogram());

/** One of report.json's ops (an op in a phase, its scenarios merged); histograms decoded when asked for. */
export function measuredOfReport(op: OpReport): Measured {
  const cache = new Map<string, Histogram>();
  const once = (key: string, encoded: string | undefined) => {
    let h = cache.get(key);
    if (!h) {
      h = decoded(encoded);
      cache.set(key, h);
    }
    return h;
  };
  const requests = op.requests ?? [];
  return {
    op: op.op,
    phase: op.phase,
    count: op.count,
    errors: op.errors,
    interrupted: op.interrupted,
    dropped: op.dropped,
    cacheHits: op.cacheHits,
    cacheMisses: op.cacheMisses,
    checksPassed: op.checks?.passed ?? 0,
    checksFailed: op.checks?.failed ?? 0,
    httpRequests: Object.values(op.statusCounts ?? {}).reduce((n, c) => n + c, 0),
    httpFailed: requests.reduce((n, r) => n + r.failed, 0),
    trend: (t) => once(t, op.histograms[t]),
    httpDuration: () => once("http_req_duration", op.histograms.http_req_duration),
    named: (name) => {
      const r = requests.find((q) => q.name === name);
      return r ? { requests: r.count, failed: r.failed, duration: once(`name:${name}`, r.histogram) } : undefined;
    },
    seconds: () => op.seconds,
  };
}
