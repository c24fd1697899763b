/**
 * Per-second figures per op: p95 latency (for recovery time and the report's
 * charts), p95 pool wait, completions and errors. One small histogram pair per
 * op for the current second; each tick keeps only the second's numbers, so
 * memory grows by a few bytes a second, not a histogram.
 */
import { encodeHistogram, type Histogram, newHistogram, recordMs, valueAtPercentileMs } from "./histogram.ts";

const MAX_SECONDS = 86_400;

/** One op's seconds; null where a second had no completions. */
export interface OpSeconds {
  p95Ms: (number | null)[];
  poolWaitP95Ms: (number | null)[];
  count: number[];
  errors: number[];
  cacheHits: number[];
  cacheMisses: number[];
  /** Kept for a segment's part only: each second's latency and pool wait encoded ("" for none), so that
   * `rehearse merge` computes the merged seconds' p95 from the histograms, not from the parts' p95s. */
  latency?: string[];
  poolWait?: string[];
}

interface Current {
  latency: Histogram;
  poolWait: Histogram;
  errors: number;
  cacheHits: number;
  cacheMisses: number;
}

export class PerSecondLatency {
  private readonly current = new Map<string, Current>();
  readonly ops: Map<string, OpSeconds> = new Map();
  private seconds = 0;
  private readonly keepHistograms: boolean;

  constructor(options: { keepHistograms?: boolean } = {}) {
    this.keepHistograms = options.keepHistograms ?? false;
  }

  /** op → p95 (ms) of each second; null for a second without completions. */
  get p95(): Map<string, (number | null)[]> {
    return new Map([...this.ops].map(([op, s]) => [op, s.p95Ms]));
  }

  record(
    op: string,
    latencyMs: number,
    poolWaitMs = 0,
    failed = false,
    cache?: { hits: number; misses: number },
  ): void {
    let now = this.current.get(op);
    if (!now) {
      now = { latency: newHistogram(), poolWait: newHistogram(), errors: 0, cacheHits: 0, cacheMisses: 0 };
      this.current.set(op, now);
      this.ops.set(op, {
        p95Ms: Array(this.seconds).fill(null),
        poolWaitP95Ms: Array(this.seconds).fill(null),
        count: Array(this.seconds).fill(0),
        errors: Array(this.seconds).fill(0),
        cacheHits: Array(this.seconds).fill(0),
        cacheMisses: Array(this.seconds).fill(0),
        ...(this.keepHistograms && { latency: Array(this.seconds).fill(""), poolWait: Array(this.seconds).fill("") }),
      });
    }
    recordMs(now.latency, latencyMs);
    recordMs(now.poolWait, poolWaitMs);
    if (failed) now.errors++;
    if (cache) {
      now.cacheHits += cache.hits;
      now.cacheMisses += cache.misses;
    }
  }

  /** Closes the current second. */
  tick(): void {
    if (this.seconds >= MAX_SECONDS) return;
    this.seconds++;
    for (const [op, now] of this.current) {
      const seconds = this.ops.get(op) as OpSeconds;
      const any = now.latency.totalCount > 0;
      seconds.p95Ms.push(any ? round(valueAtPercentileMs(now.latency, 95)) : null);
      seconds.poolWaitP95Ms.push(any ? round(valueAtPercentileMs(now.poolWait, 95)) : null);
      seconds.count.push(now.latency.totalCount);
      seconds.errors.push(now.errors);
      seconds.cacheHits.push(now.cacheHits);
      seconds.cacheMisses.push(now.cacheMisses);
      seconds.latency?.push(any ? encodeHistogram(now.latency) : "");
      seconds.poolWait?.push(any ? encodeHistogram(now.poolWait) : "");
      now.latency.reset();
      now.poolWait.reset();
      now.errors = 0;
      now.cacheHits = 0;
      now.cacheMisses = 0;
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
