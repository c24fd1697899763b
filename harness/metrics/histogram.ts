/**
 * HdrHistograms of integer microseconds (autocannon's histUtil): explicit
 * bounds, constant memory however many values, encode/merge without loss
 * beyond the histogram's own precision (3 significant digits), so workers and
 * runs can be combined.
 */

import * as hdr from "hdr-histogram-js";
import type { Quantiles } from "../../reports/schema.ts";

/** One hour: anything slower is recorded as one hour (and is a finding of its own). */
export const HIGHEST_US = 3_600_000_000;

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  return hdr.build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** Records a duration given in milliseconds (monotonic-clock differences) as whole µs. */
export function recordMs(histogram: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  histogram.recordValue(Math.min(Math.max(us, 0), HIGHEST_US));
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  // Decoding sizes the histogram to what it holds; copy into standard bounds so later merges fit.
  const histogram = newHistogram();
  histogram.add(decoded);
  return histogram;
}

export function mergeHistograms(histograms: Iterable<Histogram>): Histogram {
  const merged = newHistogram();
  for (const h of histograms) merged.add(h);
  return merged;
}

/** report.json's quantiles, with what the engine also needs. */
export interface Percentiles extends Quantiles {
  count: number;
  min: number;
  mean: number;
}

/** Milliseconds, 3 decimals (µs resolution). */
export function percentilesMs(histogram: Histogram): Percentiles {
  const ms = (us: number) => Math.round(us) / 1000;
  const count = histogram.totalCount;
  if (count === 0) return { count, min: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  return {
    count,
    min: ms(histogram.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : histogram.minNonZeroValue),
    p50: ms(histogram.getValueAtPercentile(50)),
    p95: ms(histogram.getValueAtPercentile(95)),
    p99: ms(histogram.getValueAtPercentile(99)),
    max: ms(histogram.maxValue),
    mean: ms(histogram.mean),
  };
}

export function valueAtPercentileMs(histogram: Histogram, percentile: number): number {
  return histogram.totalCount === 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000;
}

/** Share (0–1) of recorded values above `ms`, by bisecting the percentile axis (50 steps: ~1e-15). */
export function fractionAboveMs(histogram: Histogram, ms: number): number {
  if (histogram.totalCount === 0) return 0;
  const us = ms * 1000;
  let lo = 0;
  let hi = 100;
  for (let step = 0; step < 50; step++) {
    const mid = (lo + hi) / 2;
    if (histogram.getValueAtPercentile(mid) <= us) lo = mid;
    else hi = mid;
  }
  // Rounded to 1e-9: below that the bisection's float residue, not data.
  return Math.round(((100 - lo) / 100) * 1e9) / 1e9;
}
