/**
 * The load in N worker threads (`rehearse run --workers N`): the schedule split into N interleaved segments
 * (k6's execution segments), one per worker, each with its own clients; the sampler, the actions, the app
 * fleet and the progress stay in the main thread. Routing reaches every worker, acknowledged; a stop reaches
 * every worker; at the end their histograms are added losslessly into one store, their seconds on the run
 * clock, and the generator is judged over all of them and per worker.
 */
import { Worker } from "node:worker_threads";
import { onAbort } from "../../core/abort.ts";
import { AbortedError, BadInputError } from "../../core/errors.ts";
import { settlesWithin } from "../../core/wait.ts";
import { DEFAULT_HTTP_SETTINGS, type HttpTargets, type RemoteRouting } from "../clients/http.ts";
import { executorShare, type Segment, segmentLabel, segmentWithin, shareOf, WHOLE } from "../executors/segment.ts";
import { PerSecondLatency } from "../metrics/per-second.ts";
import { MetricsStore } from "../metrics/store.ts";
import { absorbSeries, mergeSecondsOfWorkers, type SeriesWire } from "../metrics/store-wire.ts";
import type { LoadedScenario } from "../scenario/load.ts";
import { abortingFailures, type ThresholdResult } from "../thresholds/evaluate.ts";
import { type Measured, measuredOfSeries } from "../thresholds/measured.ts";
import { GeneratorMonitor } from "./generator-health.ts";
import { type LoadTotals, loadOptionsOf } from "./load-options.ts";
import type { LoopOutcome } from "./open-loop.ts";
import { assessLoad, type LoadOutcome } from "./run-load.ts";
import {
  type FromWorker,
  hrNowMs,
  type LastSecond,
  type ToWorker,
  type WorkerDone,
  type WorkerInit,
} from "./worker-protocol.ts";

/** Loading the scenario, opening and warming a pool: a worker not ready by then is broken. */
const READY_BOUND_MS = 60_000;
/** Routing acks and count replies: a worker busy for longer than this is not answering. */
const REPLY_BOUND_MS = 5_000;
const EXIT_BOUND_MS = 5_000;

const WORKER_URL = new URL(`./load-worker${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

interface Live {
  worker: Worker;
  segment: Segment;
  ready: Promise<void>;
  done: Promise<WorkerDone>;
  exited: Promise<void>;
  totals: LoadTotals;
  last: Record<string, LastSecond>;
  failures: Record<string, number>;
  /** The worker's whole store at its last tick (liveSeries: an abortOnFail budget to judge), and how many ticks. */
  series: SeriesWire[];
  ticks: number;
}

export interface WorkerLoadOptions {
  scenario: LoadedScenario;
  durationScale: number;
  count: number;
  part: Segment;
  urls: { pgbouncer: string; redis: string };
  http: HttpTargets | undefined;
  keepSecondHistograms: boolean;
  /** After the load, how long each worker lets what is in flight finish (capacity steps); 0: none. */
  drainMs?: number;
}

export class LoadWorkers implements RemoteRouting {
  private readonly live: Live[];
  private readonly options: WorkerLoadOptions;
  private nextId = 0;
  private readonly pending = new Map<number, { left: number; resolve: () => void }>();
  private lastRouting: Promise<void> = Promise.resolve();
  /** Called on every worker tick while a load runs (the abortOnFail judge). */
  private onRound: () => void = () => {};

  private constructor(options: WorkerLoadOptions) {
    this.options = options;
    this.live = Array.from({ length: options.count }, (_, i) => this.spawn(i + 1));
  }

  /** Every worker started and ready (scenario loaded, pool warm); throws what the first one that failed said. */
  static async start(options: WorkerLoadOptions, signal: AbortSignal): Promise<LoadWorkers> {
    const workers = new LoadWorkers(options);
    options.http?.attach(workers);
    let unsubscribe = () => {};
    const stopped = new Promise<void>((resolve) => {
      unsubscribe = onAbort(signal, resolve);
    });
    try {
      const all = Promise.all(workers.live.map((w) => w.ready));
      if (!(await settlesWithin(Promise.race([all, stopped]), READY_BOUND_MS)))
        throw new Error(`timed out after ${READY_BOUND_MS / 1000} s waiting for the load workers to be ready`);
      if (signal.aborted) throw new AbortedError("stopped by a signal while waiting for the load workers to be ready");
      return workers;
    } catch (error) {
      await workers.close();
      throw error;
    } finally {
      unsubscribe();
    }
  }

  private spawn(k: number): Live {
    const { scenario, part, count } = this.options;
    // Worker k of N within the part's segment (the whole run's when it is not a part).
    const segment = segmentWithin(part, { index: k, count });
    const http = this.options.http?.settings ?? DEFAULT_HTTP_SETTINGS;
    const init: WorkerInit = {
      file: scenario.file,
      durationScale: this.options.durationScale,
      segment,
      urls: this.options.urls,
      // The scenario's pool is the total across segments (each needs one connection at least).
      poolSize: Math.max(1, shareOf(segment, scenario.client.poolSize)),
      // Like the pool: the app's `connections` per instance stay the total across workers.
      http: { ...http, connections: Math.max(1, shareOf(segment, http.connections)) },
      drainMs: this.options.drainMs ?? 0,
      liveSeries: scenario.thresholds.some((t) => t.abortOnFail),
      ...(scenario.executorSpecs && {
        derived: {
          executors: scenario.executorSpecs,
          phases: scenario.phases,
          baseline: scenario.baseline,
          thresholds: scenario.thresholds,
          lagToleranceMs: scenario.lagToleranceMs,
        },
      }),
    };
    const worker = new Worker(WORKER_URL, { workerData: init });
    const ready = Promise.withResolvers<void>();
    const done = Promise.withResolvers<WorkerDone>();
    // Settling an already settled promise does nothing: a failure after `done` (the thread's exit) is ignored.
    const failed = (e: Error) => {
      ready.reject(e);
      done.reject(e);
    };
    const live: Live = {
      worker,
      segment,
      ready: ready.promise,
      done: done.promise,
      exited: new Promise<void>((resolve) => worker.once("exit", () => resolve())),
      totals: { iterations: 0, errors: 0, dropped: 0 },
      last: {},
      failures: {},
      series: [],
      ticks: 0,
    };
    // Whoever awaits them sees the failure; an unawaited one must not crash the process.
    live.ready.catch(() => {});
    live.done.catch(() => {});
    worker.on("message", (m: FromWorker) => {
      if (m.type === "ready") ready.resolve();
      else if (m.type === "tick") {
        Object.assign(live, { totals: m.totals, last: m.last, failures: m.failures, series: m.series ?? [] });
        live.ticks++;
        this.onRound();
      } else if (m.type === "reply") {
        live.failures = m.failures;
        this.answered(m.id);
      } else if (m.type === "done") {
        live.failures = m.failures;
        done.resolve(m);
      } else if (m.type === "failed") {
        const label = `load worker ${k}/${count}`;
        failed(
          m.badInput
            ? new BadInputError(`scenario ${scenario.file}`, m.badInput.problems)
            : new Error(`${label}: ${m.message}`),
        );
      }
    });
    worker.on("error", (e) => failed(new Error(`load worker ${k}/${count} crashed: ${e.message}`)));
    worker.on("exit", (code) => failed(new Error(`load worker ${k}/${count} exited (code ${code})`)));
    return live;
  }

  /** Runs every worker's share from `startAtMs` (this thread's performance.now()) and merges what they measured. */
  async run(
    startAtMs: number,
    signal: AbortSignal,
    onTick: (totals: LoadTotals, perSecond: PerSecondLatency) => void,
  ): Promise<LoadOutcome> {
    const monitor = new GeneratorMonitor();
    monitor.start();
    const atHrMs = hrNowMs() + (startAtMs - performance.now());
    this.post({ type: "start", atHrMs });
    const stopAll = () => this.post({ type: "stop" });
    const unsubscribe = onAbort(signal, stopAll);
    const live = new PerSecondLatency();
    const ticker = setInterval(() => onTick(this.totals(), this.progress(live)), 1_000);
    // The abortOnFail budgets, judged once a second as one thread judges them, on all workers' samples: each
    // time every worker has sent its next tick (one worker's share alone is not the run's rate).
    const watched = this.options.scenario.thresholds.filter((t) => t.abortOnFail);
    let abortedBy: ThresholdResult[] = [];
    let judgedRound = 0;
    this.onRound = () => {
      const round = Math.min(...this.live.map((w) => w.ticks));
      if (watched.length === 0 || abortedBy.length > 0 || round <= judgedRound) return;
      judgedRound = round;
      abortedBy = abortingFailures(watched, this.liveMeasured(), performance.now() - startAtMs);
      if (abortedBy.length > 0) stopAll();
    };
    try {
      // A worker that fails stops the others: one run, one end.
      const done = await Promise.all(
        this.live.map((w) =>
          w.done.catch((e: unknown) => {
            stopAll();
            throw e;
          }),
        ),
      );
      const outcome = this.merge(done, startAtMs, monitor.stop(), abortedBy);
      onTick(this.totals(), outcome.perSecond);
      return outcome;
    } finally {
      clearInterval(ticker);
      this.onRound = () => {};
      unsubscribe();
    }
  }

  private merge(
    done: WorkerDone[],
    startedAtMs: number,
    monitored: { eventLoopDelayP99Ms: number; cpuPercent: number },
    abortedBy: ThresholdResult[],
  ): LoadOutcome {
    const { scenario, keepSecondHistograms, part } = this.options;
    const judging = loadOptionsOf(scenario);
    const store = new MetricsStore(judging.tolerance.dispatchLagMs);
    for (const d of done) for (const s of d.series) absorbSeries(store, s);
    const perSecond = new PerSecondLatency({ keepHistograms: keepSecondHistograms });
    mergeSecondsOfWorkers(
      done.map((d) => d.perSecond),
      keepSecondHistograms,
      perSecond,
    );
    const outcomes: Record<string, LoopOutcome> = {};
    for (const d of done) {
      for (const [name, o] of Object.entries(d.outcomes)) {
        const sum = outcomes[name] ?? { started: 0, dropped: 0, interrupted: 0 };
        outcomes[name] = {
          started: sum.started + o.started,
          dropped: sum.dropped + o.dropped,
          interrupted: sum.interrupted + o.interrupted,
        };
      }
    }
    // The part's whole share (every worker's together), judged on the merged histograms; each worker's own
    // event-loop delay (the worst of them), and this process' CPU (all threads).
    const executors = scenario.executors.map((e) => executorShare(e, part));
    const overall = assessLoad(
      executors,
      outcomes,
      store,
      {
        eventLoopDelayP99Ms: Math.max(...done.map((d) => d.generator.eventLoopDelayP99Ms)),
        cpuPercent: monitored.cpuPercent,
      },
      judging,
    );
    const workers = done.map((d, i) => ({
      segment: segmentLabel(this.live[i]?.segment ?? WHOLE),
      valid: d.generator.valid,
      reasons: d.generator.reasons,
      achievedRate: d.generator.achievedRate,
      targetRate: d.generator.targetRate,
      dispatchLagP99Ms: d.generator.dispatchLagP99Ms,
      lateShare: d.generator.lateShare,
      eventLoopDelayP99Ms: d.generator.eventLoopDelayP99Ms,
    }));
    const reasons = [
      ...overall.reasons,
      ...workers.flatMap((w, i) =>
        w.valid ? [] : w.reasons.map((r) => `worker ${i + 1} (segment ${w.segment}): ${r}`),
      ),
    ];
    return {
      store,
      perSecond,
      startedAtMs,
      durationMs: Math.max(...done.map((d) => d.durationMs)),
      outcomes,
      generator: { ...overall, valid: reasons.length === 0, reasons, workers },
      abortedBy,
    };
  }

  /** Every worker's store at its last tick, added into one: what one thread's budget would read now. */
  private liveMeasured(): Measured[] {
    const store = new MetricsStore(loadOptionsOf(this.options.scenario).tolerance.dispatchLagMs);
    for (const w of this.live) for (const s of w.series) absorbSeries(store, s);
    return store.all().map(measuredOfSeries);
  }

  private totals(): LoadTotals {
    return {
      iterations: this.live.reduce((n, w) => n + w.totals.iterations, 0),
      errors: this.live.reduce((n, w) => n + w.totals.errors, 0),
      dropped: this.live.reduce((n, w) => n + w.totals.dropped, 0),
    };
  }

  /** The live progress: each op's last second as the workers last reported it, merged. */
  private progress(into: PerSecondLatency): PerSecondLatency {
    const lastSeconds = this.live.map((w) =>
      Object.fromEntries(
        Object.entries(w.last).map(([op, s]) => [
          op,
          {
            // Only what the merge reads: the p95s come from the histograms.
            p95Ms: [],
            poolWaitP95Ms: [],
            cacheHits: [s.cacheHits],
            cacheMisses: [s.cacheMisses],
            count: [s.count],
            errors: [s.errors],
            latency: [s.latency],
            poolWait: [s.poolWait],
          },
        ]),
      ),
    );
    mergeSecondsOfWorkers(lastSeconds, false, into);
    return into;
  }

  // RemoteRouting: what the app fleet's HttpTargets forwards.

  setOrigins(origins: string[]): void {
    this.lastRouting = this.ask((id) => ({ type: "origins", id, origins }));
  }

  routed(): Promise<void> {
    return this.lastRouting;
  }

  settled(origin: string): Promise<void> {
    return this.ask((id) => ({ type: "settled", id, origin }));
  }

  refresh(): Promise<void> {
    return this.ask((id) => ({ type: "refresh", id }));
  }

  failedOn(origin: string): number {
    return this.live.reduce((n, w) => n + (w.failures[origin] ?? 0), 0);
  }

  failedTotal(): number {
    return this.live.reduce((n, w) => n + Object.values(w.failures).reduce((a, b) => a + b, 0), 0);
  }

  /** Sends a request to every worker; resolves once all replied, or after the bound (a worker gone). */
  private ask(message: (id: number) => ToWorker): Promise<void> {
    const id = this.nextId++;
    const replied = new Promise<void>((resolve) => this.pending.set(id, { left: this.live.length, resolve }));
    this.post(message(id));
    return settlesWithin(replied, REPLY_BOUND_MS).then(() => void this.pending.delete(id));
  }

  private answered(id: number): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    waiting.left--;
    if (waiting.left <= 0) waiting.resolve();
  }

  private post(message: ToWorker): void {
    for (const w of this.live) w.worker.postMessage(message);
  }

  /** Stops every worker (they close their clients first, after their drain), within a bound; detaches the
   * routing. */
  async close(): Promise<void> {
    this.options.http?.attach(undefined);
    this.post({ type: "stop" });
    const bound = EXIT_BOUND_MS + (this.options.drainMs ?? 0);
    await Promise.all(
      this.live.map(async (w) => {
        if (!(await settlesWithin(w.exited, bound))) await w.worker.terminate();
      }),
    );
  }
}
