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
  /** Set on a segment's share: its iterations and VUs are numbered as the whole schedule numbers them. */
  segment?: Segment;
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
  /** Set on a segment's share: its iterations and VUs are numbered as the whole schedule numbers them. */
  segment?: Segment;
}

/** Segment `index` (1-based) of `count` equal ones. */
export interface Segment {
  index: number;
  count: number;
}

/** The share's m-th item (0-based: an arrival, an iteration) as the whole schedule numbers it: segment i owns
 * items i−1, i−1+N, … (k6's striping for equal segments), so ops that pick rows or keys by `iteration` touch
 * across all segments what one process would, not each segment the same first ones. */
export function wholeIndex(plan: Plan, m: number): number {
  return plan.segment ? plan.segment.index - 1 + plan.segment.count * m : m;
}

/** The share's VU v (1-based) as the whole schedule numbers it: distinct across segments, as `idInTest` is in k6. */
export function wholeVu(plan: Plan, vu: number): number {
  return plan.segment ? plan.segment.index + plan.segment.count * (vu - 1) : vu;
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
