import { describe, expect, it } from "vitest";
import {
  decodeHistogram,
  encodeHistogram,
  fractionAboveMs,
  HIGHEST_US,
  mergeHistograms,
  newHistogram,
  percentilesMs,
  recordMs,
} from "../../harness/metrics/histogram.ts";

describe("histograms in µs", () => {
  it("reports percentiles in ms within HdrHistogram's 3 significant digits", () => {
    const h = newHistogram();
    for (let i = 1; i <= 10_000; i++) recordMs(h, i / 10); // 0.1 ms … 1000 ms, uniform
    const p = percentilesMs(h);
    expect(p.count).toBe(10_000);
    expect(p.p50).toBeCloseTo(500, -0.5);
    expect(Math.abs(p.p95 - 950) / 950).toBeLessThan(0.001);
    expect(Math.abs(p.p99 - 990) / 990).toBeLessThan(0.001);
    expect(p.min).toBe(0.1);
    expect(Math.abs(p.max - 1000) / 1000).toBeLessThan(0.001);
  });

  it("clamps values beyond an hour instead of throwing", () => {
    const h = newHistogram();
    recordMs(h, 5 * 3_600_000);
    recordMs(h, -1);
    expect(h.totalCount).toBe(2);
    expect(h.maxValue).toBeGreaterThanOrEqual(HIGHEST_US * 0.999);
  });

  it("encodes and decodes losslessly at the histogram's precision, and merges", () => {
    const a = newHistogram();
    const b = newHistogram();
    for (let i = 0; i < 1000; i++) recordMs(a, 1 + (i % 7));
    for (let i = 0; i < 500; i++) recordMs(b, 100 + i);
    const roundTrip = percentilesMs(decodeHistogram(encodeHistogram(a)));
    const original = percentilesMs(a);
    // Percentiles come from bucket boundaries either way; the exact max is known only before encoding.
    expect({ ...roundTrip, max: 0 }).toEqual({ ...original, max: 0 });
    expect(Math.abs(roundTrip.max - original.max) / original.max).toBeLessThan(0.001);
    const merged = mergeHistograms([decodeHistogram(encodeHistogram(a)), decodeHistogram(encodeHistogram(b))]);
    expect(merged.totalCount).toBe(1500);
    expect(percentilesMs(merged).max).toBeCloseTo(599, 0);
    expect(percentilesMs(merged).min).toBe(1);
  });

  it("keeps its memory footprint fixed however many values it holds", () => {
    const h = newHistogram();
    const before = h.estimatedFootprintInBytes;
    for (let i = 0; i < 200_000; i++) recordMs(h, (i % 5000) * 0.37);
    expect(h.estimatedFootprintInBytes).toBe(before);
  });

  it("tells the share of values above a threshold", () => {
    const h = newHistogram();
    for (let i = 0; i < 800; i++) recordMs(h, 1);
    for (let i = 0; i < 200; i++) recordMs(h, 500);
    expect(fractionAboveMs(h, 50)).toBeCloseTo(0.2, 6);
    expect(fractionAboveMs(h, 600)).toBe(0);
    expect(fractionAboveMs(h, 0.5)).toBe(1);
    expect(fractionAboveMs(newHistogram(), 1)).toBe(0);
  });
});
