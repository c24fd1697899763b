/**
 * What the main thread and a load worker (`--workers N`) say to each other. Every message is structured-
 * clone data: histograms travel encoded.
 */
import type { HttpSettings } from "../clients/http.ts";
import type { ExecutorSpec } from "../executors/index.ts";
import type { Segment } from "../executors/segment.ts";
import type { OpSeconds } from "../metrics/per-second.ts";
import type { SeriesWire } from "../metrics/store-wire.ts";
import type { ParsedThreshold } from "../thresholds/parse.ts";
import type { GeneratorHealth } from "./generator-health.ts";
import type { LoopOutcome } from "./open-loop.ts";
import type { PhaseSpan } from "./run-load.ts";

export interface WorkerInit {
  /** The scenario file, loaded again in the worker (its ops are functions: they cannot be sent). */
  file: string;
  durationScale: number;
  /** This worker's share of the run (the part's segment split again). */
  segment: Segment;
  urls: { pgbouncer: string; redis: string };
  poolSize: number;
  /** After its load, how long what is in flight may take to finish before it is cancelled. */
  drainMs: number;
  http: HttpSettings;
  /** The load when it is not the file's (a capacity step): the executors, phases and budgets to run and
   * judge it with instead. */
  derived?: DerivedLoad;
  /** Send the store with every tick: the main thread judges the abortOnFail budgets on every worker's
   * samples together (a worker judges none). */
  liveSeries: boolean;
}

/** A scenario's load as plain data, where it was derived from the file's (see LoadedScenario.executorSpecs). */
export interface DerivedLoad {
  executors: ExecutorSpec[];
  phases: PhaseSpan[];
  baseline: string;
  thresholds: ParsedThreshold[];
  lagToleranceMs: number;
}

/** One op's last closed second, for the live progress. */
export interface LastSecond {
  count: number;
  errors: number;
  cacheHits: number;
  cacheMisses: number;
  latency: string;
  poolWait: string;
}

export type ToWorker =
  /** `atHrMs`: the load's start on the process-wide monotonic clock (process.hrtime, ms). */
  | { type: "start"; atHrMs: number }
  | { type: "origins"; id: number; origins: string[] }
  | { type: "settled"; id: number; origin: string }
  | { type: "refresh"; id: number }
  | { type: "stop" };

export interface WorkerDone {
  type: "done";
  series: SeriesWire[];
  perSecond: Record<string, OpSeconds>;
  outcomes: Record<string, LoopOutcome>;
  generator: GeneratorHealth;
  /** From the shared start to the end of this worker's load. */
  durationMs: number;
  failures: Record<string, number>;
}

export type FromWorker =
  | { type: "ready" }
  | { type: "reply"; id: number; failures: Record<string, number> }
  | {
      type: "tick";
      totals: { iterations: number; errors: number; dropped: number };
      last: Record<string, LastSecond>;
      failures: Record<string, number>;
      /** The whole store so far, when the main thread judges the abortOnFail budgets (liveSeries). */
      series?: SeriesWire[];
    }
  | WorkerDone
  | { type: "failed"; message: string; badInput?: { source: string; problems: string[] } };

export const hrNowMs = () => Number(process.hrtime.bigint()) / 1e6;
