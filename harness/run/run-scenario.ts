/**
 * One scenario from start to report: start the stack (or use the target),
 * seed, run the load with the 1 s sampler on the same clock, evaluate
 * thresholds, tear down. A signal stops the load early; the report is still
 * built, marked aborted.
 */
import { Redis } from "ioredis";
import { type StartedStack, type StartStackOptions, startStack } from "../../containers/index.ts";
import { measuredPhases, type RunReport, SCHEMA_VERSION } from "../../reports/schema.ts";
import { runActions } from "../actions/timeline.ts";
import { createDbPool, warmPool } from "../clients/db.ts";
import { type LoadOutcome, runLoad } from "../runner/run-load.ts";
import { Sampler } from "../sampler/sampler.ts";
import type { LoadedScenario } from "../scenario/load.ts";
import { evaluateThresholds } from "../thresholds/evaluate.ts";
import { seed, seedPool } from "../workloads/saas/schema.ts";
import { opReports, statusOf } from "./build-report.ts";
import { computeDeltas } from "./deltas.ts";
import { type ProgressState, progressState } from "./progress-state.ts";

/** The cache client's settings; they change what cache latency means, so the report records them.
 * No commandTimeout: ioredis arms a timer for any number, 0 included (it would fail every command). */
const REDIS_CLIENT = { enableAutoPipelining: false, maxRetriesPerRequest: 1 } as const;

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
    return await seedAndLoad(scenario, options, stack, startedAt);
  } finally {
    await stack.teardown();
  }
}

async function seedAndLoad(
  scenario: LoadedScenario,
  options: RunOptions,
  stack: StartedStack,
  startedAt: string,
): Promise<RunReport> {
  let seeded: RunReport["seed"] = null;
  if (scenario.seedScale > 0) {
    const seeding = seedPool(stack.urls.postgres);
    try {
      const { seconds, ...shape } = await seed(seeding, scenario.seedScale);
      seeded = { ...shape, seconds: Math.round(seconds * 1000) / 1000 };
    } finally {
      await seeding.end();
    }
  }

  const pool = createDbPool(stack.urls.pgbouncer, scenario.client);
  // A cold pool would show its SCRAM handshakes as pool wait in the first second of every run.
  await warmPool(pool, scenario.client.poolSize);
  const redis = new Redis(stack.urls.redis, REDIS_CLIENT);
  redis.on("error", () => {});
  // Actions get a Redis connection of their own: the workload's may be the one a fault blocks.
  const actionRedis = new Redis(stack.urls.redis, REDIS_CLIENT);
  actionRedis.on("error", () => {});
  const origin = performance.now();
  let totals = { iterations: 0, errors: 0, dropped: 0 };
  const sampler = new Sampler({ urls: stack.urls, originMs: origin, generator: () => totals, warn: options.warn });
  try {
    sampler.start();
    // Load and actions share one start instant; actions end (reverting what they did) with the load.
    const loadStartAt = performance.now() + 20;
    const actionsStop = new AbortController();
    const runningActions: string[] = [];
    const stopActions = () => actionsStop.abort();
    options.signal.addEventListener("abort", stopActions, { once: true });
    const actionsDone = runActions(
      scenario.actions,
      {
        stack,
        redis: actionRedis,
        cachePrefix: scenario.cachePrefix,
        scenarioFile: scenario.file,
        client: scenario.client,
      },
      loadStartAt,
      origin,
      actionsStop.signal,
      (name, running) => {
        if (running) runningActions.push(name);
        else runningActions.splice(runningActions.indexOf(name), 1);
      },
    );
    let outcome: LoadOutcome;
    try {
      outcome = await runLoad(
        scenario.executors,
        scenario.ops,
        { pool, redis, cachePrefix: scenario.cachePrefix },
        {
          signal: options.signal,
          thresholds: scenario.thresholds,
          phases: scenario.phases,
          startAtMs: loadStartAt,
          // Phases before the baseline are warm-up: the generator is judged on what is measured.
          measuredPhases: [...measuredPhases(scenario)],
          onTick: (store, perSecond) => {
            const all = store.all();
            totals = {
              iterations: all.reduce((n, s) => n + s.iterations, 0),
              errors: all.reduce((n, s) => n + s.errorCount, 0),
              dropped: all.reduce((n, s) => n + s.dropped, 0),
            };
            options.onProgress?.(
              progressState({
                scenario: scenario.name,
                phases: scenario.phases,
                elapsedMs: performance.now() - loadStartAt,
                perSecond,
                errors: totals.errors,
                actions: runningActions,
              }),
            );
          },
        },
      );
    } finally {
      // Pending actions are skipped, running faults reverted, whatever ended the load.
      stopActions();
      options.signal.removeEventListener("abort", stopActions);
    }
    const actions = await actionsDone;
    const timeline = await sampler.stop();
    const thresholds = evaluateThresholds(scenario.thresholds, outcome.store, outcome.durationMs);
    // A threshold that aborted the run fails it (exit 99); only a signal makes it aborted (exit 105).
    const { status, reasons } = statusOf({
      aborted: options.signal.aborted,
      stoppedByThreshold: outcome.abortedBy.length > 0,
      generator: outcome.generator,
      thresholds,
    });
    // Phases as offsets on the sampler's clock; the open-ended default phase ends with the load.
    const loadStart = outcome.startedAtMs - origin;
    const phases = scenario.phases.map((p) => ({
      name: p.name,
      startMs: Math.round(loadStart + p.startMs),
      endMs: Math.round(loadStart + Math.min(p.endMs, outcome.durationMs)),
    }));
    const ops = opReports(outcome.store.all());
    const deltas = computeDeltas({
      phases,
      baseline: scenario.baseline,
      ops,
      timeline,
      perSecondP95: outcome.perSecond.p95,
      perSecondOriginMs: loadStart,
      rule: scenario.recovery,
    });
    return {
      schemaVersion: SCHEMA_VERSION,
      status,
      statusReasons: [
        ...outcome.abortedBy.map((t) => `stopped early: ${t.metric} ${t.expression} failed (actual ${t.actual})`),
        ...reasons,
      ],
      scenario: scenario.name,
      scenarioFile: scenario.file,
      baseline: scenario.baseline,
      provider: stack.provider,
      startedAt,
      durationMs: Math.round(outcome.durationMs),
      versions: stack.versions,
      settings: {
        pgbouncer: options.stack.settings.pgbouncer,
        postgres: options.stack.settings.postgres,
        redis: options.stack.settings.redis,
      },
      client: {
        ...scenario.client,
        cachePrefix: scenario.cachePrefix,
        redis: { ...REDIS_CLIENT, commandTimeoutMs: null },
      },
      seed: seeded,
      phases,
      ops,
      deltas,
      timeline,
      perSecond: { originMs: Math.round(loadStart), intervalMs: 1000, ops: Object.fromEntries(outcome.perSecond.ops) },
      actions,
      thresholds: thresholds.map(({ metric, expression, ok, actual }) => ({ metric, expression, ok, actual })),
      generator: outcome.generator,
    };
  } finally {
    await sampler.stop();
    redis.disconnect();
    actionRedis.disconnect();
    await pool.end();
  }
}
