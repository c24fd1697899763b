/**
 * Waiting until a monotonic instant with sub-millisecond accuracy: a timer
 * for all but the last ~1.5 ms (timers fire late by up to ~1 ms), then
 * setImmediate turns, which still let I/O completions run.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";

const TIMER_SLACK_MS = 1.5;

export async function waitUntil(targetMs: number, signal?: AbortSignal): Promise<void> {
  const remaining = targetMs - performance.now();
  if (remaining > TIMER_SLACK_MS) {
    await sleep(remaining - TIMER_SLACK_MS, undefined, { signal }).catch(() => {});
  }
  while (performance.now() < targetMs && !signal?.aborted) await nextTurn();
}
