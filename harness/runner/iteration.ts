/** Runs one iteration and records it; shared by the open- and closed-loop runners. */
import { classifyError, type ErrorClass } from "../clients/classify-error.ts";
import { IterationTimer } from "../clients/iteration-timer.ts";
import type { MetricsStore } from "../metrics/store.ts";

export interface IterationInput {
  vu: number;
  iteration: number;
  timer: IterationTimer;
}

export type IterationFn = (input: IterationInput) => Promise<unknown>;

export interface ScenarioRun {
  op: string;
  tags: Readonly<Record<string, string>>;
  iterate: IterationFn;
  store: MetricsStore;
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
  run.store.record({ op: run.op, tags: run.tags, intendedMs, startMs, endMs: performance.now(), timer, error });
}
