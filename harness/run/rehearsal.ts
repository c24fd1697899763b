/**
 * The measured part of a run: the workload's clients, the 1 s sampler, the
 * load and the action timeline, all on one RunClock. Actions get their own
 * Redis connection (the workload's may be the one a fault blocks) and end,
 * reverting what they did, with the load.
 */

import { Redis } from "ioredis";
import type { StartedStack } from "../../containers/index.ts";
import { SERVICE_NAMES } from "../../containers/types.ts";
import { onAbort } from "../../core/abort.ts";
import { type ActionRecord, measuredPhases } from "../../reports/schema.ts";
import { runActions } from "../actions/timeline.ts";
import type { AppFleet } from "../app/app-fleet.ts";
import { createDbPool, warmPool } from "../clients/db.ts";
import type { HttpTargets } from "../clients/http.ts";
import { PoolGuard } from "../clients/pool-guard.ts";
import { executorShare, shareOf, WHOLE } from "../executors/segment.ts";
import type { MetricsStore } from "../metrics/store.ts";
import { DEFAULT_TOLERANCE } from "../runner/generator-health.ts";
import { type LoadOutcome, runLoad } from "../runner/run-load.ts";
import type { Outage } from "../sampler/outages.ts";
import { type GeneratorSample, Sampler, type TimelineSample } from "../sampler/sampler.ts";
import type { LoadedScenario } from "../scenario/load.ts";
import { type ProgressState, progressState } from "./progress-state.ts";
import { RunClock } from "./run-clock.ts";
import { type SegmentRun, startLagMs, waitForStart } from "./segment-run.ts";

/** The cache client's settings; they change what cache latency means, so the report records them.
 * No commandTimeout: ioredis arms a timer for any number, 0 included (it would fail every command). */
export const REDIS_CLIENT = { enableAutoPipelining: false, maxRetriesPerRequest: 1 } as const;

/** Load and actions start this long after the sampler, so its first tick sees the quiet before. */
const LOAD_LEAD_MS = 20;

export interface Rehearsal {
  clock: RunClock;
  outcome: LoadOutcome;
  actions: ActionRecord[];
  timeline: TimelineSample[];
  outages: Outage[];
  /** A segment's part: the shared start, and how late its load began after it. */
  start?: { atEpochMs: number; lagMs: number };
}

export interface RehearsalOptions {
  signal: AbortSignal;
  /** The app under test's instances for the ops' http client (none: no app). */
  http?: HttpTargets;
  app?: AppFleet | undefined;
  warn: (message: string) => void;
  onProgress?: ((state: ProgressState) => void) | undefined;
  /** After the load, let what is in flight finish for up to this long before cancelling it (capacity
   * steps: the next one runs on the same PgBouncer); never after a signal. */
  drainMs?: number;
  /** Run one segment's share of the load, from a shared start (`--segment`, `--start-at`). */
  part?: SegmentRun | undefined;
}

export async function rehearse(
  scenario: LoadedScenario,
  stack: StartedStack,
  options: RehearsalOptions,
): Promise<Rehearsal> {
  const part = options.part;
  const segment = part?.segment ?? WHOLE;
  // The scenario's pool is the total across segments (each needs one connection at least).
  const poolSize = Math.max(1, shareOf(segment, scenario.client.poolSize));
  const pool = createDbPool(stack.urls.pgbouncer, { ...scenario.client, poolSize });
  // However the load ends, what is still in flight is cancelled and the pool ends within a bound.
  const guard = new PoolGuard(pool, stack.urls.pgbouncer);
  // A cold pool would show its SCRAM handshakes as pool wait in the first second of every run.
  await warmPool(pool, poolSize);
  const redis = new Redis(stack.urls.redis, REDIS_CLIENT);
  redis.on("error", () => {});
  const actionRedis = new Redis(stack.urls.redis, REDIS_CLIENT);
  actionRedis.on("error", () => {});
  // A part that is too late to join the others stops here, its clients closed.
  const startAt = part
    ? await waitForStart(part, LOAD_LEAD_MS, options.signal).catch(async (error: unknown) => {
        redis.disconnect();
        actionRedis.disconnect();
        await guard.abandon(2_000, 0);
        throw error;
      })
    : undefined;
  const clock = new RunClock(LOAD_LEAD_MS);
  let totals: GeneratorSample = { iterations: 0, errors: 0, dropped: 0 };
  // A load-only part neither samples the servers nor acts on them: the conducting part does.
  const sampler = part?.loadOnly
    ? undefined
    : new Sampler({
        urls: stack.urls,
        originMs: clock.originMs,
        generator: () => totals,
        processes: async (scan) => ({
          appGroups: (options.app?.live ?? []).flatMap((i) => (i.pgid === undefined ? [] : [i.pgid])),
          services: Object.fromEntries(
            await Promise.all(SERVICE_NAMES.map(async (s) => [s, await stack.hostPids(s, scan)] as const)),
          ),
        }),
        warn: options.warn,
      });
  const actionsStop = new AbortController();
  const stopActions = () => actionsStop.abort();
  const unsubscribe = onAbort(options.signal, stopActions);
  try {
    sampler?.start();
    const running = new Map<number, string>();
    const actionsDone = runActions(
      scenario.actions, // a load-only part's scenario has none (run.ts gives it none, nor a seed)
      {
        stack,
        redis: actionRedis,
        cachePrefix: scenario.cachePrefix,
        scenarioFile: scenario.file,
        client: scenario.client,
        app: options.app,
      },
      clock,
      actionsStop.signal,
      (index, label) => (label === undefined ? running.delete(index) : running.set(index, label)),
    );
    let outcome: LoadOutcome;
    try {
      outcome = await runLoad(
        scenario.executors.map((e) => executorShare(e, segment)),
        scenario.ops,
        { pool, redis, cachePrefix: scenario.cachePrefix, ...(options.http && { http: options.http }) },
        {
          signal: options.signal,
          thresholds: scenario.thresholds,
          phases: scenario.phases,
          startAtMs: clock.loadStartAt,
          // Phases before the baseline are warm-up: the generator is judged on what is measured.
          measuredPhases: [...measuredPhases(scenario)],
          windowedPhases: windowedPhases(scenario),
          keepSecondHistograms: part !== undefined,
          tolerance: { ...DEFAULT_TOLERANCE, dispatchLagMs: scenario.lagToleranceMs },
          onTick: (store, perSecond) => {
            totals = totalsOf(store);
            options.onProgress?.(
              progressState({
                scenario: scenario.name,
                phases: scenario.phases,
                elapsedMs: performance.now() - clock.loadStartAt,
                perSecond,
                completed: totals.iterations,
                errors: totals.errors,
                actions: [...running.values()],
              }),
            );
          },
        },
      );
    } finally {
      // Pending actions are skipped, running faults reverted, whatever ended the load.
      stopActions();
    }
    const actions = await actionsDone;
    const timeline = (await sampler?.stop()) ?? [];
    return {
      clock,
      outcome,
      actions,
      timeline,
      outages: sampler?.outages.outages ?? [],
      ...(startAt !== undefined && { start: { atEpochMs: startAt, lagMs: startLagMs(startAt, clock.loadStartAt) } }),
    };
  } finally {
    unsubscribe();
    await sampler?.stop();
    redis.disconnect();
    actionRedis.disconnect();
    await guard.abandon(2_000, options.signal.aborted ? 0 : (options.drainMs ?? 0));
  }
}

/** The phases some budget is judged on rolling windows in: their series are kept second by second. */
function windowedPhases(scenario: LoadedScenario): string[] {
  const phases = new Set<string>();
  for (const t of scenario.thresholds) {
    if ((t.judgeWindowMs ?? 0) <= 0) continue;
    if (t.tags.phase !== undefined) phases.add(t.tags.phase);
  }
  return [...phases];
}

function totalsOf(store: MetricsStore): GeneratorSample {
  const all = store.all();
  return {
    iterations: all.reduce((n, s) => n + s.iterations, 0),
    errors: all.reduce((n, s) => n + s.errorCount, 0),
    dropped: all.reduce((n, s) => n + s.dropped, 0),
  };
}
