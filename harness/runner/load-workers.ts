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
import type { HttpTargets, RemoteRouting } from "../clients/http.ts";
import { executorShare, type Segment, shareOf } from "../executors/segment.ts";
import { decodeHistogram, newHistogram, valueAtPercentileMs } from "../metrics/histogram.ts";
import { PerSecondLatency } from "../metrics/per-second.ts";
import { MetricsStore } from "../metrics/store.ts";
import { absorbSeries, mergeSecondsOfWorkers } from "../metrics/store-wire.ts";
import type { LoadedScenario } from "../scenario/load.ts";
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

/** Worker k (1-based) of `count` within the part's segment i/M: segment i + M·(k−1) of M·count. Round robin
 * in round robin: the workers of every part together own each item of the schedule exactly once. */
export function workerSegment(part: Segment, k: number, count: number): Segment {
  return { index: part.index + part.count * (k - 1), count: part.count * count };
}

interface Live {
  worker: Worker;
  segment: Segment;
  ready: Promise<void>;
  done: Promise<WorkerDone>;
  exited: Promise<void>;
  totals: LoadTotals;
  last: Record<string, LastSecond>;
  failures: Record<string, number>;
}

export interface WorkerLoadOptions {
  scenario: LoadedScenario;
  durationScale: number;
  count: number;
  part: Segment;
  urls: { pgbouncer: string; redis: string };
  http: HttpTargets | undefined;
  keepSecondHistograms: boolean;
}

export class LoadWorkers implements RemoteRouting {
  private readonly live: Live[];
  private readonly options: WorkerLoadOptions;
  private nextId = 0;
  private readonly pending = new Map<number, { left: number; resolve: () => void }>();
  private lastRouting: Promise<void> = Promise.resolve();

  private constructor(options: WorkerLoadOptions) {
    this.options = options;
    this.live = Array.from({ length: options.count }, (_, i) => this.spawn(i + 1));
  }

  /** Every worker started and ready (scenario loaded, pool warm); throws what the first one that failed said. */
  static async start(options: WorkerLoadOptions, signal: AbortSignal): Promise<LoadWorkers> {
    const workers = new LoadWorkers(options);
    options.http?.attach(workers);
    try {
      await bounded(
        Promise.all(workers.live.map((w) => w.ready)),
        READY_BOUND_MS,
        "the load workers to be ready",
        signal,
      );
      return workers;
    } catch (error) {
      await workers.close();
      throw error;
    }
  }

  private spawn(k: number): Live {
    const { scenario, part, count } = this.options;
    const segment = workerSegment(part, k, count);
    const http = this.options.http?.settings ?? { connections: 64, timeoutMs: 60_000 };
    const init: WorkerInit = {
      file: scenario.file,
      durationScale: this.options.durationScale,
      segment,
      urls: this.options.urls,
      // The scenario's pool is the total across segments (each needs one connection at least).
      poolSize: Math.max(1, shareOf(segment, scenario.client.poolSize)),
      // Like the pool: the app's `connections` per instance stay the total across workers.
      http: { ...http, connections: Math.max(1, shareOf(segment, http.connections)) },
    };
    const worker = new Worker(WORKER_URL, { workerData: init });
    let ready: () => void = () => {};
    let finished: (d: WorkerDone) => void = () => {};
    let failed: (e: Error) => void = () => {};
    const live: Live = {
      worker,
      segment,
      ready: new Promise<void>((resolve, reject) => {
        ready = resolve;
        failed = reject;
      }),
      done: new Promise<WorkerDone>((resolve, reject) => {
        finished = resolve;
        const before = failed;
        failed = (e) => {
          before(e);
          reject(e);
        };
      }),
      exited: new Promise<void>((resolve) => worker.once("exit", () => resolve())),
      totals: { iterations: 0, errors: 0, dropped: 0 },
      last: {},
      failures: {},
    };
    // Whoever awaits them sees the failure; an unawaited one must not crash the process.
    live.ready.catch(() => {});
    live.done.catch(() => {});
    worker.on("message", (m: FromWorker) => {
      if (m.type === "ready") ready();
      else if (m.type === "tick") Object.assign(live, { totals: m.totals, last: m.last, failures: m.failures });
      else if (m.type === "reply") {
        live.failures = m.failures;
        this.answered(m.id);
      } else if (m.type === "done") {
        live.failures = m.failures;
        finished(m);
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
    try {
      // A worker that stops early (an abortOnFail budget failed) or fails stops the others: one run, one end.
      const done = await Promise.all(
        this.live.map((w) =>
          w.done.then(
            (d) => {
              if (d.abortedBy.length > 0) stopAll();
              return d;
            },
            (e: unknown) => {
              stopAll();
              throw e;
            },
          ),
        ),
      );
      const outcome = this.merge(done, startAtMs, monitor.stop());
      onTick(this.totals(), outcome.perSecond);
      return outcome;
    } finally {
      clearInterval(ticker);
      unsubscribe();
    }
  }

  private merge(
    done: WorkerDone[],
    startedAtMs: number,
    monitored: { eventLoopDelayP99Ms: number; cpuPercent: number },
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
      segment: `${this.live[i]?.segment.index}/${this.live[i]?.segment.count}`,
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
      abortedBy: done
        .flatMap((d) => d.abortedBy)
        .filter((t, i, all) => all.findIndex((u) => u.metric === t.metric && u.expression === t.expression) === i),
    };
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
    into.ops.clear();
    const ops = new Set(this.live.flatMap((w) => Object.keys(w.last)));
    for (const op of ops) {
      const latency = newHistogram();
      const poolWait = newHistogram();
      let count = 0;
      let errors = 0;
      for (const w of this.live) {
        const s = w.last[op];
        if (!s) continue;
        count += s.count;
        errors += s.errors;
        if (s.latency) latency.add(decodeHistogram(s.latency));
        if (s.poolWait) poolWait.add(decodeHistogram(s.poolWait));
      }
      const p95 = (h: typeof latency) => (h.totalCount > 0 ? valueAtPercentileMs(h, 95) : null);
      into.ops.set(op, {
        p95Ms: [p95(latency)],
        poolWaitP95Ms: [p95(poolWait)],
        count: [count],
        errors: [errors],
        cacheHits: [0],
        cacheMisses: [0],
      });
    }
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
    const timer = new Promise<void>((resolve) => setTimeout(resolve, REPLY_BOUND_MS).unref());
    return Promise.race([replied, timer]).finally(() => this.pending.delete(id));
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

  /** Stops every worker (they close their clients first), within a bound; detaches the routing. */
  async close(): Promise<void> {
    this.options.http?.attach(undefined);
    this.post({ type: "stop" });
    await Promise.all(
      this.live.map(async (w) => {
        const timer = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), EXIT_BOUND_MS).unref());
        if ((await Promise.race([w.exited, timer])) === "late") await w.worker.terminate();
      }),
    );
  }
}

async function bounded<T>(work: Promise<T>, ms: number, what: string, signal: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms);
  });
  const stopped = new Promise<never>((_, reject) => {
    onAbort(signal, () => reject(new AbortedError(`stopped by a signal while waiting for ${what}`)));
  });
  try {
    return await Promise.race([work, late, stopped]);
  } finally {
    clearTimeout(timer);
  }
}
