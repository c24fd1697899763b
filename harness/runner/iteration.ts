/** Runs one iteration and records it; shared by the open- and closed-loop runners. */
import { classifyError, type ErrorClass } from "../clients/classify-error.ts";
import { IterationTimer } from "../clients/iteration-timer.ts";
import type { Series } from "../metrics/store.ts";

export interface IterationInput {
  vu: number;
  iteration: number;
  timer: IterationTimer;
}

export type IterationFn = (input: IterationInput) => Promise<unknown>;

export interface ScenarioRun {
  iterate: IterationFn;
  /** Resolved once per scenario: looking a series up per sample would cost a key build each time. */
  series: Series;
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
  run.series.add({ intendedMs, startMs, endMs: performance.now(), timer, error });
}
