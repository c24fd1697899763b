/**
 * The executor contract (k6's lib/executors.go): a config parsed from a
 * scenario's options, validate() reporting every problem, describe() in one
 * line, and a plan the runner executes.
 */
import type { ExecutorOptions } from "k6/options";
import { OptionsReader } from "./options-reader.ts";

/** Open loop: intended start times; latency counts from them. */
export interface OpenLoopPlan {
  kind: "open";
  /** Intended start offsets in ms from the scenario's start, lazily generated. */
  arrivals(): Iterable<number>;
  preAllocatedVUs: number;
  maxVUs: number;
  durationMs: number;
  /** Planned iterations per second, for generator health (average over the run). */
  targetRatePerSec: number;
}

/** Closed loop: each VU runs iterations back to back. */
export interface ClosedLoopPlan {
  kind: "closed";
  /** VU count over time; the last step holds until `durationMs`. */
  vuSteps: { atMs: number; vus: number }[];
  durationMs: number;
  /** Iterations each VU runs, or undefined for "until the duration ends". */
  iterationsPerVu?: number;
  /** Iterations shared by all VUs. */
  sharedIterations?: number;
}

export type Plan = OpenLoopPlan | ClosedLoopPlan;

export interface Executor {
  readonly scenario: string;
  readonly type: ExecutorOptions;
  readonly startTimeMs: number;
  readonly gracefulStopMs: number;
  /** The op (k6: exported function) each iteration runs. */
  readonly exec: string;
  readonly tags: Record<string, string>;
  validate(): string[];
  describe(): string;
  plan(): Plan;
}

/** Fields every executor has (k6's BaseScenario), read into `base`. */
export function readBase(reader: OptionsReader, scenario: string) {
  reader.has("executor");
  return {
    scenario,
    startTimeMs: reader.durationMs("startTime", "0s"),
    gracefulStopMs: reader.durationMs("gracefulStop", "30s"),
    exec: reader.string("exec", "default"),
    tags: reader.tags("tags"),
  };
}

export function newReader(raw: Record<string, unknown>, scenario: string): OptionsReader {
  return new OptionsReader(raw, `scenarios.${scenario}`);
}
