/** Executors by k6 name. */
import type { ExecutorOptions, Scenario } from "k6/options";
import { constantArrivalRate, rampingArrivalRate } from "./arrival-rate.ts";
import type { Executor } from "./executor.ts";
import { constantVus, perVuIterations, rampingVus, sharedIterations } from "./vus.ts";

export type { ClosedLoopPlan, Executor, OpenLoopPlan, Plan } from "./executor.ts";
export { wholeIndex, wholeVu } from "./executor.ts";

const REGISTRY: Record<ExecutorOptions, (scenario: string, raw: Record<string, unknown>) => Executor> = {
  "constant-arrival-rate": constantArrivalRate,
  "ramping-arrival-rate": rampingArrivalRate,
  "constant-vus": constantVus,
  "ramping-vus": rampingVus,
  "per-vu-iterations": perVuIterations,
  "shared-iterations": sharedIterations,
};

export const EXECUTOR_NAMES = Object.keys(REGISTRY) as ExecutorOptions[];

/** When the last executor's schedule ends, from the load's start (0 with none). */
export function loadDurationMs(executors: Executor[]): number {
  return Math.max(0, ...executors.map((e) => e.startTimeMs + e.plan().durationMs));
}

/** Scenario options typed as k6's; raw objects from user files are checked all the same. */
export type ScenarioOptions = Scenario | Record<string, unknown>;

/** An executor as data: what a load worker thread rebuilds it from when it is not the scenario file's. */
export interface ExecutorSpec {
  scenario: string;
  options: Record<string, unknown>;
}

/** Builds the executor, or returns every problem found in the options. */
export function createExecutor(scenario: string, options: ScenarioOptions): Executor | { problems: string[] } {
  const raw = options as Record<string, unknown>;
  const type = raw.executor;
  const factory = typeof type === "string" ? REGISTRY[type as ExecutorOptions] : undefined;
  if (!factory) {
    return {
      problems: [`scenarios.${scenario}.executor: ${JSON.stringify(type)} is not one of ${EXECUTOR_NAMES.join(", ")}`],
    };
  }
  const executor = factory(scenario, raw);
  const problems = executor.validate();
  return problems.length > 0 ? { problems } : executor;
}
