/**
 * Per-second p95 latency per op, for recovery time. One small histogram per
 * op for the current second; each tick keeps only the second's p95 (a
 * number), so memory grows by a few bytes a second, not a histogram.
 */
import { type Histogram, newHistogram, recordMs, valueAtPercentileMs } from "./histogram.ts";

const MAX_SECONDS = 86_400;

export class PerSecondLatency {
  private readonly current = new Map<string, Histogram>();
  /** op → p95 (ms) of each second; null for a second without completions. */
  readonly p95: Map<string, (number | null)[]> = new Map();
  private seconds = 0;

  record(op: string, latencyMs: number): void {
    let histogram = this.current.get(op);
    if (!histogram) {
      histogram = newHistogram();
      this.current.set(op, histogram);
      this.p95.set(op, Array(this.seconds).fill(null));
    }
    recordMs(histogram, latencyMs);
  }

  /** Closes the current second. */
  tick(): void {
    if (this.seconds >= MAX_SECONDS) return;
    this.seconds++;
    for (const [op, histogram] of this.current) {
      this.p95.get(op)?.push(histogram.totalCount > 0 ? valueAtPercentileMs(histogram, 95) : null);
      histogram.reset();
    }
  }
}
