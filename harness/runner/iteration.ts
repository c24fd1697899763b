/** Runs one iteration and records it; shared by the open- and closed-loop runners. */
import { classifyError, type ErrorClass } from "../clients/classify-error.ts";
import { IterationTimer } from "../clients/iteration-timer.ts";
import type { PerSecondLatency } from "../metrics/per-second.ts";
import type { Series } from "../metrics/store.ts";

export interface IterationInput {
  vu: number;
  iteration: number;
  timer: IterationTimer;
}

export type IterationFn = (input: IterationInput) => Promise<unknown>;

export interface ScenarioRun {
  op: string;
  iterate: IterationFn;
  /** The series of the phase in which an iteration was meant to start (resolved per phase once,
   * not per sample: building a series key per sample would cost a string each time). */
  seriesAt(intendedMs: number): Series;
  perSecond: PerSecondLatency;
  /** Set once the scenario's graceful stop has passed: late completions are not recorded. */
  closed: boolean;
}

/** Starts now; resolves when the iteration ends (it never rejects: errors are counted). */
export async function runIteration(run: ScenarioRun, vu: number, iteration: number, intendedMs: number): Promise<void> {
  const timer = new IterationTimer();
  const startMs = performance.now();
  let error: ErrorClass | undefined;
  try {
    await run.iterate({ vu, iteration, timer });
  } catch (e) {
    error = classifyError(e);
  }
  if (run.closed) return;
  const endMs = performance.now();
  run.seriesAt(intendedMs).add({ intendedMs, startMs, endMs, timer, error });
  const cache =
    timer.cacheHits + timer.cacheMisses > 0 ? { hits: timer.cacheHits, misses: timer.cacheMisses } : undefined;
  run.perSecond.record(run.op, endMs - intendedMs, timer.poolWaitMs, error !== undefined, cache);
}
