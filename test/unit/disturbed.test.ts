import { describe, expect, it } from "vitest";
import { disturbedWindows, STEAL_NAME } from "../../harness/run/disturbed.ts";
import type { TimelineSample } from "../../harness/sampler/sampler.ts";

/** One sampler second: `other` cores used by other programs, `stealPct` of the host's CPU stolen. */
const second = (tMs: number, other: number, stealPct: number): TimelineSample => ({
  tMs,
  host: { busyPct: 30, iowaitPct: 0, stealPct },
  cpu: { rehearse: 0.3, app: 0, appMax: 0, postgres: 0.1, pgbouncer: 0, redis: 0, other, topOther: [] },
});

describe("disturbedWindows: seconds in which others used the host's CPU", () => {
  it("other programs at half a core for 2 s or more; one such second alone is not a window", () => {
    const timeline = [second(1000, 0.1, 0), second(2000, 0.6, 0), second(3000, 0.7, 0), second(4000, 0.1, 0)];
    expect(disturbedWindows(timeline, 2)).toEqual([{ fromMs: 1000, toMs: 3000, otherCores: 0.65, by: [] }]);
    expect(disturbedWindows([second(1000, 0.9, 0), second(2000, 0.1, 0)], 2)).toEqual([]);
  });

  it("steal counts as others' CPU, and 10% of it for 2 s disturbs alone; 8% with a quiet rest does not", () => {
    const stolen = [1000, 2000, 3000].map((t) => second(t, 0.05, 25));
    const [w] = disturbedWindows(stolen, 2);
    expect(w).toMatchObject({ fromMs: 0, toMs: 3000, otherCores: 0.55 });
    expect(w?.by).toEqual([STEAL_NAME]);
    const steady = (pct: number) => [1000, 2000, 3000].map((t) => second(t, 0.05, pct));
    expect(disturbedWindows(steady(10), 2)).toHaveLength(1);
    expect(disturbedWindows(steady(8), 2)).toEqual([]);
    // 8% of 8 cores is 0.64 cores others used.
    expect(disturbedWindows(steady(8), 8)).toHaveLength(1);
    // One second of 19% is no window.
    expect(disturbedWindows([second(1000, 0, 1), second(2000, 0, 19), second(3000, 0, 1)], 2)).toEqual([]);
  });
});
