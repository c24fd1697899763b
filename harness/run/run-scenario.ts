/**
 * One scenario from start to report: start the stack (or use the target),
 * seed, rehearse (load, sampler and actions on one clock), build the report,
 * tear down. A signal stops the load early; the report is still built,
 * marked aborted.
 */
import { type StartedStack, type StartStackOptions, startStack } from "../../containers/index.ts";
import type { RunReport } from "../../reports/schema.ts";
import type { LoadedScenario } from "../scenario/load.ts";
import { seed, seedPool } from "../workloads/saas/schema.ts";
import { buildRunReport } from "./build-report.ts";
import type { ProgressState } from "./progress-state.ts";
import { rehearse } from "./rehearsal.ts";

export interface RunOptions {
  /** The stack to start: provider, settings (defaults < scenario < flags), the run's signal. */
  stack: StartStackOptions;
  signal: AbortSignal;
  warn: (message: string) => void;
  /** Once a second while the load runs. */
  onProgress?: (state: ProgressState) => void;
}

export async function runScenario(scenario: LoadedScenario, options: RunOptions): Promise<RunReport> {
  const startedAt = new Date().toISOString();
  // Node 22 cannot parse `await using` yet: try/finally it is.
  const stack = await startStack(options.stack);
  try {
    const seeded = await seedStack(scenario, stack);
    const rehearsal = await rehearse(scenario, stack, options);
    return buildRunReport({
      scenario,
      stack,
      settings: options.stack.settings,
      startedAt,
      seed: seeded,
      rehearsal,
      aborted: options.signal.aborted,
    });
  } finally {
    await stack.teardown();
  }
}

/** The reference workload's data, straight at Postgres; its shape and time go in the report. */
async function seedStack(scenario: LoadedScenario, stack: StartedStack): Promise<RunReport["seed"]> {
  if (scenario.seedScale === 0) return null;
  const seeding = seedPool(stack.urls.postgres);
  try {
    const { seconds, ...shape } = await seed(seeding, scenario.seedScale);
    return { ...shape, seconds: Math.round(seconds * 1000) / 1000 };
  } finally {
    await seeding.end();
  }
}
