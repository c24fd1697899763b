/**
 * The measured part of a run: the workload's clients, the 1 s sampler, the
 * load and the action timeline, all on one RunClock. Actions get their own
 * Redis connection (the workload's may be the one a fault blocks) and end,
 * reverting what they did, with the load.
 */

import { Redis } from "ioredis";
import { isLoopbackHost, type StartedStack } from "../../containers/index.ts";
import { SERVICE_NAMES } from "../../containers/types.ts";
import { onAbort } from "../../core/abort.ts";
import { LocalListener } from "../../core/local-listener.ts";
import type { ActionRecord } from "../../reports/schema.ts";
import { runActions } from "../actions/timeline.ts";
import type { AppFleet } from "../app/app-fleet.ts";
import { REDIS_CLIENT } from "../clients/cache.ts";
import { createDbPool, warmPool } from "../clients/db.ts";
import type { HttpTargets } from "../clients/http.ts";
import { PoolGuard } from "../clients/pool-guard.ts";
import { executorShare, type Segment, shareOf, WHOLE } from "../executors/segment.ts";
import type { PerSecondLatency } from "../metrics/per-second.ts";
import { type LoadTotals, loadOptionsOf, totalsOf } from "../runner/load-options.ts";
import { LoadWorkers } from "../runner/load-workers.ts";
import { type LoadOutcome, runLoad } from "../runner/run-load.ts";
import type { Outage } from "../sampler/outages.ts";
import { type GeneratorSample, Sampler, type TimelineSample } from "../sampler/sampler.ts";
import { SiblingParts } from "../sampler/sibling-parts.ts";
import type { LoadedScenario } from "../scenario/load.ts";
import { type ProgressState, progressState } from "./progress-state.ts";
import { RunClock } from "./run-clock.ts";
import { type SegmentRun, startLagMs, waitForStart } from "./segment-run.ts";

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
  /** Load worker threads (`--workers`); 1: the load runs in this thread. */
  workers?: number;
  /** The scenario file's --duration-scale: a worker loads the file again and must read it the same way. */
  durationScale?: number;
  /** The target's app.baseUrl: the app under test, not started by rehearse. */
  stagingApp?: string | undefined;
}

/** The process serving `url` on this machine, when its host is loopback. */
function loopbackListener(url: string | undefined): LocalListener | undefined {
  if (!url) return undefined;
  const parsed = new URL(url);
  if (!isLoopbackHost(parsed.hostname.replace(/^\[|\]$/g, ""))) return undefined;
  return new LocalListener(Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80)));
}

export async function rehearse(
  scenario: LoadedScenario,
  stack: StartedStack,
  options: RehearsalOptions,
): Promise<Rehearsal> {
  const part = options.part;
  const segment = part?.segment ?? WHOLE;
  const load = await prepareLoad(scenario, stack, options, segment);
  const actionRedis = new Redis(stack.urls.redis, REDIS_CLIENT);
  actionRedis.on("error", () => {});
  // A part that is too late to join the others stops here, its clients closed.
  const startAt = part
    ? await waitForStart(part, LOAD_LEAD_MS, options.signal).catch(async (error: unknown) => {
        actionRedis.disconnect();
        await load.close(0);
        throw error;
      })
    : undefined;
  const clock = new RunClock(LOAD_LEAD_MS);
  // Whose CPU is the system's on this host, beyond what rehearse started: a staging app served here, and the
  // run's other parts started here.
  const stagingApp = loopbackListener(options.stagingApp);
  const siblings = part?.startAtEpochMs === undefined ? undefined : new SiblingParts(part.startAtEpochMs);
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
          ...(stagingApp && { appPids: await stagingApp.pids(scan) }),
          ...(siblings && { partPids: await siblings.pids(scan) }),
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
      outcome = await load.run(clock.loadStartAt, options.signal, (loadTotals, perSecond) => {
        totals = loadTotals;
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
      });
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
    actionRedis.disconnect();
    await load.close(options.signal.aborted ? 0 : (options.drainMs ?? 0));
  }
}

/** The load's clients, ready: in this thread, or in `--workers` threads with clients of their own. */
interface PreparedLoad {
  run(
    startAtMs: number,
    signal: AbortSignal,
    onTick: (totals: LoadTotals, perSecond: PerSecondLatency) => void,
  ): Promise<LoadOutcome>;
  /** However the load ends, what is still in flight is cancelled and the clients end within a bound. */
  close(drainMs: number): Promise<void>;
}

async function prepareLoad(
  scenario: LoadedScenario,
  stack: StartedStack,
  options: RehearsalOptions,
  segment: Segment,
): Promise<PreparedLoad> {
  const keepSecondHistograms = options.part !== undefined;
  if ((options.workers ?? 1) > 1) {
    const workers = await LoadWorkers.start(
      {
        scenario,
        durationScale: options.durationScale ?? 1,
        count: options.workers ?? 1,
        part: segment,
        urls: { pgbouncer: stack.urls.pgbouncer, redis: stack.urls.redis },
        http: options.http,
        keepSecondHistograms,
        drainMs: options.drainMs ?? 0,
      },
      options.signal,
    );
    return { run: (at, signal, onTick) => workers.run(at, signal, onTick), close: () => workers.close() };
  }
  // The scenario's pool is the total across segments (each needs one connection at least).
  const poolSize = Math.max(1, shareOf(segment, scenario.client.poolSize));
  const pool = createDbPool(stack.urls.pgbouncer, { ...scenario.client, poolSize });
  const guard = new PoolGuard(pool, stack.urls.pgbouncer);
  const redis = new Redis(stack.urls.redis, REDIS_CLIENT);
  redis.on("error", () => {});
  const close = async (drainMs: number) => {
    redis.disconnect();
    await guard.abandon(2_000, drainMs);
  };
  try {
    // A cold pool would show its SCRAM handshakes as pool wait in the first second of every run.
    await warmPool(pool, poolSize);
  } catch (error) {
    await close(0);
    throw error;
  }
  return {
    run: (startAtMs, signal, onTick) =>
      runLoad(
        scenario.executors.map((e) => executorShare(e, segment)),
        scenario.ops,
        { pool, redis, cachePrefix: scenario.cachePrefix, ...(options.http && { http: options.http }) },
        {
          ...loadOptionsOf(scenario),
          signal,
          startAtMs,
          keepSecondHistograms,
          onTick: (store, perSecond) => onTick(totalsOf(store), perSecond),
        },
      ),
    close,
  };
}
