/**
 * waitUntil and the wake thread: never early, every waiter woken whatever order they came in, an abort wakes
 * at once. (How late and at what CPU cost is bench/generator.ts's open-loop rows, not a timed test.)
 */
import { describe, expect, it } from "vitest";
import { waitUntil } from "../../harness/runner/wait.ts";
import { wakeThread } from "../../harness/runner/wake-thread.ts";

describe("waitUntil", () => {
  it("returns at or after the instant, for waits shorter and longer than the timer's slack", async () => {
    for (const ms of [0.05, 0.3, 1, 2, 5]) {
      const target = performance.now() + ms;
      await waitUntil(target);
      expect(performance.now()).toBeGreaterThanOrEqual(target);
    }
  });

  it("the wake thread wakes interleaved waiters, each at or after its own instant", async () => {
    const thread = wakeThread();
    expect(thread?.usable).toBe(true);
    const t0 = performance.now();
    // Later ones first: each earlier arrival re-arms the thread.
    const offsets = [1.4, 0.2, 0.9, 0.2, 0.05, 1.2, 0.6];
    const woke: { target: number; at: number }[] = [];
    await Promise.all(
      offsets.map(async (ms) => {
        const target = t0 + ms;
        await thread?.at(target);
        woke.push({ target, at: performance.now() });
      }),
    );
    expect(woke).toHaveLength(offsets.length);
    for (const w of woke) expect(w.at).toBeGreaterThanOrEqual(w.target);
  });

  it("an abort wakes a waiter at once, and the others still wake at their instants", async () => {
    const thread = wakeThread();
    const stop = new AbortController();
    const far = performance.now() + 60_000;
    const aborted = thread?.at(far, stop.signal);
    const near = performance.now() + 0.5;
    stop.abort();
    await aborted;
    expect(performance.now()).toBeLessThan(far);
    await thread?.at(near);
    expect(performance.now()).toBeGreaterThanOrEqual(near);
  });
});
