import { describe, expect, it } from "vitest";
import { arrivalOffsets, vuSteps } from "../../harness/executors/schedule.ts";

const perSecond = (n: number) => n / 1000;
const take = (it: Iterable<number>, max = 1_000_000) => {
  const out: number[] = [];
  for (const x of it) {
    out.push(x);
    if (out.length >= max) break;
  }
  return out;
};

describe("arrivalOffsets", () => {
  it("constant rate: count = rate × duration, evenly spaced from 0", () => {
    const offsets = take(arrivalOffsets(perSecond(200), [{ target: perSecond(200), durationMs: 10_000 }]));
    expect(offsets).toHaveLength(2000);
    expect(offsets[0]).toBe(0);
    expect(offsets[1]).toBeCloseTo(5, 9);
    expect(offsets.at(-1)).toBeCloseTo(9995, 6);
  });

  it("ramp 0 → 100/s over 10 s: 500 arrivals, the k-th at sqrt(2k·D/r)", () => {
    const offsets = take(arrivalOffsets(0, [{ target: perSecond(100), durationMs: 10_000 }]));
    expect(offsets).toHaveLength(500);
    // N(t) = r·t²/(2D) → t_k = sqrt(2kD/r)
    for (const k of [1, 100, 250, 499]) {
      expect(offsets[k]).toBeCloseTo(Math.sqrt((2 * k * 10_000) / perSecond(100)), 6);
    }
  });

  it("ramp down and multiple stages: count is the area under the rate curve, times increase", () => {
    const stages = [
      { target: perSecond(50), durationMs: 4_000 }, // 100→50: 300
      { target: perSecond(50), durationMs: 2_000 }, // 100
      { target: 0, durationMs: 2_000 }, // 50
    ];
    const offsets = take(arrivalOffsets(perSecond(100), stages));
    expect(offsets).toHaveLength(450);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThan(offsets[i - 1] as number);
    // Density near the start is 100/s, in the flat stage 50/s.
    expect((offsets[1] as number) - (offsets[0] as number)).toBeCloseTo(10, 1);
    const flat = offsets.filter((t) => t >= 4_000 && t < 6_000);
    expect(flat).toHaveLength(100);
  });

  it("zero rate gives nothing and does not loop", () => {
    expect(take(arrivalOffsets(0, [{ target: 0, durationMs: 60_000 }]))).toEqual([]);
  });
});

describe("vuSteps", () => {
  it("ramps up one VU at a time, evenly", () => {
    expect(vuSteps(0, [{ target: 4, durationMs: 4_000 }])).toEqual([
      { atMs: 0, vus: 0 },
      { atMs: 1_000, vus: 1 },
      { atMs: 2_000, vus: 2 },
      { atMs: 3_000, vus: 3 },
      { atMs: 4_000, vus: 4 },
    ]);
  });

  it("holds, ramps down, and jumps on zero-length stages", () => {
    const steps = vuSteps(2, [
      { target: 2, durationMs: 5_000 },
      { target: 0, durationMs: 2_000 },
      { target: 5, durationMs: 0 },
    ]);
    expect(steps).toEqual([
      { atMs: 0, vus: 2 },
      { atMs: 6_000, vus: 1 },
      { atMs: 7_000, vus: 0 },
      { atMs: 7_000, vus: 5 },
    ]);
  });
});
