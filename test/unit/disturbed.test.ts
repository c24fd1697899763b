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

  it("steal counts as others' CPU: a quarter of 2 cores stolen for 3 s is a window, named; 10% is not", () => {
    const stolen = [1000, 2000, 3000].map((t) => second(t, 0.05, 25));
    const [w] = disturbedWindows(stolen, 2);
    expect(w).toMatchObject({ fromMs: 0, toMs: 3000, otherCores: 0.55 });
    expect(w?.by).toEqual([STEAL_NAME]);
    expect(
      disturbedWindows(
        [1000, 2000, 3000].map((t) => second(t, 0.05, 10)),
        2,
      ),
    ).toEqual([]);
    // On 8 cores the same 10% is 0.8 cores taken.
    expect(
      disturbedWindows(
        [1000, 2000, 3000].map((t) => second(t, 0.05, 10)),
        8,
      ),
    ).toHaveLength(1);
  });
});
