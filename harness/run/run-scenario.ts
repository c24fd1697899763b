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
import { AppFleet } from "../app/app-fleet.ts";
import { DbView } from "../clients/db.ts";
import { DEFAULT_HTTP_SETTINGS, HttpTargets } from "../clients/http.ts";
import { IterationTimer } from "../clients/iteration-timer.ts";
import { PoolGuard } from "../clients/pool-guard.ts";
import type { LoadedScenario } from "../scenario/load.ts";
import { seed, seedPool } from "../workloads/saas/schema.ts";
import { buildRunReport } from "./build-report.ts";
import type { ProgressState } from "./progress-state.ts";
import { rehearse } from "./rehearsal.ts";
import { clockSource, type SegmentRun } from "./segment-run.ts";

export interface RunOptions {
  /** The stack to start: provider, settings (defaults < scenario < flags), the run's signal. */
  stack: StartStackOptions;
  signal: AbortSignal;
  warn: (message: string) => void;
  /** Once a second while the load runs. */
  onProgress?: (state: ProgressState) => void;
  /** Each stage before the load, in words ("stack up (native) in 1.2 s", "seeding"). */
  onStage?: (text: string) => void;
  /** Where the app under test's logs go (`<out>/<scenario>`). */
  logDir: string;
  /** The environment the app under test inherits (PATH, HOME...). */
  env: Record<string, string | undefined>;
  /** One segment of a run split across processes (`--segment`, `--start-at`). */
  part?: SegmentRun | undefined;
  /** The scenario's --duration-scale, recorded in a part's report so merge reads the scenario the same way. */
  durationScale?: number;
  /** Load worker threads (`--workers`); 1 or none: the load runs in the main thread. */
  workers?: number;
}

export async function runScenario(scenario: LoadedScenario, options: RunOptions): Promise<RunReport> {
  return withPreparedStack(scenario, options, async ({ stack, seeded, http, app, startedAt }) => {
    const stagingApp = options.stack.target?.app?.baseUrl;
    const rehearsal = await rehearse(scenario, stack, { ...options, http, app, stagingApp });
    // Stopped before the report is built, so every instance's exit (graceful or not) is in it.
    if (app) await app.close();
    return buildRunReport({
      scenario,
      stack,
      settings: options.stack.settings,
      startedAt,
      seed: seeded,
      rehearsal,
      aborted: options.signal.aborted,
      app,
      reportDir: options.logDir,
      ...(options.part && {
        segment: {
          index: options.part.segment.index,
          count: options.part.segment.count,
          startAt: new Date(rehearsal.start?.atEpochMs ?? Date.now()).toISOString(),
          startLagMs: rehearsal.start?.lagMs ?? 0,
          clockSource: clockSource(),
          loadOnly: options.part.loadOnly,
          durationScale: options.durationScale ?? 1,
          lagToleranceMs: scenario.lagToleranceMs,
        },
      }),
    });
  });
}

/** A stack started, seeded and running the app under test, ready for load; torn down after `work`. */
export interface PreparedStack {
  stack: StartedStack;
  seeded: RunReport["seed"];
  http: HttpTargets;
  app: AppFleet | undefined;
  startedAt: string;
}

/** Start, seed, start the app, then `work` (one rehearsal, or a capacity search's steps); always torn down. */
export async function withPreparedStack<T>(
  scenario: LoadedScenario,
  options: RunOptions,
  work: (prepared: PreparedStack) => Promise<T>,
): Promise<T> {
  const startedAt = new Date().toISOString();
  const stage = options.onStage ?? (() => {});
  const t0 = performance.now();
  // Node 22 cannot parse `await using` yet: try/finally it is.
  const stack = await startStack(options.stack);
  stage(`stack up (${stack.provider}) in ${seconds(performance.now() - t0)}`);
  const http = new HttpTargets({ ...DEFAULT_HTTP_SETTINGS, connections: scenario.app?.connections ?? 64 });
  let app: AppFleet | undefined;
  try {
    const seeded = await seedStack(scenario, stack, options.signal, stage);
    // A signal during start-up or seeding: no load at all (the command writes the aborted report).
    if (options.signal.aborted) throw new AbortedError("stopped by a signal before the load began");
    app = await startApp(scenario, stack, http, options);
    if (app) stage(`app ready: ${app.live.length} instance${app.live.length === 1 ? "" : "s"}`);
    if (options.signal.aborted) throw new AbortedError("stopped by a signal before the load began");
    stage("load started");
    return await work({ stack, seeded, http, app, startedAt });
  } finally {
    // The app first: it holds connections to the stack.
    if (app) await app.close();
    else await http.close();
    await stack.teardown();
  }
}

/** The app under test: its setup commands, then its instances, ready; on a target with app.baseUrl, that URL. */
async function startApp(
  scenario: LoadedScenario,
  stack: StartedStack,
  http: HttpTargets,
  options: RunOptions,
): Promise<AppFleet | undefined> {
  const baseUrl = options.stack.target?.app?.baseUrl;
  if (baseUrl) {
    http.setOrigins([baseUrl]);
    return undefined;
  }
  if (!scenario.app) return undefined;
  const app = new AppFleet({
    spec: scenario.app,
    urls: stack.urls,
    logDir: options.logDir,
    registry: options.stack.registry,
    baseEnv: options.env,
    targets: http,
    signal: options.signal,
  });
  try {
    if (scenario.app.setup.length > 0) options.onStage?.(`app setup: ${scenario.app.setup.join(" && ")}`);
    await app.setup();
    options.onStage?.(`starting the app: ${scenario.app.instances} × ${scenario.app.command}`);
    await app.start(scenario.app.instances);
    return app;
  } catch (error) {
    await app.close();
    throw options.signal.aborted ? new AbortedError("stopped by a signal while the app was starting") : error;
  }
}

/** The reference workload's data, straight at Postgres; its shape and time go in the report. A signal
 * stops it at once: its statements are cancelled, its connections closed. */
async function seedStack(
  scenario: LoadedScenario,
  stack: StartedStack,
  signal: AbortSignal,
  stage: (text: string) => void,
): Promise<RunReport["seed"]> {
  if ((scenario.seedScale === 0 && !scenario.seedFn) || signal.aborted) return null;
  stage(scenario.seedFn ? "seeding (the scenario's seed function)" : `seeding (scale ${scenario.seedScale})`);
  const seeding = seedPool(stack.urls.postgres);
  const guard = new PoolGuard(seeding, stack.urls.postgres);
  let unsubscribe = () => {};
  const stopped = new Promise<never>((_, reject) => {
    unsubscribe = onAbort(signal, () => reject(new AbortedError("seeding stopped by a signal")));
  });
  const seeding$ = scenario.seedFn ? seedWith(scenario.seedFn, seeding) : seed(seeding, scenario.seedScale);
  seeding$.catch(() => {}); // abandoned on a signal: its statements fail once cancelled
  try {
    const { seconds: took, ...shape } = await Promise.race([seeding$, stopped]);
    stage(`seeded in ${took.toFixed(1)} s`);
    return { ...shape, seconds: Math.round(took * 1000) / 1000 };
  } finally {
    unsubscribe();
    await guard.abandon();
  }
}

/** The scenario's own seeding function, straight at Postgres; timed like the reference seed. */
async function seedWith(
  fn: (context: { db: DbView }) => Promise<unknown>,
  pool: ReturnType<typeof seedPool>,
): Promise<{ seconds: number; custom: boolean }> {
  const t0 = performance.now();
  await fn({ db: new DbView(pool, new IterationTimer()) });
  return { seconds: (performance.now() - t0) / 1000, custom: true };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
