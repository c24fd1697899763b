/**
 * One scenario from start to report: start the stack (or use the target),
 * seed, rehearse (load, sampler and actions on one clock), build the report,
 * tear down. A signal stops the load early; the report is still built,
 * marked aborted.
 */
import { type StartedStack, type StartStackOptions, startStack } from "../../containers/index.ts";
import { onAbort } from "../../core/abort.ts";
import { AbortedError } from "../../core/errors.ts";
import type { RunReport } from "../../reports/schema.ts";
import { PoolGuard } from "../clients/pool-guard.ts";
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
    const seeded = await seedStack(scenario, stack, options.signal);
    // A signal during start-up or seeding: no load at all (run.ts writes the aborted report).
    if (options.signal.aborted) throw new AbortedError("stopped by a signal before the load began");
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

/** The reference workload's data, straight at Postgres; its shape and time go in the report. A signal
 * stops it at once: its statements are cancelled, its connections closed. */
async function seedStack(
  scenario: LoadedScenario,
  stack: StartedStack,
  signal: AbortSignal,
): Promise<RunReport["seed"]> {
  if (scenario.seedScale === 0 || signal.aborted) return null;
  const seeding = seedPool(stack.urls.postgres);
  const guard = new PoolGuard(seeding, stack.urls.postgres);
  let unsubscribe = () => {};
  const stopped = new Promise<never>((_, reject) => {
    unsubscribe = onAbort(signal, () => reject(new AbortedError("seeding stopped by a signal")));
  });
  const seeding$ = seed(seeding, scenario.seedScale);
  seeding$.catch(() => {}); // abandoned on a signal: its statements fail once cancelled
  try {
    const { seconds, ...shape } = await Promise.race([seeding$, stopped]);
    return { ...shape, seconds: Math.round(seconds * 1000) / 1000 };
  } finally {
    unsubscribe();
    await guard.abandon();
  }
}
