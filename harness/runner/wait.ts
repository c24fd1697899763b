/**
 * Waiting until a monotonic instant with sub-millisecond accuracy: a timer for all but the last ~1.5 ms
 * (libuv's timers have 1 ms resolution and fire up to ~1 ms late), then the wake thread (a thread asleep
 * in Atomics.wait until the instant), so the event loop stays free for I/O and no core is spent spinning.
 * Where no thread can be started, setImmediate turns (they still let I/O completions run).
 */
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { wakeThread } from "./wake-thread.ts";

const TIMER_SLACK_MS = 1.5;

export async function waitUntil(targetMs: number, signal?: AbortSignal): Promise<void> {
  const remaining = targetMs - performance.now();
  if (remaining > TIMER_SLACK_MS) {
    await sleep(remaining - TIMER_SLACK_MS, undefined, { signal }).catch(() => {});
  }
  if (signal?.aborted || performance.now() >= targetMs) return;
  const thread = wakeThread();
  if (thread) return thread.at(targetMs, signal);
  while (performance.now() < targetMs && !signal?.aborted) await nextTurn();
}
